// The verbs layer as an rdma-core user meets it: QPs move through RESET, INIT, RTR and RTS
// before they carry traffic; errors are return values (errno and the first bad WR) and leave
// nothing half-posted; lists of WRs and several SGEs on both queues move the right bytes; each
// call costs its CPU time inside the driver's guard. A bench thread on cpu0 plays the host
// software; the I/O unit's side is driven through its firmware queues.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "models/core/lookahead.hpp"
#include "workloads/system.hpp"

namespace hcasim {
namespace {

struct Bench : sc_core::sc_module {
  SC_HAS_PROCESS(Bench);
  ParamRegistry registry;
  std::unique_ptr<ParamValues> values;
  std::unique_ptr<System> sys;
  verbs::VerbsDevice* dev = nullptr;
  verbs::Cq* cq = nullptr;
  verbs::Qp* qp = nullptr;
  IouQueues peer;
  std::unique_ptr<SimContext> ctx;
  std::function<void(Bench&)> body;
  bool done = false;

  static constexpr std::uint32_t kQkey = 0x11111111;
  const verbs::Ah* ah = nullptr;  // UD: the I/O unit's port

  Bench(std::function<void(Bench&)> b, bool connect = true,
        std::vector<std::pair<std::string, std::string>> sets = {}, QpType type = QpType::kRc)
      : sc_module("bench"), body(std::move(b)) {
    declare_all_params(registry);
    values = std::make_unique<ParamValues>(registry);
    for (auto& [k, v] : sets) values->set(k, v, ValueOrigin{"test"});
    sys = std::make_unique<System>(*values, nullptr);
    dev = &sys->verbs();
    cq = &dev->create_cq(64);
    verbs::QpCaps caps;
    caps.max_send_wr = 8;
    caps.max_recv_wr = 8;
    caps.max_send_sge = 3;
    caps.max_recv_sge = 3;
    qp = &dev->create_qp(*cq, *cq, caps, type);
    peer = sys->open_iou_queues(0, 64, 16, 16, type);
    if (connect && type == QpType::kUd) ah = &sys->connect_ud(*dev, *qp, 0, peer, kQkey);
    if (connect && type == QpType::kRc) sys->connect(*dev, *qp, 0, peer);
    ctx = std::make_unique<SimContext>(*sys->cpus[0]);
    SC_THREAD(run);
  }
  void run() {
    body(*this);
    done = true;
    hcasim::Lookahead::stop();
  }
  HostMemory& hm() { return *sys->host.memory; }
  HostMemory& im() { return *sys->iou.memory; }
  // A registered host buffer.
  Sge host_buffer(std::uint32_t len) {
    const auto addr = hm().allocate(len);
    return Sge{addr, len, dev->reg_mr(addr, len, kLocalWrite).lkey};
  }
  Sge iou_buffer(std::uint32_t len) {
    const auto addr = im().allocate(len);
    return Sge{addr, len, peer.adapter->register_memory(addr, len, kLocalWrite)};
  }
  WorkCompletion next_host() {
    WorkCompletion wc;
    EXPECT_EQ(dev->spin_poll_cq(*ctx, *cq, &wc, 1), 1);
    return wc;
  }
  WorkCompletion next_iou() {
    WorkCompletion wc;
    while (peer.cq->poll(&wc, 1) == 0) hcasim::Lookahead::wait(peer.cq->landed_event());
    peer.adapter->retire(wc);
    return wc;
  }
  verbs::SendWr send(std::uint64_t id, const Sge* sges, std::uint32_t n, unsigned flags = 1) {
    verbs::SendWr wr;
    wr.wr_id = id;
    wr.sg_list = sges;
    wr.num_sge = n;
    wr.send_flags = flags;
    return wr;
  }
};

void fill(HostMemory& m, const Sge& s, std::uint8_t seed) {
  for (std::uint32_t i = 0; i < s.len; ++i) m.at(s.addr + i, 1)[0] = std::uint8_t(seed + i * 7);
}

void run_bench(Bench& b) {
  hcasim::Lookahead::run();
  ASSERT_TRUE(b.done) << "the bench thread did not finish (model stalled)";
}

TEST(Verbs, AQueuePairCarriesTrafficOnlyFromRts) {
  Bench b(
      [](Bench& t) {
        const Sge s = t.host_buffer(8);
        const verbs::SendWr wr = t.send(1, &s, 1);
        EXPECT_EQ(t.qp->state(), QpState::kReset);
        std::size_t bad = 99;
        EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, &wr, 1, &bad), EINVAL);
        EXPECT_EQ(bad, 0u);
        const verbs::RecvWr rr{7, &s, 1};
        EXPECT_EQ(t.dev->post_recv(*t.ctx, *t.qp, &rr, 1), EINVAL);  // RESET takes no receives

        verbs::QpAttr a;
        a.state = QpState::kRtr;  // RESET -> RTR skips INIT
        EXPECT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), EINVAL);
        EXPECT_EQ(t.qp->state(), QpState::kReset);
        a.state = QpState::kInit;
        EXPECT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), 0);
        EXPECT_EQ(t.dev->post_recv(*t.ctx, *t.qp, &rr, 1), 0);  // from INIT on
        EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, &wr, 1), EINVAL);
        a.state = QpState::kRtr;  // no remote endpoint given
        EXPECT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), EINVAL);
        a.remote = verbs::Endpoint{t.sys->iou.hca->port_address(), t.peer.qp->qpn, 0};
        EXPECT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), 0);
        EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, &wr, 1), EINVAL);  // RTR: receive only
        a.state = QpState::kRts;
        EXPECT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), 0);
        EXPECT_EQ(t.qp->state(), QpState::kRts);
        EXPECT_EQ(t.dev->stats().errors_returned, 6u);
        EXPECT_EQ(t.dev->stats().sends_posted, 0u);
        EXPECT_EQ(t.sys->host.hca->counters().doorbells, 1u);  // the one receive
      },
      /*connect=*/false);
  run_bench(b);
}

