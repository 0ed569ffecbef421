// The sweep's small pure parts: figure paths into summary.json (keys that hold dots), the
// confidence interval, Slurm's --array syntax, and log axes.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "tools/cli/gnuplot_plot.hpp"
#include "tools/cli/slurm_backend.hpp"
#include "tools/cli/summary_figure.hpp"
#include "tools/cli/sweep_results.hpp"

namespace {

using hcasim::cli::find_summary_figure;
using nlohmann::json;

const json kSummary = json::parse(R"({
  "scenario": "s", "seed": 1, "sim_time_ns": 125.5,
  "ops": {"send_lat.64": {"count": 10, "bytes": 640, "ops_per_s": 2.0, "bytes_per_s": 128.0,
                          "latency_ns": {"min": 1.0, "p50": 2.5, "mean": null}},
          "send_lat.6": {"count": 3}},
  "contention": {"perftest": {"send_lat": {"64": {"t_stdev": {"value": 0.5, "unit": "ns"}}}},
                 "host0": {"sync": {"wait": {"unit": "cycles", "count": 4, "p99": 7.0}}}}
})");

TEST(SummaryFigure, KeysWithDotsAreFoundWholeAndUnitsFollow) {
  auto f = find_summary_figure(kSummary, "ops.send_lat.64.latency_ns.p50");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->value, 2.5);
  EXPECT_EQ(f->unit, "ns");
  f = find_summary_figure(kSummary, "ops.send_lat.6.count");
  ASSERT_TRUE(f) << "send_lat.6 is not a prefix match of send_lat.64";
  EXPECT_EQ(f->value, 3.0);
  EXPECT_EQ(f->unit, "ops");
  EXPECT_EQ(find_summary_figure(kSummary, "ops.send_lat.64.bytes_per_s")->unit, "B/s");
  EXPECT_EQ(find_summary_figure(kSummary, "ops.send_lat.64.ops_per_s")->unit, "ops/s");
  EXPECT_EQ(find_summary_figure(kSummary, "sim_time_ns")->value, 125.5);
  EXPECT_EQ(find_summary_figure(kSummary, "sim_time_ns")->unit, "ns");
}

TEST(SummaryFigure, ScalarsByTheirNameDistributionsByTheirStatistic) {
  auto f = find_summary_figure(kSummary, "contention.perftest.send_lat.64.t_stdev");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->value, 0.5);
  EXPECT_EQ(f->unit, "ns");
  EXPECT_EQ(find_summary_figure(kSummary, "contention.perftest.send_lat.64.t_stdev.value")->value,
            0.5);
  f = find_summary_figure(kSummary, "contention.host0.sync.wait.p99");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->value, 7.0);
  EXPECT_EQ(f->unit, "cycles");
  f = find_summary_figure(kSummary, "ops.send_lat.64.latency_ns.mean");
  ASSERT_TRUE(f) << "null is a figure (not finite), not a missing one";
  EXPECT_TRUE(std::isnan(f->value));
}

TEST(SummaryFigure, WhatIsNotANumberIsNotFound) {
  for (const char* path : {"ops.send_lat.64.latency_ns.p51", "ops.send_lat.65.count", "scenario",
                           "ops.send_lat.64", "contention.host0.sync.wait.unit", "ops", ""})
    EXPECT_FALSE(find_summary_figure(kSummary, path)) << path;
}

TEST(SweepResults, ConfidenceIntervalUsesStudentsT) {
  EXPECT_TRUE(std::isnan(hcasim::cli::ci95_half_width(1.0, 1)));
  EXPECT_NEAR(hcasim::cli::ci95_half_width(1.0, 2), 12.706 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(hcasim::cli::ci95_half_width(2.0, 5), 2.776 * 2.0 / std::sqrt(5.0), 1e-12);
  EXPECT_NEAR(hcasim::cli::ci95_half_width(1.0, 100), 1.96 / 10.0, 1e-12);
}

TEST(SlurmBackend, ArrayRangesCompressRuns) {
  using hcasim::cli::array_ranges;
  EXPECT_EQ(array_ranges({0, 1, 2, 3, 7, 9, 10, 11}), "0-3,7,9-11");
  EXPECT_EQ(array_ranges({5}), "5");
  EXPECT_EQ(array_ranges({2, 4}), "2,4");
  EXPECT_EQ(array_ranges({}), "");
}

TEST(GnuplotPlot, LogAxisForTwoDecadesOfPositiveValues) {
  using hcasim::cli::wants_log_axis;
  EXPECT_TRUE(wants_log_axis({2, 64, 1048576}));
  EXPECT_TRUE(wants_log_axis({1, 100}));
  EXPECT_FALSE(wants_log_axis({1, 99}));
  EXPECT_FALSE(wants_log_axis({0, 10, 1000}));
  EXPECT_FALSE(wants_log_axis({-1, 1000}));
  EXPECT_TRUE(wants_log_axis({NAN, 1, 1000}));
}

}  // namespace
