// What a verbs user would check first on a new adapter: bytes arrive where they should for
// SEND, RDMA WRITE and RDMA READ (also across several packets), protection violations complete
// with the right error and flush the queue, a receiver that is not ready is retried, and a
// completion queue overrun is reported. A test-bench thread plays the host software.
#include "models/core/lookahead.hpp"
#include "tests/integration/hca_test_bench.hpp"

namespace hcasim {
namespace {

using hca_test::Bench;
using hca_test::fill;
using hca_test::run_bench;
using hca_test::same;

TEST(HcaOperations, MultiPacketSendScattersIntoTheReceiveBuffer) {
  static constexpr std::uint32_t kLen = 10000;  // three 4 KiB packets
  Bench b([](Bench& t) {
    HostMemory& hm = t.host().memory();
    HostMemory& im = t.iou().memory();
    const auto src = hm.allocate(kLen), dst = im.allocate(kLen);
    fill(hm, src, kLen, 3);
    const auto hkey = t.host().register_memory(src, kLen, kLocalWrite);
    const auto ikey = t.iou().register_memory(dst, kLen, kLocalWrite);
    ASSERT_TRUE(t.iou().post_recv(*t.iqp, 77, Sge{dst, kLen, ikey}));
    SendRequest wr;
    wr.wr_id = 5;
    wr.sges = {Sge{src, kLen, hkey}};
    ASSERT_TRUE(t.host().post_send(*t.hqp, wr));
    const WorkCompletion r = t.next(*t.icq, t.iou());
    EXPECT_EQ(r.status, WcStatus::kSuccess);
    EXPECT_TRUE(r.is_recv);
    EXPECT_EQ(r.wr_id, 77u);
    EXPECT_EQ(r.byte_len, kLen);
    EXPECT_TRUE(same(hm, src, im, dst, kLen));
    const WorkCompletion s = t.next(*t.hcq, t.host());
    EXPECT_EQ(s.status, WcStatus::kSuccess);
    EXPECT_EQ(s.wr_id, 5u);
  });
  run_bench(b);
}

TEST(HcaOperations, RdmaWriteAndReadMoveTheBytes) {
  static constexpr std::uint32_t kLen = 9000;
  Bench b([](Bench& t) {
    HostMemory& hm = t.host().memory();
    HostMemory& im = t.iou().memory();
    const auto src = hm.allocate(kLen), back = hm.allocate(kLen), remote = im.allocate(kLen);
    fill(hm, src, kLen, 9);
    const auto hkey = t.host().register_memory(src, back + kLen - src, kLocalWrite);
    const auto rkey = t.iou().register_memory(remote, kLen, kRemoteWrite | kRemoteRead);
    SendRequest w;
    w.wr_id = 1;
    w.opcode = WrOpcode::kRdmaWrite;
    w.sges = {Sge{src, kLen, hkey}};
    w.remote_addr = remote;
    w.rkey = rkey;
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    EXPECT_EQ(t.next(*t.hcq, t.host()).status, WcStatus::kSuccess);
    EXPECT_TRUE(same(hm, src, im, remote, kLen));
    SendRequest r = w;
    r.wr_id = 2;
    r.opcode = WrOpcode::kRdmaRead;
    r.sges = {Sge{back, kLen, hkey}};
    ASSERT_TRUE(t.host().post_send(*t.hqp, r));
    const WorkCompletion c = t.next(*t.hcq, t.host());
    EXPECT_EQ(c.status, WcStatus::kSuccess);
    EXPECT_EQ(c.wr_id, 2u);
    EXPECT_EQ(c.byte_len, kLen);
    EXPECT_TRUE(same(hm, back, im, remote, kLen));
  });
  run_bench(b);
}

TEST(HcaOperations, BadRemoteKeyFailsAndFlushesTheRest) {
  Bench b([](Bench& t) {
    const Sge src = t.host_buffer(64);
    const auto remote = t.iou().memory().allocate(64);
    const auto rkey = t.iou().register_memory(remote, 64, kRemoteRead);  // no remote write
    SendRequest w;
    w.opcode = WrOpcode::kRdmaWrite;
    w.sges = {src};
    w.remote_addr = remote;
    w.rkey = rkey;
    w.wr_id = 10;
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    w.wr_id = 11;
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    const WorkCompletion first = t.next(*t.hcq, t.host());
    EXPECT_EQ(first.wr_id, 10u);
    EXPECT_EQ(first.status, WcStatus::kRemoteAccess);
    const WorkCompletion second = t.next(*t.hcq, t.host());
    EXPECT_EQ(second.wr_id, 11u);
    EXPECT_EQ(second.status, WcStatus::kFlushed);
    // Work posted after the error is flushed too.
    w.wr_id = 12;
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    EXPECT_EQ(t.next(*t.hcq, t.host()).status, WcStatus::kFlushed);
  });
  run_bench(b);
}

TEST(HcaOperations, ReadFollowedBySendCompletesWithItsData) {
  // The SEND's ACK must not overtake the READ's responses at the responder, not even the last
  // one while its payload is still being read from memory.
  Bench b([](Bench& t) {
    static constexpr std::uint32_t kLen = 65536;
    const auto remote = t.iou().memory().allocate(kLen);
    fill(t.iou().memory(), remote, kLen, 5);
    const auto rkey = t.iou().register_memory(remote, kLen, kRemoteRead);
    const Sge back = t.host_buffer(kLen);
    const Sge src = t.host_buffer(8);
    ASSERT_TRUE(t.iou().post_recv(*t.iqp, 1, t.iou_buffer(8)));
    SendRequest r;
    r.wr_id = 11;
    r.opcode = WrOpcode::kRdmaRead;
    r.sges = {back};
    r.remote_addr = remote;
    r.rkey = rkey;
    ASSERT_TRUE(t.host().post_send(*t.hqp, r));
    SendRequest s;
    s.wr_id = 12;
    s.sges = {src};
    ASSERT_TRUE(t.host().post_send(*t.hqp, s));
    const WorkCompletion c1 = t.next(*t.hcq, t.host());
    EXPECT_EQ(c1.wr_id, 11u);
    EXPECT_EQ(c1.status, WcStatus::kSuccess);
    EXPECT_TRUE(same(t.host().memory(), back.addr, t.iou().memory(), remote, kLen));
    const WorkCompletion c2 = t.next(*t.hcq, t.host());
    EXPECT_EQ(c2.wr_id, 12u);
    EXPECT_EQ(c2.status, WcStatus::kSuccess);
    // The ACK waited for the last response's DMA read: nothing was lost, nothing resent.
    EXPECT_EQ(t.sys->host.hca->counters().timeouts, 0u);
    EXPECT_LT(hcasim::ps(hcasim::now_ps()), sc_core::sc_time(100, sc_core::SC_US));
  });
  run_bench(b);
}

TEST(HcaOperations, ProtectionErrorBehindOutstandingSendsKeepsCompletionOrder) {
  Bench b([](Bench& t) {
    const Sge src = t.host_buffer(4096);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(t.iou().post_recv(*t.iqp, i, t.iou_buffer(4096)));
    SendRequest w;
    w.sges = {src};
    for (std::uint64_t id = 100; id < 102; ++id) {
      w.wr_id = id;
      ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    }
    w.wr_id = 102;
    w.sges = {Sge{src.addr, 64, 0xbad00}};
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    std::vector<WorkCompletion> seen;
    for (int i = 0; i < 3; ++i) seen.push_back(t.next(*t.hcq, t.host()));
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].wr_id, 100u);  // each work request completes once, in order
    EXPECT_EQ(seen[1].wr_id, 101u);
    EXPECT_EQ(seen[2].wr_id, 102u);
    EXPECT_EQ(seen[2].status, WcStatus::kLocalProtection);
    WorkCompletion extra;
    hcasim::Lookahead::wait(sc_core::sc_time(20, sc_core::SC_US));
    EXPECT_EQ(t.hcq->poll(&extra, 1), 0u) << "no duplicate completion";
  });
  run_bench(b);
}

