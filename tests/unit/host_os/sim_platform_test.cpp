// The simulated platform: a hit costs hit cycles and a moved line a transfer; two CPUs on one
// line are served one after the other; a contended spin lock is handed over on release with
// the waiter's CPU charged as spinning; wait/notify never loses a wake-up, whatever the timing
// of the notify against the waiter's unlock.
#include <gtest/gtest.h>

#include <sysc/kernel/sc_dynamic_processes.h>
#include <systemc>

#include <memory>
#include <vector>

#include "host_os/sim/sim_platform.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {
namespace {

constexpr Picos kNs = 1000;
constexpr Picos kUs = 1000 * kNs;
using P = SimPlatform;
constexpr auto kRelaxed = std::memory_order_relaxed;

SimPlatformParams params() {
  SimPlatformParams p;
  p.cache.hit_cycles = 4;
  p.cache.atomic_cycles = 20;
  p.cache.transfer_ps = 50 * kNs;
  p.wakeup_ps = 1500 * kNs;
  p.syscall_ps = 300 * kNs;
  return p;
}

struct Machine {
  std::vector<std::unique_ptr<SimCpu>> cpus;
  std::vector<SimCpu*> raw;
  std::vector<std::unique_ptr<SimContext>> ctx;
  std::unique_ptr<SimPlatform> platform;
  explicit Machine(unsigned n, SimPlatformParams p = params()) {
    for (unsigned i = 0; i < n; ++i) {
      cpus.push_back(std::make_unique<SimCpu>("cpu" + std::to_string(i), 1.0, nullptr));
      raw.push_back(cpus.back().get());
      ctx.push_back(std::make_unique<SimContext>(*cpus.back()));
    }
    platform = std::make_unique<SimPlatform>(raw, p);
  }
  SimContext& c(unsigned i) { return *ctx[i]; }
};

// Returns how long `fn` took in simulated time.
template <class Fn>
Picos timed(Fn&& fn) {
  const Picos t0 = now_ps();
  fn();
  return now_ps() - t0;
}

TEST(SimPlatform, HitCostsHitCyclesAndAMovedLineATransfer) {
  Machine m(2);
  struct alignas(64) Shared {
    P::Word a, b;
  } s;
  std::vector<Picos> t;
  hcasim::Lookahead::spawn_thread([&] {
    P& p = *m.platform;
    t.push_back(timed([&] { p.store(m.c(0), s.a, 1, kRelaxed); }));             // first touch
    t.push_back(timed([&] { p.store(m.c(0), s.b, 2, kRelaxed); }));             // same line: hit
    t.push_back(timed([&] { p.fetch_add(m.c(0), s.a, 1, kRelaxed); }));         // atomic hit
    t.push_back(timed([&] { EXPECT_EQ(p.load(m.c(1), s.a, kRelaxed), 2u); }));  // moves
    t.push_back(timed([&] { EXPECT_EQ(p.load(m.c(1), s.b, kRelaxed), 2u); }));  // shared: hit
    t.push_back(timed([&] { p.load(m.c(0), s.a, kRelaxed); }));  // cpu0 kept a copy: hit
    std::uint64_t expected = 0;
    t.push_back(
        timed([&] { EXPECT_FALSE(p.compare_exchange(m.c(0), s.a, expected, 5, kRelaxed)); }));
    EXPECT_EQ(expected, 2u);
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(
      t, (std::vector<Picos>{54 * kNs, 4 * kNs, 20 * kNs, 54 * kNs, 4 * kNs, 4 * kNs, 70 * kNs}));
  EXPECT_EQ(m.cpus[0]->running_ps(), (54 + 4 + 20 + 4 + 70) * kNs);  // stalls are CPU time
  const auto line = m.platform->lines_of(&s, sizeof s);
  EXPECT_EQ(line.transfers, 3u);
  EXPECT_EQ(line.hits, 4u);
}

TEST(SimPlatform, TwoCpusOnOneLineAreServedOneAfterTheOther) {
  Machine m(3);
  struct alignas(64) Shared {
    P::Word counter;
  } s, other;
  Picos done0 = 0, done1 = 0, done2 = 0;
  hcasim::Lookahead::spawn_thread([&] {
    m.platform->fetch_add(m.c(0), s.counter, 1, kRelaxed);  // owned by cpu0 from 70 ns
    hcasim::Lookahead::wait(ps(1 * kUs - now_ps()));
    m.platform->fetch_add(m.c(0), s.counter, 1, kRelaxed);  // hit: 20 ns
    done0 = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(1 * kUs + 10 * kNs));
    m.platform->fetch_add(m.c(1), s.counter, 1, kRelaxed);  // waits for cpu0's RMW, then moves
    done1 = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(1 * kUs));
    m.platform->fetch_add(m.c(2), other.counter, 1, kRelaxed);  // another line: no wait
    done2 = now_ps();
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(m.platform->peek(s.counter), 3u);
  EXPECT_EQ(done0, 1 * kUs + 20 * kNs);
  EXPECT_EQ(done1, done0 + 70 * kNs);
  EXPECT_EQ(done2, 1 * kUs + 70 * kNs);
  EXPECT_EQ(m.platform->lines_of(&s, sizeof s).wait_ps, 10 * kNs);
}

TEST(SimPlatform, ContendedSpinLockIsHandedOverOnRelease) {
  Machine m(3);
  P::SpinLock lock;
  std::vector<int> order;
  Picos released = 0, got1 = 0, got2 = 0;
  hcasim::Lookahead::spawn_thread([&] {
    m.platform->lock(m.c(0), lock);
    order.push_back(0);
    m.c(0).run(2000);  // holds it for 2 us
    released = now_ps();
    m.platform->unlock(m.c(0), lock);
  });
  for (unsigned i : {1u, 2u}) {
    hcasim::Lookahead::spawn_thread([&, i] {
      hcasim::Lookahead::wait(ps(500 * kNs));
      EXPECT_EQ(m.cpus[i]->state(), CpuState::kIdle);
      m.platform->lock(m.c(i), lock);
      (i == 1 ? got1 : got2) = now_ps();
      order.push_back(static_cast<int>(i));
      m.c(i).run(1000);
      m.platform->unlock(m.c(i), lock);
    });
  }
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(1 * kUs));
    EXPECT_EQ(m.cpus[1]->state(), CpuState::kSpinning);
    EXPECT_EQ(m.cpus[2]->state(), CpuState::kSpinning);
    EXPECT_TRUE(lock.held());
  });
  hcasim::Lookahead::run();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], 0);
  EXPECT_FALSE(lock.held());
  // Mutual exclusion: each holder got the lock after the one before let it go.
  const Picos first = std::min(got1, got2), second = std::max(got1, got2);
  EXPECT_GT(first, released);
  EXPECT_LT(first, released + 200 * kNs);  // a few line transfers, not a wake-up
  EXPECT_GE(second, first + 1 * kUs);
  const auto& k = m.platform->counters();
  EXPECT_EQ(k.lock_acquires, 3u);
  EXPECT_EQ(k.contended_acquires, 2u);
  // The waiters' CPUs were busy spinning, not idle.
  EXPECT_GT(m.cpus[1]->spinning_ps() + m.cpus[2]->spinning_ps(), 3 * kUs);
  EXPECT_GT(m.platform->lines_of(&lock, sizeof lock).transfers, 3u);
}

