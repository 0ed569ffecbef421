#pragma once
// Child processes for the sweep driver: the simulator itself (one `hcasim run` per point and
// seed, so SystemC elaborates once per process), gnuplot, and Slurm's client commands.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace hcasim::cli {

struct ChildResult {
  int status = -1;  // exit status; 128 + signal when killed; -1 when it could not start
  std::string out;  // captured stdout (capture() only)
  std::string err;  // captured stderr (capture() only)
};

// Starts `argv` with stdout and stderr appended to `log` (working folder `cwd` when non-empty).
// Returns the child's pid; throws std::runtime_error when fork fails.
pid_t spawn_logged(const std::vector<std::string>& argv, const std::filesystem::path& log,
                   const std::filesystem::path& cwd = {});

// The same with stdout and stderr into two files (truncated first).
pid_t spawn_split(const std::vector<std::string>& argv, const std::filesystem::path& out,
                  const std::filesystem::path& err);

// Waits for any child started by spawn_logged; returns its pid and sets `status` as ChildResult.
pid_t wait_any_child(int& status);
// The same, giving up after `timeout_ms`: returns 0 when no child ended by then.
pid_t wait_any_child_for(int& status, int timeout_ms);

// Runs `argv` to completion and returns its exit status and output. A program that cannot be
// found gives status 127 and a message in `err`.
ChildResult capture(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {});

// The running executable (for children that are hcasim itself).
std::filesystem::path self_executable();

// `name` found on PATH, or empty.
std::string find_program(const std::string& name);

}  // namespace hcasim::cli
