// The unreliable-datagram transport as a verbs user sees it: a datagram lands behind the
// receive buffer's 40-byte GRH area and its completion counts those bytes too; nothing comes
// back over the fabric (no ACK), so a send completes as soon as its packet has left; a
// datagram that finds no receive, or carries another Q_Key, is dropped and counted while its
// sender completes successfully; a datagram longer than the path MTU is refused by the
// adapter with a local length error, which moves the QP to SQE (sends flush, receives go on).
#include "models/core/lookahead.hpp"
#include "tests/integration/hca_test_bench.hpp"

namespace hcasim {
namespace {

using hca_test::Bench;
using hca_test::fill;
using hca_test::run_bench;
using hca_test::same;

constexpr std::uint32_t kGrh = HeaderBytes::kGrh;

// A SEND of `len` bytes at `sge` from the host's UD QP to `to`.
SendRequest datagram(std::uint64_t wr_id, const Sge& sge, const UdAddress& to) {
  SendRequest wr;
  wr.wr_id = wr_id;
  wr.sges = {sge};
  wr.ud = to;
  return wr;
}

TEST(HcaUd, DatagramLandsBehindTheGrhAreaAndByteLenCountsIt) {
  static constexpr std::uint32_t kLen = 1000;
  Bench b(
      [](Bench& t) {
        HostMemory& hm = t.host().memory();
        HostMemory& im = t.iou().memory();
        const Sge src = t.host_buffer(kLen);
        const Sge dst = t.iou_buffer(kGrh + kLen);
        fill(hm, src.addr, kLen, 3);
        std::memset(im.at(dst.addr, kGrh), 0xEE, kGrh);  // what the GRH area held before
        ASSERT_TRUE(t.iou().post_recv(*t.iqp, 77, dst));
        SendRequest wr = datagram(5, src, t.to_iou());
        wr.opcode = WrOpcode::kSendImm;
        wr.imm = 0xABCD;
        ASSERT_TRUE(t.host().post_send(*t.hqp, wr));
        const WorkCompletion r = t.next(*t.icq, t.iou());
        EXPECT_EQ(r.status, WcStatus::kSuccess);
        EXPECT_TRUE(r.is_recv);
        EXPECT_EQ(r.wr_id, 77u);
        EXPECT_EQ(r.byte_len, kGrh + kLen);
        EXPECT_TRUE(r.has_imm);
        EXPECT_EQ(r.imm, 0xABCDu);
        EXPECT_EQ(r.src_qp, t.hqp->qpn);
        EXPECT_EQ(r.slid, t.sys->host.hca->port_address());
        EXPECT_TRUE(same(hm, src.addr, im, dst.addr + kGrh, kLen));
        // No GRH on a one-subnet fabric: its area is consumed but left as it was.
        for (std::uint32_t i = 0; i < kGrh; ++i) ASSERT_EQ(im.at(dst.addr + i, 1)[0], 0xEE);
        const WorkCompletion s = t.next(*t.hcq, t.host());
        EXPECT_EQ(s.status, WcStatus::kSuccess);
        EXPECT_EQ(s.wr_id, 5u);
        EXPECT_EQ(s.byte_len, kLen);
      },
      {}, QpType::kUd);
  run_bench(b);
}

TEST(HcaUd, NoAckCrossesTheFabricAndTheSendCompletesBeforeTheDatagramIsReceived) {
  static constexpr std::uint32_t kMessages = 10;
  Bench b(
      [](Bench& t) {
        const Sge src = t.host_buffer(256);
        const Sge dst = t.iou_buffer(kGrh + 256);
        for (std::uint32_t i = 0; i < kMessages; ++i) {
          ASSERT_TRUE(t.iou().post_recv(*t.iqp, i, dst));
          ASSERT_TRUE(t.host().post_send(*t.hqp, datagram(i, src, t.to_iou())));
          const WorkCompletion s = t.next(*t.hcq, t.host());
          const WorkCompletion r = t.next(*t.icq, t.iou());
          EXPECT_EQ(s.status, WcStatus::kSuccess);
          EXPECT_EQ(s.wr_id, i);
          EXPECT_EQ(r.status, WcStatus::kSuccess);
          EXPECT_EQ(r.byte_len, kGrh + 256);
          // The send completed when its packet left: before the datagram even reached the
          // receiver (a reliable connection completes only when the ACK is back).
          EXPECT_LT(s.landed_ps, r.landed_ps);
        }
        const Fabric& f = t.sys->fabric;
        EXPECT_EQ(f.links[0]->packets(0), kMessages);  // host -> switch: the datagrams
        EXPECT_EQ(f.links[1]->packets(1), kMessages);  // switch -> I/O unit
        EXPECT_EQ(f.links[1]->packets(0), 0u);         // nothing comes back
        EXPECT_EQ(f.links[0]->packets(1), 0u);
        EXPECT_EQ(t.sys->iou.hca->counters().acks_tx, 0u);
        EXPECT_EQ(t.sys->host.hca->counters().packets_rx, 0u);
      },
      {}, QpType::kUd);
  run_bench(b);
}

TEST(HcaUd, DatagramWithoutAReceiveIsDroppedAndCountedWhileTheSenderSucceeds) {
  Bench b(
      [](Bench& t) {
        HostMemory& hm = t.host().memory();
        HostMemory& im = t.iou().memory();
        const Sge src = t.host_buffer(64);
        const Sge dst = t.iou_buffer(kGrh + 64);
        fill(hm, src.addr, 64, 11);
        ASSERT_TRUE(t.host().post_send(*t.hqp, datagram(1, src, t.to_iou())));
        EXPECT_EQ(t.next(*t.hcq, t.host()).status, WcStatus::kSuccess);
        hcasim::Lookahead::wait(20, sc_core::SC_US);  // long after it would have landed
        WorkCompletion wc;
        EXPECT_EQ(t.icq->poll(&wc, 1), 0u);  // the receiver never hears of it
        EXPECT_EQ(t.sys->iou.hca->counters().ud_drops, 1u);
        EXPECT_EQ(t.sys->iou.hca->counters().rnr_naks, 0u);
        EXPECT_EQ(t.sys->host.hca->counters().packets_rx, 0u);  // and no NAK comes back
        // Another Q_Key is dropped the same way, even with a receive posted.
        ASSERT_TRUE(t.iou().post_recv(*t.iqp, 9, dst));
        UdAddress wrong = t.to_iou();
        wrong.qkey = Bench::kQkey + 1;
        ASSERT_TRUE(t.host().post_send(*t.hqp, datagram(2, src, wrong)));
        EXPECT_EQ(t.next(*t.hcq, t.host()).status, WcStatus::kSuccess);
        hcasim::Lookahead::wait(20, sc_core::SC_US);
        EXPECT_EQ(t.icq->poll(&wc, 1), 0u);
        EXPECT_EQ(t.sys->iou.hca->counters().ud_drops, 2u);
        // The QP is unharmed: the next datagram takes the receive still posted.
        ASSERT_TRUE(t.host().post_send(*t.hqp, datagram(3, src, t.to_iou())));
        const WorkCompletion r = t.next(*t.icq, t.iou());
        EXPECT_EQ(r.status, WcStatus::kSuccess);
        EXPECT_EQ(r.wr_id, 9u);
        EXPECT_TRUE(same(hm, src.addr, im, dst.addr + kGrh, 64));
      },
      {}, QpType::kUd);
  run_bench(b);
}

TEST(HcaUd, OverMtuDatagramIsRefusedWithALocalLengthErrorAndTheSendQueueErrs) {
  Bench b(
      [](Bench& t) {
        const std::uint32_t mtu = t.sys->link_params.mtu;
        const Sge big = t.host_buffer(mtu + 1);
        const Sge fits{big.addr, mtu, big.lkey};
        ASSERT_TRUE(t.host().post_send(*t.hqp, datagram(1, big, t.to_iou())));
        ASSERT_TRUE(t.host().post_send(*t.hqp, datagram(2, fits, t.to_iou())));
        const WorkCompletion bad = t.next(*t.hcq, t.host());
        EXPECT_EQ(bad.wr_id, 1u);
        EXPECT_EQ(bad.status, WcStatus::kLocalLength);
        const WorkCompletion flushed = t.next(*t.hcq, t.host());
        EXPECT_EQ(flushed.wr_id, 2u);
        EXPECT_EQ(flushed.status, WcStatus::kFlushed);
        EXPECT_EQ(t.sys->host.hca->qp_state(t.hqp->qpn), QpState::kSqe);
        EXPECT_EQ(t.sys->host.hca->counters().packets_tx, 0u);  // nothing left
        // A send posted in SQE flushes too.
        ASSERT_TRUE(t.host().post_send(*t.hqp, datagram(3, fits, t.to_iou())));
        EXPECT_EQ(t.next(*t.hcq, t.host()).status, WcStatus::kFlushed);
        // Receives go on in SQE.
        const Sge in = t.host_buffer(kGrh + 64);
        const Sge out = t.iou_buffer(64);
        ASSERT_TRUE(t.host().post_recv(*t.hqp, 50, in));
        ASSERT_TRUE(t.iou().post_send(*t.iqp, datagram(60, out, t.to_host())));
        const WorkCompletion r = t.next(*t.hcq, t.host());
        EXPECT_TRUE(r.is_recv);
        EXPECT_EQ(r.status, WcStatus::kSuccess);
        EXPECT_EQ(r.byte_len, kGrh + 64);
        EXPECT_EQ(t.next(*t.icq, t.iou()).wr_id, 60u);  // the I/O unit's send
        // Software moves the QP back to RTS and sends again.
        QpModify m;
        m.state = QpState::kRts;
        ASSERT_EQ(t.host().modify_qp(*t.hqp, m), VerbStatus::kOk);
        const Sge dst = t.iou_buffer(kGrh + mtu);
        ASSERT_TRUE(t.iou().post_recv(*t.iqp, 70, dst));
        ASSERT_TRUE(t.host().post_send(*t.hqp, datagram(4, fits, t.to_iou())));
        EXPECT_EQ(t.next(*t.hcq, t.host()).status, WcStatus::kSuccess);
        const WorkCompletion got = t.next(*t.icq, t.iou());
        EXPECT_EQ(got.status, WcStatus::kSuccess);
        EXPECT_EQ(got.byte_len, kGrh + mtu);
      },
      {}, QpType::kUd);
  run_bench(b);
}

TEST(HcaUd, ReceiveBufferWithoutRoomForTheGrhFailsTheReceive) {
  Bench b(
      [](Bench& t) {
        const Sge src = t.host_buffer(64);
        const Sge dst = t.iou_buffer(64);  // holds the message, not the GRH area in front
        ASSERT_TRUE(t.iou().post_recv(*t.iqp, 7, dst));
        ASSERT_TRUE(t.host().post_send(*t.hqp, datagram(1, src, t.to_iou())));
        EXPECT_EQ(t.next(*t.hcq, t.host()).status, WcStatus::kSuccess);  // the sender never knows
        const WorkCompletion r = t.next(*t.icq, t.iou());
        EXPECT_EQ(r.wr_id, 7u);
        EXPECT_EQ(r.status, WcStatus::kLocalLength);
        EXPECT_EQ(t.sys->iou.hca->qp_state(t.iqp->qpn), QpState::kError);
      },
      {}, QpType::kUd);
  run_bench(b);
}

}  // namespace
}  // namespace hcasim
