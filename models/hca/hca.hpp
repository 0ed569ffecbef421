#pragma once
// A channel adapter (HCA on a host, TCA on an I/O unit), at cycle level.
//
// Pipeline (docs/model.md): doorbell unit -> WQE fetch (DMA read, batched) or BlueFlame ->
// send engine (per-packet payload gather by DMA read, bounded window) -> packetizer -> link.
// Incoming: receive engine -> receive-WQE (prefetched) -> scatter / RDMA placement by DMA write
// -> ACK -> CQE writer (DMA write). Reliable connection: PSNs, one ACK per message, send
// completions on ACK. Each stage is a busy-until resource in adapter cycles; the adapter acts
// only at computed moments (its ActionQueue), so an idle adapter costs nothing.
//
// Hca is the module the rest of the simulator sees; each stage is a class of its own, in the
// file named after it (docs/architecture.md, "The adapter's stages"): doorbell_unit,
// wq_fetcher (+ work_rings), send_scheduler, rc_requester, rc_responder (behind the Transport
// interface, rc_transport), ud_transport, completion_engine, qp_lifecycle, and the per-QP state in
// qp_context. Hca owns them, answers the firmware commands and runs the receive engine.
//
// Control operations (create / resize CQ, create / modify / destroy QP, connect, register
// memory, open the event queue) are firmware commands that take effect at once; the data path
// is timed. Asynchronous events (CQ error, QP fatal, port active) are written to the event queue
// the driver opened and signalled by an MSI on its vector.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include <cstdint>

#include "models/core/occupancy.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/stats.hpp"
#include "models/core/trace_source.hpp"
#include "models/fabric/fabric_port.hpp"
#include "models/fabric/link.hpp"
#include "models/fabric/packet_sink.hpp"
#include "models/hca/adapter_core.hpp"
#include "models/hca/completion_engine.hpp"
#include "models/hca/doorbell_unit.hpp"
#include "models/hca/hca_params.hpp"
#include "models/hca/qp_lifecycle.hpp"
#include "models/hca/qp_state.hpp"
#include "models/hca/rc_requester.hpp"
#include "models/hca/rc_responder.hpp"
#include "models/hca/rc_transport.hpp"
#include "models/hca/send_scheduler.hpp"
#include "models/hca/stage_ops.hpp"
#include "models/hca/ud_transport.hpp"
#include "models/hca/verb_status.hpp"
#include "models/hca/work_rings.hpp"
#include "models/hca/wqe_format.hpp"
#include "models/memory/memory_regions.hpp"

namespace hcasim {

class Hca : public sc_core::sc_module, public PacketSink {
 public:
  tlm_utils::simple_initiator_socket<Hca> dma_socket;  // to the host interconnect
  tlm_utils::simple_target_socket<Hca> mmio_socket;    // doorbells from the host

  SC_HAS_PROCESS(Hca);
  Hca(sc_core::sc_module_name name, const HcaParams& params, std::uint16_t port_address,
      std::uint32_t mtu, unsigned vls, PacketPool& packets, TraceSink* trace);

  // The adapter's fabric port: packets leave through it when the far receiver has credits.
  FabricPort& fabric_port() { return fabric_port_; }

  // ---- control path (firmware commands) ----
  std::uint32_t create_cq(std::uint64_t ring_addr, std::uint32_t entries, std::uint64_t dbrec_addr);
  // Interrupt moderation of a CQ: the event waits for `count` completions or `period` after
  // the first one, whichever first (count 1, period 0: an event per armed completion).
  void modify_cq_moderation(std::uint32_t cqn, std::uint32_t count, Picos period);
  // The MSI vector a CQ's events use (default: the CQ number).
  void set_cq_vector(std::uint32_t cqn, std::uint32_t vector);
  // Switches a CQ to a new ring (as mlx4's RESIZE_CQ). Entries from now on go to the new ring,
  // at index - base, where base is the consumer index software wrote to `new_dbrec` before the
  // command; software copies the entries [base, switch_index) it has not polled from the old
  // ring once the command completes (`completes`: every entry written to the old ring has
  // landed, as the command's completion is ordered behind them). Clears an overrun, so the CQ
  // takes entries again. kInvalidArgument (nothing changed) if the unpolled entries do not fit.
  using CqResize = CompletionEngine::Resize;
  CqResize resize_cq(std::uint32_t cqn, std::uint64_t new_ring, std::uint32_t new_entries,
                     std::uint64_t new_dbrec);
  // Completions the adapter could not write because the CQ was full (overrun).
  std::uint64_t cq_completions_lost(std::uint32_t cqn) const {
    return completions_.completions_lost(cqn);
  }

