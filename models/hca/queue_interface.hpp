#pragma once
// The adapter's software interface, as its user-space provider library defines it (think
// libmlx4): queue rings in memory, WQE encoding, doorbells, CQE polling with the owner bit.
// It is functional (no time): host_os/ charges CPU cycles around it, and the I/O unit's
// firmware uses it directly. One AdapterContext per adapter and memory.
#include <systemc>

#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "models/core/trace_source.hpp"
#include "models/hca/event_queue.hpp"
#include "models/hca/hca.hpp"
#include "models/hca/qp_state.hpp"
#include "models/hca/qp_type.hpp"
#include "models/hca/verb_status.hpp"
#include "models/hca/wqe_format.hpp"
#include "models/interconnect/pcie_link.hpp"
#include "models/memory/host_memory.hpp"

namespace hcasim {

struct WorkCompletion {
  std::uint64_t wr_id = 0;
  WcStatus status = WcStatus::kSuccess;
  WrOpcode opcode = WrOpcode::kSend;
  bool is_recv = false;
  std::uint32_t byte_len = 0;
  std::uint32_t qpn = 0;
  std::uint32_t imm = 0;
  bool has_imm = false;
  bool solicited = false;         // receive: the sender marked its SEND solicited
  std::uint32_t wqe_counter = 0;  // send: the WQE this completes (frees slots up to it)
  std::uint32_t src_qp = 0;       // UD receive: the sender's QP (ibv_wc.src_qp)
  std::uint16_t slid = 0;         // UD receive: the sender's port (ibv_wc.slid)
  Picos landed_ps = 0;  // when the adapter's CQE write landed in host memory (observation)
};

struct SendRequest {
  std::uint64_t wr_id = 0;
  WrOpcode opcode = WrOpcode::kSend;
  bool signaled = true;
  bool inline_data = false;  // copy the payload into the WQE (length <= max_inline)
  std::vector<Sge> sges;     // payload (for inline: copied from host memory at post time)
  std::uint64_t remote_addr = 0;
  std::uint32_t rkey = 0;
  std::uint32_t imm = 0;
  bool solicited = false;  // the receiver's CQ, armed for solicited events, raises one for it
  UdAddress ud;            // UD QP: where the datagram goes (remote_addr and rkey unused)
};

class CompletionQueue : public PcieLink::WriteObserver {
 public:
  CompletionQueue(std::uint32_t cqn, std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec,
                  HostMemory& memory, TraceSink* trace, const std::string& path);
  std::uint32_t cqn() const { return cqn_; }
  std::uint32_t entries() const { return entries_; }  // of the current ring
  // Removes up to `max` completions; returns how many. Never blocks.
  unsigned poll(WorkCompletion* out, unsigned max);
  // Notified each time a CQE lands (the simulated equivalent of the line a poller spins on),
  // unless the queue has a landing observer.
  const sc_core::sc_event& landed_event() const { return landed_; }
  // A model that reacts to completions without a thread of its own (the I/O unit's message
  // service) is called at each landing instead, inside the landing's calendar action. It may
  // poll and post there (posts reach the adapter through doorbells, which act later), but must
  // not add watches or make DMA happen at once (PcieLink::WriteObserver). A plain function
  // and object, as a calendar action is: a landing costs one indirect call and no event, which
  // would stop the calendar's run ahead (docs/lookahead.md). One observer per queue; it is then
  // the queue's only consumer and landed_event() is no longer notified.
  using LandingObserver = void (*)(void* self);
  void set_landing_observer(LandingObserver fn, void* self) {
    observer_ = fn;
    observer_self_ = self;
  }
  std::uint64_t landed() const { return landed_count_; }
  std::uint64_t consumed() const { return consumer_; }

  void on_dma_write(std::uint64_t addr, std::uint64_t len) override;

