#include "tools/cli/gnuplot_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <stdexcept>

#include "tools/cli/child_process.hpp"
#include "traces/atomic_file.hpp"

namespace hcasim::cli {

namespace fs = std::filesystem;

namespace {

std::string gnuplot_program() {
  const std::string p = find_program("gnuplot");
  if (p.empty())
    throw std::runtime_error(
        "gnuplot is not installed (Debian: apt-get install gnuplot-nox; tools/install-deps.sh "
        "installs it)");
  return p;
}

// pngcairo draws anti-aliased text; the plain png terminal is the fallback of minimal builds.
const std::string& png_terminal() {
  static const std::string terminal = [] {
    const ChildResult r = capture({gnuplot_program(), "-e", "set terminal pngcairo"});
    return r.status == 0 && r.err.empty() ? std::string("pngcairo") : std::string("png");
  }();
  return terminal;
}

// A string for gnuplot's single-quoted syntax (where only '' needs escaping).
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string number(double v) {
  if (!std::isfinite(v)) return "NaN";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// Powers of two get base-2 ticks (message sizes read better as 2^k); anything else base 10.
bool powers_of_two(const LinePlot& p) {
  for (const auto& s : p.series)
    for (double x : s.x) {
      if (x <= 0 || std::fabs(std::log2(x) - std::round(std::log2(x))) > 1e-9) return false;
    }
  return true;
}

}  // namespace

bool wants_log_axis(const std::vector<double>& values) {
  double lo = INFINITY, hi = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (v <= 0) return false;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  return hi > 0 && hi / lo >= 100.0;
}

void run_gnuplot(const fs::path& script) {
  const ChildResult r =
      capture({gnuplot_program(), script.filename().string()},
              script.parent_path().empty() ? fs::path(".") : script.parent_path());
  if (r.status != 0)
    throw std::runtime_error("gnuplot failed on " + script.string() + ": " + r.err);
}

void draw_line_plot(const LinePlot& plot, const fs::path& dir, const std::string& name) {
  fs::create_directories(dir);
  const bool bars = std::any_of(plot.series.begin(), plot.series.end(),
                                [](const PlotSeries& s) { return !s.err.empty(); });
  {
    AtomicFile dat((dir / (name + ".dat")).string());
    std::string text = "# " + plot.title + "\n";
    for (std::size_t i = 0; i < plot.series.size(); ++i) {
      const PlotSeries& s = plot.series[i];
      text += "# series " + std::to_string(i) + ": " + s.label + "\n";
      text += bars ? "# x y err\n" : "# x y\n";
      for (std::size_t k = 0; k < s.x.size(); ++k) {
        text += number(s.x[k]) + " " + number(s.y[k]);
        if (bars) text += " " + number(s.err.empty() ? 0.0 : s.err[k]);
        text += "\n";
      }
      text += "\n\n";  // gnuplot's `index` separator
    }
    dat.write(text);
    dat.commit();
  }
  std::string gp;
  gp += "# Drawn by hcasim; edit and run `gnuplot " + name + ".gp` in this folder to redraw.\n";
  gp += "set terminal " + png_terminal() + " size 960,640 noenhanced\n";
  gp += "set output " + quoted(name + ".png") + "\n";
  gp += "set title " + quoted(plot.title) + "\n";
  gp += "set xlabel " + quoted(plot.xlabel) + "\n";
  gp += "set ylabel " + quoted(plot.ylabel) + "\n";
  // design decision: the legend goes beside the plot while it is narrow, below it otherwise,
  // so that long series names do not squeeze the plot.
  std::size_t widest = plot.key_title.size();
  for (const auto& s : plot.series) widest = std::max(widest, s.label.size());
  gp += widest > 24 ? "set key below\n" : "set key outside right top\n";
  gp += "set grid\nset bars small\n";
  if (!plot.key_title.empty()) gp += "set key title " + quoted(plot.key_title) + "\n";
  // Large numbers read better with SI prefixes (1.5M) than as 1.5e+06.
  double max_x = 0, max_y = 0;
  for (const auto& s : plot.series) {
    for (double v : s.x) max_x = std::max(max_x, std::isfinite(v) ? std::fabs(v) : 0.0);
    for (double v : s.y) max_y = std::max(max_y, std::isfinite(v) ? std::fabs(v) : 0.0);
  }
  if (!plot.logx && max_x >= 1e5) gp += "set format x '%.1s%c'\n";
  if (!plot.logy && max_y >= 1e5) gp += "set format y '%.1s%c'\n";
  if (plot.logx)
    gp += powers_of_two(plot) ? "set logscale x 2\nset format x '%.0b%B'\n" : "set logscale x 10\n";
  if (plot.logy) gp += "set logscale y 10\n";
  if (plot.unit_y) gp += "set yrange [0:1.02]\n";
  // Colours repeat after eight lines; point shapes tell those apart.
  static const int kPointTypes[] = {7, 5, 9, 11, 13, 4, 6, 8, 10, 12, 1, 2, 3};
  std::string cmd = "plot ";
  for (std::size_t i = 0; i < plot.series.size(); ++i) {
    if (i) cmd += ", \\\n     ";
    const std::string src = quoted(name + ".dat") + " index " + std::to_string(i);
    const std::string title = " title " + quoted(plot.series[i].label);
    const std::string pt = " pt " + std::to_string(kPointTypes[i % std::size(kPointTypes)]);
    if (plot.steps) {
      cmd += src + " using 1:2 with steps lw 2" + title;
    } else if (bars) {
      cmd += src + " using 1:2:3 with yerrorlines lw 2" + pt + " ps 0.8" + title;
    } else {
      cmd += src + " using 1:2 with linespoints lw 2" + pt + " ps 0.8" + title;
    }
  }
  gp += cmd + "\n";
  {
    AtomicFile script((dir / (name + ".gp")).string());
    script.write(gp);
    script.commit();
  }
  run_gnuplot(dir / (name + ".gp"));
}

}  // namespace hcasim::cli
