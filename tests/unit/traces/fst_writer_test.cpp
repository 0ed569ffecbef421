// The FST trace as a user relies on it: GTKWave's fst2vcd reads back exactly the signals and
// changes the VCD writer writes for the same calls (integers of every width, reals, enums, many
// signals, many blocks, a window), identical runs give identical files, the file is much smaller
// than the VCD, a trace that is not finished leaves nothing under its name, and a file cut after
// a block (an interrupted run) is readable up to that block. Where blocks are compressed (a
// thread of their own, with a third core) does not change a byte.
#include "traces/fst_writer.hpp"

#include <sched.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/vcd_reader.hpp"
#include "trace_test_files.hpp"
#include "traces/vcd_writer.hpp"

namespace hcasim {
namespace {

namespace fs = std::filesystem;
using hcasim_test::from_binary;
using hcasim_test::parse_vcd;
using hcasim_test::Vcd;

using trace_test::read_file;
using trace_test::test_dir;

// The FST as VCD text, through GTKWave's fst2vcd.
Vcd fst_as_vcd(const fs::path& fst) {
  const fs::path back = fst.string() + ".back.vcd";
  const std::string cmd =
      "fst2vcd -f '" + fst.string() + "' -o '" + back.string() + "' >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return parse_vcd(read_file(back));
}

// Every value as a number keyed by (time, signal path): the initial values at the first time,
// then each change. fst2vcd pads integers with zeros and lists a timestamp's signals in its own
// order, so the texts differ where the values do not.
std::map<std::pair<std::uint64_t, std::string>, double> values_of(const Vcd& vcd) {
  std::map<std::pair<std::uint64_t, std::string>, double> out;
  auto number = [](const Vcd::Var& v, const std::string& text) {
    return v.type == "real" ? std::strtod(text.c_str(), nullptr)
                            : static_cast<double>(from_binary(text));
  };
  const std::uint64_t first = vcd.times.empty() ? 0 : vcd.times.front();
  for (const Vcd::Var& v : vcd.vars) {
    const auto it = vcd.dumpvars.find(v.code);
    if (it != vcd.dumpvars.end()) out[{first, v.path}] = number(v, it->second);
    for (const Vcd::Change& c : vcd.changes_of(v.path)) out[{c.time, v.path}] = number(v, c.value);
  }
  return out;
}

// Integer values are compared as doubles above: exact up to 2^53. Wide values are compared as
// bit strings here, without padding.
std::map<std::pair<std::uint64_t, std::string>, std::string> wide_values_of(const Vcd& vcd) {
  std::map<std::pair<std::uint64_t, std::string>, std::string> out;
  auto strip = [](std::string s) {
    const std::size_t one = s.find('1');
    return one == std::string::npos ? std::string("0") : s.substr(one);
  };
  const std::uint64_t first = vcd.times.empty() ? 0 : vcd.times.front();
  for (const Vcd::Var& v : vcd.vars) {
    if (v.type == "real" || v.width <= 53) continue;
    const auto it = vcd.dumpvars.find(v.code);
    if (it != vcd.dumpvars.end()) out[{first, v.path}] = strip(it->second);
    for (const Vcd::Change& c : vcd.changes_of(v.path)) out[{c.time, v.path}] = strip(c.value);
  }
  return out;
}

using Drive = std::function<void(TraceWriter&)>;

// Writes the same calls into a VCD and an FST (blocks of `block_bytes`) and checks that fst2vcd
// gives back what the VCD holds: the same variables (path, kind, width), timestamps and values.
// Returns the number of value-change blocks of the FST.
std::uint64_t expect_same_trace(const fs::path& dir, const Drive& drive,
                                std::size_t block_bytes = FstWriter::kDefaultBlockBytes) {
  std::uint64_t blocks = 0;
  {
    VcdWriter vcd((dir / "trace.vcd").string());
    drive(vcd);
    FstWriter fst((dir / "trace.fst").string(), block_bytes);
    drive(fst);
    blocks = fst.blocks_written();
  }
  EXPECT_FALSE(fs::exists(dir / "trace.fst.tmp"));
  const Vcd original = parse_vcd(read_file(dir / "trace.vcd"));
  const Vcd round = fst_as_vcd(dir / "trace.fst");
  EXPECT_TRUE(round.balanced);
  EXPECT_EQ(round.scope_paths, original.scope_paths);
  EXPECT_EQ(round.vars.size(), original.vars.size());
  for (const Vcd::Var& v : original.vars) {
    const Vcd::Var* r = round.var(v.path);
    if (r == nullptr) {
      ADD_FAILURE() << v.path << " missing from the FST";
      continue;
    }
    EXPECT_EQ(r->type, v.type) << v.path;
    if (v.type != "real") {
      EXPECT_EQ(r->width, v.width) << v.path;
    }
  }
  EXPECT_EQ(round.times, original.times);
  EXPECT_EQ(round.changes.size(), original.changes.size());
  EXPECT_EQ(values_of(round), values_of(original));
  EXPECT_EQ(wide_values_of(round), wide_values_of(original));
  return blocks;
}

// A counter, a flag, an enum, a real and wide integers over 20000 steps.
void sample(TraceWriter& w) {
  const auto depth = w.declare_integer("host0.hca0.sq0.depth", 16, 3);
  const auto busy = w.declare_integer("host0.hca0.busy", 1, 0);
  const auto state = w.declare_enum("host0.cpu0.state", {"IDLE", "RUN", "IRQ"}, 0);
  const auto lat = w.declare_real("host0.lat_ns", 1.5);
  const auto wide = w.declare_integer("host0.hca0.addr", 64, 0);
  const auto odd = w.declare_integer("host0.hca0.odd", 33, 0);
  for (std::uint64_t i = 1; i <= 20000; ++i) {
    const std::uint64_t t = i * 1000 + (i % 3) * 100;
    w.change_integer(depth, t, (i * 7) % 129);
    w.change_integer(busy, t, i % 2);
    if (i % 5 == 0) w.change_integer(state, t, i % 3);
    if (i % 11 == 0) w.change_real(lat, t, 0.25 * static_cast<double>(i) - 100.0);
    if (i % 7 == 0) w.change_integer(wide, t, ~std::uint64_t{0} - i * 0x9E3779B97F4A7C15ull);
    if (i % 13 == 0) w.change_integer(odd, t, i * 0x1234567ull);
  }
  w.finish(20001 * 1000);
}

class FstWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v fst2vcd >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "fst2vcd (Debian package gtkwave) not on PATH";
  }
};

