// perftest -b: the I/O unit's peer sends the same operations towards the host while the host
// sends, and the table reports the two directions' sum. With the link the narrowest stage
// (PCIe Gen3 x16 beside 4x FDR) each direction carries its own data packets plus the other
// direction's ACKs, so the sum is twice the one-way goodput computed from the header bytes.
#include <gtest/gtest.h>

#include "models/core/lookahead.hpp"
#include "perftest_test_support.hpp"
#include "workloads/perftest.hpp"

namespace hcasim {
namespace {

using perftest_test::Scenario;

struct DuplexRun : perftest_test::PerftestRun {
  // pcie.lanes = 16: the link, not PCIe, is the narrowest stage
  explicit DuplexRun(const perftest_test::Sets& sets)
      : PerftestRun({{"perftest.test", "send_bw"},
                     {"perftest.bidirectional", "true"},
                     {"perftest.warmup", "0"},
                     {"pcie.lanes", "16"}},
                    sets) {}
  double average_gbps() const { return perftest->results().at(0).average_bytes_per_ps() * 1000.0; }
  double line_gbps() const { return system->link_params.data_gbps() / 8.0; }  // bytes per ns
};

TEST(PerftestBidirectional, SendBwOf64KiBIsTwiceTheLinkGoodputLessHeadersAndAcks) {
  DuplexRun r({{"perftest.sizes", "65536"}, {"perftest.iterations", "4096"}});
  ASSERT_TRUE(r.perftest->finished());
  ASSERT_EQ(r.perftest->errors(), 0u);
  ASSERT_LT(perftest_test::link_goodput(r.system->link_params, 65536),
            perftest_test::pcie_read_goodput(r.system->pcie_params));
  // Per message and direction: 16 packets of 4096 B with the base headers, and the ACK (base
  // headers + AETH) the other direction's message gets back.
  const std::uint32_t mtu = r.system->link_params.mtu;
  const double wire =
      65536.0 + (65536 / mtu) * HeaderBytes::kBase + HeaderBytes::kBase + HeaderBytes::kAeth;
  const double bound = 2 * r.line_gbps() * 65536.0 / wire;
  // 4096 messages a side take 40 ms; filling the pipelines of both
  // directions and the last signaled batch cost under 0.5 %.
  EXPECT_GT(r.average_gbps(), bound * (1 - 0.005));
  EXPECT_LT(r.average_gbps(), bound * (1 + 0.0001));
  // Each side received what the other sent, through receives the host kept posted.
  const auto& row = r.perftest->results()[0];
  EXPECT_EQ(r.system->iou.hca->counters().messages_rx, row.iterations);
  EXPECT_EQ(r.system->host.hca->counters().messages_rx, row.iterations);
  EXPECT_EQ(r.system->host.hca->counters().rnr_naks, 0u);
}

TEST(PerftestBidirectional, UdSendBwOf2KiBIsTwiceTheOneWayDatagramRate) {
  DuplexRun r({{"perftest.sizes", "2048"},
               {"perftest.connection", "UD"},
               {"perftest.iterations", "20000"}});
  ASSERT_TRUE(r.perftest->finished());
  ASSERT_EQ(r.perftest->errors(), 0u);
  // No ACKs: each direction carries only its datagrams, 2048 B + base headers + DETH.
  const double bound =
      2 * r.line_gbps() * 2048.0 / (2048.0 + HeaderBytes::kBase + HeaderBytes::kDeth);
  EXPECT_GT(r.average_gbps(), bound * (1 - 0.001));
  EXPECT_LT(r.average_gbps(), bound * (1 + 0.0001));
  EXPECT_EQ(r.system->host.hca->counters().messages_rx, 20000u);
  EXPECT_EQ(r.system->host.hca->counters().ud_drops, 0u);  // 512 receives kept posted
  EXPECT_EQ(r.system->iou.hca->counters().ud_drops, 0u);
}

TEST(PerftestBidirectional, LatencyToolsRefuseIt) {
  Scenario s;
  s.set("perftest.test", "send_lat");
  s.set("perftest.bidirectional", "true");
  System system(s.values, nullptr);
  try {
    Perftest("perftest", system, s.values.load<PerftestParams>(), nullptr);
    FAIL() << "send_lat -b was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("perftest.bidirectional"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hcasim
