#include "models/hca/hca.hpp"

#include "models/interconnect/interrupt_sink.hpp"

#include <algorithm>
#include <cstring>

namespace hcasim {

namespace {
// Sequence numbers compare by signed distance so that wrap-around is harmless.
bool seq_le(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) <= 0; }
std::uint64_t to_arg(Packet* p) { return reinterpret_cast<std::uintptr_t>(p); }
Packet* from_arg(std::uint64_t a) {
  return reinterpret_cast<Packet*>(static_cast<std::uintptr_t>(a));
}
}  // namespace

const char* to_string(AsyncEventKind k) {
  switch (k) {
    case AsyncEventKind::kCqError:
      return "cq_error";
    case AsyncEventKind::kQpFatal:
      return "qp_fatal";
    case AsyncEventKind::kPortActive:
      return "port_active";
  }
  return "unknown";
}

const char* to_string(QpState s) {
  switch (s) {
    case QpState::kReset:
      return "RESET";
    case QpState::kInit:
      return "INIT";
    case QpState::kRtr:
      return "RTR";
    case QpState::kRts:
      return "RTS";
    case QpState::kSqd:
      return "SQD";
    case QpState::kSqe:
      return "SQE";
    case QpState::kError:
      return "ERR";
  }
  return "unknown";
}

const char* to_string(WcStatus s) {
  switch (s) {
    case WcStatus::kSuccess:
      return "success";
    case WcStatus::kLocalLength:
      return "local_length_error";
    case WcStatus::kLocalProtection:
      return "local_protection_error";
    case WcStatus::kRemoteAccess:
      return "remote_access_error";
    case WcStatus::kRemoteOperation:
      return "remote_operation_error";
    case WcStatus::kRetryExceeded:
      return "retry_exceeded";
    case WcStatus::kRnrRetryExceeded:
      return "rnr_retry_exceeded";
    case WcStatus::kFlushed:
      return "work_request_flushed";
  }
  return "unknown";
}

Hca::Hca(sc_core::sc_module_name name, const HcaParams& params, std::uint16_t port_address,
         std::uint32_t mtu, unsigned vls, PacketPool& packets, TraceSink* trace)
    : sc_module(name),
      dma_socket("dma_socket"),
      mmio_socket("mmio_socket"),
      params_(params),
      clock_(params.clock_mhz),
      port_(port_address),
      mtu_(mtu),
      packets_(packets),
      trace_(trace),
      fabric_port_("port", vls, trace) {
  mmio_socket.register_b_transport(this, &Hca::b_mmio);
  const std::string base = this->name();
  tx_inflight_trace_.attach(trace, base + ".tx.packets_in_flight", 16);
  // What each stage works on, as named values in the trace (0 = idle).
  const std::vector<std::string> packet_ops = {
      "idle", "send", "rdma_write", "read_request", "read_response", "ack", "nak"};
  doorbell_unit_.attach(trace, base + ".doorbell", {"idle", "send_queue", "recv_queue", "cq_arm"});
  send_engine_.attach(trace, base + ".wqe_parse");
  packetizer_.attach(trace, base + ".packetizer", packet_ops);
  rx_engine_.attach(trace, base + ".rx", packet_ops);
  cqe_engine_.attach(trace, base + ".cqe", {"idle", "send", "recv", "error"});
}

void Hca::enqueue_tx(Qp& qp) {
  if (qp.in_tx_ring) return;
  qp.in_tx_ring = true;
  tx_ring_.push_back(qp.qpn);
}

// ---- control path ----------------------------------------------------------------------------

std::uint32_t Hca::create_cq(std::uint64_t ring_addr, std::uint32_t entries,
                             std::uint64_t dbrec_addr) {
  Cq cq;
  cq.ring = ring_addr;
  cq.dbrec = dbrec_addr;
  cq.entries = entries;
  cq.vector = static_cast<std::uint32_t>(cqs_.size());
  cqs_.push_back(cq);
  return static_cast<std::uint32_t>(cqs_.size() - 1);
}

void Hca::modify_cq_moderation(std::uint32_t cqn, std::uint32_t count, Picos period) {
  Cq& cq = cqs_.at(cqn);
  cq.mod_count = std::max<std::uint32_t>(count, 1);
  cq.mod_period = period;
}

void Hca::set_cq_vector(std::uint32_t cqn, std::uint32_t vector) { cqs_.at(cqn).vector = vector; }

void Hca::on_cq_arm(std::uint64_t arg) {
  const std::uint32_t cqn = arg & 0x7fffffffu;
  Cq& cq = cqs_[cqn];
  const auto consumer = static_cast<std::uint32_t>(arg >> 32);
  cq.armed = true;
  cq.solicited_only = (arg >> 31) & 1u;
  // Entries written beyond the consumer index the arm carries are ones software has not seen
  // (some may have landed while the arm was in flight): they count as if written after the
  // arm, so the event is never lost. design decision: moderation applies to them as to new
  // ones (the count-th, or the period after the arm).
  cq.pending_events = seq_le(cq.producer, consumer) ? 0 : cq.producer - consumer;
  if (cq.solicited_only)  // design decision: unpolled solicited entries count as one
    cq.pending_events = seq_le(cq.solicited_end, consumer) || cq.pending_events == 0 ? 0 : 1;
  if (cq.pending_events == 0) return;
  const Picos now = edge(now_ps());
  if (cq.pending_events >= cq.mod_count) {
    fire_event(cq, now);
  } else if (cq.mod_period && !cq.timer_pending) {
    cq.timer_pending = true;
    actions_.at<&Hca::on_cq_timer>(edge(now + cq.mod_period), this,
                                   cqn | (std::uint64_t(cq.timer_epoch) << 32));
  }
}

void Hca::fire_event(Cq& cq, Picos at) {
  // One-shot: the event disarms the CQ; software re-arms after handling it. A moderation
  // timer still pending belongs to this event: it is cleared, so the next arm starts afresh.
  cq.armed = false;
  cq.pending_events = 0;
  cq.timer_pending = false;
  ++cq.timer_epoch;
  ++counters_.interrupts;
  std::uint32_t data = cq.vector;
  dma(tlm::TLM_WRITE_COMMAND, kMsiWindowBase + 4ull * cq.vector, &data, 4, at);
}

void Hca::on_cq_timer(std::uint64_t arg) {
  Cq& cq = cqs_[arg & 0xffffffffu];
  if (static_cast<std::uint32_t>(arg >> 32) != cq.timer_epoch) return;  // cleared by an event
  cq.timer_pending = false;
  if (cq.armed && cq.pending_events > 0) fire_event(cq, edge(now_ps()));
}

