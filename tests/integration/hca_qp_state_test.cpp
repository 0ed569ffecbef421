// Queue-pair states as verbs users know them: only the moves rdma-core allows, posts refused in
// states that cannot take them, a connection brought up RESET -> INIT -> RTR -> RTS with its
// PSNs, ERR flushing, RESET discarding without completions, SQD holding new sends back, and the
// QpFatal event when the adapter itself moves a QP to ERR.
#include "models/core/lookahead.hpp"
#include "tests/integration/hca_test_bench.hpp"

namespace hcasim {
namespace {

using hca_test::Bench;
using hca_test::RecordingInterrupts;
using hca_test::run_bench;

constexpr QpState kAll[] = {QpState::kReset, QpState::kInit, QpState::kRtr,  QpState::kRts,
                            QpState::kSqd,   QpState::kSqe,  QpState::kError};

TEST(QpStateTable, AllowsExactlyTheVerbsMoves) {
  // Rows: from; columns: to, in kAll's order (RESET INIT RTR RTS SQD SQE ERR).
  const bool expected[7][7] = {
      {1, 1, 0, 0, 0, 0, 1},  // RESET
      {1, 1, 1, 0, 0, 0, 1},  // INIT
      {1, 0, 1, 1, 0, 0, 1},  // RTR
      {1, 0, 0, 1, 1, 0, 1},  // RTS
      {1, 0, 0, 1, 1, 0, 1},  // SQD
      {1, 0, 0, 1, 0, 1, 1},  // SQE
      {1, 0, 0, 0, 0, 0, 1},  // ERR
  };
  for (int f = 0; f < 7; ++f)
    for (int t = 0; t < 7; ++t)
      EXPECT_EQ(qp_transition_allowed(kAll[f], kAll[t]), expected[f][t])
          << to_string(kAll[f]) << " -> " << to_string(kAll[t]);
}

QpModify to(QpState s) {
  QpModify m;
  m.state = s;
  return m;
}

// A QP on each side created in RESET and brought up with the given PSNs (host sends from
// `host_psn`, the I/O unit from `iou_psn`).
struct VerbsPair {
  QueuePair* host = nullptr;
  QueuePair* iou = nullptr;
};
VerbsPair bring_up(Bench& t, std::uint32_t host_psn, std::uint32_t iou_psn) {
  VerbsPair p;
  p.host = &t.host().create_qp(*t.hcq, *t.hcq, 16, 16, QpState::kReset);
  p.iou = &t.iou().create_qp(*t.icq, *t.icq, 16, 16, QpState::kReset);
  for (auto [ctx, qp, peer, port, sq_psn, rq_psn] :
       {std::tuple{&t.host(), p.host, p.iou, t.sys->iou.hca->port_address(), host_psn, iou_psn},
        std::tuple{&t.iou(), p.iou, p.host, t.sys->host.hca->port_address(), iou_psn, host_psn}}) {
    EXPECT_EQ(ctx->modify_qp(*qp, to(QpState::kInit)), VerbStatus::kOk);
    QpModify rtr = to(QpState::kRtr);
    rtr.remote_port = port;
    rtr.remote_qpn = peer->qpn;
    rtr.rq_psn = rq_psn;
    EXPECT_EQ(ctx->modify_qp(*qp, rtr), VerbStatus::kOk);
    QpModify rts = to(QpState::kRts);
    rts.sq_psn = sq_psn;
    EXPECT_EQ(ctx->modify_qp(*qp, rts), VerbStatus::kOk);
  }
  return p;
}

SendRequest send_of(const Sge& src, std::uint64_t wr_id) {
  SendRequest w;
  w.wr_id = wr_id;
  w.sges = {src};
  return w;
}

TEST(HcaQpState, IllegalMovesAndEarlyPostsAreRefusedChangingNothing) {
  Bench b([](Bench& t) {
    AdapterContext& h = t.host();
    QueuePair& qp = h.create_qp(*t.hcq, *t.hcq, 8, 8, QpState::kReset);
    const Sge buf = t.host_buffer(64);
    const std::uint64_t doorbells = t.sys->host.hca->counters().doorbells;
    EXPECT_EQ(h.modify_qp(qp, to(QpState::kRts)), VerbStatus::kInvalidTransition);
    EXPECT_EQ(h.modify_qp(qp, to(QpState::kRtr)), VerbStatus::kInvalidTransition);
    EXPECT_EQ(t.sys->host.hca->qp_state(qp.qpn), QpState::kReset);
    EXPECT_EQ(h.try_post_send(qp, send_of(buf, 1)), VerbStatus::kWrongState);
    EXPECT_EQ(h.try_post_recv(qp, 1, buf), VerbStatus::kWrongState);
    ASSERT_EQ(h.modify_qp(qp, to(QpState::kInit)), VerbStatus::kOk);
    EXPECT_EQ(h.modify_qp(qp, to(QpState::kRts)), VerbStatus::kInvalidTransition);
    EXPECT_EQ(h.modify_qp(qp, to(QpState::kSqd)), VerbStatus::kInvalidTransition);
    EXPECT_EQ(h.try_post_send(qp, send_of(buf, 2)), VerbStatus::kWrongState);
    EXPECT_EQ(h.try_post_recv(qp, 3, buf), VerbStatus::kOk) << "receives from INIT on";
    ASSERT_EQ(h.modify_qp(qp, to(QpState::kRtr)), VerbStatus::kOk);
    EXPECT_EQ(h.modify_qp(qp, to(QpState::kSqd)), VerbStatus::kInvalidTransition);
    EXPECT_EQ(h.modify_qp(qp, to(QpState::kInit)), VerbStatus::kInvalidTransition);
    EXPECT_EQ(h.try_post_send(qp, send_of(buf, 4)), VerbStatus::kWrongState);
    EXPECT_EQ(qp.sq_producer, 0u) << "nothing was written";
    hcasim::Lookahead::wait(sc_core::sc_time(5, sc_core::SC_US));
    EXPECT_EQ(t.sys->host.hca->counters().doorbells, doorbells + 1) << "only the receive rang";
    EXPECT_EQ(t.sys->host.hca->qp_state(qp.qpn), QpState::kRtr);
    // Post checks also name bad requests: too many SGEs, too much inline data, a full queue.
    ASSERT_EQ(h.modify_qp(qp, to(QpState::kRts)), VerbStatus::kOk);
    SendRequest many = send_of(buf, 5);
    many.sges.assign(8, buf);  // 8 x 16 B > 128 - 32 B of a WQE
    EXPECT_EQ(h.try_post_send(qp, many), VerbStatus::kTooManySges);
    SendRequest big = send_of(t.host_buffer(200), 6);
    big.inline_data = true;
    EXPECT_EQ(h.try_post_send(qp, big), VerbStatus::kInlineTooLarge);
    EXPECT_EQ(h.modify_qp(qp, to(QpState::kError)), VerbStatus::kOk);
    EXPECT_EQ(h.modify_qp(qp, to(QpState::kRts)), VerbStatus::kInvalidTransition);
    EXPECT_EQ(h.modify_qp(qp, to(QpState::kReset)), VerbStatus::kOk);
    EXPECT_EQ(h.destroy_qp(qp), VerbStatus::kOk);
    EXPECT_EQ(h.destroy_qp(qp), VerbStatus::kNoSuchObject);
    EXPECT_EQ(h.modify_qp(qp, to(QpState::kInit)), VerbStatus::kNoSuchObject);
  });
  run_bench(b);
}

TEST(HcaQpState, BroughtUpThroughTheStatesWithPsnsItCarriesData) {
  Bench b([](Bench& t) {
    const VerbsPair p = bring_up(t, 5000, 7000);
    const Sge src = t.host_buffer(6000), dst = t.iou_buffer(6000);
    hca_test::fill(t.host().memory(), src.addr, 6000, 11);
    ASSERT_EQ(t.iou().try_post_recv(*p.iou, 9, dst), VerbStatus::kOk);
    ASSERT_EQ(t.host().try_post_send(*p.host, send_of(src, 8)), VerbStatus::kOk);
    const WorkCompletion r = t.next(*t.icq, t.iou());
    EXPECT_EQ(r.status, WcStatus::kSuccess);
    EXPECT_EQ(r.wr_id, 9u);
    EXPECT_EQ(r.byte_len, 6000u);
    EXPECT_TRUE(hca_test::same(t.host().memory(), src.addr, t.iou().memory(), dst.addr, 6000));
    const WorkCompletion s = t.next(*t.hcq, t.host());
    EXPECT_EQ(s.status, WcStatus::kSuccess);
    EXPECT_EQ(s.wr_id, 8u);
    EXPECT_EQ(t.sys->host.hca->counters().timeouts, 0u) << "the PSNs matched: no resend";
  });
  run_bench(b);
}

TEST(HcaQpState, MismatchedPsnsNeverComplete) {
  // The responder expects an earlier PSN than the requester sends from: the packet looks like
  // one after a gap, is NAKed and dropped, and the send ends in retry_exceeded -- the PSNs the
  // moves carry are really used.
  Bench b(
      [](Bench& t) {
        const VerbsPair p = bring_up(t, 100, 0);
        const Sge src = t.host_buffer(64), dst = t.iou_buffer(64);
        // Bring the responder up again, expecting the wrong PSN (RTR is all a responder needs).
        ASSERT_EQ(t.iou().modify_qp(*p.iou, to(QpState::kReset)), VerbStatus::kOk);
        ASSERT_EQ(t.iou().modify_qp(*p.iou, to(QpState::kInit)), VerbStatus::kOk);
        QpModify rtr = to(QpState::kRtr);
        rtr.remote_port = t.sys->host.hca->port_address();
        rtr.remote_qpn = p.host->qpn;
        rtr.rq_psn = 50;  // the host sends from 100
        ASSERT_EQ(t.iou().modify_qp(*p.iou, rtr), VerbStatus::kOk);
        ASSERT_EQ(t.iou().try_post_recv(*p.iou, 1, dst), VerbStatus::kOk);
        ASSERT_EQ(t.host().try_post_send(*p.host, send_of(src, 2)), VerbStatus::kOk);
        const WorkCompletion s = t.next(*t.hcq, t.host());
        EXPECT_EQ(s.wr_id, 2u);
        EXPECT_EQ(s.status, WcStatus::kRetryExceeded);
      },
      {{"hca.retry_count", "1"}, {"hca.ack_timeout_us", "5"}});
  run_bench(b);
}

// Sends that cannot complete: the responder has no receive posted and RNR retries forever.
void post_stuck_sends(Bench& t, QueuePair& qp, const Sge& src, int n) {
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(t.host().try_post_send(qp, send_of(src, 100 + i)), VerbStatus::kOk);
  hcasim::Lookahead::wait(sc_core::sc_time(30, sc_core::SC_US));
  ASSERT_EQ(t.hcq->landed(), 0u);
}

TEST(HcaQpState, ErrFlushesOutstandingAndLaterPostedWithoutAFatalEvent) {
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    t.sys->host.pcie->set_interrupt_sink(&irq);
    EventQueue& eq = t.host().open_event_queue(7);
    const VerbsPair p = bring_up(t, 0, 0);
    const Sge src = t.host_buffer(64);
    post_stuck_sends(t, *p.host, src, 3);
    ASSERT_EQ(t.host().modify_qp(*p.host, to(QpState::kError)), VerbStatus::kOk);
    for (int i = 0; i < 3; ++i) {
      const WorkCompletion c = t.next(*t.hcq, t.host());
      EXPECT_EQ(c.wr_id, 100u + i);
      EXPECT_EQ(c.status, WcStatus::kFlushed);
    }
    // The drain marker: posted in ERR, flushed.
    ASSERT_EQ(t.host().try_post_send(*p.host, send_of(src, 7)), VerbStatus::kOk);
    const WorkCompletion m = t.next(*t.hcq, t.host());
    EXPECT_EQ(m.wr_id, 7u);
    EXPECT_EQ(m.status, WcStatus::kFlushed);
    hcasim::Lookahead::wait(sc_core::sc_time(10, sc_core::SC_US));
    AsyncEvent ev[4];
    ASSERT_EQ(eq.poll(ev, 4), 1u) << "PortActive only: software asked for ERR";
    EXPECT_EQ(ev[0].kind, AsyncEventKind::kPortActive);
    EXPECT_EQ(t.sys->host.hca->counters().async_events, 1u);
  });
  run_bench(b);
}

