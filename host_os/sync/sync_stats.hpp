#pragma once
// Counters every guard keeps for the simulator's statistics and the torture tests.
// They are observation, not part of the modelled algorithm: plain std::atomic (a simulated
// platform does not charge for them). The guards place them in the lock's cache line and update
// most of them only under their lock, with a relaxed load + store (no locked instruction).
#include <atomic>
#include <cstdint>

namespace hcasim::sync {

// A snapshot (the fields are read one by one, so it is only consistent when the guard is quiet).
struct SyncStats {
  std::uint64_t enters = 0;        // successful enter / try_enter
  std::uint64_t exits = 0;         // exit
  std::uint64_t updates = 0;       // completed updates, teardown included
  std::uint64_t busy_returns = 0;  // try_enter returned busy (a deferred worker)
  std::uint64_t worker_waits = 0;  // enter had to block for an update
  std::uint64_t drain_waits = 0;   // begin_update had to block for workers to leave
};

class SyncCounters {
 public:
  std::atomic<std::uint64_t> enters{0};
  std::atomic<std::uint64_t> exits{0};
  std::atomic<std::uint64_t> updates{0};
  std::atomic<std::uint64_t> busy_returns{0};
  std::atomic<std::uint64_t> worker_waits{0};
  std::atomic<std::uint64_t> drain_waits{0};

  // For a counter whose writers are serialized by a lock the caller holds.
  static void bump_locked(std::atomic<std::uint64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  // For a counter written without a lock (a lock-free fast path).
  static void bump_shared(std::atomic<std::uint64_t>& c) {
    c.fetch_add(1, std::memory_order_relaxed);
  }

  SyncStats snapshot() const {
    constexpr auto r = std::memory_order_relaxed;
    return SyncStats{enters.load(r),       exits.load(r),        updates.load(r),
                     busy_returns.load(r), worker_waits.load(r), drain_waits.load(r)};
  }
};

}  // namespace hcasim::sync
