// The update storm's headline and its determinism, from the hcasim executable (one scenario
// per child process, since SystemC elaborates once per process): with 8 workers the algorithm's
// worker throughput is well above the global lock's, and the same seed gives a byte-identical
// summary.json.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kExe = HCASIM_EXE;
const fs::path kIni = fs::path(HCASIM_SOURCE_DIR) / "workloads" / "scenarios" / "update_storm.ini";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the scenario with `sets` into a fresh folder; returns summary.json's text.
std::string run(const std::string& tag, const std::string& sets) {
  const fs::path dir = fs::absolute("update_storm_test_out") / tag;
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string cmd = "'" + kExe + "' run '" + kIni.string() + "' --trace none --out '" +
                          dir.string() + "' " + sets + " > '" + (dir / "stdout.txt").string() +
                          "' 2>&1";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(status, 0) << cmd << "\n" << read_text(dir / "stdout.txt");
  return read_text(dir / "summary.json");
}

double throughput(const std::string& summary) {
  const json j = json::parse(summary);
  return j["contention"]["update_storm"]["worker_throughput"]["value"].get<double>();
}

TEST(UpdateStormCompare, AlgorithmOutrunsTheGlobalLockWithEightWorkers) {
  const double algorithm = throughput(run("algorithm8", "--set host.sync=algorithm"));
  const double global = throughput(run("global8", "--set host.sync=global_lock"));
  std::printf("[update storm] 8 workers: algorithm %.3f M/s, global_lock %.3f M/s (%.2fx)\n",
              algorithm / 1e6, global / 1e6, algorithm / global);
  // Margin: the global lock runs one worker's sections at a time (flat at ~0.87 M/s for every
  // worker count, docs/sync.md), while the algorithm runs the eight concurrently and measured
  // 5.6 M/s (6.5x; ideal 8x, less the small lock's hand-offs and the update drains). 4x
  // leaves room for cost-parameter changes yet fails if workers were serialized (~1x) or the
  // small lock's line became the bottleneck at eight workers.
  EXPECT_GT(algorithm, 4.0 * global);
}

TEST(UpdateStormCompare, SameSeedGivesTheSameReport) {
  const std::string sets = "--set storm.workers=4 --set host.cpus=5 --set storm.duration_us=400";
  const std::string a = run("seed1a", sets + " --seed 7");
  const std::string b = run("seed1b", sets + " --seed 7");
  const std::string c = run("seed2", sets + " --seed 8");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_NE(json::parse(a)["contention"]["update_storm"]["updater_latency_ns"],
            json::parse(c)["contention"]["update_storm"]["updater_latency_ns"]);
}

}  // namespace
