// The completion service natively, for every SyncKind: delivery to the owner's callback and
// drops of unmonitored WQs, the budget and the round-robin cursor, the CQ set as updates, the
// stop-monitoring guarantee, the arm race forced on purpose, a claim miss handed over to the
// holder, a try_check deferred by a running update and re-triggered for exactly its CQ, and
// shutdown waking a sleeper.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "host_os/cq_manager/completion_service.hpp"
#include "host_os/sync/native_platform.hpp"
#include "tests/unit/cq_manager/fake_backend.hpp"

namespace hcasim::cq {
namespace {

using sync::NativePlatform;
using sync::SyncKind;
using testing::Entry;
using testing::FakeBackend;
using testing::ReportingFakeBackend;
using Ctx = NativePlatform::Context;
using Service = CompletionService<NativePlatform, FakeBackend>;
using Outcome = TryCheckResult::Outcome;

Entry entry(std::uint32_t wq, Direction dir, std::uint64_t id) {
  Entry e;
  e.wq = wq;
  e.dir = dir;
  e.id = id;
  return e;
}

// A service over `cqs` CQs (all added), recording every delivery and every requeue.
struct Rig {
  NativePlatform platform;
  FakeBackend backend;
  std::vector<Entry> delivered;
  std::vector<std::uint32_t> requeued;
  Service service;
  Ctx c;