TEST(Verbs, ADatagramQpSendsOnlySendsEachToAnAddressHandle) {
  Bench b(
      [](Bench& t) {
        EXPECT_EQ(t.qp->type(), QpType::kUd);
        EXPECT_EQ(t.qp->state(), QpState::kRts);  // readied without a remote end
        const Sge s = t.host_buffer(64);
        fill(t.hm(), s, 5);
        verbs::SendWr wr = t.send(1, &s, 1);
        std::size_t bad = 99;
        EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, &wr, 1, &bad), EINVAL);  // no address handle
        EXPECT_EQ(bad, 0u);
        wr.ud = verbs::SendWr::Ud{t.ah, t.peer.qp->qpn, Bench::kQkey};
        verbs::SendWr write = wr;
        write.opcode = WrOpcode::kRdmaWrite;
        EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, &write, 1), EINVAL);  // SENDs only
        EXPECT_EQ(t.sys->host.hca->counters().doorbells, 0u);
        const Sge in = t.iou_buffer(verbs::kGrhBytes + 64);
        ASSERT_TRUE(t.peer.adapter->post_recv(*t.peer.qp, 3, in));
        EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, &wr, 1), 0);
        const WorkCompletion r = t.next_iou();
        EXPECT_EQ(r.status, WcStatus::kSuccess);
        EXPECT_EQ(r.byte_len, verbs::kGrhBytes + 64);
        EXPECT_EQ(r.src_qp, t.qp->qp_num());
        EXPECT_EQ(std::memcmp(t.hm().at(s.addr, 64), t.im().at(in.addr + verbs::kGrhBytes, 64), 64),
                  0);
        EXPECT_EQ(t.next_host().status, WcStatus::kSuccess);
        // The peer answers to the host's QP (System::connect_ud told it where).
        const Sge back = t.host_buffer(verbs::kGrhBytes + 64);
        const verbs::RecvWr rr{9, &back, 1};
        ASSERT_EQ(t.dev->post_recv(*t.ctx, *t.qp, &rr, 1), 0);
        SendRequest reply;
        reply.sges = {Sge{in.addr + verbs::kGrhBytes, 64, in.lkey}};
        reply.ud = t.peer.ud_peer;
        ASSERT_TRUE(t.peer.adapter->post_send(*t.peer.qp, reply));
        const WorkCompletion got = t.next_host();
        EXPECT_TRUE(got.is_recv);
        EXPECT_EQ(got.byte_len, verbs::kGrhBytes + 64);
        EXPECT_EQ(
            std::memcmp(t.hm().at(s.addr, 64), t.hm().at(back.addr + verbs::kGrhBytes, 64), 64), 0);
        EXPECT_EQ(t.dev->stats().errors_returned, 2u);
      },
      /*connect=*/true, {}, QpType::kUd);
  run_bench(b);
}

