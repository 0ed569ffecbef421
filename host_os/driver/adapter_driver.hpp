#pragma once
// The host's adapter driver, as far as synchronization goes: the adapter's shared resources --
// its work queues (QPs), completion queues and the lists that tie them (which WQs a CQ reports
// for) -- sit behind one guard chosen by host.sync (the algorithm in either form, a global spin
// lock, a reader-writer lock or per-CPU marks; docs/sync.md), run on the simulated platform.
// Posting and polling are work (inside the guard, many at once where the guard allows);
// attaching / detaching a WQ, resizing a CQ, changing interrupt moderation and destroying a
// queue are updates (exclusive).
//
// Layout, which the cache model charges for: the guard lays out its own lines (the small-lock
// form: its lock word and state share one line); the driver's queue table -- read by every post
// and poll, written by every update -- is another line; each CQ's claim word (a poller owns the CQ
// while reaping, so two never reap one entry) is a line of its own.
//
// The driver also watches what it guards, as locktorture does: a worker inside while an
// update runs, or an update that starts with workers inside, is a violation (must be 0).
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "host_os/host_params.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/sync/any_sync_guard.hpp"
#include "models/core/histogram.hpp"
#include "models/core/trace_source.hpp"
#include "models/hca/queue_interface.hpp"

namespace hcasim {

class AdapterDriver {
 public:
  using Guard = sync::AnySyncGuard<SimPlatform>;
  struct Wq;

  // A completion queue and the work queues it reports for. In the VI model a CQE names only
  // its WQ, so a CQE whose WQ is not in the list is dropped.
  struct Cq {
    CompletionQueue* cq = nullptr;
    std::uint32_t entries = 0;    // as the driver knows it (resize_cq changes it)
    std::uint32_t mod_count = 1;  // interrupt moderation (set_moderation)
    Picos mod_period = 0;
    std::vector<Wq*> wqs;  // attached; capacity fixed at creation (no allocation when updating)
    std::uint64_t dropped = 0;  // CQEs of WQs not attached
    struct alignas(sync::kCacheLine) Claim {
      SimPlatform::Word owner;  // 0: free; else CPU index + 1 of the poller reaping it
    } claim;
  };
  struct Wq {
    QueuePair* qp = nullptr;
    Cq* send_cq = nullptr;
    Cq* recv_cq = nullptr;
    bool destroyed = false;
  };

  struct Stats {
    std::uint64_t sections = 0;             // completed work sections (enter ... exit)
    std::uint64_t busy = 0;                 // try_work found an update pending (deferred)
    std::uint64_t updates = 0;              // completed updates
    std::uint64_t violations = 0;           // must stay 0
    std::uint64_t claim_misses = 0;         // poll found its CQ claimed by another poller
    Picos worker_wait_ps = 0;               // total time in enter (request to inside)
    Picos worker_exit_ps = 0;               // total time in exit
    Picos update_ps = 0;                    // total time updates held the resource
    LogLinearHistogram worker_wait_ns;      // per enter
    LogLinearHistogram updater_latency_ns;  // per update: request to start
    LogLinearHistogram update_ns;           // per update: start to end
  };

  AdapterDriver(std::string name, AdapterContext& adapter, SimPlatform& platform,
                sync::SyncKind kind, const HostParams& params, TraceSink* trace,
                sync::Retrigger<SimPlatform> retrigger = {});
  AdapterDriver(const AdapterDriver&) = delete;
  AdapterDriver& operator=(const AdapterDriver&) = delete;

  // ---- setup (elaboration: no guard, nothing runs yet) ---------------------------------------
  Cq& create_cq(std::uint32_t entries, std::uint32_t max_wqs);
  // A queue pair reporting to `send_cq` and `recv_cq`, attached to both.
  // `initial`: RTS for a QP connected by firmware command, RESET for one that walks the verbs
  // state machine (host_os/verbs).
  Wq& create_wq(Cq& send_cq, Cq& recv_cq, std::uint32_t sq_entries, std::uint32_t rq_entries,
                QpState initial = QpState::kRts, QpType type = QpType::kRc);

  // ---- work ----------------------------------------------------------------------------------
  // Enters the guard, runs fn() inside, leaves. False (fn not run) once destroyed.
  template <class Fn>
  bool work(SimContext& c, Fn&& fn);
  // The same from interrupt / DPC context: false at once ("busy") while an update is pending;
  // the guard's retrigger reports the deferral when that update ends.
  template <class Fn>
  bool try_work(SimContext& c, Fn&& fn);
  // Inside work() only. Posts one send (host.post_send_cycles); false if the send queue is
  // full or the WQ destroyed.
  // `ring = false`: the WQE only; ring_send() then rings once for a list.
  bool post_send(SimContext& c, Wq& wq, const SendRequest& wr, bool ring = true);
  void ring_send(SimContext& c, Wq& wq);
  // Inside work() only. Posts one receive of `n` SGEs (host.post_recv_cycles); false if the
  // receive queue is full or the WQ destroyed.
  bool post_recv(SimContext& c, Wq& wq, std::uint64_t wr_id, const Sge* sges, std::uint32_t n);
  // Inside work() only. Claims the CQ (skips it, returning 0, if another poller has it), reaps
  // up to `max` CQEs (host.poll_cycles, unless the caller's spin loop already charged this
  // poll), releases it, then handles each completion (host.completion_cycles): retires it and
  // keeps it in `out` if its WQ is attached.
  unsigned poll(SimContext& c, Cq& cq, WorkCompletion* out, unsigned max, bool charge_poll = true);

