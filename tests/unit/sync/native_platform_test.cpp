// The native platform's primitives under real threads (and ThreadSanitizer).
#include "host_os/sync/native_platform.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace hcasim::sync {
namespace {

using Ctx = NativePlatform::Context;

TEST(NativePlatform, WordOperations) {
  NativePlatform p;
  Ctx c;
  NativePlatform::Word w;
  EXPECT_EQ(p.load(c, w, std::memory_order_relaxed), 0u);
  p.store(c, w, 5, std::memory_order_relaxed);
  EXPECT_EQ(p.fetch_add(c, w, 0 - std::uint64_t{2}, std::memory_order_relaxed), 5u);
  std::uint64_t expected = 4;
  EXPECT_FALSE(p.compare_exchange(c, w, expected, 9, std::memory_order_relaxed));
  EXPECT_EQ(expected, 3u);
  EXPECT_TRUE(p.compare_exchange(c, w, expected, 9, std::memory_order_relaxed));
  EXPECT_EQ(p.peek(w), 9u);
}

TEST(NativePlatform, SpinLockExcludes) {
  NativePlatform p;
  NativePlatform::SpinLock lock;
  std::uint64_t counter = 0;  // plain: only the lock orders the increments
  constexpr int kThreads = 4;
  constexpr int kIncrements = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Ctx c;
      for (int i = 0; i < kIncrements; ++i) {
        p.lock(c, lock);
        ++counter;
        p.unlock(c, lock);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, std::uint64_t{kThreads} * kIncrements);
}

// Two threads hand a turn back and forth; a lost wake-up would hang (ctest's timeout).
TEST(NativePlatform, WaitNeverMissesANotify) {
  NativePlatform p;
  NativePlatform::SpinLock lock;
  NativePlatform::WaitQueue queue;
  int turn = 0;  // guarded by lock
  constexpr int kRounds = 5000;
  auto player = [&](int me) {
    Ctx c;
    for (int i = 0; i < kRounds; ++i) {
      p.lock(c, lock);
      p.wait(c, queue, lock, [&] { return turn == me; });
      turn = 1 - me;
      p.unlock(c, lock);
      p.notify_all(c, queue);
    }
  };
  std::thread a(player, 0), b(player, 1);
  a.join();
  b.join();
  EXPECT_EQ(turn, 0);
}

}  // namespace
}  // namespace hcasim::sync
