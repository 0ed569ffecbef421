// perftest -c UD: send_lat and send_bw over unreliable-datagram QPs. A 2 KiB datagram stream
// reaches the link's rate less its headers (DETH included) when the link is the narrowest
// stage; nothing is acknowledged and the I/O unit's sink loses nothing; the sizes stop at the
// path MTU as perftest's do, and the other tools refuse UD.
#include <gtest/gtest.h>

#include <sstream>

#include "models/core/lookahead.hpp"
#include "perftest_test_support.hpp"
#include "workloads/perftest.hpp"

namespace hcasim {
namespace {

using perftest_test::Scenario;

struct UdRun : perftest_test::PerftestRun {
  explicit UdRun(const perftest_test::Sets& sets)
      : PerftestRun({{"perftest.connection", "UD"}, {"perftest.warmup", "0"}}, sets) {}
};

TEST(PerftestUd, SendBwOf2KiBDatagramsReachesTheLinkRateLessItsHeaders) {
  // PCIe Gen3 x16 (15.75 GB/s, 12.0 GB/s of 64-byte read completions) leaves the 4x FDR link
  // (6.82 GB/s) the narrowest stage: every datagram is one packet of 2048 + LRH 8 + BTH 12 +
  // DETH 8 + ICRC 4 + VCRC 2 bytes.
  static constexpr std::uint64_t kIterations = 20000;
  UdRun r({{"perftest.test", "send_bw"},
           {"perftest.sizes", "2048"},
           {"perftest.iterations", std::to_string(kIterations)},
           {"pcie.lanes", "16"}});
  ASSERT_TRUE(r.perftest->finished());
  ASSERT_EQ(r.perftest->errors(), 0u);
  const System& s = *r.system;
  ASSERT_LT(perftest_test::link_goodput(s.link_params, 2048, HeaderBytes::kDeth),
            perftest_test::pcie_read_goodput(s.pcie_params));
  const double line = s.link_params.data_gbps() / 8.0;  // bytes per ns
  const double bound = line * 2048.0 / (2048.0 + 26.0 + 8.0);
  const double got = r.perftest->results()[0].average_bytes_per_ps() * 1000.0;
  // 20000 messages take 6.1 ms; the pipeline's fill (a few us) costs well under 0.1 %.
  EXPECT_GT(got, bound * (1 - 0.001));
  EXPECT_LT(got, bound * (1 + 0.0001));
  // Without the DETH the figure would be the reliable connection's, 8 bytes a packet higher.
  EXPECT_LT(got, line * 2048.0 / (2048.0 + 26.0) * (1 - 0.003));
  const Hca::Counters& iou = s.iou.hca->counters();
  EXPECT_EQ(iou.messages_rx, kIterations);  // the sink reposts in time: nothing lost
  EXPECT_EQ(iou.ud_drops, 0u);
  EXPECT_EQ(iou.acks_tx, 0u);
  EXPECT_EQ(s.host.hca->counters().packets_rx, 0u);
}

TEST(PerftestUd, SendLatEchoesEverySizeUpToTheMtu) {
  UdRun r(
      {{"perftest.test", "send_lat"}, {"perftest.sizes", "all"}, {"perftest.iterations", "20"}});
  ASSERT_TRUE(r.perftest->finished());
  ASSERT_EQ(r.perftest->errors(), 0u);
  const auto& results = r.perftest->results();
  ASSERT_EQ(results.size(), 12u);  // 2 .. 4096: perftest -a with UD stops at the path MTU
  EXPECT_EQ(results.back().size, r.system->link_params.mtu);
  for (const auto& row : results) EXPECT_EQ(row.op.count, 20u);
  EXPECT_EQ(r.system->iou.hca->counters().messages_rx, 12u * 20u);
  EXPECT_EQ(r.system->iou.hca->counters().ud_drops, 0u);
  std::ostringstream table;
  r.perftest->print_table(table);
  EXPECT_NE(table.str().find("Connection type : UD"), std::string::npos) << table.str();
}

TEST(PerftestUd, ASizeAboveTheMtuIsRefused) {
  Scenario s;
  s.set("perftest.test", "send_bw");
  s.set("perftest.connection", "UD");
  s.set("perftest.sizes", "64,8192");
  System system(s.values, nullptr);
  try {
    Perftest("perftest", system, s.values.load<PerftestParams>(), nullptr);
    FAIL() << "8192 B over UD with a 4096 B MTU was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("perftest.sizes"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1 .. 4096"), std::string::npos) << e.what();
  }
}

TEST(PerftestUd, ToolsOtherThanSendRefuseUd) {
  Scenario s;
  s.set("perftest.test", "write_bw");
  s.set("perftest.connection", "UD");
  System system(s.values, nullptr);
  try {
    Perftest("perftest", system, s.values.load<PerftestParams>(), nullptr);
    FAIL() << "write_bw over UD was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("perftest.connection"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("allowed with this test: RC"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hcasim
