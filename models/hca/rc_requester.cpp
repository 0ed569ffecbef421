#include "models/hca/rc_requester.hpp"

#include <algorithm>
#include <cstring>

#include "models/hca/cut_through.hpp"
#include "models/hca/rnr_timer.hpp"
#include "models/hca/sge_walk.hpp"

namespace hcasim {

// ---- building request packets -----------------------------------------------------------------

bool RcRequester::next_packet(QpContext& qp, Packet*& out, Picos& ready) {
  out = nullptr;
  if (!has_work(qp)) return false;
  SendQueue& sq = qp.sq;
  RequesterState& req = qp.req;
  // SQD: messages already started (also when resent) finish; the next WQE does not start.
  const bool new_message = req.tx_offset == 0 && sq.sent == sq.started;
  if (new_message && qp.state == QpState::kSqd) return false;
  SendWork& w = sq.at(sq.sent);
  const Picos now = core_.edge(now_ps());
  if (req.tx_offset == 0) {
    const WcStatus local = local_check(w);
    if (local != WcStatus::kSuccess) {
      fail_local(qp, w, local, now);
      return false;
    }
  }
  if (new_message) ++sq.started;
  Picos start = now;
  if (req.tx_offset == 0 && core_.params.qp_message_cycles) {
    // Occupancy without latency: an unloaded message starts at once, back-to-back messages of
    // one QP are spaced by qp_message_cycles.
    start = req.context.reserve(now, core_.cycles(core_.params.qp_message_cycles));
  }
  ready = start;
  out = static_cast<WrOpcode>(w.hdr.opcode) == WrOpcode::kRdmaRead
            ? read_request(qp, w)
            : data_packet(qp, w, start, ready);
  return sq.sent != sq.fetched;
}

WcStatus RcRequester::local_check(const SendWork& w) {
  // The statuses rdma-core reports: a malformed WQE is a local QP operation error, a message
  // over the largest size (2^31 bytes) a local length error, a refused buffer a local
  // protection error.
  const auto op = static_cast<WrOpcode>(w.hdr.opcode);
  const bool known = op == WrOpcode::kSend || op == WrOpcode::kSendImm ||
                     op == WrOpcode::kRdmaWrite || op == WrOpcode::kRdmaWriteImm ||
                     op == WrOpcode::kRdmaRead;
  if (!known || (op == WrOpcode::kRdmaRead && (w.hdr.flags & kInline)))
    return WcStatus::kLocalQpOperation;
  if (w.length > (1u << 31)) return WcStatus::kLocalLength;
  const std::uint32_t need = op == WrOpcode::kRdmaRead ? kLocalWrite : kLocalRead;
  for (std::uint32_t i = 0; i < w.hdr.num_sge; ++i)
    if (!core_.regions.check(w.sge[i].lkey, w.sge[i].addr, w.sge[i].len, need))
      return WcStatus::kLocalProtection;
  return WcStatus::kSuccess;
}

void RcRequester::fail_local(QpContext& qp, SendWork& w, WcStatus status, Picos at) {
  if (status == WcStatus::kLocalProtection) ++core_.counters.protection_errors;
  // Completions stay in order: the earlier messages still outstanding are flushed, then this
  // one fails, then everything after it is flushed.
  SendQueue& sq = qp.sq;
  while (sq.acked != sq.sent)
    completions_.complete_send(qp, sq.at(sq.acked), WcStatus::kFlushed, at);
  completions_.complete_send(qp, w, status, at);
  sq.sent = sq.acked;
  lifecycle_.error(qp, at);
}

Packet* RcRequester::read_request(QpContext& qp, SendWork& w) {
  // One request packet; the responses use the PSNs that follow it, one per MTU of data.
  RequesterState& req = qp.req;
  Packet* p = core_.new_packet(qp, PacketKind::kReadRequest, req.next_psn);
  const std::uint32_t responses =
      std::max<std::uint32_t>(1, (w.length + core_.mtu - 1) / core_.mtu);
  p->remote_addr = w.hdr.remote_addr;
  p->rkey = w.hdr.rkey;
  p->dma_len = w.length;
  w.first_psn = req.next_psn;
  w.last_psn = req.next_psn + responses - 1;
  req.next_psn += responses;
  ++qp.sq.sent;
  ++core_.counters.messages_tx;
  ++core_.counters.read_requests;
  return p;
}

Packet* RcRequester::data_packet(QpContext& qp, SendWork& w, Picos start, Picos& ready) {
  RequesterState& req = qp.req;
  const auto op = static_cast<WrOpcode>(w.hdr.opcode);
  const std::uint32_t chunk = std::min(core_.mtu, w.length - req.tx_offset);
  const bool write = op == WrOpcode::kRdmaWrite || op == WrOpcode::kRdmaWriteImm;
  Packet* p =
      core_.new_packet(qp, write ? PacketKind::kRdmaWrite : PacketKind::kSend, req.next_psn++);
  p->first = req.tx_offset == 0;
  p->last = req.tx_offset + chunk == w.length;
  p->has_imm = op == WrOpcode::kSendImm || op == WrOpcode::kRdmaWriteImm;
  p->solicited = (w.hdr.flags & kSolicited) != 0 && p->last;
  p->imm = w.hdr.imm;
  p->remote_addr = w.hdr.remote_addr;
  p->rkey = w.hdr.rkey;
  p->dma_len = w.length;
  p->size_payload(chunk);
  if (p->first) w.first_psn = p->psn;
  if (w.hdr.flags & kInline) {
    std::memcpy(p->payload.data(), w.inline_data() + req.tx_offset, chunk);
  } else {
    // Gather this packet's bytes from the SGEs that cover [tx_offset, tx_offset + chunk).
    PayloadGather gather(core_, *p, start);
    walk_sges(w.sge, w.hdr.num_sge, req.tx_offset, chunk,
              [&](const Sge&, std::uint64_t addr, std::uint32_t done, std::uint32_t take) {
                gather.read(addr, done, take);
                return true;
              });
    ready = std::max(ready, gather.finish());
  }
  req.tx_offset += chunk;
  if (p->last) {
    w.last_psn = p->psn;
    req.tx_offset = 0;
    ++qp.sq.sent;
    ++core_.counters.messages_tx;
  }
  return p;
}

void RcRequester::request_on_wire(QpContext& qp, Picos done) {
  qp.req.last_tx = std::max(qp.req.last_tx, done);
  if (!qp.req.ack_timer_armed) arm_ack_timer(qp, done);
}

// ---- acknowledgements -------------------------------------------------------------------------

WcStatus RcRequester::nak_status(const Packet& p) {
  if (p.kind != PacketKind::kNak) return WcStatus::kSuccess;
  switch (p.nak) {
    case NakCode::kRnr:
      return WcStatus::kRnrRetryExceeded;
    case NakCode::kRemoteAccess:
      return WcStatus::kRemoteAccess;
    case NakCode::kInvalidRequest:
      return WcStatus::kRemoteInvalidRequest;
    case NakCode::kRemoteOperational:
      return WcStatus::kRemoteOperation;
    case NakCode::kPsnSequence:
      return WcStatus::kRetryExceeded;
    case NakCode::kNone:
      break;
  }
  return WcStatus::kSuccess;
}

void RcRequester::handle_ack(QpContext& qp, Packet* p, Picos at) {
  SendQueue& sq = qp.sq;
  RequesterState& req = qp.req;
  const HcaParams& params = core_.params;
  // Retry budgets as in InfiniBand: a sequence NAK spends the transport budget (retry_count,
  // shared with timeouts), an RNR NAK its own (rnr_retry, where 7 alone means forever).
  if (p->kind == PacketKind::kNak &&
      ((p->nak == NakCode::kPsnSequence && req.retries < params.retry_count) ||
       (p->nak == NakCode::kRnr &&
        (params.rnr_retry == 7 || req.rnr_retries < params.rnr_retry)))) {
    // Recoverable: everything before the NAKed PSN is acknowledged; resend from it.
    const NakCode code = p->nak;
    const std::uint8_t rnr_timer = p->rnr_timer;
    const std::uint32_t resend_psn = p->psn;
    p->psn = resend_psn - 1;  // turn the NAK into the ACK it implies, and handle that
    p->kind = PacketKind::kAck;
    handle_ack(qp, p, at);  // completes what the NAK acknowledges and frees the packet
    if (qp.state == QpState::kError) return;
    rewind(qp, resend_psn);
    if (code == NakCode::kRnr) {
      ++req.rnr_retries;
      req.waiting_rnr = true;
      // The wait is the one the responder asked for in its NAK.
      core_.actions.at<&RcRequester::on_resend>(core_.edge(at + rnr_timer_ps(rnr_timer)), this,
                                                qp.ref());
    } else {
      ++req.retries;
      on_resend(qp.ref());
    }
    return;
  }
  const std::uint32_t acked_before = sq.acked;
  const std::uint32_t nak_psn = p->psn;
  const WcStatus error = nak_status(*p);
  // Complete, in order, every message whose last packet the ACK covers.
  while (sq.acked != sq.sent) {
    SendWork& w = sq.at(sq.acked);
    const bool covered = seq_le(w.last_psn, p->psn);
    const bool naked = error != WcStatus::kSuccess && seq_le(w.first_psn, p->psn);
    if (!covered && !naked) break;
    if (static_cast<WrOpcode>(w.hdr.opcode) == WrOpcode::kRdmaRead && !naked) break;
    const bool failed = naked && !seq_le(w.last_psn, p->psn - 1);
    // The first message to complete after resends (req.retries) is one the transport recovered.
    if (!failed && req.retries > 0 && sq.acked == acked_before)
      ++core_.counters.transport_recoveries;
    completions_.complete_send(qp, w, failed ? error : WcStatus::kSuccess, at);
    if (failed) break;
  }
  if (sq.acked != acked_before) {  // progress: the budgets are per message, the timer restarts
    req.rnr_retries = req.retries = 0;
    req.last_progress = at;
  }
  qp.trace_sq_depth();
  core_.packets.put(p);
  if (error != WcStatus::kSuccess) {
    lifecycle_.error(qp, at);
    qp.req.resume_psn = nak_psn;  // the responder still expects the request it refused
  }
}

void RcRequester::handle_read_response(QpContext& qp, Packet* p, Picos at) {
  SendQueue& sq = qp.sq;
  // A response acknowledges every earlier message implicitly.
  while (sq.acked != sq.sent) {
    SendWork& w = sq.at(sq.acked);
    if (!seq_le(w.last_psn, p->psn - 1) ||
        static_cast<WrOpcode>(w.hdr.opcode) == WrOpcode::kRdmaRead)
      break;
    completions_.complete_send(qp, w, WcStatus::kSuccess, at);
  }
  if (sq.acked == sq.sent) {
    core_.packets.put(p);
    return;
  }
  SendWork& w = sq.at(sq.acked);
  if (static_cast<WrOpcode>(w.hdr.opcode) != WrOpcode::kRdmaRead || !seq_le(w.first_psn, p->psn) ||
      !seq_le(p->psn, w.last_psn)) {
    core_.packets.put(p);  // stray (e.g. after a resend); the transport ignores it
    return;
  }
  // Progress: a READ's responses restart the transport timer (behind earlier READs of a long
  // queue its last response may be far more than ack_timeout after its request).
  if (qp.req.retries > 0) ++core_.counters.transport_recoveries;  // progress after resends
  qp.req.retries = 0;
  qp.req.last_progress = at;
  // Scatter into the local SGEs at this response's offset.
  walk_sges(w.sge, w.hdr.num_sge, (p->psn - w.first_psn) * core_.mtu, p->payload_len,
            [&](const Sge&, std::uint64_t addr, std::uint32_t done, std::uint32_t take) {
              place_payload(core_, *p, addr, done, take, at);
              return true;
            });
  ++core_.counters.messages_rx;
  if (p->psn == w.last_psn) completions_.complete_send(qp, w, WcStatus::kSuccess, at);
  qp.trace_sq_depth();
  core_.packets.put(p);
}

// ---- retransmission ---------------------------------------------------------------------------

void RcRequester::rewind(QpContext& qp, std::uint32_t psn) {
  SendQueue& sq = qp.sq;
  RequesterState& req = qp.req;
  for (std::uint32_t i = sq.acked; i != sq.fetched; ++i) {
    SendWork& w = sq.at(i);
    const bool started = i != sq.sent || req.tx_offset != 0;
    if (!started) break;
    if (seq_le(w.first_psn, psn) && (i == sq.sent || seq_le(psn, w.last_psn))) {
      sq.sent = i;
      req.tx_offset = (psn - w.first_psn) * core_.mtu;
      req.next_psn = psn;
      return;
    }
  }
}

void RcRequester::arm_ack_timer(QpContext& qp, Picos from) {
  qp.req.ack_timer_armed = true;
  const Picos timeout = static_cast<Picos>(core_.params.ack_timeout_us * 1e6 + 0.5);
  core_.actions.at<&RcRequester::on_ack_timeout>(core_.edge(from + timeout), this, qp.ref());
}

void RcRequester::on_ack_timeout(QpRef ref) {
  QpContext* live = core_.qps.live(ref);
  if (!live) return;
  QpContext& qp = *live;
  SendQueue& sq = qp.sq;
  RequesterState& req = qp.req;
  req.ack_timer_armed = false;
  const bool partly_sent = req.tx_offset != 0;  // a message partly sent is outstanding too
  if (!qp.sending() || (sq.acked == sq.sent && !partly_sent)) return;
  const Picos timeout = static_cast<Picos>(core_.params.ack_timeout_us * 1e6 + 0.5);
  // The timeout runs from the later of the last request on the wire and the last progress (an
  // ACK that completed a message, a READ response).
  const Picos since = std::max(req.last_tx, req.last_progress);
  if (now_ps() < since + timeout) {
    arm_ack_timer(qp, since);
    return;
  }
  if (req.waiting_rnr) {  // the RNR wait is not a timeout: keep watching
    arm_ack_timer(qp, now_ps());
    return;
  }
  ++core_.counters.timeouts;
  if (req.retries >= core_.params.retry_count) {  // 7 is seven retries, not forever
    completions_.complete_send(qp, sq.at(sq.acked), WcStatus::kRetryExceeded, core_.edge(now_ps()));
    lifecycle_.error(qp, core_.edge(now_ps()));
    return;
  }
  ++req.retries;
  rewind(qp, sq.at(sq.acked).first_psn);  // go back to the oldest unacknowledged message
  arm_ack_timer(qp, now_ps());
  on_resend(qp.ref());
}

void RcRequester::on_resend(QpRef ref) {
  QpContext* live = core_.qps.live(ref);
  if (!live) return;
  QpContext& qp = *live;
  qp.req.waiting_rnr = false;
  if (!qp.sending() || qp.sq.sent == qp.sq.fetched) return;
  scheduler_.enqueue(qp);
  scheduler_.pump();
}

}  // namespace hcasim
