// The simulated synchronization benchmark: runs the update storm (workloads/scenarios/
// update_storm.ini) for 1, 2, 4, 8 and 16 worker CPUs under each host.sync and prints the
// worker-throughput tables of docs/sync.md -- at the scenario's defaults, then with short
// sections (where the guards' own cache line becomes the limit). One hcasim process per run,
// since SystemC elaborates once per process.
//
//   bench_sim_sync HCASIM_EXE update_storm.ini [extra hcasim arguments...]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kKinds[] = {"algorithm", "global_lock", "rwlock"};
const unsigned kWorkers[] = {1, 2, 4, 8, 16};

struct Point {
  double throughput = 0;  // M completions/s
  double wait_share = 0;  // share of worker time entering
  double updater_p50_us = 0, updater_max_us = 0;
  double lock_transfers_per_op = 0;
  double violations = 0;
};

Point run(const std::string& exe, const std::string& ini, const std::string& kind, unsigned workers,
          const std::string& extra) {
  const fs::path dir = fs::temp_directory_path() / ("bench_sim_sync_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string cmd = "'" + exe + "' run '" + ini + "' --trace none --out '" + dir.string() +
                          "' --set host.sync=" + kind +
                          " --set host.cpus=" + std::to_string(workers + 1) +
                          " --set storm.workers=" + std::to_string(workers) + " " + extra + " > '" +
                          (dir / "stdout.txt").string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  if (status != 0) {
    std::fprintf(stderr, "bench_sim_sync: failed (%d): %s\n", status, cmd.c_str());
    std::exit(1);
  }
  std::ifstream in(dir / "summary.json");
  const json j = json::parse(in);
  const json& s = j["contention"]["update_storm"];
  Point p;
  p.throughput = s["worker_throughput"]["value"].get<double>() / 1e6;
  p.wait_share = s["worker_wait"]["share"]["value"].get<double>();
  p.updater_p50_us = s["updater_latency_ns"]["p50"].get<double>() / 1000.0;
  p.updater_max_us = s["updater_latency_ns"]["max"].get<double>() / 1000.0;
  p.lock_transfers_per_op = s["lock_line"]["transfers"]["value"].get<double>() /
                            std::max(1.0, s["torture"]["ops"]["value"].get<double>());
  p.violations = s["torture"]["violations"]["value"].get<double>();
  fs::remove_all(dir);
  return p;
}

// Prints one table; returns the violations seen (workers inside during an update: must be 0).
double table(const std::string& exe, const std::string& ini, const std::string& title,
             const std::string& extra) {
  std::printf("\n### %s\n\n", title.c_str());
  std::printf(
      "`bench_sim_sync` runs: hcasim run update_storm.ini --set host.sync=KIND "
      "--set host.cpus=N+1 --set storm.workers=N %s\n\n",
      extra.c_str());
  std::printf("| worker CPUs | algorithm | global_lock | rwlock | algorithm / global_lock |\n");
  std::printf("|---:|---:|---:|---:|---:|\n");
  std::vector<std::vector<Point>> all;
  for (unsigned n : kWorkers) {
    std::vector<Point> row;
    for (const char* kind : kKinds) row.push_back(run(exe, ini, kind, n, extra));
    std::printf("| %u | %.2f | %.2f | %.2f | %.1fx |\n", n, row[0].throughput, row[1].throughput,
                row[2].throughput, row[0].throughput / row[1].throughput);
    std::fflush(stdout);
    all.push_back(row);
  }
  std::printf(
      "\nworker throughput in M completions/s. Details (time entering %% / updater "
      "latency p50, max us / lock-line transfers per section):\n\n");
  std::printf("| worker CPUs | algorithm | global_lock | rwlock |\n|---:|---|---|---|\n");
  double violations = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    std::printf("| %u |", kWorkers[i]);
    for (const Point& p : all[i]) {
      std::printf(" %.0f%% / %.1f, %.1f / %.2f |", 100 * p.wait_share, p.updater_p50_us,
                  p.updater_max_us, p.lock_transfers_per_op);
      violations += p.violations;
    }
    std::printf("\n");
  }
  std::printf("\nviolations (workers inside during an update), all runs: %.0f\n", violations);
  return violations;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_sim_sync HCASIM_EXE update_storm.ini [extra args]\n");
    return 2;
  }
  const std::string exe = argv[1], ini = argv[2];
  std::string extra;
  for (int i = 3; i < argc; ++i) extra += std::string(" ") + argv[i];
  const auto t0 = std::chrono::steady_clock::now();
  double violations = table(exe, ini, "Update storm at the scenario's defaults", extra);
  violations += table(exe, ini, "Short sections (2 completions of 0.2 us per poll section)",
                      extra + " --set storm.batch=2 --set storm.callback_cycles=520");
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\n(30 runs, %.1f s wall)\n", wall);
  return violations == 0 ? 0 : 1;
}
