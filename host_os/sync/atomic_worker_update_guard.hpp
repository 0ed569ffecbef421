#pragma once
// The synchronization algorithm (docs/sync.md, US 7,143,410) in its single-atomic-word form
// (host.sync = algorithm_atomic), written once over a platform P (platform.hpp).
//
// Same guarantee and same states as WorkerUpdateGuard: workers run concurrently, an update runs
// only when no worker is inside, and no worker enters while it runs; try_enter reports "busy"
// during an update and the update's end re-triggers the deferred work. What changes is the cost
// of the common case: while no update is pending, a worker enters with one fetch_add on the
// state word (count itself in, read the update bit in the same instruction) and leaves with
// another. The small lock is taken only on the slow paths: a worker that arrived during an
// update backs out, then waits or defers under the lock; the updater announces and waits under
// it. With short work sections this is the difference between one line transfer per enter and
// exit and the four or so of a contended lock hand-off (docs/sync.md, "The physical limit").
#include <atomic>
#include <cassert>
#include <cstdint>
#include <utility>

#include "host_os/sync/guard_interface.hpp"
#include "host_os/sync/platform.hpp"
#include "host_os/sync/sync_stats.hpp"

namespace hcasim::sync {

template <class P>
class AtomicWorkerUpdateGuard : public ScopedUpdates<AtomicWorkerUpdateGuard<P>> {
  static_assert(is_platform_v<P>, "P must model the platform concept of platform.hpp");

 public:
  using Platform = P;
  using Context = typename P::Context;

  explicit AtomicWorkerUpdateGuard(P& platform, Retrigger<P> retrigger = {})
      : platform_(platform), retrigger_(std::move(retrigger)) {}
  AtomicWorkerUpdateGuard(const AtomicWorkerUpdateGuard&) = delete;
  AtomicWorkerUpdateGuard& operator=(const AtomicWorkerUpdateGuard&) = delete;

  // Worker enter: one fetch_add while no update is pending; otherwise waits for the update to
  // end and tries again. False only once destroyed.
  [[nodiscard]] bool enter(Context& c) {
    P& p = platform_;
    bool counted_wait = false;
    for (;;) {
      const std::uint64_t s = arrive(c);
      if (!(s & kRefused)) return true;
      const std::uint64_t b = refuse(c);
      if (s & kDestroyed) return false;  // destroyed stays destroyed: no update to hand over
      p.lock(c, slow_.lock);
      if (last_before_update(b)) hand_over_if_last(c, b);
      if (!counted_wait) {
        SyncCounters::bump_locked(slow_.counters.worker_waits);
        counted_wait = true;
      }
      // The update bit changes only under the small lock, so this wait cannot miss its clearing.
      p.wait(c, queues_.update_done, slow_.lock, [&] {
        return (p.load(c, hot_.state, std::memory_order_relaxed) & (kUpdatePending | kDestroyed)) !=
               kUpdatePending;
      });
      p.unlock(c, slow_.lock);
    }
  }

  // Worker enter that never blocks (interrupt/DPC context). Busy while an update is pending: the
  // deferral is recorded under the small lock while that update is still pending, so its end
  // reports it.
  [[nodiscard]] bool try_enter(Context& c) {
    P& p = platform_;
    for (;;) {
      const std::uint64_t s = arrive(c);
      if (!(s & kRefused)) return true;
      const std::uint64_t b = refuse(c);
      if (s & kDestroyed) return false;
      p.lock(c, slow_.lock);
      const std::uint64_t now = hand_over_if_last(c, b);
      if (now & kDestroyed) {
        p.unlock(c, slow_.lock);
        return false;
      }
      if (now & kUpdatePending) {
        p.store(c, slow_.deferred, p.load(c, slow_.deferred, std::memory_order_relaxed) + 1,
                std::memory_order_relaxed);
        SyncCounters::bump_locked(slow_.counters.busy_returns);
        p.unlock(c, slow_.lock);
        return false;
      }
      p.unlock(c, slow_.lock);  // the update ended meanwhile: try again
    }
  }

  // Worker exit: one fetch_add. Only the worker that empties the resource while an update waits
  // takes the small lock, to hand the resource over.
  void exit(Context& c) {
    P& p = platform_;
    const std::uint64_t b = back_out(c);
    if (!last_before_update(b)) return;
    p.lock(c, slow_.lock);
    hand_over_if_last(c, b);
    // design decision: as in the small-lock form, the updater goes on only once it reads the
    // hand-over under the lock, so the exiting worker does not touch the guard after unlocking
    // (the updater may tear the resource down and free it).
    p.unlock(c, slow_.lock);
  }

