#include "tools/cli/sweep_results.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "tools/cli/gnuplot_plot.hpp"
#include "tools/cli/summary_figure.hpp"
#include "traces/atomic_file.hpp"

namespace hcasim::cli {

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string csv_number(double v) {
  if (!std::isfinite(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// Parameter values are numbers, words or file stems; quote only what CSV needs quoted.
std::string csv_text(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void write_atomic(const fs::path& p, const std::string& text) {
  AtomicFile f(p.string());
  f.write(text);
  f.commit();
}

std::string with_unit(const std::string& label, const std::string& unit) {
  return unit.empty() ? label : label + " [" + unit + "]";
}

}  // namespace

double ci95_half_width(double stdev, std::size_t n) {
  if (n < 2) return kNaN;
  // Student's t, two-sided 95 %, for 1..30 degrees of freedom; 1.96 beyond.
  static const double kT[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                              2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                              2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                              2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  const std::size_t df = n - 1;
  const double t = df <= 30 ? kT[df - 1] : 1.960;
  return t * stdev / std::sqrt(double(n));
}

SweepResults collect_results(const SweepSpec& s, const SweepLayout& layout) {
  SweepResults r;
  r.units.assign(s.figures.size(), "");
  for (const SweepPoint& p : s.points) {
    PointSummary sum;
    sum.point = p.index;
    std::vector<std::vector<double>> per_figure(s.figures.size());
    for (std::uint64_t seed : s.seed_list()) {
      if (!layout.run_complete(p, seed)) {
        r.incomplete.push_back({p.index, seed});
        continue;
      }
      const fs::path file = layout.run_dir(p, seed) / "summary.json";
      std::ifstream in(file);
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(in);
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(file.string() + ": does not parse: " + e.what());
      }
      RunFigures run{p.index, seed, {}};
      for (std::size_t f = 0; f < s.figures.size(); ++f) {
        const std::string path = s.figure_path(s.figures[f], p);
        const auto fig = find_summary_figure(j, path);
        if (!fig)
          throw std::runtime_error(file.string() + ": no figure '" + path + "' (figure '" +
                                   s.figures[f].name + "')");
        run.values.push_back(fig->value);
        if (r.units[f].empty()) r.units[f] = fig->unit;
        if (std::isfinite(fig->value)) per_figure[f].push_back(fig->value);
      }
      r.runs.push_back(std::move(run));
      ++sum.seeds;
    }
    if (sum.seeds == 0) continue;
    for (const auto& v : per_figure) {
      double mean = kNaN, var = 0;
      if (!v.empty()) {
        mean = 0;
        for (double x : v) mean += x;
        mean /= double(v.size());
        for (double x : v) var += (x - mean) * (x - mean);
        var = v.size() > 1 ? var / double(v.size() - 1) : 0.0;
      }
      sum.mean.push_back(mean);
      sum.ci95.push_back(ci95_half_width(std::sqrt(var), v.size()));
    }
    r.points.push_back(std::move(sum));
  }
  return r;
}

void write_result_csvs(const SweepSpec& s, const SweepLayout& layout, const SweepResults& r) {
  std::string params;
  for (const SweepAxis& a : s.axes) params += "," + csv_text(a.name);
  auto values_of = [&](std::size_t point) {
    std::string out;
    const SweepPoint& p = s.points[point];
    for (std::size_t a = 0; a < s.axes.size(); ++a)
      out += "," + csv_text(s.axes[a].labels[p.value_index[a]]);
    return out;
  };
  std::string results = "point,seed" + params;
  for (const FigureSpec& f : s.figures) results += "," + f.name;
  results += "\n";
  for (const RunFigures& run : r.runs) {
    results += s.points[run.point].id + "," + std::to_string(run.seed) + values_of(run.point);
    for (double v : run.values) results += "," + csv_number(v);
    results += "\n";
  }
  std::string summary = "point" + params + ",seeds";
  for (const FigureSpec& f : s.figures) summary += "," + f.name + "_mean," + f.name + "_ci95";
  summary += "\n";
  for (const PointSummary& p : r.points) {
    summary += s.points[p.point].id + values_of(p.point) + "," + std::to_string(p.seeds);
    for (std::size_t f = 0; f < p.mean.size(); ++f)
      summary += "," + csv_number(p.mean[f]) + "," + csv_number(p.ci95[f]);
    summary += "\n";
  }
  write_atomic(layout.dir / "results.csv", results);
  write_atomic(layout.dir / "summary.csv", summary);
}

void draw_sweep_plots(const SweepSpec& s, const SweepLayout& layout, const SweepResults& r) {
  for (const PlotSpec& ps : s.plots) {
    const SweepAxis& x_axis = s.axes[ps.x_axis];
    const auto& x_dim = s.dimension_of(ps.x_axis);
    // One line per combination of the parameters that do not move with x.
    std::map<std::string, PlotSeries> series;
    std::vector<std::string> order;
    for (const PointSummary& sum : r.points) {
      const SweepPoint& p = s.points[sum.point];
      std::string label;
      for (std::size_t a = 0; a < s.axes.size(); ++a) {
        if (std::find(x_dim.begin(), x_dim.end(), a) != x_dim.end()) continue;
        if (!label.empty()) label += ", ";
        const std::string& v = s.axes[a].labels[p.value_index[a]];
        // Words (a preset, a choice such as send_lat) name themselves; numbers need their
        // parameter's name.
        double number = 0;
        char* end = nullptr;
        number = std::strtod(v.c_str(), &end);
        (void)number;
        const bool numeric = !v.empty() && end == v.c_str() + v.size();
        label += numeric ? s.axes[a].name + "=" + v : v;
      }
      if (!series.count(label)) order.push_back(label);
      PlotSeries& line = series[label];
      line.label = label.empty() ? s.figures[ps.y_figure].name : label;
      line.x.push_back(std::stod(x_axis.labels[p.value_index[ps.x_axis]]));
      line.y.push_back(sum.mean[ps.y_figure]);
      const double ci = sum.ci95[ps.y_figure];
      line.err.push_back(std::isfinite(ci) ? ci : 0.0);
    }
    LinePlot plot;
    const std::string& y_unit = r.units[ps.y_figure];
    plot.title = ps.title.empty()
                     ? s.name + ": " + s.figures[ps.y_figure].name + " against " + x_axis.name
                     : ps.title;
    if (s.seeds > 1) plot.key_title = "mean of " + std::to_string(s.seeds) + " seeds, 95% CI";
    plot.xlabel = ps.xlabel.empty() ? with_unit(x_axis.name, x_axis.unit) : ps.xlabel;
    plot.ylabel = ps.ylabel.empty() ? with_unit(s.figures[ps.y_figure].name, y_unit) : ps.ylabel;
    std::vector<double> xs, ys;
    for (const auto& [label, line] : series) {
      xs.insert(xs.end(), line.x.begin(), line.x.end());
      ys.insert(ys.end(), line.y.begin(), line.y.end());
    }
    plot.logx =
        ps.logx == "true" || (ps.logx == "auto" && (x_axis.log_range || wants_log_axis(xs)));
    plot.logy = ps.logy == "true" || (ps.logy == "auto" && wants_log_axis(ys));
    // Lines run left to right whatever order the values were listed in.
    for (const std::string& label : order) {
      const PlotSeries& line = series[label];
      std::vector<std::size_t> idx(line.x.size());
      for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
      std::stable_sort(idx.begin(), idx.end(),
                       [&](std::size_t a, std::size_t b) { return line.x[a] < line.x[b]; });
      PlotSeries sorted;
      sorted.label = line.label;
      for (std::size_t i : idx) {
        sorted.x.push_back(line.x[i]);
        sorted.y.push_back(line.y[i]);
        sorted.err.push_back(line.err[i]);
      }
      plot.series.push_back(std::move(sorted));
    }
    draw_line_plot(plot, layout.plots_dir(), ps.name);
  }
}

}  // namespace hcasim::cli
