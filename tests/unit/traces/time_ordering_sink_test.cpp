// The time-ordering stage in front of the trace writers: changes reported ahead of time come
// out in time order, ties in the order they were made, whatever the distance ahead (within
// its ring of buckets, beyond it, across long idle gaps).
#include "traces/time_ordering_sink.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "models/core/sim_time.hpp"
#include "recording_sink.hpp"
#include "trace_test_files.hpp"
#include "traces/vcd_writer.hpp"

namespace hcasim {
namespace {

using trace_test::Change;
using trace_test::ModelTime;
using trace_test::RecordingSink;

TEST(TimeOrderingSink, ChangesAheadComeOutWhenTimeReachesThemTiesInTheOrderMade) {
  ModelTime time;
  RecordingSink out;
  TimeOrderingSink sink(out);
  sink.change_integer(1, 5000, 1);  // ahead
  sink.change_integer(2, 3000, 7);  // ahead, earlier
  sink.change_integer(3, 5000, 2);  // same time as the first: after it
  sink.change_integer(4, 0, 9);     // now: at once
  EXPECT_EQ(out.changes, (std::vector<Change>{{0, 4, 9}}));
  time.at(4000);
  sink.change_integer(5, 4000, 3);  // the held change at 3000 goes first
  EXPECT_EQ(out.changes, (std::vector<Change>{{0, 4, 9}, {3000, 2, 7}, {4000, 5, 3}}));
  EXPECT_EQ(sink.flush_all(), 5000u);
  EXPECT_EQ(out.changes, (std::vector<Change>{
                             {0, 4, 9}, {3000, 2, 7}, {4000, 5, 3}, {5000, 1, 1}, {5000, 3, 2}}));
}

TEST(TimeOrderingSink, ACountedSignalsDeltasComeOutSummedInTimeOrder) {
  // A buffer that starts with 2 blocks: 3 arrive at 100 and 1 leaves at 50 (both known now,
  // made in the other order), 1 arrives now; at 200, 4 leave (dated then) and 2 arrive.
  ModelTime time;
  RecordingSink out;
  TimeOrderingSink sink(out);
  const auto id = sink.declare_integer("switch.occupancy", 16, 2);
  sink.change_delta(id, 100, 3);
  sink.change_delta(id, 50, static_cast<std::uint64_t>(-1));
  sink.change_delta(id, 0, 1);
  EXPECT_EQ(out.changes, (std::vector<Change>{{0, id, 3}}));
  time.at(200);
  sink.change_delta(id, 200, static_cast<std::uint64_t>(-4));
  sink.change_delta(id, 200, 2);
  sink.flush_all();
  EXPECT_EQ(out.changes, (std::vector<Change>{
                             {0, id, 3}, {50, id, 2}, {100, id, 5}, {200, id, 1}, {200, id, 3}}));
}

TEST(TimeOrderingSink, FarAheadAndAcrossLongGapsTheOrderIsTheSortedOrder) {
  // Random changes between 0 and 20 us ahead (the ring covers about 4 us), time advancing in
  // small steps and sometimes by a second; the writer must get exactly the changes sorted by
  // time, ties in the order made.
  ModelTime time;
  RecordingSink out;
  TimeOrderingSink sink(out);
  std::mt19937_64 rng(12345);
  std::vector<Change> made;
  std::uint64_t now = 0;
  for (int i = 0; i < 200000; ++i) {
    const unsigned step = rng() % 100;
    if (step < 30)
      now += rng() % 40'000;  // up to 40 ns
    else if (step == 30)
      now += rng() % 1'000'000'000'000ull;  // up to a second of nothing
    time.at(now);
    std::uint64_t ahead = 0;
    const unsigned kind = rng() % 100;
    if (kind < 60)
      ahead = rng() % 500'000;  // within the ring
    else if (kind < 70)
      ahead = rng() % 20'000'000;  // mostly beyond it
    else if (kind < 80)
      ahead = (rng() % 4) * 16'384;  // on bucket edges
    else if (!made.empty() && made.back().t >= now)
      ahead = made.back().t - now;  // the same time as the last change: a tie
    const Change c{now + ahead, static_cast<TraceSink::SignalId>(i % 97), std::uint64_t(i)};
    made.push_back(c);
    sink.change_integer(c.id, c.t, c.value);
  }
  std::uint64_t last = 0;
  for (const Change& c : made) last = std::max(last, c.t);
  EXPECT_EQ(sink.flush_all(), last);
  std::stable_sort(made.begin(), made.end(),
                   [](const Change& a, const Change& b) { return a.t < b.t; });
  ASSERT_EQ(out.changes.size(), made.size());
  EXPECT_TRUE(out.changes == made);
}

TEST(TimeOrderingSink, InFrontOfAWriterTheFileIsThatOfTheChangesSorted) {
  // In front of a trace writer the stage hands changes over by a direct call, not through the
  // sink interface: the file must be byte for byte the one the writer makes of the same
  // changes given to it in time order (ties in the order made), integers and reals alike.
  const auto dir = trace_test::test_dir();
  VcdWriter through((dir / "through.vcd").string());
  VcdWriter direct((dir / "direct.vcd").string());
  for (VcdWriter* w : {&through, &direct}) {
    w->declare_integer("top.flag", 1, 0);
    w->declare_integer("top.depth", 5, 3);
    w->declare_enum("top.state", {"idle", "busy", "wait"}, 0);
    w->declare_integer("top.bytes", 64, 0);
    w->declare_real("top.rate", 0.5);
  }
  ModelTime time;
  TimeOrderingSink sink(through);
  std::mt19937_64 rng(2026);
  std::vector<Change> made;  // signal 4's values are a real's bits
  std::uint64_t now = 1;
  for (int i = 0; i < 20000; ++i) {
    now += rng() % 3 == 0 ? rng() % 50'000 : 0;
    time.at(now);
    const std::uint64_t ahead = rng() % 4 == 0 ? rng() % 6'000'000 : 0;  // some beyond the ring
    const auto id = static_cast<TraceSink::SignalId>(rng() % 5);
    std::uint64_t value = rng() % 8;  // repeats: unchanged values are not written again
    if (id == 4) {
      const double rate = static_cast<double>(value) / 4;
      std::memcpy(&value, &rate, sizeof value);
      sink.change_real(id, now + ahead, rate);
    } else {
      sink.change_integer(id, now + ahead, value);
    }
    made.push_back({now + ahead, id, value});
  }
  const std::uint64_t last = sink.flush_all();
  std::stable_sort(made.begin(), made.end(),
                   [](const Change& a, const Change& b) { return a.t < b.t; });
  ASSERT_EQ(last, made.back().t);
  for (const Change& m : made) {
    if (m.id == 4) {
      double rate;
      std::memcpy(&rate, &m.value, sizeof rate);
      direct.change_real(m.id, m.t, rate);
    } else {
      direct.change_integer(m.id, m.t, m.value);
    }
  }
  through.finish(last + 1000);
  direct.finish(last + 1000);
  const std::string file = trace_test::read_file(dir / "through.vcd");
  EXPECT_GT(file.size(), 100000u);
  EXPECT_TRUE(file == trace_test::read_file(dir / "direct.vcd")) << "the two files differ";
}

TEST(TimeOrderingSink, RealsKeepTheirValue) {
  ModelTime time;
  struct RealSink : RecordingSink {
    std::vector<double> reals;
    void change_real(SignalId, std::uint64_t, double v) override { reals.push_back(v); }
  } out;
  TimeOrderingSink sink(out);
  sink.change_real(0, 10'000'000, 0.1);  // far ahead
  sink.change_real(0, 100, -2.5e-300);
  sink.flush_all();
  EXPECT_EQ(out.reals, (std::vector<double>{-2.5e-300, 0.1}));
}

}  // namespace
}  // namespace hcasim
