#pragma once
// The verbs layer: the one door through which host software reaches a channel adapter
// (docs/verbs.md). One VerbsDevice per host adapter, shaped after libibverbs and the kernel
// driver under it:
//   - control path: create / resize / destroy CQs, create / modify / destroy QPs with the RC
//     state machine (models/hca/qp_state.hpp), register and deregister memory, async events;
//   - data path: post_send / post_recv (lists of WRs, several SGEs), poll_cq, req_notify_cq.
// Every call made from a simulated thread or DPC charges its CPU cost on the caller's CPU
// (host.* cost parameters) and runs inside the guard the scenario chose with host.sync
// (AdapterDriver): posting and polling are work, control verbs that change the driver's
// resources are updates. So the synchronization algorithm is exercised by every workload.
// Errors are return values as in rdma-core (0 or an errno value, and the first bad WR), never
// exceptions.
//
// Control verbs called during elaboration (before the simulation starts, no SimContext) take
// effect at once and cost nothing: that is connection setup before a benchmark starts.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host_os/driver/adapter_driver.hpp"
#include "host_os/host_params.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/verbs/verbs_types.hpp"
#include "models/core/trace_source.hpp"

namespace hcasim::verbs {

class VerbsDevice;

// A completion queue (ibv_cq).
class Cq {
 public:
  std::uint32_t cqe() const { return drv_->entries; }
  std::uint32_t cqn() const { return drv_->cq->cqn(); }
  // Completions written by the adapter and not yet polled (observation: no modelled access).
  std::uint64_t pending() const { return drv_->cq->landed() - drv_->cq->consumed(); }
  // Notified whenever an entry lands (what a polling loop waits for in simulated time).
  const sc_core::sc_event& landed_event() const { return drv_->cq->landed_event(); }
  AdapterDriver::Cq& driver_cq() { return *drv_; }

 private:
  friend class VerbsDevice;
  explicit Cq(AdapterDriver::Cq& d) : drv_(&d) {}
  AdapterDriver::Cq* drv_;
};

// A queue pair (ibv_qp): a reliable connection or an unreliable datagram.
class Qp {
 public:
  std::uint32_t qp_num() const { return wq_->qp->qpn; }
  QpType type() const { return wq_->qp->type; }
  QpState state() const { return wq_->qp->state; }
  const QpCaps& caps() const { return caps_; }
  Cq& send_cq() const { return *send_cq_; }
  Cq& recv_cq() const { return *recv_cq_; }
  // Send WRs posted and not yet completed (their slots are freed by polled completions).
  std::uint32_t sends_outstanding() const { return wq_->qp->sq_in_flight(); }
  std::uint32_t send_room() const { return caps_.max_send_wr - sends_outstanding(); }
  std::uint32_t recvs_outstanding() const { return wq_->qp->rq_producer - wq_->qp->rq_completed; }
  AdapterDriver::Wq& driver_wq() { return *wq_; }

 private:
  friend class VerbsDevice;
  Qp(AdapterDriver::Wq& wq, Cq& s, Cq& r, const QpCaps& caps)
      : wq_(&wq), send_cq_(&s), recv_cq_(&r), caps_(caps) {}
  AdapterDriver::Wq* wq_;
  Cq* send_cq_;
  Cq* recv_cq_;
  QpCaps caps_;
  std::uint32_t sq_psn_ = 0;
  SendRequest scratch_;  // the WR being handed to the adapter (its SGE storage is reused)
};

class VerbsDevice {
 public:
  struct Stats {
    std::uint64_t post_send_calls = 0, post_recv_calls = 0, poll_calls = 0, empty_polls = 0;
    std::uint64_t sends_posted = 0, recvs_posted = 0, completions = 0;
    std::uint64_t errors_returned = 0;  // calls that returned an errno
    std::uint64_t async_events = 0;
    std::uint64_t registrations = 0;  // reg_mr calls
  };

  VerbsDevice(std::string name, AdapterContext& adapter, SimPlatform& platform, sync::SyncKind kind,
              const HostParams& params, TraceSink* trace);
  VerbsDevice(const VerbsDevice&) = delete;
  VerbsDevice& operator=(const VerbsDevice&) = delete;

  // ---- control path --------------------------------------------------------------------------
  // `max_wqs`: how many QPs may report to the CQ (the driver's table is sized once).
  Cq& create_cq(std::uint32_t entries, std::uint32_t max_wqs = 64);
  // A QP in RESET, reporting sends to `send_cq` and receives to `recv_cq`. Caps beyond the
  // adapter's limits are raised as ConfigError (a scenario asked for an impossible QP).
  Qp& create_qp(Cq& send_cq, Cq& recv_cq, const QpCaps& caps, QpType type = QpType::kRc);
  // ibv_create_ah: where a UD QP's sends go. Setup only (no CPU time is charged).
  const Ah& create_ah(const AhAttr& attr);
  // What the peer needs to connect to `qp`.
  Endpoint endpoint(const Qp& qp) const;
  // ibv_modify_qp. 0, or EINVAL (illegal transition, missing remote on INIT->RTR): nothing
  // changes then. Moving to ERR flushes the QP's work with flush errors; to RESET discards it.
  // Without a context (elaboration) it costs nothing; with one it is an update of the driver's
  // resources and costs host.control_cycles.
  int modify_qp(Qp& qp, const QpAttr& attr);
  int modify_qp(SimContext& c, Qp& qp, const QpAttr& attr);
  // RESET -> INIT -> RTR -> RTS towards `remote` (what a connection manager does).
  int connect(Qp& qp, const Endpoint& remote);
  // RESET -> INIT (with `qkey`) -> RTR -> RTS of an unreliable-datagram QP: no remote end.
  int activate_ud(Qp& qp, std::uint32_t qkey);
  Mr reg_mr(std::uint64_t addr, std::uint64_t length, std::uint32_t access);
  void dereg_mr(const Mr& mr);
  // ibv_resize_cq: an update (the CQ's pollers are excluded meanwhile). EINVAL if smaller than
  // the completions it holds.
  int resize_cq(SimContext& c, Cq& cq, std::uint32_t entries);
  // Interrupt moderation of a CQ (count, period): an update.
  int modify_cq(SimContext& c, Cq& cq, std::uint32_t count, Picos period);
  // ibv_destroy_qp: detaches it from its CQs; later posts to it fail with EINVAL.
  int destroy_qp(SimContext& c, Qp& qp);