TEST_F(FstWriterTest, Fst2vcdReadsBackTheVcdWritersSignalsAndChanges) {
  const fs::path dir = test_dir();
  // About 300 KiB of changes: a first block of 64 KiB, then the rest.
  EXPECT_EQ(expect_same_trace(dir, sample), 2u);
  // The trace is much smaller than its VCD (about 20x here, with 64-bit noise in it).
  EXPECT_LT(fs::file_size(dir / "trace.fst") * 10, fs::file_size(dir / "trace.vcd"));
}

TEST_F(FstWriterTest, SmallBlocksGiveManyBlocksWithTheSameChanges) {
  const fs::path dir = test_dir();
  // About 180 KiB of encoded changes in blocks of 4 KiB, each starting from the values the one
  // before it left.
  EXPECT_EQ(expect_same_trace(dir, sample, 4096), 44u);
}

// Several changes of a signal at one time: the last value counts, a value that comes back to
// the one before is no change, and a time whose changes all came back is no timestamp. The
// FST writes each change into its chain at once and must take such entries back; the VCD
// writer's list of a timestamp's changes is the reference.
void same_time_changes(TraceWriter& w) {
  const auto a = w.declare_integer("m.a", 8, 0);
  const auto bit = w.declare_integer("m.bit", 1, 0);
  const auto r = w.declare_real("m.r", 0.0);
  const auto wide = w.declare_integer("m.wide", 64, 0);
  std::uint64_t av = 0, bv = 0, wv = 0;
  double rv = 0.0;
  for (std::uint64_t i = 1; i <= 6000; ++i) {
    const std::uint64_t t = i * 1000;
    switch (i % 7) {
      case 0:  // written over: two values, the second one stays
        w.change_integer(a, t, (av + 3) & 0xff);
        w.change_integer(a, t, av = (av + 5) & 0xff);
        break;
      case 1:  // one signal comes back, another changes
        w.change_integer(a, t, (av + 1) & 0xff);
        w.change_integer(bit, t, bv ^= 1);
        w.change_integer(a, t, av);
        break;
      case 2:  // every change comes back: no timestamp
        w.change_integer(bit, t, bv ^ 1);
        w.change_real(r, t, rv + 1.5);
        w.change_integer(bit, t, bv);
        w.change_real(r, t, rv);
        break;
      case 3:  // back, then changed again at the same time
        w.change_integer(wide, t, wv + 1);
        w.change_integer(wide, t, wv);
        w.change_integer(wide, t, wv = wv * 0x9E3779B97F4A7C15ull + i);
        break;
      case 4:  // the value the file holds already: no change
        w.change_integer(a, t, av);
        w.change_real(r, t, rv);
        break;
      case 5:  // written over three times, then back to the first of them
        w.change_real(r, t, rv + 1.0);
        w.change_real(r, t, rv + 2.0);
        w.change_real(r, t, rv = rv + 1.0);
        break;
      default:  // one plain change
        w.change_integer(bit, t, bv ^= 1);
        break;
    }
  }
  w.finish(6001 * 1000);
}

