// The statistics registry (models/core/stats.hpp): what a model declares is what the report
// holds, in declaration order, with its unit and help; a name is declared once.
#include "models/core/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

namespace hcasim {
namespace {

struct DemoCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  Picos wait_ps = 0;
  template <class V>
  void visit(V& v) const {
    v.counter(packets, "packets", "count", "packets sent");
    v.counter(bytes, "bytes", "B", "bytes sent");
    v.time_ns(wait_ps, "wait_ns", "time waited");
  }
};

// A model as the simulator's are: its counters, and a group declaring them under its name.
struct DemoModel {
  explicit DemoModel(const std::string& name) : stats(name) {
    stats.declare(counters);
    stats.busy_share(wire, "utilization", "share of time the wire is busy");
    stats.distribution(latency, "latency_ns", "ns", "per-packet latency");
    stats.formula("bytes_per_packet", "B", "mean packet size", [this](const StatContext&) {
      return counters.packets ? double(counters.bytes) / double(counters.packets) : 0.0;
    });
  }
  DemoCounters counters;
  BusyResource wire;
  LogLinearHistogram latency;
  StatGroup stats;
};

const Metric* find(const RunReport& r, const std::string& path) {
  for (const Metric& m : r.contention)
    if (m.path == path) return &m;
  return nullptr;
}

TEST(Stats, TheReportReadsWhatTheModelCountedWithItsUnitAndHelp) {
  DemoModel m("node0.nic");
  m.counters.packets += 3;  // the model's hot path: a plain add on its member
  m.counters.bytes += 3000;
  m.counters.wait_ps = 2500;
  m.wire.reserve(0, 250);
  m.latency.record(40);
  m.latency.record(60);

  RunReport r;
  r.sim_time_ps = 1000;
  StatRegistry::instance().report(r);
  ASSERT_EQ(r.contention.size(), 6u);
  const char* order[] = {"node0.nic.packets",    "node0.nic.bytes",
                         "node0.nic.wait_ns",    "node0.nic.utilization",
                         "node0.nic.latency_ns", "node0.nic.bytes_per_packet"};
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(r.contention[i].path, order[i]);
  EXPECT_EQ(find(r, "node0.nic.packets")->value, 3.0);
  EXPECT_EQ(find(r, "node0.nic.packets")->unit, "count");
  EXPECT_EQ(find(r, "node0.nic.packets")->help, "packets sent");
  EXPECT_EQ(find(r, "node0.nic.bytes")->unit, "B");
  EXPECT_EQ(find(r, "node0.nic.wait_ns")->value, 2.5);
  EXPECT_EQ(find(r, "node0.nic.wait_ns")->unit, "ns");
  EXPECT_EQ(find(r, "node0.nic.utilization")->value, 0.25);
  EXPECT_EQ(find(r, "node0.nic.utilization")->unit, "ratio");
  const Metric* lat = find(r, "node0.nic.latency_ns");
  ASSERT_TRUE(lat->distribution.has_value());
  EXPECT_EQ(lat->distribution->count(), 2u);
  EXPECT_EQ(lat->value, 50.0);
  EXPECT_EQ(find(r, "node0.nic.bytes_per_packet")->value, 1000.0);
  EXPECT_FALSE(find(r, "node0.nic.packets")->distribution.has_value());
}

TEST(Stats, GroupsAreReportedInTheOrderTheyWereBuilt) {
  DemoModel b("b");
  DemoModel a("a");
  RunReport r;
  StatRegistry::instance().report(r);
  ASSERT_EQ(r.contention.size(), 12u);
  EXPECT_EQ(r.contention.front().path, "b.packets");
  EXPECT_EQ(r.contention[6].path, "a.packets");
}

TEST(Stats, AZeroTimeReportHasEveryFigureAndFiniteShares) {
  DemoModel m("m");
  RunReport r;  // sim_time_ps = 0, as `hcasim run --check` reports
  StatRegistry::instance().report(r);
  EXPECT_EQ(r.contention.size(), 6u);
  EXPECT_EQ(find(r, "m.utilization")->value, 0.0);
}

TEST(Stats, TwoModelsCannotDeclareTheSameName) {
  DemoModel first("host0.nic");
  try {
    DemoModel second("host0.nic");
    FAIL() << "a second model of the same name declared its statistics";
  } catch (const std::logic_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'host0.nic.packets'"), std::string::npos) << what;
    EXPECT_NE(what.find("declared twice"), std::string::npos) << what;
  }
  // The failed model left nothing behind: the first one's figures, once each.
  RunReport r;
  StatRegistry::instance().report(r);
  EXPECT_EQ(r.contention.size(), 6u);
}

TEST(Stats, TheSameNameInOneGroupIsRefusedToo) {
  StatGroup g("g");
  std::uint64_t x = 0, y = 0;
  g.counter(x, "n", "count", "first");
  EXPECT_THROW(g.counter(y, "n", "count", "second"), std::logic_error);
}

TEST(Stats, AModelThatIsGoneTakesItsStatisticsAndItsNamesWithIt) {
  auto m = std::make_unique<DemoModel>("gone");
  EXPECT_EQ(StatRegistry::instance().size(), 6u);
  m.reset();
  EXPECT_EQ(StatRegistry::instance().size(), 0u);
  DemoModel again("gone");  // the name is free again
  RunReport r;
  StatRegistry::instance().report(r);
  EXPECT_EQ(r.contention.size(), 6u);
}

}  // namespace
}  // namespace hcasim
