// Completion-queue control as a driver relies on it: an arm that carries the consumer index
// never loses an event (also when an entry lands while the arm travels), a moderation timer
// is cleared by the event it belongs to, an overrun raises one CqError event and counts what it
// loses, and a resize -- under traffic or to recover from an overrun -- keeps every completion
// in order. A test-bench thread plays the host software.
#include "models/core/lookahead.hpp"
#include "tests/integration/hca_test_bench.hpp"

namespace hcasim {
namespace {

using hca_test::Bench;
using hca_test::RecordingInterrupts;
using hca_test::run_bench;

constexpr std::uint32_t kAsyncVector = 100;

Picos now() { return now_ps(); }

// One small inline SEND from host to I/O unit (a receive posted there first); `wr_id` names it.
void send_one(Bench& t, QueuePair& qp, std::uint64_t wr_id, const Sge& src, const Sge& dst) {
  ASSERT_TRUE(t.iou().post_recv(*t.iqp, wr_id, dst));
  SendRequest w;
  w.wr_id = wr_id;
  w.sges = {src};
  w.inline_data = true;
  ASSERT_TRUE(t.host().post_send(qp, w));
}

// Polls everything `cq` holds now, retiring each entry; returns the completions.
std::vector<WorkCompletion> drain(CompletionQueue& cq, AdapterContext& ctx) {
  std::vector<WorkCompletion> got;
  WorkCompletion wc;
  while (cq.poll(&wc, 1)) {
    ctx.retire(wc);
    got.push_back(wc);
  }
  return got;
}

// Keeps the I/O unit's CQ polled so its queues never fill (it has no service in the bench).
void drain_iou(Bench& t) { drain(*t.icq, t.iou()); }

TEST(HcaCqArm, EntryLandingWhileTheArmTravelsRaisesTheEvent) {
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    irq.cq = t.hcq;
    t.sys->host.pcie->set_interrupt_sink(&irq);
    const Sge src = t.host_buffer(8), dst = t.iou_buffer(8);
    // How long an arm doorbell travels (to a CQ that never gets an entry).
    CompletionQueue& probe = t.host().create_cq(4);
    const Picos flight = t.host().arm_cq(probe) - now();
    // How long a send takes to complete, unloaded.
    Picos start = now();
    send_one(t, *t.hqp, 1, src, dst);
    hcasim::Lookahead::wait(t.hcq->landed_event());
    const Picos latency = now() - start;
    ASSERT_EQ(drain(*t.hcq, t.host()).size(), 1u);
    drain_iou(t);
    hcasim::Lookahead::wait(sc_core::sc_time(20, sc_core::SC_US));
    // The same send again; poll (empty) and arm half an arm-flight before its entry lands.
    start = now();
    send_one(t, *t.hqp, 2, src, dst);
    hcasim::Lookahead::wait(ps(latency - flight / 2));
    ASSERT_TRUE(drain(*t.hcq, t.host()).empty()) << "polled before the entry landed";
    const Picos armed = now();
    const Picos arrives = t.host().arm_cq(*t.hcq);
    hcasim::Lookahead::wait(t.hcq->landed_event());
    const Picos landed = now();
    EXPECT_GT(landed, armed) << "the entry landed after software polled and armed";
    EXPECT_LT(landed, arrives) << "... and before the arm reached the adapter: the race";
    if (irq.seen.empty()) hcasim::Lookahead::wait(irq.raised);
    ASSERT_EQ(irq.seen.size(), 1u);
    EXPECT_EQ(irq.seen[0].vector, t.hcq->cqn());
    EXPECT_EQ(irq.seen[0].landed, 2u) << "the event lands after the entry";
    // The adapter raises it as soon as the arm is decoded; the MSI then crosses the link.
    const Hca& hca = *t.sys->host.hca;
    const PcieLink& pcie = *t.sys->host.pcie;
    const Picos decoded =
        hca.clock().edge_at_or_after(arrives) + hca.clock().cycles(hca.params().doorbell_cycles);
    EXPECT_EQ(irq.seen[0].at.value(), decoded + pcie.write_wire_ps(4) + pcie.params().latency_ps());
    hcasim::Lookahead::wait(sc_core::sc_time(20, sc_core::SC_US));
    EXPECT_EQ(irq.seen.size(), 1u) << "one-shot: no second event";
    EXPECT_EQ(hca.counters().interrupts, 1u);
  });
  run_bench(b);
}

