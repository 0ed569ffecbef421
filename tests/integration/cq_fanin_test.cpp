// The host software stack end to end (cq_fanin): many QPs into few CQs, checked by the driver's
// completion service in each mode, with request elements from the message pool. Every send
// posted completes exactly once (its element comes back to the pool, nothing is put twice),
// replies reach their owners, a DPC that meets an update defers and is re-triggered, the pool's
// two modes show their failure behaviour, and a CQ overrun is recovered by a resize.
#include <gtest/gtest.h>

#include "models/core/lookahead.hpp"
#include "workloads/cq_fanin.hpp"
#include "workloads/scenario_params.hpp"

namespace hcasim {
namespace {

struct FaninRun {
  ParamRegistry registry;
  std::unique_ptr<ParamValues> values;
  std::unique_ptr<System> system;
  std::unique_ptr<CqFanin> workload;

  using Sets = std::vector<std::pair<std::string, std::string>>;
  explicit FaninRun(Sets sets) {
    declare_all_params(registry);
    values = std::make_unique<ParamValues>(registry);
    auto set = [&](const std::string& k, const std::string& v) {
      values->set(k, v, ValueOrigin{"test"});
    };
    set("workload.kind", "cq_fanin");
    set("host.cpus", "8");
    set("fanin.qps", "8");
    set("fanin.cqs", "2");
    set("fanin.rate", "2000000");
    set("fanin.duration_us", "300");
    set("fanin.warmup_us", "20");
    for (auto& [k, v] : sets) set(k, v);
    system = std::make_unique<System>(*values, nullptr);
    workload = std::make_unique<CqFanin>("cq_fanin", *system, values->load<CqFaninParams>(),
                                         values->load<HostStackParams>(),
                                         values->load<ScenarioParams>().seed, nullptr);
    hcasim::Lookahead::run();
  }
};

// Whole-run accounting of a drained run: nothing lost, nothing delivered twice.
void expect_every_completion_once(const CqFanin& w) {
  ASSERT_TRUE(w.finished());
  EXPECT_EQ(w.errors(), 0u);  // a double put, a stale element or a failed post would count
  const CqFanin::Summary s = w.summary();
  EXPECT_GT(s.sends_posted, 50u);
  EXPECT_EQ(s.send_callbacks, s.sends_posted);
  EXPECT_EQ(s.sends_outstanding, 0u);
  EXPECT_EQ(s.elements_in_use, 0u);
  EXPECT_EQ(s.elements_held, 0u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(s.completions_lost, 0u);
  EXPECT_EQ(s.reply_callbacks, s.sends_posted);  // each request answered by one reply
  EXPECT_GT(s.requests, 0u);
  EXPECT_EQ(s.registrations, 2u);  // one per pool, not one per message
}

TEST(CqFanin, SingleCheckerDeliversEveryCompletionOnce) {
  FaninRun r(FaninRun::Sets{{"host.cq_manager", "single"}});
  expect_every_completion_once(*r.workload);
  EXPECT_EQ(r.workload->summary().claim_misses, 0u);  // nobody to compete with
}

TEST(CqFanin, SeveralCheckersShareTheCqsWithoutDoubleDelivery) {
  FaninRun r(FaninRun::Sets{{"host.cq_manager", "multi"}, {"fanin.checkers", "3"}});
  expect_every_completion_once(*r.workload);
}

TEST(CqFanin, InterruptDrivenDpcsDeliverEveryCompletionOnce) {
  FaninRun r(FaninRun::Sets{{"host.cq_manager", "dpc"}});
  expect_every_completion_once(*r.workload);
  const CqFanin::Summary s = r.workload->summary();
  EXPECT_GT(s.interrupts, 0u);
  EXPECT_GE(s.dpc_runs, s.interrupts);
}

TEST(CqFanin, DedicatedPollersPerCqDeliverEveryCompletionOnce) {
  FaninRun r(FaninRun::Sets{{"host.cq_manager", "per_cq_poller"}});
  expect_every_completion_once(*r.workload);
}

TEST(CqFanin, ADpcThatMeetsAnUpdateDefersAndIsRetriggered) {
  // Many updates of the service's lists: some CQ interrupts arrive while one runs.
  FaninRun r(FaninRun::Sets{{"host.cq_manager", "dpc"}, {"fanin.update_rate", "200000"}});
  expect_every_completion_once(*r.workload);
  const CqFanin::Summary s = r.workload->summary();
  EXPECT_GT(s.updates, 20u);
  EXPECT_GT(s.deferrals, 0u);
  EXPECT_GT(s.retriggers, 0u);
  EXPECT_LE(s.retriggers, s.deferrals);  // deferrals of one CQ during one update: one requeue
}

TEST(CqFanin, AnUndersizedSyncPoolFailsGetsAtOnce) {
  FaninRun r(FaninRun::Sets{{"host.cq_manager", "multi"},
                            {"host.pool.mode", "sync"},
                            {"host.pool.elements", "2"},
                            {"fanin.rate", "8000000"}});
  expect_every_completion_once(*r.workload);
  const CqFanin::Summary s = r.workload->summary();
  EXPECT_GT(s.failed_gets, 0u);
  EXPECT_EQ(s.pool_waits, 0u);
}

TEST(CqFanin, AnUndersizedAsyncPoolQueuesRequests) {
  FaninRun r(FaninRun::Sets{{"host.cq_manager", "multi"},
                            {"host.pool.mode", "async"},
                            {"host.pool.elements", "2"},
                            {"fanin.rate", "8000000"}});
  expect_every_completion_once(*r.workload);
  const CqFanin::Summary s = r.workload->summary();
  EXPECT_EQ(s.failed_gets, 0u);
  EXPECT_GT(s.pool_waits, 0u);
}

TEST(CqFanin, AnOverrunRaisesACqErrorAndAResizeRecovers) {
  // 16-entry CQs under a heavy load overrun; the adapter reports a CQ error, the driver
  // doubles the CQ through the service's update path, and traffic goes on.
  FaninRun r(FaninRun::Sets{{"host.cq_manager", "single"},
                            {"fanin.cq_entries", "16"},
                            {"fanin.cq_high_water", "0"},
                            {"fanin.rate", "8000000"},
                            {"fanin.duration_us", "400"}});
  const CqFanin::Summary s = r.workload->summary();
  ASSERT_TRUE(r.workload->finished());
  EXPECT_GT(s.completions_lost, 0u);
  EXPECT_GT(s.cq_errors, 0u);
  EXPECT_EQ(s.cq_recoveries, s.cq_errors);  // every error answered by one resize
  EXPECT_GT(s.requests, 0u);
  // A completion lost keeps its element: those are exactly the pool's missing elements.
  EXPECT_EQ(s.elements_in_use, s.sends_posted - s.send_callbacks);
}

TEST(CqFanin, AResizeAtTheHighWaterMarkComesBeforeAnyOverrun) {
  // The same small CQs under a load they can take once doubled: the callbacks see them fill
  // and the driver doubles them in time, so nothing is lost and no CQ error is raised.
  FaninRun r(FaninRun::Sets{{"host.cq_manager", "single"},
                            {"fanin.cq_entries", "64"},
                            {"fanin.cq_high_water", "0.25"},
                            {"fanin.rate", "2000000"}});
  expect_every_completion_once(*r.workload);
  const CqFanin::Summary s = r.workload->summary();
  EXPECT_GT(s.cq_early_resizes, 0u);
  EXPECT_EQ(s.cq_errors, 0u);
  EXPECT_EQ(s.cq_recoveries, 0u);
}

}  // namespace
}  // namespace hcasim
