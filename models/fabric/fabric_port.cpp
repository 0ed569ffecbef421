// Credit-based link-level flow control of one port (see fabric_port.hpp).
#include "models/fabric/fabric_port.hpp"

#include <algorithm>
#include <string>

namespace hcasim {

namespace {
// The errors are reported out of line: their message formatting would otherwise make the hot
// paths that check for them (send, absorb) set up a large stack frame on every call.
[[gnu::cold, gnu::noinline]] void fail_vl(const FabricPort& port, unsigned vl) {
  SC_REPORT_ERROR(port.name(), ("packet on VL " + std::to_string(vl) + " but the port has " +
                                std::to_string(port.vls()) + " data VLs")
                                   .c_str());
}

[[gnu::cold, gnu::noinline]] void fail_too_big(const FabricPort& port, const Packet& packet) {
  SC_REPORT_ERROR(port.name(), ("a packet of " + std::to_string(packet.sent_bytes) +
                                " bytes needs more credits than the receiver's buffer on VL " +
                                std::to_string(packet.vl) + " holds (" +
                                std::to_string(port.capacity(packet.vl)) +
                                " blocks of 64 B; set_credits not called?)")
                                   .c_str());
}

[[gnu::cold, gnu::noinline]] void fail_overflow(const FabricPort& port, unsigned vl) {
  SC_REPORT_ERROR(port.name(), ("VL " + std::to_string(vl) +
                                " got back more credits than the receiver's buffer holds")
                                   .c_str());
}
}  // namespace

void FabricPort::Fifo::push(const Waiting& w) {
  if (size_ == ring_.size()) {
    std::vector<Waiting> bigger(ring_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(bigger);
    head_ = 0;
  }
  ring_[(head_ + size_) & (ring_.size() - 1)] = w;
  ++size_;
}

FabricPort::FabricPort(sc_core::sc_module_name name, unsigned vls, TraceSink* trace)
    : sc_module(name), trace_(trace), vl_(vls) {
  if (vls == 0) SC_REPORT_ERROR(this->name(), "a fabric port needs at least one virtual lane");
  Calendar::instance().on_idle(
      [](void* self, std::uint64_t) { static_cast<FabricPort*>(self)->settle(); }, this);
}

void FabricPort::settle() {
  // Nothing else is happening: take in the credits still on their way, at their arrival time.
  for (unsigned vl = 0; vl < vl_.size(); ++vl) {
    Vl& v = vl_[vl];
    if (v.wake_at != kNoWake || v.returns.empty()) continue;
    wake(vl, v.returns.latest());
  }
}

void FabricPort::connect(Link& link, int side) {
  link_ = &link;
  side_ = side;
  credit_return_ps_ =
      link.params().wire_ps(kFlowControlPacketBytes) + link.params().propagation_ps();
  link.attach_port(side, this);
  stats_.declare(counters_);
}

void FabricPort::set_credits(unsigned vl, std::uint32_t blocks) {
  Vl& v = vl_.at(vl);
  v.capacity = blocks;
  v.credits = blocks;
  drain(vl);
  v.credits_trace.set(v.credits);  // silent until the trace is attached (end of elaboration)
}

void FabricPort::end_of_elaboration() {
  // Declared here, after set_credits, so that elaboration emits no value changes.
  if (!link_) return;  // an unused switch port
  const std::string base = name();
  for (std::size_t i = 0; i < vl_.size(); ++i) {
    const std::string vl = base + "_vl" + std::to_string(i);
    vl_[i].credits_trace.attach(trace_, vl + "_credits", 16);
    vl_[i].queue_trace.attach(trace_, vl + "_queue", 16);
  }
}

// Inlined into forward (every packet) and drain: the calls cost about as much as their work.
[[gnu::always_inline]] inline void FabricPort::absorb(unsigned vl, Picos now) {
  Vl& v = vl_[vl];
  if (!v.returns.due(now)) return;
  v.credits += v.returns.take_due(now, counters_.credit_returns);
  if (v.credits > v.capacity) fail_overflow(*this, vl);
}

[[gnu::always_inline]] inline void FabricPort::commit(Vl& v, unsigned vl, const Waiting& w) {
  v.credits -= w.blocks;
  ++counters_.packets;
  counters_.blocks += w.blocks;
  const Picos done = link_->transmit(side_, w.packet, w.ready);
  if (hook_) hook_(hook_owner_, w.tag, vl, w.blocks, done);
}

void FabricPort::forward(Packet* packet, Picos ready, std::uint32_t tag) {
  const unsigned vl = packet->vl;
  if (!link_) SC_REPORT_ERROR(name(), "send() on a port that is not connected to a link");
  if (vl >= vl_.size()) fail_vl(*this, vl);
  Vl& v = vl_[vl];
  const Picos now = now_ps();
  absorb(vl, now);
  const Waiting w{packet, std::max(ready, now), tag, sent_credit_blocks(*packet)};
  if (w.blocks > v.capacity) fail_too_big(*this, *packet);
  if (v.fifo.empty() && v.credits >= w.blocks) {
    commit(v, vl, w);
    // Traced once the action is done: credits handed back and taken again at one time are
    // no change, and tracing both cost the trace's thread two notes per packet.
    v.credits_trace.set(v.credits);
    return;
  }
  v.credits_trace.set(v.credits);
  if (v.fifo.empty()) v.head_since = now;
  if (waiting_++ == 0) blocked_since_ = now;
  counters_.max_queue = std::max(counters_.max_queue, waiting_);
  ++counters_.waited_packets;
  v.fifo.push(w);
  v.queue_trace.set(v.fifo.size());
  schedule_wake(vl);
}

void FabricPort::return_credits(unsigned vl, std::uint32_t blocks, Picos at) {
  const Picos arrive = std::max(at, now_ps()) + credit_return_ps();
  if (vl >= vl_.size()) fail_vl(*this, vl);
  Vl& v = vl_[vl];
  const bool earliest = v.returns.add(arrive, blocks);
  if (v.fifo.empty()) return;
  // A return dated ahead (a switch hands back the credits of a packet when it commits it, dated
  // when its last bit leaves) can arrive before the one a pending wake-up is for: a packet
  // waiting for credits must not wait for the later one.
  if (earliest && v.wake_at != kNoWake && arrive < v.wake_at)
    wake(vl, arrive);
  else
    schedule_wake(vl);
}

void FabricPort::schedule_wake(unsigned vl) {
  Vl& v = vl_[vl];
  if (v.wake_at != kNoWake || v.returns.empty()) return;
  wake(vl, v.returns.earliest());
}

void FabricPort::wake(unsigned vl, Picos at) {
  vl_[vl].wake_at = at;
  actions_.at<&FabricPort::on_credits>(at, this, vl);
}

void FabricPort::on_credits(std::uint64_t arg) {
  const auto vl = static_cast<unsigned>(arg);
  const Picos now = now_ps();
  // A wake-up that an earlier one replaced (return_credits) finds none pending, or a later one.
  if (vl_[vl].wake_at == kNoWake || now < vl_[vl].wake_at) return;
  vl_[vl].wake_at = kNoWake;
  absorb(vl, now);
  drain(vl);
  vl_[vl].credits_trace.set(vl_[vl].credits);
  if (!vl_[vl].fifo.empty()) schedule_wake(vl);
}

void FabricPort::drain(unsigned vl) {
  Vl& v = vl_[vl];
  if (v.fifo.empty()) return;
  const Picos now = now_ps();
  while (!v.fifo.empty() && v.credits >= v.fifo.front().blocks) {
    Waiting w = v.fifo.front();
    v.fifo.pop();
    // It could have started once ready, at the head and with the wire free; from then until
    // now it waited for credits alone.
    const Picos could_start =
        std::max({w.ready, v.head_since, link_->direction(side_).busy_until()});
    if (now > could_start) counters_.credit_wait_ps += now - could_start;
    w.ready = std::max(w.ready, now);
    v.head_since = now;
    if (--waiting_ == 0) counters_.blocked_ps += now - blocked_since_;
    commit(v, vl, w);
  }
  v.queue_trace.set(v.fifo.size());
}

}  // namespace hcasim
