#pragma once
// Baseline: a writer-preferring reader-writer lock, the textbook answer to "many readers, one
// writer". Workers are readers and hold the lock while they work; updaters are writers. Like
// modern rwlocks (glibc pthread_rwlock, Linux rwsem), readers enter and leave with one atomic
// read-modify-write on a shared state word and take the small lock only on the slow paths
// (blocking, deferring, waking). Built on the platform primitives (not std::shared_mutex) so the
// simulated platform runs it too. Same interface as WorkerUpdateGuard (guard_interface.hpp).
#include <cassert>
#include <cstdint>
#include <utility>

#include "host_os/sync/guard_interface.hpp"
#include "host_os/sync/platform.hpp"
#include "host_os/sync/sync_stats.hpp"

namespace hcasim::sync {

template <class P>
class ReaderWriterLock : public ScopedUpdates<ReaderWriterLock<P>> {
  static_assert(is_platform_v<P>, "P must model the platform concept of platform.hpp");

 public:
  using Platform = P;
  using Context = typename P::Context;

  explicit ReaderWriterLock(P& platform, Retrigger<P> retrigger = {})
      : platform_(platform), retrigger_(std::move(retrigger)) {}
  ReaderWriterLock(const ReaderWriterLock&) = delete;
  ReaderWriterLock& operator=(const ReaderWriterLock&) = delete;

  // Read lock. Writer preference: a reader also waits while a writer is only waiting.
  [[nodiscard]] bool enter(Context& c) {
    P& p = platform_;
    bool counted_wait = false;
    for (;;) {
      switch (read_lock_fast(c)) {
        case Fast::acquired:
          return true;
        case Fast::destroyed:
          return false;
        case Fast::writer:
          break;
      }
      p.lock(c, hot_.lock);
      if (!counted_wait) {
        SyncCounters::bump_locked(hot_.counters.worker_waits);
        counted_wait = true;
      }
      // Writer bits change only under the small lock, so this wait cannot miss their clearing.
      p.wait(c, queues_.readers, hot_.lock, [&] {
        const std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
        return (s & kDestroyed) || !(s & kWriterBits);
      });
      p.unlock(c, hot_.lock);
    }
  }

  // Read trylock. Busy while a writer holds or waits for the lock; the deferral is recorded
  // under the small lock while a writer is still there, so that writer's unlock reports it.
  [[nodiscard]] bool try_enter(Context& c) {
    P& p = platform_;
    for (;;) {
      switch (read_lock_fast(c)) {
        case Fast::acquired:
          return true;
        case Fast::destroyed:
          return false;
        case Fast::writer:
          break;
      }
      p.lock(c, hot_.lock);
      const std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
      if (s & kDestroyed) {
        p.unlock(c, hot_.lock);
        return false;
      }
      if (s & kWriterBits) {
        p.store(c, hot_.deferred, p.load(c, hot_.deferred, std::memory_order_relaxed) + 1,
                std::memory_order_relaxed);
        SyncCounters::bump_locked(hot_.counters.busy_returns);
        p.unlock(c, hot_.lock);
        return false;
      }
      p.unlock(c, hot_.lock);  // the writer left meanwhile: try again
    }
  }

  // Read unlock. The last reader out wakes a waiting writer.
  void exit(Context& c) {
    P& p = platform_;
    const std::uint64_t s = p.fetch_add(c, hot_.state, 0 - kReader, std::memory_order_release);
    p.cost(c, kBookkeepingCycles);
    assert((s & kReaderMask) != 0 && "exit without enter");
    if ((s & kReaderMask) == kReader && (s & kWaitingMask)) {
      p.lock(c, hot_.lock);  // orders this wake-up after the writer's check (platform.hpp)
      p.notify_all(c, queues_.writers);
      p.unlock(c, hot_.lock);
    }
  }

