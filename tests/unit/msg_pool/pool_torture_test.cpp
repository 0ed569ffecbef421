// Torture test of the message pool on real threads, in the manner of locktorture: for a bounded
// time (HCASIM_TORTURE_MS, default 300 ms) threads get elements in every mode (sync, async,
// partial) from a pool too small for all of them, cancel queued requests they tire of, hold
// the elements a little and put them back.
// Checked: no element is ever owned by two threads, every pending request's callback runs
// exactly once (or it was cancelled), queued requests are served strictly oldest first, and the
// totals balance. Also run under ThreadSanitizer (make tsan-test).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <thread>
#include <vector>

#include "host_os/msg_pool/message_pool.hpp"
#include "host_os/sync/native_platform.hpp"
#include "tests/unit/msg_pool/recording_memory.hpp"

namespace hcasim::msg_pool {
namespace {

using sync::NativePlatform;
using Pool = MessagePool<NativePlatform, RecordingMemory>;
using Ctx = NativePlatform::Context;

constexpr unsigned kThreads = 4;
constexpr std::uint32_t kMaxCount = 4;
// Half of what the threads may ask for at once, so the pool runs dry and requests queue.
// Threads holding a partial get could then wait on each other forever (head-of-line
// blocking), so a waiter gives up after a while: it cancels and puts back what it holds --
// the timed get a caller builds on get_async and cancel.
constexpr std::uint32_t kElements = kThreads * kMaxCount / 2;
constexpr unsigned kPatience = 200;  // yields before a waiter gives up

std::chrono::milliseconds torture_duration() {
  const char* env = std::getenv("HCASIM_TORTURE_MS");
  const long ms = env ? std::strtol(env, nullptr, 10) : 0;
  return std::chrono::milliseconds(ms > 0 ? ms : 300);
}

void spin(unsigned iterations) {
  for (volatile unsigned i = 0; i < iterations; i = i + 1) {
  }
}

// Who owns each element, as the test sees it: claimed when handed over, released before put.
struct Owners {
  std::vector<std::atomic<int>> owner = std::vector<std::atomic<int>>(kElements);
  std::atomic<std::uint64_t> violations{0};
  Owners() {
    for (auto& o : owner) o.store(-1);
  }
  void claim(const Handle& h, int who) {
    int expected = -1;
    if (!owner[h.index].compare_exchange_strong(expected, who)) violations.fetch_add(1);
  }
  void release(const Handle& h, int who) {
    int expected = who;
    if (!owner[h.index].compare_exchange_strong(expected, -1)) violations.fetch_add(1);
  }
};

// The queue as the pool's observer sees it. The observer runs under the pool's lock, so its
// state needs no lock of its own; the thread-local pointers tell it which request the calling
// thread is queuing or cancelling.
thread_local Pool::Request* t_queuing = nullptr;
thread_local Pool::Request* t_cancelling = nullptr;
struct QueueMirror {
  std::deque<Pool::Request*> waiting;  // in the order the pool queued them
  std::uint32_t queued = 0;
  std::uint64_t served_in_order = 0;
  std::uint64_t fifo_violations = 0;
  void observe(std::uint32_t, std::uint32_t now) {
    if (now > queued) {
      if (now != queued + 1 || !t_queuing) ++fifo_violations;
      waiting.push_back(t_queuing);
    } else if (now < queued) {
      std::uint32_t gone = queued - now;
      if (t_cancelling) {
        auto it = std::find(waiting.begin(), waiting.end(), t_cancelling);
        if (it == waiting.end()) {
          ++fifo_violations;
        } else {
          waiting.erase(it);
          --gone;
        }
      }
      // The served ones must be the oldest: a prefix of the queue.
      for (; gone > 0; --gone) {
        if (!waiting.empty() && waiting.front()->given == waiting.front()->count) {
          waiting.pop_front();
          ++served_in_order;
          continue;
        }
        ++fifo_violations;
        auto it = std::find_if(waiting.begin(), waiting.end(),
                               [](Pool::Request* r) { return r->given == r->count; });
        if (it != waiting.end()) waiting.erase(it);
      }
    }
    queued = now;
  }
};

// One thread's asynchronous request and what its callback did.
struct Pending {
  Pool::Request req;
  Handle out[kMaxCount];
  Owners* owners = nullptr;
  int who = 0;
  std::atomic<int> calls{0};
  std::atomic<bool> served{false};
};

void on_served(Ctx&, Pool::Request& r) {
  Pending& p = *static_cast<Pending*>(r.user);
  if (r.given != r.count) p.owners->violations.fetch_add(1);
  // The handover happens here, in the putter's thread: the elements are the requester's now.
  for (std::uint32_t k = r.given_now; k < r.count; ++k) p.owners->claim(p.out[k], p.who);
  p.calls.fetch_add(1);
  p.served.store(true, std::memory_order_release);
}

struct Tally {
  std::uint64_t ops = 0, sync_ok = 0, sync_failed = 0, immediate = 0, pending = 0, callbacks = 0,
                cancelled = 0, bad_status = 0;
};

TEST(MessagePoolTorture, ThreadsGetAndPutInEveryModeSafelyAndInOrder) {
  NativePlatform platform;
  RecordingMemory memory;
  PoolConfig cfg;
  cfg.name = "torture";
  cfg.elements = kElements;
  cfg.buffer_bytes = {128};
  std::atomic<std::uint64_t> misuse_reports{0};
  Pool pool(platform, memory, cfg, [&](const MisuseReport&) { misuse_reports.fetch_add(1); });
  QueueMirror mirror;
  pool.set_free_observer(
      [&](std::uint32_t free, std::uint32_t queued) { mirror.observe(free, queued); });
  Owners owners;
  std::atomic<bool> stop{false};
  std::vector<Tally> tallies(kThreads);

  auto hold_and_put = [&](Ctx& c, std::mt19937& rng, int who, const Handle* h, std::uint32_t n,
                          Tally& t) {
    spin(rng() % 100);
    if (rng() % 8 == 0) std::this_thread::yield();
    for (std::uint32_t k = 0; k < n; ++k) {
      if (pool.descriptor(c, h[k]) == nullptr) ++t.bad_status;
      owners.release(h[k], who);
      if (pool.put(c, h[k]) != Status::ok) ++t.bad_status;
    }
  };

  std::vector<std::thread> threads;
  for (unsigned w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      Ctx c;
      const int who = static_cast<int>(w);
      std::mt19937 rng(1234 + w);
      Tally& t = tallies[w];
      Pending p;
      p.owners = &owners;
      p.who = who;
      p.req.out = p.out;
      p.req.user = &p;
      p.req.done = &on_served;
      Handle h[kMaxCount];
      while (!stop.load(std::memory_order_relaxed)) {
        ++t.ops;
        const std::uint32_t n = 1 + rng() % kMaxCount;
        const unsigned mode = rng() % 3;
        if (mode == 0) {
          const Status s = pool.get_sync(c, n, h);
          if (s == Status::no_resources) {
            ++t.sync_failed;
            std::this_thread::yield();
            continue;
          }
          if (s != Status::ok) {
            ++t.bad_status;
            continue;
          }
          ++t.sync_ok;
          for (std::uint32_t k = 0; k < n; ++k) owners.claim(h[k], who);
          hold_and_put(c, rng, who, h, n, t);
          continue;
        }
        p.req.count = n;
        p.served.store(false, std::memory_order_relaxed);
        const int calls_before = p.calls.load();
        t_queuing = &p.req;
        const Status s = mode == 1 ? pool.get_async(c, p.req) : pool.get_async_partial(c, p.req);
        t_queuing = nullptr;
        if (s == Status::ok) {
          ++t.immediate;
          for (std::uint32_t k = 0; k < n; ++k) owners.claim(p.out[k], who);
          hold_and_put(c, rng, who, p.out, n, t);
          continue;
        }
        if (s != Status::pending) {
          ++t.bad_status;
          continue;
        }
        ++t.pending;
        const std::uint32_t now = p.req.given_now;
        for (std::uint32_t k = 0; k < now; ++k) owners.claim(p.out[k], who);
        // Sometimes gives up at once, otherwise after kPatience yields.
        unsigned patience = rng() % 8 == 0 ? 0 : kPatience;
        while (!p.served.load(std::memory_order_acquire)) {
          if (patience-- > 0) {
            std::this_thread::yield();
            continue;
          }
          t_cancelling = &p.req;
          const bool withdrawn = pool.cancel(c, p.req);
          t_cancelling = nullptr;
          if (withdrawn) break;
          patience = ~0u;  // served meanwhile: its callback has run or is running
        }
        if (!p.served.load(std::memory_order_acquire)) {
          ++t.cancelled;
          if (p.req.given != now) ++t.bad_status;
          hold_and_put(c, rng, who, p.out, now, t);
          continue;
        }
        if (p.calls.load() != calls_before + 1) ++t.bad_status;
        ++t.callbacks;
        hold_and_put(c, rng, who, p.out, n, t);
      }
    });
  }
  std::this_thread::sleep_for(torture_duration());
  stop.store(true);
  for (auto& th : threads) th.join();

