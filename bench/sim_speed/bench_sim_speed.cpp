// The simulation-speed benchmark of `make bench` (docs/performance.md, "Measuring"). Each figure
// is the median of several runs of `hcasim run` as a child process; wall time and peak memory
// are measured from outside (wait4), the work requests and the simulation's own wall time are
// read from the run's outputs. Sections:
//
//   floor    a bare SystemC program doing timed SC_METHOD activations (kernel_floor): the most
//            any SystemC model reaches on this machine. Every rate below is also given as
//            "kernel-activation equivalents per simulated work request" (floor rate / rate,
//            the act/WR column), a figure that stays the same across machines; the floor is
//            measured again (2*10^6 activations) just before and after each run, so that a
//            load that changes during the benchmark changes both sides of the ratio alike.
//   rate     bw_send 64 B with 1 and with 64 QPs, trace off, VCD and FST: work requests per
//            wall second, tracing cost (wall on / off) and trace bytes per work request.
//   idle     open-loop SENDs of 64 B arriving one every 1 us, 1 ms and 1 s: wall time must not
//            grow with the idle gaps (quiet host; with the timer tick a spinning CPU's ticks are
//            simulated work, shown as well).
//   growth   bw_send 64 B for 10^5, 10^6, 10^7 work requests: wall time linear, peak RSS flat.
//   scale    the same per-QP load on 1 adapter + 1 I/O unit and on 16 adapters + 64 I/O units
//            behind the switch: wall time per work request within 1.5x.
//
//   bench_sim_speed HCASIM_EXE SCENARIO_DIR KERNEL_FLOOR_EXE [options]
//     --quick           a tenth of the work (growth: a hundredth), one run each (development,
//                       about 20 s); also HCASIM_BENCH_QUICK=1
//     --runs N          runs per figure (default 3; the median is reported)
//     --only LIST       comma list of sections (floor,rate,idle,growth,scale)
//     --growth LIST     work-request counts of the growth section (default 1e5,1e6,1e7); the
//                       soak of docs/performance.md is --only floor,growth --growth 1e6,1e7,1e8
//     --json FILE       also write every figure as JSON (default: bench_sim_speed.json here)
//     --fast EXE        also the fast build's hcasim (`make fast`: profile-guided and link-time
//                       optimization) in the rate section, untraced and traced, its runs
//                       alternating with the regular build's, its tracing costs against its own
//                       untraced run; also HCASIM_BENCH_FAST=EXE (`make bench` sets it when that
//                       build exists)
//
// Exit status 1 when a run fails or a bound is broken (idle growth over 1.5x, memory growth
// over 1.1x + 4 MiB per 10x, scale over 1.5x); wall figures themselves are reported, not judged.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Options {
  std::string hcasim, scenarios, floor_exe;
  bool quick = false;
  int runs = 3;
  std::vector<std::string> only;
  std::vector<double> growth = {1e5, 1e6, 1e7};
  std::string json_path = "bench_sim_speed.json";
  std::string fast_hcasim;  // the fast build's hcasim, or empty
  bool wants(const std::string& section) const {
    return only.empty() || std::find(only.begin(), only.end(), section) != only.end();
  }
};

// What one child process did.
struct Sample {
  double process_wall_s = 0;  // fork to exit, as measured here
  double sim_wall_s = 0;      // the simulation loop alone (hcasim's "wall time")
  double work_requests = 0;   // summed over the op classes of summary.json
  double sim_events = 0;      // hcasim's "simulated events"
  double peak_rss_mib = 0;    // ru_maxrss of the child (and of its own children)
  double trace_bytes = 0;     // the trace file, when one was written
  // The floor measured just before and just after this run (their mean), times the
  // simulation's wall time per work request: how many bare kernel activations one simulated
  // work request costs. Measured next to each run, it follows the machine's load as it changes
  // (other jobs on a shared box).
  double activations_per_wr = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Sample median_of(const std::vector<Sample>& s) {
  auto pick = [&](double Sample::*f) {
    std::vector<double> v;
    for (const Sample& x : s) v.push_back(x.*f);
    return median(v);
  };
  Sample m;
  m.process_wall_s = pick(&Sample::process_wall_s);
  m.sim_wall_s = pick(&Sample::sim_wall_s);
  m.work_requests = pick(&Sample::work_requests);
  m.sim_events = pick(&Sample::sim_events);
  m.peak_rss_mib = pick(&Sample::peak_rss_mib);
  m.trace_bytes = pick(&Sample::trace_bytes);
  m.activations_per_wr = pick(&Sample::activations_per_wr);
  return m;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "bench_sim_speed: %s\n", what.c_str());
  std::exit(1);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The number after `key` on its line of `text` ("  wall time   0.543 s" -> 0.543).
double number_after(const std::string& text, const std::string& key) {
  const std::size_t at = text.find(key);
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + key.size(), nullptr);
}

