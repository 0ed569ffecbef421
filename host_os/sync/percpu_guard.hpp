#pragma once
// Baseline: the per-CPU design (host.sync = percpu) of Linux's percpu-rwsem and of "big reader"
// locks, with the same guarantee and interface as WorkerUpdateGuard (guard_interface.hpp).
//
// Each worker marks itself in on its own CPU's slot (a cache line of its own) and then reads
// the update flag, a line every CPU keeps a shared copy of; leaving, it takes its mark back. No
// line moves between workers, so workers cost each other nothing. The updater pays instead: it
// announces (one write, which invalidates every CPU's copy of the flag), then reads every
// CPU's slot until the marks sum to zero, so its latency grows with the number of CPUs; and
// each worker leaving while it waits wakes it. docs/sync.md compares the designs.
//
// Ordering: the worker's "mark, then read the flag" and the updater's "set the flag, then read
// the marks" are the store-buffering pattern, so all four accesses are sequentially consistent
// (on x86 the locked read-modify-writes are the fences): one side always sees the other.
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "host_os/sync/guard_interface.hpp"
#include "host_os/sync/platform.hpp"
#include "host_os/sync/sync_stats.hpp"

namespace hcasim::sync {

template <class P>
class PerCpuGuard : public ScopedUpdates<PerCpuGuard<P>> {
  static_assert(is_platform_v<P>, "P must model the platform concept of platform.hpp");

 public:
  using Platform = P;
  using Context = typename P::Context;

  // One slot per slot of the platform (slot_count_of); a caller uses slot_of(platform, c).
  explicit PerCpuGuard(P& platform, Retrigger<P> retrigger = {})
      : platform_(platform),
        retrigger_(std::move(retrigger)),
        slot_count_(slot_count_of(platform)),
        slots_(new Slot[slot_count_]) {}
  PerCpuGuard(const PerCpuGuard&) = delete;
  PerCpuGuard& operator=(const PerCpuGuard&) = delete;

  // Worker enter: marks itself on its slot and reads the flag; waits while an update is
  // pending. False only once destroyed.
  [[nodiscard]] bool enter(Context& c) {
    P& p = platform_;
    Slot& mine = slot(c);
    bool counted_wait = false;
    for (;;) {
      const std::uint64_t f = arrive(c, mine);
      if (!(f & kRefused)) return true;
      refuse(c, mine);
      if (f & kDestroyed) return false;
      p.lock(c, slow_.lock);
      p.notify_all(c, queues_.drained);  // the updater may have counted the mark just taken back
      if (!counted_wait) {
        SyncCounters::bump_locked(slow_.counters.worker_waits);
        counted_wait = true;
      }
      // The flag changes only under the small lock, so this wait cannot miss its clearing.
      p.wait(c, queues_.update_done, slow_.lock, [&] {
        return (p.load(c, flag_.word, std::memory_order_seq_cst) & kRefused) != kUpdatePending;
      });
      p.unlock(c, slow_.lock);
    }
  }

