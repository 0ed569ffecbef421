// The torture properties of the native tests (tests/unit/sync/torture_test.cpp), again on the
// simulated platform: randomized workers and updaters on simulated CPUs for a bounded simulated
// time, for each SyncKind. No worker is ever inside during an update, no thread is left asleep
// (no lost wake-up), every deferral is re-triggered, and what tells the kinds apart holds:
// workers overlap under every kind but the global lock. Deterministic (seeded streams).
#include <gtest/gtest.h>

#include <sysc/kernel/sc_dynamic_processes.h>
#include <systemc>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "host_os/sim/sim_platform.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "host_os/sync/any_sync_guard.hpp"
#include "models/core/lookahead.hpp"
#include "models/core/random.hpp"

namespace hcasim {
namespace {

using sync::SyncKind;
using Guard = sync::AnySyncGuard<SimPlatform>;
constexpr Picos kNs = 1000;
constexpr Picos kUs = 1000 * kNs;

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

// What the guard protects, and what its users check (observation, not modelled).
struct Shared {
  std::uint64_t a = 0, b = 0;  // written by updaters only; invariant a == b outside updates
  bool updating = false;
  int workers_inside = 0, updaters_inside = 0, max_workers_inside = 0;
  std::uint64_t violations = 0, retriggered = 0;
};

class SimTorture : public ::testing::TestWithParam<SyncKind> {};

TEST_P(SimTorture, WorkersAndUpdatersNeverOverlap) {
  constexpr unsigned kWorkers = 6, kUpdaters = 2;
  const Picos end = 300 * kUs;
  Host host(kWorkers + kUpdaters);
  Shared s;
  Guard guard(*host.platform, GetParam(),
              [&](SimContext&, std::uint64_t n) { s.retriggered += n; });
  std::vector<std::uint64_t> ops(kWorkers, 0), busy(kWorkers, 0), updates(kUpdaters, 0);
  unsigned finished = 0;  // threads that ran to the end: a lost wake-up leaves one asleep
  for (unsigned w = 0; w < kWorkers; ++w) {
    hcasim::Lookahead::spawn_thread([&, w] {
      SimThread& t = *host.threads[w];
      SimContext& c = t.context();
      RandomStream rng(7, "worker" + std::to_string(w));
      t.start();
      while (now_ps() < end) {
        if (rng.below(4) == 0) {  // "DPC context": never blocks
          if (!guard.try_enter(c)) {
            ++busy[w];
            c.run(rng.below(200));
            continue;
          }
        } else if (!guard.enter(c)) {
          ++s.violations;  // nobody destroys in this test
          break;
        }
        s.max_workers_inside = std::max(s.max_workers_inside, ++s.workers_inside);
        if (s.updating || s.a != s.b) ++s.violations;
        c.run(rng.below(4000));  // the work: up to 1.5 us
        if (s.updating) ++s.violations;
        --s.workers_inside;
        guard.exit(c);
        ++ops[w];
        c.run(rng.below(1000));  // think
      }
      ++finished;
      t.finish();
    });
  }
  for (unsigned u = 0; u < kUpdaters; ++u) {
    hcasim::Lookahead::spawn_thread([&, u] {
      SimThread& t = *host.threads[kWorkers + u];
      SimContext& c = t.context();
      RandomStream rng(7, "updater" + std::to_string(u));
      t.start();
      while (now_ps() < end) {
        const bool ok = guard.update(c, [&] {
          if (s.updaters_inside++ != 0) ++s.violations;
          s.updating = true;
          if (s.workers_inside != 0) ++s.violations;
          ++s.a;
          c.run(rng.below(300));
          ++s.b;
          if (s.workers_inside != 0) ++s.violations;
          s.updating = false;
          --s.updaters_inside;
        });
        if (!ok) {
          ++s.violations;
          break;
        }
        ++updates[u];
        t.sleep_for(rng.below(20 * kUs));
      }
      ++finished;
      t.finish();
    });
  }
  hcasim::Lookahead::run();

  std::uint64_t total_ops = 0, total_busy = 0, total_updates = 0;
  std::uint64_t busiest = 0, idlest = ~std::uint64_t{0};
  for (unsigned w = 0; w < kWorkers; ++w) {
    total_ops += ops[w];
    total_busy += busy[w];
    busiest = std::max(busiest, ops[w]);
    idlest = std::min(idlest, ops[w]);
  }
  for (auto n : updates) total_updates += n;
  const sync::SyncStats st = guard.stats();
  std::printf(
      "[sim torture] sync=%s workers=%u updaters=%u sim_us=300: ops=%llu updates=%llu busy=%llu "
      "retriggered=%llu violations=%llu max_inside=%d busiest=%llu idlest=%llu\n",
      std::string(sync::to_string(GetParam())).c_str(), kWorkers, kUpdaters,
      static_cast<unsigned long long>(total_ops), static_cast<unsigned long long>(total_updates),
      static_cast<unsigned long long>(total_busy), static_cast<unsigned long long>(s.retriggered),
      static_cast<unsigned long long>(s.violations), s.max_workers_inside,
      static_cast<unsigned long long>(busiest), static_cast<unsigned long long>(idlest));

  EXPECT_EQ(finished, kWorkers + kUpdaters);
  EXPECT_EQ(s.violations, 0u);
  EXPECT_GT(total_ops, 200u);
  EXPECT_GT(total_updates, 20u);
  EXPECT_EQ(s.a, s.b);
  EXPECT_EQ(s.a, total_updates);
  EXPECT_EQ(s.retriggered, total_busy);
  EXPECT_EQ(st.busy_returns, total_busy);
  EXPECT_EQ(st.enters, total_ops);
  EXPECT_EQ(st.exits, total_ops);
  EXPECT_EQ(st.updates, total_updates);
  EXPECT_EQ(guard.state(), sync::GuardState::idle);
  EXPECT_GT(idlest, 0u);  // nobody starved
  if (GetParam() == SyncKind::global_lock) {
    EXPECT_EQ(s.max_workers_inside, 1);
  } else {
    EXPECT_GE(s.max_workers_inside, 2);
  }
}

TEST_P(SimTorture, DestroyUnderLoadReleasesEveryone) {
  constexpr unsigned kWorkers = 5;
  Host host(kWorkers + 1);
  Guard guard(*host.platform, GetParam());
  int inside = 0;
  std::uint64_t violations = 0;
  unsigned finished = 0;
  for (unsigned w = 0; w < kWorkers; ++w) {
    hcasim::Lookahead::spawn_thread([&, w] {
      SimThread& t = *host.threads[w];
      RandomStream rng(3, "worker" + std::to_string(w));
      t.start();
      while (guard.enter(t.context())) {
        ++inside;
        t.context().run(rng.below(500));
        --inside;
        guard.exit(t.context());
      }
      ++finished;
      t.finish();
    });
  }
  hcasim::Lookahead::spawn_thread([&] {
    SimThread& t = *host.threads[kWorkers];
    t.start();
    t.sleep_for(50 * kUs);
    EXPECT_TRUE(guard.destroy(t.context(), [&] {
      if (inside != 0) ++violations;
    }));
    EXPECT_FALSE(guard.update(t.context(), [] {}));
    t.finish();
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(finished, kWorkers);
  EXPECT_EQ(violations, 0u);
  EXPECT_TRUE(guard.destroyed());
}

// Which lines move, exactly: two workers on two CPUs overlap their sections -- w0 enters, w1
// enters, w0 leaves, w1 leaves, one access every microsecond, so nothing contends -- for 10
// rounds (20 sections). Under the single-atomic-word form every enter and exit is one
// fetch_add on the state word, and the other CPU touched the line last: one transfer each, 40.
// Under per-CPU marks each worker's mark line stays in its CPU and the flag line is shared by
// both: only the first touches move anything (two marks, two copies of the flag), 4 in all.
class SimLineMoves : public ::testing::TestWithParam<std::pair<SyncKind, std::uint64_t>> {};

TEST_P(SimLineMoves, OverlappingSectionsMoveTheLinesTheDesignSays) {
  constexpr unsigned kRounds = 10;
  Host host(2);
  Guard guard(*host.platform, GetParam().first);
  unsigned sections = 0;
  for (unsigned w = 0; w < 2; ++w) {
    hcasim::Lookahead::spawn_thread([&, w] {
      SimThread& t = *host.threads[w];
      t.start();
      t.sleep_for(w * kUs);  // w1 runs 1 us behind w0: each enters before the other leaves
      for (unsigned r = 0; r < kRounds; ++r) {
        ASSERT_TRUE(guard.enter(t.context()));
        t.sleep_for(2 * kUs - (now_ps() % kUs));  // leave on the 2nd microsecond mark after
        guard.exit(t.context());
        ++sections;
        t.sleep_for(2 * kUs - (now_ps() % kUs));  // enter again on the 2nd mark after that
      }
      t.finish();
    });
  }
  hcasim::Lookahead::run();
  ASSERT_EQ(sections, 2 * kRounds);
  CacheModel::LineStats lines;
  guard.for_each_region([&](const void* begin, std::size_t bytes) {
    lines += host.platform->lines_of(begin, bytes);
  });
  EXPECT_EQ(lines.transfers, GetParam().second);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, SimLineMoves,
    ::testing::Values(std::make_pair(SyncKind::algorithm_atomic, std::uint64_t{4 * 10}),
                      std::make_pair(SyncKind::percpu, std::uint64_t{4})),
    [](const auto& info) { return std::string(sync::to_string(info.param.first)); });

// Where the updater pays: 16 workers on cpu0..15 each enter and leave once, then the updater on
// cpu16 takes the resource with nobody inside. Under the single-atomic-word form that costs
// three line transfers whatever the number of CPUs (the small lock's line, reading the state
// word, and its fetch_add that takes the line from the workers' shared copies). Under per-CPU
// marks it is three plus one per CPU: the flag (read, then written), the lock, and every slot,
// each last written by its own CPU.
class SimUpdaterCost : public ::testing::TestWithParam<std::pair<SyncKind, std::uint64_t>> {};

TEST_P(SimUpdaterCost, AnUpdateWithNobodyInsideMovesTheLinesTheDesignSays) {
  constexpr unsigned kWorkers = 16;
  Host host(kWorkers + 1);
  Guard guard(*host.platform, GetParam().first);
  auto guard_transfers = [&] {
    CacheModel::LineStats lines;
    guard.for_each_region([&](const void* begin, std::size_t bytes) {
      lines += host.platform->lines_of(begin, bytes);
    });
    return lines.transfers;
  };
  for (unsigned w = 0; w < kWorkers; ++w) {
    hcasim::Lookahead::spawn_thread([&, w] {
      SimThread& t = *host.threads[w];
      t.start();
      t.sleep_for(w * kUs);  // one after the other
      ASSERT_TRUE(guard.enter(t.context()));
      guard.exit(t.context());
      t.finish();
    });
  }
  std::uint64_t moved = 0;
  Picos took = 0;
  hcasim::Lookahead::spawn_thread([&] {
    SimThread& t = *host.threads[kWorkers];
    t.start();
    t.sleep_for(2 * kWorkers * kUs);
    const std::uint64_t before = guard_transfers();
    const Picos t0 = now_ps();
    ASSERT_TRUE(guard.begin_update(t.context()));
    took = now_ps() - t0;
    moved = guard_transfers() - before;
    guard.end_update(t.context());
    t.finish();
  });
  hcasim::Lookahead::run();
  std::printf("[sim updater cost] sync=%s cpus=%u: begin_update %.1f ns, %llu line transfers\n",
              std::string(sync::to_string(GetParam().first)).c_str(), kWorkers + 1,
              static_cast<double>(took) / kNs, static_cast<unsigned long long>(moved));
  EXPECT_EQ(moved, GetParam().second);
  EXPECT_GE(took, Picos{moved} * SimPlatformParams{}.cache.transfer_ps);  // transfers in a row
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, SimUpdaterCost,
    ::testing::Values(std::make_pair(SyncKind::algorithm_atomic, std::uint64_t{3}),
                      std::make_pair(SyncKind::percpu, std::uint64_t{3 + 17})),
    [](const auto& info) { return std::string(sync::to_string(info.param.first)); });

INSTANTIATE_TEST_SUITE_P(AllKinds, SimTorture, ::testing::ValuesIn(sync::kAllSyncKinds),
                         [](const auto& info) { return std::string(sync::to_string(info.param)); });

}  // namespace
}  // namespace hcasim
