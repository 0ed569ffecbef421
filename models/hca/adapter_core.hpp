#pragma once
// What every stage of a channel adapter shares: its parameters and clock, its fabric address
// and MTU, the packet pool, the action queue its timed steps run on, the DMA port to host
// memory, its counters and the table of its queue pairs. Hca owns one; each stage holds a
// reference to it (docs/architecture.md, "The adapter's stages").
#include <cstdint>

#include "models/core/action_queue.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/trace_source.hpp"
#include "models/fabric/packet.hpp"
#include "models/hca/dma_port.hpp"
#include "models/hca/hca_params.hpp"
#include "models/hca/qp_context.hpp"
#include "models/memory/memory_regions.hpp"

namespace hcasim {

struct HcaCounters {
  std::uint64_t doorbells = 0, wqe_fetches = 0, blueflame_wqes = 0, packets_tx = 0, packets_rx = 0,
                acks_tx = 0, cqes = 0, cq_overruns = 0, protection_errors = 0, rnr_naks = 0,
                messages_tx = 0, messages_rx = 0, read_requests = 0, read_responses = 0,
                interrupts = 0, timeouts = 0,
                async_events = 0,            // raised (CQ error, QP fatal, port active)
      async_events_undelivered = 0,          // no event queue open, or it was full
      cq_resizes = 0, completions_lost = 0,  // CQEs not written because their CQ had overrun
      icrc_drops = 0,                        // packets discarded as corrupted on the wire
      ud_drops = 0;  // datagrams dropped: no receive posted, or another Q_Key
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
  TraceSink* trace;
  ActionQueue actions;
  DmaPort dma;
  MemoryRegions regions;
  QpTable qps;
  HcaCounters counters;
};

}  // namespace hcasim