TEST(HcaOperations, ReceivesPostedAfterAnErrorAreFlushedAndFetchingStops) {
  Bench b([](Bench& t) {
    ASSERT_TRUE(t.host().post_recv(*t.hqp, 7, t.host_buffer(64)));
    SendRequest w;
    w.wr_id = 1;
    w.sges = {Sge{t.host_buffer(64).addr, 64, 0xbad00}};
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    int got = 0;
    while (got < 2) {  // the send's error and the receive's flush
      t.next(*t.hcq, t.host());
      ++got;
    }
    ASSERT_TRUE(t.host().post_recv(*t.hqp, 8, t.host_buffer(64)));  // the drain marker
    const WorkCompletion m = t.next(*t.hcq, t.host());
    EXPECT_EQ(m.wr_id, 8u);
    EXPECT_EQ(m.status, WcStatus::kFlushed);
    const auto reads = t.sys->host.pcie->dma_reads();
    hcasim::Lookahead::wait(sc_core::sc_time(100, sc_core::SC_US));
    EXPECT_EQ(t.sys->host.pcie->dma_reads(), reads) << "an idle adapter in error fetches nothing";
  });
  run_bench(b);
}

TEST(HcaOperations, InlinePacketDoesNotOvertakeAGatheredOne) {
  Bench b([](Bench& t) {
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(t.iou().post_recv(*t.iqp, i, t.iou_buffer(4096)));
    SendRequest big;
    big.wr_id = 1;
    big.sges = {t.host_buffer(4000)};
    SendRequest small;
    small.wr_id = 2;
    small.inline_data = true;
    small.sges = {t.host_buffer(8)};
    ASSERT_TRUE(t.host().post_send(*t.hqp, big));
    ASSERT_TRUE(t.host().post_send(*t.hqp, small));
    EXPECT_EQ(t.next(*t.hcq, t.host()).wr_id, 1u);
    EXPECT_EQ(t.next(*t.hcq, t.host()).wr_id, 2u);
    EXPECT_EQ(t.sys->host.hca->counters().packets_tx, 2u)
        << "no resend: nothing arrived out of order";
  });
  run_bench(b);
}