TEST(Verbs, ConnectedWithChosenPsnsTheMessagesArrive) {
  Bench b(
      [](Bench& t) {
        // The sides exchange their first PSNs out of band; each must expect the other's.
        const std::uint32_t host_psn = 4000, iou_psn = 9000;
        verbs::QpAttr a;
        a.state = QpState::kInit;
        ASSERT_EQ(t.dev->modify_qp(*t.qp, a), 0);
        a.state = QpState::kRtr;
        a.remote = verbs::Endpoint{t.sys->iou.hca->port_address(), t.peer.qp->qpn, iou_psn};
        ASSERT_EQ(t.dev->modify_qp(*t.qp, a), 0);
        a.state = QpState::kRts;
        a.sq_psn = host_psn;
        ASSERT_EQ(t.dev->modify_qp(*t.qp, a), 0);
        t.sys->iou.hca->connect(t.peer.qp->qpn, t.sys->host.hca->port_address(), t.qp->qp_num(),
                                iou_psn, host_psn);
        const Sge src = t.host_buffer(64);
        fill(t.hm(), src, 1);
        const Sge dst = t.iou_buffer(64);
        ASSERT_TRUE(t.peer.adapter->post_recv(*t.peer.qp, 1, dst));
        const verbs::SendWr wr = t.send(3, &src, 1);
        ASSERT_EQ(t.dev->post_send(*t.ctx, *t.qp, &wr, 1), 0);
        EXPECT_EQ(t.next_iou().status, WcStatus::kSuccess);
        const WorkCompletion s = t.next_host();
        EXPECT_EQ(s.status, WcStatus::kSuccess);
        EXPECT_EQ(s.wr_id, 3u);
        EXPECT_EQ(std::memcmp(t.hm().at(src.addr, 64), t.im().at(dst.addr, 64), 64), 0);
        EXPECT_EQ(t.sys->iou.hca->counters().timeouts, 0u);
      },
      /*connect=*/false);
  run_bench(b);
}

TEST(Verbs, ABadWorkRequestStopsTheListAndIsNamed) {
  Bench b([](Bench& t) {
    const Sge s[4] = {t.host_buffer(16), t.host_buffer(16), t.host_buffer(16), t.host_buffer(16)};
    const Sge dst = t.iou_buffer(64);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(t.peer.adapter->post_recv(*t.peer.qp, i, dst));
    // The second WR has 4 SGEs (the QP allows 3); the first is posted, the rest are not.
    const verbs::SendWr list[3] = {t.send(10, s, 1), t.send(11, s, 4), t.send(12, s, 1)};
    std::size_t bad = 99;
    EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, list, 3, &bad), EINVAL);
    EXPECT_EQ(bad, 1u);
    EXPECT_EQ(t.next_host().wr_id, 10u);
    // Inline data beyond the QP's max_inline_data.
    const Sge big = t.host_buffer(t.dev->max_inline() + 1);
    const verbs::SendWr in = t.send(13, &big, 1, verbs::kSendSignaled | verbs::kSendInline);
    EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, &in, 1, &bad), EINVAL);
    EXPECT_EQ(bad, 0u);
    // An opcode that is not a send.
    verbs::SendWr op = t.send(14, s, 1);
    op.opcode = WrOpcode::kRecv;
    EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, &op, 1), EINVAL);
    // Receives: more SGEs than max_recv_sge.
    const verbs::RecvWr rr{20, s, 4};
    EXPECT_EQ(t.dev->post_recv(*t.ctx, *t.qp, &rr, 1), EINVAL);
    EXPECT_EQ(t.dev->stats().sends_posted, 1u);
    EXPECT_EQ(t.dev->stats().recvs_posted, 0u);
    EXPECT_EQ(t.qp->recvs_outstanding(), 0u);
  });
  run_bench(b);
}

