#pragma once
// The link layer of one fabric port (an adapter's port or one switch port): credit-based,
// lossless link-level flow control as in InfiniBand. The transmitter holds credits for the far
// receiver's input buffer per virtual lane, counted in 64-byte blocks; a packet leaves only when
// its VL has enough credits, otherwise it waits in a FIFO for that VL (it is never dropped).
// The receiver, once it has freed the buffer a packet used, returns the credits over the link
// (rx_freed -> the far port's return_credits); they arrive one
// flow-control packet time plus one propagation delay later and release waiting packets.
//
// Documented choices (docs/model.md should repeat them):
// - A credit return is one flow-control packet (6 bytes: 4 of content + 2 of LPCRC) that does not
//   occupy the reverse wire: it is tiny and, in hardware, interleaved between data packets.
//   Credits are returned per freed packet, not coalesced or refreshed periodically.
// - Credits are taken when the packet is committed to the wire (send() or a credit arrival),
//   even if its first bit leaves later (ready in the future, or the wire busy).
// - A receiver may hand credits back ahead of time, dated when it frees the buffer (an adapter's
//   receive engine, a switch output's last bit): they count from their arrival time on, exactly
//   as if returned then. Such a return can arrive before returns made earlier; a packet waiting
//   for credits is then woken for the earlier one (return_credits).
// - VLs are served independently: a blocked VL does not hold up another one; the wire itself
//   serializes packets in the order they were committed.
#include <systemc>

#include <cstdint>
#include <vector>

#include "models/core/action_queue.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/stats.hpp"
#include "models/core/trace_source.hpp"
#include "models/fabric/credit_returns.hpp"
#include "models/fabric/link.hpp"
#include "models/fabric/packet.hpp"

namespace hcasim {

// InfiniBand flow-control credits count 64-byte blocks of a packet (LRH through VCRC).
inline constexpr std::uint32_t kCreditBlockBytes = 64;
// A flow-control packet: Op/FCTBS/VL/FCCL (4 bytes) + LPCRC (2 bytes).
inline constexpr std::uint32_t kFlowControlPacketBytes = 6;

inline std::uint32_t credit_blocks_of(std::uint32_t wire_bytes) {
  return (wire_bytes + kCreditBlockBytes - 1) / kCreditBlockBytes;
}
inline std::uint32_t credit_blocks(const Packet& p) { return credit_blocks_of(p.wire_bytes()); }
// A packet in flight: the bytes its last FabricPort::send counted (Packet::sent_bytes).
inline std::uint32_t sent_credit_blocks(const Packet& p) { return credit_blocks_of(p.sent_bytes); }

class FabricPort : public sc_core::sc_module {
 public:
  // Called when a packet is committed to the wire: its `tag` (from send), VL, credit blocks
  // and the time its last bit leaves. A switch uses it to free the input buffer.
  using SentHook = void (*)(void* owner, std::uint32_t tag, unsigned vl, std::uint32_t blocks,
                            Picos done);

  SC_HAS_PROCESS(FabricPort);
  FabricPort(sc_core::sc_module_name name, unsigned vls, TraceSink* trace);

  // Transmits on `link` side `side` (and receives what the link delivers to that side's sink).
  void connect(Link& link, int side);
  // Credits for VL `vl` = the far receiver's buffer, in 64-byte blocks (set during elaboration;
  // also the most that can ever be outstanding).
  void set_credits(unsigned vl, std::uint32_t blocks);
  void on_sent(SentHook hook, void* owner) {
    hook_ = hook;
    hook_owner_ = owner;
  }

  // Sends `packet` on its VL (packet->vl), ready at `ready` (>= now; earlier means now). Never
  // drops: without enough credits the packet waits, in order, until credits return.
  void send(Packet* packet, Picos ready, std::uint32_t tag = 0) {
    packet->sent_bytes = packet->wire_bytes();  // what every later step of its trip reads
    forward(packet, ready, tag);
  }
  // The same for a packet already on its trip (a switch's): its sent_bytes stand.
  void forward(Packet* packet, Picos ready, std::uint32_t tag);
  // Credits the far receiver freed at `at` (>= now); called by its port's rx_freed.
  void return_credits(unsigned vl, std::uint32_t blocks, Picos at);
  // This port's receiver (the sink on the same link side) freed `blocks` of VL `vl` at `at`
  // (>= now): returns them to the far transmitter, if the link has one there.
  void rx_freed(unsigned vl, std::uint32_t blocks, Picos at) {
    if (FabricPort* sender = link_->port(1 - side_)) sender->return_credits(vl, blocks, at);
  }

