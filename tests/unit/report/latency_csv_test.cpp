// latency.csv: header, one row per non-empty bucket in op then bucket order, counts that add up
// and exact fixed-point bounds.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "report_fixture.hpp"
#include "traces/latency_csv.hpp"

namespace hcasim {
namespace {

using testing::has_tmp_file;
using testing::read_all;
using testing::sample_report;
using testing::test_dir;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "12.345" -> 12345 (ps), exactly.
std::uint64_t ns_to_ps(const std::string& s) {
  const auto dot = s.find('.');
  return std::stoull(s.substr(0, dot)) * 1000 + std::stoull(s.substr(dot + 1));
}

TEST(LatencyCsv, RowsSumToCountsAndBoundsAscend) {
  const auto dir = test_dir();
  const RunReport report = sample_report();
  write_latency_csv(report, (dir / "latency.csv").string());
  const std::string text = read_all(dir / "latency.csv");
  EXPECT_FALSE(has_tmp_file(dir));
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto lines = lines_of(text);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "class,bucket_low_ns,bucket_high_ns,count");
  // 2000 ps lies in the 7-bit bucket [2000, 2008) ps.
  EXPECT_EQ(lines[1], "zeta_send,2.000,2.008,1000");

  const std::regex row(R"(([a-z_]+),(\d+\.\d{3}),(\d+\.\d{3}),(\d+))");
  std::vector<std::string> class_order;
  std::map<std::string, std::uint64_t> sums;
  std::map<std::string, std::uint64_t> last_high;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, row)) << lines[i];
    const std::string cls = m[1];
    if (class_order.empty() || class_order.back() != cls) class_order.push_back(cls);
    const std::uint64_t low = ns_to_ps(m[2]), high = ns_to_ps(m[3]);
    const std::uint64_t count = std::stoull(m[4]);
    EXPECT_LT(low, high) << lines[i];
    EXPECT_GT(count, 0u) << lines[i];
    if (last_high.count(cls)) {
      EXPECT_LE(last_high[cls], low) << lines[i];
    }
    last_high[cls] = high;
    sums[cls] += count;
  }
  EXPECT_EQ(class_order, (std::vector<std::string>{"zeta_send", "alpha_write"}));
  for (const OpClassReport& op : report.ops) EXPECT_EQ(sums[op.name], op.count) << op.name;
  EXPECT_EQ(last_high["alpha_write"], 1003520u);  // 1 µs lies in [999424, 1003520) ps
}

TEST(LatencyCsv, DeterministicQuotedNamesAndEmptyClasses) {
  const auto dir = test_dir();
  RunReport r = sample_report();
  r.ops.push_back(OpClassReport{"idle", 0, 0, LogLinearHistogram()});
  OpClassReport odd;
  odd.name = "read,\"large\"";
  odd.count = 1;
  odd.latency_ps.record(1);
  r.ops.push_back(odd);
  write_latency_csv(r, (dir / "a.csv").string());
  write_latency_csv(r, (dir / "b.csv").string());
  const std::string a = read_all(dir / "a.csv");
  EXPECT_EQ(a, read_all(dir / "b.csv"));
  EXPECT_EQ(a.find("idle"), std::string::npos);
  const auto lines = lines_of(a);
  EXPECT_EQ(lines.back(), "\"read,\"\"large\"\"\",0.001,0.002,1");
  EXPECT_FALSE(has_tmp_file(dir));
}

TEST(LatencyCsv, UnwritablePathThrowsRuntimeError) {
  const auto dir = test_dir();
  EXPECT_THROW(write_latency_csv(sample_report(), (dir / "missing" / "latency.csv").string()),
               std::runtime_error);
  EXPECT_FALSE(has_tmp_file(dir));
}

}  // namespace
}  // namespace hcasim
