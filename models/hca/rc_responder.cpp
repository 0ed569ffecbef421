#include "models/hca/rc_responder.hpp"

#include <algorithm>

#include "models/hca/cut_through.hpp"
#include "models/hca/sge_walk.hpp"

namespace hcasim {

// ---- SEND and RDMA WRITE ----------------------------------------------------------------------

void RcResponder::handle_request(QpContext& qp, Packet* p, Picos at) {
  ResponderState& resp = qp.resp;
  if (!resp.parked.empty() && p != resp.parked.front()) {
    // Keep arrival order while earlier packets wait for a receive WQE.
    p->held = true;
    resp.parked.push_back(p);
    return;
  }
  if (!in_sequence(qp, p, at)) return;
  const bool is_write = p->kind == PacketKind::kRdmaWrite;
  const bool consumes_recv = !is_write || (p->last && p->has_imm);
  if (p->first && !start_message(qp, p, at)) return;
  if (consumes_recv && qp.rq.used == qp.rq.fetched) {
    no_receive(qp, p, at);
    return;
  }
  const WcStatus placed = place(qp, *p, at);
  resp.rx_offset += p->payload_len;
  ++resp.expected_psn;
  if (placed != WcStatus::kSuccess) {
    fail_receive(qp, p, placed, at);
    return;
  }
  if (p->last) finish_message(qp, *p, consumes_recv, at);
  core_.packets.put(p);
}

bool RcResponder::in_sequence(QpContext& qp, Packet* p, Picos at) {
  ResponderState& resp = qp.resp;
  if (p->psn == resp.expected_psn) {
    resp.nak_outstanding = false;
    return true;
  }
  // A duplicate is answered with an ACK; a gap with one sequence NAK, after which packets are
  // dropped until the requester resends from the expected PSN (go-back-N).
  const bool duplicate = seq_le(p->psn, resp.expected_psn - 1);
  if (duplicate) {
    send_ack(qp, resp.expected_psn - 1, NakCode::kNone, at);
  } else if (!resp.nak_outstanding) {
    resp.nak_outstanding = true;
    send_ack(qp, resp.expected_psn, NakCode::kPsnSequence, at);
  }
  core_.packets.put(p);
  return false;
}

bool RcResponder::start_message(QpContext& qp, Packet* p, Picos at) {
  ResponderState& resp = qp.resp;
  resp.rx_offset = 0;
  resp.rx_remote_addr = p->remote_addr;
  if (p->kind == PacketKind::kRdmaWrite &&
      !core_.regions.check(p->rkey, p->remote_addr, p->dma_len, kRemoteWrite)) {
    ++core_.counters.protection_errors;
    send_ack(qp, p->psn, NakCode::kRemoteAccess, at);
    core_.packets.put(p);
    return false;
  }
  return true;
}

void RcResponder::no_receive(QpContext& qp, Packet* p, Picos at) {
  if (qp.rq.used != qp.rq.producer) {  // posted, still being fetched: wait for it
    p->held = true;
    qp.resp.parked.push_back(p);
    recv_fetcher_.start(qp);
    return;
  }
  // Receiver not ready: no receive posted. The requester waits and resends.
  ++core_.counters.rnr_naks;
  qp.resp.nak_outstanding = true;
  send_ack(qp, p->psn, NakCode::kRnr, at);
  core_.packets.put(p);
}

WcStatus RcResponder::place(QpContext& qp, const Packet& p, Picos at) {
  ResponderState& resp = qp.resp;
  if (p.kind == PacketKind::kRdmaWrite) {  // at the remote address
    if (p.payload_len)
      resp.rx_committed = std::max(
          resp.rx_committed,
          place_payload(core_, p, resp.rx_remote_addr + resp.rx_offset, 0, p.payload_len, at));
    return WcStatus::kSuccess;
  }
  // SEND: across the receive's SGEs, each checked for local write access.
  const RecvWork& r = qp.rq.at(qp.rq.used);
  bool refused = false;
  const std::uint32_t placed =
      walk_sges(r.sge.data(), r.num_sge, resp.rx_offset, p.payload_len,
                [&](const Sge& s, std::uint64_t addr, std::uint32_t done, std::uint32_t take) {
                  refused = !core_.regions.check(s.lkey, addr, take, kLocalWrite);
                  if (refused) return false;
                  resp.rx_committed =
                      std::max(resp.rx_committed, place_payload(core_, p, addr, done, take, at));
                  return true;
                });
  if (refused) return WcStatus::kLocalProtection;
  return placed == p.payload_len ? WcStatus::kSuccess : WcStatus::kLocalLength;
}

void RcResponder::fail_receive(QpContext& qp, Packet* p, WcStatus status, Picos at) {
  // rdma-core's statuses: the receive reports its own error; the requester learns of a message
  // too long as an invalid request, of the responder's own failure as a remote operational
  // error.
  const bool protection = status == WcStatus::kLocalProtection;
  if (protection) ++core_.counters.protection_errors;
  Cqe cqe{};
  cqe.wr_id = qp.rq.at(qp.rq.used).wr_id;
  cqe.qpn = qp.qpn;
  cqe.is_recv = 1;
  cqe.opcode = static_cast<std::uint8_t>(WrOpcode::kRecv);
  cqe.status = static_cast<std::uint8_t>(status);
  ++qp.rq.used;
  completions_.write_cqe(qp.recv_cqn, cqe, at);
  send_ack(qp, p->psn, protection ? NakCode::kRemoteOperational : NakCode::kInvalidRequest, at);
  core_.packets.put(p);
  lifecycle_.error(qp, at);
}

void RcResponder::finish_message(QpContext& qp, const Packet& p, bool consumes_recv, Picos at) {
  ResponderState& resp = qp.resp;
  ++core_.counters.messages_rx;
  if (consumes_recv) {
    Cqe cqe{};
    cqe.wr_id = qp.rq.at(qp.rq.used).wr_id;
    cqe.byte_len = resp.rx_offset;
    cqe.qpn = qp.qpn;
    cqe.imm = p.imm;
    cqe.has_imm = p.has_imm;
    cqe.solicited = p.solicited;
    cqe.is_recv = 1;
    cqe.opcode = static_cast<std::uint8_t>(
        p.kind == PacketKind::kRdmaWrite ? WrOpcode::kRdmaWriteImm : WrOpcode::kRecv);
    ++qp.rq.used;
    qp.trace_rq_depth();
    completions_.write_cqe(qp.recv_cqn, cqe, at);
    recv_fetcher_.start(qp);
  }
  acknowledge(qp, at, resp.rx_committed);
  resp.rx_committed = 0;
}

void RcResponder::replay_parked(QpContext& qp) {
  if (qp.resp.parked.empty()) return;
  parked_scratch_.clear();
  parked_scratch_.swap(qp.resp.parked);  // both keep their capacity: no allocation
  for (Packet* p : parked_scratch_) handle_request(qp, p, core_.edge(now_ps()));
  parked_scratch_.clear();
}

// ---- acknowledgements -------------------------------------------------------------------------

void RcResponder::send_ack(QpContext& qp, std::uint32_t psn, NakCode nak, Picos at) {
  // Any ACK or NAK acknowledges what came before it: it leaves once that data has landed, and
  // it ends the current coalescing group.
  ResponderState& resp = qp.resp;
  at = std::max(at, core_.edge(resp.ack_commit));
  resp.ack_commit = 0;
  resp.unacked_msgs = 0;
  if (nak == NakCode::kNone && (resp.reads_pending() || resp.responses_in_flight)) {
    // READ responses still to go, or built but still waiting for their DMA read: the ACK
    // follows them (the responder answers in PSN order).
    resp.deferred_ack = true;
    resp.deferred_ack_psn = psn;
    resp.deferred_ack_at = at;
    return;
  }
  Packet* a =
      core_.new_packet(qp, nak == NakCode::kNone ? PacketKind::kAck : PacketKind::kNak, psn);
  a->nak = nak;
  if (nak == NakCode::kRnr)  // how long the requester is to wait: this QP's minimum RNR timer
    a->rnr_timer = static_cast<std::uint8_t>(core_.params.min_rnr_timer);
  ++core_.counters.acks_tx;
  scheduler_.send_now(a, at, core_.cycles(core_.params.ack_cycles));
}

void RcResponder::acknowledge(QpContext& qp, Picos at, Picos committed) {
  // design decision: the ACK leaves once the message's data is in memory, so a requester that
  // sees the completion can rely on the data being visible at the responder. ACKs are
  // coalesced: one per ack_coalesce messages, or ack_delay after the first one held back.
  ResponderState& resp = qp.resp;
  resp.ack_commit = std::max(resp.ack_commit, committed);
  if (++resp.unacked_msgs >= core_.params.ack_coalesce) {
    resp.unacked_msgs = 0;
    send_ack(qp, resp.expected_psn - 1, NakCode::kNone, std::max(at, core_.edge(resp.ack_commit)));
    resp.ack_commit = 0;
  } else if (!resp.ack_delay_pending) {
    resp.ack_delay_pending = true;
    core_.actions.at<&RcResponder::on_ack_delay>(at + core_.cycles(core_.params.ack_delay_cycles),
                                                 this, qp.ref());
  }
}

void RcResponder::on_ack_delay(QpRef ref) {
  QpContext* live = core_.qps.live(ref);
  if (!live) return;
  QpContext& qp = *live;
  ResponderState& resp = qp.resp;
  resp.ack_delay_pending = false;
  if (resp.unacked_msgs == 0 || !qp.receiving()) return;
  resp.unacked_msgs = 0;
  send_ack(qp, resp.expected_psn - 1, NakCode::kNone,
           std::max(core_.edge(now_ps()), core_.edge(resp.ack_commit)));
  resp.ack_commit = 0;
}

// ---- RDMA READ --------------------------------------------------------------------------------

void RcResponder::handle_read_request(QpContext& qp, Packet* p, Picos at) {
  ResponderState& resp = qp.resp;
  const bool duplicate = seq_le(p->psn, resp.expected_psn - 1);
  if (p->psn != resp.expected_psn && !duplicate) {
    // A gap gets one sequence NAK; packets are dropped until the resend arrives in sequence.
    if (!resp.nak_outstanding) {
      resp.nak_outstanding = true;
      send_ack(qp, resp.expected_psn, NakCode::kPsnSequence, at);
    }
    core_.packets.put(p);
    return;
  }
  // A duplicate READ (its responses were lost, or the requester resent it after a timeout) is
  // executed again, as the transport requires: its responses go out once more with their
  // original PSNs, and the expected PSN stays where it is.
  if (!duplicate) resp.nak_outstanding = false;
  if (!core_.regions.check(p->rkey, p->remote_addr, p->dma_len, kRemoteRead)) {
    ++core_.counters.protection_errors;
    send_ack(qp, p->psn, NakCode::kRemoteAccess, at);
    core_.packets.put(p);
    return;
  }
  const std::uint32_t responses =
      std::max<std::uint32_t>(1, (p->dma_len + core_.mtu - 1) / core_.mtu);
  if (!duplicate) resp.expected_psn += responses;
  if (!resp.reads_pending()) {
    resp.read_jobs.clear();
    resp.read_head = 0;
  }
  resp.read_jobs.push_back(ResponderState::ReadJob{p->psn, p->remote_addr, p->dma_len, 0});
  core_.packets.put(p);
  // The response engine starts once the request is set up (context, translation).
  core_.actions.at<&RcResponder::on_tx_kick>(at + core_.cycles(core_.params.read_response_cycles),
                                             this, qp.ref());
}

void RcResponder::on_tx_kick(QpRef ref) {
  QpContext* live = core_.qps.live(ref);
  if (!live || !live->receiving()) return;  // READ responses go out from RTR on
  scheduler_.enqueue(*live);
  scheduler_.pump();
}

void RcResponder::next_read_response(QpContext& qp, Packet*& out, Picos& ready) {
  ResponderState& resp = qp.resp;
  ResponderState::ReadJob& job = resp.read_jobs[resp.read_head];
  const std::uint32_t chunk = std::min(core_.mtu, job.length - job.offset);
  Packet* p = core_.new_packet(qp, PacketKind::kReadResponse, job.psn + job.offset / core_.mtu);
  p->first = job.offset == 0;
  p->last = job.offset + chunk == job.length;
  p->size_payload(chunk);
  const Picos now = core_.edge(now_ps());
  ready = now;
  if (chunk) {
    PayloadGather gather(core_, *p, now);
    gather.read(job.addr + job.offset, 0, chunk);
    ready = gather.finish();
  }
  job.offset += chunk;
  ++resp.responses_in_flight;
  if (p->last) {
    ++resp.read_head;
    ++core_.counters.read_responses;
  }
  out = p;
}

void RcResponder::response_sent(QpContext& qp) {
  ResponderState& resp = qp.resp;
  if (--resp.responses_in_flight == 0 && resp.deferred_ack && !resp.reads_pending()) {
    resp.deferred_ack = false;  // the ACK held behind the READ responses goes now
    send_ack(qp, resp.deferred_ack_psn, NakCode::kNone,
             std::max(core_.edge(now_ps()), resp.deferred_ack_at));
  }
}

}  // namespace hcasim