  unsigned vls() const { return static_cast<unsigned>(vl_.size()); }
  // Credits available now (including returns that have arrived but are not yet absorbed).
  std::uint32_t credits(unsigned vl) const {
    const Vl& v = vl_[vl];
    return v.credits + v.returns.due_blocks(now_ps());
  }
  std::uint32_t capacity(unsigned vl) const { return vl_[vl].capacity; }
  std::size_t queued(unsigned vl) const { return vl_[vl].fifo.size(); }
  Link* link() const { return link_; }
  int side() const { return side_; }
  // Delay of a credit return from the far receiver to this port.
  Picos credit_return_ps() const { return credit_return_ps_; }

  struct Counters {
    std::uint64_t packets = 0;         // committed to the wire
    std::uint64_t blocks = 0;          // credit blocks consumed
    std::uint64_t waited_packets = 0;  // packets that had to wait for credits
    // Sum over packets of the time each, ready and at the head of its VL's queue, waited for
    // credits while the wire was free: the wire time credits cost. Waiting behind earlier
    // packets or for the wire itself is not counted.
    Picos credit_wait_ps = 0;
    Picos blocked_ps = 0;              // time with at least one packet waiting for credits
    std::uint64_t max_queue = 0;       // most packets waiting at once (all VLs)
    std::uint64_t credit_returns = 0;  // flow-control packets received

    template <class V>
    void visit(V& v) const {
      v.time_ns(credit_wait_ps, "credit_wait_ns",
                "time ready packets waited for link credits with the wire free");
      v.counter(packets, "packets", "count", "packets committed to the wire");
      v.counter(blocks, "credit_blocks", "blocks", "64-byte credit blocks consumed");
      v.counter(waited_packets, "waited_packets", "count", "packets that waited for credits");
      v.time_ns(blocked_ps, "blocked_ns", "time with at least one packet waiting for credits");
      v.counter(max_queue, "max_queue", "packets", "most packets waiting at once (all VLs)");
      v.counter(credit_returns, "credit_returns", "count", "flow-control packets received");
    }
  };
  const Counters& counters() const { return counters_; }

 private:
  struct Waiting {
    Packet* packet;
    Picos ready;
    std::uint32_t tag;
    std::uint32_t blocks;
  };
  // FIFO on a ring that only grows (doubling): no allocation once it has its working size.
  class Fifo {
   public:
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    Waiting& front() { return ring_[head_]; }
    void pop() {
      head_ = (head_ + 1) & (ring_.size() - 1);
      --size_;
    }
    void push(const Waiting& w);

   private:
    std::vector<Waiting> ring_ = std::vector<Waiting>(16);
    std::size_t head_ = 0, size_ = 0;
  };
  struct Vl {
    std::uint32_t credits = 0;
    std::uint32_t capacity = 0;
    Fifo fifo;
    // Credits on their way back. They are absorbed lazily, when the port next looks at its
    // credits; an action is scheduled only when a packet is waiting for them, so an
    // unconstrained link costs no event per credit return.
    CreditReturns returns;
    Picos wake_at = kNoWake;  // when the pending wake-up (on_credits) is due; kNoWake if none
    Picos head_since = 0;     // when the packet at the FIFO's head got there
    TracedInt credits_trace, queue_trace;
  };
  static constexpr Picos kNoWake = ~Picos{0};
  void absorb(unsigned vl, Picos now);
  void settle();
  void schedule_wake(unsigned vl);
  void wake(unsigned vl, Picos at);

  void end_of_elaboration() override;
  void on_credits(std::uint64_t arg);
  void commit(Vl& v, unsigned vl, const Waiting& w);
  void drain(unsigned vl);

  TraceSink* trace_;
  Link* link_ = nullptr;
  int side_ = 0;
  Picos credit_return_ps_ = 0;  // one flow-control packet on the wire, then the cable
  std::vector<Vl> vl_;
  std::uint64_t waiting_ = 0;  // packets waiting, all VLs
  Picos blocked_since_ = 0;
  SentHook hook_ = nullptr;
  void* hook_owner_ = nullptr;
  ActionQueue actions_;
  Counters counters_;
  StatGroup stats_{name()};  // counters_, declared once the port is connected (a used port)
};

}  // namespace hcasim
