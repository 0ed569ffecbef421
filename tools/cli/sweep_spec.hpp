#pragma once
// A sweep file (INI, like scenarios): the base scenario, the parameters to vary and how they
// combine, seeds per point, the figures to collect from each run's summary.json, the plots, and
// the Slurm resources. load_sweep_file() validates everything it can without simulating
// (parameter names, every value against its range, ranges, plot axes) and expands the points.
//
//   [sweep]
//   scenario = ../scenarios/lat_send.ini   # base scenario, relative to this file
//   seeds = 2                               # seeds 1..2 for every point
//   zip = load.rate, load.count             # these move together; other parameters cross
//   [set]        perftest.iterations = 200  # fixed for every point
//   [vary]       perftest.sizes = log(2, 65536, 16)
//                include = ../scenarios/presets/edr_pcie3x16.ini, ...
//   [figures]    t_typical = ops.send_lat.{perftest.sizes}.latency_ns.p50
//   [plot.lat]   x = perftest.sizes   y = t_typical
//   [slurm]      partition = debug   time = 00:10:00   mem = 1G
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace hcasim::cli {

// The pseudo-parameter that varies the preset a point includes (a scenario file).
inline constexpr const char* kIncludeAxis = "include";

struct SweepAxis {
  std::string name;                 // a parameter, or kIncludeAxis
  std::vector<std::string> values;  // canonical parameter text (absolute paths for include)
  std::vector<std::string> labels;  // what CSVs and plot keys show (a preset's file stem)
  bool log_range = false;           // given as log(...): plots default to a log axis
  std::string unit;                 // the parameter's unit ("" for text parameters, include)
  std::string where;                // "file:line"
};

struct SweepPoint {
  std::size_t index = 0;
  std::string id;                        // zero-padded index: the folder under points/
  std::vector<std::size_t> value_index;  // per axis
  std::string scenario_text;             // the point's own scenario file (point.ini)
};

struct FigureSpec {
  std::string name;  // CSV column
  std::string path;  // path into summary.json; {param} takes the point's value
  std::string where;
};

struct PlotSpec {
  std::string name;  // plots/<name>.png
  std::size_t x_axis = 0;
  std::size_t y_figure = 0;
  std::string title, xlabel, ylabel;
  std::string logx = "auto", logy = "auto";  // auto | true | false
  std::string where;
};

struct SlurmOptions {
  std::string partition, time = "00:30:00", mem = "2G";
  std::string poll_seconds = "5";
};

struct SweepSpec {
  std::string name;
  std::filesystem::path file;      // the sweep file as read
  std::filesystem::path base_dir;  // relative paths of the sweep file start here
  std::filesystem::path scenario;  // absolute
  std::string scenario_name;       // scenario.name of the base (or its file stem)
  std::uint64_t seeds = 1, first_seed = 1;
  std::string trace = "none";
  std::vector<std::pair<std::string, std::string>> fixed;  // [set]
  std::map<std::string, std::string> base_values;          // every parameter: base scenario + [set]
  std::vector<SweepAxis> axes;
  std::vector<std::vector<std::size_t>> dimensions;  // axes that move together, in order
  std::vector<SweepPoint> points;
  std::vector<FigureSpec> figures;
  std::vector<PlotSpec> plots;
  SlurmOptions slurm;

  std::vector<std::uint64_t> seed_list() const;
  // The axis indices that move with `axis` (its zip group, itself included).
  const std::vector<std::size_t>& dimension_of(std::size_t axis) const;
  // A figure's path for one point: {param} replaced by the point's value.
  std::string figure_path(const FigureSpec& f, const SweepPoint& p) const;
  // The value a parameter has at a point (varied, [set], or the base scenario's).
  std::string param_value(const SweepPoint& p, const std::string& name) const;
};

// Reads and validates `file`; relative paths in it are taken from `base_dir` (the file's own
// folder when empty). Throws ConfigError naming the file, line, key and what is allowed.
SweepSpec load_sweep_file(const std::filesystem::path& file,
                          const std::filesystem::path& base_dir = {});

}  // namespace hcasim::cli