// Runs `args` with stdout and stderr in `log`; returns wall time and peak RSS.
Sample run_child(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    if (!std::freopen(log.c_str(), "w", stdout) || !std::freopen(log.c_str(), "a", stderr))
      _exit(127);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  if (wait4(pid, &status, 0, &ru) != pid) fail("wait4 failed");
  Sample s;
  s.process_wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.peak_rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const std::string& a : args) cmd += a + ' ';
    fail("run failed (status " + std::to_string(status) + "): " + cmd + "\n" + read_text(log));
  }
  return s;
}

class Bench {
 public:
  explicit Bench(Options o) : opt_(std::move(o)) {
    work_ = fs::temp_directory_path() / ("bench_sim_speed_" + std::to_string(getpid()));
    fs::create_directories(work_);
  }
  ~Bench() { fs::remove_all(work_); }

  // One hcasim run of `scenario` with `sets`; `trace` is none, vcd or fst. `exe` is the
  // regular build's hcasim unless given.
  Sample hcasim_once(const std::string& scenario, const std::vector<std::string>& sets,
                     const std::string& trace, const std::string& exe = {}) {
    const fs::path out = work_ / "out";
    fs::remove_all(out);
    std::vector<std::string> args = {exe.empty() ? opt_.hcasim : exe,
                                     "run",
                                     opt_.scenarios + "/" + scenario,
                                     "--trace",
                                     trace,
                                     "--out",
                                     out.string()};
    for (const std::string& s : sets) {
      args.push_back("--set");
      args.push_back(s);
    }
    const std::uint64_t floor_n = opt_.quick ? 1000000 : 2000000;
    const double floor_before = floor_rate(floor_n);
    const fs::path log = work_ / "stdout.txt";
    Sample s = run_child(args, log);
    const double floor_now = (floor_before + floor_rate(floor_n)) / 2;
    const std::string text = read_text(log);
    s.sim_wall_s = number_after(text, "  wall time");
    s.sim_events = number_after(text, "  simulated events");
    std::ifstream in(out / "summary.json");
    const json summary = json::parse(in);
    for (const json& op : summary.at("ops")) s.work_requests += op.at("count").get<double>();
    if (trace != "none")
      s.trace_bytes = static_cast<double>(fs::file_size(out / ("trace." + trace)));
    if (s.work_requests > 0) s.activations_per_wr = floor_now * s.sim_wall_s / s.work_requests;
    return s;
  }

  // Timed SC_METHOD activations per wall second of the bare SystemC program, `n` of them.
  double floor_rate(std::uint64_t n) {
    const fs::path log = work_ / "floor.txt";
    run_child({opt_.floor_exe, std::to_string(n)}, log);
    return number_after(read_text(log), "per_wall_s");
  }

  Sample hcasim(const std::string& scenario, const std::vector<std::string>& sets,
                const std::string& trace, int runs) {
    std::vector<Sample> all;
    for (int i = 0; i < runs; ++i) all.push_back(hcasim_once(scenario, sets, trace));
    return median_of(all);
  }

