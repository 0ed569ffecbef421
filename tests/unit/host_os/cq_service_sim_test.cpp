// The completion service (host_os/cq_manager) on the simulated host: the same source as the
// native tests, on simulated CPUs, with a timed fake backend whose armed CQs interrupt a CPU.
// Several CPUs checking reap every entry exactly once; randomized monitor / stop / check with
// interrupt DPCs loses and duplicates nothing; a DPC's try_check deferred by a running update is
// re-triggered with the right CQ when the update ends; arm_and_wait sleeps and the interrupt's
// DPC wakes it; the arm race, forced, is closed. Deterministic: exact counts.
#include <gtest/gtest.h>

#include <sysc/kernel/sc_dynamic_processes.h>
#include <systemc>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "host_os/cq_manager/completion_service.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "models/core/lookahead.hpp"
#include "models/core/random.hpp"

namespace hcasim {
namespace {

using cq::Direction;
using sync::SyncKind;
constexpr Picos kNs = 1000;
constexpr Picos kUs = 1000 * kNs;

struct SimEntry {
  std::uint32_t wq = 0;
  Direction dir = Direction::outbound;
  std::uint64_t id = 0;
  Picos landed = 0;
};

class CqDpc;

// CQs as FIFOs in simulated memory. Polling costs the caller `poll_cycles` plus
// `entry_cycles` per entry, arming `arm_cycles`; an entry landing on an armed CQ disarms it and
// interrupts the CPU its vector is routed to (the ISR queues the CQ's DPC).
class TimedBackend {
 public:
  using Completion = SimEntry;
  static constexpr std::uint64_t poll_cycles = 100, entry_cycles = 20, arm_cycles = 50;

  explicit TimedBackend(unsigned cqs) : cqs_(cqs) {}

  unsigned poll(SimContext& c, std::uint32_t cq, SimEntry* out, unsigned max) {
    Cq& q = cqs_.at(cq);
    if (q.polling++) ++overlaps;
    c.run(poll_cycles);
    unsigned n = 0;
    while (n < max && !q.entries.empty()) {
      out[n++] = q.entries.front();
      q.entries.pop_front();
    }
    c.run(entry_cycles * n);
    --q.polling;
    return n;
  }
  bool arm(SimContext& c, std::uint32_t cq) {
    if (before_arm) before_arm(cq);
    c.run(arm_cycles);
    cqs_.at(cq).armed = true;
    return false;
  }
  std::uint32_t wq_of(const SimEntry& e) const { return e.wq; }
  Direction direction_of(const SimEntry& e) const { return e.dir; }

  void route(std::uint32_t cq, SimCpu& cpu, const Dpc& dpc) {
    cqs_.at(cq).cpu = &cpu;
    cqs_.at(cq).dpc = dpc;
  }
  void land(std::uint32_t cq, SimEntry e) {
    Cq& q = cqs_.at(cq);
    e.landed = now_ps();
    q.entries.push_back(e);
    if (q.armed && q.cpu) {
      q.armed = false;
      ++interrupts;
      q.cpu->interrupt(q.dpc);
    }
  }
  std::size_t waiting(std::uint32_t cq) const { return cqs_.at(cq).entries.size(); }
  bool armed(std::uint32_t cq) const { return cqs_.at(cq).armed; }

  std::function<void(std::uint32_t)> before_arm;
  std::uint64_t overlaps = 0, interrupts = 0;

 private:
  struct Cq {
    std::deque<SimEntry> entries;
    bool armed = false;
    unsigned polling = 0;
    SimCpu* cpu = nullptr;
    Dpc dpc;
  };
  std::vector<Cq> cqs_;
};

using Service = cq::CompletionService<SimPlatform, TimedBackend>;
using Outcome = cq::TryCheckResult::Outcome;

struct Host {
  std::vector<std::unique_ptr<SimCpu>> cpus;
  std::vector<std::unique_ptr<SimThread>> threads;
  std::unique_ptr<SimPlatform> platform;
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

// The DPC of a CQ's vector: wakes arm_and_wait sleepers and checks that CQ without blocking.
// Requeued work (deferred, or budget used) is queued again on the same CPU.
class CqDpc {
 public:
  CqDpc(Service*& service, SimCpu& cpu, bool check) : service_(service), cpu_(cpu), check_(check) {}
  static void run(void* self, std::uint64_t cq, SimContext& kernel) {
    auto& d = *static_cast<CqDpc*>(self);
    ++d.runs;
    const auto q = static_cast<std::uint32_t>(cq);
    d.service_->notify_completion(kernel, q);
    if (!d.check_) return;
    const cq::TryCheckResult r = d.service_->try_check(kernel, q, 8);
    if (r.outcome == Outcome::checked) d.reaped += r.processed;
    if (r.outcome == Outcome::deferred) ++d.deferred;
  }
  Dpc dpc(std::uint32_t cq) { return Dpc{&CqDpc::run, this, cq}; }
  void requeue(std::uint32_t cq) {
    requeued.push_back(cq);
    cpu_.queue_dpc(dpc(cq));
  }
  std::uint64_t runs = 0, reaped = 0, deferred = 0;
  std::vector<std::uint32_t> requeued;

