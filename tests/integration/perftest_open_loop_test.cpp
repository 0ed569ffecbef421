// Open-loop load: at low offered load each operation sees the unloaded latency; near capacity
// queueing delay appears, of the size queueing theory gives for Poisson arrivals at a
// deterministic server (M/D/1); a full send queue makes arrivals wait and is counted.
// Capacity comes from the parameters: 64 KiB SENDs are bound by the link (its goodput is below
// both PCIe directions' with the default configuration; the test checks that it is).
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include <algorithm>

#include "models/core/lookahead.hpp"
#include "perftest_test_support.hpp"
#include "workloads/open_loop.hpp"

namespace hcasim {
namespace {

using perftest_test::Scenario;

constexpr std::uint32_t kSize = 65536;

struct LoadRun {
  Scenario run;
  std::unique_ptr<System> system;
  std::unique_ptr<OpenLoop> load;
  double service_ns = 0;  // the bottleneck stage's time for one message

  // `ticks`: the host's timer tick; off where every operation is compared (max - min).
  LoadRun(const std::string& arrival, double share_of_capacity, std::uint32_t count,
          std::uint32_t depth = 128, bool ticks = true) {
    if (!ticks) run.set("host.tick_hz", "0");
    run.set("load.op", "send");
    run.set("load.size", std::to_string(kSize));
    run.set("load.arrival", arrival);
    run.set("load.count", std::to_string(count));
    run.set("load.warmup", "20");
    run.set("load.depth", std::to_string(depth));
    system = std::make_unique<System>(run.values, nullptr);  // reads no load.* parameter
    const System* s = system.get();
    // The narrowest stage (B/ns): with the defaults, the payload's DMA read at the sender.
    const double goodput = std::min({perftest_test::link_goodput(s->link_params, kSize),
                                     perftest_test::pcie_read_goodput(s->pcie_params),
                                     perftest_test::pcie_write_goodput(s->pcie_params)});
    service_ns = kSize / goodput;
    const double capacity = 1e9 / service_ns;  // ops/s
    run.set("load.rate", std::to_string(share_of_capacity * capacity));
    load = std::make_unique<OpenLoop>("load", *system, run.values.load<LoadParams>(), 7, nullptr);
    hcasim::Lookahead::run();
  }
  const LogLinearHistogram& latency() const { return load->ops().latency_ps; }
  double capacity() const { return 1e9 / service_ns; }
};

TEST(OpenLoop, AtLowLoadOperationsSeeTheUnloadedLatency) {
  LoadRun r("poisson", 0.1, 1000);
  ASSERT_TRUE(r.load->finished());
  ASSERT_EQ(r.load->errors(), 0u);
  EXPECT_EQ(r.load->ops().count, 1000u);
  EXPECT_EQ(r.load->sq_full_waits(), 0u);
  const double min = static_cast<double>(r.latency().min());
  // M/D/1 at rho = 0.1: 90 % of arrivals find the link idle, so the median is the unloaded
  // latency (within the histogram's 0.4 %); the mean wait is rho*S/(2(1-rho)) = 0.056 S,
  // about 5 % of the unloaded latency here; 10 % allows for the pipeline's other stages.
  EXPECT_LE(static_cast<double>(r.latency().quantile(0.5)), min * 1.01);
  EXPECT_LE(r.latency().mean(), min * 1.10);
  // 1000 Poisson arrivals: the achieved rate is the offered one within a few percent.
  EXPECT_NEAR(r.load->achieved_rate(), 0.1 * r.capacity(), 0.1 * 0.1 * r.capacity());
}

TEST(OpenLoop, NearCapacityQueueingRaisesTheMeanLatency) {
  LoadRun r("poisson", 0.9, 3000);
  ASSERT_TRUE(r.load->finished());
  ASSERT_EQ(r.load->errors(), 0u);
  const double min = static_cast<double>(r.latency().min());
  const double rho = 0.9;
  const double wait_md1_ps = rho * r.service_ns * 1000.0 / (2 * (1 - rho));  // 4.5 S
  const double queueing = r.latency().mean() - min;
  // A user sees the mean several times the unloaded latency ...
  EXPECT_GT(r.latency().mean(), 2.0 * min);
  // ... by about what M/D/1 predicts. 3000 arrivals at rho = 0.9 (relaxation time ~100
  // services) leave the sample mean within some tens of percent of the theory; other stages
  // add a little. A factor of two either way still tells queueing from anything else.
  EXPECT_GT(queueing, 0.5 * wait_md1_ps);
  EXPECT_LT(queueing, 2.0 * wait_md1_ps);
  EXPECT_GT(static_cast<double>(r.latency().quantile(0.99)), 3.0 * min);
}

TEST(OpenLoop, FixedArrivalsBelowCapacityNeverQueue) {
  LoadRun r("fixed", 0.5, 300, 128, false);
  ASSERT_TRUE(r.load->finished());
  // D/D/1 below capacity: every operation sees the unloaded latency, up to where the arrival
  // and the completion fall in the poll loop's period (one poll each) and clock edges.
  const Picos poll =
      Clock(r.system->host_params.cpu_ghz * 1000.0).cycles(r.system->host_params.poll_cycles);
  EXPECT_LE(r.latency().max() - r.latency().min(), 2 * poll + 2000);
}

TEST(OpenLoop, AFullSendQueueMakesArrivalsWaitAndIsCounted) {
  LoadRun r("poisson", 2.0, 500, 8);
  ASSERT_TRUE(r.load->finished());
  ASSERT_EQ(r.load->errors(), 0u);
  EXPECT_EQ(r.load->ops().count, 500u);
  EXPECT_GT(r.load->sq_full_waits(), 0u);
  // Overloaded, the link runs flat out: the achieved rate is the capacity (within 3 %: the
  // first and last messages' pipeline fill and drain over 500 messages).
  EXPECT_NEAR(r.load->achieved_rate(), r.capacity(), 0.03 * r.capacity());
  // Waiting arrivals keep their arrival time: latency keeps growing with the backlog.
  EXPECT_GT(static_cast<double>(r.latency().max()), 50.0 * r.service_ns * 1000.0);
  RunReport report;
  r.load->report(report);
  const Metric* waits = perftest_test::find_metric(report, "load.sq_full_waits");
  ASSERT_NE(waits, nullptr);
  EXPECT_EQ(waits->value, static_cast<double>(r.load->sq_full_waits()));
}

TEST(OpenLoop, ClosedLoopOfDepthOneIsTheUnloadedLatency) {
  LoadRun r("closed", 1.0, 200, 1, false);
  ASSERT_TRUE(r.load->finished());
  EXPECT_EQ(r.load->sq_full_waits(), 0u);  // closed loops wait by design; not counted
  const Picos poll =
      Clock(r.system->host_params.cpu_ghz * 1000.0).cycles(r.system->host_params.poll_cycles);
  EXPECT_LE(r.latency().max() - r.latency().min(), poll + 1000);
}

}  // namespace
}  // namespace hcasim