TEST_F(FstWriterTest, SameTimeChangesComeOutAsTheVcdHasThem) {
  const fs::path dir = test_dir();
  expect_same_trace(dir, same_time_changes);
  // Blocks of 256 bytes: timestamps taken back also where a block starts.
  EXPECT_GT(expect_same_trace(dir, same_time_changes, 256), 50u);
}

TEST_F(FstWriterTest, ManySignalsInDeepScopesKeepTheirValues) {
  const fs::path dir = test_dir();
  auto drive = [](TraceWriter& w) {
    std::vector<TraceSink::SignalId> ids;
    for (int h = 0; h < 4; ++h)
      for (int q = 0; q < 100; ++q) {
        const std::string base = "host" + std::to_string(h) + ".hca0.qp" + std::to_string(q);
        ids.push_back(w.declare_integer(base + ".depth", 1 + (q % 64), q % 2));
        if (q % 10 == 0) ids.push_back(w.declare_real(base + ".lat", 0.0));
      }
    const auto top = w.declare_integer("top_level", 8, 5);  // outside any scope
    std::uint64_t t = 0;
    for (std::uint64_t i = 0; i < 30000; ++i) {
      t += 1 + i % 5;
      const auto id = ids[(i * 7919) % ids.size()];
      if (w.signal(id).kind == TraceWriter::Kind::Real)
        w.change_real(id, t, static_cast<double>(i) / 8.0);
      else
        w.change_integer(id, t, i * 2654435761u);
      if (i % 100 == 0) w.change_integer(top, t, i / 100);
    }
    w.finish(t + 10);
  };
  EXPECT_GT(expect_same_trace(dir, drive, 16 << 10), 3u);
}

TEST_F(FstWriterTest, AWindowKeepsTheSameSpanAsTheVcd) {
  const fs::path dir = test_dir();
  auto windowed = [](TraceWriter& w) {
    w.set_window(5'000'000, 9'000'000);
    sample(w);
  };
  expect_same_trace(dir, windowed, 2048);
  const Vcd round = fst_as_vcd(dir / "trace.fst");
  ASSERT_FALSE(round.times.empty());
  EXPECT_EQ(round.times.front(), 5'000'000u);
  EXPECT_EQ(round.times.back(), 9'000'000u);
}

TEST_F(FstWriterTest, AWindowAfterTheRunGivesTheFinalValuesAtItsStart) {
  const fs::path dir = test_dir();
  expect_same_trace(dir, [](TraceWriter& w) {
    w.set_window(50'000'000, 60'000'000);
    sample(w);
  });
}

TEST_F(FstWriterTest, IdenticalRunsGiveIdenticalFiles) {
  const fs::path dir = test_dir();
  for (const char* name : {"one.fst", "two.fst"}) {
    FstWriter w((dir / name).string(), 8192);
    sample(w);
  }
  const std::string one = read_file(dir / "one.fst");
  EXPECT_GT(one.size(), 1000u);
  EXPECT_EQ(one, read_file(dir / "two.fst"));
  EXPECT_NE(one.find("hcasim"), std::string::npos);  // the version field
}

TEST_F(FstWriterTest, EncodingOnItsOwnThreadOrTheCallersGivesTheSameFile) {
  const fs::path dir = test_dir();
  for (auto [name, on] : {std::pair{"own.fst", FstWriter::EncodeOn::kOwnThread},
                          std::pair{"caller.fst", FstWriter::EncodeOn::kCallerThread}}) {
    FstWriter w((dir / name).string(), 8192, on);
    sample(w);
    EXPECT_GT(w.blocks_written(), 10u) << name;
  }
  EXPECT_EQ(read_file(dir / "own.fst"), read_file(dir / "caller.fst"));
}