  void floor() {
    const std::uint64_t n = opt_.quick ? 2000000 : 20000000;
    std::vector<double> rates;
    for (int i = 0; i < opt_.runs; ++i) rates.push_back(floor_rate(n));
    floor_rate_ = median(rates);
    std::printf("\n## floor: bare SystemC, %llu timed SC_METHOD activations (next_trigger)\n\n",
                static_cast<unsigned long long>(n));
    std::printf("  %-58s %12.0f\n", "kernel activations per wall second (median)", floor_rate_);
    results_["floor"] = {{"activations", n}, {"per_wall_s", floor_rate_}, {"runs", rates}};
  }

  json row(const std::string& name, const Sample& s) {
    const double rate = s.sim_wall_s > 0 ? s.work_requests / s.sim_wall_s : 0;
    std::printf("  %-34s %10.0f %10.3f %10.3f %9.1f %8.1f %9.1f %8.1f\n", name.c_str(),
                s.work_requests, s.sim_wall_s, s.process_wall_s, rate / 1e3, s.activations_per_wr,
                s.peak_rss_mib, s.trace_bytes / std::max(1.0, s.work_requests));
    return {{"work_requests", s.work_requests},
            {"sim_wall_s", s.sim_wall_s},
            {"process_wall_s", s.process_wall_s},
            {"wr_per_wall_s", rate},
            {"kernel_activations_per_wr", s.activations_per_wr},
            {"sim_events", s.sim_events},
            {"peak_rss_mib", s.peak_rss_mib},
            {"trace_bytes", s.trace_bytes},
            {"trace_bytes_per_wr", s.trace_bytes / std::max(1.0, s.work_requests)}};
  }
  static void table_header() {
    std::printf("  %-34s %10s %10s %10s %9s %8s %9s %8s\n", "run", "WRs", "sim wall", "proc wall",
                "kWR/s", "act/WR", "RSS MiB", "B/WR");
  }

  void rate() {
    const double n = opt_.quick ? 20000 : 200000;
    std::printf("\n## rate: bw_send 64 B, %.0f work requests (median of %d)\n\n", n, opt_.runs);
    table_header();
    json section;
    for (unsigned qps : {1u, 64u}) {
      const std::vector<std::string> sets = {
          "perftest.sizes=64", "perftest.size_budget_mb=1048576",
          "perftest.iterations=" + std::to_string(std::uint64_t(n / qps)),
          "perftest.qps=" + std::to_string(qps), "iou.memory_mb=256"};
      const std::string name = std::to_string(qps) + " QP";
      const std::string key = std::to_string(qps) + "qp";
      const bool fast = !opt_.fast_hcasim.empty();
      const std::vector<std::string> traces = {"none", "vcd", "fst"};
      // Round by round, every configuration once: untraced and traced runs (and the two builds)
      // alternate, so that a change of the machine's pace (other jobs on a shared box, its
      // slow phases) falls on all of them alike instead of on one configuration's runs.
      std::map<std::string, std::vector<Sample>> regular, profiled;
      for (int i = 0; i < opt_.runs; ++i)
        for (const std::string& trace : traces) {
          regular[trace].push_back(hcasim_once("bw_send.ini", sets, trace));
          if (fast)
            profiled[trace].push_back(hcasim_once("bw_send.ini", sets, trace, opt_.fast_hcasim));
        }
      for (const std::string& trace : traces) {
        section[key][trace] = row(name + ", trace " + trace, median_of(regular[trace]));
        if (fast)
          section[key][trace + "_fast_build"] =
              row(name + ", trace " + trace + ", make fast", median_of(profiled[trace]));
      }
      // The cost of a trace, each build against its own untraced run: the median over rounds
      // of the traced run's process wall over the untraced run's of the same round. The fast
      // build gains more untraced than traced (docs/performance.md, "The fast build").
      auto costs = [&](std::map<std::string, std::vector<Sample>>& runs, const std::string& build,
                       const std::string& suffix) {
        for (const char* trace : {"vcd", "fst"}) {
          std::vector<double> ratios;
          for (std::size_t i = 0; i < runs["none"].size(); ++i)
            ratios.push_back(runs[trace][i].process_wall_s / runs["none"][i].process_wall_s);
          const double cost = median(ratios);
          std::printf("  %-34s %10.2fx\n", (name + ", " + trace + " cost" + build).c_str(), cost);
          section[key][std::string(trace) + "_cost" + suffix] = cost;
        }
      };
      costs(regular, "", "");
      if (fast) costs(profiled, ", make fast", "_fast_build");
    }
    results_["rate"] = section;
  }

