#include "models/hca/completion_engine.hpp"

#include <algorithm>

#include "models/interconnect/interrupt_sink.hpp"

namespace hcasim {

void CompletionEngine::attach_trace(const std::string& adapter) {
  cqe_writer_.attach<CqeOp>(core_.trace, adapter + ".cqe");
}

// ---- firmware commands ------------------------------------------------------------------------

std::uint32_t CompletionEngine::create_cq(std::uint64_t ring, std::uint32_t entries,
                                          std::uint64_t dbrec) {
  Cq cq;
  cq.ring = ring;
  cq.dbrec = dbrec;
  cq.entries = entries;
  cq.vector = static_cast<std::uint32_t>(cqs_.size());
  cqs_.push_back(cq);
  return static_cast<std::uint32_t>(cqs_.size() - 1);
}

void CompletionEngine::set_moderation(std::uint32_t cqn, std::uint32_t count, Picos period) {
  Cq& cq = cqs_.at(cqn);
  cq.mod_count = std::max<std::uint32_t>(count, 1);
  cq.mod_period = period;
}

CompletionEngine::Resize CompletionEngine::resize_cq(std::uint32_t cqn, std::uint64_t new_ring,
                                                     std::uint32_t new_entries,
                                                     std::uint64_t new_dbrec) {
  Resize r;
  if (cqn >= cqs_.size()) {
    r.status = VerbStatus::kNoSuchObject;
    return r;
  }
  Cq& cq = cqs_[cqn];
  std::uint32_t base = 0;  // software's consumer index: the new ring's first slot
  if (new_entries == 0 || !core_.dma.peek(new_dbrec, base) || !seq_le(base, cq.producer) ||
      cq.producer - base > new_entries) {
    r.status = VerbStatus::kInvalidArgument;
    return r;
  }
  r.switch_index = cq.producer;
  r.completes = std::max(now_ps(), cq.written_lands);
  cq.ring = new_ring;
  cq.entries = new_entries;
  cq.dbrec = new_dbrec;
  cq.base = base;
  cq.consumer_seen = base;  // just read from the new doorbell record
  cq.consumer_read = true;
  cq.overrun = false;  // the driver's recovery from CQ_ERR: the CQ takes entries again
  ++core_.counters.cq_resizes;
  return r;
}

VerbStatus CompletionEngine::create_eq(std::uint64_t ring, std::uint32_t entries,
                                       std::uint64_t dbrec, std::uint32_t vector) {
  if (eq_open_ || entries == 0) return VerbStatus::kInvalidArgument;
  eq_open_ = true;
  eq_.ring = ring;
  eq_.entries = entries;
  eq_.dbrec = dbrec;
  eq_.vector = vector;
  // design decision: the link is up from the start, so the driver hears "port active" as soon
  // as it can listen (a real adapter reports the port's state change when the link trains).
  // As an action: the queue may be opened while the model is built, before anything may move.
  core_.actions.at<&CompletionEngine::on_port_active>(now_ps(), this);
  return VerbStatus::kOk;
}

// ---- completion events ------------------------------------------------------------------------

void CompletionEngine::arm(Picos decoded, std::uint32_t cqn, std::uint32_t consumer,
                           bool solicited_only) {
  if (solicited_only)
    core_.actions.at<&CompletionEngine::on_arm_solicited>(decoded, this, CqArm{cqn, consumer});
  else
    core_.actions.at<&CompletionEngine::on_arm>(decoded, this, CqArm{cqn, consumer});
}

void CompletionEngine::arm_now(CqArm a, bool solicited_only) {
  const std::uint32_t cqn = a.cqn;
  const std::uint32_t consumer = a.consumer;
  Cq& cq = cqs_[cqn];
  cq.armed = true;
  cq.solicited_only = solicited_only;
  // Entries written beyond the consumer index the arm carries are ones software has not seen
  // (some may have landed while the arm was in flight): they count as if written after the
  // arm, so the event is never lost. design decision: moderation applies to them as to new
  // ones (the count-th, or the period after the arm).
  cq.pending_events = seq_le(cq.producer, consumer) ? 0 : cq.producer - consumer;
  if (cq.solicited_only)  // design decision: unpolled solicited entries count as one
    cq.pending_events = seq_le(cq.solicited_end, consumer) || cq.pending_events == 0 ? 0 : 1;
  if (cq.pending_events == 0) return;
  moderate(cqn, core_.edge(now_ps()));
}

void CompletionEngine::moderate(std::uint32_t cqn, Picos at) {
  Cq& cq = cqs_[cqn];
  if (cq.pending_events >= cq.mod_count) {
    fire_event(cq, at);
  } else if (cq.mod_period && !cq.timer_pending) {
    cq.timer_pending = true;
    core_.actions.at<&CompletionEngine::on_cq_timer>(core_.edge(at + cq.mod_period), this,
                                                     CqTimer{cqn, cq.timer_epoch});
  }
}

void CompletionEngine::fire_event(Cq& cq, Picos at) {
  // One-shot: the event disarms the CQ; software re-arms after handling it. A moderation
  // timer still pending belongs to this event: it is cleared, so the next arm starts afresh.
  cq.armed = false;
  cq.pending_events = 0;
  cq.timer_pending = false;
  ++cq.timer_epoch;
  ++core_.counters.interrupts;
  std::uint32_t data = cq.vector;
  core_.dma.write(kMsiWindowBase + 4ull * cq.vector, &data, 4, at);
}

void CompletionEngine::on_cq_timer(CqTimer timer) {
  Cq& cq = cqs_[timer.cqn];
  if (timer.epoch != cq.timer_epoch) return;  // cleared by an event
  cq.timer_pending = false;
  if (cq.armed && cq.pending_events > 0) fire_event(cq, core_.edge(now_ps()));
}

// ---- asynchronous events ----------------------------------------------------------------------

void CompletionEngine::on_port_active() { raise_async(AsyncEventKind::kPortActive, 1, now_ps()); }

void CompletionEngine::raise_async(AsyncEventKind kind, std::uint32_t number, Picos at) {
  ++core_.counters.async_events;
  if (!eq_open_) {
    ++core_.counters.async_events_undelivered;
    return;
  }
  std::uint32_t consumer = 0;
  core_.dma.peek(eq_.dbrec, consumer);
  if (eq_.producer - consumer >= eq_.entries) {  // the driver fell behind: the event is lost
    ++core_.counters.async_events_undelivered;
    return;
  }
  Eqe eqe{};
  eqe.number = number;
  eqe.kind = static_cast<std::uint8_t>(kind);
  eqe.owner = cqe_owner_for(eq_.producer, eq_.entries);
  const Picos when = core_.edge(at);
  core_.dma.write(eq_.ring + std::uint64_t(eq_.producer % eq_.entries) * sizeof(Eqe), &eqe,
                  sizeof eqe, when);
  ++eq_.producer;
  // The MSI follows the entry's write, so it lands after it (as a completion event does).
  std::uint32_t data = eq_.vector;
  core_.dma.write(kMsiWindowBase + 4ull * eq_.vector, &data, 4, when);
}

// ---- the CQE writer ---------------------------------------------------------------------------

void CompletionEngine::complete_send(QpContext& qp, const SendWork& w, WcStatus status, Picos at) {
  if ((w.hdr.flags & kSignaled) || status != WcStatus::kSuccess) {
    Cqe cqe{};
    cqe.wr_id = w.hdr.wr_id;
    cqe.byte_len = w.length;
    cqe.qpn = qp.qpn;
    cqe.wqe_counter = w.index;
    cqe.opcode = w.hdr.opcode;
    cqe.status = static_cast<std::uint8_t>(status);
    write_cqe(qp.send_cqn, cqe, at);
  }
  ++qp.sq.acked;
}

void CompletionEngine::write_cqe(std::uint32_t cqn, Cqe cqe, Picos at) {
  Cq& cq = cqs_[cqn];
  if (cq.overrun) {
    ++cq.lost;
    ++core_.counters.completions_lost;
    return;
  }
  // The doorbell record is read only when the consumer index last read leaves no room, as
  // adapters read it: software's index only grows, so an older value can only overstate how
  // full the CQ is, and the outcome is the one a read per entry gives. (A read per entry was
  // a debug transaction through the PCIe link per work request.)
  if (!cq.consumer_read || cq.producer - cq.consumer_seen >= cq.entries) {
    core_.dma.peek(cq.dbrec, cq.consumer_seen);
    cq.consumer_read = true;
  }
  if (cq.producer - cq.consumer_seen >= cq.entries) {
    // CQ overrun (verbs' CQ_ERR): the entry is lost, and so is every later one until the
    // driver resizes the CQ; the driver hears of it by a CqError event.
    cq.overrun = true;
    ++core_.counters.cq_overruns;
    ++cq.lost;
    ++core_.counters.completions_lost;
    if (!eq_open_)  // nobody would hear of it otherwise
      SC_REPORT_WARNING(core_.name,
                        ("completion queue " + std::to_string(cqn) + " overrun").c_str());
    raise_async(AsyncEventKind::kCqError, cqn, at);
    return;
  }
  const std::uint32_t slot = cq.producer - cq.base;  // index within the current ring
  cqe.owner = cqe_owner_for(slot, cq.entries);
  const Picos cost = core_.cycles(core_.params.cqe_cycles);
  const CqeOp op = cqe.status != 0 ? CqeOp::kError : (cqe.is_recv ? CqeOp::kRecv : CqeOp::kSend);
  const Picos built = cqe_writer_.reserve(core_.edge(at), cost, op) + cost;
  cq.written_lands = core_.dma.write(cq.ring + std::uint64_t(slot % cq.entries) * sizeof(Cqe), &cqe,
                                     sizeof cqe, built);
  ++cq.producer;
  const bool solicits = cqe.solicited || cqe.status != 0;
  if (solicits) cq.solicited_end = cq.producer;
  if (cq.armed && (solicits || !cq.solicited_only)) {
    // The MSI is issued after the CQE's write, so PCIe ordering lands it after the entry.
    ++cq.pending_events;
    moderate(cqn, built);
  }
  ++core_.counters.cqes;
  if (cqe.status != 0) ++core_.counters.cqes_error;
}

}  // namespace hcasim
