#pragma once
// Synchronizing many worker threads with one update thread (seed-algorithms.md section 1,
// US 7,143,410), in its small-lock form, written once over a platform P (platform.hpp).
//
// Workers run concurrently: entering and leaving cost one short critical section each, and no
// lock is held while working. An update runs only when no worker is inside, and no worker enters
// while it runs. Interrupt/DPC callers use try_enter, which returns "busy" during an update; the
// update's end reports how many deferred, so their work is re-triggered and nothing is lost.
// The common guard interface is described in guard_interface.hpp.
#include <cassert>
#include <cstdint>
#include <utility>

#include "host_os/sync/guard_interface.hpp"
#include "host_os/sync/platform.hpp"
#include "host_os/sync/sync_stats.hpp"

namespace hcasim::sync {

template <class P>
class WorkerUpdateGuard : public ScopedUpdates<WorkerUpdateGuard<P>> {
  static_assert(is_platform_v<P>, "P must model the platform concept of platform.hpp");

 public:
  using Platform = P;
  using Context = typename P::Context;

  explicit WorkerUpdateGuard(P& platform, Retrigger<P> retrigger = {})
      : platform_(platform), retrigger_(std::move(retrigger)) {}
  WorkerUpdateGuard(const WorkerUpdateGuard&) = delete;
  WorkerUpdateGuard& operator=(const WorkerUpdateGuard&) = delete;

  // Worker enter: waits while an update is pending. False only once destroyed.
  [[nodiscard]] bool enter(Context& c) {
    P& p = platform_;
    p.lock(c, hot_.lock);
    bool counted_wait = false;
    for (;;) {
      const std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
      p.cost(c, kBookkeepingCycles);
      if (s & kDestroyed) {
        p.unlock(c, hot_.lock);
        return false;
      }
      if (!(s & kUpdatePending)) {
        p.store(c, hot_.state, s + 1, std::memory_order_relaxed);
        SyncCounters::bump_locked(hot_.counters.enters);
        p.unlock(c, hot_.lock);
        return true;
      }
      if (!counted_wait) {
        SyncCounters::bump_locked(hot_.counters.worker_waits);
        counted_wait = true;
      }
      // design decision: a worker woken at the end of an update competes for the small lock
      // with any next updater; if that updater wins, the worker waits for its update too (the
      // seed doc's "go back to 1"). Updates are short and rare, so no hand-off is arranged.
      p.wait(c, queues_.update_done, hot_.lock, [&] {
        return (p.load(c, hot_.state, std::memory_order_relaxed) & (kUpdatePending | kDestroyed)) !=
               kUpdatePending;
      });
    }
  }

  // Worker enter that never blocks (interrupt/DPC context). Busy while an update is pending
  // (draining or updating): the deferral is recorded and reported by that update's end.
  [[nodiscard]] bool try_enter(Context& c) {
    P& p = platform_;
    p.lock(c, hot_.lock);
    const std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    if (s & kDestroyed) {
      p.unlock(c, hot_.lock);
      return false;
    }
    if (s & kUpdatePending) {
      assert((s >> kDeferredShift) + 1 < (std::uint64_t{1} << (64 - kDeferredShift)));
      p.store(c, hot_.state, s + kDeferredUnit, std::memory_order_relaxed);
      SyncCounters::bump_locked(hot_.counters.busy_returns);
      p.unlock(c, hot_.lock);
      return false;
    }
    p.store(c, hot_.state, s + 1, std::memory_order_relaxed);
    SyncCounters::bump_locked(hot_.counters.enters);
    p.unlock(c, hot_.lock);
    return true;
  }

  void exit(Context& c) {
    P& p = platform_;
    p.lock(c, hot_.lock);
    const std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed) - 1;
    p.cost(c, kBookkeepingCycles);
    assert(((s + 1) & kActiveMask) != 0 && "exit without enter");
    p.store(c, hot_.state, s, std::memory_order_relaxed);
    SyncCounters::bump_locked(hot_.counters.exits);
    // design decision: the last exit signals the updater under the lock: once the lock is free
    // the updater may run, tear the resource down and free this object, so the exiting worker
    // must not touch it after unlocking (costs a wake-up inside the lock, only when draining).
    if ((s & kActiveMask) == 0 && (s & kUpdatePending)) p.notify_all(c, queues_.drained);
    p.unlock(c, hot_.lock);
  }