  // Takes exclusive access: waits for a running update (updaters serialize), announces the
  // update with one fetch_add (arrivals from now on back out), then, if workers were inside at
  // that instant, waits until the one that empties the resource hands it over.
  [[nodiscard]] bool begin_update(Context& c) {
    P& p = platform_;
    p.lock(c, slow_.lock);
    std::uint64_t s = 0;
    p.cost(c, kBookkeepingCycles);
    // design decision: a second updater waits on the workers' queue, as in the small-lock form.
    p.wait(c, queues_.update_done, slow_.lock, [&] {
      s = p.load(c, hot_.state, std::memory_order_relaxed);
      return (s & (kUpdatePending | kDestroyed)) != kUpdatePending;
    });
    if (s & kDestroyed) {
      p.unlock(c, slow_.lock);
      return false;
    }
    // The update bit and the epoch change only under the small lock, so s holds their current
    // values: the delta sets the bit and moves the epoch on (wrapping inside its field).
    const std::uint64_t old_epoch = epoch_of(s);
    const std::uint64_t epoch = (old_epoch + 1) & kEpochMax;
    const std::uint64_t before = p.fetch_add(
        c, hot_.state, kUpdatePending + (epoch << kEpochShift) - (old_epoch << kEpochShift),
        std::memory_order_acq_rel);
    const bool inside = (before & kActiveMask) != 0;
    // Nobody inside: the updater hands the resource to itself. Else any older hand-over is
    // cleared, so only this epoch's can release the wait below.
    p.store(c, slow_.drained, inside ? old_epoch : epoch, std::memory_order_relaxed);
    if (inside) {
      SyncCounters::bump_locked(slow_.counters.drain_waits);
      p.wait(c, queues_.drained, slow_.lock,
             [&] { return p.load(c, slow_.drained, std::memory_order_relaxed) == epoch; });
    }
    p.unlock(c, slow_.lock);
    return true;
  }

  // Ends the update begun by begin_update (or tears the resource down), wakes the waiters and
  // re-triggers the workers that deferred. Returns how many deferred.
  std::uint64_t end_update(Context& c, UpdateEnd how = UpdateEnd::keep) {
    P& p = platform_;
    p.lock(c, slow_.lock);
    const std::uint64_t deferred = p.load(c, slow_.deferred, std::memory_order_relaxed);
    if (deferred != 0) p.store(c, slow_.deferred, 0, std::memory_order_relaxed);
    // design decision: the teardown update reports its deferred workers too (they learn of the
    // teardown when re-triggered), as in the small-lock form.
    const std::uint64_t delta =
        how == UpdateEnd::destroy ? kDestroyed - kUpdatePending : 0 - kUpdatePending;
    [[maybe_unused]] const std::uint64_t s =
        p.fetch_add(c, hot_.state, delta, std::memory_order_acq_rel);
    p.cost(c, kBookkeepingCycles);
    assert((s & kUpdatePending) && "end_update without begin_update");
    SyncCounters::bump_locked(slow_.counters.updates);
    p.unlock(c, slow_.lock);
    p.notify_all(c, queues_.update_done);
    if (deferred != 0 && retrigger_) retrigger_(c, deferred);
    return deferred;
  }

  // Observation for tracing (no modelled access, no lock: may be momentarily stale). active()
  // also counts, for an instant, a worker that arrived during an update and is backing out.
  std::uint64_t active() const { return platform_.peek(hot_.state) & kActiveMask; }
  bool update_pending() const { return platform_.peek(hot_.state) & kUpdatePending; }
  bool destroyed() const { return platform_.peek(hot_.state) & kDestroyed; }
  GuardState state() const {
    const std::uint64_t s = platform_.peek(hot_.state);
    if (s & kDestroyed) return GuardState::destroyed;
    if (s & kUpdatePending) {
      return platform_.peek(slow_.drained) == epoch_of(s) ? GuardState::updating
                                                          : GuardState::draining;
    }
    return (s & kActiveMask) ? GuardState::working : GuardState::idle;
  }
  SyncStats stats() const {
    SyncStats st = slow_.counters.snapshot();
    const std::uint64_t s = platform_.peek(hot_.state);
    const std::uint64_t arrivals =
        (slow_.arrival_wraps.load(std::memory_order_relaxed) << kArrivalShift) +
        (s >> kArrivalShift);
    st.enters = arrivals - slow_.refused.load(std::memory_order_relaxed);
    st.exits = st.enters - (s & kActiveMask);
    return st;
  }
  // The memory the guard's modelled words live in (for per-line statistics).
  template <class Fn>
  void for_each_region(Fn&& fn) const {
    fn(static_cast<const void*>(this), sizeof *this);
  }

