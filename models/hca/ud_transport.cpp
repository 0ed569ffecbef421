#include "models/hca/ud_transport.hpp"

#include <algorithm>
#include <cstring>

#include "models/hca/cut_through.hpp"
#include "models/hca/sge_walk.hpp"

namespace hcasim {

// ---- sending ----------------------------------------------------------------------------------

bool UdTransport::next_packet(QpContext& qp, Packet*& out, Picos& ready) {
  out = nullptr;
  SendQueue& sq = qp.sq;
  // Every UD message is one packet, so SQD (no new message starts) sends nothing.
  if (qp.state != QpState::kRts || sq.sent == sq.fetched) return false;
  SendWork& w = sq.at(sq.sent);
  const Picos now = core_.edge(now_ps());
  const WcStatus local = local_check(w);
  if (local != WcStatus::kSuccess) {
    // Completions stay in order: the failure waits for the sends still on their way to the
    // wire (on_sent comes back here once they have left).
    if (sq.acked != sq.sent) return false;
    if (local == WcStatus::kLocalProtection) ++core_.counters.protection_errors;
    completions_.complete_send(qp, w, local, now);
    // design decision: as InfiniBand has it for UD, a send's local error moves the QP to SQE:
    // the rest of the send queue flushes, receives go on, software moves it back to RTS.
    lifecycle_.send_queue_error(qp, now);
    return false;
  }
  ++sq.started;
  Picos start = now;
  if (core_.params.qp_message_cycles)  // the QP context's occupancy per message, as for RC
    start = qp.req.context.reserve(now, core_.cycles(core_.params.qp_message_cycles));
  ready = start;
  const auto op = static_cast<WrOpcode>(w.hdr.opcode);
  const UdAddress to = ud_address(w.hdr);
  Packet* p = core_.new_packet(qp, PacketKind::kSend, qp.req.next_psn++);
  p->dst_port = to.dlid;
  p->dst_qpn = to.remote_qpn;
  p->datagram = true;
  p->qkey = to.qkey;
  p->has_imm = op == WrOpcode::kSendImm;
  p->imm = w.hdr.imm;
  p->solicited = (w.hdr.flags & kSolicited) != 0;
  p->dma_len = w.length;
  p->size_payload(w.length);
  if (w.hdr.flags & kInline) {
    std::memcpy(p->payload.data(), w.inline_data(), w.length);
  } else {
    PayloadGather gather(core_, *p, start);
    walk_sges(w.sge, w.hdr.num_sge, 0, w.length,
              [&](const Sge&, std::uint64_t addr, std::uint32_t done, std::uint32_t take) {
                gather.read(addr, done, take);
                return true;
              });
    ready = std::max(ready, gather.finish());
  }
  w.first_psn = w.last_psn = p->psn;
  ++sq.sent;
  ++core_.counters.messages_tx;
  out = p;
  return sq.sent != sq.fetched;
}

WcStatus UdTransport::local_check(const SendWork& w) const {
  const auto op = static_cast<WrOpcode>(w.hdr.opcode);
  if (op != WrOpcode::kSend && op != WrOpcode::kSendImm) return WcStatus::kLocalQpOperation;
  // design decision: the path MTU is the port's, which the provider library does not know
  // when it writes the WQE, so a longer datagram is the adapter's to refuse: the send
  // completes with a local length error (mlx5's LOCAL_LENGTH_ERR syndrome, IBV_WC_LOC_LEN_ERR).
  if (w.length > core_.mtu) return WcStatus::kLocalLength;
  for (std::uint32_t i = 0; i < w.hdr.num_sge; ++i)
    if (!core_.regions.check(w.sge[i].lkey, w.sge[i].addr, w.sge[i].len, kLocalRead))
      return WcStatus::kLocalProtection;
  return WcStatus::kSuccess;
}

void UdTransport::on_wire(QpContext& qp, PacketKind kind, Picos done) {
  // No acknowledgement will come: the send is complete once its packet has left.
  if (kind == PacketKind::kSend) core_.actions.at<&UdTransport::on_sent>(done, this, qp.ref());
}

void UdTransport::on_sent(QpRef ref) {
  QpContext* live = core_.qps.live(ref);
  if (!live) return;
  QpContext& qp = *live;
  SendQueue& sq = qp.sq;
  if (sq.acked == sq.sent) return;  // flushed meanwhile (SQE or ERR)
  completions_.complete_send(qp, sq.at(sq.acked), WcStatus::kSuccess, core_.edge(now_ps()));
  qp.trace_sq_depth();
  if (sq.acked == sq.sent && sq.sent != sq.fetched && qp.sending() && !qp.sched.in_tx_ring) {
    scheduler_.enqueue(qp);  // a failing send that waited for this one to leave goes on
    scheduler_.pump();
  }
}

// ---- receiving --------------------------------------------------------------------------------

void UdTransport::receive(QpContext& qp, Packet* p, Picos at) {
  ResponderState& resp = qp.resp;
  if (!resp.parked.empty() && p != resp.parked.front()) {
    p->held = true;
    resp.parked.push_back(p);  // keep arrival order behind datagrams waiting for a receive
    return;
  }
  if (p->kind != PacketKind::kSend || !p->datagram || p->qkey != qp.qkey) {
    // Not a datagram for this QP (a reliable-connection packet, or another Q_Key): dropped
    // silently, as InfiniBand's Q_Key check does.
    ++core_.counters.ud_drops;
    core_.packets.put(p);
    return;
  }
  RecvQueue& rq = qp.rq;
  if (rq.used == rq.fetched) {
    if (rq.used != rq.producer) {  // posted, still being fetched: wait for it
      p->held = true;
      resp.parked.push_back(p);
      recv_fetcher_.start(qp);
      return;
    }
    ++core_.counters.ud_drops;  // no receive posted: the datagram is lost, nobody is told
    core_.packets.put(p);
    return;
  }
  const WcStatus placed = place(qp, *p, at);
  Cqe cqe{};
  cqe.wr_id = rq.at(rq.used).wr_id;
  cqe.qpn = qp.qpn;
  cqe.is_recv = 1;
  cqe.opcode = static_cast<std::uint8_t>(WrOpcode::kRecv);
  cqe.status = static_cast<std::uint8_t>(placed);
  ++rq.used;
  if (placed != WcStatus::kSuccess) {
    // The receive reports the error and the QP errs, as on a reliable connection; the sender
    // is not told.
    if (placed == WcStatus::kLocalProtection) ++core_.counters.protection_errors;
    completions_.write_cqe(qp.recv_cqn, cqe, at);
    core_.packets.put(p);
    lifecycle_.error(qp, at);
    return;
  }
  cqe.byte_len = HeaderBytes::kGrh + p->payload_len;
  cqe.imm = p->imm;
  cqe.has_imm = p->has_imm;
  cqe.solicited = p->solicited;
  cqe.wqe_counter = p->src_qpn;
  cqe.src_lid[0] = static_cast<std::uint8_t>(p->src_port & 0xff);
  cqe.src_lid[1] = static_cast<std::uint8_t>(p->src_port >> 8);
  ++core_.counters.messages_rx;
  qp.trace_rq_depth();
  completions_.write_cqe(qp.recv_cqn, cqe, at);
  recv_fetcher_.start(qp);
  core_.packets.put(p);
}

WcStatus UdTransport::place(QpContext& qp, const Packet& p, Picos at) {
  // design decision: the fabric here is one subnet, so datagrams carry no GRH and the first 40
  // bytes of the buffer are left as they were (still consumed, as verbs specifies).
  const RecvWork& r = qp.rq.at(qp.rq.used);
  std::uint64_t room = 0;
  for (std::uint32_t i = 0; i < r.num_sge; ++i) room += r.sge[i].len;
  if (room < HeaderBytes::kGrh + std::uint64_t{p.payload_len}) return WcStatus::kLocalLength;
  bool refused = false;
  walk_sges(r.sge.data(), r.num_sge, HeaderBytes::kGrh, p.payload_len,
            [&](const Sge& s, std::uint64_t addr, std::uint32_t done, std::uint32_t take) {
              refused = !core_.regions.check(s.lkey, addr, take, kLocalWrite);
              if (refused) return false;
              place_payload(core_, p, addr, done, take, at);
              return true;
            });
  return refused ? WcStatus::kLocalProtection : WcStatus::kSuccess;
}

void UdTransport::receives_fetched(QpContext& qp) {
  if (qp.resp.parked.empty()) return;
  parked_scratch_.clear();
  parked_scratch_.swap(qp.resp.parked);  // both keep their capacity: no allocation
  for (Packet* p : parked_scratch_) receive(qp, p, core_.edge(now_ps()));
  parked_scratch_.clear();
}

}  // namespace hcasim
