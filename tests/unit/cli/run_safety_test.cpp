// What `hcasim run` does with settings the model never reads, with an output folder that holds
// another scenario's results, and when it is interrupted: each test runs the real executable as
// a child process and checks its exit, its messages and the files it leaves.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/cli/cli_support.hpp"

namespace {

using namespace hcasim_cli_test;
using hcasim_cli_test::hcasim;  // the function, not the namespace of the same name

// ---------------------------------------------------------------------------------------------
// Settings the chosen workload and system never read: one warning each, naming the key and
// where it was set; the run itself goes on and exits 0.

TEST(CliUnusedKey, SetKeyOfAnotherWorkloadIsNamedAndTheRunSucceeds) {
  const fs::path dir = fresh_dir();
  const RunResult r =
      hcasim({"run", (kScenarios / "pingpong.ini").string(), "--set", "pingpong.count=20", "--set",
              "load.size=uniform:5:2", "--trace", "none", "--out", "res"},
             dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_NE(r.err.find("hcasim: warning: key 'load.size' (set by --set load.size=uniform:5:2) is "
                       "not used by workload.kind = pingpong"),
            std::string::npos)
      << r.err;
  // Only that key: pingpong.count was read.
  EXPECT_EQ(r.err.find("pingpong.count"), std::string::npos) << r.err;
  EXPECT_EQ(load_json(dir / "res" / "summary.json")["ops"]["rtt"].value("count", -1), 20);
}

TEST(CliUnusedKey, KeyInAFileIsNamedWithItsLine) {
  const fs::path dir = fresh_dir();
  write_text(dir / "mine.ini",
             "include = " + kDefaultIni + "\n[pingpong]\ncount = 10\n[fio]\nrw = randwrite\n");
  const RunResult r = hcasim({"run", "mine.ini", "--check"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_NE(r.err.find("key 'fio.rw' (set by mine.ini:5) is not used by workload.kind = pingpong"),
            std::string::npos)
      << r.err;
}

TEST(CliUnusedKey, KeysEveryWorkloadReadsAreNotWarnedAbout) {
  const fs::path dir = fresh_dir();
  const RunResult r =
      hcasim({"run", kDefaultIni, "--set", "pingpong.count=10", "--set", "hca.clock_mhz=500",
              "--set", "scenario.description=x", "--seed", "4", "--trace", "none", "--out", "res"},
             dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.err, "");
}

// Every bundled scenario sets only keys its workload and system read. --check builds the model
// exactly as a run does (and writes nothing), so it reads the same keys.
class CliBundledScenario : public ::testing::TestWithParam<std::string> {};

TEST_P(CliBundledScenario, GivesNoWarning) {
  const fs::path dir = fresh_dir();
  const RunResult r = hcasim({"run", (kScenarios / GetParam()).string(), "--check"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.err, "") << GetParam();
}

std::vector<std::string> bundled_scenarios() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kScenarios))
    if (e.path().extension() == ".ini") names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Cli, CliBundledScenario, ::testing::ValuesIn(bundled_scenarios()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param.substr(0, i.param.size() - 4);
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// The bundled scenarios cover every workload kind, so the test above checks each one.
TEST(CliUnusedKey, BundledScenariosCoverEveryWorkloadKind) {
  std::set<std::string> kinds;
  for (const auto& name : bundled_scenarios()) {
    std::string kind = "pingpong";  // workload.kind's default
    for (const auto& line : lines_of(read_text(kScenarios / name)))
      if (line.rfind("kind", 0) == 0) kind = trim(line.substr(line.find('=') + 1));
    kinds.insert(kind);
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"pingpong", "perftest", "load", "update_storm",
                                          "cq_fanin", "storage"}));
}

// ---------------------------------------------------------------------------------------------
// The output folder.

TEST(CliOutFolder, AnotherScenariosResultsAreRefusedAndKept) {
  const fs::path dir = fresh_dir();
  RunResult r = hcasim({"run", kDefaultIni, "--set", "pingpong.count=20", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  const auto before = snapshot(dir / "res");

  r = hcasim(
      {"run", (kScenarios / "pingpong.ini").string(), "--set", "pingpong.count=20", "--out", "res"},
      dir);
  EXPECT_EQ(r.status, 2) << describe(r);
  EXPECT_NE(r.err.find("hcasim run: error: --out: folder 'res' holds the results of scenario "
                       "'default', not 'pingpong'"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(snapshot(dir / "res") == before) << "the earlier results changed";
}

TEST(CliOutFolder, TheSameScenarioIsReplaced) {
  const fs::path dir = fresh_dir();
  RunResult r = hcasim({"run", kDefaultIni, "--set", "pingpong.count=20", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  r = hcasim({"run", kDefaultIni, "--set", "pingpong.count=30", "--seed", "2", "--out", "res"},
             dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  const json s = load_json(dir / "res" / "summary.json");
  EXPECT_EQ(s.value("seed", -1), 2);
  EXPECT_EQ(s["ops"]["rtt"].value("count", -1), 30);
}

TEST(CliOutFolder, ASummaryThatIsNotARunsIsRefused) {
  const fs::path dir = fresh_dir();
  fs::create_directories(dir / "res");
  write_text(dir / "res" / "summary.json", "my notes\n");
  const RunResult r =
      hcasim({"run", kDefaultIni, "--set", "pingpong.count=20", "--out", "res"}, dir);
  EXPECT_EQ(r.status, 2) << describe(r);
  EXPECT_NE(r.err.find("'res' holds a summary.json that is not a hcasim run's"), std::string::npos)
      << r.err;
  EXPECT_EQ(read_text(dir / "res" / "summary.json"), "my notes\n");
}

// ---------------------------------------------------------------------------------------------
// Interrupted runs: no file under a final name, the partial trace under a name that says so,
// and a message that says where it is. The process dies of the signal, as a shell expects.

// Starts a run long enough to be interrupted, waits until its trace is being written (the
// simulation is under way), then sends `sig`.
RunResult interrupt_run(const fs::path& dir, int sig, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"run",   kDefaultIni, "--set", "pingpong.count=1000000000",
                                "--out", "res"};
  args.insert(args.end(), extra.begin(), extra.end());
  const Child child = start_program(kExe, args, dir);
  // Traced, the simulation is under way once the trace has data (it is buffered 64 KiB at a
  // time); untraced, the output folder appears just before the handler is installed, so the
  // signal is sent a moment after it does.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const fs::path temp = dir / "res" / "trace.vcd.tmp";
  const bool tracing = extra.empty();
  std::error_code ec;
  while (std::chrono::steady_clock::now() < deadline) {
    if (tracing && fs::exists(temp, ec) && fs::file_size(temp, ec) > 0) break;
    if (!tracing && fs::is_directory(dir / "res", ec)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(child.pid, sig);
  return wait_program(child);
}

TEST(CliInterrupt, SigintLeavesOnlyThePartialTraceAndSaysWhereItIs) {
  const fs::path dir = fresh_dir();
  // An earlier result of the same scenario: replaced by the run, so it must not survive the
  // interruption looking like this run's.
  RunResult r = hcasim({"run", kDefaultIni, "--set", "pingpong.count=20", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);

  r = interrupt_run(dir, SIGINT, {});
  EXPECT_EQ(r.signal, SIGINT) << describe(r);
  EXPECT_NE(r.err.find("hcasim run: interrupted by SIGINT; the run is incomplete: no summary.json "
                       "or latency.csv was written; partial output: res/trace.vcd.partial"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(outputs_under(dir / "res"), std::vector<std::string>{"trace.vcd.partial"});
  // What is there is the start of a trace.
  EXPECT_EQ(read_text(dir / "res" / "trace.vcd.partial").find("$version hcasim $end"), 0u);

  // The next run into the folder clears the partial trace away.
  r = hcasim({"run", kDefaultIni, "--set", "pingpong.count=20", "--trace", "none", "--out", "res"},
             dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(outputs_under(dir / "res"), (std::vector<std::string>{"latency.csv", "summary.json"}));
}

TEST(CliInterrupt, SigtermWithoutTraceWritesNothing) {
  const fs::path dir = fresh_dir();
  const RunResult r = interrupt_run(dir, SIGTERM, {"--trace", "none"});
  EXPECT_EQ(r.signal, SIGTERM) << describe(r);
  EXPECT_NE(r.err.find("hcasim run: interrupted by SIGTERM; the run is incomplete: no "
                       "summary.json or latency.csv was written\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(outputs_under(dir / "res"), std::vector<std::string>{});
}

}  // namespace
