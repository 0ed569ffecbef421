#pragma once
// Progress of a sweep: on a terminal one line redrawn in place (a bar, points done / total,
// elapsed, estimated remaining); otherwise a plain line each time a point completes.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace hcasim::cli {

class ProgressDisplay {
 public:
  // `points` in all; `done` already complete before this session started.
  ProgressDisplay(std::size_t points, std::size_t done, std::FILE* out);
  // `runs_done` of `runs_total` runs of this session have ended; `points_done` in all.
  void update(std::size_t points_done, std::size_t runs_done, std::size_t runs_total);
  void finish();

 private:
  std::size_t points_;
  std::size_t last_points_;
  std::FILE* out_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
};

// "1:05", "12:00:03": seconds as a clock reading.
std::string format_duration(double seconds);

}  // namespace hcasim::cli