  // Write lock: announce (readers now stay out), wait for the writer before and the readers
  // inside to leave, then take it.
  [[nodiscard]] bool begin_update(Context& c) {
    P& p = platform_;
    p.lock(c, hot_.lock);
    std::uint64_t s = p.fetch_add(c, hot_.state, kWaitingWriter, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    bool counted_wait = false;
    for (;;) {
      p.wait(c, queues_.writers, hot_.lock, [&] {
        s = p.load(c, hot_.state, std::memory_order_relaxed);
        const bool ready = (s & kDestroyed) || !(s & (kWriter | kReaderMask));
        if (!ready && !counted_wait) {
          SyncCounters::bump_locked(hot_.counters.drain_waits);
          counted_wait = true;
        }
        return ready;
      });
      if (s & kDestroyed) {
        p.fetch_add(c, hot_.state, 0 - kWaitingWriter, std::memory_order_relaxed);
        p.unlock(c, hot_.lock);
        return false;
      }
      // Only a reader's failing fast path can race with this; retry if it did.
      if (p.compare_exchange(c, hot_.state, s, s - kWaitingWriter + kWriter,
                             std::memory_order_acquire)) {
        break;
      }
    }
    p.unlock(c, hot_.lock);
    return true;
  }

  // Write unlock: wakes readers and writers, re-triggers the readers that deferred.
  std::uint64_t end_update(Context& c, UpdateEnd how = UpdateEnd::keep) {
    P& p = platform_;
    p.lock(c, hot_.lock);
    const std::uint64_t deferred = p.load(c, hot_.deferred, std::memory_order_relaxed);
    if (deferred != 0) p.store(c, hot_.deferred, 0, std::memory_order_relaxed);
    const std::uint64_t delta = how == UpdateEnd::destroy ? kDestroyed - kWriter : 0 - kWriter;
    [[maybe_unused]] const std::uint64_t s =
        p.fetch_add(c, hot_.state, delta, std::memory_order_release);
    p.cost(c, kBookkeepingCycles);
    assert((s & kWriter) && "end_update without begin_update");
    SyncCounters::bump_locked(hot_.counters.updates);
    p.unlock(c, hot_.lock);
    p.notify_all(c, queues_.readers);
    p.notify_all(c, queues_.writers);
    if (deferred != 0 && retrigger_) retrigger_(c, deferred);
    return deferred;
  }

  std::uint64_t active() const { return platform_.peek(hot_.state) & kReaderMask; }
  bool update_pending() const { return platform_.peek(hot_.state) & kWriterBits; }
  bool destroyed() const { return platform_.peek(hot_.state) & kDestroyed; }
  GuardState state() const {
    const std::uint64_t s = platform_.peek(hot_.state);
    if (s & kDestroyed) return GuardState::destroyed;
    const bool readers = (s & kReaderMask) != 0;
    if (s & kWriter) return GuardState::updating;
    if (s & kWaitingMask) return readers ? GuardState::draining : GuardState::updating;
    return readers ? GuardState::working : GuardState::idle;
  }
  SyncStats stats() const {
    SyncStats stats = hot_.counters.snapshot();
    const std::uint64_t s = platform_.peek(hot_.state);
    stats.enters = (hot_.enter_wraps.load(std::memory_order_relaxed) << 32) + (s >> kEnterShift);
    stats.exits = stats.enters - (s & kReaderMask);
    return stats;
  }
  // The memory the guard's modelled words live in (for per-line statistics).
  template <class Fn>
  void for_each_region(Fn&& fn) const {
    fn(static_cast<const void*>(this), sizeof *this);
  }

 private:
  // State word: readers inside (bits 0-15), a writer holds it (16), destroyed (17), writers
  // waiting (18-31), successful read locks modulo 2^32 (32-63). Readers change it lock-free;
  // writer bits change only under the small lock.
  // design decision: the statistics' enter count rides in the reader's CAS (exits = enters -
  // readers inside), because a separate counter would add two atomic read-modify-writes to a
  // fast path of one each and make the baseline look slower than it is.
  static constexpr std::uint64_t kReader = 1;
  static constexpr std::uint64_t kReaderMask = (std::uint64_t{1} << 16) - 1;
  static constexpr std::uint64_t kWriter = std::uint64_t{1} << 16;
  static constexpr std::uint64_t kDestroyed = std::uint64_t{1} << 17;
  static constexpr std::uint64_t kWaitingWriter = std::uint64_t{1} << 18;
  static constexpr std::uint64_t kWaitingMask =
      ((std::uint64_t{1} << 32) - 1) & ~(kWaitingWriter - 1);
  static constexpr unsigned kEnterShift = 32;
  static constexpr std::uint64_t kEnterUnit = std::uint64_t{1} << kEnterShift;
  static constexpr std::uint64_t kEnterCountMax = (std::uint64_t{1} << 32) - 1;
  static constexpr std::uint64_t kWriterBits = kWriter | kWaitingMask;
  static constexpr std::uint64_t kBookkeepingCycles = 4;

  enum class Fast { acquired, writer, destroyed };

  Fast read_lock_fast(Context& c) {
    P& p = platform_;
    std::uint64_t s = p.load(c, hot_.state, std::memory_order_relaxed);
    p.cost(c, kBookkeepingCycles);
    for (;;) {
      if (s & kDestroyed) return Fast::destroyed;
      if (s & kWriterBits) return Fast::writer;
      assert((s & kReaderMask) != kReaderMask && "too many readers inside");
      if (p.compare_exchange(c, hot_.state, s, s + kReader + kEnterUnit,
                             std::memory_order_acquire)) {
        if ((s >> kEnterShift) == kEnterCountMax) {
          SyncCounters::bump_shared(hot_.enter_wraps);  // the count in the word wrapped
        }
        return Fast::acquired;
      }
    }
  }

  P& platform_;
  Retrigger<P> retrigger_;
  struct alignas(kCacheLine) Hot {
    typename P::SpinLock lock;  // the small lock of the slow paths
    typename P::Word state;     // see the k* constants
    typename P::Word deferred;  // busy try_enters since the last write unlock; under lock
    SyncCounters counters;      // under lock; enters and exits come from state
    std::atomic<std::uint64_t> enter_wraps{0};  // times the enter count in state wrapped
  } hot_;
  struct alignas(kCacheLine) Queues {
    typename P::WaitQueue readers;  // readers waiting for the writers to go
    typename P::WaitQueue writers;  // writers waiting for readers / the writer before
  } queues_;
};

}  // namespace hcasim::sync
