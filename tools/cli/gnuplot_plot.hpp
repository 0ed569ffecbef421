#pragma once
// PNG line plots drawn by gnuplot (Debian's gnuplot-nox): the data and the script are written
// next to the picture (NAME.dat, NAME.gp), so a user can restyle a plot and run gnuplot again.
#include <filesystem>
#include <string>
#include <vector>

namespace hcasim::cli {

struct PlotSeries {
  std::string label;
  std::vector<double> x, y, err;  // err: half-width of the error bar (empty: none)
};

struct LinePlot {
  std::string title, xlabel, ylabel;
  std::string key_title;  // above the legend: "mean of 3 seeds, 95% CI"
  bool logx = false, logy = false;
  bool steps = false;
  bool unit_y = false;  // y is a fraction: the axis runs from 0 to 1  // a staircase (CDFs) rather
                        // than points joined by lines
  std::vector<PlotSeries> series;
};

// Writes DIR/NAME.dat, DIR/NAME.gp and draws DIR/NAME.png. Throws std::runtime_error when
// gnuplot is missing or fails (its message included).
void draw_line_plot(const LinePlot& plot, const std::filesystem::path& dir,
                    const std::string& name);

// Runs gnuplot on an existing script in its own folder (redraws a plot).
void run_gnuplot(const std::filesystem::path& script);

// Whether to use a log axis for these values: all above zero and spanning two decades or more.
bool wants_log_axis(const std::vector<double>& values);

}  // namespace hcasim::cli
