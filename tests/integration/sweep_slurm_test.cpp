// `hcasim sweep --backend slurm` against a real one-node Slurm cluster that the test starts
// (tools/ci/start-slurm.sh: munged, slurmctld, slurmd on 127.0.0.1) and stops. The sweep is
// submitted as a job array; its collected CSVs must equal the local backend's for the same
// points and seeds. A task that fails is listed, and `hcasim sweep resume` resubmits only it.
// Skipped, with the reason, where Slurm cannot be started (not root, not installed, ...).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "tests/support/sweep_test_support.hpp"

namespace {

using namespace sweep_test;

const fs::path kCiTools = fs::path(HCASIM_SOURCE_DIR) / "tools" / "ci";

// The cluster's state lives in a short /tmp folder (munged's socket path must stay under 108
// bytes); the cluster is stopped and the folder removed however the test ends.
struct SlurmCluster {
  fs::path state;
  SlurmCluster() {
    char name[] = "/tmp/hcasim-slurm-XXXXXX";
    if (mkdtemp(name)) state = name;
  }
  ~SlurmCluster() {
    if (state.empty()) return;
    hcasim::cli::capture({(kCiTools / "stop-slurm.sh").string(), state});
    std::error_code ec;
    fs::remove_all(state, ec);
  }
};

std::string sweep_file() {
  return "[sweep]\n"
         "name = knee_slurm\n"
         "scenario = " +
         (kScenarios / "load_send.ini").string() +
         "\n"
         "seeds = 2\n"
         "\n[set]\nload.count = 300\nload.warmup = 10\n"
         "\n[vary]\nload.rate = 3e5, 9e5\nload.size = 1024, 4096\n"
         "\n[figures]\np99 = ops.load.send.latency_ns.p99\n"
         "achieved = contention.load.achieved_rate\n"
         "\n[plot.knee]\nx = load.rate\ny = p99\n"
         "\n[slurm]\ntime = 00:05:00\nmem = 256M\n";
}

TEST(SweepSlurm, JobArrayGivesTheLocalResultsAndResumeResubmitsFailedTasks) {
  if (geteuid() != 0) GTEST_SKIP() << "Slurm test cluster needs root (slurmd runs jobs)";
  for (const char* p : {"munged", "slurmctld", "slurmd", "sbatch", "squeue"})
    if (hcasim::cli::find_program(p).empty() && !fs::exists(fs::path("/usr/sbin") / p))
      GTEST_SKIP() << p
                   << " is not installed (tools/ci/install-slurm.sh installs slurm-wlm, munge)";

  const fs::path dir = fresh_dir();
  SlurmCluster cluster;
  ASSERT_FALSE(cluster.state.empty()) << "cannot create a folder in /tmp";
  const auto started =
      hcasim::cli::capture({"timeout", "60", (kCiTools / "start-slurm.sh").string(),
                            cluster.state.string(), "16917", "16918"});
  if (started.status != 0)
    GTEST_SKIP() << "Slurm could not be started here: " << started.err << started.out;
  ASSERT_EQ(setenv("SLURM_CONF", (cluster.state / "slurm.conf").c_str(), 1), 0);

  write_text(dir / "knee.ini", sweep_file());
  auto r = run_hcasim({"sweep", "knee.ini", "--out", "local"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);

  // 1. The whole sweep as one job array, waited for.
  r = run_hcasim({"sweep", "knee.ini", "--backend", "slurm", "--poll", "1", "--out", "slurm"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r) << read_text(cluster.state / "log" / "slurmctld.log");
  EXPECT_NE(r.out.find("(4 array tasks: 0-3)"), std::string::npos) << r.out;
  const std::string script = read_text(dir / "slurm" / "slurm" / "sweep.sbatch");
  for (const char* line : {"#SBATCH --array=0-3\n", "#SBATCH --time=00:05:00\n",
                           "#SBATCH --mem=256M\n", "sweep point "})
    EXPECT_NE(script.find(line), std::string::npos) << line << "\n" << script;
  for (int task = 0; task < 4; ++task)
    EXPECT_TRUE(fs::exists(dir / "slurm" / "slurm" / ("task-" + std::to_string(task) + ".out")));
  EXPECT_EQ(read_text(dir / "slurm" / "results.csv"), read_text(dir / "local" / "results.csv"));
  EXPECT_EQ(read_text(dir / "slurm" / "summary.csv"), read_text(dir / "local" / "summary.csv"));
  EXPECT_EQ(lines_of(read_text(dir / "slurm" / "results.csv")).size(), 9u);
  expect_real_plot(dir / "slurm" / "plots" / "knee.png");

  // 2. A task that fails: point 0002's first run cannot write its output folder.
  const fs::path blocked = dir / "slurm" / "points" / "0002" / "seed-1";
  fs::remove_all(blocked);
  write_text(blocked, "not a folder");
  r = run_hcasim({"sweep", "resume", "slurm", "--poll", "1"}, dir);
  EXPECT_EQ(r.status, 1) << describe(r);
  EXPECT_NE(r.out.find("(1 array tasks: 2)"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("point 0002 (array task 2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hcasim sweep resume slurm"), std::string::npos) << r.err;
  EXPECT_EQ(lines_of(read_text(dir / "slurm" / "results.csv")).size(), 8u)
      << "results.csv holds the complete runs";

  // 3. Fixed, resubmitted without waiting, then collected.
  fs::remove(blocked);
  r = run_hcasim({"sweep", "resume", "slurm", "--no-wait"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_NE(r.out.find("hcasim sweep collect slurm"), std::string::npos) << r.out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    r = run_hcasim({"sweep", "collect", "slurm"}, dir);
  } while (r.status != 0 && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(read_text(dir / "slurm" / "results.csv"), read_text(dir / "local" / "results.csv"));
  EXPECT_EQ(read_text(dir / "slurm" / "summary.csv"), read_text(dir / "local" / "summary.csv"));
}

}  // namespace