TEST(HcaOperations, UnregisteredLocalBufferIsALocalProtectionError) {
  Bench b([](Bench& t) {
    const auto src = t.host().memory().allocate(64);
    SendRequest w;
    w.wr_id = 3;
    w.sges = {Sge{src, 64, 0xdead00}};
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    const WorkCompletion c = t.next(*t.hcq, t.host());
    EXPECT_EQ(c.wr_id, 3u);
    EXPECT_EQ(c.status, WcStatus::kLocalProtection);
  });
  run_bench(b);
}

TEST(HcaOperations, ReceiverNotReadyIsRetriedUntilAReceiveIsPosted) {
  Bench b(
      [](Bench& t) {
        const Sge src = t.host_buffer(64);
        const Sge dst = t.iou_buffer(64);
        SendRequest w;
        w.wr_id = 4;
        w.sges = {src};
        ASSERT_TRUE(t.host().post_send(*t.hqp, w));
        hcasim::Lookahead::wait(sc_core::sc_time(25, sc_core::SC_US));  // several RNR timer periods
        ASSERT_TRUE(t.iou().post_recv(*t.iqp, 1, dst));
        const WorkCompletion c = t.next(*t.hcq, t.host());
        EXPECT_EQ(c.status, WcStatus::kSuccess);
        EXPECT_GE(hcasim::ps(hcasim::now_ps()), sc_core::sc_time(25, sc_core::SC_US));
        EXPECT_GE(t.sys->iou.hca->counters().rnr_naks, 2u);
      },
      {{"hca.min_rnr_timer", "1"}});  // 10 us
  run_bench(b);
}