TEST(HcaCqArm, PollArmSleepNeverMissesNorDuplicatesAnEvent) {
  // One send at a time; the host polls at offsets swept across the entry's landing (before it,
  // during the arm's flight, after the arm arrived). "Poll; if empty, arm and sleep until the
  // event" must get exactly one event per arm, and never sleep through an entry.
  RecordingInterrupts irq;
  int before = 0, during = 0, after = 0, arms = 0;
  Bench b([&](Bench& t) {
    irq.cq = t.hcq;
    t.sys->host.pcie->set_interrupt_sink(&irq);
    const Sge src = t.host_buffer(8), dst = t.iou_buffer(8);
    CompletionQueue& probe = t.host().create_cq(4);
    const auto flight = static_cast<std::int64_t>(t.host().arm_cq(probe) - now());
    Picos start = now();
    send_one(t, *t.hqp, 0, src, dst);
    hcasim::Lookahead::wait(t.hcq->landed_event());
    const auto latency = static_cast<std::int64_t>(now() - start);
    ASSERT_EQ(drain(*t.hcq, t.host()).size(), 1u);
    std::uint64_t id = 1;
    for (std::int64_t offset = -flight - 100'000; offset <= flight + 100'000; offset += 20'000) {
      drain_iou(t);
      hcasim::Lookahead::wait(sc_core::sc_time(10, sc_core::SC_US));
      start = now();
      send_one(t, *t.hqp, id, src, dst);
      hcasim::Lookahead::wait(ps(static_cast<Picos>(latency + offset)));
      std::vector<WorkCompletion> got = drain(*t.hcq, t.host());
      if (got.empty()) {
        const std::size_t events = irq.seen.size();
        const Picos arrives = t.host().arm_cq(*t.hcq);
        ++arms;
        hcasim::Lookahead::wait(t.hcq->landed_event());
        (now() < arrives ? during : after) += 1;
        while (irq.seen.size() == events) hcasim::Lookahead::wait(irq.raised);
        got = drain(*t.hcq, t.host());
      } else {
        ++before;
      }
      ASSERT_EQ(got.size(), 1u);
      EXPECT_EQ(got[0].wr_id, id);
      ++id;
    }
    hcasim::Lookahead::wait(sc_core::sc_time(20, sc_core::SC_US));
  });
  run_bench(b);
  EXPECT_GT(before, 0);
  EXPECT_GT(during, 0) << "some entries land while the arm travels";
  EXPECT_GT(after, 0);
  EXPECT_EQ(static_cast<int>(irq.seen.size()), arms) << "exactly one event per arm";
  EXPECT_EQ(static_cast<int>(b.sys->host.hca->counters().interrupts), arms);
}

