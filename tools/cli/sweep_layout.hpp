#pragma once
// Where a sweep keeps its files, and which runs are complete:
//   DIR/sweep.ini, DIR/sweep.json      the sweep file as run, and where it came from
//   DIR/points/<id>/point.ini          the point's scenario (`hcasim run` can replay it)
//   DIR/points/<id>/seed-<S>/          that run's outputs; seed-<S>.log its stdout and stderr
//   DIR/results.csv, DIR/summary.csv   one row per point and seed; mean and 95 % CI per point
//   DIR/plots/<name>.png (.gp, .dat)   the plots
//   DIR/slurm/                         the batch script and the array tasks' logs
#include <filesystem>
#include <string>
#include <vector>

#include "tools/cli/sweep_spec.hpp"

namespace hcasim::cli {

struct SweepLayout {
  std::filesystem::path dir;

  std::filesystem::path point_dir(const SweepPoint& p) const { return dir / "points" / p.id; }
  std::filesystem::path point_file(const SweepPoint& p) const { return point_dir(p) / "point.ini"; }
  std::filesystem::path run_dir(const SweepPoint& p, std::uint64_t seed) const {
    return point_dir(p) / ("seed-" + std::to_string(seed));
  }
  std::filesystem::path run_log(const SweepPoint& p, std::uint64_t seed) const {
    return point_dir(p) / ("seed-" + std::to_string(seed) + ".log");
  }
  std::filesystem::path plots_dir() const { return dir / "plots"; }
  std::filesystem::path slurm_dir() const { return dir / "slurm"; }

  // A run is complete when its summary.json exists (written last, atomically) and its point's
  // scenario is the one this sweep file gives now.
  bool run_complete(const SweepPoint& p, std::uint64_t seed) const;
  bool point_complete(const SweepSpec& s, const SweepPoint& p) const;

  // Writes point.ini for every point; a point whose scenario changed loses its old runs.
  void prepare_points(const SweepSpec& s) const;
};

// The sweep file copy and its origin, so that collect / resume / plot work from DIR alone.
void save_sweep_state(const SweepSpec& s, const std::filesystem::path& dir);
SweepSpec load_sweep_state(const std::filesystem::path& dir);

}  // namespace hcasim::cli