Hca::CqResize Hca::resize_cq(std::uint32_t cqn, std::uint64_t new_ring, std::uint32_t new_entries,
                             std::uint64_t new_dbrec) {
  CqResize r;
  if (cqn >= cqs_.size()) {
    r.status = VerbStatus::kNoSuchObject;
    return r;
  }
  Cq& cq = cqs_[cqn];
  std::uint32_t base = 0;  // software's consumer index: the new ring's first slot
  tlm::tlm_generic_payload& peek = peek_gp_;
  peek.set_command(tlm::TLM_READ_COMMAND);
  peek.set_address(new_dbrec);
  peek.set_data_ptr(reinterpret_cast<unsigned char*>(&base));
  peek.set_data_length(4);
  if (new_entries == 0 || dma_socket->transport_dbg(peek) != 4 || !seq_le(base, cq.producer) ||
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
  cq.overrun = false;  // the driver's recovery from CQ_ERR: the CQ takes entries again
  ++counters_.cq_resizes;
  return r;
}

VerbStatus Hca::create_eq(std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec,
                          std::uint32_t vector) {
  if (eq_open_ || entries == 0) return VerbStatus::kInvalidArgument;
  eq_open_ = true;
  eq_.ring = ring;
  eq_.entries = entries;
  eq_.dbrec = dbrec;
  eq_.vector = vector;
  // design decision: the link is up from the start, so the driver hears "port active" as soon
  // as it can listen (a real adapter reports the port's state change when the link trains).
  // As an action: the queue may be opened while the model is built, before anything may move.
  actions_.at<&Hca::on_port_active>(now_ps(), this, 0);
  return VerbStatus::kOk;
}

void Hca::on_port_active(std::uint64_t) { raise_async(AsyncEventKind::kPortActive, 1, now_ps()); }

void Hca::raise_async(AsyncEventKind kind, std::uint32_t number, Picos at) {
  ++counters_.async_events;
  if (!eq_open_) {
    ++counters_.async_events_undelivered;
    return;
  }
  std::uint32_t consumer = 0;
  tlm::tlm_generic_payload& peek = peek_gp_;
  peek.set_command(tlm::TLM_READ_COMMAND);
  peek.set_address(eq_.dbrec);
  peek.set_data_ptr(reinterpret_cast<unsigned char*>(&consumer));
  peek.set_data_length(4);
  dma_socket->transport_dbg(peek);
  if (eq_.producer - consumer >= eq_.entries) {  // the driver fell behind: the event is lost
    ++counters_.async_events_undelivered;
    return;
  }
  Eqe eqe{};
  eqe.number = number;
  eqe.kind = static_cast<std::uint8_t>(kind);
  eqe.owner = cqe_owner_for(eq_.producer, eq_.entries);
  const Picos when = edge(at);
  dma(tlm::TLM_WRITE_COMMAND, eq_.ring + std::uint64_t(eq_.producer % eq_.entries) * sizeof(Eqe),
      &eqe, sizeof eqe, when);
  ++eq_.producer;
  // The MSI follows the entry's write, so it lands after it (as a completion event does).
  std::uint32_t data = eq_.vector;
  dma(tlm::TLM_WRITE_COMMAND, kMsiWindowBase + 4ull * eq_.vector, &data, 4, when);
}

std::uint32_t Hca::create_qp(std::uint32_t send_cqn, std::uint32_t recv_cqn, std::uint64_t sq_addr,
                             std::uint32_t sq_entries, std::uint64_t rq_addr,
                             std::uint32_t rq_entries, QpState initial) {
  auto qp = std::make_unique<Qp>();
  qp->qpn = static_cast<std::uint32_t>(qps_.size());
  qp->state = initial;
  qp->send_cqn = send_cqn;
  qp->recv_cqn = recv_cqn;
  qp->sq_addr = sq_addr;
  qp->sq_entries = sq_entries;
  qp->sq.resize(sq_entries);
  qp->fetch_buf.resize(std::size_t(params_.wqe_fetch_batch) * params_.sq_stride);
  qp->rq_addr = rq_addr;
  qp->rq_entries = rq_entries;
  qp->rq.resize(rq_entries);
  qp->rq_fetch_buf.resize(std::size_t(params_.wqe_fetch_batch) * kRecvStride);
  const std::string base = std::string(name()) + ".qp" + std::to_string(qp->qpn);
  qp->sq_depth.attach(trace_, base + "_sq_depth", 16);
  qp->rq_depth.attach(trace_, base + "_rq_depth", 16);
  qps_.push_back(std::move(qp));
  return qps_.back()->qpn;
}

void Hca::set_qp_weight(std::uint32_t qpn, std::uint32_t weight) {
  qps_.at(qpn)->weight = std::max<std::uint32_t>(weight, 1);
}

void Hca::connect(std::uint32_t qpn, std::uint16_t remote_port, std::uint32_t remote_qpn,
                  std::uint32_t sq_psn, std::uint32_t rq_psn) {
  Qp& qp = *qps_.at(qpn);
  qp.peer_port = remote_port;
  qp.peer_qpn = remote_qpn;
  qp.next_psn = sq_psn;
  qp.expected_psn = rq_psn;
}

VerbStatus Hca::modify_qp(std::uint32_t qpn, const QpModify& m) {
  Qp* found = find_qp(qpn);
  if (!found) return VerbStatus::kNoSuchObject;
  Qp& qp = *found;
  if (!qp_transition_allowed(qp.state, m.state)) return VerbStatus::kInvalidTransition;
  const QpState from = qp.state;
  const Picos now = edge(now_ps());
  switch (m.state) {
    case QpState::kReset:
      reset_qp(qp);
      qp.state = QpState::kReset;
      break;
    case QpState::kError:
      qp_error(qp, now, false);  // software's request: flush, no QpFatal event
      break;
    case QpState::kRtr:
      if (from == QpState::kInit) {
        qp.peer_port = m.remote_port;
        qp.peer_qpn = m.remote_qpn;
        qp.expected_psn = m.rq_psn;
      }
      qp.state = QpState::kRtr;
      break;
    case QpState::kRts:
      if (from == QpState::kRtr) qp.next_psn = m.sq_psn;
      qp.state = QpState::kRts;
      // Work posted while the send queue was drained (or before RTS) starts now.
      start_wqe_fetch(qp);
      enqueue_tx(qp);
      pump_tx();
      break;
    default:  // INIT, SQD, SQE and each state to itself: the state is all that changes
      qp.state = m.state;
      break;
  }
  return VerbStatus::kOk;
}

void Hca::reset_qp(Qp& qp) {
  // RESET discards what the QP held without completions: indices, PSNs, the responder's state
  // and the connection. Actions and fetches already under way belong to the old epoch.
  ++qp.epoch;
  qp.stale_doorbells = qp.doorbells_in_flight;
  qp.peer_port = 0;
  qp.peer_qpn = 0;
  qp.sq_producer = qp.sq_fetched = qp.sq_sent = qp.sq_acked = qp.sq_started = 0;
  qp.tx_offset = 0;
  qp.next_psn = 0;
  qp.burst = 0;
  qp.rnr_retries = qp.retries = 0;
  qp.waiting_rnr = false;
  qp.ack_timer_armed = false;
  qp.timer_acked = 0;
  qp.deferred_ack = false;
  qp.deferred_ack_psn = 0;
  qp.unacked_msgs = 0;
  qp.ack_delay_pending = false;
  qp.ack_commit = 0;
  qp.rq_producer = qp.rq_fetched = qp.rq_used = 0;
  qp.expected_psn = 0;
  qp.rx_offset = 0;
  qp.rx_active = qp.rx_is_write = qp.rx_nak_outstanding = false;
  qp.rx_remote_addr = 0;
  qp.rx_committed = 0;
  for (Packet* p : qp.parked) packets_.put(p);
  qp.parked.clear();
  qp.read_jobs.clear();
  qp.read_head = 0;
  qp.sq_depth.set(0);
  qp.rq_depth.set(0);
}

VerbStatus Hca::destroy_qp(std::uint32_t qpn) {
  Qp* qp = find_qp(qpn);
  if (!qp) return VerbStatus::kNoSuchObject;
  reset_qp(*qp);
  qp->state = QpState::kReset;
  qp->destroyed = true;  // its number answers no doorbell and no packet any more
  return VerbStatus::kOk;
}

// ---- doorbells ---------------------------------------------------------------------------------

void Hca::b_mmio(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  // Never waits: records the doorbell and acts on it when it has been decoded.
  const std::uint64_t offset = gp.get_address();
  if (gp.is_read()) {
    // Register reads (firmware version, counters) answer after one doorbell-unit decode.
    std::memset(gp.get_data_ptr(), 0, gp.get_data_length());
    const Picos at = now_ps() + delay.value();
    delay = ps(edge(at) + cycles(params_.doorbell_cycles) - now_ps());
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  const auto kind = static_cast<DoorbellKind>(offset & ((1u << kDoorbellQpShift) - 1));
  const auto qpn = static_cast<std::uint32_t>(offset >> kDoorbellQpShift);
  Qp* qp = find_qp(qpn);
  const bool valid = kind == DoorbellKind::kCqArm ? qpn < cqs_.size() : qp != nullptr;
  if (!valid || gp.get_data_length() < 4) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  std::uint32_t producer = 0;
  std::memcpy(&producer, gp.get_data_ptr(), 4);
  const Picos arrive = now_ps() + delay.value();
  const Picos decoded = doorbell_unit_.reserve(edge(arrive), cycles(params_.doorbell_cycles),
                                               static_cast<std::uint64_t>(kind) + 1) +
                        cycles(params_.doorbell_cycles);
  ++counters_.doorbells;
  if (kind != DoorbellKind::kCqArm) ++qp->doorbells_in_flight;
  std::uint64_t arg = qpn | (std::uint64_t(producer) << 32);
  if (kind == DoorbellKind::kSend) {
    const unsigned len = gp.get_data_length();
    if (len > kBlueFlameHeader && len - kBlueFlameHeader <= params_.sq_stride) {
      // BlueFlame: the WQE came with the doorbell. Its slot is free (software posts only into
      // free slots), so decoding it now is invisible until the doorbell takes effect.
      decode_send_wqe(*qp, producer - 1, gp.get_data_ptr() + kBlueFlameHeader);
      arg |= 1ull << 31;
    }
    actions_.at<&Hca::on_sq_doorbell>(decoded, this, arg);
  } else if (kind == DoorbellKind::kRecv) {
    actions_.at<&Hca::on_rq_doorbell>(decoded, this, arg);
  } else if (kind == DoorbellKind::kCqArm) {
    std::uint32_t flags = 0;
    if (gp.get_data_length() >= 8) std::memcpy(&flags, gp.get_data_ptr() + 4, 4);
    if (flags & kArmSolicited) arg |= 1ull << 31;
    actions_.at<&Hca::on_cq_arm>(decoded, this, arg);  // the "qpn" field names the CQ
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool Hca::doorbell_is_stale(Qp& qp) {
  --qp.doorbells_in_flight;
  if (qp.stale_doorbells == 0) return false;
  --qp.stale_doorbells;  // rung before a RESET: the work it announced was discarded
  return true;
}

void Hca::on_sq_doorbell(std::uint64_t arg) {
  Qp& qp = *qps_[arg & 0x7fffffffu];
  if (doorbell_is_stale(qp)) return;
  const bool blueflame = (arg >> 31) & 1u;
  const auto producer = static_cast<std::uint32_t>(arg >> 32);
  if (seq_le(producer, qp.sq_producer)) return;  // stale or repeated doorbell
  qp.sq_producer = producer;
  qp.sq_depth.set(qp.sq_producer - qp.sq_acked);
  if (qp.state == QpState::kError) {
    qp_error(qp, now_ps(), false);  // flushes the new work too
    return;
  }
  if (!sending(qp)) return;  // recorded; software posts no sends before RTS
  if (blueflame && !qp.fetching && qp.sq_fetched == producer - 1) {
    ++counters_.blueflame_wqes;
    qp.sq_fetched = producer;
    enqueue_tx(qp);
    pump_tx();
    return;
  }
  start_wqe_fetch(qp);
}

void Hca::on_rq_doorbell(std::uint64_t arg) {
  Qp& qp = *qps_[arg & 0xffffffffu];
  if (doorbell_is_stale(qp)) return;
  const auto producer = static_cast<std::uint32_t>(arg >> 32);
  if (seq_le(producer, qp.rq_producer)) return;
  qp.rq_producer = producer;
  qp.rq_depth.set(qp.rq_producer - qp.rq_used);
  if (qp.state == QpState::kError) {
    qp_error(qp, now_ps(), false);  // receives posted to a queue pair in error are flushed
    return;
  }
  if (qp.state == QpState::kReset) return;
  start_rwqe_fetch(qp);
}

// ---- DMA ---------------------------------------------------------------------------------------

Picos Hca::dma(tlm::tlm_command cmd, std::uint64_t addr, void* data, std::uint32_t len, Picos at) {
  gp_.set_command(cmd);
  gp_.set_address(addr);
  gp_.set_data_ptr(static_cast<unsigned char*>(data));
  gp_.set_data_length(len);
  gp_.set_streaming_width(len);
  gp_.set_byte_enable_ptr(nullptr);
  gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  tlm::tlm_phase phase = tlm::BEGIN_REQ;
  const Picos now = now_ps();
  sc_core::sc_time delay = ps(at > now ? at - now : 0);
  dma_socket->nb_transport_fw(gp_, phase, delay);
  if (!gp_.is_response_ok()) {
    SC_REPORT_ERROR(name(), "DMA outside host memory (driver bug)");
  }
  return now + delay.value();
}

// ---- send side ---------------------------------------------------------------------------------

void Hca::start_wqe_fetch(Qp& qp) {
  if (qp.fetching || qp.sq_fetched == qp.sq_producer) return;
  const std::uint32_t slot = qp.sq_fetched % qp.sq_entries;
  const std::uint32_t n =
      std::min({qp.sq_producer - qp.sq_fetched, params_.wqe_fetch_batch, qp.sq_entries - slot});
  qp.fetching = true;
  qp.sq_fetch_epoch = qp.epoch;
  ++counters_.wqe_fetches;
  const Picos done =
      dma(tlm::TLM_READ_COMMAND, qp.sq_addr + std::uint64_t(slot) * params_.sq_stride,
          qp.fetch_buf.data(), n * params_.sq_stride, edge(now_ps()));
  const Picos parse = cycles(params_.wqe_parse_cycles * n);
  const Picos parsed = send_engine_.reserve(edge(done), parse) + parse;
  actions_.at<&Hca::on_wqes_fetched>(parsed, this, qp.qpn | (std::uint64_t(n) << 32));
}

void Hca::on_wqes_fetched(std::uint64_t arg) {
  Qp& qp = *qps_[arg & 0xffffffffu];
  const auto n = static_cast<std::uint32_t>(arg >> 32);
  qp.fetching = false;
  if (qp.sq_fetch_epoch != qp.epoch) {  // fetched before a RESET: the WQEs are gone
    if (sending(qp)) start_wqe_fetch(qp);
    return;
  }
  if (qp.state == QpState::kError) return;
  for (std::uint32_t i = 0; i < n; ++i)
    decode_send_wqe(qp, qp.sq_fetched + i,
                    qp.fetch_buf.data() + std::size_t(i) * params_.sq_stride);
  qp.sq_fetched += n;
  enqueue_tx(qp);
  start_wqe_fetch(qp);  // keep fetching ahead while software posts
  pump_tx();
}

void Hca::decode_send_wqe(Qp& qp, std::uint32_t index, const std::uint8_t* bytes) {
  SendWork& w = qp.sq[index % qp.sq_entries];
  std::memcpy(&w.hdr, bytes, sizeof w.hdr);
  w.index = index;
  w.length = 0;
  const std::uint32_t room = params_.sq_stride - sizeof(SendWqeHeader);
  const std::uint8_t* body = bytes + sizeof(SendWqeHeader);
  if (w.hdr.flags & kInline) {
    w.length = std::min(w.hdr.inline_len, room);
    std::memcpy(w.inline_data.data(), body, w.length);
    w.hdr.num_sge = 0;
  } else {
    const std::uint32_t n = std::min<std::uint32_t>(w.hdr.num_sge, room / sizeof(Sge));
    w.hdr.num_sge = static_cast<std::uint8_t>(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::memcpy(&w.sge[i], body + i * sizeof(Sge), sizeof(Sge));
      w.length += w.sge[i].len;
    }
  }
}

void Hca::pump_tx() {
  while (tx_inflight_ < params_.tx_window && !tx_ring_.empty()) {
    if (tx_rr_ >= tx_ring_.size()) tx_rr_ = 0;
    Qp& qp = *qps_[tx_ring_[tx_rr_]];
    Packet* p = nullptr;
    Picos ready = 0;
    const bool more = build_next_packet(qp, p, ready);
    // Weighted round-robin: a queue pair sends up to `weight` packets before the next one.
    if (!more) {
      qp.in_tx_ring = false;
      qp.burst = 0;
      tx_ring_.erase(tx_ring_.begin() + static_cast<std::ptrdiff_t>(tx_rr_));
    } else if (++qp.burst >= qp.weight) {
      qp.burst = 0;
      ++tx_rr_;
    }
    if (p) {
      // One queue pair's packets leave in PSN order even when a later one is ready sooner (an
      // inline packet behind a DMA-gathered one); same-time actions run in schedule order.
      ready = std::max(ready, qp.last_ready);
      qp.last_ready = ready;
      ++tx_inflight_;
      tx_inflight_trace_.set(tx_inflight_);
      actions_.at<&Hca::on_packet_ready>(ready, this, to_arg(p));
    }
  }
}

bool Hca::build_next_packet(Qp& qp, Packet*& out, Picos& ready) {
  out = nullptr;
  if (!receiving(qp)) return false;
  if (qp.read_head < qp.read_jobs.size()) {  // the responder answers from RTR on
    build_read_response(qp, out, ready);
    return qp.read_head < qp.read_jobs.size() ||
           (sending(qp) && !qp.waiting_rnr && qp.sq_sent != qp.sq_fetched);
  }
  if (!sending(qp) || qp.waiting_rnr || qp.sq_sent == qp.sq_fetched) return false;
  // SQD: messages already started (also when resent) finish; the next WQE does not start.
  const bool new_message = qp.tx_offset == 0 && qp.sq_sent == qp.sq_started;
  if (new_message && qp.state == QpState::kSqd) return false;
  SendWork& w = qp.sq[qp.sq_sent % qp.sq_entries];
  const auto op = static_cast<WrOpcode>(w.hdr.opcode);
  const Picos now = edge(now_ps());
  if (qp.tx_offset == 0) {
    // Local protection is checked once per message, before any byte leaves.
    bool ok = op == WrOpcode::kSend || op == WrOpcode::kSendImm || op == WrOpcode::kRdmaWrite ||
              op == WrOpcode::kRdmaWriteImm || op == WrOpcode::kRdmaRead;
    const std::uint32_t need = op == WrOpcode::kRdmaRead ? kLocalWrite : kLocalRead;
    if (op == WrOpcode::kRdmaRead && (w.hdr.flags & kInline)) ok = false;
    for (std::uint32_t i = 0; ok && i < w.hdr.num_sge; ++i)
      ok = regions_.check(w.sge[i].lkey, w.sge[i].addr, w.sge[i].len, need);
    if (!ok || w.length > (1u << 31)) {
      ++counters_.protection_errors;
      // Completions stay in order: the earlier messages still outstanding are flushed, then
      // this one fails, then everything after it is flushed.
      while (qp.sq_acked != qp.sq_sent)
        complete_send(qp, qp.sq[qp.sq_acked % qp.sq_entries], WcStatus::kFlushed, now);
      complete_send(qp, w, WcStatus::kLocalProtection, now);
      qp.sq_sent = qp.sq_acked;
      qp_error(qp, now);
      return false;
    }
  }
  if (new_message) ++qp.sq_started;
  if (qp.tx_offset == 0 && params_.qp_message_cycles) {
    // Occupancy without latency: an unloaded message starts at once, back-to-back messages of
    // one QP are spaced by qp_message_cycles.
    ready = qp.context.reserve(now, cycles(params_.qp_message_cycles));
  } else {
    ready = now;
  }
  const Picos start = ready;
  if (op == WrOpcode::kRdmaRead) {
    // One request packet; the responses use the PSNs that follow it, one per MTU of data.
    Packet* p = packets_.get();
    const std::uint32_t responses = std::max<std::uint32_t>(1, (w.length + mtu_ - 1) / mtu_);
    p->kind = PacketKind::kReadRequest;
    p->src_port = port_;
    p->dst_port = qp.peer_port;
    p->src_qpn = qp.qpn;
    p->dst_qpn = qp.peer_qpn;
    p->psn = qp.next_psn;
    p->remote_addr = w.hdr.remote_addr;
    p->rkey = w.hdr.rkey;
    p->dma_len = w.length;
    p->payload_len = 0;
    p->payload.clear();
    w.first_psn = qp.next_psn;
    w.last_psn = qp.next_psn + responses - 1;
    qp.next_psn += responses;
    ++qp.sq_sent;
    ++counters_.messages_tx;
    ++counters_.read_requests;
    ready = start;
    out = p;
    return qp.sq_sent != qp.sq_fetched;
  }
  const std::uint32_t chunk = std::min(mtu_, w.length - qp.tx_offset);
  Packet* p = packets_.get();
  p->kind = (op == WrOpcode::kRdmaWrite || op == WrOpcode::kRdmaWriteImm) ? PacketKind::kRdmaWrite
                                                                          : PacketKind::kSend;
  p->first = qp.tx_offset == 0;
  p->last = qp.tx_offset + chunk == w.length;
  p->has_imm = op == WrOpcode::kSendImm || op == WrOpcode::kRdmaWriteImm;
  p->solicited = (w.hdr.flags & kSolicited) != 0 && qp.tx_offset + chunk == w.length;
  p->imm = w.hdr.imm;
  p->src_port = port_;
  p->dst_port = qp.peer_port;
  p->src_qpn = qp.qpn;
  p->dst_qpn = qp.peer_qpn;
  p->psn = qp.next_psn++;
  p->remote_addr = w.hdr.remote_addr;
  p->rkey = w.hdr.rkey;
  p->dma_len = w.length;
  p->payload_len = chunk;
  p->payload.resize(chunk);
  if (p->first) w.first_psn = p->psn;
  ready = start;
  if (w.hdr.flags & kInline) {
    std::memcpy(p->payload.data(), w.inline_data.data() + qp.tx_offset, chunk);
  } else {
    // Gather this packet's bytes from the SGEs that cover [tx_offset, tx_offset + chunk).
    std::uint32_t skip = qp.tx_offset, filled = 0;
    for (std::uint32_t i = 0; i < w.hdr.num_sge && filled < chunk; ++i) {
      const Sge& s = w.sge[i];
      if (skip >= s.len) {
        skip -= s.len;
        continue;
      }
      const std::uint32_t take = std::min(s.len - skip, chunk - filled);
      ready = std::max(ready, dma(tlm::TLM_READ_COMMAND, s.addr + skip, p->payload.data() + filled,
                                  take, start));
      filled += take;
      skip = 0;
    }
  }
  qp.tx_offset += chunk;
  if (p->last) {
    w.last_psn = p->psn;
    qp.tx_offset = 0;
    ++qp.sq_sent;
    ++counters_.messages_tx;
  }
  out = p;
  return qp.sq_sent != qp.sq_fetched;
}

void Hca::on_packet_ready(std::uint64_t arg) {
  Packet* p = from_arg(arg);
  const Picos cost = cycles(params_.packet_cycles);
  const Picos built =
      packetizer_.reserve(edge(now_ps()), cost, static_cast<std::uint64_t>(p->kind) + 1) + cost;
  Qp* responder = p->kind == PacketKind::kReadResponse ? find_qp(p->src_qpn) : nullptr;
  transmit(p, built);
  if (responder && --responder->responses_in_flight == 0 && responder->deferred_ack &&
      responder->read_head == responder->read_jobs.size()) {
    responder->deferred_ack = false;  // the ACK held behind the READ responses goes now
    send_ack(*responder, responder->deferred_ack_psn, NakCode::kNone, edge(now_ps()));
  }
  --tx_inflight_;
  tx_inflight_trace_.set(tx_inflight_);
  pump_tx();
}

void Hca::transmit(Packet* p, Picos ready) {
  ++counters_.packets_tx;
  if (p->kind == PacketKind::kSend || p->kind == PacketKind::kRdmaWrite ||
      p->kind == PacketKind::kReadRequest) {
    if (Qp* qp = find_qp(p->src_qpn)) {
      qp->last_tx = ready;
      if (!qp->ack_timer_armed) arm_ack_timer(*qp, ready);
    }
  }
  fabric_port_.send(p, ready);
}

// ---- receive side ------------------------------------------------------------------------------

void Hca::deliver(Packet* packet, Picos arrival) {
  actions_.at<&Hca::on_packet_arrived>(arrival, this, to_arg(packet));
}

void Hca::on_packet_arrived(std::uint64_t arg) {
  Packet* p = from_arg(arg);
  ++counters_.packets_rx;
  const Picos cost = cycles(params_.rx_cycles);
  const Picos at =
      rx_engine_.reserve(edge(now_ps()), cost, static_cast<std::uint64_t>(p->kind) + 1) + cost;
  // The receive buffer frees once the receive engine has taken the packet: credits go back.
  fabric_port_.rx_freed(p->vl, credit_blocks(*p), at);
  Qp* qp = find_qp(p->dst_qpn);
  if (!qp || !receiving(*qp)) {  // RESET and INIT drop packets silently, as ERR does
    packets_.put(p);
    return;
  }
  switch (p->kind) {
    case PacketKind::kAck:
    case PacketKind::kNak:
      handle_ack(*qp, p, at);
      break;
    case PacketKind::kReadRequest:
      handle_read_request(*qp, p, at);
      break;
    case PacketKind::kReadResponse:
      handle_read_response(*qp, p, at);
      break;
    default:
      handle_request(*qp, p, at);
      break;
  }
}

void Hca::start_rwqe_fetch(Qp& qp) {
  if (qp.rq_fetching || qp.rq_fetched == qp.rq_producer) return;
  const std::uint32_t slot = qp.rq_fetched % qp.rq_entries;
  const std::uint32_t n =
      std::min({qp.rq_producer - qp.rq_fetched, params_.wqe_fetch_batch, qp.rq_entries - slot});
  qp.rq_fetching = true;
  qp.rq_fetch_epoch = qp.epoch;
  const Picos done = dma(tlm::TLM_READ_COMMAND, qp.rq_addr + std::uint64_t(slot) * kRecvStride,
                         qp.rq_fetch_buf.data(), n * kRecvStride, edge(now_ps()));
  actions_.at<&Hca::on_rwqes_fetched>(edge(done), this, qp.qpn | (std::uint64_t(n) << 32));
}

void Hca::on_rwqes_fetched(std::uint64_t arg) {
  Qp& qp = *qps_[arg & 0xffffffffu];
  const auto n = static_cast<std::uint32_t>(arg >> 32);
  qp.rq_fetching = false;
  if (qp.rq_fetch_epoch != qp.epoch) {  // fetched before a RESET: the WQEs are gone
    if (qp.state != QpState::kReset && qp.state != QpState::kError) start_rwqe_fetch(qp);
    return;
  }
  if (qp.state == QpState::kError) return;  // flushed meanwhile: these WQEs are gone
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint8_t* b = qp.rq_fetch_buf.data() + std::size_t(i) * kRecvStride;
    RecvWork& r = qp.rq[(qp.rq_fetched + i) % qp.rq_entries];
    RecvWqeHeader h;
    std::memcpy(&h, b, sizeof h);
    r.wr_id = h.wr_id;
    r.num_sge = std::min<std::uint32_t>(h.num_sge, kMaxRecvSge);
    for (std::uint32_t s = 0; s < r.num_sge; ++s)
      std::memcpy(&r.sge[s], b + sizeof h + s * sizeof(Sge), sizeof(Sge));
  }
  qp.rq_fetched += n;
  start_rwqe_fetch(qp);
  if (!qp.parked.empty()) {
    parked_scratch_.clear();
    parked_scratch_.swap(qp.parked);  // both keep their capacity: no allocation
    for (Packet* p : parked_scratch_) handle_request(qp, p, edge(now_ps()));
    parked_scratch_.clear();
  }
}

void Hca::handle_request(Qp& qp, Packet* p, Picos at) {
  if (!qp.parked.empty() && p != qp.parked.front()) {
    // Keep arrival order while earlier packets wait for a receive WQE.
    qp.parked.push_back(p);
    return;
  }
  if (p->psn != qp.expected_psn) {
    // A duplicate is answered with an ACK; a gap with one sequence NAK, after which packets
    // are dropped until the requester resends from the expected PSN (go-back-N).
    const bool duplicate = seq_le(p->psn, qp.expected_psn - 1);
    if (duplicate) {
      send_ack(qp, qp.expected_psn - 1, NakCode::kNone, at);
    } else if (!qp.rx_nak_outstanding) {
      qp.rx_nak_outstanding = true;
      send_ack(qp, qp.expected_psn, NakCode::kPsnSequence, at);
    }
    packets_.put(p);
    return;
  }
  qp.rx_nak_outstanding = false;
  const bool is_write = p->kind == PacketKind::kRdmaWrite;
  const bool consumes_recv = !is_write || (p->last && p->has_imm);
  if (p->first) {
    qp.rx_offset = 0;
    qp.rx_active = true;
    qp.rx_is_write = is_write;
    qp.rx_remote_addr = p->remote_addr;
    if (is_write && !regions_.check(p->rkey, p->remote_addr, p->dma_len, kRemoteWrite)) {
      ++counters_.protection_errors;
      send_ack(qp, p->psn, NakCode::kRemoteAccess, at);
      qp.rx_active = false;
      packets_.put(p);
      return;
    }
  }
  if (consumes_recv && qp.rq_used == qp.rq_fetched) {
    if (qp.rq_used != qp.rq_producer) {  // posted, still being fetched: wait for it
      qp.parked.push_back(p);
      start_rwqe_fetch(qp);
      return;
    }
    // Receiver not ready: no receive posted. The requester waits and resends.
    ++counters_.rnr_naks;
    qp.rx_nak_outstanding = true;
    send_ack(qp, p->psn, NakCode::kRnr, at);
    packets_.put(p);
    return;
  }
  // Place the payload: RDMA WRITE at the remote address, SEND across the receive's SGEs.
  bool ok = true;
  if (is_write) {
    if (p->payload_len)
      qp.rx_committed =
          std::max(qp.rx_committed, dma(tlm::TLM_WRITE_COMMAND, qp.rx_remote_addr + qp.rx_offset,
                                        p->payload.data(), p->payload_len, at));
  } else {
    RecvWork& r = qp.rq[qp.rq_used % qp.rq_entries];
    std::uint32_t skip = qp.rx_offset, done = 0;
    for (std::uint32_t i = 0; i < r.num_sge && done < p->payload_len; ++i) {
      const Sge& s = r.sge[i];
      if (skip >= s.len) {
        skip -= s.len;
        continue;
      }
      const std::uint32_t take = std::min(s.len - skip, p->payload_len - done);
      if (!regions_.check(s.lkey, s.addr + skip, take, kLocalWrite)) {
        ok = false;
        break;
      }
      qp.rx_committed = std::max(qp.rx_committed, dma(tlm::TLM_WRITE_COMMAND, s.addr + skip,
                                                      p->payload.data() + done, take, at));
      done += take;
      skip = 0;
    }
    if (done < p->payload_len) ok = false;  // message longer than the receive buffers
  }
  qp.rx_offset += p->payload_len;
  ++qp.expected_psn;
  if (!ok) {
    ++counters_.protection_errors;
    RecvWork& r = qp.rq[qp.rq_used % qp.rq_entries];
    Cqe cqe{};
    cqe.wr_id = r.wr_id;
    cqe.qpn = qp.qpn;
    cqe.is_recv = 1;
    cqe.opcode = static_cast<std::uint8_t>(WrOpcode::kRecv);
    cqe.status = static_cast<std::uint8_t>(WcStatus::kLocalLength);
    ++qp.rq_used;
    write_cqe(qp.recv_cqn, cqe, at);
    send_ack(qp, p->psn, NakCode::kInvalidRequest, at);
    packets_.put(p);
    qp_error(qp, at);
    return;
  }
  if (p->last) {
    ++counters_.messages_rx;
    qp.rx_active = false;
    if (consumes_recv) {
      RecvWork& r = qp.rq[qp.rq_used % qp.rq_entries];
      Cqe cqe{};
      cqe.wr_id = r.wr_id;
      cqe.byte_len = qp.rx_offset;
      cqe.qpn = qp.qpn;
      cqe.imm = p->imm;
      cqe.has_imm = p->has_imm;
      cqe.solicited = p->solicited;
      cqe.is_recv = 1;
      cqe.opcode = static_cast<std::uint8_t>(is_write ? WrOpcode::kRdmaWriteImm : WrOpcode::kRecv);
      ++qp.rq_used;
      qp.rq_depth.set(qp.rq_producer - qp.rq_used);
      write_cqe(qp.recv_cqn, cqe, at);
      start_rwqe_fetch(qp);
    }
    acknowledge(qp, at, qp.rx_committed);
    qp.rx_committed = 0;
  }
  packets_.put(p);
}

void Hca::send_ack(Qp& qp, std::uint32_t psn, NakCode nak, Picos at) {
  // Any ACK or NAK acknowledges what came before it: it leaves once that data has landed, and
  // it ends the current coalescing group.
  at = std::max(at, edge(qp.ack_commit));
  qp.ack_commit = 0;
  qp.unacked_msgs = 0;
  if (nak == NakCode::kNone && qp.read_head < qp.read_jobs.size()) {
    // READ responses still to go: the ACK follows them (responder answers in PSN order).
    qp.deferred_ack = true;
    qp.deferred_ack_psn = psn;
    return;
  }
  Packet* a = packets_.get();
  a->kind = nak == NakCode::kNone ? PacketKind::kAck : PacketKind::kNak;
  a->nak = nak;
  a->src_port = port_;
  a->dst_port = qp.peer_port;
  a->src_qpn = qp.qpn;
  a->dst_qpn = qp.peer_qpn;
  a->psn = psn;
  a->payload_len = 0;
  ++counters_.acks_tx;
  const Picos cost = cycles(params_.ack_cycles);
  const Picos built = packetizer_.reserve(at, cost, static_cast<std::uint64_t>(a->kind) + 1) + cost;
  transmit(a, built);
}

void Hca::handle_ack(Qp& qp, Packet* p, Picos at) {
  WcStatus error = WcStatus::kSuccess;
  if (p->kind == PacketKind::kNak &&
      (p->nak == NakCode::kPsnSequence ||
       (p->nak == NakCode::kRnr &&
        (params_.rnr_retry == 7 || qp.rnr_retries < params_.rnr_retry)))) {
    // Recoverable: everything before the NAKed PSN is acknowledged; resend from it.
    const NakCode code = p->nak;
    const std::uint32_t resend_psn = p->psn;
    p->psn = resend_psn - 1;  // turn the NAK into the ACK it implies, and handle that
    p->kind = PacketKind::kAck;
    handle_ack(qp, p, at);  // completes what the NAK acknowledges and frees the packet
    if (qp.state == QpState::kError) return;
    rewind(qp, resend_psn);
    if (code == NakCode::kRnr) {
      ++qp.rnr_retries;
      qp.waiting_rnr = true;
      const Picos wait = static_cast<Picos>(params_.rnr_timer_us * 1e6 + 0.5);
      actions_.at<&Hca::on_resend>(edge(at + wait), this, qp_arg(qp));
    } else {
      on_resend(qp_arg(qp));
    }
    return;
  }
  const std::uint32_t acked_before = qp.sq_acked;
  const std::uint32_t nak_psn = p->psn;
  if (p->kind == PacketKind::kNak) {
    switch (p->nak) {
      case NakCode::kRnr:
        error = WcStatus::kRnrRetryExceeded;
        break;
      case NakCode::kRemoteAccess:
        error = WcStatus::kRemoteAccess;
        break;
      case NakCode::kInvalidRequest:
        error = WcStatus::kRemoteOperation;
        break;
      case NakCode::kPsnSequence:
        error = WcStatus::kRetryExceeded;
        break;
      case NakCode::kNone:
        break;
    }
  }
  // Complete, in order, every message whose last packet the ACK covers.
  while (qp.sq_acked != qp.sq_sent) {
    SendWork& w = qp.sq[qp.sq_acked % qp.sq_entries];
    const bool covered = seq_le(w.last_psn, p->psn);
    const bool naked = error != WcStatus::kSuccess && seq_le(w.first_psn, p->psn);
    if (!covered && !naked) break;
    if (static_cast<WrOpcode>(w.hdr.opcode) == WrOpcode::kRdmaRead && !naked) break;
    const bool failed = naked && !seq_le(w.last_psn, p->psn - 1);
    complete_send(qp, w, failed ? error : WcStatus::kSuccess, at);
    if (failed) break;
  }
  if (qp.sq_acked != acked_before) qp.rnr_retries = qp.retries = 0;  // budgets are per message
  qp.sq_depth.set(qp.sq_producer - qp.sq_acked);
  packets_.put(p);
  if (error != WcStatus::kSuccess) {
    qp_error(qp, at);
    qp.resume_psn = nak_psn;  // the responder still expects the request it refused
  }
}

void Hca::handle_read_request(Qp& qp, Packet* p, Picos at) {
  if (p->psn != qp.expected_psn) {
    // A gap gets one sequence NAK; a duplicate READ is dropped (the lossless fabric does not
    // produce them, and a resent request is answered when it arrives in sequence).
    if (!qp.rx_nak_outstanding && !seq_le(p->psn, qp.expected_psn - 1)) {
      qp.rx_nak_outstanding = true;
      send_ack(qp, qp.expected_psn, NakCode::kPsnSequence, at);
    }
    packets_.put(p);
    return;
  }
  qp.rx_nak_outstanding = false;
  if (!regions_.check(p->rkey, p->remote_addr, p->dma_len, kRemoteRead)) {
    ++counters_.protection_errors;
    send_ack(qp, p->psn, NakCode::kRemoteAccess, at);
    packets_.put(p);
    return;
  }
  const std::uint32_t responses = std::max<std::uint32_t>(1, (p->dma_len + mtu_ - 1) / mtu_);
  qp.expected_psn += responses;
  if (qp.read_head == qp.read_jobs.size()) {
    qp.read_jobs.clear();
    qp.read_head = 0;
  }
  qp.read_jobs.push_back(Qp::ReadJob{p->psn, p->remote_addr, p->dma_len, 0});
  packets_.put(p);
  // The response engine starts once the request is set up (context, translation).
  actions_.at<&Hca::on_tx_kick>(at + cycles(params_.read_response_cycles), this, qp_arg(qp));
}

bool Hca::build_read_response(Qp& qp, Packet*& out, Picos& ready) {
  Qp::ReadJob& job = qp.read_jobs[qp.read_head];
  const std::uint32_t chunk = std::min(mtu_, job.length - job.offset);
  Packet* p = packets_.get();
  p->kind = PacketKind::kReadResponse;
  p->first = job.offset == 0;
  p->last = job.offset + chunk == job.length;
  p->src_port = port_;
  p->dst_port = qp.peer_port;
  p->src_qpn = qp.qpn;
  p->dst_qpn = qp.peer_qpn;
  p->psn = job.psn + job.offset / mtu_;
  p->payload_len = chunk;
  p->payload.resize(chunk);
  const Picos now = edge(now_ps());
  ready = chunk ? dma(tlm::TLM_READ_COMMAND, job.addr + job.offset, p->payload.data(), chunk, now)
                : now;
  job.offset += chunk;
  ++qp.responses_in_flight;
  if (p->last) {
    ++qp.read_head;
    ++counters_.read_responses;
  }
  out = p;
  return true;
}

void Hca::handle_read_response(Qp& qp, Packet* p, Picos at) {
  // A response acknowledges every earlier message implicitly.
  while (qp.sq_acked != qp.sq_sent) {
    SendWork& w = qp.sq[qp.sq_acked % qp.sq_entries];
    if (!seq_le(w.last_psn, p->psn - 1) ||
        static_cast<WrOpcode>(w.hdr.opcode) == WrOpcode::kRdmaRead)
      break;
    complete_send(qp, w, WcStatus::kSuccess, at);
  }
  if (qp.sq_acked == qp.sq_sent) {
    packets_.put(p);
    return;
  }
  SendWork& w = qp.sq[qp.sq_acked % qp.sq_entries];
  if (static_cast<WrOpcode>(w.hdr.opcode) != WrOpcode::kRdmaRead || !seq_le(w.first_psn, p->psn) ||
      !seq_le(p->psn, w.last_psn)) {
    packets_.put(p);  // stray (e.g. after a resend); the transport ignores it
    return;
  }
  // Scatter into the local SGEs at this response's offset.
  std::uint32_t skip = (p->psn - w.first_psn) * mtu_, done = 0;
  for (std::uint32_t i = 0; i < w.hdr.num_sge && done < p->payload_len; ++i) {
    const Sge& s = w.sge[i];
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    const std::uint32_t take = std::min(s.len - skip, p->payload_len - done);
    dma(tlm::TLM_WRITE_COMMAND, s.addr + skip, p->payload.data() + done, take, at);
    done += take;
    skip = 0;
  }
  ++counters_.messages_rx;
  if (p->psn == w.last_psn) complete_send(qp, w, WcStatus::kSuccess, at);
  qp.sq_depth.set(qp.sq_producer - qp.sq_acked);
  packets_.put(p);
}

void Hca::complete_send(Qp& qp, SendWork& w, WcStatus status, Picos at) {
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
  ++qp.sq_acked;
}

void Hca::acknowledge(Qp& qp, Picos at, Picos committed) {
  // design decision: the ACK leaves once the message's data is in memory, so a requester that
  // sees the completion can rely on the data being visible at the responder. ACKs are
  // coalesced: one per ack_coalesce messages, or ack_delay after the first one held back.
  qp.ack_commit = std::max(qp.ack_commit, committed);
  if (++qp.unacked_msgs >= params_.ack_coalesce) {
    qp.unacked_msgs = 0;
    send_ack(qp, qp.expected_psn - 1, NakCode::kNone, std::max(at, edge(qp.ack_commit)));
    qp.ack_commit = 0;
  } else if (!qp.ack_delay_pending) {
    qp.ack_delay_pending = true;
    actions_.at<&Hca::on_ack_delay>(at + cycles(params_.ack_delay_cycles), this, qp_arg(qp));
  }
}

void Hca::on_ack_delay(std::uint64_t arg) {
  Qp* live = live_qp(arg);
  if (!live) return;
  Qp& qp = *live;
  qp.ack_delay_pending = false;
  if (qp.unacked_msgs == 0 || !receiving(qp)) return;
  qp.unacked_msgs = 0;
  send_ack(qp, qp.expected_psn - 1, NakCode::kNone, std::max(edge(now_ps()), edge(qp.ack_commit)));
  qp.ack_commit = 0;
}

void Hca::arm_ack_timer(Qp& qp, Picos from) {
  qp.ack_timer_armed = true;
  qp.timer_acked = qp.sq_acked;
  const Picos timeout = static_cast<Picos>(params_.ack_timeout_us * 1e6 + 0.5);
  actions_.at<&Hca::on_ack_timeout>(edge(from + timeout), this, qp_arg(qp));
}

void Hca::on_ack_timeout(std::uint64_t arg) {
  Qp* live = live_qp(arg);
  if (!live) return;
  Qp& qp = *live;
  qp.ack_timer_armed = false;
  const bool partly_sent = qp.tx_offset != 0;  // a message partly sent is outstanding too
  if (!sending(qp) || (qp.sq_acked == qp.sq_sent && !partly_sent)) return;
  const Picos timeout = static_cast<Picos>(params_.ack_timeout_us * 1e6 + 0.5);
  if (now_ps() < qp.last_tx + timeout) {  // the timeout runs from the last packet sent
    qp.ack_timer_armed = true;
    qp.timer_acked = qp.sq_acked;
    actions_.at<&Hca::on_ack_timeout>(edge(qp.last_tx + timeout), this, qp_arg(qp));
    return;
  }
  if (qp.sq_acked != qp.timer_acked || qp.waiting_rnr) {  // progress: keep watching
    qp.retries = 0;
    arm_ack_timer(qp, now_ps());
    return;
  }
  ++counters_.timeouts;
  if (params_.retry_count != 7 && qp.retries >= params_.retry_count) {
    SendWork& w = qp.sq[qp.sq_acked % qp.sq_entries];
    complete_send(qp, w, WcStatus::kRetryExceeded, edge(now_ps()));
    qp_error(qp, edge(now_ps()));
    return;
  }
  ++qp.retries;
  rewind(qp, qp.sq[qp.sq_acked % qp.sq_entries].first_psn);  // go back to the oldest unacked
  arm_ack_timer(qp, now_ps());
  on_resend(qp_arg(qp));
}

void Hca::rewind(Qp& qp, std::uint32_t psn) {
  // Go back to the message holding `psn`; later packets already sent are dropped by the
  // responder and sent again.
  for (std::uint32_t i = qp.sq_acked; i != qp.sq_fetched; ++i) {
    SendWork& w = qp.sq[i % qp.sq_entries];
    const bool started = i != qp.sq_sent || qp.tx_offset != 0;
    if (!started) break;
    if (seq_le(w.first_psn, psn) && (i == qp.sq_sent || seq_le(psn, w.last_psn))) {
      qp.sq_sent = i;
      qp.tx_offset = (psn - w.first_psn) * mtu_;
      qp.next_psn = psn;
      return;
    }
  }
}

void Hca::on_tx_kick(std::uint64_t arg) {
  Qp* live = live_qp(arg);
  if (!live || !receiving(*live)) return;  // READ responses go out from RTR on
  Qp& qp = *live;
  enqueue_tx(qp);
  pump_tx();
}

void Hca::on_resend(std::uint64_t arg) {
  Qp* live = live_qp(arg);
  if (!live) return;
  Qp& qp = *live;
  qp.waiting_rnr = false;
  if (!sending(qp) || qp.sq_sent == qp.sq_fetched) return;
  enqueue_tx(qp);
  pump_tx();
}

// ---- completions and errors --------------------------------------------------------------------

void Hca::write_cqe(std::uint32_t cqn, Cqe cqe, Picos at) {
  Cq& cq = cqs_[cqn];
  if (cq.overrun) {
    ++cq.lost;
    ++counters_.completions_lost;
    return;
  }
  std::uint32_t consumer = 0;
  tlm::tlm_generic_payload& peek = peek_gp_;
  peek.set_command(tlm::TLM_READ_COMMAND);
  peek.set_address(cq.dbrec);
  peek.set_data_ptr(reinterpret_cast<unsigned char*>(&consumer));
  peek.set_data_length(4);
  dma_socket->transport_dbg(peek);
  if (cq.producer - consumer >= cq.entries) {
    // CQ overrun (verbs' CQ_ERR): the entry is lost, and so is every later one until the
    // driver resizes the CQ; the driver hears of it by a CqError event.
    cq.overrun = true;
    ++counters_.cq_overruns;
    ++cq.lost;
    ++counters_.completions_lost;
    if (!eq_open_)  // nobody would hear of it otherwise
      SC_REPORT_WARNING(name(), ("completion queue " + std::to_string(cqn) + " overrun").c_str());
    raise_async(AsyncEventKind::kCqError, cqn, at);
    return;
  }
  const std::uint32_t slot = cq.producer - cq.base;  // index within the current ring
  cqe.owner = cqe_owner_for(slot, cq.entries);
  const Picos cost = cycles(params_.cqe_cycles);
  const std::uint64_t op = cqe.status != 0 ? 3 : (cqe.is_recv ? 2 : 1);
  const Picos built = cqe_engine_.reserve(edge(at), cost, op) + cost;
  cq.written_lands =
      dma(tlm::TLM_WRITE_COMMAND, cq.ring + std::uint64_t(slot % cq.entries) * sizeof(Cqe), &cqe,
          sizeof cqe, built);
  ++cq.producer;
  const bool solicits = cqe.solicited || cqe.status != 0;
  if (solicits) cq.solicited_end = cq.producer;
  if (cq.armed && (solicits || !cq.solicited_only)) {
    // The MSI is issued after the CQE's write, so PCIe ordering lands it after the entry.
    if (++cq.pending_events >= cq.mod_count) {
      fire_event(cq, built);
    } else if (cq.mod_period && !cq.timer_pending) {
      cq.timer_pending = true;
      actions_.at<&Hca::on_cq_timer>(edge(built + cq.mod_period), this,
                                     cqn | (std::uint64_t(cq.timer_epoch) << 32));
    }
  }
  ++counters_.cqes;
}

void Hca::qp_error(Qp& qp, Picos at, bool adapter_error) {
  // Entering the error state flushes every outstanding and later-posted work request.
  if (adapter_error && qp.state != QpState::kError)
    raise_async(AsyncEventKind::kQpFatal, qp.qpn, at);
  if (qp.state != QpState::kError)
    qp.resume_psn = qp.sq_acked != qp.sq_sent || qp.tx_offset
                        ? qp.sq[qp.sq_acked % qp.sq_entries].first_psn
                        : qp.next_psn;
  qp.state = QpState::kError;
  for (; qp.sq_acked != qp.sq_producer; ++qp.sq_acked) {
    SendWqeHeader h{};
    if (seq_le(qp.sq_fetched, qp.sq_acked)) {
      tlm::tlm_generic_payload peek;  // not fetched yet: firmware reads the WQE to flush it
      peek.set_command(tlm::TLM_READ_COMMAND);
      peek.set_address(qp.sq_addr + std::uint64_t(qp.sq_acked % qp.sq_entries) * params_.sq_stride);
      peek.set_data_ptr(reinterpret_cast<unsigned char*>(&h));
      peek.set_data_length(sizeof h);
      dma_socket->transport_dbg(peek);
    } else {
      h = qp.sq[qp.sq_acked % qp.sq_entries].hdr;
    }
    Cqe cqe{};
    cqe.wr_id = h.wr_id;
    cqe.qpn = qp.qpn;
    cqe.wqe_counter = qp.sq_acked;
    cqe.opcode = h.opcode;
    cqe.status = static_cast<std::uint8_t>(WcStatus::kFlushed);
    write_cqe(qp.send_cqn, cqe, at);
  }
  qp.sq_sent = qp.sq_fetched = qp.sq_acked;
  for (; qp.rq_used != qp.rq_producer; ++qp.rq_used) {
    RecvWqeHeader h{};
    tlm::tlm_generic_payload peek;
    peek.set_command(tlm::TLM_READ_COMMAND);
    peek.set_address(qp.rq_addr + std::uint64_t(qp.rq_used % qp.rq_entries) * kRecvStride);
    peek.set_data_ptr(reinterpret_cast<unsigned char*>(&h));
    peek.set_data_length(sizeof h);
    dma_socket->transport_dbg(peek);
    Cqe cqe{};
    cqe.wr_id = h.wr_id;
    cqe.qpn = qp.qpn;
    cqe.is_recv = 1;
    cqe.opcode = static_cast<std::uint8_t>(WrOpcode::kRecv);
    cqe.status = static_cast<std::uint8_t>(WcStatus::kFlushed);
    write_cqe(qp.recv_cqn, cqe, at);
  }
  qp.rq_fetched = qp.rq_used;
  for (Packet* p : qp.parked) packets_.put(p);
  qp.parked.clear();
  qp.sq_depth.set(0);
  qp.rq_depth.set(0);
}

}  // namespace hcasim