  // Worker enter that never blocks: busy while an update is pending, recorded under the small
  // lock while that update is still pending, so its end reports it.
  [[nodiscard]] bool try_enter(Context& c) {
    P& p = platform_;
    Slot& mine = slot(c);
    for (;;) {
      const std::uint64_t f = arrive(c, mine);
      if (!(f & kRefused)) return true;
      refuse(c, mine);
      if (f & kDestroyed) return false;
      p.lock(c, slow_.lock);
      p.notify_all(c, queues_.drained);
      const std::uint64_t now = p.load(c, flag_.word, std::memory_order_seq_cst);
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

  // Worker exit: takes the mark back; while an update is pending, wakes its updater to count
  // again. The guard must outlive the call (the updater may go on before the wake-up).
  void exit(Context& c) {
    P& p = platform_;
    Slot& mine = slot(c);
    [[maybe_unused]] const std::uint64_t m =
        p.fetch_add(c, mine.mark, 0 - kMarkUnit, std::memory_order_seq_cst);
    assert((m & kMarkMask) != 0 && "exit without enter on this slot");
    const std::uint64_t f = p.load(c, flag_.word, std::memory_order_seq_cst);
    p.cost(c, kBookkeepingCycles);
    if (!(f & kUpdatePending)) return;
    p.lock(c, slow_.lock);
    p.notify_all(c, queues_.drained);
    p.unlock(c, slow_.lock);
  }

  // Takes exclusive access: waits for a running update, sets the flag, then waits until every
  // slot's marks are gone (it re-reads all slots at each wake-up).
  [[nodiscard]] bool begin_update(Context& c) {
    P& p = platform_;
    p.lock(c, slow_.lock);
    std::uint64_t f = 0;
    p.cost(c, kBookkeepingCycles);
    p.wait(c, queues_.update_done, slow_.lock, [&] {
      f = p.load(c, flag_.word, std::memory_order_seq_cst);
      return (f & kRefused) != kUpdatePending;
    });
    if (f & kDestroyed) {
      p.unlock(c, slow_.lock);
      return false;
    }
    p.fetch_add(c, flag_.word, kUpdatePending, std::memory_order_seq_cst);
    if (!marks_clear(c)) {
      SyncCounters::bump_locked(slow_.counters.drain_waits);
      p.wait(c, queues_.drained, slow_.lock, [&] { return marks_clear(c); });
    }
    p.unlock(c, slow_.lock);
    return true;
  }

  // Ends the update (or tears the resource down), wakes the waiters, re-triggers the deferred.
  std::uint64_t end_update(Context& c, UpdateEnd how = UpdateEnd::keep) {
    P& p = platform_;
    p.lock(c, slow_.lock);
    const std::uint64_t deferred = p.load(c, slow_.deferred, std::memory_order_relaxed);
    if (deferred != 0) p.store(c, slow_.deferred, 0, std::memory_order_relaxed);
    const std::uint64_t delta =
        how == UpdateEnd::destroy ? kDestroyed - kUpdatePending : 0 - kUpdatePending;
    [[maybe_unused]] const std::uint64_t f =
        p.fetch_add(c, flag_.word, delta, std::memory_order_seq_cst);
    p.cost(c, kBookkeepingCycles);
    assert((f & kUpdatePending) && "end_update without begin_update");
    SyncCounters::bump_locked(slow_.counters.updates);
    p.unlock(c, slow_.lock);
    p.notify_all(c, queues_.update_done);
    if (deferred != 0 && retrigger_) retrigger_(c, deferred);
    return deferred;
  }

  // Observation (no modelled access; a sum over the slots, momentarily stale).
  std::uint64_t active() const {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < slot_count_; ++i) sum += platform_.peek(slots_[i].mark);
    return sum & kMarkMask;
  }
  bool update_pending() const { return platform_.peek(flag_.word) & kUpdatePending; }
  bool destroyed() const { return platform_.peek(flag_.word) & kDestroyed; }
  GuardState state() const {
    const std::uint64_t f = platform_.peek(flag_.word);
    if (f & kDestroyed) return GuardState::destroyed;
    if (f & kUpdatePending) return active() ? GuardState::draining : GuardState::updating;
    return active() ? GuardState::working : GuardState::idle;
  }
  SyncStats stats() const {
    SyncStats st = slow_.counters.snapshot();
    std::uint64_t arrivals = slow_.arrival_wraps.load(std::memory_order_relaxed) << kArrivalShift;
    for (std::size_t i = 0; i < slot_count_; ++i)
      arrivals += platform_.peek(slots_[i].mark) >> kArrivalShift;
    st.enters = arrivals - slow_.refused.load(std::memory_order_relaxed);
    st.exits = st.enters - active();
    return st;
  }
  std::size_t slot_count() const { return slot_count_; }
  // The memory the guard's modelled words live in (for per-line statistics): the object and
  // its slots.
  template <class Fn>
  void for_each_region(Fn&& fn) const {
    fn(static_cast<const void*>(this), sizeof *this);
    fn(static_cast<const void*>(slots_.get()), sizeof(Slot) * slot_count_);
  }

 private:
  // A slot's mark word: marks inside (bits 0-31) and arrivals on this slot modulo 2^32
  // (32-63), so the statistics' enters cost no second atomic. The flag: update pending (bit 0),
  // destroyed (bit 1).
  static constexpr std::uint64_t kMarkUnit = 1;
  static constexpr std::uint64_t kMarkMask = (std::uint64_t{1} << 32) - 1;
  static constexpr unsigned kArrivalShift = 32;
  static constexpr std::uint64_t kArrivalUnit = std::uint64_t{1} << kArrivalShift;
  static constexpr std::uint64_t kArrivalMax = (std::uint64_t{1} << 32) - 1;
  static constexpr std::uint64_t kUpdatePending = 1;
  static constexpr std::uint64_t kDestroyed = 2;
  static constexpr std::uint64_t kRefused = kUpdatePending | kDestroyed;
  static constexpr std::uint64_t kBookkeepingCycles = 4;

  struct alignas(kCacheLine) Slot {
    typename P::Word mark;  // written by its CPU's workers, read by the updater
  };

  Slot& slot(const Context& c) {
    const std::size_t i = slot_of(platform_, c);
    assert(i < slot_count_ && "slot out of range");
    return slots_[i];
  }

  // The fast path: mark, then read the flag (returned).
  std::uint64_t arrive(Context& c, Slot& mine) {
    P& p = platform_;
    const std::uint64_t m =
        p.fetch_add(c, mine.mark, kMarkUnit + kArrivalUnit, std::memory_order_seq_cst);
    const std::uint64_t f = p.load(c, flag_.word, std::memory_order_seq_cst);
    p.cost(c, kBookkeepingCycles);
    assert((m & kMarkMask) != kMarkMask && "too many marks on one slot");
    if ((m >> kArrivalShift) == kArrivalMax) SyncCounters::bump_shared(slow_.arrival_wraps);
    return f;
  }

  // An arrival that found an update pending (or the resource destroyed) takes its mark back.
  void refuse(Context& c, Slot& mine) {
    SyncCounters::bump_shared(slow_.refused);
    platform_.fetch_add(c, mine.mark, 0 - kMarkUnit, std::memory_order_seq_cst);
  }

  // Under the small lock: do the marks of every slot sum to zero? (One read per slot.)
  bool marks_clear(Context& c) {
    P& p = platform_;
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < slot_count_; ++i)
      sum += p.load(c, slots_[i].mark, std::memory_order_seq_cst);
    p.cost(c, kBookkeepingCycles * slot_count_);
    return (sum & kMarkMask) == 0;
  }

  // Read-only after construction.
  P& platform_;
  Retrigger<P> retrigger_;
  std::size_t slot_count_;
  std::unique_ptr<Slot[]> slots_;
  // Read by every enter and exit, written only by updaters: every CPU keeps a shared copy.
  struct alignas(kCacheLine) Flag {
    typename P::Word word;
  } flag_;
  // The slow paths' line.
  struct alignas(kCacheLine) Slow {
    typename P::SpinLock lock;
    typename P::Word deferred;  // busy try_enters during the pending update; under lock
    SyncCounters counters;      // under lock; enters and exits come from the slots
    std::atomic<std::uint64_t> arrival_wraps{0};
    std::atomic<std::uint64_t> refused{0};  // arrivals that took their mark back
  } slow_;
  struct alignas(kCacheLine) Queues {
    typename P::WaitQueue update_done;  // workers and updaters waiting for an update to end
    typename P::WaitQueue drained;      // the updater waiting for the marks to clear
  } queues_;
};

}  // namespace hcasim::sync
