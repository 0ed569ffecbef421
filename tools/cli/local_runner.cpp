#include "tools/cli/local_runner.hpp"

#include <map>
#include <stdexcept>

#include "tools/cli/child_process.hpp"
#include "tools/cli/progress_display.hpp"

namespace hcasim::cli {

namespace fs = std::filesystem;

std::vector<RunTask> pending_runs(const SweepSpec& s, const SweepLayout& layout,
                                  const std::vector<std::size_t>& points) {
  std::vector<RunTask> tasks;
  for (std::size_t i : points)
    for (std::uint64_t seed : s.seed_list())
      if (!layout.run_complete(s.points[i], seed)) tasks.push_back({i, seed});
  return tasks;
}

std::vector<RunTask> run_locally(const SweepSpec& s, const SweepLayout& layout,
                                 const std::vector<RunTask>& tasks, unsigned jobs, bool progress) {
  const std::string exe = self_executable().string();
  std::map<std::size_t, std::size_t> runs_left;  // per point, in this session
  for (const RunTask& t : tasks) ++runs_left[t.point];
  std::size_t points_done = s.points.size() - runs_left.size();
  ProgressDisplay display(s.points.size(), points_done, stdout);
  if (progress) display.update(points_done, 0, tasks.size());

  std::vector<RunTask> failed;
  std::map<pid_t, RunTask> running;
  std::size_t next = 0, ended = 0;
  while (next < tasks.size() || !running.empty()) {
    while (next < tasks.size() && running.size() < std::max(1u, jobs)) {
      const RunTask& t = tasks[next++];
      const SweepPoint& p = s.points[t.point];
      fs::remove(layout.run_log(p, t.seed));
      const pid_t pid =
          spawn_logged({exe, "run", layout.point_file(p).string(), "--seed", std::to_string(t.seed),
                        "--out", layout.run_dir(p, t.seed).string()},
                       layout.run_log(p, t.seed));
      running.emplace(pid, t);
    }
    int status = 0;
    // With progress shown, wake up every second so the elapsed time keeps moving.
    const pid_t pid = progress ? wait_any_child_for(status, 1000) : wait_any_child(status);
    if (pid == 0) {
      display.update(points_done, ended, tasks.size());
      continue;
    }
    auto it = running.find(pid);
    if (it == running.end()) {
      if (pid < 0) throw std::runtime_error("lost track of the sweep's child processes");
      continue;  // not one of ours
    }
    const RunTask t = it->second;
    running.erase(it);
    ++ended;
    if (status != 0) failed.push_back(t);
    if (--runs_left[t.point] == 0) ++points_done;
    if (progress) display.update(points_done, ended, tasks.size());
  }
  if (progress) display.finish();
  return failed;
}

}  // namespace hcasim::cli
