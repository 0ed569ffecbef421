// The simulated synchronization benchmark: runs the update storm for 1, 2, 4, 8 and 16 worker
// CPUs under every host.sync and prints the tables of docs/sync.md -- worker throughput, then
// updater latency and the guard's line transfers per section -- for each scenario given (the
// bundled update_storm.ini and update_storm_short.ini), on one socket and on two
// (host.sockets=2: a line moving between sockets costs host.line_transfer_remote_ns). One hcasim
// process per run, since SystemC elaborates once per process.
//
//   bench_sim_sync HCASIM_EXE SCENARIO.ini... [-- extra hcasim arguments...]
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

// Every host.sync value; the algorithm's two forms first, then the baselines.
const char* const kKinds[] = {"algorithm", "algorithm_atomic", "global_lock", "rwlock", "percpu"};
constexpr std::size_t kKindCount = sizeof kKinds / sizeof kKinds[0];
const unsigned kWorkers[] = {1, 2, 4, 8, 16};

struct Point {
  double throughput = 0;  // M completions/s
  double updater_p50_us = 0, updater_p99_us = 0;
  double transfers_per_section = 0;  // the guard's lines
  double violations = 0;
};

Point run(const std::string& exe, const std::string& ini, const std::string& kind, unsigned workers,
          const std::string& extra) {
  const fs::path dir = fs::temp_directory_path() / ("bench_sim_sync_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string cmd = "'" + exe + "' run '" + ini + "' --trace none --out '" + dir.string() +
                          "' --set host.sync=" + kind +
                          " --set host.cpus=" + std::to_string(workers + 1) +
                          " --set storm.workers=" + std::to_string(workers) + extra + " > '" +
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
  p.updater_p50_us = s["updater_latency_ns"]["p50"].get<double>() / 1000.0;
  p.updater_p99_us = s["updater_latency_ns"]["p99"].get<double>() / 1000.0;
  p.transfers_per_section = s["lock_line"]["transfers"]["value"].get<double>() /
                            std::max(1.0, s["torture"]["ops"]["value"].get<double>());
  p.violations = s["torture"]["violations"]["value"].get<double>();
  fs::remove_all(dir);
  return p;
}

void header(const char* first) {
  std::printf("| %s |", first);
  for (const char* kind : kKinds) std::printf(" %s |", kind);
  std::printf("\n|---:|");
  for (std::size_t i = 0; i < kKindCount; ++i) std::printf("---:|");
  std::printf("\n");
}

// Prints one scenario's tables; returns the violations seen (must be 0).
double table(const std::string& exe, const std::string& ini, const std::string& extra) {
  std::printf("\n### %s%s\n\n", fs::path(ini).filename().c_str(), extra.c_str());
  std::printf(
      "`hcasim run %s --set host.sync=KIND --set host.cpus=N+1 --set storm.workers=N%s`; "
      "worker throughput, M completions/s:\n\n",
      fs::path(ini).filename().c_str(), extra.c_str());
  std::vector<std::vector<Point>> all;
  header("worker CPUs");
  for (unsigned n : kWorkers) {
    std::vector<Point> row;
    for (const char* kind : kKinds) row.push_back(run(exe, ini, kind, n, extra));
    std::printf("| %u |", n);
    for (const Point& p : row) std::printf(" %.2f |", p.throughput);
    std::printf("\n");
    std::fflush(stdout);
    all.push_back(row);
  }
  std::printf("\nScaling from 1 worker (x), and against global_lock at 16 workers:");
  for (std::size_t k = 0; k < kKindCount; ++k) {
    std::printf(" %s %.1fx / %.1fx%s", kKinds[k], all.back()[k].throughput / all[0][k].throughput,
                all.back()[k].throughput / all.back()[2].throughput,
                k + 1 < kKindCount ? ";" : "\n");
  }
  std::printf("\nUpdater latency p50 / p99 (us) and the guard's line transfers per section:\n\n");
  header("worker CPUs");
  double violations = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    std::printf("| %u |", kWorkers[i]);
    for (const Point& p : all[i]) {
      std::printf(" %.1f / %.1f / %.2f |", p.updater_p50_us, p.updater_p99_us,
                  p.transfers_per_section);
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
    std::fprintf(stderr,
                 "usage: bench_sim_sync HCASIM_EXE SCENARIO.ini... [-- extra hcasim args]\n");
    return 2;
  }
  const std::string exe = argv[1];
  std::vector<std::string> scenarios;
  std::string extra;
  int i = 2;
  for (; i < argc && std::string(argv[i]) != "--"; ++i) scenarios.emplace_back(argv[i]);
  for (++i; i < argc; ++i) extra += std::string(" ") + argv[i];
  const auto t0 = std::chrono::steady_clock::now();
  double violations = 0;
  unsigned runs = 0;
  for (const char* sockets : {"", " --set host.sockets=2"}) {
    for (const std::string& ini : scenarios) {
      violations += table(exe, ini, extra + sockets);
      runs += static_cast<unsigned>(kKindCount * (sizeof kWorkers / sizeof kWorkers[0]));
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\n(%u runs, %.1f s wall)\n", runs, wall);
  return violations == 0 ? 0 : 1;
}
