#pragma once
// A sweep's results: the figures of every complete run, results.csv (one row per point and
// seed) and summary.csv (per point: mean and 95 % confidence interval over the seeds), and the
// plots drawn from the summary.
#include <cstdint>
#include <string>
#include <vector>

#include "tools/cli/local_runner.hpp"
#include "tools/cli/sweep_layout.hpp"

namespace hcasim::cli {

struct RunFigures {
  std::size_t point = 0;
  std::uint64_t seed = 0;
  std::vector<double> values;  // per figure; NaN when the run reported null
};

struct PointSummary {
  std::size_t point = 0;
  std::size_t seeds = 0;           // complete runs averaged
  std::vector<double> mean, ci95;  // per figure; ci95 is NaN with fewer than two values
};

struct SweepResults {
  std::vector<RunFigures> runs;      // complete runs, in point then seed order
  std::vector<PointSummary> points;  // points with at least one complete run
  std::vector<std::string> units;    // per figure, from the first run that names one
  std::vector<RunTask> incomplete;   // runs without results, in point then seed order
};

// Reads the figures of every complete run. Throws std::runtime_error when a run's summary.json
// lacks a figure (the sweep file asks for something that run did not report).
SweepResults collect_results(const SweepSpec& s, const SweepLayout& layout);

// Writes DIR/results.csv and DIR/summary.csv (atomically).
void write_result_csvs(const SweepSpec& s, const SweepLayout& layout, const SweepResults& r);

// Draws every [plot.NAME] of the sweep into DIR/plots/.
void draw_sweep_plots(const SweepSpec& s, const SweepLayout& layout, const SweepResults& r);

// Half-width of the 95 % confidence interval of the mean of `n` values with standard
// deviation `stdev` (Student's t); NaN for n < 2.
double ci95_half_width(double stdev, std::size_t n);

}  // namespace hcasim::cli