TEST(HcaCqArm, SolicitedOnlyArmWaitsForASolicitedReceive) {
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    irq.cq = t.hcq;
    t.sys->host.pcie->set_interrupt_sink(&irq);
    const Sge dst = t.host_buffer(8), src = t.iou_buffer(8);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(t.host().post_recv(*t.hqp, i, dst));
    // The I/O unit sends message `id` to the host, solicited or not; waits until it landed.
    auto message = [&](std::uint64_t id, bool solicited) {
      drain_iou(t);
      SendRequest w;
      w.wr_id = id;
      w.sges = {src};
      w.inline_data = true;
      w.solicited = solicited;
      ASSERT_TRUE(t.iou().post_send(*t.iqp, w));
      while (t.hcq->landed() < id + 1) hcasim::Lookahead::wait(t.hcq->landed_event());
      hcasim::Lookahead::wait(sc_core::sc_time(10, sc_core::SC_US));
    };
    t.host().arm_cq(*t.hcq, true);
    message(0, false);
    EXPECT_TRUE(irq.seen.empty()) << "an ordinary receive does not raise a solicited event";
    message(1, true);
    ASSERT_EQ(irq.seen.size(), 1u);
    EXPECT_EQ(irq.seen[0].landed, 2u);
    const std::vector<WorkCompletion> got = drain(*t.hcq, t.host());
    ASSERT_EQ(got.size(), 2u);
    EXPECT_FALSE(got[0].solicited);
    EXPECT_TRUE(got[1].solicited);
    // At the arm: an unpolled ordinary entry does not fire a solicited arm...
    message(2, false);
    t.host().arm_cq(*t.hcq, true);
    hcasim::Lookahead::wait(sc_core::sc_time(10, sc_core::SC_US));
    EXPECT_EQ(irq.seen.size(), 1u);
    // ... an arm for any completion does, and an unpolled solicited entry fires a solicited arm.
    t.host().arm_cq(*t.hcq);
    hcasim::Lookahead::wait(sc_core::sc_time(10, sc_core::SC_US));
    EXPECT_EQ(irq.seen.size(), 2u);
    message(3, true);
    EXPECT_EQ(irq.seen.size(), 2u) << "not armed";
    t.host().arm_cq(*t.hcq, true);
    hcasim::Lookahead::wait(sc_core::sc_time(10, sc_core::SC_US));
    EXPECT_EQ(irq.seen.size(), 3u);
  });
  run_bench(b);
}

TEST(HcaCqModeration, TimerIsClearedByTheEventTheCountRaised) {
  // count 2, period 20 us: two quick completions fire by count while the timer of the first
  // is still pending. After re-arming, one completion must wait its own full period, not the
  // rest of the stale timer.
  static constexpr Picos kPeriod = 20'000'000;
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    irq.cq = t.hcq;
    t.sys->host.pcie->set_interrupt_sink(&irq);
    const Sge src = t.host_buffer(8), dst = t.iou_buffer(8);
    t.sys->host.hca->modify_cq_moderation(t.hcq->cqn(), 2, kPeriod);
    t.host().arm_cq(*t.hcq);
    send_one(t, *t.hqp, 1, src, dst);
    send_one(t, *t.hqp, 2, src, dst);
    while (irq.seen.empty()) hcasim::Lookahead::wait(irq.raised);
    EXPECT_EQ(irq.seen[0].landed, 2u) << "the count fired the event";
    ASSERT_EQ(drain(*t.hcq, t.host()).size(), 2u);
    drain_iou(t);
    t.host().arm_cq(*t.hcq);
    hcasim::Lookahead::wait(sc_core::sc_time(5, sc_core::SC_US));
    send_one(t, *t.hqp, 3, src, dst);
    hcasim::Lookahead::wait(t.hcq->landed_event());
    const Picos landed = now();
    while (irq.seen.size() < 2) hcasim::Lookahead::wait(irq.raised);
    // The timer starts when the entry is written (it lands one write later) and the MSI then
    // crosses the idle link.
    const PcieLink& pcie = *t.sys->host.pcie;
    EXPECT_EQ(irq.seen[1].at.value() - landed,
              kPeriod + pcie.write_wire_ps(4) - pcie.write_wire_ps(32));
    EXPECT_EQ(irq.seen[1].landed, 3u);
  });
  run_bench(b);
}

TEST(HcaCqModeration, TimerThatFiredLeavesNothingBehind) {
  // The period fires the first event (count never reached); the next armed completion gets a
  // fresh full period.
  static constexpr Picos kPeriod = 10'000'000;
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    irq.cq = t.hcq;
    t.sys->host.pcie->set_interrupt_sink(&irq);
    const Sge src = t.host_buffer(8), dst = t.iou_buffer(8);
    const PcieLink& pcie = *t.sys->host.pcie;
    const Picos after_landing = kPeriod + pcie.write_wire_ps(4) - pcie.write_wire_ps(32);
    t.sys->host.hca->modify_cq_moderation(t.hcq->cqn(), 8, kPeriod);
    for (std::uint64_t id = 1; id <= 2; ++id) {
      t.host().arm_cq(*t.hcq);
      send_one(t, *t.hqp, id, src, dst);
      hcasim::Lookahead::wait(t.hcq->landed_event());
      const Picos landed = now();
      const std::size_t before = irq.seen.size();
      while (irq.seen.size() == before) hcasim::Lookahead::wait(irq.raised);
      EXPECT_EQ(irq.seen.back().at.value() - landed, after_landing) << "event " << id;
      ASSERT_EQ(drain(*t.hcq, t.host()).size(), 1u);
      drain_iou(t);
      hcasim::Lookahead::wait(sc_core::sc_time(3, sc_core::SC_US));
    }
    EXPECT_EQ(irq.seen.size(), 2u);
  });
  run_bench(b);
}

