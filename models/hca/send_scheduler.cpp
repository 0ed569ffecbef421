#include "models/hca/send_scheduler.hpp"

#include <algorithm>

#include "models/hca/transport.hpp"

namespace hcasim {

void SendScheduler::attach_window_trace(const std::string& adapter) {
  in_flight_trace_.attach(core_.trace, adapter + ".tx.packets_in_flight", 16);
}

void SendScheduler::attach_packetizer_trace(const std::string& adapter) {
  packetizer_.attach<PacketOp>(core_.trace, adapter + ".packetizer");
}

void SendScheduler::enqueue(QpContext& qp) {
  if (qp.sched.in_tx_ring) return;
  qp.sched.in_tx_ring = true;
  ring_.push_back(qp.qpn);
}

void SendScheduler::pump() {
  while (in_flight_ < core_.params.tx_window && !ring_.empty()) {
    if (next_ >= ring_.size()) next_ = 0;
    QpContext& qp = core_.qps[ring_[next_]];
    Packet* p = nullptr;
    Picos ready = 0;
    const bool more = qp.transport->next_packet(qp, p, ready);
    // Weighted round-robin: a queue pair sends up to `weight` packets before the next one.
    if (!more) {
      qp.sched.in_tx_ring = false;
      qp.sched.burst = 0;
      ring_.erase(ring_.begin() + static_cast<std::ptrdiff_t>(next_));
    } else if (++qp.sched.burst >= qp.sched.weight) {
      qp.sched.burst = 0;
      ++next_;
    }
    if (p) {
      // One queue pair's packets leave in PSN order even when a later one is ready sooner (an
      // inline packet behind a DMA-gathered one); same-time actions run in schedule order.
      ready = std::max(ready, qp.sched.last_ready);
      qp.sched.last_ready = ready;
      ++in_flight_;
      core_.actions.at<&SendScheduler::on_packet_ready>(ready, this, p);
    }
  }
  // Traced once the window is full or the queues empty: a packet that leaves and the one that
  // takes its place are no change at that time.
  in_flight_trace_.set(in_flight_);
}

void SendScheduler::on_packet_ready(Packet* p) {
  const PacketKind kind = p->kind;
  const std::uint32_t src_qpn = p->src_qpn;
  send_now(p, core_.edge(now_ps()), core_.cycles(core_.params.packet_cycles));
  if (QpContext* qp = core_.qps.find(src_qpn)) qp->transport->after_send(*qp, kind);
  --in_flight_;
  pump();  // traces the window
}

void SendScheduler::send_now(Packet* p, Picos at, Picos cost) {
  const Picos built = packetizer_.reserve(at, cost, packet_op(p->kind)) + cost;
  transmit(p, built);
}

// A packet's tag for the fabric port: its QP and kind, which on_wire needs once the packet
// itself belongs to the link. design decision: QP numbers have 24 bits, as in InfiniBand
// (Hca::create_qp refuses more).
constexpr std::uint32_t kTagQpnBits = 24;

void SendScheduler::transmit(Packet* p, Picos ready) {
  ++core_.counters.packets_tx;
  const std::uint32_t tag = (static_cast<std::uint32_t>(p->kind) << kTagQpnBits) | p->src_qpn;
  // Cut-through: the first bit also waits until the wire cannot overtake the payload's DMA
  // stream (models/hca/cut_through.hpp).
  port_.send(p, std::max<Picos>(ready, p->wire_floor_ps), tag);
}

void SendScheduler::on_wire(void* self, std::uint32_t tag, unsigned, std::uint32_t, Picos done) {
  auto& scheduler = *static_cast<SendScheduler*>(self);
  const std::uint32_t qpn = tag & ((1u << kTagQpnBits) - 1);
  if (QpContext* qp = scheduler.core_.qps.find(qpn))
    qp->transport->on_wire(*qp, static_cast<PacketKind>(tag >> kTagQpnBits), done);
}

}  // namespace hcasim
