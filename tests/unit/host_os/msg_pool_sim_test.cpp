// The message pool's same source on the simulated platform: simulated CPUs contend for one
// pool, every access to its lock and words charged as cache-line traffic. Checked exactly: the
// order requests are served in and by whom (the putter's CPU runs the callback), that a
// synchronous get never goes ahead of a queued request, the counts, one registration per pool
// with the adapter's table, and that an undersized pool makes asynchronous requesters wait
// (how long is reported) while a pool sized for the demand never does. Deterministic.
#include <gtest/gtest.h>

#include <sysc/kernel/sc_dynamic_processes.h>
#include <systemc>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "host_os/msg_pool/message_pool.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "models/core/lookahead.hpp"
#include "models/core/random.hpp"
#include "models/memory/host_memory.hpp"
#include "models/memory/memory_regions.hpp"

namespace hcasim {
namespace {

using msg_pool::Handle;
using msg_pool::Status;
constexpr Picos kNs = 1000;
constexpr Picos kUs = 1000 * kNs;
constexpr auto kRelaxed = std::memory_order_relaxed;

// The pool's Memory in the simulation: the host's memory and the adapter's registration table.
struct AdapterMemory {
  HostMemory& memory;
  MemoryRegions& regions;
  std::uint64_t allocate(std::uint64_t bytes, std::uint64_t align) {
    return memory.allocate(bytes, align);
  }
  void release(std::uint64_t, std::uint64_t) {}  // a bump allocator: nothing to give back
  std::uint32_t register_memory(std::uint64_t addr, std::uint64_t len, std::uint32_t access) {
    return regions.register_region(addr, len, access);
  }
  void deregister(std::uint32_t key) { regions.deregister(key); }
};
using Pool = msg_pool::MessagePool<SimPlatform, AdapterMemory>;

struct Host {
  std::vector<std::unique_ptr<SimCpu>> cpus;
  std::vector<std::unique_ptr<SimThread>> threads;
  std::unique_ptr<SimPlatform> platform;
  HostMemory memory{"host0.memory", 16 << 20};
  MemoryRegions regions;
  AdapterMemory pool_memory{memory, regions};
  explicit Host(unsigned n) {
    std::vector<SimCpu*> raw;
    for (unsigned i = 0; i < n; ++i) {
      cpus.push_back(std::make_unique<SimCpu>("cpu" + std::to_string(i), 2.6, nullptr));
      raw.push_back(cpus.back().get());
      threads.push_back(
          std::make_unique<SimThread>("t" + std::to_string(i), *cpus.back(), nullptr));
    }
    platform = std::make_unique<SimPlatform>(raw, SimPlatformParams{});
  }
};

msg_pool::PoolConfig config(const char* name, std::uint32_t elements) {
  msg_pool::PoolConfig c;
  c.name = name;
  c.elements = elements;
  c.buffer_bytes = {2048};
  c.access = kLocalWrite;
  return c;
}

// An asynchronous requester that sleeps until its callback wakes it, with the platform's own
// wait and notify (so the wake-up latency and the waker's system call are charged).
struct alignas(64) Requester {
  Pool::Request req;
  Handle out[4];
  SimPlatform* platform = nullptr;
  SimPlatform::SpinLock lock;
  SimPlatform::Word done;
  SimPlatform::WaitQueue queue;
  Picos served_at = 0;
  int served_by = -1;  // CPU whose put served it
  unsigned callbacks = 0;

