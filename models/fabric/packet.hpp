#pragma once
// A packet on the fabric, with the InfiniBand header sizes that decide its time on the wire.
// Packets carry their payload bytes (message frames are parsed at the far end), come from a
// pool and go back to it, so the hot path does not allocate.
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/container/vector.hpp>

namespace hcasim {

enum class PacketKind : std::uint8_t {
  kSend,          // SEND first/middle/last/only (position in first/last flags)
  kRdmaWrite,     // RDMA WRITE first/middle/last/only
  kReadRequest,   // RDMA READ request (RETH, no payload)
  kReadResponse,  // RDMA READ response first/middle/last/only
  kAck,           // ACK (AETH)
  kNak,           // NAK: receiver not ready, PSN sequence error, remote access error (AETH)
};

// The AETH's NAK codes: receiver not ready, PSN sequence error, remote access error, invalid
// request (e.g. longer than the receive), remote operational error (the responder failed on
// its own side, e.g. a receive buffer it may not write).
enum class NakCode : std::uint8_t {
  kNone,
  kRnr,
  kPsnSequence,
  kRemoteAccess,
  kInvalidRequest,
  kRemoteOperational
};

// Header bytes (calibration.md): LRH 8, BTH 12, ICRC 4, VCRC 2; RETH 16; AETH 4; ImmDt 4;
// DETH 8 (a datagram's Q_Key and source QP).
struct HeaderBytes {
  static constexpr std::uint32_t kLrh = 8, kBth = 12, kIcrc = 4, kVcrc = 2;
  static constexpr std::uint32_t kBase = kLrh + kBth + kIcrc + kVcrc;  // 26
  static constexpr std::uint32_t kReth = 16, kAeth = 4, kImm = 4, kGrh = 40, kDeth = 8;
};

struct Packet {
  PacketKind kind = PacketKind::kSend;
  bool first = true;
  bool last = true;
  bool has_imm = false;
  bool global = false;     // carries a GRH (crossing subnets)
  bool solicited = false;  // BTH SE bit: the last packet of a SEND the sender marked solicited
  bool corrupted = false;  // damaged on a link: the receiver's ICRC check discards it
  bool datagram = false;   // an unreliable datagram: carries a DETH (Q_Key, source QP)
  NakCode nak = NakCode::kNone;
  std::uint8_t rnr_timer = 0;  // AETH of an RNR NAK: the 5-bit timer code (rnr_timer.hpp)
  std::uint16_t src_port = 0;  // fabric addresses (LIDs) of the two channel adapters
  std::uint16_t dst_port = 0;
  std::uint8_t vl = 0;  // virtual lane
  std::uint32_t src_qpn = 0;
  std::uint32_t dst_qpn = 0;
  std::uint32_t psn = 0;
  std::uint32_t imm = 0;
  std::uint32_t qkey = 0;         // DETH
  std::uint64_t remote_addr = 0;  // RETH
  std::uint32_t rkey = 0;         // RETH
  std::uint32_t dma_len = 0;      // RETH: length of the whole RDMA operation
  std::uint32_t payload_len = 0;
  boost::container::vector<std::uint8_t> payload;  // capacity: the largest MTU, kept across uses
  // Not on the wire: the sending adapter's earliest time for the packet's first bit, so that
  // the wire never runs ahead of its payload's DMA stream (cut-through; 0: no bound).
  std::uint64_t wire_floor_ps = 0;
  // Not on the wire: the receiving adapter held the whole packet back (waiting for a receive
  // WQE), so when it is placed its bytes are all there (no cut-through).
  bool held = false;
  // Not on the wire: wire_bytes() as of the packet's last FabricPort::send. Links, switches and
  // the receiving adapter read it on the packet's way instead of working out its headers again
  // at every step (a fabric packet is not changed in flight).
  std::uint32_t sent_bytes = 0;
  // Not on the wire: a switch's note of the packet between its delivery to an input and the
  // action at its first bit (a packet is at one switch at a time): the input, the time its
  // last bit arrives, and its place among same-picosecond events (dated_frees.hpp). Carried
  // here, the switch keeps no queue of its own per input.
  std::uint32_t hop_input = 0;
  std::uint64_t hop_last_bit = 0;
  std::uint64_t hop_order = 0;

  // Sizes the payload for `n` bytes, which the caller then copies in (inline data, a DMA read).
  // They are not zeroed first (Boost's default_init): that was a memset and a call per packet.
  void size_payload(std::uint32_t n) {
    payload_len = n;
    payload.resize(n, boost::container::default_init);
  }

  std::uint32_t header_bytes() const {
    std::uint32_t h = HeaderBytes::kBase + (global ? HeaderBytes::kGrh : 0);
    const bool reth = (kind == PacketKind::kRdmaWrite && first) || kind == PacketKind::kReadRequest;
    const bool aeth = kind == PacketKind::kAck || kind == PacketKind::kNak ||
                      (kind == PacketKind::kReadResponse && (first || last));
    if (reth) h += HeaderBytes::kReth;
    if (aeth) h += HeaderBytes::kAeth;
    if (datagram) h += HeaderBytes::kDeth;
    if (has_imm && last) h += HeaderBytes::kImm;
    return h;
  }
  // Payload is padded to a multiple of 4 bytes (BTH pad count).
  std::uint32_t wire_bytes() const { return header_bytes() + ((payload_len + 3u) & ~3u); }
};

// Free list of packets; every packet handed out is returned exactly once by its consumer.
class PacketPool {
 public:
  explicit PacketPool(std::uint32_t max_payload) : max_payload_(max_payload) {}
  Packet* get() {
    if (free_.empty()) {
      all_.push_back(std::make_unique<Packet>());
      all_.back()->payload.reserve(max_payload_);
      return all_.back().get();
    }
    Packet* p = free_.back();
    free_.pop_back();
    return p;
  }
  void put(Packet* p) {
    auto keep = std::move(p->payload);
    keep.clear();
    *p = Packet{};
    p->payload = std::move(keep);
    free_.push_back(p);
  }
  std::size_t allocated() const { return all_.size(); }
  std::size_t in_use() const { return all_.size() - free_.size(); }

 private:
  std::uint32_t max_payload_;
  std::vector<std::unique_ptr<Packet>> all_;
  std::vector<Packet*> free_;
};

}  // namespace hcasim
