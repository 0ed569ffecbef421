#include "tools/cli/sweep_command.hpp"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <thread>

#include "models/core/config_error.hpp"
#include "tools/cli/local_runner.hpp"
#include "tools/cli/slurm_backend.hpp"
#include "tools/cli/sweep_check.hpp"
#include "tools/cli/sweep_results.hpp"

namespace hcasim::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: hcasim sweep SWEEP.ini [--out DIR] [--backend local|slurm] [--jobs N]\n"
    "                    [--check] [--no-wait] [--partition P] [--time T] [--mem M]\n"
    "       hcasim sweep collect DIR     gather the results of a sweep (e.g. after --no-wait)\n"
    "       hcasim sweep resume DIR      run or resubmit the points that are not complete\n"
    "       hcasim sweep point DIR INDEX run one point's seeds (what a Slurm array task runs)\n"
    "\n"
    "Runs every point of a sweep file (a base scenario, parameters to vary, seeds, figures and\n"
    "plots; docs/sweeps.md) and writes DIR/results.csv, DIR/summary.csv and DIR/plots/*.png.\n"
    "Points whose outputs are complete are not run again.\n\noptions";

struct SweepOptions {
  std::string backend = "local";
  unsigned jobs = 0;
  std::string out;
  bool no_wait = false;
  bool check = false;
  std::string partition, time, mem;
  unsigned poll = 0;
};

std::vector<std::size_t> incomplete_points(const SweepSpec& s, const SweepLayout& layout) {
  std::vector<std::size_t> out;
  for (const SweepPoint& p : s.points)
    if (!layout.point_complete(s, p)) out.push_back(p.index);
  return out;
}

// CSVs and plots from what is complete; lists what is not. 0 when every run is complete.
int finish(const SweepSpec& s, const SweepLayout& layout, bool slurm) {
  const SweepResults r = collect_results(s, layout);
  write_result_csvs(s, layout, r);
  if (!s.plots.empty() && !r.points.empty()) draw_sweep_plots(s, layout, r);
  std::cout << "results in " << layout.dir.string() << "/: results.csv (" << r.runs.size()
            << " runs) summary.csv (" << r.points.size() << " points)";
  for (const PlotSpec& p : s.plots)
    if (!r.points.empty()) std::cout << " plots/" << p.name << ".png";
  std::cout << "\n";
  // From the same look at the disk as the CSVs: a run that completes meanwhile (a Slurm task
  // still running) is not counted as complete before it is in results.csv.
  std::vector<std::size_t> missing;
  for (const RunTask& t : r.incomplete)
    if (missing.empty() || missing.back() != t.point) missing.push_back(t.point);
  if (missing.empty()) return 0;
  std::cerr << "hcasim sweep: " << missing.size() << " of " << s.points.size()
            << " points are not complete:\n";
  for (std::size_t i : missing) {
    const SweepPoint& p = s.points[i];
    std::cerr << "  point " << p.id << " (array task " << i << "): see "
              << (slurm ? (layout.slurm_dir() / ("task-" + std::to_string(i) + ".out")).string() +
                              " and "
                        : std::string())
              << layout.point_dir(p).string() << "/seed-*.log\n";
  }
  std::cerr << "run them again with: hcasim sweep resume " << layout.dir.string() << "\n";
  return 1;
}

void apply_slurm_flags(SweepSpec& s, const SweepOptions& o) {
  if (!o.partition.empty()) s.slurm.partition = o.partition;
  if (!o.time.empty()) s.slurm.time = o.time;
  if (!o.mem.empty()) s.slurm.mem = o.mem;
  if (o.poll) s.slurm.poll_seconds = std::to_string(o.poll);
}

// Runs (local) or submits (slurm) the given points, then collects unless told not to wait.
int execute(SweepSpec& s, const SweepLayout& layout, const SweepOptions& o,
            const std::vector<std::size_t>& points) {
  if (o.backend == "local") {
    const auto tasks = pending_runs(s, layout, points);
    std::cout << "sweep " << s.name << ": " << s.points.size() << " points x " << s.seeds
              << " seeds, " << tasks.size() << " runs to do, " << o.jobs << " at once\n";
    const auto failed = run_locally(s, layout, tasks, o.jobs, /*progress=*/true);
    for (const RunTask& t : failed)
      std::cerr << "hcasim sweep: point " << s.points[t.point].id << " seed " << t.seed
                << " failed: " << layout.run_log(s.points[t.point], t.seed).string() << "\n";
    return finish(s, layout, false);
  }
  std::vector<std::size_t> todo;
  for (std::size_t i : points)
    if (!layout.point_complete(s, s.points[i])) todo.push_back(i);
  if (todo.empty()) {
    std::cout << "sweep " << s.name << ": every point is complete, nothing to submit\n";
    return finish(s, layout, true);
  }
  const fs::path script = write_batch_script(s, layout, todo);
  const std::string job = submit_batch_script(layout, script);
  std::cout << "sweep " << s.name << ": submitted job " << job << " (" << todo.size()
            << " array tasks: " << array_ranges(todo) << ") from " << script.string() << "\n";
  if (o.no_wait) {
    std::cout << "collect the results when it ends: hcasim sweep collect " << layout.dir.string()
              << "\n";
    return 0;
  }
  wait_for_job(s, layout, job, unsigned(std::stoul(s.slurm.poll_seconds)), /*progress=*/true);
  return finish(s, layout, true);
}

