// The stdout summary: names what ran, lists every class and metric, keeps columns aligned and
// carries the wall-clock section (the only place wall figures appear).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "report_fixture.hpp"
#include "traces/summary_table.hpp"

namespace hcasim {
namespace {

using testing::sample_report;

std::string render(const RunReport& r, const WallStats& w) {
  std::ostringstream out;
  print_summary_table(r, w, out);
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(SummaryTable, NamesScenarioClassesMetricsAndWallClock) {
  const std::string t = render(sample_report(), WallStats{2.0, 4000000, 2000});
  SCOPED_TRACE(t);
  EXPECT_TRUE(contains(t, "unit_scenario"));
  EXPECT_TRUE(contains(t, "seed 42"));
  EXPECT_TRUE(contains(t, "simulated time 1.000 ms"));
  EXPECT_TRUE(contains(t, "Operations (latency in ns)"));  // medians of 2 ns and 500 ns
  EXPECT_TRUE(contains(t, "zeta_send"));
  EXPECT_TRUE(contains(t, "alpha_write"));
  EXPECT_TRUE(contains(t, "1.00M"));       // ops/s
  EXPECT_TRUE(contains(t, "4.10 GB/s"));   // 4.096e9 B/s
  EXPECT_TRUE(contains(t, "64.00 MB/s"));  // 6.4e7 B/s
  EXPECT_TRUE(contains(t, "host0.cpu0.utilization"));
  EXPECT_TRUE(contains(t, "host0.sync.worker_wait_ns"));
  EXPECT_TRUE(contains(t, "Wall clock"));
  EXPECT_TRUE(contains(t, "2.000 s"));
  EXPECT_TRUE(contains(t, "2.00M"));   // events per wall second
  EXPECT_TRUE(contains(t, "1.00k"));   // work requests per wall second
  EXPECT_TRUE(contains(t, "0.0005"));  // 1 ms simulated in 2 s of wall time
  EXPECT_TRUE(contains(t, "2000.0x slower"));
}

TEST(SummaryTable, ColumnsAreAligned) {
  const auto lines = lines_of(render(sample_report(), WallStats{1.0, 10, 10}));
  // Each table is a header, a rule of dashes, then rows, all of one length.
  for (std::size_t i = 1; i + 1 < lines.size(); ++i) {
    if (lines[i].find("--") == std::string::npos ||
        lines[i].find_first_not_of(" -") != std::string::npos) {
      continue;
    }
    const std::size_t width = lines[i].size();
    EXPECT_EQ(lines[i - 1].size(), width) << lines[i - 1];
    for (std::size_t r = i + 1; r < lines.size() && !lines[r].empty(); ++r) {
      // Rows may be shorter only by trailing blanks of empty cells; pad and compare columns.
      EXPECT_LE(lines[r].size(), width) << lines[r];
    }
  }
}

TEST(SummaryTable, EmptyReportAndZeroWallTime) {
  const std::string t = render(RunReport{}, WallStats{});
  EXPECT_TRUE(contains(t, "(none)"));
  EXPECT_TRUE(contains(t, "Wall clock"));
  EXPECT_TRUE(contains(t, "n/a"));
  EXPECT_FALSE(contains(t, "inf"));
  EXPECT_FALSE(contains(t, "nan"));
}

TEST(SummaryTable, PicksMicrosecondsForMicrosecondLatencies) {
  RunReport r = sample_report();
  r.ops[0].latency_ps.reset();
  r.ops[0].latency_ps.record_n(25000000, 1000);  // 25 µs
  const std::string t = render(r, WallStats{1.0, 1, 1});
  EXPECT_TRUE(contains(t, "Operations (latency in µs)")) << t;
  EXPECT_TRUE(contains(t, "25.000")) << t;
}

}  // namespace
}  // namespace hcasim
