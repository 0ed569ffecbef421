#pragma once
// Counters a pool keeps for the simulator's statistics and the tests. Observation, not part of
// the modelled algorithm: plain std::atomic that a simulated platform does not charge for.
// Most are written under the pool's lock (relaxed load + store, no locked instruction); the
// misuse counters of the lock-free accessors with a relaxed fetch_add.
#include <atomic>
#include <cstdint>

namespace hcasim::msg_pool {

// A snapshot (read field by field: consistent only while the pool is quiet).
struct PoolStats {
  std::uint64_t elements_out = 0;     // elements handed to users, by every kind of get
  std::uint64_t elements_back = 0;    // elements returned by a successful put
  std::uint64_t sync_gets = 0;        // get_sync calls that succeeded
  std::uint64_t failed_gets = 0;      // get_sync calls that failed: no resources (exhaustion)
  std::uint64_t async_immediate = 0;  // asynchronous gets served in full at once
  std::uint64_t async_queued = 0;     // asynchronous gets queued (returned pending)
  std::uint64_t async_served = 0;     // queued requests served later (their callback ran)
  std::uint64_t partial_gets = 0;     // partial-ok gets that took some now and queued the rest
  std::uint64_t cancelled = 0;        // queued requests withdrawn by cancel
  std::uint64_t double_puts = 0;      // misuse: put of an element already free
  std::uint64_t foreign = 0;          // misuse: a handle of another pool
  std::uint64_t stale = 0;            // misuse: use (put, accessor) of a handle after its put
  std::uint64_t invalid = 0;          // misuse: a count the pool can never serve
  std::uint64_t registrations = 0;    // memory registrations (one per pool)
  std::uint64_t deregistrations = 0;
  std::uint64_t peak_in_use = 0;  // most elements out at once
  std::uint64_t misuse() const { return double_puts + foreign + stale + invalid; }
};

class PoolCounters {
 public:
  using Counter = std::atomic<std::uint64_t>;
  Counter elements_out{0}, elements_back{0}, sync_gets{0}, failed_gets{0}, async_immediate{0},
      async_queued{0}, async_served{0}, partial_gets{0}, cancelled{0}, double_puts{0}, foreign{0},
      stale{0}, invalid{0}, registrations{0}, deregistrations{0}, peak_in_use{0};

  // For a counter whose writers are serialized by the lock the caller holds.
  static void add_locked(Counter& c, std::uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // For a counter written without the lock.
  static void add_shared(Counter& c, std::uint64_t n = 1) {
    c.fetch_add(n, std::memory_order_relaxed);
  }

  PoolStats snapshot() const {
    constexpr auto r = std::memory_order_relaxed;
    PoolStats s;
    s.elements_out = elements_out.load(r);
    s.elements_back = elements_back.load(r);
    s.sync_gets = sync_gets.load(r);
    s.failed_gets = failed_gets.load(r);
    s.async_immediate = async_immediate.load(r);
    s.async_queued = async_queued.load(r);
    s.async_served = async_served.load(r);
    s.partial_gets = partial_gets.load(r);
    s.cancelled = cancelled.load(r);
    s.double_puts = double_puts.load(r);
    s.foreign = foreign.load(r);
    s.stale = stale.load(r);
    s.invalid = invalid.load(r);
    s.registrations = registrations.load(r);
    s.deregistrations = deregistrations.load(r);
    s.peak_in_use = peak_in_use.load(r);
    return s;
  }
};

}  // namespace hcasim::msg_pool