  Requester() {
    req.out = out;
    req.user = this;
    req.done = [](SimContext& c, Pool::Request& r) {
      Requester& self = *static_cast<Requester*>(r.user);
      SimPlatform& p = *self.platform;
      ++self.callbacks;
      self.served_at = now_ps();
      self.served_by = static_cast<int>(c.cpu().index());
      p.lock(c, self.lock);
      p.store(c, self.done, 1, kRelaxed);
      p.unlock(c, self.lock);
      p.notify_all(c, self.queue);
    };
  }
  // After get_async returned pending: sleeps until served.
  void sleep_until_served(SimContext& c) {
    SimPlatform& p = *platform;
    p.lock(c, lock);
    p.wait(c, queue, lock, [&] { return p.load(c, done, kRelaxed) != 0; });
    p.store(c, done, 0, kRelaxed);
    p.unlock(c, lock);
  }
};

TEST(MsgPoolSim, RequestsAreServedInOrderByThePuttersAndSyncGetsNeverJumpTheQueue) {
  Host host(4);
  Pool pool(*host.platform, host.pool_memory, config("host0.tx", 2));
  std::vector<Requester> req(4);
  for (Requester& r : req) r.platform = host.platform.get();
  std::vector<Status> sync_results;
  std::vector<std::uint32_t> free_seen;
  std::vector<Picos> asked(4, 0), woke(4, 0);

  // cpu0 takes the whole pool at once and gives it back at 10 us and 15 us.
  hcasim::Lookahead::spawn_thread([&] {
    SimThread& t = *host.threads[0];
    SimContext& c = t.context();
    t.start();
    Handle h[2];
    EXPECT_EQ(pool.get_sync(c, 2, h), Status::ok);
    t.sleep_for(10 * kUs - now_ps());
    EXPECT_EQ(pool.put(c, h[0]), Status::ok);  // one free: not enough for cpu1's request
    t.sleep_for(15 * kUs - now_ps());
    EXPECT_EQ(pool.put(c, h[1]), Status::ok);  // serves cpu1, here on cpu0
    t.finish();
  });
  // cpu1 asks for two elements at 1 us, cpu2 for one at 2 us; each holds them 1 us.
  for (unsigned i : {1u, 2u}) {
    hcasim::Lookahead::spawn_thread([&, i] {
      SimThread& t = *host.threads[i];
      SimContext& c = t.context();
      Requester& r = req[i];
      t.start();
      t.sleep_for(i * kUs);
      asked[i] = now_ps();
      r.req.count = i == 1 ? 2 : 1;
      EXPECT_EQ(pool.get_async(c, r.req), Status::pending);
      r.sleep_until_served(c);
      woke[i] = now_ps();
      c.run(2600);  // 1 us with the elements
      for (std::uint32_t k = 0; k < r.req.count; ++k) EXPECT_EQ(pool.put(c, r.out[k]), Status::ok);
      t.finish();
    });
  }
  // cpu3 tries synchronous gets: with nothing free (3 us), with one free while cpu1's request
  // waits (12 us), and once the queue is empty (22 us).
  hcasim::Lookahead::spawn_thread([&] {
    SimThread& t = *host.threads[3];
    SimContext& c = t.context();
    t.start();
    Handle h;
    for (const Picos at : {3 * kUs, 12 * kUs, 22 * kUs}) {
      t.sleep_for(at - now_ps());
      free_seen.push_back(pool.free_count());
      sync_results.push_back(pool.get_sync(c, 1, &h));
    }
    EXPECT_EQ(pool.put(c, h), Status::ok);
    t.finish();
  });
  hcasim::Lookahead::run();

  EXPECT_EQ(free_seen, (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_EQ(sync_results,
            (std::vector<Status>{Status::no_resources, Status::no_resources, Status::ok}));
  // FIFO, served by the puts: cpu1's request by cpu0's second put, cpu2's (queued behind it,
  // though one element was free from 10 us) by cpu1's first put.
  EXPECT_EQ(req[1].served_by, 0);
  EXPECT_EQ(req[2].served_by, 1);
  EXPECT_EQ(req[1].callbacks, 1u);
  EXPECT_EQ(req[2].callbacks, 1u);
  // cpu0's put at 15 us: one transfer of the lock's line (last taken by cpu3 at 12 us) by the
  // test-and-set (50 ns + 20 cycles), then 13 accesses to lines cpu0 holds (4 cycles each:
  // both elements' lines never left it) and 8 cycles of bookkeeping, at 2.6 GHz (385 ps).
  const Picos cycle = host.cpus[0]->clock().period_ps();
  EXPECT_EQ(req[1].served_at, 15 * kUs + 50 * kNs + 20 * cycle + 13 * 4 * cycle + 8 * cycle);
  EXPECT_GT(req[2].served_at, woke[1] + 1 * kUs);  // after cpu1's 1 us with the elements
  // Each sleeper woke the wake-up latency (host.wakeup_ns, 1.5 us) after its callback, give
  // or take the lock hand-off.
  const Picos wakeup = host.platform->params().wakeup_ps;
  for (unsigned i : {1u, 2u}) {
    EXPECT_GE(woke[i], req[i].served_at + wakeup) << "cpu" << i;
    EXPECT_LT(woke[i], req[i].served_at + wakeup + 1 * kUs) << "cpu" << i;
    std::printf(
        "cpu%u asked at %.3f us, served at %.3f us by cpu%d, running at %.3f us: "
        "waited %.3f us\n",
        i, asked[i] / 1e6, req[i].served_at / 1e6, req[i].served_by, woke[i] / 1e6,
        (woke[i] - asked[i]) / 1e6);
  }
  const msg_pool::PoolStats s = pool.stats();
  EXPECT_EQ(s.sync_gets, 2u);
  EXPECT_EQ(s.failed_gets, 2u);
  EXPECT_EQ(s.async_queued, 2u);
  EXPECT_EQ(s.async_served, 2u);
  EXPECT_EQ(s.elements_out, 6u);
  EXPECT_EQ(s.elements_back, 6u);
  EXPECT_EQ(s.misuse(), 0u);
  EXPECT_EQ(pool.free_count(), 2u);
  EXPECT_EQ(host.regions.registrations(), 1u);  // one registration, however many messages
  EXPECT_TRUE(host.regions.check(pool.key(), pool.base(), pool.bytes(), kLocalWrite));
  // The lock's line moved between the CPUs that used the pool.
  EXPECT_GT(host.platform->lines_of(pool.hot_line(), 64).transfers, 5u);
}

// What a get and a put cost: on one CPU whose cache holds the pool's lines, a few accesses
// (the lock's test-and-set an atomic hit, the rest plain hits); when the pool's lines come from
// another CPU, the line transfers dominate.
TEST(MsgPoolSim, GetAndPutCostHitsOnOneCpuAndLineTransfersAcrossCpus) {
  Host host(2);
  Pool pool(*host.platform, host.pool_memory, config("host0.tx", 4));
  Picos get_warm = 0, put_warm = 0, get_moved = 0, put_moved = 0;
  hcasim::Lookahead::spawn_thread([&] {
    SimThread& t0 = *host.threads[0];
    SimContext& c = t0.context();
    t0.start();
    Handle h;
    for (int i = 0; i < 2; ++i) {  // the second round finds every line in cpu0's cache
      Picos t = now_ps();
      EXPECT_EQ(pool.get_sync(c, 1, &h), Status::ok);
      get_warm = now_ps() - t;
      t = now_ps();
      EXPECT_EQ(pool.put(c, h), Status::ok);
      put_warm = now_ps() - t;
    }
    t0.finish();
    hcasim::Lookahead::wait(ps(1 * kUs));
    SimThread& t1 = *host.threads[1];
    SimContext& c1 = t1.context();
    t1.start();
    Picos t = now_ps();
    EXPECT_EQ(pool.get_sync(c1, 1, &h), Status::ok);  // lock line and element line move
    get_moved = now_ps() - t;
    t1.finish();
    t0.start();
    t = now_ps();
    EXPECT_EQ(pool.put(c, h), Status::ok);  // and move back
    put_moved = now_ps() - t;
    t0.finish();
  });
  hcasim::Lookahead::run();
  const Picos cycle = host.cpus[0]->clock().period_ps();
  // get: test-and-set 20, then state, free head, element (load, store), free head, state,
  // release: 7 hits of 4, plus 6 cycles of bookkeeping.
  EXPECT_EQ(get_warm, (20 + 7 * 4 + 6) * cycle);
  // put: test-and-set 20, state, element (load, store), free head (load, store), state,
  // release: 7 hits of 4, plus 4 cycles of bookkeeping.
  EXPECT_EQ(put_warm, (20 + 7 * 4 + 4) * cycle);
  std::printf("get %.1f ns, put %.1f ns on one CPU; %.1f ns and %.1f ns when the lines move\n",
              get_warm / 1e3, put_warm / 1e3, get_moved / 1e3, put_moved / 1e3);
  // Across CPUs each call moves the lock's line and the element's line (50 ns each at least).
  EXPECT_GE(get_moved, get_warm + 2 * 50 * kNs);
  EXPECT_GE(put_moved, put_warm + 2 * 50 * kNs);
}

// Workers on cpu0..cpu3 each loop: ask for one or two elements asynchronously, sleep until
// served if pending, hold them (the message's work), put them back, think. Returns the total
// time requesters waited.
struct LoadResult {
  Picos waited = 0;
  unsigned waits = 0;
  std::uint64_t ops = 0;
};
void load(Host& host, Pool& pool, std::vector<Requester>& req, Picos start, unsigned ops,
          LoadResult& result) {
  Host* hp = &host;
  Pool* pp = &pool;
  LoadResult* out = &result;
  for (unsigned w = 0; w < req.size(); ++w) {
    Requester* rp = &req[w];
    hcasim::Lookahead::spawn_thread([hp, pp, out, rp, w, start, ops] {
      Pool& pool = *pp;
      LoadResult& result = *out;
      SimThread& t = *hp->threads[w];
      SimContext& c = t.context();
      Requester& r = *rp;
      RandomStream rng(11, "pool.worker" + std::to_string(w));
      t.start();
      if (now_ps() < start) t.sleep_for(start - now_ps());
      for (unsigned op = 0; op < ops; ++op) {
        r.req.count = 1 + static_cast<std::uint32_t>(rng.below(2));
        const Picos asked = now_ps();
        const Status s = pool.get_async(c, r.req);
        if (s == Status::pending) {
          r.sleep_until_served(c);
          result.waited += now_ps() - asked;
          ++result.waits;
        } else {
          EXPECT_EQ(s, Status::ok);
        }
        c.run(2600 + rng.below(2600));  // 1-2 us with the elements
        for (std::uint32_t k = 0; k < r.req.count; ++k)
          EXPECT_EQ(pool.put(c, r.out[k]), Status::ok);
        c.run(rng.below(1300));  // think, up to 0.5 us
        ++result.ops;
      }
      t.finish();
    });
  }
}

TEST(MsgPoolSim, AnUndersizedPoolMakesAsyncRequestersWait) {
  constexpr unsigned kWorkers = 4, kOps = 50;
  Host host(kWorkers);
  // Sized for the demand (each worker holds at most two) vs. three elements for four workers.
  Pool sized(*host.platform, host.pool_memory, config("host0.sized", 2 * kWorkers));
  Pool small(*host.platform, host.pool_memory, config("host0.small", 3));
  std::vector<Requester> req_sized(kWorkers), req_small(kWorkers);
  for (Requester& r : req_sized) r.platform = host.platform.get();
  for (Requester& r : req_small) r.platform = host.platform.get();
  LoadResult a, b;
  load(host, sized, req_sized, 0, kOps, a);
  hcasim::Lookahead::run();
  const Picos first_phase_end = now_ps();
  load(host, small, req_small, first_phase_end, kOps, b);
  hcasim::Lookahead::run();

  std::printf(
      "sized pool (8 elements): %llu ops, %u waits; undersized (3): %llu ops, %u waits, "
      "%.3f us waited in all, %.3f us per wait; phases took %.1f us and %.1f us\n",
      static_cast<unsigned long long>(a.ops), a.waits, static_cast<unsigned long long>(b.ops),
      b.waits, b.waited / 1e6, b.waits ? b.waited / 1e6 / b.waits : 0.0, first_phase_end / 1e6,
      (now_ps() - first_phase_end) / 1e6);
  EXPECT_EQ(a.ops, kWorkers * kOps);
  EXPECT_EQ(b.ops, kWorkers * kOps);
  // Sized for the demand: nobody ever waits.
  EXPECT_EQ(a.waits, 0u);
  EXPECT_EQ(sized.stats().async_queued, 0u);
  EXPECT_EQ(sized.stats().async_immediate, kWorkers * kOps);
  // Undersized: requesters queue and wait at least the wake-up latency each time.
  EXPECT_GT(b.waits, kOps);
  EXPECT_GE(b.waited, b.waits * host.platform->params().wakeup_ps);
  const msg_pool::PoolStats s = small.stats();
  EXPECT_EQ(s.async_queued, b.waits);
  EXPECT_EQ(s.async_served, b.waits);
  EXPECT_EQ(s.async_immediate + s.async_queued, kWorkers * kOps);
  EXPECT_EQ(s.elements_out, s.elements_back);
  EXPECT_EQ(s.peak_in_use, 3u);
  EXPECT_EQ(s.misuse(), 0u);
  unsigned callbacks = 0;
  for (const Requester& r : req_small) callbacks += r.callbacks;
  EXPECT_EQ(callbacks, b.waits);  // every wait ended by exactly one callback
  // One registration per pool, none per message.
  EXPECT_EQ(host.regions.registrations(), 2u);
  // The undersized pool's phase takes longer for the same work.
  EXPECT_GT(now_ps() - first_phase_end, first_phase_end);
}

}  // namespace
}  // namespace hcasim
