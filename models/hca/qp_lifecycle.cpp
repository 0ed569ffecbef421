#include "models/hca/qp_lifecycle.hpp"

namespace hcasim {

void QpLifecycle::reset(QpContext& qp) {
  ++qp.epoch;
  qp.stale_doorbells = qp.doorbells_in_flight;
  qp.peer_port = 0;
  qp.peer_qpn = 0;
  qp.sq.producer = qp.sq.fetched = qp.sq.sent = qp.sq.acked = qp.sq.started = 0;
  qp.rq.producer = qp.rq.fetched = qp.rq.used = 0;
  qp.sched.burst = 0;

  RequesterState& req = qp.req;
  req.tx_offset = 0;
  req.next_psn = 0;
  req.rnr_retries = req.retries = 0;
  req.waiting_rnr = false;
  req.ack_timer_armed = false;
  req.last_tx = req.last_progress = 0;

  ResponderState& resp = qp.resp;
  resp.deferred_ack = false;
  resp.deferred_ack_psn = 0;
  resp.deferred_ack_at = 0;
  resp.unacked_msgs = 0;
  resp.ack_delay_pending = false;
  resp.ack_commit = 0;
  resp.expected_psn = 0;
  resp.rx_offset = 0;
  resp.nak_outstanding = false;
  resp.rx_remote_addr = 0;
  resp.rx_committed = 0;
  for (Packet* p : resp.parked) core_.packets.put(p);
  resp.parked.clear();
  resp.read_jobs.clear();
  resp.read_head = 0;

  qp.trace.sq_depth.set(0);
  qp.trace.rq_depth.set(0);
}

void QpLifecycle::error(QpContext& qp, Picos at, bool adapter_error) {
  if (adapter_error && qp.state != QpState::kError)
    completions_.raise_async(AsyncEventKind::kQpFatal, qp.qpn, at);
  SendQueue& sq = qp.sq;
  if (qp.state != QpState::kError)  // where firmware can resume it (Hca::qp_resume)
    qp.req.resume_psn =
        sq.acked != sq.sent || qp.req.tx_offset ? sq.at(sq.acked).first_psn : qp.req.next_psn;
  qp.state = QpState::kError;
  flush_sends(qp, at);
  RecvQueue& rq = qp.rq;
  for (; rq.used != rq.producer; ++rq.used) {
    RecvWqeHeader h{};
    core_.dma.peek(rq.addr + std::uint64_t(rq.used % rq.entries) * kRecvStride, h);
    Cqe cqe{};
    cqe.wr_id = h.wr_id;
    cqe.qpn = qp.qpn;
    cqe.is_recv = 1;
    cqe.opcode = static_cast<std::uint8_t>(WrOpcode::kRecv);
    cqe.status = static_cast<std::uint8_t>(WcStatus::kFlushed);
    completions_.write_cqe(qp.recv_cqn, cqe, at);
  }
  rq.fetched = rq.used;
  for (Packet* p : qp.resp.parked) core_.packets.put(p);
  qp.resp.parked.clear();
  qp.trace.sq_depth.set(0);
  qp.trace.rq_depth.set(0);
}

void QpLifecycle::send_queue_error(QpContext& qp, Picos at) {
  qp.state = QpState::kSqe;
  flush_sends(qp, at);
  qp.trace_sq_depth();
}

void QpLifecycle::flush_sends(QpContext& qp, Picos at) {
  SendQueue& sq = qp.sq;
  for (; sq.acked != sq.producer; ++sq.acked) {
    SendWqeHeader h{};
    if (seq_le(sq.fetched, sq.acked))  // not fetched yet: firmware reads the WQE to flush it
      core_.dma.peek(sq.addr + std::uint64_t(sq.acked % sq.entries) * core_.params.sq_stride, h);
    else
      h = sq.at(sq.acked).hdr;
    Cqe cqe{};
    cqe.wr_id = h.wr_id;
    cqe.qpn = qp.qpn;
    cqe.wqe_counter = sq.acked;
    cqe.opcode = h.opcode;
    cqe.status = static_cast<std::uint8_t>(WcStatus::kFlushed);
    completions_.write_cqe(qp.send_cqn, cqe, at);
  }
  sq.sent = sq.fetched = sq.acked;
}

}  // namespace hcasim
