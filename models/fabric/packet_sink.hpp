#pragma once
// What a link delivers packets to: a channel adapter's port or a switch's input port.
#include <systemc>

#include "models/core/sim_time.hpp"
#include "models/fabric/packet.hpp"

namespace hcasim {

class PacketSink : public virtual sc_core::sc_interface {
 public:
  // The packet's last bit arrives at `arrival` (>= now); the sink owns the packet from here and
  // acts on it no earlier than `arrival`.
  virtual void deliver(Packet* packet, Picos arrival) = 0;
};

}  // namespace hcasim