  void idle() {
    const int n = opt_.quick ? 2000 : 10000;
    std::printf(
        "\n## idle: %d open-loop SENDs of 64 B, one every GAP (wall must not grow with GAP)\n\n",
        n);
    table_header();
    json section;
    for (const char* ticks : {"0", "250"}) {
      std::vector<double> walls;
      for (const auto& [gap, rate] : std::vector<std::pair<std::string, std::string>>{
               {"1us", "1e6"}, {"1ms", "1e3"}, {"1s", "1"}}) {
        const Sample s =
            hcasim("load_send.ini",
                   {"load.arrival=fixed", "load.rate=" + rate, "load.size=64",
                    "load.count=" + std::to_string(n), "host.tick_hz=" + std::string(ticks)},
                   "none", opt_.runs);
        section[std::string("tick_hz_") + ticks][gap] =
            row("gap " + gap + ", host.tick_hz=" + ticks, s);
        walls.push_back(s.sim_wall_s);
      }
      const double growth = walls.back() / walls.front();
      std::printf("  %-34s %10.2fx%s\n", (std::string("1 s over 1 us, tick_hz=") + ticks).c_str(),
                  growth,
                  std::string(ticks) == "0" ? " (bound 1.5x)" : " (ticks are simulated work)");
      section[std::string("tick_hz_") + ticks]["growth_1s_over_1us"] = growth;
      if (std::string(ticks) == "0" && growth > 1.5) broken("idle: wall grows with the idle gap");
    }
    results_["idle"] = section;
  }

  void growth() {
    std::printf("\n## growth: bw_send 64 B, 1 QP, trace off\n\n");
    table_header();
    json section = json::array();
    Sample previous;
    for (double n : opt_.growth) {
      const double wrs = opt_.quick ? n / 100 : n;
      // One run of the largest sizes: they are long and their wall time hardly varies.
      const int runs = wrs >= 1e7 ? 1 : opt_.runs;
      const Sample s = hcasim("bw_send.ini",
                              {"perftest.sizes=64", "perftest.size_budget_mb=1048576",
                               "perftest.iterations=" + std::to_string(std::uint64_t(wrs))},
                              "none", runs);
      if (s.work_requests != wrs)  // the run must do what its name says
        fail("growth: asked for " + std::to_string(wrs) + " work requests, the run did " +
             std::to_string(s.work_requests));
      json r = row(std::to_string(std::uint64_t(wrs)) + " WRs", s);
      r["runs"] = runs;
      if (previous.work_requests > 0) {
        const double time_ratio = s.sim_wall_s / previous.sim_wall_s;
        const double rss_ratio = s.peak_rss_mib / previous.peak_rss_mib;
        std::printf("  %-34s %10.2fx wall, %.3fx peak RSS for %.0fx the work\n",
                    "  against the previous", time_ratio, rss_ratio,
                    s.work_requests / previous.work_requests);
        r["wall_ratio_to_previous"] = time_ratio;
        r["rss_ratio_to_previous"] = rss_ratio;
        if (s.peak_rss_mib > 1.1 * previous.peak_rss_mib + 4)
          broken("growth: peak RSS grows with the work requests");
      }
      previous = s;
      section.push_back(r);
    }
    results_["growth"] = section;
  }