  Rig(SyncKind kind, unsigned cqs)
      : backend(cqs),
        service(platform, backend, kind, CompletionServiceConfig{16, 8, 0},
                [this](Ctx&, std::uint32_t cq) { requeued.push_back(cq); }) {
    for (std::uint32_t q = 0; q < cqs; ++q) EXPECT_TRUE(service.add_cq(c, q));
  }
  Service::Callback recorder() {
    return [this](Ctx&, const Entry& e) { delivered.push_back(e); };
  }
};

class CompletionServiceTest : public ::testing::TestWithParam<SyncKind> {};

TEST_P(CompletionServiceTest, DeliversToTheOwnersCallbackAndDropsUnmonitoredWqs) {
  Rig r(GetParam(), 2);
  std::map<std::pair<std::uint32_t, Direction>, int> calls;
  auto count = [&](std::uint32_t wq, Direction d) {
    return [&calls, wq, d](Ctx&, const Entry& e) {
      EXPECT_EQ(e.wq, wq);
      EXPECT_EQ(e.dir, d);
      ++calls[{wq, d}];
    };
  };
  EXPECT_TRUE(r.service.monitor(r.c, 1, Direction::outbound, count(1, Direction::outbound)));
  EXPECT_TRUE(r.service.monitor(r.c, 1, Direction::inbound, count(1, Direction::inbound)));
  EXPECT_TRUE(r.service.monitor(r.c, 2, Direction::outbound, count(2, Direction::outbound)));
  EXPECT_FALSE(r.service.monitor(r.c, 2, Direction::outbound, count(9, Direction::inbound)));
  r.backend.push(0, entry(1, Direction::outbound, 1));
  r.backend.push(1, entry(1, Direction::inbound, 2));
  r.backend.push(0, entry(2, Direction::outbound, 3));
  r.backend.push(1, entry(2, Direction::inbound, 4));   // WQ 2 inbound: not monitored
  r.backend.push(0, entry(3, Direction::outbound, 5));  // WQ 3: not monitored
  EXPECT_EQ(r.service.check(r.c, 16), 5u);
  EXPECT_EQ((calls[{1, Direction::outbound}]), 1);
  EXPECT_EQ((calls[{1, Direction::inbound}]), 1);
  EXPECT_EQ((calls[{2, Direction::outbound}]), 1);
  EXPECT_EQ(calls.size(), 3u);
  EXPECT_EQ(r.service.check(r.c, 16), 0u);
  const CompletionStats s = r.service.stats();
  EXPECT_EQ(s.checks, 2u);
  EXPECT_EQ(s.completions, 3u);
  EXPECT_EQ(s.dropped, 2u);
  EXPECT_EQ(s.empty_checks, 1u);
  EXPECT_EQ(s.claim_misses, 0u);
  EXPECT_EQ(s.updates, 2u + 4u);  // two add_cq, four monitors (the refused one is an update too)
  EXPECT_EQ(r.service.monitored(Direction::outbound), 2u);
  EXPECT_EQ(r.service.monitored(Direction::inbound), 1u);
}

TEST_P(CompletionServiceTest, BudgetPerCqAndEachCheckStartsOneCqFurther) {
  Rig r(GetParam(), 3);
  ASSERT_TRUE(r.service.monitor(r.c, 7, Direction::inbound, r.recorder()));
  for (std::uint32_t q = 0; q < 3; ++q)
    for (int i = 0; i < 20; ++i) r.backend.push(q, entry(7, Direction::inbound, q * 100 + i));
  for (unsigned k = 0; k < 3; ++k) {
    r.delivered.clear();
    EXPECT_EQ(r.service.check(r.c, 4), 12u);
    ASSERT_EQ(r.delivered.size(), 12u);
    // 4 from each CQ, in CQ order, the first CQ moving on by one per check.
    for (unsigned i = 0; i < 12; ++i) EXPECT_EQ(r.delivered[i].cq, (k + i / 4) % 3) << k << i;
  }
  for (std::uint32_t q = 0; q < 3; ++q) EXPECT_EQ(r.backend.waiting(q), 20u - 3u * 4u);
  EXPECT_EQ(r.service.check(r.c, 100), 24u);
}

TEST_P(CompletionServiceTest, CqSetChangesAreUpdates) {
  Rig r(GetParam(), 2);
  ASSERT_TRUE(r.service.monitor(r.c, 1, Direction::outbound, r.recorder()));
  EXPECT_FALSE(r.service.add_cq(r.c, 1));
  EXPECT_TRUE(r.service.remove_cq(r.c, 0));
  EXPECT_FALSE(r.service.remove_cq(r.c, 0));
  EXPECT_EQ(r.service.cq_count(), 1u);
  r.backend.push(0, entry(1, Direction::outbound, 1));
  r.backend.push(1, entry(1, Direction::outbound, 2));
  EXPECT_EQ(r.service.check(r.c, 16), 1u);  // CQ 0 is no longer walked
  EXPECT_EQ(r.backend.waiting(0), 1u);
  EXPECT_EQ(r.service.check_one(r.c, 0, 16), 0u);
  int resized = 0;
  EXPECT_TRUE(r.service.resize_cq(r.c, 1, [&] { ++resized; }));
  EXPECT_FALSE(r.service.resize_cq(r.c, 0, [&] { ++resized; }));
  EXPECT_EQ(resized, 1);
  EXPECT_TRUE(r.service.add_cq(r.c, 0));
  EXPECT_EQ(r.service.check_one(r.c, 0, 16), 1u);
  EXPECT_THROW(r.service.add_cq(r.c, 16), std::out_of_range);
  EXPECT_THROW(r.service.check_one(r.c, 99, 1), std::out_of_range);
}

TEST_P(CompletionServiceTest, AfterStopMonitoringReturnsNoCallbackRunsForThatWq) {
  Rig r(GetParam(), 1);
  std::atomic<bool> stopped{false};
  std::atomic<int> late{0}, calls{0};
  ASSERT_TRUE(r.service.monitor(r.c, 4, Direction::outbound, [&](Ctx&, const Entry&) {
    if (stopped.load()) late.fetch_add(1);
    calls.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::microseconds(50));  // a slow owner
  }));
  // A checker thread keeps reaping while a producer keeps pushing; stop lands in the middle.
  std::atomic<bool> done{false};
  std::thread checker([&] {
    Ctx c;
    while (!done.load()) {
      r.service.check(c, 4);
      std::this_thread::yield();  // between checks: the global lock is unfair to its updater
    }
  });
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < 2000; ++i) {
      r.backend.push(0, entry(4, Direction::outbound, i));
      if (i % 16 == 0) std::this_thread::yield();
    }
  });
  while (calls.load() < 20) std::this_thread::yield();
  EXPECT_TRUE(r.service.stop_monitoring(r.c, 4, Direction::outbound));
  stopped.store(true);
  producer.join();
  done.store(true);
  checker.join();
  while (r.service.check(r.c, 64) != 0) {
  }
  EXPECT_EQ(late.load(), 0);
  EXPECT_FALSE(r.service.stop_monitoring(r.c, 4, Direction::outbound));
  const CompletionStats s = r.service.stats();
  EXPECT_EQ(s.completions, static_cast<std::uint64_t>(calls.load()));
  EXPECT_EQ(s.completions + s.dropped, 2000u);
  EXPECT_GT(s.dropped, 0u);
}