TEST(HcaOperations, RnrRetriesExhaustedGiveAnError) {
  Bench b(
      [](Bench& t) {
        const Sge src = t.host_buffer(64);
        SendRequest w;
        w.wr_id = 8;
        w.sges = {src};
        ASSERT_TRUE(t.host().post_send(*t.hqp, w));
        const WorkCompletion c = t.next(*t.hcq, t.host());
        EXPECT_EQ(c.status, WcStatus::kRnrRetryExceeded);
        EXPECT_EQ(t.sys->iou.hca->counters().rnr_naks, 3u);  // first try + 2 retries
      },
      {{"hca.rnr_retry", "2"}, {"hca.min_rnr_timer", "1"}});
  run_bench(b);
}

TEST(HcaOperations, CompletionQueueOverrunIsReportedNotACrash) {
  sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
  Bench b([](Bench& t) {
    // A 64-entry CQ that nobody polls, 70 signaled sends (receives posted at the far end).
    const Sge src = t.host_buffer(8);
    const Sge dst = t.iou_buffer(8);
    SendRequest w;
    w.sges = {src};
    w.inline_data = true;
    for (int i = 0; i < 70; ++i) {
      while (!t.iou().post_recv(*t.iqp, i, dst)) {
        WorkCompletion wc;
        if (t.icq->poll(&wc, 1))
          t.iou().retire(wc);
        else
          hcasim::Lookahead::wait(t.icq->landed_event());
      }
      while (!t.host().post_send(*t.hqp, w)) {
        t.hqp->sq_completed = t.hqp->sq_producer;  // pretend we polled: keep posting
      }
      hcasim::Lookahead::wait(sc_core::sc_time(3, sc_core::SC_US));
    }
    EXPECT_EQ(t.sys->host.hca->counters().cq_overruns, 1u);
    EXPECT_EQ(t.hcq->landed(), 64u);  // nothing is written past the CQ's capacity
  });
  run_bench(b);
}

TEST(HcaOperations, LostPacketsAreResentThenRetryExceeded) {
  Bench b(
      [](Bench& t) {
        // Point the QP at a queue pair the I/O unit does not have: its packets are dropped.
        t.sys->host.hca->connect(t.hqp->qpn, t.sys->iou.hca->port_address(), 999);
        const Sge src = t.host_buffer(64);
        SendRequest w;
        w.wr_id = 21;
        w.sges = {src};
        ASSERT_TRUE(t.host().post_send(*t.hqp, w));
        const WorkCompletion c = t.next(*t.hcq, t.host());
        EXPECT_EQ(c.wr_id, 21u);
        EXPECT_EQ(c.status, WcStatus::kRetryExceeded);
        EXPECT_EQ(t.sys->host.hca->counters().timeouts, 3u);  // 2 resends, then give up
        EXPECT_GE(hcasim::ps(hcasim::now_ps()), sc_core::sc_time(15, sc_core::SC_US));
      },
      {{"hca.retry_count", "2"}, {"hca.ack_timeout_us", "5"}});
  run_bench(b);
}

TEST(HcaOperations, CoalescedAcksStillCompleteEveryMessage) {
  Bench b(
      [](Bench& t) {
        const Sge src = t.host_buffer(8);
        const Sge dst = t.iou_buffer(8);
        SendRequest w;
        w.sges = {src};
        w.inline_data = true;
        for (int i = 0; i < 10; ++i) {
          ASSERT_TRUE(t.iou().post_recv(*t.iqp, i, dst));
          w.wr_id = 100 + i;
          ASSERT_TRUE(t.host().post_send(*t.hqp, w));
        }
        for (int i = 0; i < 10; ++i) {
          const WorkCompletion c = t.next(*t.hcq, t.host());
          EXPECT_EQ(c.status, WcStatus::kSuccess);
          EXPECT_EQ(c.wr_id, 100u + i) << "completions keep the posting order";
        }
        EXPECT_LE(t.sys->iou.hca->counters().acks_tx, 4u);  // 10 messages, acks of 4
      },
      {{"hca.ack_coalesce", "4"}, {"hca.ack_delay_cycles", "20000"}});
  run_bench(b);
}

