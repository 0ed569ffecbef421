#pragma once
// The transport service a QP runs: what it sends next, what it does with the packets that
// arrive for it, and its hooks on the send path. The adapter's other stages (doorbells, WQE
// fetch, send scheduling, the packetizer, completions) are the same for every service: the
// reliable connection (RcTransport) and the unreliable datagram (UdTransport).
#include <cstdint>

#include "models/core/sim_time.hpp"
#include "models/fabric/packet.hpp"
#include "models/hca/qp_context.hpp"

namespace hcasim {

class Transport {
 public:
  virtual ~Transport() = default;
  // The QP's next packet, if it has one to send now (`out`, and `ready`: when its payload is
  // gathered); returns whether the QP has more to send after it.
  virtual bool next_packet(QpContext& qp, Packet*& out, Picos& ready) = 0;
  // A packet for this QP, taken by the receive engine at `at` (the QP is receiving).
  virtual void receive(QpContext& qp, Packet* p, Picos at) = 0;
  // A packet of kind `kind` from this QP (ACKs included) went onto the wire: the fabric port had
  // the link credits for it and its last bit leaves at `done` (it may have waited for credits
  // since the packetizer handed it over).
  virtual void on_wire(QpContext& qp, PacketKind kind, Picos done) = 0;
  // A packet of kind `kind` that the scheduler released (from next_packet) has been handed to
  // the link and left the packet window.
  virtual void after_send(QpContext& qp, PacketKind kind) = 0;
  // A batch of receive WQEs has been fetched.
  virtual void receives_fetched(QpContext& qp) = 0;
};

}  // namespace hcasim
