#pragma once
// Baseline: one spin lock serializes everything -- every worker holds it for the whole of its
// work, and so does every updater. The simplest correct answer, against which the algorithm's
// worker concurrency is measured. Same interface as WorkerUpdateGuard (guard_interface.hpp).
#include <cassert>
#include <cstdint>
#include <utility>

#include "host_os/sync/guard_interface.hpp"
#include "host_os/sync/platform.hpp"
#include "host_os/sync/sync_stats.hpp"

namespace hcasim::sync {

template <class P>
class GlobalSpinLock : public ScopedUpdates<GlobalSpinLock<P>> {
  static_assert(is_platform_v<P>, "P must model the platform concept of platform.hpp");

 public:
  using Platform = P;
  using Context = typename P::Context;

  // The retrigger is accepted for a uniform constructor but never called: nothing defers.
  explicit GlobalSpinLock(P& platform, Retrigger<P> /*retrigger*/ = {}) : platform_(platform) {}
  GlobalSpinLock(const GlobalSpinLock&) = delete;
  GlobalSpinLock& operator=(const GlobalSpinLock&) = delete;

  [[nodiscard]] bool enter(Context& c) { return acquire(c, kWorker); }

  // design decision: a driver built on one global spin lock spins for it in DPC context too
  // (spinning is not blocking), so try_enter never returns busy and nothing is ever deferred.
  [[nodiscard]] bool try_enter(Context& c) { return acquire(c, kWorker); }

  void exit(Context& c) { release(c, kWorker, 0, hot_.counters.exits); }

  [[nodiscard]] bool begin_update(Context& c) { return acquire(c, kUpdating); }

  std::uint64_t end_update(Context& c, UpdateEnd how = UpdateEnd::keep) {
    release(c, kUpdating, how == UpdateEnd::destroy ? kDestroyed : 0, hot_.counters.updates);
    return 0;
  }

  std::uint64_t active() const { return (platform_.peek(hot_.state) & kWorker) ? 1 : 0; }
  bool update_pending() const { return platform_.peek(hot_.state) & kUpdating; }
  bool destroyed() const { return platform_.peek(hot_.state) & kDestroyed; }
  GuardState state() const {
    const std::uint64_t s = platform_.peek(hot_.state);
    if (s & kDestroyed) return GuardState::destroyed;
    if (s & kUpdating) return GuardState::updating;
    return (s & kWorker) ? GuardState::working : GuardState::idle;
  }
  SyncStats stats() const { return hot_.counters.snapshot(); }
  // The memory the guard's modelled words live in (for per-line statistics).
  template <class Fn>
  void for_each_region(Fn&& fn) const {
    fn(static_cast<const void*>(this), sizeof *this);
  }

 private:
  // Who holds the lock, for tracing (written only by the holder).
  static constexpr std::uint64_t kWorker = 1;
  static constexpr std::uint64_t kUpdating = 2;
  static constexpr std::uint64_t kDestroyed = 4;
  static constexpr std::uint64_t kBookkeepingCycles = 4;

  bool acquire(Context& c, std::uint64_t holder) {
    P& p = platform_;
    p.lock(c, hot_.lock);
    const std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    if (s & kDestroyed) {
      p.unlock(c, hot_.lock);
      return false;
    }
    p.store(c, hot_.state, holder, std::memory_order_relaxed);
    if (holder == kWorker) SyncCounters::bump_locked(hot_.counters.enters);
    return true;  // still holding the lock: the caller works (or updates) under it
  }

  void release(Context& c, [[maybe_unused]] std::uint64_t holder, std::uint64_t next,
               std::atomic<std::uint64_t>& counter) {
    P& p = platform_;
    assert(p.peek(hot_.state) == holder && "release by a caller that does not hold the lock");
    p.cost(c, kBookkeepingCycles);
    p.store(c, hot_.state, next, std::memory_order_relaxed);
    SyncCounters::bump_locked(counter);
    p.unlock(c, hot_.lock);
  }

  P& platform_;
  struct alignas(kCacheLine) Hot {
    typename P::SpinLock lock;  // held by the worker or updater for its whole work
    typename P::Word state;     // kWorker / kUpdating / kDestroyed, written by the holder
    SyncCounters counters;
  } hot_;
};

}  // namespace hcasim::sync
