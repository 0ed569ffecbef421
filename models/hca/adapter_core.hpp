#pragma once
// What every stage of a channel adapter shares: its parameters and clock, its fabric address
// and MTU, the packet pool, the action queue its timed steps run on, the DMA port to host
// memory, its counters and the table of its queue pairs. Hca owns one; each stage holds a
// reference to it (docs/architecture.md, "The adapter's stages").
#include <cstdint>

#include "models/core/action_queue.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/trace_source.hpp"
#include "models/fabric/fabric_port.hpp"
#include "models/fabric/packet.hpp"
#include "models/hca/dma_port.hpp"
#include "models/hca/hca_params.hpp"
#include "models/hca/qp_context.hpp"
#include "models/memory/memory_regions.hpp"

namespace hcasim {

// The adapter's counters: plain integers its stages increment, each named once in visit()
// (models/core/stats.hpp), so every one reaches the run report under the adapter's name.
struct HcaCounters {
  std::uint64_t doorbells = 0, wqe_fetches = 0, blueflame_wqes = 0, packets_tx = 0, packets_rx = 0,
                acks_tx = 0, cqes = 0, cq_overruns = 0, protection_errors = 0, rnr_naks = 0,
                messages_tx = 0, messages_rx = 0, read_requests = 0, read_responses = 0,
                interrupts = 0, timeouts = 0, async_events = 0, async_events_undelivered = 0,
                cq_resizes = 0, completions_lost = 0, icrc_drops = 0, cqes_error = 0,
                transport_recoveries = 0, ud_drops = 0;

  template <class V>
  void visit(V& v) const {
    v.counter(doorbells, "doorbells", "count", "doorbells received");
    v.counter(wqe_fetches, "wqe_fetches", "count", "DMA reads of send WQEs");
    v.counter(blueflame_wqes, "blueflame_wqes", "count", "WQEs that came with their doorbell");
    v.counter(cqes, "cqes", "count", "completion-queue entries written");
    v.counter(cq_overruns, "cq_overruns", "count", "completion queues that overflowed");
    v.counter(completions_lost, "completions_lost", "count",
              "completions not written: their CQ had overrun");
    v.counter(cq_resizes, "cq_resizes", "count", "completion queues resized");
    v.counter(async_events, "async_events", "count",
              "asynchronous events raised (CQ error, QP fatal, port)");
    v.counter(async_events_undelivered, "async_events_undelivered", "count",
              "asynchronous events with no event queue open (or it was full)");
    v.counter(rnr_naks, "rnr_naks", "count", "receiver-not-ready NAKs sent");
    v.counter(protection_errors, "protection_errors", "count",
              "accesses refused by memory protection");
    v.counter(interrupts, "interrupts", "count", "completion events (MSI) raised");
    v.counter(timeouts, "timeouts", "count", "transport timeouts (resends)");
    v.counter(icrc_drops, "icrc_drops", "count", "packets discarded as corrupted on the wire");
    v.counter(packets_tx, "packets_tx", "count",
              "packets handed to the fabric port (data, ACKs, NAKs, READ responses, resends)");
    v.counter(packets_rx, "packets_rx", "count", "packets taken by the receive engine");
    v.counter(acks_tx, "acks_tx", "count", "ACKs and NAKs sent");
    v.counter(messages_tx, "messages_tx", "count",
              "request messages whose last packet was built (resends included)");
    v.counter(messages_rx, "messages_rx", "count",
              "messages received whole (requests, and READ responses at the requester)");
    v.counter(read_requests, "read_requests", "count",
              "RDMA READ requests built (resends included)");
    v.counter(read_responses, "read_responses", "count", "RDMA READ responses sent whole");
    v.counter(cqes_error, "cqes_error", "count",
              "completion-queue entries written with an error status (flushes included)");
    v.counter(transport_recoveries, "transport_recoveries", "count",
              "times the requester made progress again after resending (timeout or sequence "
              "NAK): an ACK completed its oldest outstanding work request successfully, or a "
              "READ response for it arrived");
    v.counter(ud_drops, "ud_drops", "count",
              "datagrams (UD) dropped: no receive posted, or another Q_Key");
  }
};

struct AdapterCore {
  AdapterCore(const char* name, const HcaParams& p, std::uint16_t port_address,
              std::uint32_t path_mtu, PacketPool& pool, TraceSink* sink,
              tlm::tlm_initiator_socket<>& dma_socket)
      : name(name),
        params(p),
        clock(p.clock_mhz),
        port(port_address),
        mtu(path_mtu),
        packets(pool),
        trace(sink),
        dma(name, dma_socket) {}

  // The next edge of the adapter clock at or after `t`, and `n` cycles of it.
  Picos edge(Picos t) const { return clock.edge_at_or_after(t); }
  Picos cycles(std::uint32_t n) const { return clock.cycles(n); }
  // Time the adapter's link takes to serialize `bytes` (its port must be connected).
  Picos wire_ps(std::uint64_t bytes) const { return fabric->link()->wire_ps(bytes); }
  double wire_byte_ps() const {
    if (byte_ps_ == 0.0) byte_ps_ = 8000.0 / fabric->link()->params().data_gbps();
    return byte_ps_;  // hot path: data_gbps() compares strings
  }
  // A packet from the pool, addressed from `qp` to its peer.
  Packet* new_packet(const QpContext& qp, PacketKind kind, std::uint32_t psn) {
    Packet* p = packets.get();
    p->kind = kind;
    p->src_port = port;
    p->dst_port = qp.peer_port;
    p->src_qpn = qp.qpn;
    p->dst_qpn = qp.peer_qpn;
    p->psn = psn;
    return p;
  }

  const char* name;  // the adapter's module name (messages, trace paths)
  HcaParams params;
  Clock clock;
  std::uint16_t port;
  std::uint32_t mtu;
  PacketPool& packets;
  const FabricPort* fabric = nullptr;  // the adapter's port (Hca sets it)
  TraceSink* trace;
  ActionQueue actions;
  DmaPort dma;
  MemoryRegions regions;
  QpTable qps;
  HcaCounters counters;

 private:
  mutable double byte_ps_ = 0.0;
};

}  // namespace hcasim
