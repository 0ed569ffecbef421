#pragma once
// Cut-through inside the adapter (docs/model.md, "Cut-through"): a packet's payload streams
// between PCIe and the wire in TLP-sized chunks instead of being gathered or received whole.
// Each packet's timing is computed in one step from the DMA's chunk times (no event per chunk):
// - sending, PayloadGather: the packet's first bit goes on the wire no earlier than every
//   chunk allows (each chunk's first byte leaves the packetizer's latency after the chunk
//   arrived), so the wire never runs ahead of the DMA stream; the packetizer takes the packet
//   just in time for that (once its first chunk has arrived);
// - receiving, place_payload: each DMA write TLP goes as soon as its bytes have come in,
//   while the adapter still acts on the packet (ACK, completion) only once it has it whole.
// With hca.cut_through = false both are store-and-forward.
#include <cstdint>

#include "models/core/sim_time.hpp"
#include "models/fabric/packet.hpp"
#include "models/hca/adapter_core.hpp"

namespace hcasim {

// The DMA reads that gather one outgoing packet's payload, and when the packet may go.
class PayloadGather {
 public:
  // Gathers `p`'s payload by reads that start no earlier than `start`.
  PayloadGather(AdapterCore& core, Packet& p, Picos start);
  // Reads `len` bytes at host address `addr` into the payload at `offset`.
  void read(std::uint64_t addr, std::uint32_t offset, std::uint32_t len);
  // When the packetizer may take the packet; sets its wire floor (Packet::wire_floor_ps).
  Picos finish();

 private:
  AdapterCore& core_;
  Packet& packet_;
  Picos start_;
  Picos ready_;      // store-and-forward: the last read's completion
  Picos first_ = 0;  // the first chunk of the payload's first bytes
  Picos floor_ = 0;  // earliest first bit on the wire the chunks allow
  bool have_first_ = false;
};

// DMA-writes payload bytes [offset, offset + len) of `p` to host address `addr`, the receive
// engine having taken the whole packet at `at`. Returns when the write lands. A packet held
// back for a receive WQE is written from `at` on: its bytes have long been in.
Picos place_payload(AdapterCore& core, const Packet& p, std::uint64_t addr, std::uint32_t offset,
                    std::uint32_t len, Picos at);

}  // namespace hcasim
