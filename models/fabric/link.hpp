#pragma once
// A full-duplex fabric link between two ports. Each direction serializes packets one after the
// other (explicit occupancy), then the packet travels the cable. Senders call transmit(); the
// far end's PacketSink gets the packet with its arrival time, so a packet costs no events here.
// Link-level flow control: each side's transmitter is a FabricPort (fabric_port.hpp) that the
// link knows, so a receiver that frees buffer space can return the credits to the far sender.
#include <systemc>

#include <memory>

#include "models/core/occupancy.hpp"
#include "models/core/random.hpp"
#include "models/core/stats.hpp"
#include "models/core/trace_source.hpp"
#include "models/core/wire_time_memo.hpp"
#include "models/fabric/link_params.hpp"
#include "models/fabric/packet_sink.hpp"

namespace hcasim {

class FabricPort;

class Link : public sc_core::sc_module {
 public:
  // port[0] delivers to side 0, port[1] to side 1.
  sc_core::sc_port<PacketSink> to_side[2];

  Link(sc_core::sc_module_name name, const LinkParams& params, TraceSink* trace);

  // Side `from` sends `packet` (its Packet::sent_bytes set), ready at `ready` (>= now). Returns
  // when its last bit leaves.
  Picos transmit(int from, Packet* packet, Picos ready);

  // The transmitter of side `side` (FabricPort::connect registers itself here); a receiver
  // returns credits to the far side's (FabricPort::rx_freed).
  void attach_port(int side, FabricPort* port) { ports_[side] = port; }
  FabricPort* port(int side) const { return ports_[side]; }

  // Faults on this link (fault_params.hpp): corrupts packets with probability `error_rate`,
  // and loses every packet that starts on the wire in [down_from, down_until).
  void inject_faults(std::uint64_t seed, double error_rate, Picos down_from, Picos down_until);
  // Packets first corrupted or lost on this link, per direction (a damaged packet the switch
  // forwards counts once, where it was damaged).
  std::uint64_t corrupted(int from) const { return corrupted_[from]; }

  const LinkParams& params() const { return params_; }
  // Time to serialize `bytes` onto this link (params().wire_ps, remembered per size).
  Picos wire_ps(std::uint64_t bytes) const {
    return wire_times_.get(bytes, [this](std::uint64_t b) { return params_.wire_ps(b); });
  }
  const BusyResource& direction(int from) const { return wire_[from]; }
  std::uint64_t packets(int from) const { return packets_[from]; }
  std::uint64_t wire_bytes(int from) const { return bytes_[from]; }

 private:
  LinkParams params_;
  WireTimeMemo wire_times_;
  Picos propagation_ps_;
  FabricPort* ports_[2] = {nullptr, nullptr};
  BusyResource wire_[2];
  std::uint64_t packets_[2] = {0, 0};
  std::uint64_t bytes_[2] = {0, 0};
  std::uint64_t corrupted_[2] = {0, 0};
  TracedInt busy_[2];
  bool faults_ = false;
  double error_rate_ = 0;
  Picos down_from_ = 0, down_until_ = 0;
  std::unique_ptr<RandomStream> errors_;
  StatGroup stats_{name()};
};

// Inline: every hop of every packet calls it, from the port's commit.
inline Picos Link::transmit(int from, Packet* packet, Picos ready) {
  const Picos wire = wire_ps(packet->sent_bytes);
  const Picos start = wire_[from].reserve(ready, wire);
  const Picos done = start + wire;
  ++packets_[from];
  bytes_[from] += packet->sent_bytes;
  // Busy is traced as future-stamped changes; the trace sink puts them in time order.
  busy_[from].set_at(start, 1);
  busy_[from].set_at(done, 0);
  if (faults_ && ((start >= down_from_ && start < down_until_) ||
                  (error_rate_ > 0 && errors_->uniform01() < error_rate_))) {
    if (!packet->corrupted) ++corrupted_[from];  // counted where it was first damaged
    packet->corrupted = true;
  }
  to_side[1 - from]->deliver(packet, done + propagation_ps_);
  return done;
}

}  // namespace hcasim