  // ---- updates -------------------------------------------------------------------------------
  // Exclusive access: runs fn() and charges `cycles` for it. False once destroyed.
  template <class Fn>
  bool update(SimContext& c, std::uint64_t cycles, Fn&& fn);
  bool attach_wq(SimContext& c, Cq& cq, Wq& wq, std::uint64_t cycles);
  bool detach_wq(SimContext& c, Cq& cq, Wq& wq, std::uint64_t cycles);
  // design decision: the driver's bookkeeping only, which is what the synchronization sees
  // (the update storm's resizes); VerbsDevice::resize_cq resizes the adapter's CQ as well.
  bool resize_cq(SimContext& c, Cq& cq, std::uint32_t entries, std::uint64_t cycles);
  bool set_moderation(SimContext& c, Cq& cq, std::uint32_t count, Picos period,
                      std::uint64_t cycles);
  // Detaches the WQ from its CQs and marks it destroyed: later posts to it fail.
  bool destroy_wq(SimContext& c, Wq& wq, std::uint64_t cycles);

  // ---- observation ---------------------------------------------------------------------------
  const std::string& name() const { return name_; }
  const Guard& guard() const { return guard_; }
  const Stats& stats() const { return stats_; }
  unsigned workers_inside() const { return inside_; }
  // Time with at least two workers inside at once (so far).
  Picos overlap_ps() const;
  // The guard's lines (its lock word and state; a per-CPU guard's slots too) and the queue
  // table's line.
  CacheModel::LineStats guard_lines() const {
    CacheModel::LineStats sum;
    guard_.for_each_region(
        [&](const void* begin, std::size_t bytes) { sum += platform_.lines_of(begin, bytes); });
    return sum;
  }
  CacheModel::LineStats table_lines() const { return platform_.lines_of(&table_, sizeof table_); }
  const std::vector<std::unique_ptr<Cq>>& cqs() const { return cqs_; }

 private:
  void came_in();
  void went_out();
  void trace_state() { state_.set(static_cast<std::uint64_t>(guard_.state())); }
  static Wq* find(Cq& cq, std::uint32_t qpn);
  static std::uint64_t ns(Picos p) { return (p + 500) / 1000; }

  std::string name_;
  AdapterContext& adapter_;
  SimPlatform& platform_;
  HostParams params_;
  Guard guard_;
  // The driver's queue table: looked up by every post and poll, changed by every update.
  struct alignas(sync::kCacheLine) Table {
    SimPlatform::Word generation;
  } table_;
  std::vector<std::unique_ptr<Cq>> cqs_;
  std::vector<std::unique_ptr<Wq>> wqs_;
  // watching (observation only, not modelled)
  unsigned inside_ = 0;
  bool updating_ = false;
  unsigned updates_pending_ = 0;
  Picos overlap_since_ = 0;
  Picos overlap_ps_ = 0;
  Stats stats_;
  TracedInt workers_inside_, update_pending_, updater_active_, state_;
};

template <class Fn>
bool AdapterDriver::work(SimContext& c, Fn&& fn) {
  const Picos asked = now_ps();
  if (!guard_.enter(c)) return false;
  const Picos waited = now_ps() - asked;
  stats_.worker_wait_ps += waited;
  stats_.worker_wait_ns.record(ns(waited));
  came_in();
  std::forward<Fn>(fn)();
  went_out();
  const Picos leaving = now_ps();
  guard_.exit(c);
  stats_.worker_exit_ps += now_ps() - leaving;
  ++stats_.sections;
  trace_state();
  return true;
}

template <class Fn>
bool AdapterDriver::try_work(SimContext& c, Fn&& fn) {
  if (!guard_.try_enter(c)) {
    ++stats_.busy;
    return false;
  }
  came_in();
  std::forward<Fn>(fn)();
  went_out();
  guard_.exit(c);
  ++stats_.sections;
  trace_state();
  return true;
}

template <class Fn>
bool AdapterDriver::update(SimContext& c, std::uint64_t cycles, Fn&& fn) {
  const Picos asked = now_ps();
  update_pending_.set(1);
  ++updates_pending_;
  const bool ok = guard_.begin_update(c);
  if (ok) {
    const Picos started = now_ps();
    stats_.updater_latency_ns.record(ns(started - asked));
    if (inside_ != 0 || updating_) ++stats_.violations;  // not exclusive
    updating_ = true;
    updater_active_.set(1);
    trace_state();
    platform_.fetch_add(c, table_.generation, 1, std::memory_order_relaxed);
    std::forward<Fn>(fn)();
    c.run(cycles);
    if (inside_ != 0) ++stats_.violations;  // a worker came in meanwhile
    updating_ = false;
    updater_active_.set(0);
    guard_.end_update(c);
    ++stats_.updates;
    stats_.update_ps += now_ps() - started;
    stats_.update_ns.record(ns(now_ps() - started));
  }
  if (--updates_pending_ == 0) update_pending_.set(0);
  trace_state();
  return ok;
}

}  // namespace hcasim
