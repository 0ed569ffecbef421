#pragma once
// Send scheduler and packetizer: picks which QP sends next (weighted round-robin over the QPs
// with packets to send, within a window of packets in flight through the packetizer), asks
// the QP's transport for the packet, and hands built packets to the fabric port.
#include <cstdint>
#include <string>
#include <vector>

#include "models/core/occupancy.hpp"
#include "models/fabric/fabric_port.hpp"
#include "models/hca/adapter_core.hpp"
#include "models/hca/stage_ops.hpp"

namespace hcasim {

class SendScheduler {
 public:
  SendScheduler(AdapterCore& core, FabricPort& port) : core_(core), port_(port) {
    port_.on_sent(&SendScheduler::on_wire, this);
  }
  void attach_window_trace(const std::string& adapter);
  void attach_packetizer_trace(const std::string& adapter);

  // The QP has packets to send: it joins the round-robin (once).
  void enqueue(QpContext& qp);
  // Releases packets while the window has room and QPs have packets.
  void pump();
  // Builds `p` in the packetizer (`cost`, from `at` on) and sends it (ACKs and NAKs, which the
  // responder builds without the window).
  void send_now(Packet* p, Picos at, Picos cost);

 private:
  void on_packet_ready(Packet* p);
  void transmit(Packet* p, Picos ready);
  // The fabric port committed a packet to the wire (FabricPort::SentHook): tells its QP's
  // transport, which the packet's tag names.
  static void on_wire(void* self, std::uint32_t tag, unsigned vl, std::uint32_t blocks, Picos done);

  AdapterCore& core_;
  FabricPort& port_;
  std::vector<std::uint32_t> ring_;  // QPs with packets to send, served round-robin
  std::size_t next_ = 0;
  std::uint32_t in_flight_ = 0;
  TracedInt in_flight_trace_;
  TracedResource packetizer_;
};

}  // namespace hcasim
