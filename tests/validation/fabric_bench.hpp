#pragma once
// A tiny test bench for the fabric: an endpoint that sends packets through its FabricPort as
// fast as credits allow and consumes what it receives at a fixed service time per packet,
// returning credits when it has consumed a packet. It records every arrival and checks order
// per (source, VL) and its own buffer occupancy against the credits it granted.
#include <systemc>

#include <cstdint>
#include <vector>

#include "models/core/action_queue.hpp"
#include "models/core/params.hpp"
#include "models/core/sim_time.hpp"
#include "models/fabric/fabric_port.hpp"
#include "models/fabric/packet.hpp"
#include "models/fabric/packet_sink.hpp"
#include "models/fabric/topology.hpp"

namespace hcasim::bench {

class Endpoint : public sc_core::sc_module, public PacketSink {
 public:
  static constexpr unsigned kMaxVls = 4;
  static constexpr unsigned kMaxLids = 16;

  struct Record {
    std::uint16_t src;
    std::uint8_t vl;
    std::uint32_t seq;
    std::uint32_t wire_bytes;
    Picos arrival;   // last bit in
    Picos consumed;  // buffer freed
  };

  SC_HAS_PROCESS(Endpoint);
  Endpoint(sc_core::sc_module_name name, std::uint16_t lid, PacketPool& pool, unsigned vls,
           std::uint32_t rx_buffer_bytes, Picos service_ps)
      : sc_module(name),
        port("port", vls, nullptr),
        lid_(lid),
        pool_(pool),
        buffer_blocks_(rx_buffer_bytes / kCreditBlockBytes),
        service_ps_(service_ps),
        ring_(1 << 16) {
    records.reserve(1 << 16);
  }

  FabricPort port;

  std::uint16_t lid() const { return lid_; }
  std::uint32_t rx_buffer_bytes() const { return buffer_blocks_ * kCreditBlockBytes; }

  // Hands `packet` (from the pool, addressed and sized by the caller) to the port at `ready`.
  // Stamps the per-(destination, VL) sequence number into Packet::imm.
  void send(Packet* packet, Picos ready) {
    packet->src_port = lid_;
    packet->imm = next_seq_[packet->dst_port % kMaxLids][packet->vl]++;
    ++sent;
    port.send(packet, ready);
  }
  Packet* make(std::uint16_t dst, std::uint32_t payload, std::uint8_t vl = 0,
               PacketKind kind = PacketKind::kSend) {
    Packet* p = pool_.get();
    p->kind = kind;
    p->dst_port = dst;
    p->vl = vl;
    p->payload_len = payload;
    return p;
  }

  // PacketSink: acts when the last bit has arrived.
  void deliver(Packet* packet, Picos arrival) override {
    actions_.at<&Endpoint::on_arrival>(arrival, this, reinterpret_cast<std::uintptr_t>(packet));
  }

  std::vector<Record> records;
  std::uint64_t sent = 0;
  std::uint64_t order_errors = 0;    // a packet out of order (or duplicated) per (source, VL)
  std::uint64_t overrun_errors = 0;  // occupancy above the granted credits
  std::uint32_t max_occupancy = 0;   // blocks, any one VL

 private:
  void on_arrival(std::uint64_t arg) {
    Packet* p = reinterpret_cast<Packet*>(static_cast<std::uintptr_t>(arg));
    std::uint32_t& occ = occupancy_[p->vl];
    occ += credit_blocks(*p);
    if (occ > buffer_blocks_) ++overrun_errors;
    if (occ > max_occupancy) max_occupancy = occ;
    std::uint32_t& expect = expected_seq_[p->src_port % kMaxLids][p->vl];
    if (p->imm != expect) ++order_errors;
    expect = p->imm + 1;
    records.push_back(Record{p->src_port, p->vl, p->imm, p->wire_bytes(), now_ps(), 0});
    ring_[(head_ + size_) % ring_.size()] = Held{p, records.size() - 1};
    ++size_;
    if (!serving_) serve();
  }
  void serve() {
    if (size_ == 0) return;
    serving_ = true;
    if (service_ps_ == 0) {
      consume();
      return;
    }
    actions_.at<&Endpoint::on_consumed>(now_ps() + service_ps_, this);
  }
  void on_consumed(std::uint64_t) { consume(); }
  void consume() {
    Held h = ring_[head_];
    head_ = (head_ + 1) % ring_.size();
    --size_;
    serving_ = false;
    Packet* p = h.packet;
    records[h.record].consumed = now_ps();
    const std::uint32_t blocks = credit_blocks(*p);
    occupancy_[p->vl] -= blocks;
    port.rx_freed(p->vl, blocks, now_ps());
    pool_.put(p);
    serve();
  }

  struct Held {
    Packet* packet;
    std::size_t record;
  };
  std::uint16_t lid_;
  PacketPool& pool_;
  std::uint32_t buffer_blocks_;
  Picos service_ps_;
  std::vector<Held> ring_;
  std::size_t head_ = 0, size_ = 0;
  bool serving_ = false;
  std::uint32_t occupancy_[kMaxVls] = {};
  std::uint32_t next_seq_[kMaxLids][kMaxVls] = {};
  std::uint32_t expected_seq_[kMaxLids][kMaxVls] = {};
  ActionQueue actions_;
};

// Parameter structs with their declared defaults (4x FDR, 2 m, SwitchX-class switch).
template <class P>
P defaults() {
  ParamRegistry r;
  r.declare<P>();
  return ParamValues(r).load<P>();
}
inline FabricParams fabric_params(const char* topology, unsigned vls = 1) {
  FabricParams f = defaults<FabricParams>();
  f.topology = topology;
  f.vls = vls;
  return f;
}

// The endpoint as the topology builder sees it.
inline FabricEndpoint as_endpoint(Endpoint& e) {
  return FabricEndpoint{&e, &e.port, e.lid(), e.rx_buffer_bytes()};
}

}  // namespace hcasim::bench