TEST(HcaQpState, AdapterErrorRaisesQpFatalOnTheEventQueue) {
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    t.sys->host.pcie->set_interrupt_sink(&irq);
    EventQueue& eq = t.host().open_event_queue(7);
    AsyncEvent ev[4];
    while (eq.landed() < 1) hcasim::Lookahead::wait(eq.landed_event());
    ASSERT_EQ(eq.poll(ev, 4), 1u);
    SendRequest w = send_of(Sge{t.host_buffer(64).addr, 64, 0xbad00}, 3);  // unknown lkey
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    EXPECT_EQ(t.next(*t.hcq, t.host()).status, WcStatus::kLocalProtection);
    while (eq.landed() < 2) hcasim::Lookahead::wait(eq.landed_event());
    ASSERT_EQ(eq.poll(ev, 4), 1u);
    EXPECT_EQ(ev[0].kind, AsyncEventKind::kQpFatal);
    EXPECT_EQ(ev[0].number, t.hqp->qpn);
    EXPECT_EQ(t.sys->host.hca->qp_state(t.hqp->qpn), QpState::kError);
    while (irq.seen.size() < 2) hcasim::Lookahead::wait(irq.raised);  // the MSI follows its entry
    ASSERT_EQ(irq.seen.size(), 2u);
    EXPECT_EQ(irq.seen[1].vector, 7u);
    EXPECT_EQ(t.sys->host.hca->counters().async_events_undelivered, 0u);
  });
  run_bench(b);
}

