#include "models/hca/queue_interface.hpp"

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
  if (addr < ring_ || addr + len > ring_ + std::uint64_t(entries_) * sizeof(Cqe)) return;
  const Picos now = now_ps();
  for (std::uint64_t a = addr; a + sizeof(Cqe) <= addr + len; a += sizeof(Cqe))
    landed_at_[(a - ring_) / sizeof(Cqe)] = now;
  landed_count_ += len / sizeof(Cqe);
  depth_.set(landed_count_ - consumer_);
  landed_.notify();
}

unsigned CompletionQueue::poll(WorkCompletion* out, unsigned max) {
  unsigned n = 0;
  while (n < max) {
    Cqe cqe;
    memory_.read(ring_ + std::uint64_t(consumer_ % entries_) * sizeof(Cqe), &cqe, sizeof cqe);
    if (cqe.owner != cqe_owner_for(consumer_, entries_)) break;  // not written yet
    WorkCompletion& wc = out[n++];
    wc.wr_id = cqe.wr_id;
    wc.status = static_cast<WcStatus>(cqe.status);
    wc.opcode = static_cast<WrOpcode>(cqe.opcode);
    wc.is_recv = cqe.is_recv != 0;
    wc.byte_len = cqe.byte_len;
    wc.qpn = cqe.qpn;
    wc.imm = cqe.imm;
    wc.has_imm = cqe.has_imm != 0;
    wc.wqe_counter = cqe.wqe_counter;
    wc.landed_ps = landed_at_[consumer_ % entries_];
    ++consumer_;
  }
  if (n) {
    memory_.write(dbrec_, &consumer_, sizeof consumer_);  // tells the adapter the CQ has room
    depth_.set(landed_count_ - consumer_);
  }
  return n;
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

QueuePair& AdapterContext::create_qp(CompletionQueue& send_cq, CompletionQueue& recv_cq,
                                     std::uint32_t sq_entries, std::uint32_t rq_entries) {
  auto qp = std::make_unique<QueuePair>();
  qp->sq_entries = sq_entries;
  qp->rq_entries = rq_entries;
  qp->sq_ring = memory_.allocate(std::uint64_t(sq_entries) * hca_.params().sq_stride, 4096);
  qp->rq_ring = memory_.allocate(std::uint64_t(rq_entries) * kRecvStride, 4096);
  qp->qpn = hca_.create_qp(send_cq.cqn(), recv_cq.cqn(), qp->sq_ring, sq_entries, qp->rq_ring,
                           rq_entries);
  if (qp_by_num_.size() <= qp->qpn) qp_by_num_.resize(qp->qpn + 1, nullptr);
  qp_by_num_[qp->qpn] = qp.get();
  qps_.push_back(std::move(qp));
  return *qps_.back();
}

std::uint32_t AdapterContext::register_memory(std::uint64_t addr, std::uint64_t len,
                                              std::uint32_t access) {
  return hca_.regions().register_region(addr, len, access);
}

bool AdapterContext::post_send(QueuePair& qp, const SendRequest& wr) {
  if (qp.sq_in_flight() >= qp.sq_entries) return false;
  const std::uint32_t stride = hca_.params().sq_stride;
  std::uint8_t* wqe = wqe_.data() + kBlueFlameHeader;
  std::memset(wqe, 0, stride);
  SendWqeHeader h{};
  h.opcode = static_cast<std::uint8_t>(wr.opcode);
  h.flags =
      static_cast<std::uint8_t>((wr.signaled ? kSignaled : 0) | (wr.inline_data ? kInline : 0));
  h.wr_id = wr.wr_id;
  h.remote_addr = wr.remote_addr;
  h.rkey = wr.rkey;
  h.imm = wr.imm;
  std::uint8_t* body = wqe + sizeof h;
  const std::uint32_t room = stride - sizeof h;
  if (wr.inline_data) {
    std::uint32_t len = 0;
    for (const Sge& s : wr.sges) {
      if (len + s.len > room) throw std::invalid_argument("inline data larger than max_inline");
      memory_.read(s.addr, body + len, s.len);
      len += s.len;
    }
    h.inline_len = len;
  } else {
    if (wr.sges.size() * sizeof(Sge) > room) throw std::invalid_argument("too many SGEs");
    h.num_sge = static_cast<std::uint8_t>(wr.sges.size());
    std::memcpy(body, wr.sges.data(), wr.sges.size() * sizeof(Sge));
  }
  std::memcpy(wqe, &h, sizeof h);
  memory_.write(qp.sq_ring + std::uint64_t(qp.sq_producer % qp.sq_entries) * stride, wqe, stride);
  ++qp.sq_producer;
  std::memcpy(wqe_.data(), &qp.sq_producer, 4);
  std::memset(wqe_.data() + 4, 0, 4);
  const std::uint64_t reg = doorbell_offset(DoorbellKind::kSend, qp.qpn);
  // BlueFlame: the WQE travels with the doorbell (the adapter still fetches it if it is
  // behind on this queue).
  const bool blueflame = hca_.params().blueflame;
  pcie_.mmio_write(reg, wqe_.data(), blueflame ? kBlueFlameHeader + stride : 8);
  return true;
}

bool AdapterContext::post_recv(QueuePair& qp, std::uint64_t wr_id, const Sge* sges,
                               std::uint32_t n) {
  if (qp.rq_producer - qp.rq_completed >= qp.rq_entries) return false;
  if (n > kMaxRecvSge) throw std::invalid_argument("too many receive SGEs");
  std::uint8_t slot[kRecvStride] = {};
  RecvWqeHeader h{};
  h.wr_id = wr_id;
  h.num_sge = static_cast<std::uint8_t>(n);
  std::memcpy(slot, &h, sizeof h);
  std::memcpy(slot + sizeof h, sges, n * sizeof(Sge));
  memory_.write(qp.rq_ring + std::uint64_t(qp.rq_producer % qp.rq_entries) * kRecvStride, slot,
                kRecvStride);
  ++qp.rq_producer;
  std::uint8_t db[8] = {};
  std::memcpy(db, &qp.rq_producer, 4);
  pcie_.mmio_write(doorbell_offset(DoorbellKind::kRecv, qp.qpn), db, 8);
  return true;
}

void AdapterContext::arm_cq(CompletionQueue& cq) {
  std::uint8_t db[8] = {1};
  pcie_.mmio_write(doorbell_offset(DoorbellKind::kCqArm, cq.cqn()), db, 8);
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
