#include "models/hca/queue_interface.hpp"
#include "models/core/lookahead.hpp"

#include <stdexcept>

namespace hcasim {

CompletionQueue::CompletionQueue(std::uint32_t cqn, std::uint64_t ring, std::uint32_t entries,
                                 std::uint64_t dbrec, HostMemory& memory, TraceSink* trace,
                                 const std::string& path)
    : cqn_(cqn), ring_(ring), entries_(entries), dbrec_(dbrec), memory_(memory) {
  landed_at_.assign(entries, 0);
  depth_.attach(trace, path + "_depth", 16);
}

void CompletionQueue::on_dma_write(std::uint64_t addr, std::uint64_t len) {
  if (!in_ring(ring_, entries_, addr, len) &&
      !(next_entries_ && in_ring(next_ring_, next_entries_, addr, len)))
    return;
  // When each entry landed, by its sequence number (entries land and are polled in order).
  const Picos now = now_ps();
  for (std::uint64_t k = 0; k < len / sizeof(Cqe); ++k)
    landed_at_[(landed_count_ + k) % landed_at_.size()] = now;
  landed_count_ += len / sizeof(Cqe);
  signal_landing();
  // Traced after the observer ran: a service that polls what landed at once (the I/O unit's)
  // leaves the depth as it was, and tracing the entry's landing and its poll cost the trace's
  // thread two notes for no change at that time.
  depth_.set(landed_count_ - consumer_);
}

void CompletionQueue::signal_landing() {
  if (observer_)
    observer_(observer_self_);
  else
    Lookahead::notify(landed_);
}

unsigned CompletionQueue::poll(WorkCompletion* out, unsigned max) {
  // Every entry lands through on_dma_write: when all that landed were polled, the next slot
  // cannot hold a new one (a poll that finds the queue empty, once per message in a service).
  if (polled_count_ == landed_count_) return 0;
  unsigned n = 0;
  while (n < max) {
    Cqe cqe;
    const std::uint32_t slot = consumer_ - base_;
    memory_.read(ring_ + std::uint64_t(slot % entries_) * sizeof(Cqe), &cqe, sizeof cqe);
    if (cqe.owner != cqe_owner_for(slot, entries_)) break;  // not written yet
    WorkCompletion& wc = out[n++];
    wc.wr_id = cqe.wr_id;
    wc.status = static_cast<WcStatus>(cqe.status);
    wc.opcode = static_cast<WrOpcode>(cqe.opcode);
    wc.is_recv = cqe.is_recv != 0;
    wc.byte_len = cqe.byte_len;
    wc.qpn = cqe.qpn;
    wc.imm = cqe.imm;
    wc.has_imm = cqe.has_imm != 0;
    wc.solicited = cqe.solicited != 0;
    wc.wqe_counter = cqe.wqe_counter;
    wc.src_qp = wc.is_recv ? cqe.wqe_counter : 0;
    wc.slid = static_cast<std::uint16_t>(cqe.src_lid[0] | cqe.src_lid[1] << 8);
    wc.landed_ps = landed_at_[polled_count_++ % landed_at_.size()];
    ++consumer_;
  }
  if (n) {
    memory_.write(dbrec_, &consumer_, sizeof consumer_);  // tells the adapter the CQ has room
    depth_.set(landed_count_ - consumer_);
  }
  return n;
}

void CompletionQueue::expect_ring(std::uint64_t ring, std::uint32_t entries) {
  next_ring_ = ring;
  next_entries_ = entries;
}

void CompletionQueue::switch_ring(std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec,
                                  std::uint32_t end) {
  // The new ring's slot 0 is the consumer index: copy what is not polled yet, with the owner
  // bit of its new place (as mlx4_ib_cq_resize_copy_cqes).
  for (std::uint32_t i = consumer_; i != end; ++i) {
    Cqe cqe;
    memory_.read(ring_ + std::uint64_t((i - base_) % entries_) * sizeof(Cqe), &cqe, sizeof cqe);
    cqe.owner = cqe_owner_for(i - consumer_, entries);
    memory_.write(ring + std::uint64_t((i - consumer_) % entries) * sizeof(Cqe), &cqe, sizeof cqe);
  }
  if (entries > landed_at_.size()) {  // room for every unpolled entry's landing time
    std::vector<Picos> grown(entries, 0);
    for (std::uint64_t i = polled_count_; i < landed_count_; ++i)
      grown[i % entries] = landed_at_[i % landed_at_.size()];
    landed_at_.swap(grown);
  }
  ring_ = ring;
  entries_ = entries;
  dbrec_ = dbrec;
  base_ = consumer_;
  next_ring_ = 0;
  next_entries_ = 0;
  // A poller woken by an entry that landed in the new ring during the switch found nothing in
  // the old one: wake it again now that the entry is where it looks.
  if (landed_count_ > consumer_) signal_landing();
}

AdapterContext::AdapterContext(Hca& hca, PcieLink& pcie, HostMemory& memory, TraceSink* trace)
    : hca_(hca), pcie_(pcie), memory_(memory), trace_(trace) {
  wqe_.resize(kBlueFlameHeader + 512);
}

CompletionQueue& AdapterContext::create_cq(std::uint32_t entries) {
  const std::uint64_t ring = memory_.allocate(std::uint64_t(entries) * sizeof(Cqe), 4096);
  const std::uint64_t dbrec = memory_.allocate(8, 64);
  const std::uint32_t cqn = hca_.create_cq(ring, entries, dbrec);
  const std::string path = std::string(hca_.name()) + ".cq" + std::to_string(cqn);
  cqs_.push_back(
      std::make_unique<CompletionQueue>(cqn, ring, entries, dbrec, memory_, trace_, path));
  pcie_.watch(ring, std::uint64_t(entries) * sizeof(Cqe), cqs_.back().get());
  return *cqs_.back();
}

VerbStatus AdapterContext::resize_cq(CompletionQueue& cq, std::uint32_t entries) {
  const std::uint32_t consumer = static_cast<std::uint32_t>(cq.consumed());
  if (entries == 0) return VerbStatus::kInvalidArgument;
  const std::uint64_t ring = memory_.allocate(std::uint64_t(entries) * sizeof(Cqe), 4096);
  const std::uint64_t dbrec = memory_.allocate(8, 64);
  memory_.write(dbrec, &consumer, sizeof consumer);  // the adapter takes the new ring's base here
  const Hca::CqResize r = hca_.resize_cq(cq.cqn(), ring, entries, dbrec);
  if (r.status != VerbStatus::kOk) return r.status;
  // The adapter writes the new ring only from later actions on: watching it now is in time.
  pcie_.watch(ring, std::uint64_t(entries) * sizeof(Cqe), &cq);
  cq.expect_ring(ring, entries);
  Lookahead::wait_until(r.completes);
  cq.switch_ring(ring, entries, dbrec, r.switch_index);
  return VerbStatus::kOk;
}

EventQueue& AdapterContext::open_event_queue(std::uint32_t vector, std::uint32_t entries) {
  if (eq_) throw std::logic_error(std::string(hca_.name()) + ": event queue already open");
  const std::uint64_t ring = memory_.allocate(std::uint64_t(entries) * sizeof(Eqe), 4096);
  const std::uint64_t dbrec = memory_.allocate(8, 64);
  eq_ = std::make_unique<EventQueue>(ring, entries, dbrec, vector, memory_);
  pcie_.watch(ring, std::uint64_t(entries) * sizeof(Eqe), eq_.get());
  if (hca_.create_eq(ring, entries, dbrec, vector) != VerbStatus::kOk)
    throw std::logic_error(std::string(hca_.name()) + ": the adapter refused the event queue");
  return *eq_;
}

QueuePair& AdapterContext::create_qp(CompletionQueue& send_cq, CompletionQueue& recv_cq,
                                     std::uint32_t sq_entries, std::uint32_t rq_entries,
                                     QpState initial, QpType type) {
  auto qp = std::make_unique<QueuePair>();
  qp->state = initial;
  qp->type = type;
  qp->sq_entries = sq_entries;
  qp->rq_entries = rq_entries;
  qp->sq_ring = memory_.allocate(std::uint64_t(sq_entries) * hca_.params().sq_stride, 4096);
  qp->rq_ring = memory_.allocate(std::uint64_t(rq_entries) * kRecvStride, 4096);
  qp->qpn = hca_.create_qp(send_cq.cqn(), recv_cq.cqn(), qp->sq_ring, sq_entries, qp->rq_ring,
                           rq_entries, initial, type);
  if (qp_by_num_.size() <= qp->qpn) qp_by_num_.resize(qp->qpn + 1, nullptr);
  qp_by_num_[qp->qpn] = qp.get();
  qps_.push_back(std::move(qp));
  return *qps_.back();
}

std::uint32_t AdapterContext::register_memory(std::uint64_t addr, std::uint64_t len,
                                              std::uint32_t access) {
  return hca_.regions().register_region(addr, len, access);
}

VerbStatus AdapterContext::modify_qp(QueuePair& qp, const QpModify& m) {
  const VerbStatus status = hca_.modify_qp(qp.qpn, m);
  if (status != VerbStatus::kOk) return status;
  qp.state = m.state;
  if (m.state == QpState::kReset)
    qp.sq_producer = qp.sq_completed = qp.rq_producer = qp.rq_completed = 0;
  return status;
}

VerbStatus AdapterContext::destroy_qp(QueuePair& qp) {
  const VerbStatus status = hca_.destroy_qp(qp.qpn);
  if (status != VerbStatus::kOk) return status;
  qp.state = QpState::kReset;
  qp.sq_producer = qp.sq_completed = qp.rq_producer = qp.rq_completed = 0;
  if (qp.qpn < qp_by_num_.size()) qp_by_num_[qp.qpn] = nullptr;
  return status;
}

bool AdapterContext::post_send(QueuePair& qp, const SendRequest& wr, bool ring) {
  const VerbStatus s = try_post_send(qp, wr, ring);
  if (s == VerbStatus::kTooManySges) throw std::invalid_argument("too many SGEs");
  if (s == VerbStatus::kInlineTooLarge)
    throw std::invalid_argument("inline data larger than max_inline");
  return s == VerbStatus::kOk;
}

bool AdapterContext::post_recv(QueuePair& qp, std::uint64_t wr_id, const Sge* sges, std::uint32_t n,
                               bool ring) {
  const VerbStatus s = try_post_recv(qp, wr_id, sges, n, ring);
  if (s == VerbStatus::kTooManySges) throw std::invalid_argument("too many receive SGEs");
  return s == VerbStatus::kOk;
}

VerbStatus AdapterContext::try_post_send(QueuePair& qp, const SendRequest& wr, bool ring) {
  if (!qp_accepts_sends(qp.state)) return VerbStatus::kWrongState;
  const std::uint32_t stride = hca_.params().sq_stride;
  const std::uint32_t room = stride - sizeof(SendWqeHeader);
  if (wr.inline_data) {
    std::uint64_t len = 0;
    for (const Sge& s : wr.sges) len += s.len;
    if (len > room) return VerbStatus::kInlineTooLarge;
  } else if (wr.sges.size() * sizeof(Sge) > room) {
    return VerbStatus::kTooManySges;
  }
  if (qp.sq_in_flight() >= qp.sq_entries) return VerbStatus::kQueueFull;
  std::uint8_t* wqe = wqe_.data() + kBlueFlameHeader;
  std::memset(wqe, 0, stride);
  SendWqeHeader h{};
  h.opcode = static_cast<std::uint8_t>(wr.opcode);
  h.flags =
      static_cast<std::uint8_t>((wr.signaled ? kSignaled : 0) | (wr.inline_data ? kInline : 0) |
                                (wr.solicited ? kSolicited : 0));
  h.wr_id = wr.wr_id;
  h.remote_addr = wr.remote_addr;
  h.rkey = wr.rkey;
  if (qp.type == QpType::kUd) set_ud_address(h, wr.ud);
  h.imm = wr.imm;
  std::uint8_t* body = wqe + sizeof h;
  if (wr.inline_data) {
    std::uint32_t len = 0;
    for (const Sge& s : wr.sges) {
      memory_.read(s.addr, body + len, s.len);
      len += s.len;
    }
    h.inline_len = len;
  } else {
    h.num_sge = static_cast<std::uint8_t>(wr.sges.size());
    std::memcpy(body, wr.sges.data(), wr.sges.size() * sizeof(Sge));
  }
  std::memcpy(wqe, &h, sizeof h);
  memory_.write(qp.sq_ring + std::uint64_t(qp.sq_producer % qp.sq_entries) * stride, wqe, stride);
  ++qp.sq_producer;
  if (!ring) return VerbStatus::kOk;
  std::memcpy(wqe_.data(), &qp.sq_producer, 4);
  std::memset(wqe_.data() + 4, 0, 4);
  const std::uint64_t reg = doorbell_offset(DoorbellKind::kSend, qp.qpn);
  // BlueFlame, as the drivers choose it: a WQE posted alone travels with its doorbell when it
  // fits the register (libmlx4: inline WQEs only; libmlx5 by default: any). The adapter still
  // fetches it if it is behind on this queue.
  const HcaParams& p = hca_.params();
  const std::uint32_t bf_bytes = blueflame_wqe_bytes(h);
  const bool blueflame =
      p.blueflame && bf_bytes <= p.blueflame_bytes && (wr.inline_data || p.blueflame_non_inline);
  pcie_.mmio_write(reg, wqe_.data(), blueflame ? kBlueFlameHeader + bf_bytes : 8);
  return VerbStatus::kOk;
}

void AdapterContext::ring_send_doorbell(QueuePair& qp) {
  std::uint8_t db[8] = {};
  std::memcpy(db, &qp.sq_producer, 4);
  pcie_.mmio_write(doorbell_offset(DoorbellKind::kSend, qp.qpn), db, sizeof db);
}

VerbStatus AdapterContext::try_post_recv(QueuePair& qp, std::uint64_t wr_id, const Sge* sges,
                                         std::uint32_t n, bool ring) {
  if (!qp_accepts_receives(qp.state)) return VerbStatus::kWrongState;
  if (n > kMaxRecvSge) return VerbStatus::kTooManySges;
  if (qp.rq_producer - qp.rq_completed >= qp.rq_entries) return VerbStatus::kQueueFull;
  std::uint8_t slot[kRecvStride] = {};
  RecvWqeHeader h{};
  h.wr_id = wr_id;
  h.num_sge = static_cast<std::uint8_t>(n);
  std::memcpy(slot, &h, sizeof h);
  std::memcpy(slot + sizeof h, sges, n * sizeof(Sge));
  memory_.write(qp.rq_ring + std::uint64_t(qp.rq_producer % qp.rq_entries) * kRecvStride, slot,
                kRecvStride);
  ++qp.rq_producer;
  if (ring) ring_recv_doorbell(qp);
  return VerbStatus::kOk;
}

void AdapterContext::ring_recv_doorbell(QueuePair& qp) {
  std::uint8_t db[8] = {};
  std::memcpy(db, &qp.rq_producer, 4);
  pcie_.mmio_write(doorbell_offset(DoorbellKind::kRecv, qp.qpn), db, sizeof db);
}

Picos AdapterContext::arm_cq(CompletionQueue& cq, bool solicited_only) {
  std::uint8_t db[8] = {};
  const auto consumer = static_cast<std::uint32_t>(cq.consumed());
  const std::uint32_t flags = solicited_only ? kArmSolicited : 0;
  std::memcpy(db, &consumer, 4);
  std::memcpy(db + 4, &flags, 4);
  return pcie_.mmio_write(doorbell_offset(DoorbellKind::kCqArm, cq.cqn()), db, 8);
}

void AdapterContext::retire(const WorkCompletion& wc) {
  if (wc.qpn >= qp_by_num_.size() || !qp_by_num_[wc.qpn]) return;
  QueuePair& qp = *qp_by_num_[wc.qpn];
  if (wc.is_recv)
    ++qp.rq_completed;
  else
    qp.sq_completed = wc.wqe_counter + 1;  // the send CQE frees every slot up to its WQE
}

}  // namespace hcasim