// The encoder gets a thread of its own only when the process may use a third core.
TEST(FstWriterThreads, TheEncoderHasItsOwnThreadOnlyWithThreeCoresOrMore) {
  cpu_set_t all;
  ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  std::vector<int> ids;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &all)) ids.push_back(c);
  auto on_cores = [&](std::size_t n) {
    cpu_set_t some;
    CPU_ZERO(&some);
    for (std::size_t i = 0; i < n; ++i) CPU_SET(ids[i], &some);
    EXPECT_EQ(sched_setaffinity(0, sizeof some, &some), 0);
    const FstWriter::EncodeOn on = FstWriter::default_encode_on();
    sched_setaffinity(0, sizeof all, &all);
    return on;
  };
  EXPECT_EQ(on_cores(1), FstWriter::EncodeOn::kCallerThread);
  if (ids.size() >= 2) {
    EXPECT_EQ(on_cores(2), FstWriter::EncodeOn::kCallerThread);
  }
  if (ids.size() >= 3) {
    EXPECT_EQ(on_cores(3), FstWriter::EncodeOn::kOwnThread);
  }
}

TEST_F(FstWriterTest, DestroyedWithoutFinishLeavesNothing) {
  const fs::path dir = test_dir();
  {
    FstWriter w((dir / "trace.fst").string(), 1024);
    const auto a = w.declare_integer("m.a", 8, 0);
    for (std::uint64_t t = 1; t < 200000; ++t) w.change_integer(a, t, t);  // many blocks
    EXPECT_TRUE(fs::exists(dir / "trace.fst.tmp"));
    EXPECT_FALSE(fs::exists(dir / "trace.fst"));
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST_F(FstWriterTest, AnUnwritablePathIsAClearError) {
  const fs::path dir = test_dir();
  const std::string path = (dir / "no_such_dir" / "trace.fst").string();
  try {
    FstWriter w(path);
    FAIL() << "no error for " << path;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ".tmp"), std::string::npos) << e.what();
  }
}

TEST_F(FstWriterTest, AFileCutShortIsReadableUpToItsLastBlock) {
  const fs::path dir = test_dir();
  FstWriter w((dir / "trace.fst").string(), 1024);
  const auto a = w.declare_integer("m.a", 16, 0);
  const auto r = w.declare_real("m.r", 0.0);
  std::uint64_t t = 0;
  while (w.blocks_written() < 5) {
    ++t;
    w.change_integer(a, t * 10, t);
    w.change_real(r, t * 10, static_cast<double>(t) / 4);
  }
  // What an interrupted run keeps: the temporary as it is on disk now (the handler renames it).
  fs::copy_file(dir / "trace.fst.tmp", dir / "partial.fst");
  const Vcd cut = fst_as_vcd(dir / "partial.fst");
  ASSERT_EQ(cut.vars.size(), 2u);
  ASSERT_GT(cut.times.size(), 100u);
  // Every value in it is the one written at that time (m.a = t at time 10 t).
  for (const Vcd::Change& c : cut.changes_of("m.a"))
    EXPECT_EQ(from_binary(c.value) * 10, c.time) << c.time;
  EXPECT_LT(cut.times.back(), t * 10);  // the block being collected is not in it
}

TEST(FstWriterMisuse, TheFrontEndsChecksApply) {
  const fs::path dir = test_dir();
  FstWriter w((dir / "trace.fst").string());
  const auto a = w.declare_integer("m.a", 8, 0);
  EXPECT_THROW(w.declare_integer("m.a", 8, 0), std::logic_error);
  EXPECT_THROW(w.change_real(a, 1, 1.0), std::logic_error);
  w.change_integer(a, 10, 1);
  EXPECT_THROW(w.change_integer(a, 5, 2), std::logic_error);
  EXPECT_THROW(w.declare_integer("m.b", 8, 0), std::logic_error);
  w.finish(20);
  EXPECT_THROW(w.finish(30), std::logic_error);
  EXPECT_TRUE(fs::exists(dir / "trace.fst"));
}

}  // namespace
}  // namespace hcasim