  // The driver's event queue for asynchronous events: a ring of Eqe in host memory, its
  // consumer index at `dbrec`, every event signalled by an MSI on `vector` (no arming: events
  // are rare). One per adapter; PortActive is raised at once. kInvalidArgument if one exists.
  VerbStatus create_eq(std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec,
                       std::uint32_t vector);

  // A QP starts in `initial`: RTS for the workloads that connect() it (the default), RESET
  // for software that walks the verbs state machine with modify_qp. `type` picks its transport.
  std::uint32_t create_qp(std::uint32_t send_cqn, std::uint32_t recv_cqn, std::uint64_t sq_addr,
                          std::uint32_t sq_entries, std::uint64_t rq_addr, std::uint32_t rq_entries,
                          QpState initial = QpState::kRts, QpType type = QpType::kRc);
  // The Q_Key a UD QP's datagrams must carry (what RESET -> INIT sets, for a QP created ready).
  void set_qkey(std::uint32_t qpn, std::uint32_t qkey) { core_.qps.at(qpn).qkey = qkey; }
  // Whether any QP of this adapter runs the unreliable datagram (its figures are reported).
  bool runs_ud() const { return ud_qps_ != 0; }
  // Sets the remote end of a QP and its PSNs (`sq_psn` the first it sends, `rq_psn` the first
  // it expects); the QP's state is not changed.
  void connect(std::uint32_t qpn, std::uint16_t remote_port, std::uint32_t remote_qpn,
               std::uint32_t sq_psn = 0, std::uint32_t rq_psn = 0);
  // Moves a QP to `m.state` (qp_state.hpp lists the allowed moves). ERR flushes it; RESET
  // discards outstanding requests without completions and zeroes its indices and PSNs; INIT ->
  // RTR connects it to m.remote_port / m.remote_qpn expecting m.rq_psn; RTR -> RTS sends from
  // m.sq_psn; SQD stops starting send WQEs, RTS resumes. kInvalidTransition changes nothing.
  VerbStatus modify_qp(std::uint32_t qpn, const QpModify& m);
  QpState qp_state(std::uint32_t qpn) const { return core_.qps.at(qpn).state; }
  // Where a QP that entered ERR can resume (firmware reads its QP context before a RESET
  // clears it): its peer, `sq_psn` the first PSN the peer has not accepted (the NAKed or the
  // first unacknowledged request), `rq_psn` the next PSN it expects from the peer.
  struct QpResume {
    std::uint16_t port = 0;
    std::uint32_t qpn = 0, sq_psn = 0, rq_psn = 0;
  };
  QpResume qp_resume(std::uint32_t qpn) const {
    const QpContext& qp = core_.qps.at(qpn);
    return QpResume{qp.peer_port, qp.peer_qpn, qp.req.resume_psn, qp.resp.expected_psn};
  }
  // Resets the QP and retires its number: later doorbells to it are refused.
  VerbStatus destroy_qp(std::uint32_t qpn);
  // Share of the send engine: packets sent per round-robin turn (default 1).
  void set_qp_weight(std::uint32_t qpn, std::uint32_t weight);
  MemoryRegions& regions() { return core_.regions; }
  const HcaParams& params() const { return core_.params; }
  const Clock& clock() const { return core_.clock; }
  std::uint16_t port_address() const { return core_.port; }
  std::uint32_t max_inline() const { return core_.params.sq_stride - sizeof(SendWqeHeader); }

  // PacketSink
  void deliver(Packet* packet, Picos arrival) override;

  using Counters = HcaCounters;
  const Counters& counters() const { return core_.counters; }
  std::uint64_t actions_executed() const { return core_.actions.executed(); }

 private:
  void b_mmio(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  // The receive engine: takes an arrived packet (rx_cycles), frees its fabric credits and
  // hands it to its QP's transport.
  void on_packet_arrived(Packet* p);

  // Declaration order is construction order: each stage is built after the ones it uses.
  AdapterCore core_;
  StatGroup stats_;  // the counters of core_, under the adapter's name (before its port's)
  FabricPort fabric_port_;
  CompletionEngine completions_;
  QpLifecycle lifecycle_;
  SendScheduler scheduler_;
  SendRing send_ring_;
  SendWqFetcher send_fetcher_;
  RecvRing recv_ring_;
  RecvWqFetcher recv_fetcher_;
  RcRequester requester_;
  RcResponder responder_;
  RcTransport rc_;
  UdTransport ud_;
  DoorbellUnit doorbells_;
  TracedResource rx_engine_;
  std::uint32_t ud_qps_ = 0;
};

}  // namespace hcasim
