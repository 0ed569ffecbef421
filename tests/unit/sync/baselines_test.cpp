// Deterministic tests of the two baselines behind the guard interface, on the recording
// platform: what they cost per enter/exit, and how they block, defer and tear down.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "host_os/sync/global_spin_lock.hpp"
#include "host_os/sync/reader_writer_lock.hpp"
#include "tests/unit/sync/recording_platform.hpp"

namespace hcasim::sync {
namespace {

using testing::RecordingPlatform;
using Ctx = RecordingPlatform::Context;
using Counts = RecordingPlatform::Counts;

TEST(GlobalSpinLock, WorkersHoldTheLockWhileWorking) {
  RecordingPlatform p;
  GlobalSpinLock<RecordingPlatform> g(p);
  Ctx w1{1}, w2{2};
  p.reset_counts();
  ASSERT_TRUE(g.enter(w1));
  EXPECT_EQ(g.state(), GuardState::working);
  EXPECT_EQ(p.locks_held(), 1);                       // held through the work
  EXPECT_THROW((void)g.enter(w2), std::logic_error);  // a second worker would spin
  g.exit(w1);
  EXPECT_EQ(p.locks_held(), 0);
  EXPECT_EQ(p.total(&Counts::locks), 2u);  // w1's, and w2's attempt
  EXPECT_EQ(p.lines_touched().size(), 1u);
}

TEST(GlobalSpinLock, TryEnterNeverDefersAndUpdatesSerialize) {
  RecordingPlatform p;
  GlobalSpinLock<RecordingPlatform> g(p, [](Ctx&, std::uint64_t) { FAIL() << "no deferrals"; });
  Ctx w{1}, u{2};
  ASSERT_TRUE(g.try_enter(w));
  g.exit(w);
  ASSERT_TRUE(g.begin_update(u));
  EXPECT_EQ(g.state(), GuardState::updating);
  EXPECT_TRUE(g.update_pending());
  EXPECT_EQ(g.end_update(u), 0u);
  EXPECT_EQ(g.state(), GuardState::idle);
  const SyncStats s = g.stats();
  EXPECT_EQ(s.enters, 1u);
  EXPECT_EQ(s.exits, 1u);
  EXPECT_EQ(s.updates, 1u);
}

TEST(GlobalSpinLock, DestroyRefusesEveryone) {
  RecordingPlatform p;
  GlobalSpinLock<RecordingPlatform> g(p);
  Ctx c{1};
  bool torn = false;
  ASSERT_TRUE(g.destroy(c, [&] { torn = true; }));
  EXPECT_TRUE(torn);
  EXPECT_EQ(g.state(), GuardState::destroyed);
  EXPECT_FALSE(g.enter(c));
  EXPECT_FALSE(g.try_enter(c));
  EXPECT_FALSE(g.begin_update(c));
  EXPECT_EQ(p.locks_held(), 0);
}

using RwLock = ReaderWriterLock<RecordingPlatform>;

TEST(ReaderWriterLock, ReadersUseOneAtomicEachWayAndNoLock) {
  RecordingPlatform p;
  RwLock g(p);
  Ctx r{1};
  p.reset_counts();
  ASSERT_TRUE(g.enter(r));
  EXPECT_EQ(g.state(), GuardState::working);
  g.exit(r);
  EXPECT_EQ(p.total(&Counts::locks), 0u);
  EXPECT_EQ(p.total(&Counts::rmws), 2u);  // CAS in, fetch_sub out
  EXPECT_EQ(p.lines_touched().size(), 1u);
}

TEST(ReaderWriterLock, WriterWaitsForTheLastReaderWhileTryEnterDefers) {
  RecordingPlatform p;
  std::vector<std::uint64_t> retriggers;
  RwLock g(p, [&](Ctx&, std::uint64_t n) { retriggers.push_back(n); });
  Ctx r1{1}, r2{2}, w{3}, dpc{4};
  ASSERT_TRUE(g.enter(r1));
  ASSERT_TRUE(g.enter(r2));
  p.script([&] {
    EXPECT_EQ(g.state(), GuardState::draining);
    EXPECT_FALSE(g.try_enter(dpc));  // writer preference: a waiting writer keeps readers out
    g.exit(r1);
  });
  p.script([&] { g.exit(r2); });
  ASSERT_TRUE(g.begin_update(w));
  EXPECT_EQ(p.script_left(), 0u);
  EXPECT_EQ(g.state(), GuardState::updating);
  EXPECT_FALSE(g.try_enter(dpc));
  EXPECT_EQ(g.end_update(w), 2u);
  EXPECT_EQ(retriggers, std::vector<std::uint64_t>{2});
  EXPECT_EQ(g.stats().busy_returns, 2u);
  EXPECT_EQ(g.stats().drain_waits, 1u);
  EXPECT_EQ(p.locks_held(), 0);
}

TEST(ReaderWriterLock, ReaderWaitsForTheWriterAndWritersSerialize) {
  RecordingPlatform p;
  RwLock g(p);
  Ctx r{1}, w1{2}, w2{3};
  ASSERT_TRUE(g.begin_update(w1));
  std::vector<int> order;
  // The reader blocks; the second writer (queued first) blocks too; then w1 ends.
  p.script([&] {
    p.script([&] {
      order.push_back(1);
      g.end_update(w1);
    });
    ASSERT_TRUE(g.begin_update(w2));
    order.push_back(2);
    p.script([&] {
      order.push_back(3);
      g.end_update(w2);
    });
  });
  ASSERT_TRUE(g.enter(r));
  order.push_back(4);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));  // the waiting writer went before the reader
  EXPECT_EQ(g.stats().worker_waits, 1u);
  g.exit(r);
  EXPECT_EQ(g.state(), GuardState::idle);
}

TEST(ReaderWriterLock, DestroyRefusesEveryoneAndWakesWaiters) {
  RecordingPlatform p;
  RwLock g(p);
  Ctx r{1}, w{2}, w2{3};
  ASSERT_TRUE(g.begin_update(w));
  p.script([&] {
    p.script([&] { g.end_update(w, UpdateEnd::destroy); });
    EXPECT_FALSE(g.begin_update(w2));
  });
  EXPECT_FALSE(g.enter(r));
  EXPECT_EQ(g.state(), GuardState::destroyed);
  EXPECT_FALSE(g.enter(r));
  EXPECT_FALSE(g.try_enter(r));
  EXPECT_FALSE(g.begin_update(w));
  EXPECT_FALSE(g.update_pending());  // the refused writer took its announcement back
  EXPECT_EQ(p.locks_held(), 0);
}

}  // namespace
}  // namespace hcasim::sync