 private:
  Service*& service_;
  SimCpu& cpu_;
  bool check_;
};

// What the owners see (observation, not modelled).
struct Tally {
  std::vector<unsigned> seen;   // per entry id
  std::vector<bool> monitored;  // per (wq, direction)
  std::uint64_t delivered = 0, late = 0, wrong = 0;
  explicit Tally(std::size_t entries, std::size_t owners) : seen(entries, 0), monitored(owners) {}
};

unsigned owner_key(std::uint32_t wq, Direction d) { return wq * 2 + static_cast<unsigned>(d); }

Service::Callback owner(Tally& t, std::uint32_t wq, Direction d) {
  return [&t, wq, d](SimContext& c, const SimEntry& e) {
    if (!t.monitored[owner_key(wq, d)]) ++t.late;
    if (e.wq != wq || e.dir != d) ++t.wrong;
    ++t.seen.at(e.id);
    ++t.delivered;
    c.run(260);  // the owner's work: 100 ns
  };
}

TEST(CqServiceSim, SeveralCpusCheckingReapEveryEntryExactlyOnce) {
  constexpr unsigned kCpus = 4, kCqs = 8, kWqs = 16, kEntries = 600;
  Host host(kCpus);
  TimedBackend backend(kCqs);
  Service service(*host.platform, backend, SyncKind::algorithm, cq::CompletionServiceConfig{kCqs});
  Tally tally(kEntries, kWqs * 2);
  std::vector<std::uint64_t> reaped(kCpus, 0);
  SimThread setup("setup", *host.cpus[0], nullptr);
  hcasim::Lookahead::spawn_thread([&] {
    SimThread& t = setup;
    t.start();
    SimContext& c = t.context();
    for (std::uint32_t q = 0; q < kCqs; ++q) service.add_cq(c, q);
    for (std::uint32_t w = 0; w < kWqs; ++w)
      for (Direction d : {Direction::outbound, Direction::inbound}) {
        tally.monitored[owner_key(w, d)] = true;
        service.monitor(c, w, d, owner(tally, w, d));
      }
    t.finish();
  });
  hcasim::Lookahead::spawn_thread(
      [&] {  // the adapter: entries land over 300 us, once every WQ is monitored
        RandomStream rng(3, "producer");
        hcasim::Lookahead::wait(ps(50 * kUs));
        for (std::uint64_t id = 0; id < kEntries; ++id) {
          SimEntry e;
          e.wq = static_cast<std::uint32_t>(rng.below(kWqs));
          e.dir = rng.below(2) ? Direction::inbound : Direction::outbound;
          e.id = id;
          backend.land(static_cast<std::uint32_t>(rng.below(kCqs)), e);
          hcasim::Lookahead::wait(ps(rng.below(1000 * kNs)));
        }
      });
  for (unsigned k = 0; k < kCpus; ++k) {
    hcasim::Lookahead::spawn_thread([&, k] {
      SimThread& t = *host.threads[k];
      hcasim::Lookahead::wait(ps(2 * kUs));
      t.start();
      SimContext& c = t.context();
      while (tally.delivered < kEntries) {
        reaped[k] += service.check(c, 4);
        c.run(500);  // between checks
      }
      t.finish();
    });
  }
  hcasim::Lookahead::run();
  const cq::CompletionStats s = service.stats();
  std::printf(
      "[cq sim] cpus=%u cqs=%u: checks=%llu empty=%llu claim_misses=%llu handovers=%llu "
      "reaped per cpu %llu %llu %llu %llu, end %.1f us\n",
      kCpus, kCqs, static_cast<unsigned long long>(s.checks),
      static_cast<unsigned long long>(s.empty_checks),
      static_cast<unsigned long long>(s.claim_misses), static_cast<unsigned long long>(s.handovers),
      static_cast<unsigned long long>(reaped[0]), static_cast<unsigned long long>(reaped[1]),
      static_cast<unsigned long long>(reaped[2]), static_cast<unsigned long long>(reaped[3]),
      static_cast<double>(now_ps()) / kUs);
  EXPECT_EQ(tally.delivered, kEntries);
  for (unsigned n : tally.seen) EXPECT_EQ(n, 1u);
  EXPECT_EQ(tally.late, 0u);
  EXPECT_EQ(tally.wrong, 0u);
  EXPECT_EQ(s.completions, kEntries);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(reaped[0] + reaped[1] + reaped[2] + reaped[3], kEntries);
  for (unsigned k = 0; k < kCpus; ++k) EXPECT_GT(reaped[k], 0u) << "cpu" << k;  // all took part
  EXPECT_EQ(backend.overlaps, 0u);
  EXPECT_EQ(s.updates, kCqs + 2 * kWqs);
  EXPECT_EQ(service.guard().stats().enters, s.checks);
}

// The baseline: one dedicated poller per CQ (check_one). Every entry is reaped by its CQ's own
// poller; pollers never meet on a claim.
TEST(CqServiceSim, DedicatedPollerPerCqReapsOnlyItsOwnCq) {
  constexpr unsigned kCqs = 4, kEntries = 200;
  Host host(kCqs);
  TimedBackend backend(kCqs);
  Service service(*host.platform, backend, SyncKind::algorithm, cq::CompletionServiceConfig{kCqs});
  Tally tally(kEntries, 2);
  std::vector<std::uint64_t> reaped(kCqs, 0), landed(kCqs, 0);
  SimThread setup("setup", *host.cpus[0], nullptr);
  hcasim::Lookahead::spawn_thread([&] {
    setup.start();
    for (std::uint32_t q = 0; q < kCqs; ++q) service.add_cq(setup.context(), q);
    tally.monitored[owner_key(0, Direction::outbound)] = true;
    service.monitor(setup.context(), 0, Direction::outbound, owner(tally, 0, Direction::outbound));
    setup.finish();
  });
  hcasim::Lookahead::spawn_thread([&] {
    RandomStream rng(5, "producer");
    hcasim::Lookahead::wait(ps(20 * kUs));
    for (std::uint64_t id = 0; id < kEntries; ++id) {
      SimEntry e;
      e.id = id;
      const auto q = static_cast<std::uint32_t>(rng.below(kCqs));
      ++landed[q];
      backend.land(q, e);
      hcasim::Lookahead::wait(ps(rng.below(500 * kNs)));
    }
  });
  for (std::uint32_t q = 0; q < kCqs; ++q) {
    hcasim::Lookahead::spawn_thread([&, q] {
      SimThread& t = *host.threads[q];
      hcasim::Lookahead::wait(ps(1 * kUs));
      t.start();
      while (tally.delivered < kEntries) {
        reaped[q] += service.check_one(t.context(), q, 16);
        t.context().run(200);
      }
      t.finish();
    });
  }
  hcasim::Lookahead::run();
  const cq::CompletionStats s = service.stats();
  EXPECT_EQ(s.completions, kEntries);
  for (std::uint32_t q = 0; q < kCqs; ++q) EXPECT_EQ(reaped[q], landed[q]) << "cq" << q;
  for (unsigned n : tally.seen) EXPECT_EQ(n, 1u);
  EXPECT_EQ(s.claim_misses, 0u);
  EXPECT_EQ(backend.overlaps, 0u);
}

class CqServiceSimKinds : public ::testing::TestWithParam<SyncKind> {};

// Checkers on 3 CPUs, an updater monitoring and stopping WQs at random, interrupts of armed
// CQs running DPCs (try_check) on a fourth CPU: nothing lost, nothing twice, no late callback.
TEST_P(CqServiceSimKinds, RandomizedMonitorStopCheckLosesAndDuplicatesNothing) {
  constexpr unsigned kCheckers = 3, kCqs = 6, kWqs = 8, kEntries = 1500;
  const Picos end = 400 * kUs;
  Host host(kCheckers + 2);  // checkers, the updater's CPU, the interrupt CPU
  SimCpu& irq_cpu = *host.cpus[kCheckers + 1];
  TimedBackend backend(kCqs);
  Service* service_ptr = nullptr;
  CqDpc dpc(service_ptr, irq_cpu, true);
  Service service(*host.platform, backend, GetParam(), cq::CompletionServiceConfig{kCqs, 4},
                  [&](SimContext&, std::uint32_t q) { dpc.requeue(q); });
  service_ptr = &service;
  for (std::uint32_t q = 0; q < kCqs; ++q) backend.route(q, irq_cpu, dpc.dpc(q));
  Tally tally(kEntries, kWqs * 2);
  std::uint64_t produced = 0, updates = 0;
  bool producing = true;
  hcasim::Lookahead::spawn_thread([&] {
    RandomStream rng(11, "producer");
    hcasim::Lookahead::wait(ps(3 * kUs));
    for (std::uint64_t id = 0; id < kEntries && now_ps() < end; ++id) {
      SimEntry e;
      e.wq = static_cast<std::uint32_t>(rng.below(kWqs));
      e.dir = rng.below(2) ? Direction::inbound : Direction::outbound;
      e.id = id;
      backend.land((e.wq * 2 + static_cast<unsigned>(e.dir)) % kCqs, e);
      ++produced;
      hcasim::Lookahead::wait(ps(rng.below(400 * kNs)));
    }
    producing = false;
  });
  hcasim::Lookahead::spawn_thread([&] {  // the updater; it also sets up and arms the CQs
    SimThread& t = *host.threads[kCheckers];
    t.start();
    SimContext& c = t.context();
    for (std::uint32_t q = 0; q < kCqs; ++q) service.add_cq(c, q);
    service.arm_all(c);
    RandomStream rng(11, "updater");
    while (producing) {
      const auto wq = static_cast<std::uint32_t>(rng.below(kWqs));
      const Direction d = rng.below(2) ? Direction::inbound : Direction::outbound;
      const unsigned k = owner_key(wq, d);
      if (tally.monitored[k]) {
        if (!service.stop_monitoring(c, wq, d)) ++tally.wrong;
        tally.monitored[k] = false;
      } else {
        tally.monitored[k] = true;
        if (!service.monitor(c, wq, d, owner(tally, wq, d))) ++tally.wrong;
      }
      ++updates;
      t.sleep_for(rng.below(8 * kUs));
    }
    t.finish();
  });
  for (unsigned k = 0; k < kCheckers; ++k) {
    hcasim::Lookahead::spawn_thread([&, k] {
      SimThread& t = *host.threads[k];
      RandomStream rng(11, "checker" + std::to_string(k));
      hcasim::Lookahead::wait(ps(1 * kUs));
      t.start();
      SimContext& c = t.context();
      while (producing) {
        service.check(c, static_cast<unsigned>(1 + rng.below(8)));
        t.sleep_for(rng.below(3 * kUs));  // checkers come and go
      }
      // The last one out drains what is left.
      while (service.check(c, 64) != 0) {
      }
      t.finish();
    });
  }
  hcasim::Lookahead::run();
  const cq::CompletionStats s = service.stats();
  std::printf(
      "[cq sim torture] sync=%s: produced=%llu delivered=%llu dropped=%llu updates=%llu "
      "checks=%llu claim_misses=%llu handovers=%llu interrupts=%llu dpcs=%llu deferrals=%llu "
      "retriggers=%llu budget_requeues=%llu\n",
      std::string(sync::to_string(GetParam())).c_str(), static_cast<unsigned long long>(produced),
      static_cast<unsigned long long>(tally.delivered), static_cast<unsigned long long>(s.dropped),
      static_cast<unsigned long long>(updates), static_cast<unsigned long long>(s.checks),
      static_cast<unsigned long long>(s.claim_misses), static_cast<unsigned long long>(s.handovers),
      static_cast<unsigned long long>(backend.interrupts),
      static_cast<unsigned long long>(dpc.runs), static_cast<unsigned long long>(s.deferrals),
      static_cast<unsigned long long>(s.retriggers),
      static_cast<unsigned long long>(s.budget_requeues));
  EXPECT_EQ(produced, kEntries);
  for (std::uint32_t q = 0; q < kCqs; ++q) EXPECT_EQ(backend.waiting(q), 0u) << "cq" << q;
  std::uint64_t never = 0;
  for (unsigned n : tally.seen) {
    EXPECT_LE(n, 1u);
    if (n == 0) ++never;
  }
  EXPECT_EQ(tally.late, 0u);
  EXPECT_EQ(tally.wrong, 0u);
  EXPECT_EQ(backend.overlaps, 0u);
  EXPECT_EQ(s.completions, tally.delivered);
  EXPECT_EQ(s.dropped, never);
  EXPECT_EQ(s.completions + s.dropped, kEntries);
  EXPECT_GT(s.completions, 0u);
  EXPECT_GT(s.dropped, 0u);
  EXPECT_GT(backend.interrupts, 0u);
  EXPECT_EQ(dpc.runs, backend.interrupts + dpc.requeued.size());
  EXPECT_EQ(s.retriggers + s.budget_requeues, dpc.requeued.size());
  EXPECT_LE(s.retriggers, s.deferrals);
  if (GetParam() == SyncKind::global_lock) {
    EXPECT_EQ(s.deferrals, 0u);
  }
}

// An interrupt's DPC finds an update running: try_check defers; the update's end requeues CQ 2
// -- that CQ only -- on the vector's CPU, and the requeued DPC reaps the entry.
TEST_P(CqServiceSimKinds, DpcDeferredByAnUpdateIsRetriggeredWithItsCq) {
  Host host(2);
  SimCpu& irq_cpu = *host.cpus[1];
  TimedBackend backend(4);
  Service* service_ptr = nullptr;
  CqDpc dpc(service_ptr, irq_cpu, true);
  Service service(*host.platform, backend, GetParam(), cq::CompletionServiceConfig{4},
                  [&](SimContext&, std::uint32_t q) { dpc.requeue(q); });
  service_ptr = &service;
  for (std::uint32_t q = 0; q < 4; ++q) backend.route(q, irq_cpu, dpc.dpc(q));
  Picos update_start = 0, update_end = 0, delivered_at = 0;
  std::uint64_t delivered = 0;
  hcasim::Lookahead::spawn_thread([&] {
    SimThread& t = *host.threads[0];
    t.start();
    SimContext& c = t.context();
    for (std::uint32_t q = 0; q < 4; ++q) service.add_cq(c, q);
    service.monitor(c, 7, Direction::inbound, [&](SimContext&, const SimEntry& e) {
      EXPECT_EQ(e.id, 77u);
      ++delivered;
      delivered_at = now_ps();
    });
    service.arm_all(c);
    t.sleep_for(10 * kUs - now_ps());
    service.update(c, [&] {
      update_start = now_ps();
      c.run(26'000);  // a 10 us update (a CQ resize, say)
      update_end = now_ps();
    });
    t.finish();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(12 * kUs));  // lands during the update
    SimEntry e;
    e.wq = 7;
    e.dir = Direction::inbound;
    e.id = 77;
    backend.land(2, e);
  });
  hcasim::Lookahead::run();
  const cq::CompletionStats s = service.stats();
  EXPECT_EQ(backend.interrupts, 1u);
  EXPECT_EQ(delivered, 1u);
  EXPECT_GT(update_start, 10 * kUs);
  EXPECT_LT(update_start, 12 * kUs);
  EXPECT_GE(delivered_at, update_end);  // never inside the update
  EXPECT_EQ(s.completions, 1u);
  if (GetParam() == SyncKind::global_lock) {
    // The DPC spins for the lock (no deferral) and reaps as soon as the update releases it.
    EXPECT_EQ(s.deferrals, 0u);
    EXPECT_EQ(s.retriggers, 0u);
    EXPECT_TRUE(dpc.requeued.empty());
    EXPECT_EQ(dpc.runs, 1u);
  } else {
    EXPECT_EQ(s.deferrals, 1u);
    EXPECT_EQ(dpc.deferred, 1u);
    EXPECT_EQ(s.retriggers, 1u);
    EXPECT_EQ(dpc.requeued, std::vector<std::uint32_t>{2});
    EXPECT_EQ(dpc.runs, 2u);  // the interrupt's, then the re-triggered one
    EXPECT_EQ(dpc.reaped, 1u);
    EXPECT_EQ(irq_cpu.dpcs(), 2u);
  }
  EXPECT_TRUE(backend.armed(2));  // the reaping DPC re-armed its CQ
}

INSTANTIATE_TEST_SUITE_P(AllKinds, CqServiceSimKinds, ::testing::ValuesIn(sync::kAllSyncKinds),
                         [](const auto& info) { return std::string(sync::to_string(info.param)); });

// arm_and_wait on cpu0 finds nothing, arms, sleeps; the entry's interrupt runs the DPC on cpu1,
// whose notify_completion wakes the sleeper after the wake-up latency.
TEST(CqServiceSim, ArmAndWaitSleepsUntilTheInterruptsDpcWakesIt) {
  Host host(2);
  TimedBackend backend(2);
  Service* service_ptr = nullptr;
  CqDpc dpc(service_ptr, *host.cpus[1], false);  // this DPC only wakes sleepers
  Service service(*host.platform, backend, SyncKind::algorithm, cq::CompletionServiceConfig{2});
  service_ptr = &service;
  for (std::uint32_t q = 0; q < 2; ++q) backend.route(q, *host.cpus[1], dpc.dpc(q));
  unsigned got = 0;
  Picos returned_at = 0, slept_at = 0;
  hcasim::Lookahead::spawn_thread([&] {
    SimThread& t = *host.threads[0];
    t.start();
    SimContext& c = t.context();
    service.add_cq(c, 0);
    service.add_cq(c, 1);
    service.monitor(c, 3, Direction::outbound, [](SimContext&, const SimEntry&) {});
    slept_at = now_ps();
    got = service.arm_and_wait(c, 8);
    returned_at = now_ps();
    t.finish();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(50 * kUs));
    SimEntry e;
    e.wq = 3;
    backend.land(1, e);
  });
  hcasim::Lookahead::run();
  const cq::CompletionStats s = service.stats();
  EXPECT_EQ(got, 1u);
  EXPECT_EQ(s.sleeps, 1u);
  EXPECT_EQ(s.wakes, 1u);
  EXPECT_EQ(s.notifies, 1u);
  EXPECT_EQ(s.arms, 2u);
  EXPECT_EQ(backend.interrupts, 1u);
  EXPECT_EQ(host.cpus[1]->interrupts(), 1u);
  // Interrupt (1 us ISR), DPC, then the sleeper's wake-up latency (1.5 us).
  const SimPlatformParams params;
  EXPECT_GE(returned_at, 50 * kUs + 1 * kUs + params.wakeup_ps);
  EXPECT_LT(returned_at, 50 * kUs + 10 * kUs);
  EXPECT_GT(host.cpus[0]->blocked_ps(), 40 * kUs);  // it slept, it did not poll
  EXPECT_LT(slept_at, 1 * kUs);
}

// The arm race, forced in simulated time: an entry lands after the last poll and before the
// arm (no interrupt for it). arm_and_wait checks again after arming and returns it at once.
TEST(CqServiceSim, ArmRaceForcedTheEntryIsReapedWithoutSleeping) {
  Host host(1);
  TimedBackend backend(3);
  Service service(*host.platform, backend, SyncKind::algorithm, cq::CompletionServiceConfig{3});
  bool slipped = false;
  backend.before_arm = [&](std::uint32_t q) {
    if (q == 2 && !slipped) {
      slipped = true;
      SimEntry e;
      e.wq = 1;
      e.dir = Direction::inbound;
      backend.land(2, e);
    }
  };
  unsigned got = 0;
  hcasim::Lookahead::spawn_thread([&] {
    SimThread& t = *host.threads[0];
    t.start();
    SimContext& c = t.context();
    for (std::uint32_t q = 0; q < 3; ++q) service.add_cq(c, q);
    service.monitor(c, 1, Direction::inbound, [](SimContext&, const SimEntry&) {});
    got = service.arm_and_wait(c, 8);
    t.finish();
  });
  hcasim::Lookahead::run();
  const cq::CompletionStats s = service.stats();
  EXPECT_TRUE(slipped);
  EXPECT_EQ(got, 1u);
  EXPECT_EQ(s.sleeps, 0u);
  EXPECT_EQ(s.arms, 3u);
  EXPECT_EQ(s.checks, 2u);
  EXPECT_EQ(backend.interrupts, 0u);
  EXPECT_EQ(host.cpus[0]->blocked_ps(), 0u);
}

}  // namespace
}  // namespace hcasim
