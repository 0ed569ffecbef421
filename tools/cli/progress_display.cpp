#include "tools/cli/progress_display.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace hcasim::cli {

std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

ProgressDisplay::ProgressDisplay(std::size_t points, std::size_t done, std::FILE* out)
    : points_(points),
      last_points_(done),
      out_(out),
      tty_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()) {}

void ProgressDisplay::update(std::size_t points_done, std::size_t runs_done,
                             std::size_t runs_total) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string left = "?";
  if (runs_done > 0)
    left = format_duration(elapsed / double(runs_done) * double(runs_total - runs_done));
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = points_ ? int(kWidth * points_done / points_) : kWidth;
    std::string bar(std::size_t(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(out_, "\r[%s] %zu/%zu points  %s elapsed  %s left\033[K", bar.c_str(), points_done,
                 points_, format_duration(elapsed).c_str(), left.c_str());
  } else if (points_done != last_points_) {
    std::fprintf(out_, "sweep: %zu/%zu points done, %s elapsed, about %s left\n", points_done,
                 points_, format_duration(elapsed).c_str(), left.c_str());
  }
  last_points_ = points_done;
  std::fflush(out_);
}

void ProgressDisplay::finish() {
  if (tty_) std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace hcasim::cli
