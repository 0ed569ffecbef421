#include "models/hca/hca.hpp"

#include <algorithm>
#include <string>

namespace hcasim {

Hca::Hca(sc_core::sc_module_name name, const HcaParams& params, std::uint16_t port_address,
         std::uint32_t mtu, unsigned vls, PacketPool& packets, TraceSink* trace)
    : sc_module(name),
      dma_socket("dma_socket"),
      mmio_socket("mmio_socket"),
      core_(this->name(), params, port_address, mtu, packets, trace, dma_socket),
      stats_(this->name()),
      fabric_port_("port", vls, trace),
      completions_(core_),
      lifecycle_(core_, completions_),
      scheduler_(core_, fabric_port_),
      send_ring_(core_, scheduler_),
      send_fetcher_(core_, send_ring_),
      recv_ring_(core_),
      recv_fetcher_(core_, recv_ring_),
      requester_(core_, scheduler_, completions_, lifecycle_),
      responder_(core_, scheduler_, completions_, lifecycle_, recv_fetcher_),
      rc_(requester_, responder_),
      ud_(core_, scheduler_, completions_, lifecycle_, recv_fetcher_),
      doorbells_(core_, DoorbellUnit::Stages{send_ring_, send_fetcher_, recv_fetcher_, scheduler_,
                                             completions_, lifecycle_}) {
  mmio_socket.register_b_transport(this, &Hca::b_mmio);
  core_.fabric = &fabric_port_;
  stats_.declare(core_.counters);
  // Trace signals in a fixed order (the VCD names them by declaration order).
  const std::string base = this->name();
  scheduler_.attach_window_trace(base);
  doorbells_.attach_trace(base);
  send_ring_.attach_trace(base);
  scheduler_.attach_packetizer_trace(base);
  rx_engine_.attach<PacketOp>(trace, base + ".rx");
  completions_.attach_trace(base);
}

// ---- control path ----------------------------------------------------------------------------

std::uint32_t Hca::create_cq(std::uint64_t ring_addr, std::uint32_t entries,
                             std::uint64_t dbrec_addr) {
  return completions_.create_cq(ring_addr, entries, dbrec_addr);
}

void Hca::modify_cq_moderation(std::uint32_t cqn, std::uint32_t count, Picos period) {
  completions_.set_moderation(cqn, count, period);
}

void Hca::set_cq_vector(std::uint32_t cqn, std::uint32_t vector) {
  completions_.set_vector(cqn, vector);
}

Hca::CqResize Hca::resize_cq(std::uint32_t cqn, std::uint64_t new_ring, std::uint32_t new_entries,
                             std::uint64_t new_dbrec) {
  return completions_.resize_cq(cqn, new_ring, new_entries, new_dbrec);
}

VerbStatus Hca::create_eq(std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec,
                          std::uint32_t vector) {
  return completions_.create_eq(ring, entries, dbrec, vector);
}

std::uint32_t Hca::create_qp(std::uint32_t send_cqn, std::uint32_t recv_cqn, std::uint64_t sq_addr,
                             std::uint32_t sq_entries, std::uint64_t rq_addr,
                             std::uint32_t rq_entries, QpState initial, QpType type) {
  if (core_.qps.size() >= (1u << 24))  // InfiniBand's QP numbers have 24 bits
    SC_REPORT_ERROR(name(), "more than 2^24 queue pairs on one adapter");
  QpContext& qp = core_.qps.add();
  qp.state = initial;
  qp.type = type;
  qp.transport = type == QpType::kUd ? static_cast<Transport*>(&ud_) : &rc_;
  if (type == QpType::kUd) ++ud_qps_;
  qp.send_cqn = send_cqn;
  qp.recv_cqn = recv_cqn;
  qp.sq.addr = sq_addr;
  qp.sq.allocate(sq_entries, core_.params.sq_stride - sizeof(SendWqeHeader));
  qp.sq.fetch_buf.resize(send_fetcher_.batch_bytes());
  qp.rq.addr = rq_addr;
  qp.rq.entries = rq_entries;
  qp.rq.work.resize(rq_entries);
  qp.rq.fetch_buf.resize(recv_fetcher_.batch_bytes());
  const std::string base = std::string(name()) + ".qp" + std::to_string(qp.qpn);
  qp.trace.sq_depth.attach(core_.trace, base + "_sq_depth", 16);
  qp.trace.rq_depth.attach(core_.trace, base + "_rq_depth", 16);
  return qp.qpn;
}

void Hca::set_qp_weight(std::uint32_t qpn, std::uint32_t weight) {
  core_.qps.at(qpn).sched.weight = std::max<std::uint32_t>(weight, 1);
}

void Hca::connect(std::uint32_t qpn, std::uint16_t remote_port, std::uint32_t remote_qpn,
                  std::uint32_t sq_psn, std::uint32_t rq_psn) {
  QpContext& qp = core_.qps.at(qpn);
  qp.peer_port = remote_port;
  qp.peer_qpn = remote_qpn;
  qp.req.next_psn = sq_psn;
  qp.resp.expected_psn = rq_psn;
}

VerbStatus Hca::modify_qp(std::uint32_t qpn, const QpModify& m) {
  QpContext* found = core_.qps.find(qpn);
  if (!found) return VerbStatus::kNoSuchObject;
  QpContext& qp = *found;
  if (!qp_transition_allowed(qp.state, m.state)) return VerbStatus::kInvalidTransition;
  const QpState from = qp.state;
  switch (m.state) {
    case QpState::kReset:
      lifecycle_.reset(qp);
      qp.state = QpState::kReset;
      break;
    case QpState::kError:
      lifecycle_.error(qp, core_.edge(now_ps()), false);  // software's request: no QpFatal event
      break;
    case QpState::kRtr:
      if (from == QpState::kInit) {
        qp.peer_port = m.remote_port;
        qp.peer_qpn = m.remote_qpn;
        qp.resp.expected_psn = m.rq_psn;
      }
      qp.state = QpState::kRtr;
      break;
    case QpState::kRts:
      if (from == QpState::kRtr) qp.req.next_psn = m.sq_psn;
      qp.state = QpState::kRts;
      // Work posted while the send queue was drained (or before RTS) starts now.
      send_fetcher_.start(qp);
      scheduler_.enqueue(qp);
      scheduler_.pump();
      break;
    case QpState::kInit:
      if (from == QpState::kReset && qp.type == QpType::kUd) qp.qkey = m.qkey;
      qp.state = QpState::kInit;
      break;
    default:  // SQD, SQE and each state to itself: the state is all that changes
      qp.state = m.state;
      break;
  }
  return VerbStatus::kOk;
}

VerbStatus Hca::destroy_qp(std::uint32_t qpn) {
  QpContext* qp = core_.qps.find(qpn);
  if (!qp) return VerbStatus::kNoSuchObject;
  lifecycle_.reset(*qp);
  qp->state = QpState::kReset;
  qp->destroyed = true;  // its number answers no doorbell and no packet any more
  return VerbStatus::kOk;
}

// ---- doorbells and packets --------------------------------------------------------------------

void Hca::b_mmio(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  doorbells_.mmio(gp, delay);
}

void Hca::deliver(Packet* packet, Picos arrival) {
  core_.actions.at<&Hca::on_packet_arrived>(arrival, this, packet);
}

void Hca::on_packet_arrived(Packet* p) {
  ++core_.counters.packets_rx;
  const Picos cost = core_.cycles(core_.params.rx_cycles);
  const Picos at = rx_engine_.reserve(core_.edge(now_ps()), cost, packet_op(p->kind)) + cost;
  // The receive buffer frees once the receive engine has taken the packet: credits go back.
  fabric_port_.rx_freed(p->vl, sent_credit_blocks(*p), at);
  if (p->corrupted) {  // the ICRC check fails: dropped; the sender's transport resends it
    ++core_.counters.icrc_drops;
    core_.packets.put(p);
    return;
  }
  QpContext* qp = core_.qps.find(p->dst_qpn);
  if (!qp || !qp->receiving()) {  // RESET and INIT drop packets silently, as ERR does
    core_.packets.put(p);
    return;
  }
  qp->transport->receive(*qp, p, at);
}

}  // namespace hcasim
