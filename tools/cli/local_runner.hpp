#pragma once
// The local backend: each run (point, seed) is an `hcasim run` child process, at most `jobs` at
// once, with progress as runs end.
#include <cstdint>
#include <string>
#include <vector>

#include "tools/cli/sweep_layout.hpp"

namespace hcasim::cli {

struct RunTask {
  std::size_t point = 0;
  std::uint64_t seed = 0;
};

// The runs of `points` (indices) that are not complete yet.
std::vector<RunTask> pending_runs(const SweepSpec& s, const SweepLayout& layout,
                                  const std::vector<std::size_t>& points);

// Runs `tasks`; returns the ones that failed (non-zero exit). `progress` draws progress on
// stdout when set.
std::vector<RunTask> run_locally(const SweepSpec& s, const SweepLayout& layout,
                                 const std::vector<RunTask>& tasks, unsigned jobs, bool progress);

}  // namespace hcasim::cli