// arm_and_wait's race, forced: an entry lands after the last poll and before the arm, so no
// notification comes for it. Checking once more after arming finds it; sleeping would not.
template <class Backend>
void arm_race_is_closed(SyncKind kind) {
  NativePlatform platform;
  Backend backend(2);
  CompletionService<NativePlatform, Backend> service(platform, backend, kind);
  Ctx c;
  ASSERT_TRUE(service.add_cq(c, 0));
  ASSERT_TRUE(service.add_cq(c, 1));
  int delivered = 0;
  ASSERT_TRUE(service.monitor(c, 3, Direction::inbound, [&](Ctx&, const Entry&) { ++delivered; }));
  int slipped = 0;
  backend.before_arm = [&](std::uint32_t cq) {
    if (cq == 1 && slipped++ == 0) backend.push(1, entry(3, Direction::inbound, 42));
  };
  EXPECT_EQ(service.arm_and_wait(c, 8), 1u);  // would hang if it slept
  EXPECT_EQ(delivered, 1);
  EXPECT_EQ(backend.events(), 0u);  // the slipped entry raised no notification
  const CompletionStats s = service.stats();
  EXPECT_EQ(s.sleeps, 0u);
  EXPECT_EQ(s.arms, 2u);
  EXPECT_EQ(s.missed_events, Backend::kReportsMissedEvents ? 1u : 0u);
  EXPECT_EQ(s.checks, 2u);  // the empty check, and the one after arming
  EXPECT_TRUE(backend.armed(0));
  EXPECT_TRUE(backend.armed(1));
}

TEST_P(CompletionServiceTest, ArmRaceForcedWithoutMissedEventReports) {
  arm_race_is_closed<FakeBackend>(GetParam());
}

TEST_P(CompletionServiceTest, ArmRaceForcedWithMissedEventReports) {
  arm_race_is_closed<ReportingFakeBackend>(GetParam());
}

TEST_P(CompletionServiceTest, ArmedWaitSleepsUntilTheNotificationAndReturnsTheEntry) {
  Rig r(GetParam(), 2);
  ASSERT_TRUE(r.service.monitor(r.c, 5, Direction::outbound, r.recorder()));
  r.backend.on_event = [&](std::uint32_t cq) {
    Ctx kernel;
    r.service.notify_completion(kernel, cq);
  };
  std::promise<unsigned> result;
  std::thread waiter([&] {
    Ctx c;
    result.set_value(r.service.arm_and_wait(c, 8));
  });
  // Push only once the waiter has armed both CQs (the event then wakes it).
  while (!(r.backend.armed(0) && r.backend.armed(1))) std::this_thread::yield();
  r.backend.push(1, entry(5, Direction::outbound, 9));
  waiter.join();
  EXPECT_EQ(result.get_future().get(), 1u);
  ASSERT_EQ(r.delivered.size(), 1u);
  EXPECT_EQ(r.delivered[0].id, 9u);
  const CompletionStats s = r.service.stats();
  EXPECT_EQ(s.notifies, 1u);
  EXPECT_EQ(s.wakes, s.sleeps);
  EXPECT_LE(s.sleeps, 1u);  // 0 if the entry beat the second check
}

TEST_P(CompletionServiceTest, ShutdownWakesASleeperAndRefusesEverything) {
  Rig r(GetParam(), 1);
  std::promise<unsigned> result;
  std::thread waiter([&] {
    Ctx c;
    result.set_value(r.service.arm_and_wait(c, 8));
  });
  while (!r.backend.armed(0)) std::this_thread::yield();
  r.service.shutdown(r.c);
  waiter.join();
  EXPECT_EQ(result.get_future().get(), 0u);
  EXPECT_EQ(r.service.check(r.c, 8), 0u);
  EXPECT_FALSE(r.service.monitor(r.c, 1, Direction::inbound, r.recorder()));
  EXPECT_FALSE(r.service.add_cq(r.c, 0));
  EXPECT_EQ(r.service.try_check(r.c, 0, 8).outcome, Outcome::destroyed);
  EXPECT_EQ(r.service.cq_count(), 0u);
}