TEST(HcaTopology, SecondHostAdapterReachesSecondIoUnitThroughTheSwitch) {
  Bench b(
      [](Bench& t) {
        ASSERT_EQ(t.sys->host.slots.size(), 2u);
        ASSERT_EQ(t.sys->ious.size(), 2u);
        AdapterContext& h1 = *t.sys->host.slots[1].context;
        AdapterContext& i1 = *t.sys->ious[1]->adapter;
        CompletionQueue& hcq = h1.create_cq(16);
        CompletionQueue& icq = i1.create_cq(16);
        QueuePair& hq = h1.create_qp(hcq, hcq, 8, 8);
        QueuePair& iq = i1.create_qp(icq, icq, 8, 8);
        h1.hca().connect(hq.qpn, i1.hca().port_address(), iq.qpn);
        i1.hca().connect(iq.qpn, h1.hca().port_address(), hq.qpn);
        const Sge src = Bench::buffer(h1, 5000);  // the host's memory, second adapter
        const Sge dst = Bench::buffer(i1, 5000);
        fill(h1.memory(), src.addr, 5000, 7);
        ASSERT_TRUE(i1.post_recv(iq, 1, dst));
        SendRequest w;
        w.sges = {src};
        ASSERT_TRUE(h1.post_send(hq, w));
        const WorkCompletion r = t.next(icq, i1);
        EXPECT_EQ(r.status, WcStatus::kSuccess);
        EXPECT_EQ(r.byte_len, 5000u);
        EXPECT_TRUE(same(h1.memory(), src.addr, i1.memory(), dst.addr, 5000));
        // Adapters share the host's memory; each I/O unit has its own.
        EXPECT_EQ(&h1.memory(), &t.host().memory());
        EXPECT_NE(&i1.memory(), &t.iou().memory());
        // The traffic used the second adapters' cables only.
        EXPECT_EQ(t.sys->fabric.links.at(0)->packets(0), 0u);
        EXPECT_EQ(t.sys->fabric.links.at(1)->packets(0), 2u);  // host hca1: two packets
        EXPECT_EQ(t.sys->fabric.links.at(3)->packets(1), 2u);  // switch -> iou1
      },
      {{"system.host_adapters", "2"}, {"system.ious", "2"}});
  run_bench(b);
}

// Two queue pairs stream 1 MiB RDMA WRITEs at once; returns completion time of each (ns).
std::pair<double, double> race(std::uint32_t weight_a, std::uint32_t weight_b) {
  static constexpr std::uint32_t kLen = 1 << 20;
  std::pair<double, double> t{0, 0};
  Bench b([&](Bench& x) {
    QueuePair& qa = *x.hqp;
    QueuePair& qb = x.host().create_qp(*x.hcq, *x.hcq, 32, 32);
    QueuePair& ib = x.iou().create_qp(*x.icq, *x.icq, 32, 32);
    x.sys->host.hca->connect(qb.qpn, x.sys->iou.hca->port_address(), ib.qpn);
    x.sys->iou.hca->connect(ib.qpn, x.sys->host.hca->port_address(), qb.qpn);
    x.sys->host.hca->set_qp_weight(qa.qpn, weight_a);
    x.sys->host.hca->set_qp_weight(qb.qpn, weight_b);
    const auto src = x.host().memory().allocate(kLen);
    const auto key = x.host().register_memory(src, kLen, kLocalWrite);
    const auto dst = x.iou().memory().allocate(2 * kLen);
    const auto rkey = x.iou().register_memory(dst, 2 * kLen, kRemoteWrite);
    SendRequest w;
    w.opcode = WrOpcode::kRdmaWrite;
    w.sges = {Sge{src, kLen, key}};
    w.rkey = rkey;
    w.wr_id = 1;
    w.remote_addr = dst;
    const double start = hcasim::ps(hcasim::now_ps()).to_seconds();
    ASSERT_TRUE(x.host().post_send(qa, w));
    w.wr_id = 2;
    w.remote_addr = dst + kLen;
    ASSERT_TRUE(x.host().post_send(qb, w));
    for (int i = 0; i < 2; ++i) {
      const WorkCompletion c = x.next(*x.hcq, x.host());
      const double at = (hcasim::ps(hcasim::now_ps()).to_seconds() - start) * 1e9;
      (c.wr_id == 1 ? t.first : t.second) = at;
    }
  });
  run_bench(b);
  return t;
}

