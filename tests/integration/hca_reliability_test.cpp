// The reliable connection's recovery and error reporting as a verbs user sees them on real
// adapters: the retry budgets (retry_count 7 is seven retries, sequence NAKs spend the budget
// too; only rnr_retry 7 means forever), the RNR wait taken from the timer the responder puts in
// its NAK, and the completion status rdma-core reports for each kind of failure.
#include "models/core/lookahead.hpp"
#include "tests/integration/hca_test_bench.hpp"

namespace hcasim {
namespace {

using hca_test::Bench;
using hca_test::run_bench;

using sc_core::sc_time;
using sc_core::SC_US;

// The next completion on `cq`, or false if none lands within `limit` (simulated time).
bool next_within(CompletionQueue& cq, AdapterContext& ctx, sc_time limit, WorkCompletion& wc) {
  const sc_time deadline = hcasim::ps(hcasim::now_ps()) + limit;
  while (cq.poll(&wc, 1) == 0) {
    const sc_time now = hcasim::ps(hcasim::now_ps());
    if (now >= deadline) return false;
    hcasim::Lookahead::wait(deadline - now, cq.landed_event());
  }
  ctx.retire(wc);
  return true;
}

// Points the host's QP at a queue pair the I/O unit does not have: its packets are dropped.
void kill_peer(Bench& t) {
  t.sys->host.hca->connect(t.hqp->qpn, t.sys->iou.hca->port_address(), 999);
}

// A sequence NAK for `psn` to the host's QP, sent from the I/O unit's port as its responder
// would after losing a packet (the model's fabric loses none).
void send_sequence_nak(Bench& t, std::uint32_t psn) {
  Packet* p = t.sys->packets->get();
  p->kind = PacketKind::kNak;
  p->nak = NakCode::kPsnSequence;
  p->psn = psn;
  p->src_port = t.sys->iou.hca->port_address();
  p->dst_port = t.sys->host.hca->port_address();
  p->src_qpn = t.iqp->qpn;
  p->dst_qpn = t.hqp->qpn;
  t.sys->iou.hca->fabric_port().send(p, now_ps());
}

TEST(HcaReliability, RetryCountSevenIsSevenRetriesNotForever) {
  Bench b(
      [](Bench& t) {
        kill_peer(t);
        SendRequest w;
        w.wr_id = 31;
        w.sges = {t.host_buffer(64)};
        ASSERT_TRUE(t.host().post_send(*t.hqp, w));
        WorkCompletion c;
        ASSERT_TRUE(next_within(*t.hcq, t.host(), sc_time(1000, SC_US), c))
            << "a dead peer must end in an error completion";
        EXPECT_EQ(c.wr_id, 31u);
        EXPECT_EQ(c.status, WcStatus::kRetryExceeded);
        // The first try and seven retries each wait one ack_timeout (5 us).
        EXPECT_EQ(t.sys->host.hca->counters().timeouts, 8u);
        EXPECT_EQ(t.sys->host.hca->counters().packets_tx, 8u);
        EXPECT_GE(hcasim::ps(hcasim::now_ps()), sc_time(40, SC_US));
        EXPECT_LT(hcasim::ps(hcasim::now_ps()), sc_time(46, SC_US));  // + first send, CQE write
      },
      {{"hca.retry_count", "7"}, {"hca.ack_timeout_us", "5"}});
  run_bench(b);
}

TEST(HcaReliability, SequenceNaksSpendTheRetryBudget) {
  Bench b(
      [](Bench& t) {
        kill_peer(t);  // only the NAKs below ever come back
        SendRequest w;
        w.wr_id = 32;
        w.sges = {t.host_buffer(64)};
        ASSERT_TRUE(t.host().post_send(*t.hqp, w));
        WorkCompletion c;
        int naks = 0;
        bool done = false;
        while (!done && naks < 6) {
          hcasim::Lookahead::wait(sc_time(3, SC_US));
          send_sequence_nak(t, 0);  // PSN 0, the message's only packet: resend it
          ++naks;
          done = next_within(*t.hcq, t.host(), sc_time(2, SC_US), c);
        }
        ASSERT_TRUE(done) << "sequence NAKs retried forever";
        EXPECT_EQ(naks, 3) << "retry_count 2: two resends, the third NAK ends it";
        EXPECT_EQ(c.wr_id, 32u);
        EXPECT_EQ(c.status, WcStatus::kRetryExceeded);
        EXPECT_EQ(t.sys->host.hca->counters().packets_tx, 3u);  // the first try + 2 resends
        EXPECT_EQ(t.sys->host.hca->counters().timeouts, 0u);
      },
      {{"hca.retry_count", "2"}, {"hca.ack_timeout_us", "1000"}});
  run_bench(b);
}
TEST(HcaReliability, RnrWaitIsTheTimerTheResponderSends) {
  // min_rnr_timer 14 is 1.28 ms in the InfiniBand table: the requester waits that long after
  // the NAK, although the receive is posted long before.
  Bench b(
      [](Bench& t) {
        SendRequest w;
        w.wr_id = 33;
        w.sges = {t.host_buffer(64)};
        ASSERT_TRUE(t.host().post_send(*t.hqp, w));
        hcasim::Lookahead::wait(sc_time(100, SC_US));
        ASSERT_TRUE(t.iou().post_recv(*t.iqp, 1, t.iou_buffer(64)));
        const WorkCompletion c = t.next(*t.hcq, t.host());
        EXPECT_EQ(c.status, WcStatus::kSuccess);
        EXPECT_EQ(t.sys->iou.hca->counters().rnr_naks, 1u);
        EXPECT_GE(hcasim::ps(hcasim::now_ps()), sc_time(1280, SC_US));
        EXPECT_LT(hcasim::ps(hcasim::now_ps()), sc_time(1290, SC_US));
      },
      {{"hca.min_rnr_timer", "14"}});
  run_bench(b);
}

TEST(HcaReliability, DefaultRnrTimerIsTenMicroseconds) {
  // Code 1 (0.01 ms): the RNR NAK comes back about 2 us after the send; the resend 10 us later.
  Bench b([](Bench& t) {
    SendRequest w;
    w.wr_id = 34;
    w.sges = {t.host_buffer(64)};
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    hcasim::Lookahead::wait(sc_time(5, SC_US));
    ASSERT_TRUE(t.iou().post_recv(*t.iqp, 1, t.iou_buffer(64)));
    const WorkCompletion c = t.next(*t.hcq, t.host());
    EXPECT_EQ(c.status, WcStatus::kSuccess);
    EXPECT_EQ(t.sys->iou.hca->counters().rnr_naks, 1u);
    EXPECT_GE(hcasim::ps(hcasim::now_ps()), sc_time(10, SC_US));
    EXPECT_LT(hcasim::ps(hcasim::now_ps()), sc_time(20, SC_US));
  });
  run_bench(b);
}

TEST(HcaReliability, BadLkeyOfAReceiveIsALocalProtectionError) {
  Bench b([](Bench& t) {
    const auto dst = t.iou().memory().allocate(64);
    ASSERT_TRUE(t.iou().post_recv(*t.iqp, 41, Sge{dst, 64, 0xbad00}));
    SendRequest w;
    w.wr_id = 42;
    w.sges = {t.host_buffer(64)};
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    const WorkCompletion r = t.next(*t.icq, t.iou());
    EXPECT_EQ(r.wr_id, 41u);
    EXPECT_EQ(r.status, WcStatus::kLocalProtection);
    const WorkCompletion s = t.next(*t.hcq, t.host());
    EXPECT_EQ(s.wr_id, 42u);
    EXPECT_EQ(s.status, WcStatus::kRemoteOperation);  // the responder failed on its own side
  });
  run_bench(b);
}

TEST(HcaReliability, MessageLongerThanTheReceiveIsLengthThenRemoteInvalidRequest) {
  Bench b([](Bench& t) {
    ASSERT_TRUE(t.iou().post_recv(*t.iqp, 43, t.iou_buffer(64)));
    SendRequest w;
    w.wr_id = 44;
    w.sges = {t.host_buffer(128)};
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    const WorkCompletion r = t.next(*t.icq, t.iou());
    EXPECT_EQ(r.wr_id, 43u);
    EXPECT_EQ(r.status, WcStatus::kLocalLength);
    const WorkCompletion s = t.next(*t.hcq, t.host());
    EXPECT_EQ(s.wr_id, 44u);
    EXPECT_EQ(s.status, WcStatus::kRemoteInvalidRequest);
    EXPECT_STREQ(to_string(s.status), "remote_invalid_request_error");
  });
  run_bench(b);
}

TEST(HcaReliability, SendLongerThanTwoGibibytesIsALocalLengthError) {
  Bench b([](Bench& t) {
    const Sge buf = t.host_buffer(64);
    SendRequest w;
    w.wr_id = 45;
    // Two SGEs of 1 GiB + 1 byte: one byte more than the largest message (2^31 bytes).
    w.sges = {Sge{buf.addr, (1u << 30) + 1, buf.lkey}, Sge{buf.addr, (1u << 30), buf.lkey}};
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    const WorkCompletion c = t.next(*t.hcq, t.host());
    EXPECT_EQ(c.wr_id, 45u);
    EXPECT_EQ(c.status, WcStatus::kLocalLength);
    EXPECT_EQ(t.sys->host.hca->counters().packets_tx, 0u);
  });
  run_bench(b);
}

TEST(HcaReliability, InvalidOpcodeIsALocalQpOperationError) {
  Bench b([](Bench& t) {
    SendRequest w;
    w.wr_id = 46;
    w.opcode = static_cast<WrOpcode>(7);  // no such operation
    w.sges = {t.host_buffer(64)};
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    const WorkCompletion c = t.next(*t.hcq, t.host());
    EXPECT_EQ(c.wr_id, 46u);
    EXPECT_EQ(c.status, WcStatus::kLocalQpOperation);
    EXPECT_STREQ(to_string(c.status), "local_qp_operation_error");
    EXPECT_EQ(t.sys->host.hca->counters().packets_tx, 0u);
  });
  run_bench(b);
}

}  // namespace
}  // namespace hcasim
