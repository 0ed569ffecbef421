// The stage that hands the trace's time ordering and writer to a thread of their own: what the
// writer gets is exactly what it gets without the stage, whatever the block size; declarations
// still follow earlier changes; errors behind it come back to the simulation's thread.
#include "traces/background_trace_sink.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "models/core/sim_time.hpp"
#include "recording_sink.hpp"

namespace hcasim {
namespace {

using trace_test::Change;
using trace_test::ModelTime;
using trace_test::RecordingSink;

// The same random changes, made at the same simulated times, through `sink`.
template <class Sink>
void make_changes(Sink& sink, ModelTime& time) {
  std::mt19937_64 rng(7);
  std::uint64_t now = 0;
  for (int i = 0; i < 50000; ++i) {
    if (rng() % 3 == 0) now += rng() % 50'000;
    time.at(now);
    const std::uint64_t ahead = rng() % 4 == 0 ? 0 : rng() % 2'000'000;
    if (i % 101 == 0)
      sink.change_real(static_cast<TraceSink::SignalId>(i % 13), now + ahead, i * 0.5);
    else
      sink.change_integer(static_cast<TraceSink::SignalId>(i % 13), now + ahead, std::uint64_t(i));
  }
}

TEST(BackgroundTraceSink, TheWriterGetsExactlyWhatItGetsWithoutTheStage) {
  ModelTime time;
  RecordingSink direct_out;
  TimeOrderingSink direct(direct_out);
  make_changes(direct, time);
  const std::uint64_t direct_last = direct.flush_all();
  for (std::size_t block : {std::size_t{1}, std::size_t{7}, std::size_t{4096},
                            BackgroundTraceSink::kDefaultBlockChanges}) {
    RecordingSink out;
    TimeOrderingSink ordered(out);
    BackgroundTraceSink background(ordered, block);
    make_changes(background, time);
    EXPECT_EQ(background.flush_all(), direct_last) << block;
    ASSERT_EQ(out.changes.size(), direct_out.changes.size()) << block;
    EXPECT_TRUE(out.changes == direct_out.changes) << block;
  }
}

// Models' sources write their notes into the stage's block themselves
// (TraceSink::note_integer, note_delta): set(), set_at() and a counted signal's add_at()
// through the stage give the writer exactly what they give it without the stage, across block
// boundaries.
template <class Sink>
void set_sources(Sink& sink, ModelTime& time) {
  std::vector<TracedInt> sources(5);
  for (std::size_t i = 0; i < sources.size(); ++i)
    sources[i].attach(&sink, "m.s" + std::to_string(i), 32);
  std::vector<TracedCount> counts(2);
  for (std::size_t i = 0; i < counts.size(); ++i)
    counts[i].attach(&sink, "m.c" + std::to_string(i), 32);
  std::mt19937_64 rng(11);
  std::uint64_t now = 0;
  for (int i = 0; i < 20000; ++i) {
    if (rng() % 3 == 0) now += rng() % 40'000;
    time.at(now);
    if (rng() % 5 == 0) {  // a thing counted in now, and out when it is known to leave
      TracedCount& c = counts[rng() % counts.size()];
      c.add_at(now, 1);
      c.add_at(now + rng() % 1'000'000, -1);
      continue;
    }
    TracedInt& s = sources[rng() % sources.size()];
    if (rng() % 4 == 0)
      s.set_at(now + rng() % 1'000'000, rng() % 100);
    else
      s.set(rng() % 100);
  }
}

TEST(BackgroundTraceSink, SourcesWritingIntoTheBlockGiveTheSameChanges) {
  ModelTime time;
  RecordingSink direct_out;
  TimeOrderingSink direct(direct_out);
  set_sources(direct, time);
  direct.flush_all();
  ASSERT_GT(direct_out.changes.size(), 10000u);
  for (std::size_t block : {std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
    RecordingSink out;
    TimeOrderingSink ordered(out);
    BackgroundTraceSink background(ordered, block);
    set_sources(background, time);
    background.flush_all();
    ASSERT_EQ(out.changes.size(), direct_out.changes.size()) << block;
    EXPECT_TRUE(out.changes == direct_out.changes) << block;
    EXPECT_EQ(out.declared, direct_out.declared) << block;
  }
}

TEST(BackgroundTraceSink, ADeclarationComesAfterTheChangesMadeBeforeIt) {
  ModelTime time;
  RecordingSink out;
  TimeOrderingSink ordered(out);
  BackgroundTraceSink background(ordered);
  const auto a = background.declare_integer("m.a", 8, 0);
  background.change_integer(a, 0, 5);  // a model setting its value while others are built
  background.declare_integer("m.b", 8, 0);
  EXPECT_EQ(out.declared_after_changes, 1u);  // the change reached the writer first
  background.flush_all();
}

TEST(BackgroundTraceSink, AnErrorBehindTheStageComesBackToTheSimulationThread) {
  ModelTime time;
  RecordingSink out;
  out.throw_on_value = 3;
  TimeOrderingSink ordered(out);
  BackgroundTraceSink background(ordered, 2);
  background.change_integer(0, 0, 1);
  background.change_integer(0, 0, 3);  // the block of two goes to the worker, which fails
  EXPECT_THROW(
      {
        for (int i = 0; i < 10; ++i) background.change_integer(0, 0, 4);
      },
      std::logic_error);
}

}  // namespace
}  // namespace hcasim