  // Resize, software's part (AdapterContext::resize_cq): entries may land in `ring` from now on;
  // switch_ring() copies the unpolled entries [consumed(), end) there and polls it from then on.
  void expect_ring(std::uint64_t ring, std::uint32_t entries);
  void switch_ring(std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec,
                   std::uint32_t end);

 private:
  bool in_ring(std::uint64_t ring, std::uint32_t entries, std::uint64_t addr,
               std::uint64_t len) const {
    return addr >= ring && addr + len <= ring + std::uint64_t(entries) * sizeof(Cqe);
  }
  void signal_landing();  // to the observer, else on landed_event()
  std::uint32_t cqn_;
  std::uint64_t ring_;
  std::uint32_t entries_;
  std::uint64_t dbrec_;
  std::uint32_t base_ = 0;       // index of the ring's first slot (the consumer index at a resize)
  std::uint64_t next_ring_ = 0;  // a resize's new ring, until switch_ring()
  std::uint32_t next_entries_ = 0;
  HostMemory& memory_;
  std::uint32_t consumer_ = 0;
  std::uint64_t landed_count_ = 0;
  std::uint64_t polled_count_ = 0;  // entries polled so far (the sequence landed_at_ follows)
  std::vector<Picos> landed_at_;    // by ring slot: when its latest CQE landed
  sc_core::sc_event landed_;
  LandingObserver observer_ = nullptr;
  void* observer_self_ = nullptr;
  TracedInt depth_;
};

class QueuePair {
 public:
  std::uint32_t qpn = 0;
  QpType type = QpType::kRc;
  QpState state = QpState::kRts;  // software's view, as verbs' ibv_qp::state (set by modify_qp)
  std::uint64_t sq_ring = 0, rq_ring = 0;
  std::uint32_t sq_entries = 0, rq_entries = 0;
  std::uint32_t sq_producer = 0, sq_completed = 0;  // completed: slots freed by send CQEs
  std::uint32_t rq_producer = 0, rq_completed = 0;
  std::uint32_t sq_in_flight() const { return sq_producer - sq_completed; }
};

class AdapterContext {
 public:
  AdapterContext(Hca& hca, PcieLink& pcie, HostMemory& memory, TraceSink* trace);

  CompletionQueue& create_cq(std::uint32_t entries);
  // Resizes `cq` to `entries` (as mlx4's driver does): allocates the new ring, has the adapter
  // switch to it (firmware command), waits until the command completes -- every entry written
  // to the old ring has landed -- then copies the entries not yet polled into the new ring.
  // Clears an overrun: this is the driver's recovery from a CqError event. The calling thread
  // waits (sc_core::wait) and must not poll `cq` meanwhile (nor may another thread).
  // kInvalidArgument, nothing changed, if the unpolled entries do not fit in `entries`.
  VerbStatus resize_cq(CompletionQueue& cq, std::uint32_t entries);
  // Opens the adapter's event queue of asynchronous events, signalled on MSI `vector` (route it
  // at the interrupt controller). One per adapter; the adapter reports PortActive at once.
  EventQueue& open_event_queue(std::uint32_t vector, std::uint32_t entries = 64);
  EventQueue* event_queue() { return eq_.get(); }

  // `initial` RTS (default) suits workloads that Hca::connect() the QP; software that walks the
  // verbs state machine creates it in RESET and calls modify_qp.
  QueuePair& create_qp(CompletionQueue& send_cq, CompletionQueue& recv_cq, std::uint32_t sq_entries,
                       std::uint32_t rq_entries, QpState initial = QpState::kRts,
                       QpType type = QpType::kRc);
  // Moves the QP (firmware command, at once); kInvalidTransition changes nothing. RESET also
  // zeroes the software indices; completions of the QP still in its CQs are the caller's to
  // drain before the reset (retire() of one polled after it would be wrong).
  VerbStatus modify_qp(QueuePair& qp, const QpModify& m);
  // Resets the QP and retires its number; the QueuePair object stays valid (state RESET).
  VerbStatus destroy_qp(QueuePair& qp);
  std::uint32_t register_memory(std::uint64_t addr, std::uint64_t len, std::uint32_t access);

