// Cut-through switch with per-VL input buffers and credit-based flow control (see switch.hpp).
#include "models/fabric/switch.hpp"

#include <algorithm>
#include <string>

namespace hcasim {

namespace {
// Reported out of line: formatting the messages in on_head would give that hot path a large
// stack frame to set up on every call.
[[gnu::cold, gnu::noinline]] void fail_vl(const Switch& sw, unsigned vl) {
  SC_REPORT_ERROR(sw.name(), ("packet on VL " + std::to_string(vl) + " but the switch has " +
                              std::to_string(sw.vls()) + " data VLs")
                                 .c_str());
}

[[gnu::cold, gnu::noinline]] void fail_route(const Switch& sw, unsigned lid) {
  SC_REPORT_ERROR(sw.name(), ("no route to LID " + std::to_string(lid)).c_str());
}
}  // namespace

Switch::Switch(sc_core::sc_module_name name, const SwitchParams& params, unsigned vls,
               TraceSink* trace)
    : sc_module(name),
      params_(params),
      vls_(vls),
      hop_ps_(params.hop_ps()),
      trace_(trace),
      route_(65536, kNoRoute) {
  if (params.ports < 2 || params.ports >= kNoRoute)
    SC_REPORT_ERROR(this->name(), "a switch has 2 to 254 ports");
  for (unsigned i = 0; i < params.ports; ++i) {
    auto in = std::make_unique<Input>();
    in->sw = this;
    in->index = i;
    in->occupancy.assign(vls, 0);
    in->max_occupancy.assign(vls, 0);
    in->frees.resize(vls);
    in->occupancy_trace.resize(vls);
    inputs_.push_back(std::move(in));
    outputs_.push_back(
        std::make_unique<FabricPort>(("port" + std::to_string(i)).c_str(), vls, trace));
    outputs_.back()->on_sent(&Switch::sent, this);
  }
  stats_.counter(forwarded_, "forwarded", "count", "packets forwarded to an output");
}

void Switch::connect(unsigned port, Link& link, int side) {
  Input& in = *inputs_.at(port);
  in.link = &link;
  link.to_side[side].bind(in);
  outputs_[port]->connect(link, side);
  for (unsigned vl = 0; vl < vls_; ++vl)
    stats_.formula("in" + std::to_string(port) + ".vl" + std::to_string(vl) + ".max_blocks",
                   "blocks", "most 64-byte blocks held at once in this input's buffer of the VL",
                   [&in, vl](const StatContext&) { return double(in.max_occupancy[vl]); });
}

void Switch::set_route(std::uint16_t lid, unsigned port) {
  if (port >= inputs_.size()) SC_REPORT_ERROR(name(), "route to a port the switch does not have");
  route_[lid] = static_cast<std::uint8_t>(port);
}

void Switch::end_of_elaboration() {
  // Wide enough for the whole buffer (switch.buffer_bytes allows 16 MiB: 2^18 blocks).
  unsigned width = 16;
  while ((std::uint64_t{1} << width) <= params_.buffer_blocks()) ++width;
  for (auto& in : inputs_) {
    if (!in->link) continue;
    const std::string base = std::string(name()) + ".in" + std::to_string(in->index);
    for (unsigned vl = 0; vl < vls_; ++vl)
      in->occupancy_trace[vl].attach(trace_, base + "_vl" + std::to_string(vl) + "_occupancy",
                                     width);
  }
}

void Switch::Input::deliver(Packet* packet, Picos arrival) {
  // Arrivals on one link come in order with increasing first-bit times, so the head actions of
  // this input run in the order of delivery.
  packet->hop_input = index;
  packet->hop_last_bit = arrival;
  packet->hop_order = sw->order_++;
  const Picos first_bit = arrival - link->wire_ps(packet->sent_bytes);
  sw->actions_.at<&Switch::on_head>(first_bit, sw, packet);
}

[[gnu::always_inline]] inline void Switch::settle_frees(Input& in, unsigned vl,
                                                        std::uint64_t order) {
  if (in.frees[vl].empty()) return;
  in.occupancy[vl] -= in.frees[vl].take_due(now_ps(), order);
}

void Switch::on_head(Packet* p) {
  const std::uint32_t input = p->hop_input;
  Input& in = *inputs_[input];
  const unsigned vl = p->vl;
  if (vl >= vls_) fail_vl(*this, vl);
  const std::uint32_t blocks = sent_credit_blocks(*p);
  settle_frees(in, vl, p->hop_order);
  std::uint32_t& occ = in.occupancy[vl];
  occ += blocks;
  if (occ > params_.buffer_blocks())
    SC_REPORT_ERROR(name(), "input buffer overrun: the sender ignored its credits");
  in.max_occupancy[vl] = std::max(in.max_occupancy[vl], occ);
  in.occupancy_trace[vl].add_at(now_ps(), blocks);
  const unsigned out = route_[p->dst_port];
  if (out == kNoRoute) {
    fail_route(*this, p->dst_port);
    return;
  }
  FabricPort& port = *outputs_[out];
  // Cut-through: hop latency after the first bit, but not finishing before the last bit.
  const Picos wire_out = port.link()->wire_ps(p->sent_bytes);
  Picos ready = now_ps() + hop_ps_;
  if (p->hop_last_bit > wire_out) ready = std::max(ready, p->hop_last_bit - wire_out);
  ++forwarded_;
  port.forward(p, ready, input);
}

void Switch::sent(void* self, std::uint32_t input, unsigned vl, std::uint32_t blocks, Picos done) {
  // The packet's last bit leaves at `done`: only then is its input buffer free. All three
  // follow from that time without an action then: the credits go back upstream dated `done`,
  // the space is taken out of the occupancy when the input is next looked at, and the trace
  // counts it out at `done`.
  auto* sw = static_cast<Switch*>(self);
  Input& in = *sw->inputs_[input];
  in.frees[vl].add(done, sw->order_++, blocks);
  sw->outputs_[input]->rx_freed(vl, blocks, done);
  in.occupancy_trace[vl].add_at(done, -static_cast<std::int64_t>(blocks));
}

}  // namespace hcasim