  // Takes exclusive access: waits for a running update (updaters serialize), announces the
  // update (new workers now wait or get busy), then waits for the workers inside to leave.
  [[nodiscard]] bool begin_update(Context& c) {
    P& p = platform_;
    p.lock(c, hot_.lock);
    std::uint64_t s = 0;
    p.cost(c, kBookkeepingCycles);
    // design decision: a second updater waits on the same queue as workers, without announcing
    // itself (workers keep entering until it owns update_pending); when the update ends,
    // whoever takes the small lock first goes on (no FIFO among updaters).
    p.wait(c, queues_.update_done, hot_.lock, [&] {
      s = p.load(c, hot_.state, std::memory_order_relaxed);
      return (s & (kUpdatePending | kDestroyed)) != kUpdatePending;
    });
    if (s & kDestroyed) {
      p.unlock(c, hot_.lock);
      return false;
    }
    p.store(c, hot_.state, s | kUpdatePending, std::memory_order_relaxed);
    if (s & kActiveMask) {
      SyncCounters::bump_locked(hot_.counters.drain_waits);
      p.wait(c, queues_.drained, hot_.lock,
             [&] { return (p.load(c, hot_.state, std::memory_order_relaxed) & kActiveMask) == 0; });
    }
    p.unlock(c, hot_.lock);
    return true;
  }

  // Ends the update begun by begin_update (or tears the resource down), wakes the waiters and
  // re-triggers the workers that deferred. Returns how many deferred.
  std::uint64_t end_update(Context& c, UpdateEnd how = UpdateEnd::keep) {
    P& p = platform_;
    p.lock(c, hot_.lock);
    const std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    assert((s & kUpdatePending) && (s & kActiveMask) == 0 && "end_update without begin_update");
    const std::uint64_t deferred = s >> kDeferredShift;
    // design decision: the teardown update reports its deferred workers too: re-triggered,
    // they find the resource destroyed, which is how they learn to flush their work.
    const std::uint64_t next = how == UpdateEnd::destroy ? kDestroyed : 0;
    p.store(c, hot_.state, next, std::memory_order_relaxed);
    SyncCounters::bump_locked(hot_.counters.updates);
    p.unlock(c, hot_.lock);
    // After unlocking: the woken do not then spin on a lock we hold. The updater is the caller
    // that may free this object, so touching it here is safe.
    p.notify_all(c, queues_.update_done);
    if (deferred != 0 && retrigger_) retrigger_(c, deferred);
    return deferred;
  }

  // Observation for tracing (no modelled access, no lock: may be momentarily stale).
  std::uint64_t active() const { return platform_.peek(hot_.state) & kActiveMask; }
  bool update_pending() const { return platform_.peek(hot_.state) & kUpdatePending; }
  bool destroyed() const { return platform_.peek(hot_.state) & kDestroyed; }
  GuardState state() const {
    const std::uint64_t s = platform_.peek(hot_.state);
    if (s & kDestroyed) return GuardState::destroyed;
    if (s & kUpdatePending) return (s & kActiveMask) ? GuardState::draining : GuardState::updating;
    return (s & kActiveMask) ? GuardState::working : GuardState::idle;
  }
  SyncStats stats() const { return hot_.counters.snapshot(); }
  // The memory the guard's modelled words live in (for per-line statistics).
  template <class Fn>
  void for_each_region(Fn&& fn) const {
    fn(static_cast<const void*>(this), sizeof *this);
  }

 private:
  // design decision: the fields the small lock guards -- active, update_pending, destroyed and
  // the deferred count -- are packed into one word next to the lock, so a critical section is
  // one load and one store on a line the lock already brought in.
  static constexpr std::uint64_t kActiveMask = (std::uint64_t{1} << 32) - 1;
  static constexpr std::uint64_t kUpdatePending = std::uint64_t{1} << 32;
  static constexpr std::uint64_t kDestroyed = std::uint64_t{1} << 33;
  static constexpr unsigned kDeferredShift = 34;
  static constexpr std::uint64_t kDeferredUnit = std::uint64_t{1} << kDeferredShift;
  // design decision: the non-memory instructions of one critical section (mask, compare, add,
  // branch) are charged as a few cycles; the platform charges the memory accesses itself.
  static constexpr std::uint64_t kBookkeepingCycles = 4;

  // Read-only after construction.
  P& platform_;
  Retrigger<P> retrigger_;
  // Written by every enter and exit: one line.
  struct alignas(kCacheLine) Hot {
    typename P::SpinLock lock;
    typename P::Word state;  // guarded by lock; see the k* constants
    SyncCounters counters;
  } hot_;
  // Touched only when somebody blocks, so waits do not disturb the hot line.
  struct alignas(kCacheLine) Queues {
    typename P::WaitQueue update_done;  // workers and updaters waiting for an update to end
    typename P::WaitQueue drained;      // the updater waiting for the last worker to leave
  } queues_;
};

}  // namespace hcasim::sync