int run_sweep(const std::string& file, SweepOptions o) {
  SweepSpec s = load_sweep_file(file);
  apply_slurm_flags(s, o);
  // Everything is checked before the output folder is created.
  check_sweep_points(s, o.jobs);
  if (o.check) {
    std::cout << "sweep " << s.name << ": " << s.points.size() << " points x " << s.seeds
              << " seeds = " << s.points.size() * s.seeds
              << " runs; every point's model builds and reports every figure\n";
    return 0;
  }
  const SweepLayout layout{o.out.empty() ? fs::path("out") / "sweeps" / s.name : fs::path(o.out)};
  save_sweep_state(s, layout.dir);
  layout.prepare_points(s);
  std::vector<std::size_t> all;
  for (const SweepPoint& p : s.points) all.push_back(p.index);
  return execute(s, layout, o, all);
}

int resume_sweep(const fs::path& dir, SweepOptions o) {
  SweepSpec s = load_sweep_state(dir);
  apply_slurm_flags(s, o);
  const SweepLayout layout{dir};
  if (o.backend == "slurm" && job_active(last_job_id(layout)))
    throw ConfigError(dir.string() + ": job " + last_job_id(layout) +
                      " is still queued or running; resume once it has ended");
  layout.prepare_points(s);
  return execute(s, layout, o, incomplete_points(s, layout));
}

int collect_sweep(const fs::path& dir) {
  SweepSpec s = load_sweep_state(dir);
  const SweepLayout layout{dir};
  const std::string job = last_job_id(layout);
  if (job_active(job)) std::cout << "note: job " << job << " still has tasks queued or running\n";
  return finish(s, layout, !job.empty());
}

// One Slurm array task: the point's seeds, one after the other.
int run_point(const fs::path& dir, const std::string& index_text) {
  SweepSpec s = load_sweep_state(dir);
  const SweepLayout layout{dir};
  std::size_t index = 0;
  try {
    index = std::stoul(index_text);
  } catch (const std::exception&) {
    index = s.points.size();
  }
  if (index >= s.points.size())
    throw ConfigError("point index '" + index_text + "': the sweep has points 0 .. " +
                      std::to_string(s.points.size() - 1));
  const SweepPoint& p = s.points[index];
  std::cout << "hcasim sweep point " << p.id << " of " << s.name << "\n";
  const auto failed = run_locally(s, layout, pending_runs(s, layout, {index}), 1, false);
  for (const RunTask& t : failed)
    std::cerr << "seed " << t.seed << " failed: " << layout.run_log(p, t.seed).string() << "\n";
  return failed.empty() ? 0 : 1;
}

}  // namespace

int sweep_command(int argc, char* argv[]) {
  SweepOptions o;
  std::vector<std::string> positional;
  po::options_description desc(kUsage);
  desc.add_options()("help,h", "this help")("out", po::value<std::string>(&o.out),
                                            "output folder (default out/sweeps/<sweep name>)")(
      "backend", po::value<std::string>(&o.backend), "local (default) or slurm")(
      "jobs,j", po::value<unsigned>(&o.jobs), "local: runs at once (default: the number of CPUs)")(
      "check", po::bool_switch(&o.check), "check the sweep file and every point, run nothing")(
      "no-wait", po::bool_switch(&o.no_wait),
      "slurm: submit and return; `hcasim sweep collect DIR` later")(
      "partition", po::value<std::string>(&o.partition), "slurm: partition ([slurm] partition)")(
      "time", po::value<std::string>(&o.time), "slurm: time limit per task ([slurm] time)")(
      "mem", po::value<std::string>(&o.mem), "slurm: memory per task ([slurm] mem)")(
      "poll", po::value<unsigned>(&o.poll), "slurm: seconds between squeue polls (default 5)");
  po::options_description hidden;
  hidden.add_options()("args", po::value<std::vector<std::string>>(&positional));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("args", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hcasim sweep: error: " << e.what() << "\n(try `hcasim sweep --help`)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  auto usage = [](const std::string& msg) {
    std::cerr << "hcasim sweep: error: " << msg << "\n(try `hcasim sweep --help`)\n";
    return 2;
  };
  if (o.backend != "local" && o.backend != "slurm")
    return usage("--backend: '" + o.backend + "' is not allowed; allowed: local, slurm");
  if (vm.count("jobs") && (o.jobs < 1 || o.jobs > 1024))
    return usage("--jobs: " + std::to_string(o.jobs) + " is out of range; allowed: 1 .. 1024");
  if (o.jobs == 0) o.jobs = std::max(1u, std::thread::hardware_concurrency());
  if (vm.count("poll") && (o.poll < 1 || o.poll > 3600))
    return usage("--poll: allowed: 1 .. 3600 seconds");
  if (positional.empty()) return usage("no sweep file given");
  try {
    const std::string& first = positional[0];
    if (first == "collect" || first == "resume" || first == "point") {
      const std::size_t want = first == "point" ? 3 : 2;
      if (positional.size() != want)
        return usage("`hcasim sweep " + first + "` takes " +
                     (first == "point" ? std::string("DIR INDEX") : std::string("DIR")));
      if (first == "collect") return collect_sweep(positional[1]);
      if (first == "resume") {
        if (!vm.count("backend")) {
          // Resume where it ran: a sweep that was submitted goes back to Slurm.
          if (!last_job_id(SweepLayout{positional[1]}).empty()) o.backend = "slurm";
        }
        return resume_sweep(positional[1], o);
      }
      return run_point(positional[1], positional[2]);
    }
    if (positional.size() != 1) return usage("one sweep file at a time");
    return run_sweep(first, o);
  } catch (const ConfigError& e) {
    std::cerr << "hcasim sweep: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "hcasim sweep: failed: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace hcasim::cli