  // ---- data path -----------------------------------------------------------------------------
  // Posts `n` WRs in order; stops at the first that cannot be posted and returns its errno
  // (ENOMEM: send queue full; EINVAL: too many SGEs, inline data too large, bad opcode, QP not
  // ready to send), with its index in *bad. One guarded section for the whole list.
  int post_send(SimContext& c, Qp& qp, const SendWr* wrs, std::size_t n,
                std::size_t* bad = nullptr);
  int post_recv(SimContext& c, Qp& qp, const RecvWr* wrs, std::size_t n,
                std::size_t* bad = nullptr);
  // Removes up to `n` completions; returns how many (0 when none, or when another poller holds
  // the CQ). Never blocks.
  int poll_cq(SimContext& c, Cq& cq, WorkCompletion* wc, int n);
  // A thread's polling loop: `while ((got = poll_cq(...)) == 0);`. The polls that find nothing
  // are computed, not stepped (host.poll_cycles each); the one that finds entries reaps them.
  int spin_poll_cq(SimContext& c, Cq& cq, WorkCompletion* wc, int n);
  // The same loop that also ends when `stop()` turns true (an arrival is due, a timer ran
  // out): `wake` must be notified whenever either may have changed. Returns what the last poll
  // reaped, possibly 0.
  template <class Stop>
  int spin_poll_cq_until(SimContext& c, Cq& cq, WorkCompletion* wc, int n,
                         const sc_core::sc_event& wake, Stop stop);
  // ibv_req_notify_cq: one event (interrupt) for the next completion.
  int req_notify_cq(SimContext& c, Cq& cq);

  // ---- the driver's completion service (host_os/driver/host_completion_manager.hpp) -------
  // The service checks CQs it owns under its own guard and claim words, so these reach the CQ
  // without the per-call guard: one poll (host.poll_cycles), every entry retired (its slot
  // freed) and handled (host.completion_cycles); and the arm doorbell (host.arm_cq_cycles).
  unsigned service_poll(SimContext& c, Cq& cq, WorkCompletion* wc, unsigned n);
  void service_arm(SimContext& c, Cq& cq);

  // ---- async events --------------------------------------------------------------------------
  // The handler runs in DPC context (it must not block): record, and act from a thread.
  // design decision: the driver opens the adapter's event queue when software first listens
  // (an interrupt vector costs nothing until then, and quiet runs stay undisturbed); events
  // raised before that are counted by the adapter as undelivered.
  using AsyncHandler = std::function<void(SimContext&, const AsyncEvent&)>;
  void set_async_handler(AsyncHandler h);
  // How the queue is opened: the system builder knows the interrupt wiring.
  void set_event_queue_opener(std::function<void()> open) { open_events_ = std::move(open); }
  // Opens the adapter's event queue on `vector`; the system routes that vector's interrupt to
  // async_dpc, which drains the queue and hands each event to the handler.
  void open_async_events(std::uint32_t vector);
  static void async_dpc(void* self, std::uint64_t, SimContext& kernel);
  // Completions the adapter could not write because `cq` was full (counted since creation).
  std::uint64_t completions_lost(const Cq& cq) const;

  // ---- observation ---------------------------------------------------------------------------
  const std::string& name() const { return name_; }
  AdapterDriver& driver() { return driver_; }
  const AdapterDriver& driver() const { return driver_; }
  const Stats& stats() const { return stats_; }
  std::uint32_t max_inline() const;
  const HostParams& params() const { return params_; }

 private:
  int fail(int err) {
    ++stats_.errors_returned;
    return err;
  }
  int check_send(const Qp& qp, const SendWr& wr) const;
  // The poll that ends a spin loop (already charged by the loop): guard, claim, reap.
  int reap_after_spin(SimContext& c, Cq& cq, WorkCompletion* wc, int n, std::uint64_t misses);
  int apply(Qp& qp, const QpAttr& attr);

  std::string name_;
  AdapterContext& adapter_;
  HostParams params_;
  AdapterDriver driver_;
  std::vector<std::unique_ptr<Cq>> cqs_;
  std::vector<std::unique_ptr<Qp>> qps_;
  std::vector<std::unique_ptr<Ah>> ahs_;
  AsyncHandler async_handler_;
  EventQueue* events_ = nullptr;
  std::function<void()> open_events_;
  Stats stats_;
};

template <class Stop>
int VerbsDevice::spin_poll_cq_until(SimContext& c, Cq& cq, WorkCompletion* wc, int n,
                                    const sc_core::sc_event& wake, Stop stop) {
  // design decision: the empty polls of the loop are computed by the CPU's spin model, one
  // host.poll_cycles period each (their uncontended guard entry folded into that period); the
  // poll that sees an entry enters the guard, claims the CQ and reaps for real.
  const std::uint64_t misses =
      c.cpu().spin_until(wake, params_.poll_cycles, [&] { return cq.pending() > 0 || stop(); });
  return reap_after_spin(c, cq, wc, n, misses);
}

}  // namespace hcasim::verbs
