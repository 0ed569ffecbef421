#pragma once
// The simulated platform of host_os/sync/platform.hpp: the same algorithm source that runs
// natively runs here on simulated CPUs. Every modelled access to a shared word or spin lock goes
// through the cache model (a hit, or a line transfer serialized per line) and costs the calling
// CPU that time; waits block on SystemC events, never busy-loop in wall time; the CPU's state
// (running, spinning, blocked) is traced. So the contention the simulation shows is that of the
// code a user would ship.
//
// Accesses take effect in issue order (the order of the calls in simulated time, which is also
// each line's service order): the value is read or written when the access is issued and the
// caller then waits until the line has served it. A contended lock() is test-and-test-and-set:
// the spinner reads the lock's line (a shared copy, as a spinning core does), sleeps on the
// lock's release event while its CPU is charged as spinning, and retries the test-and-set (a
// line transfer) when the holder releases -- every spinner at once, as on real hardware.
#include <systemc>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "host_os/host_params.hpp"
#include "host_os/sim/cache_model.hpp"
#include "host_os/sim/sim_cpu.hpp"
#include "host_os/sync/platform.hpp"
#include "models/core/lookahead.hpp"
#include "models/core/random.hpp"

namespace hcasim {

struct SimPlatformParams {
  CacheParams cache;
  Picos wakeup_ps = 1'500'000;  // notify -> the woken thread runs again
  Picos syscall_ps = 300'000;   // the waker's system call, when somebody sleeps
  // design decision: spinners re-test a released lock after a pause of random length (0 to
  // one PAUSE-loop iteration), so which of them wins is random -- as on hardware, and
  // deterministic per seed -- rather than always the same SystemC process (which starves the
  // others for good).
  Picos spin_jitter_ps = 25'000;
  std::uint64_t seed = 1;
  static SimPlatformParams from(const HostParams& hp, std::uint64_t seed = 1);
};

class SimPlatform {
 public:
  using Context = SimContext;

  class Word {
   public:
    Word() = default;
    explicit Word(std::uint64_t initial) : value_(initial) {}
    Word(const Word&) = delete;
    Word& operator=(const Word&) = delete;

   private:
    friend class SimPlatform;
    std::uint64_t value_ = 0;
  };

  // 16 bytes, like a lock word and a pointer: the event spinners sleep on is created at the
  // first contention, so a lock is small enough to share its line with the fields it guards.
  class SpinLock {
   public:
    SpinLock() = default;
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;
    bool held() const { return held_ != 0; }

   private:
    friend class SimPlatform;
    std::uint32_t held_ = 0;
    std::uint32_t releases_ = 0;  // bumped by every unlock: a spinner's ticket
    std::unique_ptr<sc_core::sc_event> released_;
  };

  class WaitQueue {
   public:
    WaitQueue() = default;
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

   private:
    friend class SimPlatform;
    std::uint64_t sequence_ = 0;  // bumped by every notify_all: a sleeper's ticket
    std::uint32_t waiters_ = 0;   // registered under the spin lock
    sc_core::sc_event event_;
  };

  // Platform-wide figures (observation).
  struct Counters {
    std::uint64_t lock_acquires = 0;
    std::uint64_t contended_acquires = 0;  // lock() found the lock held at least once
    Picos spin_ps = 0;                     // time contexts spent in lock() beyond the first try
    std::uint64_t blocks = 0;              // wait() went to sleep
    std::uint64_t wakeup_calls = 0;        // notify_all found sleepers (a system call)
  };

  // `cpus` in host order: cpus[i] becomes CPU i of the cache model.
  SimPlatform(const std::vector<SimCpu*>& cpus, const SimPlatformParams& params);
  SimPlatform(const SimPlatform&) = delete;
  SimPlatform& operator=(const SimPlatform&) = delete;

  // ---- the platform concept ------------------------------------------------------------------
  std::uint64_t load(Context& c, Word& w, std::memory_order) {
    const std::uint64_t v = w.value_;
    access(c, &w, CacheModel::Access::kRead);
    return v;
  }
  void store(Context& c, Word& w, std::uint64_t v, std::memory_order) {
    w.value_ = v;
    access(c, &w, CacheModel::Access::kWrite);
  }
  std::uint64_t fetch_add(Context& c, Word& w, std::uint64_t delta, std::memory_order) {
    const std::uint64_t old = w.value_;
    w.value_ = old + delta;
    access(c, &w, CacheModel::Access::kRmw);
    return old;
  }
  bool compare_exchange(Context& c, Word& w, std::uint64_t& expected, std::uint64_t desired,
                        std::memory_order) {
    const bool ok = w.value_ == expected;
    if (ok)
      w.value_ = desired;
    else
      expected = w.value_;
    access(c, &w, CacheModel::Access::kRmw);  // a failed locked CAS takes the line too
    return ok;
  }
  std::uint64_t peek(const Word& w) const { return w.value_; }

  void lock(Context& c, SpinLock& l);
  void unlock(Context& c, SpinLock& l);

  template <class Ready>
  void wait(Context& c, WaitQueue& q, SpinLock& l, Ready&& ready) {
    while (!ready()) {
      const std::uint64_t ticket = q.sequence_;
      ++q.waiters_;
      unlock(c, l);
      // A notify while unlock() was still charging time moved the sequence on: no sleep.
      if (q.sequence_ == ticket) {
        ++counters_.blocks;
        c.begin_block();
        while (q.sequence_ == ticket) Lookahead::wait_on(q.event_);
        c.end_block(params_.wakeup_ps);
      }
      --q.waiters_;
      lock(c, l);
    }
  }
  void notify_all(Context& c, WaitQueue& q) {
    ++q.sequence_;
    if (q.waiters_ == 0) return;  // nobody sleeps: no system call (as the native futex path)
    ++counters_.wakeup_calls;
    Lookahead::notify_delta(q.event_);
    c.busy(params_.syscall_ps);
  }

  void cost(Context& c, std::uint64_t cycles) { c.run(cycles); }

  // Per-CPU slots (platform.hpp): one per simulated CPU; threads are bound to their CPU and a
  // CPU's kernel context shares its slot.
  std::size_t slot_count() const { return cache_.cpus(); }
  std::size_t slot(const Context& c) const { return c.cpu().index(); }

  // ---- observation ---------------------------------------------------------------------------
  const CacheModel& cache() const { return cache_; }
  // Line figures of the lines an object occupies (e.g. a guard: its lock word's line).
  CacheModel::LineStats lines_of(const void* object, std::size_t bytes) const {
    return cache_.range(reinterpret_cast<std::uintptr_t>(object), bytes);
  }
  const Counters& counters() const { return counters_; }
  const SimPlatformParams& params() const { return params_; }

 private:
  // Inline: a work request makes about ten of these, nearly all hits on a line the CPU owns
  // (CacheModel::access's short path), which then cost less than the call did.
  void access(Context& c, const void* addr, CacheModel::Access kind) {
    SimCpu& cpu = c.cpu();
    const Picos now = now_ps();
    const CacheModel::Result r = cache_.access(cpu.index(), cpu.clock().period_ps(),
                                               reinterpret_cast<std::uintptr_t>(addr), kind, now);
    c.busy(r.end - now);  // stalled on memory: the CPU is busy
  }
  sc_core::sc_event& released_event(SpinLock& l);

  SimPlatformParams params_;
  CacheModel cache_;
  RandomStream jitter_;
  Counters counters_;
};

static_assert(sync::is_platform_v<SimPlatform>);

}  // namespace hcasim
