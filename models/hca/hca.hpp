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
// Control operations (create / resize CQ, create / modify / destroy QP, connect, register
// memory, open the event queue) are firmware commands that take effect at once; the data path
// is timed. Asynchronous events (CQ error, QP fatal, port active) are written to the event queue
// the driver opened and signalled by an MSI on its vector.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include <array>
#include <memory>
#include <vector>

#include "models/core/action_queue.hpp"
#include "models/core/occupancy.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/trace_source.hpp"
#include "models/fabric/fabric_port.hpp"
#include "models/fabric/link.hpp"
#include "models/fabric/packet_sink.hpp"
#include "models/hca/hca_params.hpp"
#include "models/hca/qp_state.hpp"
#include "models/hca/verb_status.hpp"
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
  struct CqResize {
    VerbStatus status = VerbStatus::kOk;
    std::uint32_t switch_index = 0;  // the adapter's producer index at the switch
    Picos completes = 0;
  };
  CqResize resize_cq(std::uint32_t cqn, std::uint64_t new_ring, std::uint32_t new_entries,
                     std::uint64_t new_dbrec);
  // Completions the adapter could not write because the CQ was full (overrun).
  std::uint64_t cq_completions_lost(std::uint32_t cqn) const { return cqs_.at(cqn).lost; }

  // The driver's event queue for asynchronous events: a ring of Eqe in host memory, its
  // consumer index at `dbrec`, every event signalled by an MSI on `vector` (no arming: events
  // are rare). One per adapter; PortActive is raised at once. kInvalidArgument if one exists.
  VerbStatus create_eq(std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec,
                       std::uint32_t vector);

  // A QP starts in `initial`: RTS for the workloads that connect() it (the default), RESET
  // for software that walks the verbs state machine with modify_qp.
  std::uint32_t create_qp(std::uint32_t send_cqn, std::uint32_t recv_cqn, std::uint64_t sq_addr,
                          std::uint32_t sq_entries, std::uint64_t rq_addr, std::uint32_t rq_entries,
                          QpState initial = QpState::kRts);
  // Sets the remote end of a QP and its PSNs (`sq_psn` the first it sends, `rq_psn` the first
  // it expects); the QP's state is not changed.
  void connect(std::uint32_t qpn, std::uint16_t remote_port, std::uint32_t remote_qpn,
               std::uint32_t sq_psn = 0, std::uint32_t rq_psn = 0);
  // Moves a QP to `m.state` (qp_state.hpp lists the allowed moves). ERR flushes it; RESET
  // discards outstanding requests without completions and zeroes its indices and PSNs; INIT ->
  // RTR connects it to m.remote_port / m.remote_qpn expecting m.rq_psn; RTR -> RTS sends from
  // m.sq_psn; SQD stops starting send WQEs, RTS resumes. kInvalidTransition changes nothing.
  VerbStatus modify_qp(std::uint32_t qpn, const QpModify& m);
  QpState qp_state(std::uint32_t qpn) const { return qps_.at(qpn)->state; }
  // Where a QP that entered ERR can resume (firmware reads its QP context before a RESET
  // clears it): its peer, `sq_psn` the first PSN the peer has not accepted (the NAKed or the
  // first unacknowledged request), `rq_psn` the next PSN it expects from the peer.
  struct QpResume {
    std::uint16_t port = 0;
    std::uint32_t qpn = 0, sq_psn = 0, rq_psn = 0;
  };
  QpResume qp_resume(std::uint32_t qpn) const {
    const Qp& qp = *qps_.at(qpn);
    return QpResume{qp.peer_port, qp.peer_qpn, qp.resume_psn, qp.expected_psn};
  }
  // Resets the QP and retires its number: later doorbells to it are refused.
  VerbStatus destroy_qp(std::uint32_t qpn);
  // Share of the send engine: packets sent per round-robin turn (default 1).
  void set_qp_weight(std::uint32_t qpn, std::uint32_t weight);
  MemoryRegions& regions() { return regions_; }
  const HcaParams& params() const { return params_; }
  const Clock& clock() const { return clock_; }
  std::uint16_t port_address() const { return port_; }
  std::uint32_t max_inline() const { return params_.sq_stride - sizeof(SendWqeHeader); }

  // PacketSink
  void deliver(Packet* packet, Picos arrival) override;

  struct Counters {
    std::uint64_t doorbells = 0, wqe_fetches = 0, blueflame_wqes = 0, packets_tx = 0,
                  packets_rx = 0, acks_tx = 0, cqes = 0, cq_overruns = 0, protection_errors = 0,
                  rnr_naks = 0, messages_tx = 0, messages_rx = 0, read_requests = 0,
                  read_responses = 0, interrupts = 0, timeouts = 0,
                  async_events = 0,    // raised (CQ error, QP fatal, port active)
        async_events_undelivered = 0,  // no event queue open, or it was full
        cq_resizes = 0,
                  completions_lost = 0;  // CQEs not written because their CQ had overrun
  };
  const Counters& counters() const { return counters_; }
  std::uint64_t actions_executed() const { return actions_.executed(); }

 private:
  struct SendWork {
    SendWqeHeader hdr{};
    std::array<Sge, 30> sge{};
    std::array<std::uint8_t, 512> inline_data{};
    std::uint32_t length = 0;
    std::uint32_t first_psn = 0, last_psn = 0;
    std::uint32_t index = 0;  // position in the send queue (wraps at 2^32)
  };
  struct RecvWork {
    std::uint64_t wr_id = 0;
    std::uint32_t num_sge = 0;
    std::array<Sge, kMaxRecvSge> sge{};
  };
  struct Cq {
    std::uint64_t ring = 0, dbrec = 0;
    std::uint32_t entries = 0, producer = 0;
    std::uint32_t base = 0;  // index of the ring's first slot (changes on resize)
    bool overrun = false;
    std::uint64_t lost = 0;   // entries dropped while overrun
    Picos written_lands = 0;  // when the last entry written lands in host memory
    // completion events: one-shot arm, moderation by count and time
    bool armed = false, timer_pending = false;
    bool solicited_only = false;      // armed for solicited receives and errors only
    std::uint32_t solicited_end = 0;  // producer index after the last solicited or error entry
    std::uint32_t timer_epoch = 0;    // a timer armed before the last event is stale
    std::uint32_t vector = 0, mod_count = 1, pending_events = 0;
    Picos mod_period = 0;
  };
  struct Eq {
    std::uint64_t ring = 0, dbrec = 0;
    std::uint32_t entries = 0, producer = 0, vector = 0;
  };
  struct Qp {
    std::uint32_t qpn = 0, send_cqn = 0, recv_cqn = 0;
    QpState state = QpState::kRts;
    bool destroyed = false;
    // Doorbells decoded after a RESET that were rung before it belong to the old epoch.
    std::uint32_t doorbells_in_flight = 0, stale_doorbells = 0;
    // A RESET starts a new epoch: WQE fetches issued before it are discarded when they return.
    std::uint32_t epoch = 0, sq_fetch_epoch = 0, rq_fetch_epoch = 0;
    std::uint32_t sq_started = 0;  // send WQEs whose first packet was built (for SQD)
    std::uint16_t peer_port = 0;
    std::uint32_t peer_qpn = 0;
    // send queue
    std::uint64_t sq_addr = 0;
    std::uint32_t sq_entries = 0;
    std::uint32_t sq_producer = 0, sq_fetched = 0, sq_sent = 0, sq_acked = 0;
    std::uint32_t tx_offset = 0;  // bytes of WQE sq_sent already packetized
    bool fetching = false, in_tx_ring = false;
    std::vector<SendWork> sq;             // decoded WQEs, indexed by position % sq_entries
    std::vector<std::uint8_t> fetch_buf;  // DMA target for one batch of WQEs
    std::uint32_t next_psn = 0;
    std::uint32_t resume_psn = 0;         // set on entering ERR (resume_psns)
    std::uint32_t weight = 1, burst = 0;  // send scheduler: weighted round-robin
    BusyResource context;                 // per-message occupancy of this QP's context
    std::uint32_t rnr_retries = 0;        // used since the last progress
    bool waiting_rnr = false;
    // transport timer (requester) and coalesced ACKs (responder)
    bool ack_timer_armed = false;
    Picos last_tx = 0;          // last request packet sent (the timeout runs from it)
    Picos last_ready = 0;       // packets of one QP leave in order
    bool deferred_ack = false;  // an ACK waiting behind READ responses
    std::uint32_t deferred_ack_psn = 0;
    std::uint32_t responses_in_flight = 0;
    std::uint32_t timer_acked = 0;  // sq_acked when the timer was armed
    std::uint32_t retries = 0;
    std::uint32_t unacked_msgs = 0;
    bool ack_delay_pending = false;
    Picos ack_commit = 0;
    // receive queue
    std::uint64_t rq_addr = 0;
    std::uint32_t rq_entries = 0, rq_producer = 0, rq_fetched = 0, rq_used = 0;
    bool rq_fetching = false;
    std::vector<RecvWork> rq;
    std::vector<std::uint8_t> rq_fetch_buf;
    // responder state of the message being received
    std::uint32_t expected_psn = 0;
    std::uint32_t rx_offset = 0;
    bool rx_active = false, rx_is_write = false;
    bool rx_nak_outstanding = false;  // drop out-of-order packets until the resend arrives
    std::uint64_t rx_remote_addr = 0;
    Picos rx_committed = 0;       // when the current message's DMA writes have all landed
    std::vector<Packet*> parked;  // waiting for a receive WQE being fetched
    // responder: RDMA READ responses still to send (served before the send queue)
    struct ReadJob {
      std::uint32_t psn;
      std::uint64_t addr;
      std::uint32_t length, offset;
    };
    std::vector<ReadJob> read_jobs;
    std::size_t read_head = 0;
    TracedInt sq_depth, rq_depth, tx_busy;
  };

  void b_mmio(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

  // timed steps
  void on_sq_doorbell(std::uint64_t arg);
  void on_rq_doorbell(std::uint64_t arg);
  void on_wqes_fetched(std::uint64_t qpn);
  void on_rwqes_fetched(std::uint64_t qpn);
  void on_packet_ready(std::uint64_t packet_ptr);
  void on_packet_arrived(std::uint64_t packet_ptr);
  void on_resend(std::uint64_t arg);  // QP actions take qp_arg(qp)
  void on_tx_kick(std::uint64_t arg);
  void on_cq_arm(std::uint64_t arg);  // cqn | solicited-only << 31 | consumer index << 32
  void on_ack_timeout(std::uint64_t arg);
  void on_ack_delay(std::uint64_t arg);
  void arm_ack_timer(Qp& qp, Picos from);
  void acknowledge(Qp& qp, Picos at, Picos committed);
  void on_cq_timer(std::uint64_t arg);
  void on_port_active(std::uint64_t);
  void fire_event(Cq& cq, Picos at);
  void raise_async(AsyncEventKind kind, std::uint32_t number, Picos at);
  void reset_qp(Qp& qp);
  // The send engine works on the QP (RTS, and SQD for messages already started).
  static bool sending(const Qp& qp) {
    return qp.state == QpState::kRts || qp.state == QpState::kSqd;
  }
  // Incoming packets are handled (connected and not in error).
  static bool receiving(const Qp& qp) {
    return qp.state >= QpState::kRtr && qp.state != QpState::kError;
  }

  // helpers
  Picos edge(Picos t) const { return clock_.edge_at_or_after(t); }
  Picos cycles(std::uint32_t n) const { return clock_.cycles(n); }
  Picos dma(tlm::tlm_command cmd, std::uint64_t addr, void* data, std::uint32_t len, Picos at);
  void start_wqe_fetch(Qp& qp);
  void start_rwqe_fetch(Qp& qp);
  void decode_send_wqe(Qp& qp, std::uint32_t index, const std::uint8_t* bytes);
  void pump_tx();
  bool build_next_packet(Qp& qp, Packet*& out, Picos& ready);
  void handle_request(Qp& qp, Packet* p, Picos at);
  void handle_ack(Qp& qp, Packet* p, Picos at);
  void handle_read_request(Qp& qp, Packet* p, Picos at);
  void handle_read_response(Qp& qp, Packet* p, Picos at);
  bool build_read_response(Qp& qp, Packet*& out, Picos& ready);
  void complete_send(Qp& qp, SendWork& w, WcStatus status, Picos at);
  void enqueue_tx(Qp& qp);
  void rewind(Qp& qp, std::uint32_t psn);
  void send_ack(Qp& qp, std::uint32_t psn, NakCode nak, Picos at);
  void transmit(Packet* p, Picos ready);
  void write_cqe(std::uint32_t cqn, Cqe cqe, Picos at);
  // Enters ERR and flushes. `adapter_error`: the adapter's own doing (raises QpFatal once), not
  // software's modify_qp or a doorbell to a QP already in error.
  void qp_error(Qp& qp, Picos at, bool adapter_error = true);
  bool doorbell_is_stale(Qp& qp);
  // Timed actions on a QP carry its epoch; one scheduled before a RESET finds no QP.
  static std::uint64_t qp_arg(const Qp& qp) { return qp.qpn | (std::uint64_t(qp.epoch) << 32); }
  Qp* live_qp(std::uint64_t arg) {
    Qp& qp = *qps_[arg & 0xffffffffu];
    return qp.epoch == static_cast<std::uint32_t>(arg >> 32) ? &qp : nullptr;
  }
  Qp* find_qp(std::uint32_t qpn) {
    return qpn < qps_.size() && !qps_[qpn]->destroyed ? qps_[qpn].get() : nullptr;
  }

  HcaParams params_;
  Clock clock_;
  std::uint16_t port_;
  std::uint32_t mtu_;
  PacketPool& packets_;
  TraceSink* trace_;
  FabricPort fabric_port_;
  MemoryRegions regions_;
  ActionQueue actions_;
  std::vector<Cq> cqs_;
  Eq eq_;
  bool eq_open_ = false;
  std::vector<std::unique_ptr<Qp>> qps_;
  std::vector<std::uint32_t> tx_ring_;  // QPs with packets to send, served round-robin
  std::size_t tx_rr_ = 0;
  std::uint32_t tx_inflight_ = 0;
  TracedResource doorbell_unit_, send_engine_, packetizer_, rx_engine_, cqe_engine_;
  tlm::tlm_generic_payload gp_;
  tlm::tlm_generic_payload peek_gp_;     // firmware's untimed reads
  std::vector<Packet*> parked_scratch_;  // reused when parked packets are replayed
  Counters counters_;
  TracedInt tx_inflight_trace_;
};

}  // namespace hcasim
