// The perftest latency tools, checked as a user would check them: send_lat at 2 B is half of
// PingPong's round trip, latency grows with size at the narrowest stage's rate, write_lat
// notices the peer's writes in memory, read_lat reports the whole round trip.
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include "models/core/lookahead.hpp"
#include "perftest_test_support.hpp"
#include "workloads/perftest.hpp"
#include "workloads/pingpong.hpp"

namespace hcasim {
namespace {

using perftest_test::find_op;
using perftest_test::Scenario;

// Host clock on the adapter's 1 ns edges, a one-cycle poll and no completion cost (as in
// pingpong_latency_test): unloaded round trips then vary only by the poll quantum -- and by
// the host's timer tick, which tests that compare every round trip (max, not min) turn off.
void exact_host(Scenario& run) {
  run.set("host.cpu_ghz", "1");
  run.set("host.poll_cycles", "1");
  run.set("host.completion_cycles", "0");
}
void no_tick(Scenario& run) { run.set("host.tick_hz", "0"); }

TEST(PerftestLatency, SendLatAt2BytesIsHalfThePingPongRoundTrip) {
  Scenario run;
  exact_host(run);
  no_tick(run);  // the two loops' ticks would fall in different round trips (max is compared)
  run.set("perftest.test", "send_lat");
  run.set("perftest.sizes", "2");
  run.set("perftest.iterations", "50");
  run.set("perftest.warmup", "5");
  run.set("pingpong.count", "1000000");  // runs until perftest finishes and stops the kernel
  // Two identical systems side by side in one simulation (SystemC renames the second one's
  // modules): PingPong on one, send_lat on the other. They share nothing but simulated time.
  sc_core::sc_report_handler::set_actions(sc_core::SC_ID_INSTANCE_EXISTS_, sc_core::SC_DO_NOTHING);
  System pp_system(run.values, nullptr);
  PingPong pingpong("pingpong", pp_system, run.values.load<PingPongParams>(), nullptr);
  System pt_system(run.values, nullptr);
  Perftest perftest("perftest", pt_system, run.values.load<PerftestParams>(), nullptr);
  hcasim::Lookahead::run();
  ASSERT_TRUE(perftest.finished());
  ASSERT_EQ(perftest.errors(), 0u);
  ASSERT_EQ(pingpong.errors(), 0u);
  RunReport pp, pt;
  pingpong.report(pp);
  perftest.report(pt);
  const OpClassReport* lat = find_op(pt, "send_lat.2");
  ASSERT_NE(lat, nullptr);
  ASSERT_EQ(pp.ops.size(), 1u);
  const LogLinearHistogram& rtt = pp.ops[0].latency_ps;
  ASSERT_GE(rtt.count(), 40u);
  EXPECT_EQ(lat->count, 50u);
  const Picos poll = Clock(1000.0).cycles(1);
  // Both loops do the same steps; the reported half round trip may differ from RTT / 2 only
  // by where the answer falls in the spin loop's period (and the 1 ps of halving).
  EXPECT_NEAR(static_cast<double>(2 * lat->latency_ps.min()), static_cast<double>(rtt.min()),
              static_cast<double>(poll + 1));
  EXPECT_NEAR(static_cast<double>(2 * lat->latency_ps.max()), static_cast<double>(rtt.max()),
              static_cast<double>(poll + 1));
}

TEST(PerftestLatency, LatencyGrowsWithSizeAtTheNarrowestStagesRate) {
  Scenario run;
  exact_host(run);  // ticks stay on: a tick delays single round trips, the minimum is compared
  run.set("perftest.test", "send_lat");
  run.set("perftest.sizes", "2,64,1024,4096,65536,262144,1048576");
  run.set("perftest.iterations", "10");
  run.set("perftest.warmup", "2");
  System system(run.values, nullptr);
  Perftest perftest("perftest", system, run.values.load<PerftestParams>(), nullptr);
  hcasim::Lookahead::run();
  ASSERT_TRUE(perftest.finished());
  ASSERT_EQ(perftest.errors(), 0u);
  const auto& results = perftest.results();
  ASSERT_EQ(results.size(), 7u);
  for (std::size_t i = 1; i < results.size(); ++i)
    EXPECT_GT(results[i].op.latency_ps.min(), results[i - 1].op.latency_ps.min())
        << "size " << results[i].size;
  // Each direction moves the message once through host PCIe (DMA read completions), the link
  // and the far PCIe (DMA writes), packet by packet in a pipeline: for large messages the half
  // round trip grows by 1 / (goodput of the narrowest stage) per byte.
  const double narrowest = std::min({perftest_test::link_goodput(system.link_params, 1 << 20),
                                     perftest_test::pcie_read_goodput(system.pcie_params),
                                     perftest_test::pcie_write_goodput(system.pcie_params)});
  const double expected_ps_per_byte = 1000.0 / narrowest;
  const double measured_ps_per_byte =
      static_cast<double>(results[6].op.latency_ps.min() - results[5].op.latency_ps.min()) /
      static_cast<double>(results[6].size - results[5].size);
  // Fixed costs (doorbell, WQE, first DMA round trip, CQE, poll) cancel in the difference; what
  // is left besides serialization is rounding to 1 ns clock edges per packet (< 0.2 %) and the
  // other stages' fill and drain. 2 % bounds both with room.
  EXPECT_NEAR(measured_ps_per_byte, expected_ps_per_byte, 0.02 * expected_ps_per_byte);
}

TEST(PerftestLatency, WriteLatNoticesThePeersWritesInMemory) {
  Scenario run;
  exact_host(run);
  no_tick(run);  // every round trip is compared (max - min)
  run.set("perftest.test", "write_lat");
  run.set("perftest.sizes", "2,4096,65536");
  run.set("perftest.iterations", "20");
  run.set("perftest.warmup", "3");
  System system(run.values, nullptr);
  Perftest perftest("perftest", system, run.values.load<PerftestParams>(), nullptr);
  hcasim::Lookahead::run();
  ASSERT_TRUE(perftest.finished());  // every round trip's write was seen on both sides
  ASSERT_EQ(perftest.errors(), 0u);
  const auto& results = perftest.results();
  ASSERT_EQ(results.size(), 3u);
  const Picos poll = Clock(1000.0).cycles(1);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const LogLinearHistogram& h = results[i].op.latency_ps;
    EXPECT_EQ(h.count(), 20u);
    // Unloaded: every round trip takes the same time up to the poll quantum.
    EXPECT_LE(h.max() - h.min(), poll) << "size " << results[i].size;
    if (i > 0) {
      EXPECT_GT(h.min(), results[i - 1].op.latency_ps.min());
    }
  }
}

TEST(PerftestLatency, ReadLatReportsTheFullRoundTrip) {
  Scenario run;
  exact_host(run);  // ticks stay on: the minimum is compared
  run.set("perftest.test", "read_lat");
  run.set("perftest.sizes", "2,4096");
  run.set("perftest.iterations", "20");
  run.set("perftest.warmup", "3");
  System system(run.values, nullptr);
  Perftest perftest("perftest", system, run.values.load<PerftestParams>(), nullptr);
  hcasim::Lookahead::run();
  ASSERT_TRUE(perftest.finished());
  ASSERT_EQ(perftest.errors(), 0u);
  const auto& results = perftest.results();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].op.count, 20u);
  // A READ's answer needs at least: the request on the cable, the I/O unit adapter's DMA read
  // across its PCIe link and back plus its memory access, the response on the cable and the
  // completion's DMA write across the host's PCIe link. Half of that would not reach it.
  const PcieParams& pcie = system.pcie_params;
  const Picos floor =
      2 * system.link_params.propagation_ps() + 3 * pcie.latency_ps() + pcie.memory_latency_ps();
  EXPECT_GE(results[0].op.latency_ps.min(), floor);
  EXPECT_GT(results[1].op.latency_ps.min(), results[0].op.latency_ps.min());
}

}  // namespace
}  // namespace hcasim
