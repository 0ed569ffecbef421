// The completion engine on its own: CQEs written to the ring in order after cqe_cycles, an
// armed CQ's event (MSI) by moderation count or by the moderation timer at exact times, one
// event per arm, an arm that finds unpolled entries firing at once, and overrun (the doorbell
// record read only when the CQ may be full).
#include "models/hca/completion_engine.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "models/core/lookahead.hpp"
#include "tests/unit/hca/stage_bench.hpp"

namespace hcasim::hca_stage {
namespace {

constexpr std::uint64_t kDbrec = 0x100;  // software's consumer index
constexpr std::uint64_t kRing = 0x1000;

struct CompletionBench : StageBench {
  CompletionEngine engine{core};
  std::uint32_t cqn;

  explicit CompletionBench(std::uint32_t entries = 16)
      : cqn(engine.create_cq(kRing, entries, kDbrec)) {}

  Cqe completion(std::uint64_t wr_id) {
    Cqe c{};
    c.wr_id = wr_id;
    c.is_recv = 1;
    return c;
  }
  // Writes a completion for each of `times` (from a process, at that time).
  void complete_at(std::vector<Picos> times) {
    hcasim::Lookahead::spawn_thread([this, times] {
      std::uint64_t id = 0;
      for (Picos t : times) {
        hcasim::Lookahead::wait(ps(t - now_ps()));
        engine.write_cqe(cqn, completion(++id), now_ps());
      }
    });
  }
  std::vector<Picos> msi_issued() const {
    std::vector<Picos> out;
    for (const auto& m : host.msis) out.push_back(m.issued);
    return out;
  }
};

TEST(CompletionEngine, CqesLandInOrderAfterTheCqeWriter) {
  CompletionBench b;
  b.complete_at({10 * kNs, 10 * kNs, 30 * kNs});
  hcasim::Lookahead::run();
  ASSERT_EQ(b.host.writes.size(), 3u);
  // cqe_cycles is 10 (10 ns at 1 GHz); two at once queue behind each other.
  const Picos built[] = {20 * kNs, 30 * kNs, 40 * kNs};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(b.host.writes[i].addr, kRing + i * sizeof(Cqe));
    EXPECT_EQ(b.host.writes[i].lands, built[i] + b.host.latency);
    Cqe c;
    std::memcpy(&c, b.host.writes[i].bytes.data(), sizeof c);
    EXPECT_EQ(c.wr_id, i + 1);
    EXPECT_EQ(c.owner, cqe_owner_for(std::uint32_t(i), 16));
  }
  EXPECT_TRUE(b.host.msis.empty());  // not armed: no event
  EXPECT_EQ(b.core.counters.cqes, 3u);
}

TEST(CompletionEngine, ModerationByCountFiresOnTheCountthCompletionOnly) {
  CompletionBench b;
  b.engine.set_moderation(b.cqn, 3, 0);
  b.engine.arm(0, b.cqn, 0, false);
  b.complete_at({10 * kNs, 20 * kNs, 30 * kNs, 100 * kNs, 110 * kNs, 120 * kNs});
  hcasim::Lookahead::run();
  // The third completion is built at 40 ns; its MSI is issued behind its CQE. The event
  // disarms the CQ: the next three raise none.
  EXPECT_EQ(b.msi_issued(), (std::vector<Picos>{40 * kNs}));
  EXPECT_EQ(b.host.msis[0].vector, b.cqn);  // the default vector is the CQ number
  EXPECT_EQ(b.core.counters.interrupts, 1u);
}

TEST(CompletionEngine, ModerationTimerFiresAPeriodAfterTheFirstCompletion) {
  CompletionBench b;
  b.engine.set_moderation(b.cqn, 4, 1000 * kNs);
  b.engine.set_vector(b.cqn, 9);
  b.engine.arm(0, b.cqn, 0, false);
  b.complete_at({10 * kNs, 500 * kNs});
  hcasim::Lookahead::run();
  // Two of four: the timer started by the first (built at 20 ns) fires at 1020 ns.
  EXPECT_EQ(b.msi_issued(), (std::vector<Picos>{1020 * kNs}));
  EXPECT_EQ(b.host.msis[0].vector, 9u);
}

TEST(CompletionEngine, AnEventClearsItsTimerAndTheNextArmStartsAfresh) {
  CompletionBench b;
  b.engine.set_moderation(b.cqn, 2, 1000 * kNs);
  b.engine.arm(0, b.cqn, 0, false);
  // Two completions fire by count at 30 ns (the timer the first started is cleared with it).
  b.complete_at({10 * kNs, 20 * kNs, 1500 * kNs});
  // Software re-arms at 1200 ns having polled both: the third completion starts a new timer.
  hcasim::Lookahead::spawn_thread([&b] {
    hcasim::Lookahead::wait(ps(1200 * kNs));
    b.host.put(kDbrec, std::uint32_t{2});
    b.engine.arm(now_ps(), b.cqn, 2, false);
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(b.msi_issued(), (std::vector<Picos>{30 * kNs, 2510 * kNs}));
}

TEST(CompletionEngine, AnArmThatFindsUnpolledEntriesFiresAtOnce) {
  CompletionBench b;
  b.complete_at({10 * kNs});
  // Software polled nothing (consumer 0) and arms at 100 ns: the entry it has not seen counts.
  hcasim::Lookahead::spawn_thread([&b] {
    hcasim::Lookahead::wait(ps(100 * kNs));
    b.engine.arm(now_ps() + 10 * kNs, b.cqn, 0, false);
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(b.msi_issued(), (std::vector<Picos>{110 * kNs}));
}

TEST(CompletionEngine, SolicitedOnlyArmIgnoresUnsolicitedCompletions) {
  CompletionBench b;
  b.engine.arm(0, b.cqn, 0, true);
  b.complete_at({10 * kNs, 20 * kNs});
  hcasim::Lookahead::run();
  EXPECT_TRUE(b.host.msis.empty());
  Cqe solicited = b.completion(3);
  solicited.solicited = 1;
  b.engine.write_cqe(b.cqn, solicited, now_ps());
  hcasim::Lookahead::run();
  ASSERT_EQ(b.host.msis.size(), 1u);
}

TEST(CompletionEngine, AFullCqOverrunsAndLosesEveryLaterEntry) {
  CompletionBench b(4);
  b.complete_at({10 * kNs, 20 * kNs, 30 * kNs, 40 * kNs, 50 * kNs, 60 * kNs});
  hcasim::Lookahead::run();  // software polls nothing: four fit, two are lost
  EXPECT_EQ(b.host.writes.size(), 4u);
  EXPECT_EQ(b.engine.completions_lost(b.cqn), 2u);
  EXPECT_EQ(b.core.counters.cq_overruns, 1u);
  EXPECT_EQ(b.core.counters.async_events_undelivered, 1u);  // CqError, no event queue open
  // A resize to a larger ring (software had polled nothing) takes entries again.
  const auto r = b.engine.resize_cq(b.cqn, 0x8000, 8, kDbrec);
  EXPECT_EQ(r.status, VerbStatus::kOk);
  EXPECT_EQ(r.switch_index, 4u);
  b.complete_at({now_ps() + 10 * kNs});
  hcasim::Lookahead::run();
  ASSERT_EQ(b.host.writes.size(), 5u);
  EXPECT_EQ(b.host.writes[4].addr, 0x8000u + 4 * sizeof(Cqe));
}

TEST(CompletionEngine, ReadsTheDoorbellRecordOnlyWhenTheCqMayBeFull) {
  CompletionBench b(4);
  // Software polls three entries by 45 ns; the engine learns of it when the last index it read
  // (0) leaves no room, at the fifth entry, and overruns at the eighth (7 - 3 = 4 in use).
  hcasim::Lookahead::spawn_thread([&b] {
    hcasim::Lookahead::wait(ps(45 * kNs));
    b.host.put(kDbrec, std::uint32_t{3});
  });
  b.complete_at({10 * kNs, 20 * kNs, 30 * kNs, 40 * kNs, 50 * kNs, 60 * kNs, 70 * kNs, 80 * kNs});
  hcasim::Lookahead::run();
  EXPECT_EQ(b.host.writes.size(), 7u);
  EXPECT_EQ(b.engine.completions_lost(b.cqn), 1u);
  EXPECT_EQ(b.core.counters.cq_overruns, 1u);
  EXPECT_EQ(b.host.dbg_reads, 3u);  // the first entry, the fifth, the eighth
}

}  // namespace
}  // namespace hcasim::hca_stage
