// Faults injected into the fabric (fault.*): corrupted packets are discarded by the receiving
// adapter and recovered by the reliable transport, every operation still completes exactly
// once; a link down for a while stalls traffic, which resumes; past the retry limit the
// requester gives up with errors instead of hanging.
#include <gtest/gtest.h>

#include <functional>

#include "models/core/lookahead.hpp"
#include "perftest_test_support.hpp"
#include "workloads/perftest.hpp"
#include "workloads/pingpong.hpp"

namespace hcasim {
namespace {

using perftest_test::find_metric;
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

// Every work request posted is accounted for exactly once, under faults: it completed OK, it
// completed with an error (retry exceeded, or flushed when its QP went to ERR), or it is still
// outstanding. A bench thread on cpu0 posts signaled RDMA WRITEs through the verbs layer while
// links corrupt 2 % of the packets and the requester gives up after one retry.
struct AccountingBench : sc_core::sc_module {
  SC_HAS_PROCESS(AccountingBench);
  static constexpr std::uint64_t kWrs = 3000;
  Scenario s;
  std::unique_ptr<System> sys;
  verbs::VerbsDevice* dev = nullptr;
  verbs::Cq* cq = nullptr;
  verbs::Qp* qp = nullptr;
  IouQueues peer;
  std::unique_ptr<SimContext> ctx;
  struct Tally {
    std::uint64_t posted = 0, ok = 0, failed = 0, outstanding = 0;
  };
  Tally now, at_last_post;  // now: after the final drain
  std::uint64_t foreign = 0;
  bool done = false;

  AccountingBench(sc_core::sc_module_name name, const Sets& sets) : sc_module(name) {
    for (auto& [k, v] : sets) s.set(k, v);
    sys = std::make_unique<System>(s.values, nullptr);
    dev = &sys->verbs();
    cq = &dev->create_cq(256);
    verbs::QpCaps caps;
    caps.max_send_wr = 32;
    caps.max_recv_wr = 1;
    qp = &dev->create_qp(*cq, *cq, caps);
    peer = sys->open_iou_queues(0, 64, 16, 16);
    sys->connect(*dev, *qp, 0, peer);
    ctx = std::make_unique<SimContext>(*sys->cpus[0]);
    SC_THREAD(run);
  }
  void reap(const WorkCompletion* wc, int n) {
    for (int i = 0; i < n; ++i) {
      if (wc[i].qpn != qp->qp_num()) ++foreign;
      (wc[i].status == WcStatus::kSuccess ? now.ok : now.failed) += 1;
    }
  }
  void run() {
    const std::uint64_t local = sys->host.memory->allocate(256);
    const Sge sge{local, 256, dev->reg_mr(local, 256, kLocalWrite).lkey};
    const std::uint64_t remote = sys->iou.memory->allocate(256);
    const std::uint32_t rkey = peer.adapter->register_memory(remote, 256, kRemoteWrite);
    verbs::SendWr wr;
    wr.opcode = WrOpcode::kRdmaWrite;
    wr.sg_list = &sge;
    wr.num_sge = 1;
    wr.remote_addr = remote;
    wr.rkey = rkey;
    WorkCompletion wc[16];
    // Once the requester has given up, the QP is in ERR and what is posted later is flushed.
    while (now.posted < kWrs) {
      while (now.posted < kWrs && qp->send_room() > 0) {
        wr.wr_id = now.posted;
        if (dev->post_send(*ctx, *qp, &wr, 1) != 0) break;
        ++now.posted;
      }
      reap(wc, dev->spin_poll_cq(*ctx, *cq, wc, 16));
    }
    now.outstanding = qp->sends_outstanding();
    at_last_post = now;
    // Then take everything that has landed a while later.
    hcasim::Lookahead::wait(sc_core::sc_time(50, sc_core::SC_US));
    while (const int n = dev->poll_cq(*ctx, *cq, wc, 16)) reap(wc, n);
    now.outstanding = qp->sends_outstanding();
    done = true;
    hcasim::Lookahead::stop();
  }
};

TEST(Faults, EveryPostedWorkRequestIsAccountedForExactlyOnce) {
  AccountingBench b("bench", {{"fault.packet_error_rate", "0.02"}, {"hca.retry_count", "1"}});
  hcasim::Lookahead::run();
  ASSERT_TRUE(b.done) << "the bench thread did not finish (model stalled)";
  EXPECT_EQ(b.foreign, 0u);
  // Every WR is counted once, both while some are still outstanding and at the end.
  for (const AccountingBench::Tally& t : {b.at_last_post, b.now}) {
    EXPECT_EQ(t.posted, AccountingBench::kWrs);
    EXPECT_EQ(t.posted, t.ok + t.failed + t.outstanding)
        << "posted " << t.posted << ", ok " << t.ok << ", failed " << t.failed << ", outstanding "
        << t.outstanding;
  }
  EXPECT_GT(b.at_last_post.outstanding, 0u);
  EXPECT_EQ(b.now.outstanding, 0u);  // the QP in ERR flushed the rest
  EXPECT_GT(b.now.ok, 0u);
  EXPECT_GT(b.now.failed, 0u) << "the retry limit was never exceeded";
  EXPECT_EQ(b.dev->stats().sends_posted, b.now.posted);  // what the verbs layer counted itself
  // The adapter wrote one entry per completion polled, and its error count is the same.
  const Hca::Counters& host = b.sys->host.hca->counters();
  EXPECT_EQ(host.cqes, b.now.ok + b.now.failed);
  EXPECT_EQ(host.cqes_error, b.now.failed);
  EXPECT_GT(host.transport_recoveries, 0u);  // resends that worked, before the one that did not

  // The roll-up in the report says the same.
  RunReport report;
  report.sim_time_ps = now_ps();
  b.sys->report(report);
  std::uint64_t corrupted = 0;
  for (const auto& link : b.sys->fabric.links) corrupted += link->corrupted(0) + link->corrupted(1);
  const Hca::Counters& iou = b.sys->iou.hca->counters();
  ASSERT_NE(find_metric(report, "faults.injected"), nullptr);
  EXPECT_EQ(find_metric(report, "faults.injected")->value, double(corrupted));
  EXPECT_GT(corrupted, 0u);
  EXPECT_EQ(find_metric(report, "faults.ops_failed")->value, double(b.now.failed + iou.cqes_error));
  EXPECT_EQ(find_metric(report, "faults.recovered")->value,
            double(host.transport_recoveries + iou.transport_recoveries));
}

}  // namespace
}  // namespace hcasim