TEST(Verbs, AFullSendQueueIsEnomemAtTheFirstWrThatDoesNotFit) {
  Bench b([](Bench& t) {
    const Sge s = t.host_buffer(8);
    const Sge dst = t.iou_buffer(8);
    for (int i = 0; i < 16; ++i) ASSERT_TRUE(t.peer.adapter->post_recv(*t.peer.qp, i, dst));
    std::vector<verbs::SendWr> list;
    for (int i = 0; i < 10; ++i) list.push_back(t.send(i, &s, 1));
    std::size_t bad = 99;
    // The send queue holds 8: WRs 0..7 go, WR 8 is refused.
    EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, list.data(), list.size(), &bad), ENOMEM);
    EXPECT_EQ(bad, 8u);
    EXPECT_EQ(t.qp->sends_outstanding(), 8u);
    // Slots come back only when their completions are polled.
    for (int i = 0; i < 8; ++i) EXPECT_EQ(t.next_host().wr_id, std::uint64_t(i));
    EXPECT_EQ(t.qp->sends_outstanding(), 0u);
    EXPECT_EQ(t.dev->post_send(*t.ctx, *t.qp, list.data() + 8, 2), 0);
    EXPECT_EQ(t.next_host().wr_id, 8u);
    EXPECT_EQ(t.next_host().wr_id, 9u);
  });
  run_bench(b);
}

TEST(Verbs, SeveralSgesGatherOnSendAndScatterOnReceive) {
  Bench b([](Bench& t) {
    // Host sends 3 pieces (100 + 2000 + 3000 B) gathered into one message; the host also
    // receives one message scattered over 3 buffers (50 + 50 + 5000 B).
    const Sge src[3] = {t.host_buffer(100), t.host_buffer(2000), t.host_buffer(3000)};
    for (int i = 0; i < 3; ++i) fill(t.hm(), src[i], std::uint8_t(10 * i + 1));
    const Sge dst = t.iou_buffer(5100);
    ASSERT_TRUE(t.peer.adapter->post_recv(*t.peer.qp, 1, dst));
    const verbs::SendWr wr = t.send(1, src, 3);
    ASSERT_EQ(t.dev->post_send(*t.ctx, *t.qp, &wr, 1), 0);
    const WorkCompletion r = t.next_iou();
    EXPECT_EQ(r.byte_len, 5100u);
    std::uint64_t at = dst.addr;
    for (const Sge& s : src) {
      EXPECT_EQ(std::memcmp(t.hm().at(s.addr, s.len), t.im().at(at, s.len), s.len), 0);
      at += s.len;
    }
    EXPECT_EQ(t.next_host().status, WcStatus::kSuccess);

    const Sge in[3] = {t.host_buffer(50), t.host_buffer(50), t.host_buffer(5000)};
    const verbs::RecvWr rr{2, in, 3};
    ASSERT_EQ(t.dev->post_recv(*t.ctx, *t.qp, &rr, 1), 0);
    SendRequest back;  // the I/O unit's firmware sends the 5100 bytes back
    back.wr_id = 9;
    back.sges = {dst};
    ASSERT_TRUE(t.peer.adapter->post_send(*t.peer.qp, back));
    const WorkCompletion got = t.next_host();
    EXPECT_TRUE(got.is_recv);
    EXPECT_EQ(got.byte_len, 5100u);
    at = dst.addr;
    for (const Sge& s : in) {
      EXPECT_EQ(std::memcmp(t.hm().at(s.addr, s.len), t.im().at(at, s.len), s.len), 0);
      at += s.len;
    }
  });
  run_bench(b);
}

