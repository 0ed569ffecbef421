// Deterministic tests of the algorithm's state machine, with scripted interleavings on the
// recording platform: each scripted step runs where a caller would have blocked.
#include "host_os/sync/worker_update_guard.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/sync/recording_platform.hpp"

namespace hcasim::sync {
namespace {

using testing::RecordingPlatform;
using Guard = WorkerUpdateGuard<RecordingPlatform>;
using Ctx = RecordingPlatform::Context;

TEST(WorkerUpdateGuard, StartsIdle) {
  RecordingPlatform p;
  Guard g(p);
  EXPECT_EQ(g.state(), GuardState::idle);
  EXPECT_EQ(g.active(), 0u);
  EXPECT_FALSE(g.update_pending());
  EXPECT_FALSE(g.destroyed());
}

TEST(WorkerUpdateGuard, WalksIdleWorkingDrainingUpdatingIdle) {
  RecordingPlatform p;
  Guard g(p);
  Ctx w{1}, u{2};
  std::vector<GuardState> seen;
  ASSERT_TRUE(g.enter(w));
  seen.push_back(g.state());
  p.script([&] {
    seen.push_back(g.state());  // the updater is blocked: draining
    g.exit(w);
  });
  ASSERT_TRUE(g.begin_update(u));
  seen.push_back(g.state());
  EXPECT_EQ(g.end_update(u), 0u);
  seen.push_back(g.state());
  EXPECT_EQ(seen, (std::vector<GuardState>{GuardState::working, GuardState::draining,
                                           GuardState::updating, GuardState::idle}));
}

TEST(WorkerUpdateGuard, TryEnterIsBusyWhileUpdatePendingAndTheUpdateRetriggers) {
  RecordingPlatform p;
  std::vector<std::uint64_t> retriggers;
  Guard g(p, [&](Ctx& c, std::uint64_t n) {
    EXPECT_EQ(c.cpu, 2);  // run by the updater
    retriggers.push_back(n);
  });
  Ctx w{1}, u{2}, dpc{3};
  ASSERT_TRUE(g.enter(w));
  p.script([&] {
    EXPECT_FALSE(g.try_enter(dpc));  // draining: busy
    g.exit(w);
  });
  ASSERT_TRUE(g.begin_update(u));
  EXPECT_FALSE(g.try_enter(dpc));  // updating: busy
  EXPECT_TRUE(retriggers.empty());
  EXPECT_EQ(g.end_update(u), 2u);
  EXPECT_EQ(retriggers, std::vector<std::uint64_t>{2});
  // The re-triggered work now gets in, and the next update has nothing to report.
  ASSERT_TRUE(g.try_enter(dpc));
  g.exit(dpc);
  ASSERT_TRUE(g.update(u, [] {}));
  EXPECT_EQ(retriggers.size(), 1u);
  EXPECT_EQ(g.stats().busy_returns, 2u);
}

TEST(WorkerUpdateGuard, UpdateWaitsForTheLastExit) {
  RecordingPlatform p;
  Guard g(p);
  Ctx w1{1}, w2{2}, u{3};
  ASSERT_TRUE(g.enter(w1));
  ASSERT_TRUE(g.enter(w2));
  bool updating = false;
  p.script([&] { g.exit(w1); });
  p.script([&] {
    EXPECT_EQ(g.state(), GuardState::draining);  // one worker still inside
    EXPECT_EQ(g.active(), 1u);
    g.exit(w2);
  });
  ASSERT_TRUE(g.update(u, [&] {
    updating = true;
    EXPECT_EQ(g.active(), 0u);
  }));
  EXPECT_TRUE(updating);
  EXPECT_EQ(p.script_left(), 0u);  // it blocked twice: after each exit but the last
  EXPECT_EQ(p.total(&RecordingPlatform::Counts::notifies), 1u + 1u);  // last exit + end
  EXPECT_EQ(g.stats().drain_waits, 1u);
}

TEST(WorkerUpdateGuard, EnterWaitsForTheUpdateToEnd) {
  RecordingPlatform p;
  Guard g(p);
  Ctx w{1}, u{2};
  ASSERT_TRUE(g.begin_update(u));
  p.script([&] {
    EXPECT_EQ(g.active(), 0u);  // the worker is not in yet
    g.end_update(u);
  });
  ASSERT_TRUE(g.enter(w));
  EXPECT_EQ(g.state(), GuardState::working);
  EXPECT_EQ(g.stats().worker_waits, 1u);
  g.exit(w);
}

TEST(WorkerUpdateGuard, UpdatersSerialize) {
  RecordingPlatform p;
  Guard g(p);
  Ctx u1{1}, u2{2};
  std::vector<std::string> order;
  ASSERT_TRUE(g.begin_update(u1));
  order.push_back("u1 in");
  p.script([&] {
    order.push_back("u1 out");
    g.end_update(u1);
  });
  ASSERT_TRUE(g.begin_update(u2));
  order.push_back("u2 in");
  g.end_update(u2);
  EXPECT_EQ(order, (std::vector<std::string>{"u1 in", "u1 out", "u2 in"}));
  EXPECT_EQ(g.stats().updates, 2u);
}

TEST(WorkerUpdateGuard, DestroyRefusesEveryoneAndWakesWaiters) {
  RecordingPlatform p;
  std::uint64_t retriggered = 0;
  Guard g(p, [&](Ctx&, std::uint64_t n) { retriggered += n; });
  Ctx w{1}, u{2}, dpc{3}, u2{4};
  ASSERT_TRUE(g.begin_update(u));
  EXPECT_FALSE(g.try_enter(dpc));
  // A worker and a second updater block during the teardown update and fail when it ends.
  p.script([&] {
    p.script([&] { g.end_update(u, UpdateEnd::destroy); });
    EXPECT_FALSE(g.begin_update(u2));
  });
  EXPECT_FALSE(g.enter(w));
  EXPECT_EQ(g.state(), GuardState::destroyed);
  EXPECT_EQ(retriggered, 1u);  // the deferred worker learns of the teardown
  EXPECT_FALSE(g.enter(w));
  EXPECT_FALSE(g.try_enter(dpc));
  EXPECT_FALSE(g.begin_update(u));
  EXPECT_FALSE(g.destroy(u, [] { FAIL() << "teardown ran twice"; }));
  EXPECT_EQ(g.active(), 0u);
  EXPECT_EQ(p.locks_held(), 0);
}

TEST(WorkerUpdateGuard, EnterExitTouchOneLineAFewTimes) {
  RecordingPlatform p;
  Guard g(p);
  Ctx w{1};
  p.reset_counts();
  ASSERT_TRUE(g.enter(w));
  g.exit(w);
  // One short critical section each: lock, load, store, unlock -- all on the lock's line.
  EXPECT_EQ(p.total(&RecordingPlatform::Counts::locks), 2u);
  EXPECT_EQ(p.total(&RecordingPlatform::Counts::unlocks), 2u);
  EXPECT_EQ(p.total(&RecordingPlatform::Counts::loads), 2u);
  EXPECT_EQ(p.total(&RecordingPlatform::Counts::stores), 2u);
  EXPECT_EQ(p.total(&RecordingPlatform::Counts::rmws), 0u);
  EXPECT_EQ(p.total(&RecordingPlatform::Counts::notifies), 0u);
  EXPECT_EQ(p.lines_touched().size(), 1u);
  EXPECT_GT(p.cycles(1), 0u);  // bookkeeping charged through cost()
}

TEST(WorkerUpdateGuard, AccessesCarryTheCallersContext) {
  RecordingPlatform p;
  Guard g(p);
  Ctx w{7};
  p.reset_counts();
  ASSERT_TRUE(g.enter(w));
  g.exit(w);
  EXPECT_EQ(p.cpus_seen(), std::set<int>{7});
}

TEST(WorkerUpdateGuard, CountsEveryOperation) {
  RecordingPlatform p;
  Guard g(p);
  Ctx w{1}, u{2};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(g.enter(w));
    g.exit(w);
  }
  ASSERT_TRUE(g.try_enter(w));
  g.exit(w);
  ASSERT_TRUE(g.update(u, [] {}));
  const SyncStats s = g.stats();
  EXPECT_EQ(s.enters, 4u);
  EXPECT_EQ(s.exits, 4u);
  EXPECT_EQ(s.updates, 1u);
  EXPECT_EQ(s.busy_returns, 0u);
  EXPECT_EQ(s.worker_waits, 0u);
  EXPECT_EQ(s.drain_waits, 0u);
}

}  // namespace
}  // namespace hcasim::sync