  void scale() {
    const std::uint64_t per_qp = opt_.quick ? 400 : 4000;
    std::printf(
        "\n## scale: 64 QPs x %llu SENDs of 64 B, spread over the adapters and I/O units\n\n",
        static_cast<unsigned long long>(per_qp));
    table_header();
    json section;
    double per_wr[2] = {0, 0};
    int i = 0;
    for (const auto& [adapters, ious] : {std::pair{1, 1}, std::pair{16, 64}}) {
      const std::string name =
          std::to_string(adapters) + " adapters, " + std::to_string(ious) + " I/O units";
      const Sample s =
          hcasim("bw_send.ini",
                 {"perftest.sizes=64", "perftest.size_budget_mb=1048576", "perftest.qps=64",
                  "perftest.iterations=" + std::to_string(per_qp),
                  "system.host_adapters=" + std::to_string(adapters),
                  "system.ious=" + std::to_string(ious), "switch.ports=80", "iou.memory_mb=256"},
                 "none", opt_.runs);
      section[name] = row(name, s);
      per_wr[i++] = s.sim_wall_s / s.work_requests;
    }
    const double ratio = per_wr[1] / per_wr[0];
    std::printf("  %-34s %10.2fx (bound 1.5x)\n", "wall per WR, 16+64 over 1+1", ratio);
    section["wall_per_wr_ratio"] = ratio;
    if (ratio > 1.5) broken("scale: wall time per work request grows with the system");
    results_["scale"] = section;
  }

  int finish() {
    results_["quick"] = opt_.quick;
    results_["runs"] = opt_.runs;
    results_["broken"] = broken_;
    std::ofstream out(opt_.json_path);
    out << results_.dump(2) << "\n";
    std::printf("\nfigures written to %s\n", fs::absolute(opt_.json_path).c_str());
    for (const std::string& b : broken_) std::printf("BOUND BROKEN: %s\n", b.c_str());
    return broken_.empty() ? 0 : 1;
  }

 private:
  void broken(const std::string& what) { broken_.push_back(what); }

  Options opt_;
  fs::path work_;
  double floor_rate_ = 0;
  json results_ = json::object();
  std::vector<std::string> broken_;
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: bench_sim_speed HCASIM_EXE SCENARIO_DIR KERNEL_FLOOR_EXE [--quick] "
                 "[--runs N] [--only floor,rate,idle,growth,scale] [--growth 1e5,1e6,1e7] "
                 "[--json FILE] [--fast EXE]\n");
    return 2;
  }
  Options opt;
  opt.hcasim = argv[1];
  opt.scenarios = argv[2];
  opt.floor_exe = argv[3];
  if (const char* q = std::getenv("HCASIM_BENCH_QUICK")) opt.quick = std::strcmp(q, "0") != 0;
  if (const char* f = std::getenv("HCASIM_BENCH_FAST")) opt.fast_hcasim = f;
  for (int i = 4; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--quick") {
      opt.quick = true;
    } else if (a == "--runs" && has_value) {
      opt.runs = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--only" && has_value) {
      opt.only = split(argv[++i]);
    } else if (a == "--growth" && has_value) {
      opt.growth.clear();
      for (const std::string& n : split(argv[++i]))
        opt.growth.push_back(std::strtod(n.c_str(), nullptr));
    } else if (a == "--json" && has_value) {
      opt.json_path = argv[++i];
    } else if (a == "--fast" && has_value) {
      opt.fast_hcasim = argv[++i];
    } else {
      std::fprintf(stderr, "bench_sim_speed: unknown or incomplete option '%s'\n", a.c_str());
      return 2;
    }
  }
  if (opt.quick && std::find(argv + 4, argv + argc, std::string("--runs")) == argv + argc)
    opt.runs = 1;
  if (!opt.fast_hcasim.empty() && access(opt.fast_hcasim.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "bench_sim_speed: --fast %s: not an executable\n",
                 opt.fast_hcasim.c_str());
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  Bench bench(opt);
  std::printf(
      "hcasim simulation speed%s (wall figures depend on the machine and its load; the\n"
      "act/WR column, kernel activations per simulated work request, does much less)\n",
      opt.quick ? ", quick mode" : "");
  bench.floor();  // every other section's act/WR needs it
  if (opt.wants("rate")) bench.rate();
  if (opt.wants("idle")) bench.idle();
  if (opt.wants("growth")) bench.growth();
  if (opt.wants("scale")) bench.scale();
  const int rc = bench.finish();
  std::printf("(%.0f s wall in all)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return rc;
}
