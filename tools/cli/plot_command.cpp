#include "tools/cli/plot_command.hpp"

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <vector>

#include "models/core/config_error.hpp"
#include "tools/cli/gnuplot_plot.hpp"
#include "tools/cli/sweep_results.hpp"

namespace hcasim::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: hcasim plot DIR\n"
    "  DIR of `hcasim run`: draws DIR/latency_cdf.png, the latency CDF of each op class\n"
    "                       (from latency.csv)\n"
    "  DIR of `hcasim sweep`: redraws DIR/plots/*.png from the sweep's runs\n";

struct Bucket {
  double low_ns = 0, high_ns = 0;
  std::uint64_t count = 0;
};

// latency.csv: class,bucket_low_ns,bucket_high_ns,count; classes in file order.
std::vector<std::pair<std::string, std::vector<Bucket>>> read_latency_csv(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line) || line != "class,bucket_low_ns,bucket_high_ns,count")
    throw ConfigError(file.string() +
                      ": not a latency.csv (expected the header "
                      "class,bucket_low_ns,bucket_high_ns,count)");
  std::vector<std::pair<std::string, std::vector<Bucket>>> classes;
  std::map<std::string, std::size_t> index;
  for (int n = 2; std::getline(in, line); ++n) {
    std::istringstream row(line);
    std::string cls, low, high, count;
    if (!std::getline(row, cls, ',') || !std::getline(row, low, ',') ||
        !std::getline(row, high, ',') || !std::getline(row, count))
      throw ConfigError(file.string() + ":" + std::to_string(n) + ": malformed row '" + line + "'");
    Bucket b;
    try {
      b.low_ns = std::stod(low);
      b.high_ns = std::stod(high);
      b.count = std::stoull(count);
    } catch (const std::exception&) {
      throw ConfigError(file.string() + ":" + std::to_string(n) + ": malformed row '" + line + "'");
    }
    auto [it, fresh] = index.emplace(cls, classes.size());
    if (fresh) classes.push_back({cls, {}});
    classes[it->second].second.push_back(b);
  }
  return classes;
}

int plot_run(const fs::path& dir) {
  const auto classes = read_latency_csv(dir / "latency.csv");
  LinePlot plot;
  fs::path name = fs::absolute(dir).lexically_normal();
  if (name.filename().empty()) name = name.parent_path();
  plot.title = "latency CDF per op class (" + name.filename().string() + ")";
  plot.xlabel = "latency [ns]";
  plot.ylabel = "fraction of operations";
  plot.steps = true;
  plot.unit_y = true;
  std::vector<double> all_x;
  for (const auto& [cls, buckets] : classes) {
    std::uint64_t total = 0;
    for (const Bucket& b : buckets) total += b.count;
    if (total == 0) continue;
    PlotSeries s;
    s.label = cls;
    std::uint64_t seen = 0;
    // The staircase starts at zero where the first bucket begins.
    s.x.push_back(buckets.front().low_ns);
    s.y.push_back(0.0);
    for (const Bucket& b : buckets) {
      seen += b.count;
      s.x.push_back(b.high_ns);
      s.y.push_back(double(seen) / double(total));
    }
    all_x.insert(all_x.end(), s.x.begin(), s.x.end());
    plot.series.push_back(std::move(s));
  }
  if (plot.series.empty())
    throw ConfigError((dir / "latency.csv").string() + ": no measured operations to plot");
  // design decision: a log latency axis once the classes span more than a decade (perftest
  // sizes from 2 B to 1 MiB), linear otherwise so a single narrow distribution stays readable.
  double lo = INFINITY, hi = 0;
  for (double x : all_x) lo = std::min(lo, x), hi = std::max(hi, x);
  plot.logx = lo > 0 && hi / lo > 10.0;
  draw_line_plot(plot, dir, "latency_cdf");
  std::cout << "plot in " << (dir / "latency_cdf.png").string() << "\n";
  return 0;
}

int plot_sweep(const fs::path& dir) {
  const SweepSpec s = load_sweep_state(dir);
  const SweepLayout layout{dir};
  const SweepResults r = collect_results(s, layout);
  if (s.plots.empty()) throw ConfigError(dir.string() + ": the sweep file has no [plot.NAME]");
  if (r.points.empty()) throw ConfigError(dir.string() + ": no point of the sweep is complete");
  draw_sweep_plots(s, layout, r);
  for (const PlotSpec& p : s.plots)
    std::cout << "plot in " << (layout.plots_dir() / (p.name + ".png")).string() << "\n";
  return 0;
}

}  // namespace

int plot_command(int argc, char* argv[]) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help")) {
    std::cout << kUsage;
    return 0;
  }
  if (args.size() != 1) {
    std::cerr << "hcasim plot: error: expected one folder\n" << kUsage;
    return 2;
  }
  const fs::path dir = args[0];
  try {
    std::error_code ec;
    if (fs::is_regular_file(dir / "sweep.json", ec)) return plot_sweep(dir);
    if (fs::is_regular_file(dir / "latency.csv", ec)) return plot_run(dir);
    throw ConfigError(dir.string() +
                      ": neither a run's folder (latency.csv) nor a sweep's "
                      "(sweep.json)");
  } catch (const ConfigError& e) {
    std::cerr << "hcasim plot: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "hcasim plot: failed: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace hcasim::cli
