// Faults injected into the fabric (fault.*): corrupted packets are discarded by the receiving
// adapter and recovered by the reliable transport, every operation still completes exactly
// once; a link down for a while stalls traffic, which resumes; past the retry limit the
// requester gives up with errors instead of hanging.
#include <gtest/gtest.h>

#include "models/core/lookahead.hpp"
#include "perftest_test_support.hpp"
#include "workloads/perftest.hpp"
#include "workloads/pingpong.hpp"

namespace hcasim {
namespace {

using perftest_test::find_op;
using perftest_test::Scenario;
using Sets = std::vector<std::pair<std::string, std::string>>;

struct FaultRun {
  Scenario s;
  std::unique_ptr<System> system;
  std::unique_ptr<Workload> workload;
  RunReport report;
  template <class W, class P>
  void start(const Sets& sets) {
    for (auto& [k, v] : sets) s.set(k, v);
    system = std::make_unique<System>(s.values, nullptr);
    workload = std::make_unique<W>(W::kName, *system, s.values.load<P>(), nullptr);
    hcasim::Lookahead::run();
    workload->report(report);
    system->report(report);
  }
  std::uint64_t corrupted() const {
    std::uint64_t n = 0;
    for (const auto& link : system->fabric.links) n += link->corrupted(0) + link->corrupted(1);
    return n;
  }
  std::uint64_t icrc_drops() const {
    return system->host.hca->counters().icrc_drops + system->iou.hca->counters().icrc_drops;
  }
};

struct PingPongRun : PingPong {
  static constexpr const char* kName = "pingpong";
  using PingPong::PingPong;
};
struct PerftestRun : Perftest {
  static constexpr const char* kName = "perftest";
  using Perftest::Perftest;
};

TEST(Faults, RoundTripsSurviveCorruptedPacketsAndEveryOneIsDiscardedOnce) {
  FaultRun r;
  r.start<PingPongRun, PingPongParams>(
      {{"pingpong.count", "1000"}, {"fault.packet_error_rate", "0.01"}});
  ASSERT_TRUE(r.workload->finished());
  EXPECT_EQ(r.workload->errors(), 0u);
  const OpClassReport* rtt = find_op(r.report, "rtt");
  ASSERT_NE(rtt, nullptr);
  EXPECT_EQ(rtt->count, 1000u);
  EXPECT_GT(r.corrupted(), 0u);
  EXPECT_EQ(r.icrc_drops(), r.corrupted());  // each damaged packet dropped by its receiver
  // A lost request or reply costs a transport timeout (hca.ack_timeout_us = 500).
  EXPECT_GT(r.system->host.hca->counters().timeouts + r.system->iou.hca->counters().timeouts, 0u);
  EXPECT_GE(rtt->latency_ps.max(), 500'000'000u);
}

TEST(Faults, StreamedSendsEachArriveOnceDespiteLosses) {
  FaultRun r;
  r.start<PerftestRun, PerftestParams>({{"perftest.test", "send_bw"},
                                        {"perftest.sizes", "4096"},
                                        {"perftest.iterations", "3000"},
                                        {"perftest.warmup", "0"},
                                        {"fault.packet_error_rate", "0.002"}});
  ASSERT_TRUE(r.workload->finished());
  EXPECT_EQ(r.workload->errors(), 0u);
  EXPECT_GT(r.icrc_drops(), 0u);
  // Resent packets are recognised by their sequence numbers: the sink got each message once.
  EXPECT_EQ(r.system->iou.hca->counters().messages_rx, 3000u);
}

TEST(Faults, ALinkDownForAMillisecondStallsRoundTripsThatThenResume) {
  FaultRun r;
  r.start<PingPongRun, PingPongParams>({{"pingpong.count", "300"},
                                        {"fault.link_down", "0"},
                                        {"fault.link_down_at_us", "50"},
                                        {"fault.link_down_us", "1000"}});
  ASSERT_TRUE(r.workload->finished());
  EXPECT_EQ(r.workload->errors(), 0u);
  const OpClassReport* rtt = find_op(r.report, "rtt");
  ASSERT_NE(rtt, nullptr);
  EXPECT_EQ(rtt->count, 300u);
  EXPECT_GE(rtt->latency_ps.max(), 950'000'000u);  // the one caught by the outage waited it out
  EXPECT_LT(rtt->latency_ps.quantile(0.5), 2'000'000u);  // the others did not
  EXPECT_EQ(r.system->fabric.links[1]->corrupted(0) + r.system->fabric.links[1]->corrupted(1), 0u);
}

TEST(Faults, PastTheRetryLimitTheRequesterGivesUpWithErrors) {
  FaultRun r;
  r.start<PerftestRun, PerftestParams>({{"perftest.test", "send_bw"},
                                        {"perftest.sizes", "4096"},
                                        {"perftest.iterations", "2000"},
                                        {"perftest.warmup", "0"},
                                        {"hca.retry_count", "2"},
                                        {"fault.link_down_at_us", "100"},
                                        {"fault.link_down_us", "100000"}});
  ASSERT_TRUE(r.workload->finished()) << "the run must end, not hang";
  EXPECT_GT(r.workload->errors(), 0u);                     // retry-exceeded, then the flushed rest
  EXPECT_EQ(r.system->host.hca->counters().timeouts, 3u);  // the first try and 2 retries
}

}  // namespace
}  // namespace hcasim