  // Writes the WQE and rings the doorbell (BlueFlame when it fits: hca.blueflame*).
  // Posting nothing, returns kWrongState before RTS (sends are accepted in RTS, SQD, SQE and
  // ERR, which flushes them), kTooManySges / kInlineTooLarge, or kQueueFull (ENOMEM in verbs).
  // `ring = false` writes the WQE only: the caller rings ring_send_doorbell() after the last
  // of a list (one doorbell for all, as libmlx5 does for a posted list; no BlueFlame then).
  VerbStatus try_post_send(QueuePair& qp, const SendRequest& wr, bool ring = true);
  // The send doorbell (8 bytes: the producer index) for WQEs written without one.
  void ring_send_doorbell(QueuePair& qp);
  // Receives are accepted in every state but RESET. `ring = false` writes the WQE only: the
  // caller rings ring_recv_doorbell() after the last of a batch (one doorbell for all).
  VerbStatus try_post_recv(QueuePair& qp, std::uint64_t wr_id, const Sge* sges, std::uint32_t n,
                           bool ring = true);
  VerbStatus try_post_recv(QueuePair& qp, std::uint64_t wr_id, const Sge& sge) {
    return try_post_recv(qp, wr_id, &sge, 1);
  }
  // The receive doorbell (8 bytes: the producer index) for WQEs written without one.
  void ring_recv_doorbell(QueuePair& qp);
  // (qp, id, &sge, false) would post zero SGEs and ring: name the count, or pass the SGE.
  template <class B, class = std::enable_if_t<std::is_same_v<B, bool>>>
  VerbStatus try_post_recv(QueuePair&, std::uint64_t, const Sge*, B) = delete;
  template <class B, class = std::enable_if_t<std::is_same_v<B, bool>>>
  bool post_recv(QueuePair&, std::uint64_t, const Sge*, B) = delete;
  // The same, true when posted; false when the queue is full or the state refuses it. Too many
  // SGEs or too much inline data throws std::invalid_argument (a caller's bug).
  // `ring` as for try_post_send.
  bool post_send(QueuePair& qp, const SendRequest& wr, bool ring = true);
  bool post_recv(QueuePair& qp, std::uint64_t wr_id, const Sge& sge, bool ring = true) {
    return post_recv(qp, wr_id, &sge, 1, ring);
  }
  // A receive WQE scattering into `n` SGEs (at most kMaxRecvSge; more throw).
  bool post_recv(QueuePair& qp, std::uint64_t wr_id, const Sge* sges, std::uint32_t n,
                 bool ring = true);
  // Requests one completion event (interrupt) for the next completion on `cq` (one-shot). The
  // doorbell carries the CQ's consumer index: if entries beyond it were written by the time the
  // arm reaches the adapter (also ones landing while it travels), the event comes at once, so
  // "poll until empty, arm, sleep" never misses one. `solicited_only`: only a solicited receive
  // or an error completion raises it. Returns when the arm reaches the adapter.
  Picos arm_cq(CompletionQueue& cq, bool solicited_only = false);
  // Accounts a polled completion against its queue pair's slots (call for every completion).
  void retire(const WorkCompletion& wc);

  Hca& hca() { return hca_; }
  HostMemory& memory() { return memory_; }

 private:
  Hca& hca_;
  PcieLink& pcie_;
  HostMemory& memory_;
  TraceSink* trace_;
  std::vector<std::unique_ptr<CompletionQueue>> cqs_;
  std::vector<QueuePair*> qp_by_num_;
  std::vector<std::unique_ptr<QueuePair>> qps_;
  std::unique_ptr<EventQueue> eq_;
  std::vector<std::uint8_t> wqe_;  // scratch for one WQE (+ BlueFlame header)
};

}  // namespace hcasim