TEST(HcaQpState, ResetDiscardsWithoutCompletionsAndTheQpComesBack) {
  Bench b([](Bench& t) {
    const VerbsPair p = bring_up(t, 0, 0);
    const Sge src = t.host_buffer(64), dst = t.iou_buffer(64);
    post_stuck_sends(t, *p.host, src, 3);
    ASSERT_EQ(t.host().modify_qp(*p.host, to(QpState::kReset)), VerbStatus::kOk);
    ASSERT_EQ(t.iou().modify_qp(*p.iou, to(QpState::kReset)), VerbStatus::kOk);
    EXPECT_EQ(p.host->sq_producer, 0u);
    hcasim::Lookahead::wait(sc_core::sc_time(50, sc_core::SC_US));
    EXPECT_EQ(t.hcq->landed(), 0u) << "RESET completes nothing";
    // Up again (new PSNs), and a send goes through.
    for (auto [ctx, qp, peer, port, psn] :
         {std::tuple{&t.host(), p.host, p.iou, t.sys->iou.hca->port_address(), 40u},
          std::tuple{&t.iou(), p.iou, p.host, t.sys->host.hca->port_address(), 40u}}) {
      ASSERT_EQ(ctx->modify_qp(*qp, to(QpState::kInit)), VerbStatus::kOk);
      QpModify rtr = to(QpState::kRtr);
      rtr.remote_port = port;
      rtr.remote_qpn = peer->qpn;
      rtr.rq_psn = psn;
      ASSERT_EQ(ctx->modify_qp(*qp, rtr), VerbStatus::kOk);
      QpModify rts = to(QpState::kRts);
      rts.sq_psn = psn;
      ASSERT_EQ(ctx->modify_qp(*qp, rts), VerbStatus::kOk);
    }
    ASSERT_EQ(t.iou().try_post_recv(*p.iou, 1, dst), VerbStatus::kOk);
    ASSERT_EQ(t.host().try_post_send(*p.host, send_of(src, 55)), VerbStatus::kOk);
    const WorkCompletion s = t.next(*t.hcq, t.host());
    EXPECT_EQ(s.wr_id, 55u);
    EXPECT_EQ(s.status, WcStatus::kSuccess);
    hcasim::Lookahead::wait(sc_core::sc_time(30, sc_core::SC_US));
    EXPECT_EQ(t.hcq->landed(), 1u) << "nothing of the discarded sends ever completes";
  });
  run_bench(b);
}

