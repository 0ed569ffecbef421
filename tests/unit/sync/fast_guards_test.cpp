// Deterministic tests of the two guards whose workers enter without the small lock -- the
// algorithm's single-atomic-word form and the per-CPU baseline -- on the recording platform:
// the state machine (the same script for both), then what each costs per enter/exit.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host_os/sync/atomic_worker_update_guard.hpp"
#include "host_os/sync/percpu_guard.hpp"
#include "tests/unit/sync/recording_platform.hpp"

namespace hcasim::sync {
namespace {

using testing::RecordingPlatform;
using Ctx = RecordingPlatform::Context;
using Counts = RecordingPlatform::Counts;

template <class G>
class FastGuard : public ::testing::Test {};
using FastGuards =
    ::testing::Types<AtomicWorkerUpdateGuard<RecordingPlatform>, PerCpuGuard<RecordingPlatform>>;
TYPED_TEST_SUITE(FastGuard, FastGuards);

TYPED_TEST(FastGuard, WalksIdleWorkingDrainingUpdatingIdle) {
  RecordingPlatform p;
  TypeParam g(p);
  Ctx w{1}, u{2};
  std::vector<GuardState> seen{g.state()};
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
  EXPECT_EQ(seen,
            (std::vector<GuardState>{GuardState::idle, GuardState::working, GuardState::draining,
                                     GuardState::updating, GuardState::idle}));
  EXPECT_EQ(p.script_left(), 0u);
  EXPECT_EQ(p.locks_held(), 0);
}

TYPED_TEST(FastGuard, UpdateWithNobodyInsideDoesNotWait) {
  RecordingPlatform p;
  TypeParam g(p);
  Ctx w{1}, u{2};
  ASSERT_TRUE(g.enter(w));
  g.exit(w);
  ASSERT_TRUE(g.begin_update(u));  // no scripted step: blocking would throw
  EXPECT_EQ(g.state(), GuardState::updating);
  g.end_update(u);
  EXPECT_EQ(g.stats().drain_waits, 0u);
}

TYPED_TEST(FastGuard, TryEnterIsBusyWhileUpdatePendingAndTheUpdateRetriggers) {
  RecordingPlatform p;
  std::vector<std::uint64_t> retriggers;
  TypeParam g(p, [&](Ctx& c, std::uint64_t n) {
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
  EXPECT_FALSE(g.try_enter(w));
  EXPECT_EQ(g.active(), 0u);  // the refused arrivals took themselves back out
  EXPECT_TRUE(retriggers.empty());
  EXPECT_EQ(g.end_update(u), 3u);
  EXPECT_EQ(retriggers, std::vector<std::uint64_t>{3});
  ASSERT_TRUE(g.try_enter(dpc));
  g.exit(dpc);
  ASSERT_TRUE(g.update(u, [] {}));
  EXPECT_EQ(retriggers.size(), 1u);  // the next update has nothing to report
  const SyncStats s = g.stats();
  EXPECT_EQ(s.busy_returns, 3u);
  EXPECT_EQ(s.enters, 2u);  // refused arrivals are not enters
  EXPECT_EQ(s.exits, 2u);
}

TYPED_TEST(FastGuard, UpdateWaitsForTheLastExit) {
  RecordingPlatform p;
  TypeParam g(p);
  Ctx w1{1}, w2{2}, u{3};
  ASSERT_TRUE(g.enter(w1));
  ASSERT_TRUE(g.enter(w2));
  bool updated = false;
  p.script([&] { g.exit(w1); });
  p.script([&] {
    EXPECT_EQ(g.state(), GuardState::draining);  // one worker still inside
    EXPECT_EQ(g.active(), 1u);
    g.exit(w2);
  });
  ASSERT_TRUE(g.update(u, [&] {
    updated = true;
    EXPECT_EQ(g.active(), 0u);
  }));
  EXPECT_TRUE(updated);
  EXPECT_EQ(p.script_left(), 0u);
  EXPECT_EQ(g.stats().drain_waits, 1u);
}

TYPED_TEST(FastGuard, EnterWaitsForTheUpdateToEnd) {
  RecordingPlatform p;
  TypeParam g(p);
  Ctx w{1}, u{2};
  ASSERT_TRUE(g.begin_update(u));
  p.script([&] {
    EXPECT_EQ(g.active(), 0u);  // the worker backed out and sleeps
    EXPECT_EQ(g.state(), GuardState::updating);
    g.end_update(u);
  });
  ASSERT_TRUE(g.enter(w));
  EXPECT_EQ(g.state(), GuardState::working);
  EXPECT_EQ(g.stats().worker_waits, 1u);
  EXPECT_EQ(g.stats().enters, 1u);
  g.exit(w);
}

TYPED_TEST(FastGuard, UpdatersSerialize) {
  RecordingPlatform p;
  TypeParam g(p);
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

TYPED_TEST(FastGuard, DestroyRefusesEveryoneAndWakesWaiters) {
  RecordingPlatform p;
  std::uint64_t retriggered = 0;
  TypeParam g(p, [&](Ctx&, std::uint64_t n) { retriggered += n; });
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

// ---- what each costs ---------------------------------------------------------------------

using AtomicGuard = AtomicWorkerUpdateGuard<RecordingPlatform>;

TEST(AtomicWorkerUpdateGuard, EnterAndExitAreOneAtomicEachOnOneLineAndNoLock) {
  RecordingPlatform p;
  AtomicGuard g(p);
  Ctx w1{1}, w2{2};
  p.reset_counts();
  ASSERT_TRUE(g.enter(w1));
  ASSERT_TRUE(g.enter(w2));
  g.exit(w1);
  g.exit(w2);
  EXPECT_EQ(p.total(&Counts::rmws), 4u);
  EXPECT_EQ(p.word_accesses(), 4u);
  EXPECT_EQ(p.total(&Counts::locks), 0u);
  EXPECT_EQ(p.total(&Counts::notifies), 0u);
  EXPECT_EQ(p.lines_touched().size(), 1u);  // the state word's line, shared by every worker
}

TEST(AtomicWorkerUpdateGuard, OnlyTheLastWorkerOutTakesTheLockToHandOver) {
  RecordingPlatform p;
  AtomicGuard g(p);
  Ctx w1{1}, w2{2}, u{3};
  ASSERT_TRUE(g.enter(w1));
  ASSERT_TRUE(g.enter(w2));
  std::uint64_t locks_by_first = 0, locks_by_last = 0;
  p.script([&] {
    const std::uint64_t before = p.total(&Counts::locks);
    g.exit(w1);  // not the last: one atomic, no lock
    locks_by_first = p.total(&Counts::locks) - before;
  });
  p.script([&] {
    const std::uint64_t before = p.total(&Counts::locks);
    g.exit(w2);
    locks_by_last = p.total(&Counts::locks) - before;
  });
  ASSERT_TRUE(g.begin_update(u));
  EXPECT_EQ(locks_by_first, 0u);
  EXPECT_EQ(locks_by_last, 1u);
  g.end_update(u);
}

TEST(AtomicWorkerUpdateGuard, CountsEveryOperation) {
  RecordingPlatform p;
  AtomicGuard g(p);
  Ctx w{1}, u{2};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(g.enter(w));
    g.exit(w);
  }
  ASSERT_TRUE(g.try_enter(w));
  EXPECT_EQ(g.stats().exits, 3u);
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

using PerCpu = PerCpuGuard<RecordingPlatform>;

TEST(PerCpuGuard, WorkersTouchOnlyTheirOwnSlotAndAReadOfTheFlag) {
  RecordingPlatform p;
  PerCpu g(p);
  EXPECT_EQ(g.slot_count(), RecordingPlatform::kSlots);
  Ctx w1{1}, w2{2};
  p.reset_counts();
  ASSERT_TRUE(g.enter(w1));
  g.exit(w1);
  const auto lines_one = p.lines_touched();
  EXPECT_EQ(lines_one.size(), 2u);  // its slot and the flag
  EXPECT_EQ(p.total(&Counts::rmws), 2u);
  EXPECT_EQ(p.total(&Counts::loads), 2u);
  EXPECT_EQ(p.total(&Counts::stores), 0u);
  EXPECT_EQ(p.total(&Counts::locks), 0u);
  ASSERT_TRUE(g.enter(w2));
  g.exit(w2);
  EXPECT_EQ(p.lines_touched().size(), 3u);  // + w2's own slot; the flag line is common
  EXPECT_EQ(p.total(&Counts::stores), 0u);  // nobody writes a line another worker uses
}

TEST(PerCpuGuard, TheUpdaterReadsEverySlot) {
  RecordingPlatform p;
  PerCpu g(p);
  Ctx u{1};
  p.reset_counts();
  ASSERT_TRUE(g.begin_update(u));
  // The flag read under the lock, then one read per slot.
  EXPECT_EQ(p.total(&Counts::loads), 1u + RecordingPlatform::kSlots);
  g.end_update(u);
}

TEST(PerCpuGuard, WorkersSharingASlotCountTheirMarks) {
  RecordingPlatform p;
  PerCpu g(p);
  Ctx a{1}, b{1 + static_cast<int>(RecordingPlatform::kSlots)}, u{2};  // the same slot
  ASSERT_TRUE(g.enter(a));
  ASSERT_TRUE(g.enter(b));
  EXPECT_EQ(g.active(), 2u);
  p.script([&] { g.exit(a); });
  p.script([&] {
    EXPECT_EQ(g.state(), GuardState::draining);
    g.exit(b);
  });
  ASSERT_TRUE(g.begin_update(u));
  EXPECT_EQ(g.state(), GuardState::updating);
  g.end_update(u);
}

// A platform without slots gets one slot every caller shares (platform.hpp): still correct.
struct Slotless {
  struct Context {};
};
TEST(PlatformSlots, APlatformWithoutSlotsHasOneSharedSlot) {
  const Slotless s;
  const Slotless::Context c;
  EXPECT_EQ(slot_count_of(s), 1u);
  EXPECT_EQ(slot_of(s, c), 0u);
  RecordingPlatform p;
  EXPECT_EQ(slot_count_of(p), RecordingPlatform::kSlots);
  EXPECT_EQ(slot_of(p, Ctx{static_cast<int>(RecordingPlatform::kSlots) + 3}), 3u);
}

}  // namespace
}  // namespace hcasim::sync
