#include "models/hca/cut_through.hpp"

#include <algorithm>

namespace hcasim {

PayloadGather::PayloadGather(AdapterCore& core, Packet& p, Picos start)
    : core_(core), packet_(p), start_(start), ready_(start) {}

void PayloadGather::read(std::uint64_t addr, std::uint32_t offset, std::uint32_t len) {
  ReadArrival a;
  const Picos done = core_.dma.read(addr, packet_.payload.data() + offset, len, start_, a);
  ready_ = std::max(ready_, done);
  if (!core_.params.cut_through || a.chunks() == 0) return;
  if (!have_first_) {  // pieces come in payload order: this one holds its first bytes
    first_ = a.chunk_arrival(0);
    have_first_ = true;
  }
  // Chunk j's first byte is on the wire at first bit + wire(the headers before the payload +
  // the chunk's offset); it may leave the packetizer's latency after the chunk arrived. The
  // arrivals are linear in j but for a short last chunk: the first, last but one and last
  // chunk bound the first bit.
  const Picos lag = core_.cycles(core_.params.packet_cycles);
  const std::uint32_t lead = packet_.header_bytes() - HeaderBytes::kIcrc - HeaderBytes::kVcrc;
  auto bound = [&](std::uint32_t j) {
    const Picos may_leave = a.chunk_arrival(j) + lag;
    const Picos before = core_.wire_ps(lead + offset + j * a.chunk);
    floor_ = std::max(floor_, may_leave > before ? may_leave - before : 0);
  };
  const std::uint32_t n = a.chunks();
  bound(0);
  bound(n - 1);
  if (n >= 2) bound(n - 2);
}

Picos PayloadGather::finish() {
  if (!core_.params.cut_through || !have_first_) return ready_;
  const Picos floor = core_.edge(floor_);
  packet_.wire_floor_ps = floor;
  // design decision: the packetizer takes the packet just in time for that first bit (and not
  // before its first chunk is in), as a cut-through adapter starts a packet once enough of it
  // is buffered: packets that are ready sooner (another QP's, an ACK) go to the wire first
  // rather than queueing behind one that must wait for its stream.
  const Picos lag = core_.cycles(core_.params.packet_cycles);
  return std::max({start_, first_, floor > lag ? floor - lag : 0});
}

Picos place_payload(AdapterCore& core, const Packet& p, std::uint64_t addr, std::uint32_t offset,
                    std::uint32_t len, Picos at) {
  const std::uint8_t* data = p.payload.data() + offset;
  if (!core.params.cut_through || p.held) return core.dma.write(addr, data, len, at);
  // The payload came in at the link's rate and the receive engine has its last byte at `at`:
  // each earlier byte one byte time before.
  const Picos after = core.wire_ps(p.payload_len - offset - len);
  return core.dma.write(addr, data, len,
                        WriteStream{at > after ? at - after : 0, core.wire_byte_ps()});
}

}  // namespace hcasim
