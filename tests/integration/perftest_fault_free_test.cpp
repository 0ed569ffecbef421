// A fault-free fabric never times out: every bundled perftest scenario (lat_*.ini, bw_*.ini) on
// every adapter generation (presets/*.ini) runs without one transport timeout at either end,
// also where the link, not PCIe, is the narrowest stage and packets queue for link credits
// (the transport timer runs from a packet's time on the wire, not from when it was queued).
// Each case runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "models/core/lookahead.hpp"
#include "models/core/scenario_file.hpp"
#include "perftest_test_support.hpp"
#include "workloads/perftest.hpp"

namespace hcasim {
namespace {

using perftest_test::Scenario;

const std::string kScenarios = std::string(HCASIM_SOURCE_DIR) + "/workloads/scenarios/";

// A bundled scenario with a preset applied over it, cut to the sizes where queues build up.
struct BundledRun {
  Scenario run;
  std::unique_ptr<System> system;
  std::unique_ptr<Perftest> perftest;
  BundledRun(const std::string& scenario, const std::string& preset,
             const std::vector<std::pair<std::string, std::string>>& sets) {
    load_scenario_file(kScenarios + scenario + ".ini", run.values);
    load_scenario_file(kScenarios + "presets/" + preset + ".ini", run.values);
    for (const auto& [key, value] : sets) run.set(key, value);
    system = std::make_unique<System>(run.values, nullptr);
    perftest =
        std::make_unique<Perftest>("perftest", *system, run.values.load<PerftestParams>(), nullptr);
    hcasim::Lookahead::run();
  }
  std::uint64_t timeouts() const {
    return system->host.hca->counters().timeouts + system->iou.hca->counters().timeouts;
  }
};

using Case = std::tuple<std::string, std::string>;  // scenario, preset

class FaultFreeFabric : public ::testing::TestWithParam<Case> {};

TEST_P(FaultFreeFabric, NoTransportTimeouts) {
  const auto& [scenario, preset] = GetParam();
  const bool bw = scenario.rfind("bw_", 0) == 0;
  // Bandwidth: 32 MiB per size keeps tx_depth (128) messages of 256 KiB and more outstanding,
  // queued far longer than ack_timeout behind link credits. Latency: one at a time.
  BundledRun r(scenario, preset,
               {{"perftest.sizes", "4096,65536,1048576"},
                {"perftest.iterations", bw ? "1000" : "20"},
                {"perftest.warmup", bw ? "0" : "2"},
                {"perftest.size_budget_mb", bw ? "64" : "8"}});
  ASSERT_TRUE(r.perftest->finished());
  EXPECT_EQ(r.perftest->errors(), 0u);
  EXPECT_EQ(r.timeouts(), 0u);
  EXPECT_EQ(r.system->host.hca->counters().rnr_naks + r.system->iou.hca->counters().rnr_naks, 0u);
}

INSTANTIATE_TEST_SUITE_P(Bundled, FaultFreeFabric,
                         ::testing::Combine(::testing::Values("lat_send", "lat_write", "lat_read",
                                                              "bw_send", "bw_write", "bw_read"),
                                            ::testing::Values("qdr_pcie2x8", "fdr_pcie3x8",
                                                              "edr_pcie3x16")),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::get<0>(info.param) + "_on_" + std::get<1>(info.param);
                         });

// The report that found it: ib_send_bw at 1 MiB on FDR with PCIe x16, so the link is the
// bottleneck, timed out five times and lost about a fifth of its bandwidth.
TEST(FaultFreeFabricFigures, SendBwAtOneMebibyteBehindTheLinkKeepsTheLinkRate) {
  BundledRun r("bw_send", "fdr_pcie3x8", {{"perftest.sizes", "1048576"}, {"pcie.lanes", "16"}});
  ASSERT_TRUE(r.perftest->finished());
  EXPECT_EQ(r.perftest->errors(), 0u);
  EXPECT_EQ(r.timeouts(), 0u);
  const double link = perftest_test::link_goodput(r.system->link_params, 1048576);
  const double gbps = r.perftest->results().at(0).average_bytes_per_ps() * 1000.0;
  EXPECT_GT(gbps, 0.98 * link);
  EXPECT_LT(gbps, 1.001 * link);
}

}  // namespace
}  // namespace hcasim
