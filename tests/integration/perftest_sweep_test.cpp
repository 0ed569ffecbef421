// Size sweeps and their parameters: a size list gives one op class per size, the default is
// perftest's 2 B .. 1 MiB, bad lists and bad load sizes are refused naming the key, and every
// bundled perftest / load scenario file loads and validates.
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include "models/core/lookahead.hpp"
#include "models/core/scenario_file.hpp"
#include "perftest_test_support.hpp"
#include "workloads/open_loop.hpp"
#include "workloads/perftest.hpp"
#include "workloads/scenario_params.hpp"

namespace hcasim {
namespace {

using perftest_test::find_op;
using perftest_test::Scenario;

TEST(PerftestSweep, SizeListGivesOneOpClassPerSize) {
  Scenario run;
  run.set("workload.kind", "perftest");
  run.set("perftest.test", "send_lat");
  run.set("perftest.sizes", "2,4096");
  run.set("perftest.iterations", "10");
  System system(run.values, nullptr);
  std::unique_ptr<Workload> workload = make_workload(run.values, system, nullptr);
  hcasim::Lookahead::run();
  ASSERT_TRUE(workload->finished());
  EXPECT_EQ(workload->errors(), 0u);
  RunReport report;
  workload->report(report);
  ASSERT_EQ(report.ops.size(), 2u);
  EXPECT_EQ(report.ops[0].name, "send_lat.2");
  EXPECT_EQ(report.ops[1].name, "send_lat.4096");
  EXPECT_EQ(report.ops[0].count, 10u);
  EXPECT_EQ(report.ops[1].bytes, 10u * 4096u);
  std::ostringstream table;
  workload->print_table(table);
  EXPECT_NE(table.str().find("t_typical[usec]"), std::string::npos);
  EXPECT_NE(table.str().find("\n 4096 "), std::string::npos);
}

TEST(PerftestSweep, DefaultSweepIsPowersOfTwoFrom2BytesTo1MiB) {
  const std::vector<std::uint32_t> sizes = parse_perftest_sizes("all");
  ASSERT_EQ(sizes.size(), 20u);
  EXPECT_EQ(sizes.front(), 2u);
  EXPECT_EQ(sizes.back(), 1u << 20);
  EXPECT_EQ(parse_perftest_sizes(" 64, 2 ,8388608"), (std::vector<std::uint32_t>{64, 2, 8388608}));
}

TEST(PerftestSweep, LargeSizesRunFewerIterations) {
  Scenario run;
  run.set("perftest.sizes", "2,1048576");
  run.set("perftest.iterations", "1000");
  run.set("perftest.size_budget_mb", "4");
  run.set("perftest.warmup", "10");
  System system(run.values, nullptr);
  Perftest perftest("perftest", system, run.values.load<PerftestParams>(), nullptr);
  ASSERT_EQ(perftest.results().size(), 2u);
  EXPECT_EQ(perftest.results()[0].iterations, 1000u);
  EXPECT_EQ(perftest.results()[1].iterations, 4u);  // 4 MiB / 1 MiB
  EXPECT_EQ(perftest.results()[1].warmup, 4u);      // never more than the measured ones
}

void expect_config_error(const std::function<void()>& f, const std::string& key,
                         const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'" + key + "'"), std::string::npos)
        << what << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("allowed"), std::string::npos) << e.what();
  }
}

TEST(PerftestSweep, BadSizesAreRefusedNamingTheKey) {
  for (const char* bad :
       {"", "abc", "0", "2,,4", "2,2", "8388609", "4,-1", "99999999999", "2;4", "all,2"})
    expect_config_error([&] { parse_perftest_sizes(bad); }, "perftest.sizes", bad);
  // Through the workload factory, as `hcasim run --set perftest.sizes=...` goes.
  Scenario run;
  run.set("workload.kind", "perftest");
  run.set("perftest.sizes", "2,x");
  System system(run.values, nullptr);
  expect_config_error([&] { make_workload(run.values, system, nullptr); }, "perftest.sizes",
                      "factory");
}

TEST(PerftestSweep, BadLoadSizesAreRefusedNamingTheKey) {
  for (const char* bad : {"", "0", "x", "uniform:64", "uniform:4096:64", "exp:100:10", "normal:1:2",
                          "uniform:1:9999999999", "exp::4"})
    expect_config_error([&] { SizeDistribution::parse(bad); }, "load.size", bad);
  const SizeDistribution u = SizeDistribution::parse("uniform:64:4096");
  EXPECT_EQ(u.max(), 4096u);
  EXPECT_DOUBLE_EQ(u.expected(), 2080.0);
  RandomStream rng(1, "t");
  for (int i = 0; i < 1000; ++i) {
    const std::uint32_t v = u.draw(rng);
    EXPECT_GE(v, 64u);
    EXPECT_LE(v, 4096u);
  }
  const SizeDistribution e = SizeDistribution::parse("exp:1000:2000");
  double sum = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::uint32_t v = e.draw(rng);
    ASSERT_GE(v, 1u);
    ASSERT_LE(v, 2000u);
    sum += v;
  }
  // Exponential of mean 1000 rounded up and capped at 2000: mean 1000 * (1 - e^-2) + 0.5 ~ 865.
  EXPECT_NEAR(sum / 20000, 865.0, 25.0);
}

TEST(PerftestSweep, BundledScenarioFilesLoadAndValidate) {
  for (const char* name :
       {"lat_send", "lat_write", "lat_read", "bw_send", "bw_write", "bw_read", "load_send"}) {
    SCOPED_TRACE(name);
    Scenario run;
    load_scenario_file(std::string(HCASIM_SOURCE_DIR) + "/workloads/scenarios/" + name + ".ini",
                       run.values);
    EXPECT_FALSE(run.values.load<ScenarioParams>().description.empty());
    const std::string kind = run.values.load<WorkloadParams>().kind;
    if (kind == "perftest") {
      const PerftestParams p = run.values.load<PerftestParams>();
      EXPECT_EQ(parse_perftest_sizes(p.sizes).size(), 20u);
      const std::string tool = std::string(name).substr(0, 3) == "lat"
                                   ? std::string(name).substr(4) + "_lat"
                                   : std::string(name).substr(3) + "_bw";
      EXPECT_EQ(p.test, tool);
    } else {
      EXPECT_EQ(kind, "load");
      SizeDistribution::parse(run.values.load<LoadParams>().size);
    }
  }
}

}  // namespace
}  // namespace hcasim