TEST(HcaScheduler, EqualWeightsShareTheLink) {
  const auto [a, b] = race(1, 1);
  EXPECT_GT(a / b, 0.95) << a << " ns vs " << b << " ns";
}

TEST(HcaScheduler, WeightThreeGetsThreeQuartersOfTheLink) {
  // A sends 3 packets per turn to B's 1: A finishes after 4/3 MiB have left, B after 2 MiB.
  const auto [a, b] = race(3, 1);
  EXPECT_NEAR(a / b, 2.0 / 3.0, 0.03) << a << " ns vs " << b << " ns";
}

// Records interrupts and what the CQ held when each one arrived.
struct RecordingInterrupts : InterruptSink {
  CompletionQueue* cq = nullptr;
  std::vector<std::pair<sc_core::sc_time, std::uint64_t>> seen;  // time, CQEs landed
  void raise(std::uint32_t) override {
    seen.emplace_back(hcasim::ps(hcasim::now_ps()), cq->landed());
  }
};

// Sends `n` small inline messages (receives posted at the far end) and waits for them all.
void send_n(Bench& t, int n) {
  const Sge src = t.host_buffer(8);
  const Sge dst = t.iou_buffer(8);
  SendRequest w;
  w.sges = {src};
  w.inline_data = true;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(t.iou().post_recv(*t.iqp, i, dst));
    ASSERT_TRUE(t.host().post_send(*t.hqp, w));
    hcasim::Lookahead::wait(sc_core::sc_time(2, sc_core::SC_US));
  }
}

TEST(HcaInterrupts, ArmedCqRaisesOneInterruptAfterItsEntryLands) {
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    irq.cq = t.hcq;
    t.sys->host.pcie->set_interrupt_sink(&irq);
    t.host().arm_cq(*t.hcq);
    send_n(t, 3);
    ASSERT_EQ(irq.seen.size(), 1u) << "one-shot: only the first completion after arming";
    EXPECT_GE(irq.seen[0].second, 1u) << "the CQE landed before the interrupt";
    EXPECT_EQ(t.sys->host.hca->counters().interrupts, 1u);
  });
  run_bench(b);
}

TEST(HcaInterrupts, UnarmedCqRaisesNothing) {
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    irq.cq = t.hcq;
    t.sys->host.pcie->set_interrupt_sink(&irq);
    send_n(t, 3);
    EXPECT_TRUE(irq.seen.empty());
  });
  run_bench(b);
}

TEST(HcaInterrupts, ModerationByCountWaitsForTheNthCompletion) {
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    irq.cq = t.hcq;
    t.sys->host.pcie->set_interrupt_sink(&irq);
    t.sys->host.hca->modify_cq_moderation(t.hcq->cqn(), 3, 0);
    t.host().arm_cq(*t.hcq);
    send_n(t, 2);
    EXPECT_TRUE(irq.seen.empty());
    send_n(t, 1);
    ASSERT_EQ(irq.seen.size(), 1u);
    EXPECT_EQ(irq.seen[0].second, 3u);
  });
  run_bench(b);
}

TEST(HcaInterrupts, ModerationByTimeFiresAfterThePeriod) {
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    irq.cq = t.hcq;
    t.sys->host.pcie->set_interrupt_sink(&irq);
    t.sys->host.hca->modify_cq_moderation(t.hcq->cqn(), 100, 20'000'000);  // 20 us
    t.host().arm_cq(*t.hcq);
    send_n(t, 1);  // the completion lands within 2 us
    const sc_core::sc_time first = hcasim::ps(hcasim::now_ps());
    EXPECT_TRUE(irq.seen.empty());
    hcasim::Lookahead::wait(sc_core::sc_time(25, sc_core::SC_US));
    ASSERT_EQ(irq.seen.size(), 1u);
    EXPECT_GT(irq.seen[0].first, first + sc_core::sc_time(15, sc_core::SC_US));
  });
  run_bench(b);
}

}  // namespace
}  // namespace hcasim