  Tally sum;
  std::uint64_t busiest = 0, idlest = ~std::uint64_t{0};
  for (const Tally& t : tallies) {
    sum.ops += t.ops;
    sum.sync_ok += t.sync_ok;
    sum.sync_failed += t.sync_failed;
    sum.immediate += t.immediate;
    sum.pending += t.pending;
    sum.callbacks += t.callbacks;
    sum.cancelled += t.cancelled;
    sum.bad_status += t.bad_status;
    busiest = std::max(busiest, t.ops);
    idlest = std::min(idlest, t.ops);
  }
  const PoolStats s = pool.stats();
  std::printf(
      "pool torture: ops %llu (busiest %llu, idlest %llu), sync ok %llu / failed %llu, async at "
      "once %llu, queued %llu, served %llu (in order %llu), cancelled %llu, partial %llu, peak "
      "in use %llu/%u, violations %llu, fifo violations %llu\n",
      static_cast<unsigned long long>(sum.ops), static_cast<unsigned long long>(busiest),
      static_cast<unsigned long long>(idlest), static_cast<unsigned long long>(sum.sync_ok),
      static_cast<unsigned long long>(sum.sync_failed),
      static_cast<unsigned long long>(sum.immediate), static_cast<unsigned long long>(sum.pending),
      static_cast<unsigned long long>(s.async_served),
      static_cast<unsigned long long>(mirror.served_in_order),
      static_cast<unsigned long long>(sum.cancelled),
      static_cast<unsigned long long>(s.partial_gets),
      static_cast<unsigned long long>(s.peak_in_use), kElements,
      static_cast<unsigned long long>(owners.violations.load()),
      static_cast<unsigned long long>(mirror.fifo_violations));