TEST(HcaQpState, SqdFinishesTheMessageInProgressAndHoldsNewOnesUntilRts) {
  static constexpr std::uint32_t kBig = 65536;  // 16 packets of 4 KiB
  Bench b([](Bench& t) {
    const VerbsPair p = bring_up(t, 0, 0);
    const Sge big = t.host_buffer(kBig), small = t.host_buffer(64);
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(t.iou().try_post_recv(*p.iou, i, t.iou_buffer(kBig)), VerbStatus::kOk);
    ASSERT_EQ(t.host().try_post_send(*p.host, send_of(big, 1)), VerbStatus::kOk);
    hcasim::Lookahead::wait(sc_core::sc_time(3, sc_core::SC_US));
    const std::uint64_t sent = t.sys->host.hca->counters().packets_tx;
    ASSERT_GT(sent, 0u);
    ASSERT_LT(sent, 16u) << "the big message is in progress";
    ASSERT_EQ(t.host().modify_qp(*p.host, to(QpState::kSqd)), VerbStatus::kOk);
    ASSERT_EQ(t.host().try_post_send(*p.host, send_of(small, 2)), VerbStatus::kOk);
    ASSERT_EQ(t.host().try_post_send(*p.host, send_of(small, 3)), VerbStatus::kOk);
    const WorkCompletion c = t.next(*t.hcq, t.host());
    EXPECT_EQ(c.wr_id, 1u);
    EXPECT_EQ(c.status, WcStatus::kSuccess);
    hcasim::Lookahead::wait(sc_core::sc_time(50, sc_core::SC_US));
    EXPECT_EQ(t.hcq->landed(), 1u) << "SQD starts no new send";
    EXPECT_EQ(t.sys->host.hca->counters().packets_tx, 16u);
    ASSERT_EQ(t.host().modify_qp(*p.host, to(QpState::kRts)), VerbStatus::kOk);
    EXPECT_EQ(t.next(*t.hcq, t.host()).wr_id, 2u);
    EXPECT_EQ(t.next(*t.hcq, t.host()).wr_id, 3u);
  });
  run_bench(b);
}

}  // namespace
}  // namespace hcasim
