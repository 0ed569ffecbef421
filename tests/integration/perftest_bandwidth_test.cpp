// The perftest bandwidth tools reach the goodput of the narrowest stage the payload crosses,
// computed from the link and PCIe parameters, and report peak >= average.
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include "models/core/lookahead.hpp"
#include "perftest_test_support.hpp"
#include "workloads/perftest.hpp"

namespace hcasim {
namespace {

using perftest_test::find_metric;
using perftest_test::Scenario;

// Runs one bandwidth test at 64 KiB and returns its result row.
struct BwRun {
  Scenario run;
  std::unique_ptr<System> system;
  std::unique_ptr<Perftest> perftest;
  explicit BwRun(const std::string& test, const std::string& sizes = "65536") {
    run.set("perftest.test", test);
    run.set("perftest.sizes", sizes);
    run.set("perftest.iterations", "400");
    run.set("perftest.warmup", "0");
    system = std::make_unique<System>(run.values, nullptr);
    perftest =
        std::make_unique<Perftest>("perftest", *system, run.values.load<PerftestParams>(), nullptr);
    hcasim::Lookahead::run();
  }
  double average_gbps(std::size_t i = 0) const {  // GB/s = bytes per ns
    return perftest->results().at(i).average_bytes_per_ps() * 1000.0;
  }
};

// Tolerance of the 64 KiB figures: 400 messages take about 3.9 ms on the wire; the first
// message's fill of the pipeline (about 12 us) costs 0.3 %, rounding to clock edges less.
// 2 % below the bound leaves room for that; above the bound the model must never be.
constexpr double kBelow = 0.02;
constexpr double kAbove = 0.001;

TEST(PerftestBandwidth, WriteBwAt64KiBApproachesTheNarrowestStagesGoodput) {
  BwRun bw("write_bw");
  ASSERT_TRUE(bw.perftest->finished());
  ASSERT_EQ(bw.perftest->errors(), 0u);
  const System& s = *bw.system;
  // Host PCIe carries the payload down as read completions; the link adds the base headers
  // per packet and one RETH per message; the I/O unit's PCIe takes it up as writes.
  const double bound = std::min({perftest_test::link_goodput(s.link_params, 65536, 16),
                                 perftest_test::pcie_read_goodput(s.pcie_params),
                                 perftest_test::pcie_write_goodput(s.pcie_params)});
  EXPECT_GT(bw.average_gbps(), bound * (1 - kBelow));
  EXPECT_LT(bw.average_gbps(), bound * (1 + kAbove));
  const auto& r = bw.perftest->results()[0];
  EXPECT_EQ(r.op.count, 400u);
  EXPECT_EQ(r.op.latency_ps.count(), 400u);  // one post -> completion latency per op
  EXPECT_GE(r.peak_bytes_per_ps, r.average_bytes_per_ps());
  RunReport report;
  bw.perftest->report(report);
  const Metric* avg = find_metric(report, "perftest.write_bw.65536.bw_average");
  ASSERT_NE(avg, nullptr);
  EXPECT_NEAR(avg->value, bw.average_gbps() * 1e9 / (1024.0 * 1024.0), 1e-6 * avg->value);
}

TEST(PerftestBandwidth, SendBwSinkKeepsUpAndReachesTheGoodput) {
  BwRun bw("send_bw", "2,65536");
  ASSERT_TRUE(bw.perftest->finished());
  ASSERT_EQ(bw.perftest->errors(), 0u);
  // The sink reposts every receive at once: no message ever waits for one.
  EXPECT_EQ(bw.system->iou.hca->counters().rnr_naks, 0u);
  EXPECT_EQ(bw.system->iou.hca->counters().messages_rx, 800u);
  const System& s = *bw.system;
  const double bound = std::min({perftest_test::link_goodput(s.link_params, 65536),
                                 perftest_test::pcie_read_goodput(s.pcie_params),
                                 perftest_test::pcie_write_goodput(s.pcie_params)});
  EXPECT_GT(bw.average_gbps(1), bound * (1 - kBelow));
  EXPECT_LT(bw.average_gbps(1), bound * (1 + kAbove));
  // Small messages are bound by per-message costs, not bytes.
  EXPECT_LT(bw.average_gbps(0), 0.05 * bound);
}

TEST(PerftestBandwidth, ReadBwAt64KiBApproachesTheNarrowestStagesGoodput) {
  BwRun bw("read_bw");
  ASSERT_TRUE(bw.perftest->finished());
  ASSERT_EQ(bw.perftest->errors(), 0u);
  const System& s = *bw.system;
  // Data flows the other way: I/O-unit PCIe read completions, response packets (an AETH on
  // the first and the last), host PCIe writes.
  const double bound = std::min({perftest_test::link_goodput(s.link_params, 65536, 8),
                                 perftest_test::pcie_read_goodput(s.pcie_params),
                                 perftest_test::pcie_write_goodput(s.pcie_params)});
  EXPECT_GT(bw.average_gbps(), bound * (1 - kBelow));
  EXPECT_LT(bw.average_gbps(), bound * (1 + kAbove));
}

}  // namespace
}  // namespace hcasim