TEST_P(CompletionServiceTest, TryCheckDrainsThenRearmsOrRequeuesWhenTheBudgetIsUsed) {
  Rig r(GetParam(), 2);
  ASSERT_TRUE(r.service.monitor(r.c, 1, Direction::inbound, r.recorder()));
  for (int i = 0; i < 5; ++i) r.backend.push(1, entry(1, Direction::inbound, i));
  TryCheckResult t = r.service.try_check(r.c, 1, 4);
  EXPECT_EQ(t.outcome, Outcome::checked);
  EXPECT_EQ(t.processed, 4u);
  EXPECT_EQ(r.requeued, std::vector<std::uint32_t>{1});  // more may wait: run again, not armed
  EXPECT_FALSE(r.backend.armed(1));
  t = r.service.try_check(r.c, 1, 4);
  EXPECT_EQ(t.processed, 1u);
  EXPECT_TRUE(r.backend.armed(1));  // ran empty: re-armed (then polled once more)
  EXPECT_EQ(r.requeued.size(), 1u);
  EXPECT_FALSE(r.backend.armed(0));  // only its own CQ
  const CompletionStats s = r.service.stats();
  EXPECT_EQ(s.budget_requeues, 1u);
  EXPECT_EQ(s.arms, 1u);
  EXPECT_EQ(s.deferrals, 0u);
}

// A DPC's try_check arrives while an update runs: it defers, the update's end requeues exactly
// that CQ (once, however many times it deferred), and the requeued check reaps it.
TEST_P(CompletionServiceTest, DeferredTryCheckIsRetriggeredForExactlyItsCq) {
  if (GetParam() == SyncKind::global_lock)
    GTEST_SKIP() << "the global lock never defers: try_enter spins like every other caller";
  Rig r(GetParam(), 6);
  ASSERT_TRUE(r.service.monitor(r.c, 2, Direction::outbound, r.recorder()));
  r.backend.push(3, entry(2, Direction::outbound, 30));
  r.backend.push(5, entry(2, Direction::outbound, 50));
  std::promise<void> inside, go;
  std::thread updater([&] {
    Ctx c;
    r.service.update(c, [&] {
      inside.set_value();
      go.get_future().wait();
    });
  });
  inside.get_future().wait();
  std::thread dpc([&] {
    Ctx kernel;
    EXPECT_EQ(r.service.try_check(kernel, 3, 16).outcome, Outcome::deferred);
    EXPECT_EQ(r.service.try_check(kernel, 3, 16).outcome, Outcome::deferred);
  });
  dpc.join();
  EXPECT_TRUE(r.requeued.empty());  // nothing runs during the update
  EXPECT_EQ(r.backend.waiting(3), 1u);
  go.set_value();
  updater.join();
  EXPECT_EQ(r.requeued, std::vector<std::uint32_t>{3});
  const TryCheckResult t = r.service.try_check(r.c, 3, 16);
  EXPECT_EQ(t.outcome, Outcome::checked);
  EXPECT_EQ(t.processed, 1u);
  ASSERT_EQ(r.delivered.size(), 1u);
  EXPECT_EQ(r.delivered[0].id, 30u);
  EXPECT_EQ(r.backend.waiting(5), 1u);  // the CQ that did not defer was not run
  const CompletionStats s = r.service.stats();
  EXPECT_EQ(s.deferrals, 2u);
  EXPECT_EQ(s.retriggers, 1u);
  EXPECT_GE(r.service.guard().stats().busy_returns, 2u);
}

// A checker that finds a CQ claimed hands its visit to the holder, which polls once more:
// the entry that landed meanwhile is reaped in the same check, by the holder.
TEST_P(CompletionServiceTest, ClaimMissIsHandedToTheHolder) {
  if (GetParam() == SyncKind::global_lock)
    GTEST_SKIP() << "under the global lock a second checker cannot enter while one is inside";
  Rig r(GetParam(), 1);
  ASSERT_TRUE(r.service.monitor(r.c, 1, Direction::outbound, r.recorder()));
  r.backend.push(0, entry(1, Direction::outbound, 1));
  unsigned other = 99;
  bool once = false;
  r.backend.during_poll = [&](std::uint32_t) {
    if (once) return;
    once = true;
    r.backend.push(0, entry(1, Direction::outbound, 2));  // lands after the holder's poll
    std::thread second([&] {
      Ctx c;
      other = r.service.check(c, 16);  // the CQ is claimed: misses, hands over
    });
    second.join();
  };
  EXPECT_EQ(r.service.check(r.c, 16), 2u);
  EXPECT_EQ(other, 0u);
  ASSERT_EQ(r.delivered.size(), 2u);
  EXPECT_EQ(r.delivered[1].id, 2u);
  const CompletionStats s = r.service.stats();
  EXPECT_EQ(s.claim_misses, 1u);
  EXPECT_EQ(s.handovers, 1u);
  EXPECT_EQ(r.backend.overlaps(), 0u);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, CompletionServiceTest, ::testing::ValuesIn(sync::kAllSyncKinds),
                         [](const auto& info) { return std::string(sync::to_string(info.param)); });

}  // namespace
}  // namespace hcasim::cq