// A host CQ of `entries` and a queue pair on it, connected to a new one at the I/O unit.
QueuePair& small_cq_pair(Bench& t, CompletionQueue*& cq, std::uint32_t entries) {
  cq = &t.host().create_cq(entries);
  QueuePair& hq = t.host().create_qp(*cq, *cq, 64, 8);
  t.iqp = &t.iou().create_qp(*t.icq, *t.icq, 64, 64);
  t.sys->host.hca->connect(hq.qpn, t.sys->iou.hca->port_address(), t.iqp->qpn);
  t.sys->iou.hca->connect(t.iqp->qpn, t.sys->host.hca->port_address(), hq.qpn);
  return hq;
}

TEST(HcaCqOverrun, RaisesOneCqErrorAndResizeRecoversCountingWhatWasLost) {
  RecordingInterrupts irq;
  Bench b([&](Bench& t) {
    t.sys->host.pcie->set_interrupt_sink(&irq);
    CompletionQueue* cq = nullptr;
    QueuePair& qp = small_cq_pair(t, cq, 16);
    irq.cq = cq;
    EventQueue& eq = t.host().open_event_queue(kAsyncVector);
    AsyncEvent ev[4];
    while (eq.landed() < 1) hcasim::Lookahead::wait(eq.landed_event());
    ASSERT_EQ(eq.poll(ev, 4), 1u);
    EXPECT_EQ(ev[0].kind, AsyncEventKind::kPortActive);
    // 24 signaled sends, nobody polls the 16-entry CQ: 8 completions have no room.
    const Sge src = t.host_buffer(8), dst = t.iou_buffer(8);
    for (std::uint64_t id = 0; id < 24; ++id) {
      send_one(t, qp, id, src, dst);
      hcasim::Lookahead::wait(sc_core::sc_time(1, sc_core::SC_US));
    }
    hcasim::Lookahead::wait(sc_core::sc_time(20, sc_core::SC_US));
    const Hca& hca = *t.sys->host.hca;
    EXPECT_EQ(cq->landed(), 16u);
    EXPECT_EQ(hca.cq_completions_lost(cq->cqn()), 8u);
    EXPECT_EQ(hca.counters().completions_lost, 8u);
    EXPECT_EQ(hca.counters().cq_overruns, 1u);
    ASSERT_EQ(eq.poll(ev, 4), 1u) << "one CqError, however many entries were lost";
    EXPECT_EQ(ev[0].kind, AsyncEventKind::kCqError);
    EXPECT_EQ(ev[0].number, cq->cqn());
    // Each event came as an MSI on the async vector, after its entry.
    ASSERT_EQ(irq.seen.size(), 2u);
    EXPECT_EQ(irq.seen[0].vector, kAsyncVector);
    EXPECT_EQ(irq.seen[1].vector, kAsyncVector);
    EXPECT_EQ(eq.landed(), 2u);
    // Recovery: resize (the unpolled entries move to the new ring), then traffic goes on.
    ASSERT_EQ(t.host().resize_cq(*cq, 64), VerbStatus::kOk);
    EXPECT_EQ(cq->entries(), 64u);
    const std::vector<WorkCompletion> kept = drain(*cq, t.host());
    ASSERT_EQ(kept.size(), 16u);
    for (std::uint64_t i = 0; i < 16; ++i) EXPECT_EQ(kept[i].wr_id, i);
    drain_iou(t);
    for (std::uint64_t id = 24; id < 34; ++id) send_one(t, qp, id, src, dst);
    std::uint64_t expect = 24;
    while (expect < 34) {
      const WorkCompletion wc = t.next(*cq, t.host());
      EXPECT_EQ(wc.status, WcStatus::kSuccess);
      EXPECT_EQ(wc.wr_id, expect++);
    }
    EXPECT_EQ(hca.cq_completions_lost(cq->cqn()), 8u) << "nothing lost after the resize";
    EXPECT_EQ(hca.counters().cq_resizes, 1u);
    EXPECT_EQ(eq.landed(), 2u) << "no further event";
  });
  run_bench(b);
}

