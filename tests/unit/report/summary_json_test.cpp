// summary.json: shape, numbers, contention nesting and determinism of the machine-readable
// report, read back with nlohmann::json.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report_fixture.hpp"
#include "traces/summary_json.hpp"

namespace hcasim {
namespace {

using nlohmann::ordered_json;
using testing::has_tmp_file;
using testing::read_all;
using testing::sample_report;
using testing::test_dir;

std::vector<std::string> keys(const ordered_json& j) {
  std::vector<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.push_back(it.key());
  return k;
}

ordered_json write_and_parse(const RunReport& r, const std::filesystem::path& file) {
  write_summary_json(r, file.string());
  return ordered_json::parse(read_all(file));
}

TEST(SummaryJson, ShapeAndNumbers) {
  const auto dir = test_dir();
  const ordered_json j = write_and_parse(sample_report(), dir / "summary.json");
  using V = std::vector<std::string>;
  EXPECT_EQ(keys(j), (V{"scenario", "seed", "sim_time_ns", "ops", "contention"}));
  EXPECT_EQ(j["scenario"], "unit_scenario");
  EXPECT_EQ(j["seed"], 42);
  EXPECT_EQ(j["sim_time_ns"].get<double>(), 1e6);
  EXPECT_EQ(keys(j["ops"]), (V{"zeta_send", "alpha_write"}));

  const auto& send = j["ops"]["zeta_send"];
  EXPECT_EQ(keys(send), (V{"count", "bytes", "latency_ns", "ops_per_s", "bytes_per_s"}));
  EXPECT_EQ(send["count"], 1000);
  EXPECT_EQ(send["bytes"], 4096000);
  EXPECT_EQ(send["ops_per_s"].get<double>(), 1e6);
  EXPECT_EQ(send["bytes_per_s"].get<double>(), 4.096e9);
  EXPECT_EQ(keys(send["latency_ns"]), (V{"min", "mean", "p50", "p90", "p99", "p999", "max"}));
  for (const auto& [k, v] : send["latency_ns"].items()) EXPECT_EQ(v.get<double>(), 2.0) << k;

  const auto& lat = j["ops"]["alpha_write"]["latency_ns"];
  EXPECT_EQ(lat["min"].get<double>(), 1.0);
  EXPECT_EQ(lat["max"].get<double>(), 1000.0);
  EXPECT_DOUBLE_EQ(lat["mean"].get<double>(), 500.5);
  const double err = LogLinearHistogram().max_relative_error();
  EXPECT_NEAR(lat["p50"].get<double>(), 500.0, 500.0 * err);
  EXPECT_NEAR(lat["p90"].get<double>(), 900.0, 900.0 * err);
  EXPECT_NEAR(lat["p99"].get<double>(), 990.0, 990.0 * err);
  EXPECT_NEAR(lat["p999"].get<double>(), 999.0, 999.0 * err);
  EXPECT_EQ(j["ops"]["alpha_write"]["bytes_per_s"].get<double>(), 6.4e7);
}

TEST(SummaryJson, ContentionNestsByDottedPath) {
  const auto dir = test_dir();
  const ordered_json j = write_and_parse(sample_report(), dir / "summary.json");
  const auto& c = j["contention"];
  using V = std::vector<std::string>;
  EXPECT_EQ(keys(c), (V{"host0", "fabric"}));
  EXPECT_EQ(keys(c["host0"]), (V{"cpu0", "cpu1", "sync"}));
  EXPECT_EQ(c["host0"]["cpu0"]["utilization"], (ordered_json{{"value", 0.5}, {"unit", "ratio"}}));
  EXPECT_EQ(c["host0"]["cpu1"]["utilization"]["value"].get<double>(), 0.25);
  EXPECT_EQ(c["fabric"]["link0"]["busy"]["value"].get<double>(), 0.125);

  const auto& wait = c["host0"]["sync"]["worker_wait_ns"];
  EXPECT_EQ(keys(wait), (V{"unit", "count", "min", "mean", "p50", "p90", "p99", "p999", "max"}));
  EXPECT_EQ(wait["unit"], "ns");
  EXPECT_EQ(wait["count"], 100);
  EXPECT_EQ(wait["min"], 1);
  EXPECT_EQ(wait["max"], 100);
  EXPECT_DOUBLE_EQ(wait["mean"].get<double>(), 50.5);
  EXPECT_NEAR(wait["p50"].get<double>(), 50.0, 50.0 * LogLinearHistogram().max_relative_error());
  EXPECT_FALSE(read_all(dir / "summary.json").find("busy fraction") != std::string::npos)
      << "help text is not written";
}

TEST(SummaryJson, LeafThatIsAlsoAPrefixThrows) {
  const auto dir = test_dir();
  for (bool leaf_first : {true, false}) {
    RunReport r = sample_report();
    Metric leaf{"host0.cpu0", "ratio", "", 1.0, {}};
    if (leaf_first) {
      r.contention.insert(r.contention.begin(), leaf);
    } else {
      r.contention.push_back(leaf);
    }
    try {
      write_summary_json(r, (dir / "summary.json").string());
      ADD_FAILURE() << "no exception";
    } catch (const std::logic_error& e) {
      EXPECT_NE(std::string(e.what()).find("'host0.cpu0'"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "summary.json"));
  EXPECT_FALSE(has_tmp_file(dir));
}

TEST(SummaryJson, DuplicateOrMalformedNamesThrow) {
  const auto dir = test_dir();
  const auto file = (dir / "summary.json").string();
  for (const char* bad : {"host0.cpu0.utilization", "", "a..b", ".a", "a."}) {
    RunReport r = sample_report();
    r.contention.push_back({bad, "ratio", "", 1.0, {}});
    EXPECT_THROW(write_summary_json(r, file), std::logic_error) << "'" << bad << "'";
  }
  RunReport r = sample_report();
  r.ops.push_back(r.ops.front());
  EXPECT_THROW(write_summary_json(r, file), std::logic_error);
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST(SummaryJson, DeterministicAndAtomic) {
  const auto dir = test_dir();
  write_summary_json(sample_report(), (dir / "a.json").string());
  write_summary_json(sample_report(), (dir / "b.json").string());
  const std::string a = read_all(dir / "a.json");
  EXPECT_EQ(a, read_all(dir / "b.json"));
  write_summary_json(sample_report(), (dir / "a.json").string());  // overwrite in place
  EXPECT_EQ(a, read_all(dir / "a.json"));
  EXPECT_FALSE(has_tmp_file(dir));
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a.back(), '\n');
  EXPECT_EQ(a.rfind("{\n  \"scenario\": \"unit_scenario\",\n", 0), 0u) << a.substr(0, 40);
}

TEST(SummaryJson, ZeroSimTimeEmptyClassAndNonFinite) {
  const auto dir = test_dir();
  RunReport r;
  r.scenario = "empty";
  r.ops.push_back(OpClassReport{"idle", 0, 0, LogLinearHistogram()});
  r.contention.push_back({"x.nan", "ratio", "", std::nan(""), {}});
  r.contention.push_back({"x.inf", "ratio", "", std::numeric_limits<double>::infinity(), {}});
  r.contention.push_back({"x.empty", "ns", "", 0.0, LogLinearHistogram()});
  const ordered_json j = write_and_parse(r, dir / "summary.json");
  EXPECT_EQ(j["sim_time_ns"].get<double>(), 0.0);
  EXPECT_EQ(j["ops"]["idle"]["ops_per_s"].get<double>(), 0.0);
  EXPECT_EQ(j["ops"]["idle"]["bytes_per_s"].get<double>(), 0.0);
  for (const auto& [k, v] : j["ops"]["idle"]["latency_ns"].items()) {
    EXPECT_EQ(v.get<double>(), 0.0) << k;
  }
  EXPECT_TRUE(j["contention"]["x"]["nan"]["value"].is_null());
  EXPECT_TRUE(j["contention"]["x"]["inf"]["value"].is_null());
  EXPECT_EQ(j["contention"]["x"]["empty"]["count"], 0);
  EXPECT_TRUE(j["contention"].is_object());
  RunReport none;
  const ordered_json k = write_and_parse(none, dir / "none.json");
  EXPECT_TRUE(k["ops"].is_object());
  EXPECT_TRUE(k["contention"].is_object());
}

TEST(SummaryJson, UnwritablePathThrowsRuntimeError) {
  const auto dir = test_dir();
  EXPECT_THROW(write_summary_json(sample_report(), (dir / "missing" / "summary.json").string()),
               std::runtime_error);
}

}  // namespace
}  // namespace hcasim
