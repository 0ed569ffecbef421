// End-to-end tests of `hcasim sweep` (local backend) and `hcasim plot`: each test runs the real
// executable as a child process in a folder of its own and checks what a user gets: the exit
// status and messages, results.csv and summary.csv against each run's own summary.json, the
// PNGs, and that a second run of the same sweep only does what is missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/sweep_test_support.hpp"

namespace {

using namespace sweep_test;
using nlohmann::json;

// 3 offered loads x 2 sizes = 6 points, 2 seeds each: 12 short open-loop runs.
std::string small_sweep() {
  return "[sweep]\n"
         "name = knee\n"
         "scenario = " +
         (kScenarios / "load_send.ini").string() +
         "\n"
         "seeds = 2\n"
         "\n[set]\nload.count = 400\nload.warmup = 10\n"
         "\n[vary]\nload.rate = lin(2e5, 1e6, 3)\nload.size = 1024, 4096\n"
         "\n[figures]\n"
         "p50 = ops.load.send.latency_ns.p50\n"
         "p99 = ops.load.send.latency_ns.p99\n"
         "achieved = contention.load.achieved_rate\n"
         "\n[plot.knee]\nx = load.rate\ny = p99\n";
}

const std::vector<std::string> kRates = {"200000", "600000", "1000000"};
const std::vector<std::string> kSizes = {"1024", "4096"};

double figure(const json& summary, const std::string& fig) {
  if (fig == "p50") return summary["ops"]["load.send"]["latency_ns"]["p50"].get<double>();
  if (fig == "p99") return summary["ops"]["load.send"]["latency_ns"]["p99"].get<double>();
  return summary["contention"]["load"]["achieved_rate"]["value"].get<double>();
}

std::string fmt(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

TEST(SweepLocal, SmallSweepGivesCsvRowsPerPointAndSeedAndAPlot) {
  const fs::path dir = fresh_dir();
  write_text(dir / "knee.ini", small_sweep());
  const auto r = run_hcasim({"sweep", "knee.ini", "--jobs", "2", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  // Not a terminal: plain progress lines, one per point, the last one 6/6.
  EXPECT_NE(r.out.find("sweep: 6/6 points done"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("12 runs to do"), std::string::npos) << r.out;

  // results.csv: parameters, then figures; one row per point and seed, the point's values
  // taken from that run's own summary.json.
  const auto rows = lines_of(read_text(dir / "res" / "results.csv"));
  ASSERT_EQ(rows.size(), 13u) << read_text(dir / "res" / "results.csv");
  EXPECT_EQ(rows[0], "point,seed,load.rate,load.size,p50,p99,achieved");
  std::map<std::string, std::vector<std::vector<double>>> per_point;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto c = split_csv(rows[i]);
    ASSERT_EQ(c.size(), 7u) << rows[i];
    const std::size_t point = (i - 1) / 2;
    const std::string id = "000" + std::to_string(point);
    EXPECT_EQ(c[0], id);
    EXPECT_EQ(c[1], std::to_string(1 + (i - 1) % 2));
    EXPECT_EQ(c[2], kRates[point / 2]) << "the first [vary] parameter varies slowest";
    EXPECT_EQ(c[3], kSizes[point % 2]);
    const json s =
        json::parse(read_text(dir / "res" / "points" / id / ("seed-" + c[1]) / "summary.json"));
    EXPECT_EQ(s["seed"].get<int>(), std::stoi(c[1]));
    EXPECT_EQ(s["ops"]["load.send"]["count"].get<int>(), 400);
    EXPECT_EQ(c[4], fmt(figure(s, "p50")));
    EXPECT_EQ(c[5], fmt(figure(s, "p99")));
    EXPECT_EQ(c[6], fmt(figure(s, "achieved")));
    per_point[id].push_back({figure(s, "p50"), figure(s, "p99"), figure(s, "achieved")});
  }
  // The offered load is what the sweep asked for, and a heavier load is not faster.
  EXPECT_NEAR(std::stod(split_csv(rows[1])[6]), 2e5, 2e5 * 0.1);
  EXPECT_NEAR(std::stod(split_csv(rows[11])[6]), 1e6, 1e6 * 0.1);

  // summary.csv: mean and 95 % CI (Student's t, 1 degree of freedom) over the two seeds.
  const auto sum = lines_of(read_text(dir / "res" / "summary.csv"));
  ASSERT_EQ(sum.size(), 7u);
  EXPECT_EQ(sum[0],
            "point,load.rate,load.size,seeds,p50_mean,p50_ci95,p99_mean,p99_ci95,achieved_mean,"
            "achieved_ci95");
  for (std::size_t i = 1; i < sum.size(); ++i) {
    const auto c = split_csv(sum[i]);
    ASSERT_EQ(c.size(), 10u) << sum[i];
    const auto& runs = per_point.at(c[0]);
    EXPECT_EQ(c[3], "2");
    for (std::size_t f = 0; f < 3; ++f) {
      const double a = runs[0][f], b = runs[1][f];
      EXPECT_NEAR(std::stod(c[4 + 2 * f]), (a + b) / 2, 1e-6 * std::fabs(a + b) + 1e-9);
      EXPECT_NEAR(std::stod(c[5 + 2 * f]), 12.706 * std::fabs(a - b) / 2,
                  1e-6 * std::fabs(a - b) + 1e-9)
          << sum[i];
    }
  }
  // p99 climbs with the offered load for 4 KiB messages (the knee the plot shows).
  EXPECT_LT(std::stod(split_csv(sum[2])[6]), std::stod(split_csv(sum[6])[6]));

  // The plot: one line per size, three points each, error bars; a real picture.
  expect_real_plot(dir / "res" / "plots" / "knee.png");
  const std::string dat = read_text(dir / "res" / "plots" / "knee.dat");
  EXPECT_NE(dat.find("# series 0: load.size=1024"), std::string::npos) << dat;
  EXPECT_NE(dat.find("# series 1: load.size=4096"), std::string::npos) << dat;
  const std::string gp = read_text(dir / "res" / "plots" / "knee.gp");
  EXPECT_NE(gp.find("set xlabel 'load.rate [ops/s]'"), std::string::npos) << gp;
  EXPECT_NE(gp.find("set ylabel 'p99 [ns]'"), std::string::npos) << gp;
  EXPECT_NE(gp.find("yerrorlines"), std::string::npos) << gp;
}

TEST(SweepLocal, SecondRunDoesOnlyWhatIsMissing) {
  const fs::path dir = fresh_dir();
  write_text(dir / "knee.ini", small_sweep());
  auto r = run_hcasim({"sweep", "knee.ini", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  const std::string results = read_text(dir / "res" / "results.csv");
  const fs::path kept = dir / "res" / "points" / "0000" / "seed-1" / "summary.json";
  const auto kept_time = fs::last_write_time(kept);

  r = run_hcasim({"sweep", "knee.ini", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_NE(r.out.find("0 runs to do"), std::string::npos) << r.out;

  fs::remove_all(dir / "res" / "points" / "0003" / "seed-2");
  r = run_hcasim({"sweep", "knee.ini", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_NE(r.out.find("1 runs to do"), std::string::npos) << r.out;
  EXPECT_EQ(read_text(dir / "res" / "results.csv"), results) << "same seeds, same figures";
  EXPECT_EQ(fs::last_write_time(kept), kept_time) << "a complete run was run again";

  // An edited sweep file changes the points' scenarios: those run again.
  std::string edited = small_sweep();
  edited.replace(edited.find("load.count = 400"), 16, "load.count = 300");
  write_text(dir / "knee.ini", edited);
  r = run_hcasim({"sweep", "knee.ini", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_NE(r.out.find("12 runs to do"), std::string::npos) << r.out;
  const json s = json::parse(read_text(kept));
  EXPECT_EQ(s["ops"]["load.send"]["count"].get<int>(), 300);
}

// A sweep killed midway and started again completes only the missing runs.
TEST(SweepLocal, KilledSweepCompletesOnlyMissingRuns) {
  const fs::path dir = fresh_dir();
  write_text(dir / "knee.ini", small_sweep());
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A process group of its own, as a shell gives a command: the kill below takes the sweep
    // and the run it has started, as Ctrl-C on a terminal does.
    setpgid(0, 0);
    if (chdir(dir.c_str()) != 0) _exit(126);
    std::freopen("/dev/null", "w", stdout);
    execl(kExe.c_str(), kExe.c_str(), "sweep", "knee.ini", "--jobs", "1", "--out", "res",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // also here: whichever of the two runs first
  // Kill it (and the run it has started) once two runs are complete; bounded at 60 s.
  const fs::path points = dir / "res" / "points";
  auto complete = [&] {
    std::size_t n = 0;
    if (!fs::exists(points)) return n;
    for (const auto& e : fs::recursive_directory_iterator(points))
      n += e.path().filename() == "summary.json";
    return n;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (complete() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(-pid, SIGKILL);
  int st = 0;
  waitpid(pid, &st, 0);
  const std::size_t before = complete();
  ASSERT_GE(before, 2u);
  ASSERT_LT(before, 12u) << "the sweep finished before it could be killed";
  EXPECT_FALSE(fs::exists(dir / "res" / "results.csv"));

  const auto r = run_hcasim({"sweep", "knee.ini", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_NE(r.out.find(std::to_string(12 - before) + " runs to do"), std::string::npos)
      << before << " were complete\n"
      << r.out;
  EXPECT_EQ(lines_of(read_text(dir / "res" / "results.csv")).size(), 13u);
}

struct BadSweep {
  std::string name;
  std::string from, to;             // replace `from` by `to` in the small sweep
  std::vector<std::string> expect;  // in stderr
};

TEST(SweepLocal, BadSweepFilesExitTwoBeforeAnythingRuns) {
  const std::vector<BadSweep> cases = {
      {"UnknownParameter",
       "load.size = 1024, 4096",
       "load.sise = 1024, 4096",
       {"knee.ini:12", "vary.load.sise", "unknown parameter"}},
      {"EmptyRange",
       "lin(2e5, 1e6, 3)",
       "lin(2e5, 1e6, 0)",
       {"knee.ini:11", "vary.load.rate", "empty range"}},
      {"EmptyList", "load.size = 1024, 4096", "load.size =", {"knee.ini:12", "empty"}},
      {"ValueOutOfRange",
       "lin(2e5, 1e6, 3)",
       "lin(0, 1e6, 3)",
       {"knee.ini:11", "load.rate", "out of range", "1 .. "}},
      {"ValueTheWorkloadRefuses",
       "load.size = 1024, 4096",
       "load.size = 1024, 0",
       {"point 0001", "load.size=0", "'0'"}},
      {"UnknownFigurePath",
       "ops.load.send.latency_ns.p99",
       "ops.load.send.latency_ns.p98",
       {"knee.ini:16", "figure 'p99'", "ops.load.send.latency_ns.p98", "point 0000"}},
      {"UnknownOpClass",
       "ops.load.send.latency_ns.p50",
       "ops.send.latency_ns.p50",
       {"knee.ini:15", "figure 'p50'", "ops: load.send"}},
      {"PlotAgainstUnvaried", "x = load.rate", "x = load.count", {"plot.knee.x", "not varied"}},
      {"ZipOfUnequalLists",
       "seeds = 2",
       "seeds = 2\nzip = load.rate, load.size",
       {"sweep.zip", "same length"}},
      {"MissingScenario", "load_send.ini", "no_such.ini", {"sweep.scenario", "no_such.ini"}},
      {"UnknownSection", "[plot.knee]", "[plots]", {"plots.x", "unknown key"}},
      {"SeedFixedInSet",
       "load.warmup = 10",
       "load.warmup = 10\nscenario.seed = 3",
       {"knee.ini:9", "set.scenario.seed", "[sweep] seeds"}},
      {"PointTooBigForMemory",
       "load.size = 1024, 4096",
       "load.size = 1024, 8388608\niou.memory_mb = 4",
       {"point 0001", "memory_mb"}},
  };
  for (const BadSweep& b : cases) {
    SCOPED_TRACE(b.name);
    const fs::path dir = fresh_dir() / b.name;
    fs::create_directories(dir);
    std::string text = small_sweep();
    const auto at = text.find(b.from);
    ASSERT_NE(at, std::string::npos) << b.from;
    text.replace(at, b.from.size(), b.to);
    write_text(dir / "knee.ini", text);
    const auto r = run_hcasim({"sweep", "knee.ini", "--out", "res"}, dir);
    EXPECT_EQ(r.status, 2) << describe(r);
    for (const auto& s : b.expect)
      EXPECT_NE(r.err.find(s), std::string::npos) << s << "\n" << r.err;
    EXPECT_EQ(r.err.find("internal"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "res")) << "a refused sweep created its output folder";
    EXPECT_FALSE(fs::exists(dir / "out"));
  }
}

// A key set for every point that the load workload never reads: named once, with how many
// points had it, and the sweep still runs.
TEST(SweepLocal, KeyNoPointReadsIsNamedOnce) {
  const fs::path dir = fresh_dir();
  std::string text = small_sweep();
  text.replace(text.find("seeds = 2"), 9, "seeds = 1");
  text.replace(text.find("load.warmup = 10\n"), 17, "load.warmup = 10\npingpong.count = 5\n");
  write_text(dir / "knee.ini", text);
  const auto r = run_hcasim({"sweep", "knee.ini", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  const std::string warning = "hcasim: warning: key 'pingpong.count' (set by point 0000:";
  const auto at = r.err.find(warning);
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(warning, at + 1), std::string::npos) << "named more than once\n" << r.err;
  EXPECT_NE(r.err.find("is not used by workload.kind = load"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(in 6 of 6 points)"), std::string::npos) << r.err;
  EXPECT_EQ(lines_of(read_text(dir / "res" / "results.csv")).size(), 7u);
}

TEST(SweepLocal, BadOptionsExitTwo) {
  const fs::path dir = fresh_dir();
  write_text(dir / "knee.ini", small_sweep());
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"sweep", "knee.ini", "--backend", "pbs"}, "'pbs' is not allowed; allowed: local, slurm"},
      {{"sweep", "knee.ini", "--jobs", "0"}, "--jobs"},
      {{"sweep"}, "no sweep file given"},
      {{"sweep", "nothere.ini"}, "nothere.ini"},
      {{"sweep", "collect", "knee.ini"}, "not a sweep folder"},
      {{"sweep", "resume"}, "takes DIR"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = run_hcasim(args, dir);
    EXPECT_EQ(r.status, 2) << describe(r);
    EXPECT_NE(r.err.find(message), std::string::npos) << message << "\n" << r.err;
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(SweepLocal, ValuesOfLogAndLinRangesAndZip) {
  const fs::path dir = fresh_dir();
  write_text(dir / "z.ini", "[sweep]\nscenario = " + (kScenarios / "lat_send.ini").string() +
                                "\nzip = perftest.sizes, perftest.iterations\n"
                                "[set]\nperftest.warmup = 2\n"
                                "[vary]\nperftest.sizes = log(2, 2048, 6)\n"
                                "perftest.iterations = lin(10, 60, 6)\n"
                                "include = " +
                                (kScenarios / "presets" / "qdr_pcie2x8.ini").string() + ", " +
                                (kScenarios / "presets" / "edr_pcie3x16.ini").string() +
                                "\n[figures]\nt = ops.send_lat.{perftest.sizes}.latency_ns.p50\n"
                                "n = ops.send_lat.{perftest.sizes}.count\n"
                                "[plot.lat]\nx = perftest.sizes\ny = t\n");
  const auto r = run_hcasim({"sweep", "z.ini", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  const auto rows = lines_of(read_text(dir / "res" / "results.csv"));
  ASSERT_EQ(rows.size(), 13u) << read_text(dir / "res" / "results.csv");
  EXPECT_EQ(rows[0], "point,seed,perftest.sizes,perftest.iterations,include,t,n");
  const std::vector<std::string> sizes = {"2", "8", "32", "128", "512", "2048"};
  const std::vector<std::string> iters = {"10", "20", "30", "40", "50", "60"};
  std::map<std::string, double> t;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto c = split_csv(rows[i]);
    ASSERT_EQ(c.size(), 7u);
    EXPECT_EQ(c[2], sizes[(i - 1) / 2]);
    EXPECT_EQ(c[3], iters[(i - 1) / 2]) << "zipped with the sizes";
    EXPECT_EQ(c[4], (i % 2) ? "qdr_pcie2x8" : "edr_pcie3x16");
    EXPECT_EQ(c[6], c[3]) << "the iterations reached the run";
    t[c[2] + c[4]] = std::stod(c[5]);
  }
  // The faster generation's 2 KiB latency is lower: the preset reached the run.
  EXPECT_LT(t["2048edr_pcie3x16"], t["2048qdr_pcie2x8"]);
  expect_real_plot(dir / "res" / "plots" / "lat.png");
  EXPECT_NE(read_text(dir / "res" / "plots" / "lat.gp").find("set logscale x 2"), std::string::npos)
      << "a log range gets a log axis";
}

// `run --check` builds the model and prints the zero-time summary: the figure paths a sweep
// can name, with nothing written.
TEST(SweepLocal, RunCheckPrintsTheFiguresAScenarioReports) {
  const fs::path dir = fresh_dir();
  const auto r = run_hcasim(
      {"run", (kScenarios / "lat_send.ini").string(), "--set", "perftest.sizes=2,4096", "--check"},
      dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  const json s = json::parse(r.out);
  EXPECT_EQ(s["sim_time_ns"].get<double>(), 0.0);
  ASSERT_TRUE(s["ops"].contains("send_lat.2") && s["ops"].contains("send_lat.4096")) << r.out;
  EXPECT_EQ(s["ops"]["send_lat.4096"]["count"].get<int>(), 0);
  EXPECT_TRUE(s["contention"]["perftest"]["send_lat"]["4096"].contains("t_stdev")) << r.out;
  EXPECT_TRUE(s["contention"]["host0"].contains("cpu0")) << r.out;
  EXPECT_TRUE(fs::is_empty(dir)) << "--check wrote something";
}

TEST(Plot, RunFolderGetsLatencyCdf) {
  const fs::path dir = fresh_dir();
  auto r = run_hcasim(
      {"run", (kScenarios / "load_send.ini").string(), "--set", "load.count=500", "--out", "run"},
      dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  r = run_hcasim({"plot", "run"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  expect_real_plot(dir / "run" / "latency_cdf.png");
  // The CDF climbs from 0 to 1 over the histogram's buckets.
  const auto dat = lines_of(read_text(dir / "run" / "latency_cdf.dat"));
  std::vector<double> ys;
  for (const auto& l : dat)
    if (!l.empty() && l[0] != '#') ys.push_back(std::stod(l.substr(l.find(' ') + 1)));
  ASSERT_GE(ys.size(), 10u);
  EXPECT_EQ(ys.front(), 0.0);
  EXPECT_EQ(ys.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(ys.begin(), ys.end()));

  r = run_hcasim({"plot", "nothing_here"}, dir);
  EXPECT_EQ(r.status, 2) << describe(r);
  EXPECT_NE(r.err.find("nothing_here"), std::string::npos) << r.err;
}

TEST(Plot, SweepFolderIsRedrawn) {
  const fs::path dir = fresh_dir();
  write_text(dir / "knee.ini", small_sweep());
  auto r = run_hcasim({"sweep", "knee.ini", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  fs::remove(dir / "res" / "plots" / "knee.png");
  r = run_hcasim({"plot", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  expect_real_plot(dir / "res" / "plots" / "knee.png");
}

}  // namespace
