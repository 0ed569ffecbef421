// perftest's options users reach for: several QPs (-q), lists of WRs per post (-l), a run by
// duration (-D) and Gb/s reporting; and what the latency tools refuse.
#include <gtest/gtest.h>

#include <sstream>

#include "models/core/lookahead.hpp"
#include "perftest_test_support.hpp"
#include "workloads/perftest.hpp"

namespace hcasim {
namespace {

using perftest_test::Scenario;

struct BwRun : perftest_test::PerftestRun {
  explicit BwRun(const perftest_test::Sets& sets)
      : PerftestRun(
            {{"perftest.test", "send_bw"}, {"perftest.sizes", "64"}, {"perftest.warmup", "0"}},
            sets) {}
  const Hca::Counters& host_hca() const { return system->host.hca->counters(); }
};

TEST(PerftestOptions, EveryQpRunsItsIterationsToItsOwnPeer) {
  BwRun r({{"perftest.qps", "4"}, {"perftest.iterations", "1000"}});
  ASSERT_TRUE(r.perftest->finished());
  EXPECT_EQ(r.perftest->errors(), 0u);
  const auto& row = r.perftest->results()[0];
  EXPECT_EQ(row.iterations, 4000u);
  EXPECT_EQ(row.op.count, 4000u);
  EXPECT_EQ(r.host_hca().messages_tx, 4000u);
  EXPECT_EQ(r.system->iou.hca->counters().messages_rx, 4000u);  // every sink got its share
}

TEST(PerftestOptions, QpsSpreadOverTheHostsAdaptersAndTheIoUnits) {
  // QP q on host adapter q % 3 and I/O unit q % 4: each adapter carries 2 QPs of 500 SENDs,
  // the I/O units 2, 2, 1 and 1 QPs' worth; every adapter's CQ is polled by the one thread.
  BwRun r({{"perftest.qps", "6"},
           {"perftest.iterations", "500"},
           {"system.host_adapters", "3"},
           {"system.ious", "4"}});
  ASSERT_TRUE(r.perftest->finished());
  EXPECT_EQ(r.perftest->errors(), 0u);
  EXPECT_EQ(r.perftest->results()[0].op.count, 3000u);
  const std::uint64_t per_adapter[] = {1000, 1000, 1000};
  for (unsigned a = 0; a < 3; ++a)
    EXPECT_EQ(r.system->host.slots[a].hca->counters().messages_tx, per_adapter[a]) << a;
  const std::uint64_t per_iou[] = {1000, 1000, 500, 500};
  for (unsigned u = 0; u < 4; ++u)
    EXPECT_EQ(r.system->ious[u]->hca->counters().messages_rx, per_iou[u]) << u;
}

TEST(PerftestOptions, APostListRingsOneDoorbellPerList) {
  BwRun r({{"perftest.post_list", "8"}, {"perftest.iterations", "800"}});
  ASSERT_TRUE(r.perftest->finished());
  EXPECT_EQ(r.perftest->results()[0].op.count, 800u);
  // No BlueFlame for a list: the adapter fetches the WQEs after one 8-byte doorbell.
  EXPECT_EQ(r.host_hca().blueflame_wqes, 0u);
  EXPECT_LE(r.host_hca().doorbells, 800u / 8 + 128u);  // lists cut short by the window, at most
  EXPECT_LT(r.host_hca().doorbells, 800u / 2);
  EXPECT_GT(r.host_hca().wqe_fetches, 0u);
}

// BlueFlame as the drivers use it: a WQE posted alone goes with its doorbell only when it fits
// the register (256 B by default, in whole 64 B blocks); libmlx4 also requires inline data.
struct LatRun : perftest_test::PerftestRun {
  explicit LatRun(const perftest_test::Sets& sets)
      : PerftestRun({{"perftest.test", "send_lat"},
                     {"perftest.iterations", "100"},
                     {"perftest.warmup", "0"},
                     {"hca.sq_stride", "512"}},
                    sets) {}
  const Hca::Counters& host_hca() const { return system->host.hca->counters(); }
};

TEST(PerftestOptions, BlueFlameCarriesTheWqesThatFitItsRegister) {
  LatRun r(perftest_test::Sets{
      {"perftest.sizes", "200"}});  // 32 B header + 200 B inline: 4 blocks, 256 B
  ASSERT_TRUE(r.perftest->finished());
  EXPECT_EQ(r.host_hca().blueflame_wqes, 100u);
  EXPECT_EQ(r.host_hca().wqe_fetches, 0u);
}

TEST(PerftestOptions, AWqeLargerThanTheBlueFlameRegisterIsFetched) {
  LatRun r(perftest_test::Sets{
      {"perftest.sizes", "240"}});  // 32 B header + 240 B inline: 5 blocks, 320 B
  ASSERT_TRUE(r.perftest->finished());
  EXPECT_EQ(r.perftest->errors(), 0u);
  EXPECT_EQ(r.host_hca().blueflame_wqes, 0u);
  EXPECT_EQ(r.host_hca().wqe_fetches, 100u);  // one 8-byte doorbell and one fetch per send
}

TEST(PerftestOptions, WithLibmlx4sRuleOnlyInlineWqesGoByBlueFlame) {
  LatRun r(perftest_test::Sets{{"perftest.sizes", "64"},
                               {"perftest.inline", "false"},
                               {"hca.blueflame_non_inline", "false"}});
  ASSERT_TRUE(r.perftest->finished());
  EXPECT_EQ(r.host_hca().blueflame_wqes, 0u);
  EXPECT_EQ(r.host_hca().wqe_fetches, 100u);
}

TEST(PerftestOptions, WithLibmlx5sDefaultWqesWithoutInlineDataGoByBlueFlameToo) {
  LatRun r(perftest_test::Sets{{"perftest.sizes", "64"}, {"perftest.inline", "false"}});
  ASSERT_TRUE(r.perftest->finished());
  EXPECT_EQ(r.host_hca().blueflame_wqes, 100u);
  EXPECT_EQ(r.host_hca().wqe_fetches, 0u);
}

TEST(PerftestOptions, ADurationRunStopsPostingWhenTheTimeIsUp) {
  BwRun r({{"perftest.duration_us", "50"}, {"perftest.iterations", "1000000"}});
  ASSERT_TRUE(r.perftest->finished());
  const auto& row = r.perftest->results()[0];
  EXPECT_LT(row.iterations, 1000000u);
  EXPECT_GT(row.iterations, 0u);
  EXPECT_EQ(row.iterations % 100, 0u);  // each QP finishes its signaled batch (cq_mod 100)
  EXPECT_GE(row.elapsed_ps, 50'000'000u);
  EXPECT_LT(row.elapsed_ps, 80'000'000u);  // a batch of 100 more is a few microseconds
}

TEST(PerftestOptions, ReportGbitsShowsGbPerSecond) {
  BwRun r({{"perftest.report_gbits", "true"}, {"perftest.iterations", "500"}});
  std::ostringstream table;
  r.perftest->print_table(table);
  EXPECT_NE(table.str().find("BW average[Gb/sec]"), std::string::npos) << table.str();
  const double gbits = r.perftest->results()[0].average_bytes_per_ps() * 1e12 * 8 / 1e9;
  char cell[32];
  std::snprintf(cell, sizeof cell, "%.2f", gbits);
  EXPECT_NE(table.str().find(cell), std::string::npos) << table.str();
}

TEST(PerftestOptions, ManyQpsReachThePacketizersRateWhenPostingCostsNothing) {
  // docs/explore-msg-rate.md: with 64 QPs and a free post_send, 64 B messages are bound by the
  // adapter's pipeline, hca.packet_cycles (and the far rx_cycles) per packet at hca.clock_mhz.
  BwRun r({{"perftest.qps", "64"},
           {"perftest.iterations", "1000"},
           {"host.post_send_cycles", "0"},
           {"iou.memory_mb", "256"}});
  ASSERT_TRUE(r.perftest->finished());
  ASSERT_EQ(r.perftest->errors(), 0u);
  const HcaParams& hca = r.system->hca_params;
  const double bound_mpps = hca.clock_mhz / hca.packet_cycles;
  const double mpps = r.perftest->results()[0].average_bytes_per_ps() * 1e12 / 64 / 1e6;
  EXPECT_GT(mpps, bound_mpps * 0.97);
  EXPECT_LT(mpps, bound_mpps);
}

TEST(PerftestOptions, LatencyToolsRefuseSeveralQps) {
  Scenario s;
  s.set("perftest.test", "send_lat");
  s.set("perftest.qps", "2");
  System system(s.values, nullptr);
  EXPECT_THROW(Perftest("perftest", system, s.values.load<PerftestParams>(), nullptr), ConfigError);
}

}  // namespace
}  // namespace hcasim