TEST(Verbs, InlineMessagesAsLargeAsTheWqeBodyArriveIntactEachFromItsOwnEntry) {
  // With 512-byte send WQEs the body holds 480 inline bytes. Four inline sends posted as one
  // list sit decoded side by side in the adapter before they go: each must arrive with its
  // own bytes, the full-size ones included.
  Bench b(
      [](Bench& t) {
        const std::uint32_t sizes[4] = {480, 1, 479, 240};
        Sge src[4];
        Sge dst[4];
        verbs::SendWr wrs[4];
        for (int i = 0; i < 4; ++i) {
          src[i] = t.host_buffer(sizes[i]);
          fill(t.hm(), src[i], std::uint8_t(31 * i + 5));
          dst[i] = t.iou_buffer(480);
          ASSERT_TRUE(t.peer.adapter->post_recv(*t.peer.qp, 10 + i, dst[i]));
          wrs[i] = t.send(i, &src[i], 1, verbs::kSendSignaled | verbs::kSendInline);
        }
        ASSERT_EQ(t.dev->post_send(*t.ctx, *t.qp, wrs, 4), 0);
        for (int i = 0; i < 4; ++i) {
          const WorkCompletion r = t.next_iou();
          EXPECT_EQ(r.wr_id, 10u + i);
          ASSERT_EQ(r.byte_len, sizes[i]);
          EXPECT_EQ(std::memcmp(t.hm().at(src[i].addr, sizes[i]), t.im().at(dst[i].addr, sizes[i]),
                                sizes[i]),
                    0)
              << "message " << i;
        }
        for (int i = 0; i < 4; ++i) EXPECT_EQ(t.next_host().status, WcStatus::kSuccess);
      },
      /*connect=*/true, {{"hca.sq_stride", "512"}});
  run_bench(b);
}

TEST(Verbs, EachCallCostsItsCyclesInsideTheGuard) {
  // Memory accesses free: a call's CPU time is the guard's bookkeeping plus the layer's cost
  // parameters, which this test sets to values it can recognise.
  Bench b(
      [](Bench& t) {
        const Sge s = t.host_buffer(8);
        const Sge dst = t.iou_buffer(8);
        for (int i = 0; i < 4; ++i) ASSERT_TRUE(t.peer.adapter->post_recv(*t.peer.qp, i, dst));
        const verbs::SendWr list[4] = {t.send(0, &s, 1, 0), t.send(1, &s, 1, 0),
                                       t.send(2, &s, 1, 0), t.send(3, &s, 1)};
        SimCpu& cpu = *t.sys->cpus[0];
        const AdapterDriver::Stats& g = t.dev->driver().stats();
        const Picos busy0 = cpu.busy_ps();
        const Picos guard0 = g.worker_wait_ps + g.worker_exit_ps;
        ASSERT_EQ(t.dev->post_send(*t.ctx, *t.qp, list, 4), 0);
        const Picos guard = g.worker_wait_ps + g.worker_exit_ps - guard0;
        EXPECT_EQ(g.sections, 1u);  // one guarded section for the whole list
        EXPECT_EQ(cpu.busy_ps() - busy0, guard + 4 * 1000 * 1000);  // 4 x 1000 cycles at 1 GHz
        EXPECT_GT(guard, 0u);
      },
      true,
      {{"host.cpu_ghz", "1"},
       {"host.post_send_cycles", "1000"},
       {"host.cache_hit_cycles", "0"},
       {"host.atomic_cycles", "0"},
       {"host.line_transfer_ns", "0"}});
  run_bench(b);
}