  EXPECT_EQ(owners.violations.load(), 0u);
  EXPECT_EQ(mirror.fifo_violations, 0u);
  EXPECT_EQ(sum.bad_status, 0u);
  EXPECT_EQ(misuse_reports.load(), 0u);
  EXPECT_EQ(s.misuse(), 0u);
  // Every queued request was served once (its callback ran) or withdrawn.
  EXPECT_EQ(s.async_queued, sum.pending);
  EXPECT_EQ(s.async_served, sum.callbacks);
  EXPECT_EQ(s.cancelled, sum.cancelled);
  EXPECT_EQ(s.async_queued, s.async_served + s.cancelled);
  EXPECT_EQ(mirror.served_in_order, s.async_served);
  EXPECT_TRUE(mirror.waiting.empty());
  // Totals balance: everything handed out came back.
  EXPECT_EQ(s.elements_out, s.elements_back);
  EXPECT_EQ(s.sync_gets, sum.sync_ok);
  EXPECT_EQ(s.failed_gets, sum.sync_failed);
  EXPECT_EQ(pool.free_count(), kElements);
  EXPECT_EQ(pool.queued(), 0u);
  // Each mode was exercised, and requests really queued.
  EXPECT_GT(sum.sync_ok, 0u);
  EXPECT_GT(sum.sync_failed, 0u);
  EXPECT_GT(sum.immediate, 0u);
  EXPECT_GT(sum.pending, 0u);
  EXPECT_GT(sum.callbacks, 0u);
  EXPECT_GT(sum.cancelled, 0u);
  EXPECT_GT(s.partial_gets, 0u);
  Ctx c;
  EXPECT_EQ(pool.destroy(c).status, Status::ok);
  EXPECT_EQ(memory.table.size(), 1u);
}

}  // namespace
}  // namespace hcasim::msg_pool