 private:
  // The state word: workers counted in (bits 0-15, including arrivals backing out), update
  // pending (16), destroyed (17), the epoch of the latest update modulo 2^14 (18-31), and the
  // fast-path arrivals modulo 2^32 (32-63).
  // design decision: the deferred count lives in a word of its own under the small lock, not in
  // the state word: deferrals are recorded only on the slow path, so the state word keeps room
  // for the arrival count, which gives the statistics' enters without a second atomic on the
  // fast path (enters = arrivals - refused arrivals, exits = enters - inside).
  static constexpr std::uint64_t kActiveUnit = 1;
  static constexpr std::uint64_t kActiveMask = (std::uint64_t{1} << 16) - 1;
  static constexpr std::uint64_t kUpdatePending = std::uint64_t{1} << 16;
  static constexpr std::uint64_t kDestroyed = std::uint64_t{1} << 17;
  static constexpr std::uint64_t kRefused = kUpdatePending | kDestroyed;
  static constexpr unsigned kEpochShift = 18;
  static constexpr std::uint64_t kEpochMax = (std::uint64_t{1} << 14) - 1;
  static constexpr unsigned kArrivalShift = 32;
  static constexpr std::uint64_t kArrivalUnit = std::uint64_t{1} << kArrivalShift;
  static constexpr std::uint64_t kArrivalMax = (std::uint64_t{1} << 32) - 1;
  static constexpr std::uint64_t kBookkeepingCycles = 4;

  static std::uint64_t epoch_of(std::uint64_t s) { return (s >> kEpochShift) & kEpochMax; }
  // `before` is the word just before a worker's back-out or exit: it took the count to zero
  // while an update was pending, so it must hand the resource over to that update.
  static bool last_before_update(std::uint64_t before) {
    return (before & kUpdatePending) && (before & kActiveMask) == kActiveUnit;
  }

  // The fast path: counts the caller in and returns the word before (its update bit says
  // whether the caller may stay).
  std::uint64_t arrive(Context& c) {
    P& p = platform_;
    const std::uint64_t s =
        p.fetch_add(c, hot_.state, kActiveUnit + kArrivalUnit, std::memory_order_acq_rel);
    p.cost(c, kBookkeepingCycles);
    assert((s & kActiveMask) != kActiveMask && "too many workers inside");
    if ((s >> kArrivalShift) == kArrivalMax) SyncCounters::bump_shared(slow_.arrival_wraps);
    return s;
  }

  // Counts the caller out (exit, or an arrival that found an update pending); returns the word
  // before.
  std::uint64_t back_out(Context& c) {
    P& p = platform_;
    const std::uint64_t s = p.fetch_add(c, hot_.state, 0 - kActiveUnit, std::memory_order_acq_rel);
    p.cost(c, kBookkeepingCycles);
    assert((s & kActiveMask) != 0 && "exit without enter");
    return s;
  }

  // An arrival that found an update pending (or the resource destroyed) backs out; counted, so
  // that enters = arrivals - refused. Returns the word before the back-out.
  std::uint64_t refuse(Context& c) {
    SyncCounters::bump_shared(slow_.refused);
    return back_out(c);
  }

  // Under the small lock, after a back-out or exit that left `before`: if that emptied the
  // resource while an update was pending and that same update (same epoch) still is, tell its
  // updater. A worker delayed on the way here may find a later update pending, which it must not
  // release (workers may be inside by now): hence the epoch. Returns the current word.
  std::uint64_t hand_over_if_last(Context& c, std::uint64_t before) {
    P& p = platform_;
    const std::uint64_t now = p.load(c, hot_.state, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    if (last_before_update(before) && (now & kUpdatePending) && epoch_of(now) == epoch_of(before)) {
      p.store(c, slow_.drained, epoch_of(before), std::memory_order_relaxed);
      p.notify_all(c, queues_.drained);
    }
    return now;
  }

  // Read-only after construction.
  P& platform_;
  Retrigger<P> retrigger_;
  // Written by every enter and exit: a line of its own.
  struct alignas(kCacheLine) Hot {
    typename P::Word state;  // see the k* constants
  } hot_;
  // The slow paths' line: touched only around updates.
  struct alignas(kCacheLine) Slow {
    typename P::SpinLock lock;
    typename P::Word deferred;  // busy try_enters during the pending update; under lock
    typename P::Word drained;   // epoch whose updater may go on (the hand-over); under lock
    SyncCounters counters;      // under lock; enters and exits come from the state word
    std::atomic<std::uint64_t> arrival_wraps{0};  // times the arrival count in state wrapped
    std::atomic<std::uint64_t> refused{0};        // arrivals that backed out
  } slow_;
  // Touched only when somebody blocks.
  struct alignas(kCacheLine) Queues {
    typename P::WaitQueue update_done;  // workers and updaters waiting for an update to end
    typename P::WaitQueue drained;      // the updater waiting for the hand-over
  } queues_;
};

}  // namespace hcasim::sync