TEST(Verbs, ModifyFromAThreadIsAnUpdateOfTheDriversResources) {
  Bench b([](Bench& t) {
    const std::uint64_t updates = t.dev->driver().stats().updates;
    verbs::QpAttr a;
    a.state = QpState::kSqd;
    EXPECT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), 0);
    a.state = QpState::kRts;
    EXPECT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), 0);
    a.state = QpState::kInit;  // RTS -> INIT is not a verbs move
    EXPECT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), EINVAL);
    EXPECT_EQ(t.qp->state(), QpState::kRts);
    EXPECT_EQ(t.dev->driver().stats().updates, updates + 3);
    EXPECT_EQ(t.dev->driver().stats().violations, 0u);
  });
  run_bench(b);
}

TEST(Verbs, MovingAQueuePairToErrFlushesItsWork) {
  Bench b([](Bench& t) {
    // No receive on the I/O unit: the SEND waits on receiver-not-ready retries when the QP
    // is moved to ERR. It, and a send posted afterwards, complete with a flush error.
    const Sge s = t.host_buffer(8);
    const verbs::SendWr first = t.send(1, &s, 1), later = t.send(2, &s, 1);
    ASSERT_EQ(t.dev->post_send(*t.ctx, *t.qp, &first, 1), 0);
    hcasim::Lookahead::wait(sc_core::sc_time(3, sc_core::SC_US));
    verbs::QpAttr a;
    a.state = QpState::kError;
    ASSERT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), 0);
    EXPECT_EQ(t.qp->state(), QpState::kError);
    ASSERT_EQ(t.dev->post_send(*t.ctx, *t.qp, &later, 1), 0);  // accepted, then flushed
    const WorkCompletion c1 = t.next_host();
    const WorkCompletion c2 = t.next_host();
    EXPECT_EQ(c1.wr_id, 1u);
    EXPECT_EQ(c1.status, WcStatus::kFlushed);
    EXPECT_EQ(c2.wr_id, 2u);
    EXPECT_EQ(c2.status, WcStatus::kFlushed);
    a.state = QpState::kRts;  // ERR -> RTS is not a verbs move
    EXPECT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), EINVAL);
    a.state = QpState::kReset;
    EXPECT_EQ(t.dev->modify_qp(*t.ctx, *t.qp, a), 0);
    EXPECT_EQ(t.qp->sends_outstanding(), 0u);
  });
  run_bench(b);
}

TEST(Verbs, ResizingACqKeepsItsEntriesInOrder) {
  Bench b([](Bench& t) {
    const Sge s = t.host_buffer(8);
    const Sge dst = t.iou_buffer(8);
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(t.peer.adapter->post_recv(*t.peer.qp, i, dst));
    std::vector<verbs::SendWr> list;
    for (int i = 0; i < 6; ++i) list.push_back(t.send(i, &s, 1));
    ASSERT_EQ(t.dev->post_send(*t.ctx, *t.qp, list.data(), 3), 0);
    hcasim::Lookahead::wait(
        sc_core::sc_time(5, sc_core::SC_US));  // three completions wait in the CQ
    EXPECT_EQ(t.cq->pending(), 3u);
    EXPECT_EQ(t.dev->resize_cq(*t.ctx, *t.cq, 2), EINVAL);  // below what it holds
    ASSERT_EQ(t.dev->resize_cq(*t.ctx, *t.cq, 256), 0);
    EXPECT_EQ(t.cq->cqe(), 256u);
    ASSERT_EQ(t.dev->post_send(*t.ctx, *t.qp, list.data() + 3, 3), 0);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(t.next_host().wr_id, std::uint64_t(i));
  });
  run_bench(b);
}

}  // namespace
}  // namespace hcasim