// Many waiter/notifier pairs, each notifier waking its waiter at a different moment relative
// to the waiter's wait() -- before it, while its unlock is still charging time, while it
// sleeps -- with the notify under the lock or just after unlocking. A lost wake-up leaves a
// waiter asleep forever (the simulation ends with it unfinished).
TEST(SimPlatform, WaitNeverLosesAWakeUp) {
  constexpr unsigned kPairs = 60;
  Machine m(2 * kPairs);
  struct alignas(64) Pair {
    P::SpinLock lock;
    P::Word flag;
    P::WaitQueue queue;
    bool woke = false;
    Picos woke_at = 0;
  };
  std::vector<std::unique_ptr<Pair>> pairs;
  for (unsigned i = 0; i < kPairs; ++i) pairs.push_back(std::make_unique<Pair>());
  P& p = *m.platform;
  for (unsigned i = 0; i < kPairs; ++i) {
    Pair& pr = *pairs[i];
    SimContext& w = m.c(2 * i);
    SimContext& n = m.c(2 * i + 1);
    hcasim::Lookahead::spawn_thread([&] {
      p.lock(w, pr.lock);
      p.wait(w, pr.queue, pr.lock, [&] { return p.load(w, pr.flag, kRelaxed) != 0; });
      p.unlock(w, pr.lock);
      pr.woke = true;
      pr.woke_at = now_ps();
    });
    const bool under_lock = i % 2 == 0;
    const Picos delay = (i / 2) * 3 * kNs;  // 0 .. 87 ns: around the waiter's unlock
    hcasim::Lookahead::spawn_thread([&, under_lock, delay] {
      hcasim::Lookahead::wait(ps(delay));
      p.lock(n, pr.lock);
      p.store(n, pr.flag, 1, kRelaxed);
      if (under_lock) p.notify_all(n, pr.queue);
      p.unlock(n, pr.lock);
      if (!under_lock) p.notify_all(n, pr.queue);
    });
  }
  hcasim::Lookahead::run();
  unsigned slept = 0;
  for (unsigned i = 0; i < kPairs; ++i) {
    EXPECT_TRUE(pairs[i]->woke) << "pair " << i << " lost its wake-up";
    if (pairs[i]->woke_at > 1 * kUs) ++slept;  // went to sleep: paid the wake-up latency
  }
  EXPECT_GT(slept, 0u);
  EXPECT_EQ(p.counters().blocks, slept);
}

TEST(SimPlatform, SleeperShowsBlockedAndTheWakerPaysTheSystemCall) {
  Machine m(2);
  P::SpinLock lock;
  P::Word flag;
  P::WaitQueue queue;
  P& p = *m.platform;
  Picos woke = 0, notified = 0, notify_cost = 0;
  hcasim::Lookahead::spawn_thread([&] {
    p.lock(m.c(0), lock);
    p.wait(m.c(0), queue, lock, [&] { return p.load(m.c(0), flag, kRelaxed) != 0; });
    p.unlock(m.c(0), lock);
    woke = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(5 * kUs));
    EXPECT_EQ(m.cpus[0]->state(), CpuState::kBlocked);
    p.lock(m.c(1), lock);
    p.store(m.c(1), flag, 1, kRelaxed);
    p.unlock(m.c(1), lock);
    notified = now_ps();
    notify_cost = timed([&] { p.notify_all(m.c(1), queue); });
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(notify_cost, 300 * kNs);
  EXPECT_GE(woke, notified + 1500 * kNs);
  EXPECT_LT(woke, notified + 1500 * kNs + 500 * kNs);
  EXPECT_GT(m.cpus[0]->blocked_ps(), 5 * kUs);
  EXPECT_LT(m.cpus[0]->busy_ps(), 1 * kUs);  // asleep, not spinning
}

}  // namespace
}  // namespace hcasim