TEST(HcaCqResize, UnderTrafficLosesNothingAndKeepsOrder) {
  Bench b([&](Bench& t) {
    CompletionQueue* cq = nullptr;
    QueuePair& qp = small_cq_pair(t, cq, 32);
    const Sge src = t.host_buffer(8), dst = t.iou_buffer(8);
    for (std::uint64_t id = 0; id < 20; ++id) send_one(t, qp, id, src, dst);
    // Once the stream is steady, entries land one message time apart; half-way between two,
    // the next one is on the link.
    while (cq->landed() < 6) hcasim::Lookahead::wait(cq->landed_event());
    const Picos sixth = now();
    hcasim::Lookahead::wait(cq->landed_event());
    hcasim::Lookahead::wait(ps((now() - sixth) / 2));
    const std::vector<WorkCompletion> early = drain(*cq, t.host());
    ASSERT_EQ(early.size(), 7u);
    const Picos before = now();
    ASSERT_EQ(t.host().resize_cq(*cq, 128), VerbStatus::kOk);
    EXPECT_GT(now(), before) << "entries were in flight: the resize waited for them to land";
    for (std::uint64_t id = 20; id < 40; ++id) {
      drain_iou(t);
      send_one(t, qp, id, src, dst);
    }
    std::vector<WorkCompletion> all = early;
    while (all.size() < 40) all.push_back(t.next(*cq, t.host()));
    for (std::uint64_t i = 0; i < 40; ++i) {
      EXPECT_EQ(all[i].wr_id, i);
      EXPECT_EQ(all[i].status, WcStatus::kSuccess);
    }
    hcasim::Lookahead::wait(sc_core::sc_time(20, sc_core::SC_US));
    WorkCompletion extra;
    EXPECT_EQ(cq->poll(&extra, 1), 0u) << "no entry twice";
    EXPECT_EQ(cq->landed(), 40u);
    EXPECT_EQ(cq->consumed(), 40u);
    EXPECT_EQ(cq->entries(), 128u);
    EXPECT_EQ(t.sys->host.hca->cq_completions_lost(cq->cqn()), 0u);
  });
  run_bench(b);
}

TEST(HcaCqResize, BelowTheUnpolledEntriesIsRefusedAndChangesNothing) {
  Bench b([&](Bench& t) {
    CompletionQueue* cq = nullptr;
    QueuePair& qp = small_cq_pair(t, cq, 16);
    const Sge src = t.host_buffer(8), dst = t.iou_buffer(8);
    for (std::uint64_t id = 0; id < 6; ++id) send_one(t, qp, id, src, dst);
    hcasim::Lookahead::wait(sc_core::sc_time(20, sc_core::SC_US));
    ASSERT_EQ(cq->landed(), 6u);
    EXPECT_EQ(t.host().resize_cq(*cq, 4), VerbStatus::kInvalidArgument);
    EXPECT_EQ(cq->entries(), 16u);
    EXPECT_EQ(t.sys->host.hca->counters().cq_resizes, 0u);
    const std::vector<WorkCompletion> got = drain(*cq, t.host());
    ASSERT_EQ(got.size(), 6u);
    for (std::uint64_t i = 0; i < 6; ++i) EXPECT_EQ(got[i].wr_id, i);
    // Shrinking to what is unpolled (none now) works, and the CQ keeps working.
    ASSERT_EQ(t.host().resize_cq(*cq, 4), VerbStatus::kOk);
    drain_iou(t);
    send_one(t, qp, 6, src, dst);
    EXPECT_EQ(t.next(*cq, t.host()).wr_id, 6u);
  });
  run_bench(b);
}

}  // namespace
}  // namespace hcasim
