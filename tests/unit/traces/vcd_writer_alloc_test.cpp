// The trace writers' hot path must not allocate: a model may report millions of changes. This
// executable replaces the global operator new to count allocations, so it is kept apart from the
// other trace tests.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>

#include "traces/fst_writer.hpp"
#include "traces/vcd_writer.hpp"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// Out of line, so GCC does not see free() meet operator new and warn (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) { return ::operator new(size); }
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace hcasim {
namespace {

TEST(VcdWriterHotPath, ChangesDoNotAllocate) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::current_path() / "traces_test_out" / "VcdWriterHotPath";
  fs::remove_all(dir);
  fs::create_directories(dir);
  VcdWriter w((dir / "trace.vcd").string());
  std::vector<TraceSink::SignalId> ints;
  std::vector<TraceSink::SignalId> reals;
  for (int i = 0; i < 200; ++i) {
    ints.push_back(
        w.declare_integer("host0.m" + std::to_string(i % 10) + ".i" + std::to_string(i), 32, 0));
    reals.push_back(
        w.declare_real("host0.m" + std::to_string(i % 10) + ".r" + std::to_string(i), 0.0));
  }
  w.change_integer(ints[0], 1, 1);  // header and $dumpvars written: steady state from here

  const long before = g_allocations.load();
  ASSERT_GT(before, 0) << "the counting operator new is not in use";
  std::uint64_t t = 10;
  for (int step = 0; step < 200000; ++step) {
    if (step % 3 == 0) t += 250;
    const std::size_t k = static_cast<std::size_t>(step) % ints.size();
    w.change_integer(ints[k], t, static_cast<std::uint64_t>(step));
    w.change_real(reals[k], t, step * 0.001);
  }
  const long during = g_allocations.load() - before;
  EXPECT_EQ(during, 0) << "allocations on the change path";
  w.finish(t + 1);
  EXPECT_GT(fs::file_size(dir / "trace.vcd"), 1000000u);
}

// The FST writer holds a block's changes in per-signal buffers that keep their size from block to
// block: once they have grown to the load, neither the changes nor the blocks written allocate.
TEST(FstWriterHotPath, ChangesAndBlocksDoNotAllocateOnceWarm) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::current_path() / "traces_test_out" / "FstWriterHotPath";
  fs::remove_all(dir);
  fs::create_directories(dir);
  FstWriter w((dir / "trace.fst").string(), FstWriter::kFirstBlockBytes);
  std::vector<TraceSink::SignalId> ints;
  std::vector<TraceSink::SignalId> reals;
  for (int i = 0; i < 200; ++i) {
    ints.push_back(
        w.declare_integer("host0.m" + std::to_string(i % 10) + ".i" + std::to_string(i), 32, 0));
    reals.push_back(
        w.declare_real("host0.m" + std::to_string(i % 10) + ".r" + std::to_string(i), 0.0));
  }
  std::uint64_t t = 10;
  int step = 0;
  auto changes = [&](int n) {
    for (const int end = step + n; step < end; ++step) {
      if (step % 3 == 0) t += 250;
      const std::size_t k = static_cast<std::size_t>(step) % ints.size();
      w.change_integer(ints[k], t, static_cast<std::uint64_t>(step) & 0xffff);
      w.change_real(reals[k], t, (step % 1000) * 0.25);
    }
  };
  changes(100000);  // warm: a few blocks written, every buffer at its size
  const std::uint64_t blocks_before = w.blocks_written();
  ASSERT_GT(blocks_before, 3u);
  const long before = g_allocations.load();
  changes(200000);
  const long during = g_allocations.load() - before;
  EXPECT_GT(w.blocks_written(), blocks_before + 5);  // blocks were written while counting
  EXPECT_EQ(during, 0) << "allocations on the change path or per block";
  w.finish(t + 1);
  EXPECT_GT(fs::file_size(dir / "trace.fst"), 10000u);
}

}  // namespace
}  // namespace hcasim
