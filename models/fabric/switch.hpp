#pragma once
// A fabric switch: N ports, each an input (a PacketSink the link delivers to) with a buffer per
// virtual lane, and an output (a FabricPort with credits for the far receiver). Packets are
// forwarded by a routing table (destination LID -> output port) that the topology fills.
//
// Timing (cut-through): the head of a packet is looked at when its first bit arrives; it may
// start leaving hop latency later, but never so early that it would finish before its last bit
// has arrived (that matters only when the output is faster than the input). If the output is
// busy or out of credits, the packet waits in the input buffer and leaves when the output frees
// (store-and-forward fallback; the wait replaces, does not add to, the hop latency).
// The input buffer holds a packet from its first bit's arrival until its last bit has left
// through the output; then its credits go back upstream. So a congested output fills the input
// buffers and throttles the senders: nothing is ever dropped.
// Events: one action per packet, when its head arrives; none per cycle. The action carries the
// packet, which carries what the switch noted at delivery (Packet::hop_*). When the packet is
// committed to the output's wire, the time its last bit leaves is known: its credits go back
// upstream dated then, its buffer space counts as free from then on (dated_frees.hpp), and
// the traced occupancy falls then (a TracedCount), so nothing needs to run at that time.
#include <systemc>

#include <memory>
#include <vector>

#include "models/core/action_queue.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/stats.hpp"
#include "models/core/trace_source.hpp"
#include "models/fabric/dated_frees.hpp"
#include "models/fabric/fabric_port.hpp"
#include "models/fabric/link.hpp"
#include "models/fabric/packet_sink.hpp"
#include "models/fabric/switch_params.hpp"

namespace hcasim {

class Switch : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Switch);
  Switch(sc_core::sc_module_name name, const SwitchParams& params, unsigned vls, TraceSink* trace);

  // Port `port` sits on `link` side `side`: the link delivers to its input, its output
  // transmits on that side. Then give the output its credits: output(port).set_credits(...).
  void connect(unsigned port, Link& link, int side);
  // Packets for destination `lid` (Packet::dst_port) leave through `port`.
  void set_route(std::uint16_t lid, unsigned port);

  unsigned ports() const { return static_cast<unsigned>(inputs_.size()); }
  unsigned vls() const { return vls_; }
  FabricPort& output(unsigned port) { return *outputs_.at(port); }
  PacketSink& input(unsigned port) { return *inputs_.at(port); }
  // Credits each input advertises upstream per VL (its buffer in 64-byte blocks).
  std::uint32_t buffer_blocks() const { return params_.buffer_blocks(); }
  const SwitchParams& params() const { return params_; }
  // Most blocks of VL `vl` ever held in input `port`'s buffer (never above buffer_blocks()).
  std::uint32_t max_occupancy(unsigned port, unsigned vl) const {
    return inputs_.at(port)->max_occupancy[vl];
  }
  std::uint64_t forwarded() const { return forwarded_; }
  std::uint64_t actions_executed() const { return actions_.executed(); }

 private:
  struct Input : PacketSink {
    void deliver(Packet* packet, Picos arrival) override;
    Switch* sw = nullptr;
    unsigned index = 0;
    Link* link = nullptr;
    std::vector<std::uint32_t> occupancy, max_occupancy;  // per VL, in 64-byte blocks
    std::vector<DatedFrees> frees;  // per VL: packets committed to an output, leaving later
    std::vector<TracedCount> occupancy_trace;
  };

  void end_of_elaboration() override;
  void on_head(Packet* packet);
  // Takes the frees of `in`'s VL `vl` due before (now, order) out of its occupancy.
  void settle_frees(Input& in, unsigned vl, std::uint64_t order);
  static void sent(void* self, std::uint32_t input, unsigned vl, std::uint32_t blocks, Picos done);

  SwitchParams params_;
  unsigned vls_;
  Picos hop_ps_;
  TraceSink* trace_;
  std::vector<std::unique_ptr<Input>> inputs_;
  std::vector<std::unique_ptr<FabricPort>> outputs_;
  std::vector<std::uint8_t> route_;  // by LID; kNoRoute if unknown
  std::uint64_t forwarded_ = 0;
  // One sequence over heads (when their action is scheduled) and frees (when their packet is
  // committed): it orders a free and a head due at the same picosecond (dated_frees.hpp).
  std::uint64_t order_ = 0;
  ActionQueue actions_;
  StatGroup stats_{name()};  // forwarded_, and each connected input's buffer high-water marks
  static constexpr std::uint8_t kNoRoute = 0xff;
};

}  // namespace hcasim
