// The host's own noise: every CPU takes a periodic timer tick (host.tick_hz, host.tick_ns) while
// it is busy. In a latency run the tick shows in the tail: exactly the round trips a tick falls
// in are delayed, each by what the tick's position in it gives, and the CPU shows interrupt for
// the tick's time. The phase follows the seed (same seed, same outputs byte for byte; another
// seed, another tail), and host.tick_hz = 0 gives the quiet figures.
// In-process runs are one per TEST (SystemC elaborates once per process); the seed tests run
// the hcasim executable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "models/core/lookahead.hpp"
#include "models/core/random.hpp"
#include "perftest_test_support.hpp"
#include "workloads/perftest.hpp"

namespace hcasim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using perftest_test::Scenario;

constexpr Picos kTickPeriod = 4'000'000'000;  // the default 250 Hz
constexpr Picos kTickCost = 2'000'000;        // the default 2 us

// The tick phase of `cpu` for `seed`, derived as docs/sync.md says: random stream
// "<cpu>.tick" of the seed, a whole number of ns below the period.
Picos tick_phase(std::uint64_t seed, const std::string& cpu) {
  return RandomStream(seed, cpu + ".tick").below(kTickPeriod / 1000) * 1000;
}

// Records the changes of one enum signal (a CPU's state) and ignores the rest.
class StateRecorder : public TraceSink {
 public:
  explicit StateRecorder(std::string path) : path_(std::move(path)) {}
  struct Change {
    Picos t;
    std::uint64_t value;
  };
  const std::vector<Change>& changes() const { return changes_; }
  SignalId declare_integer(const std::string&, unsigned, std::uint64_t) override { return 0; }
  SignalId declare_real(const std::string&, double) override { return 0; }
  SignalId declare_enum(const std::string& path, const std::vector<std::string>&,
                        std::uint64_t) override {
    return path == path_ ? 1 : 0;
  }
  void change_integer(SignalId id, std::uint64_t t, std::uint64_t v) override {
    if (id == 1) changes_.push_back(Change{t, v});
  }
  void change_real(SignalId, std::uint64_t, double) override {}
  void change_delta(SignalId, std::uint64_t, std::uint64_t) override {}  // counted signals

 private:
  std::string path_;
  std::vector<Change> changes_;
};

TEST(HostTick, ATickDelaysExactlyTheRoundTripsItFallsIn) {
  // read_lat reports the whole round trip, one after the other on cpu0 from time 0: a 120 ns
  // post, then a spin until the READ's completion (host clock on the adapter's 1 ns edges, a
  // one-cycle poll, no completion cost, so unloaded round trips are all equal).
  auto configure = [](Scenario& run, std::uint32_t iterations) {
    run.set("host.cpu_ghz", "1");
    run.set("host.poll_cycles", "1");
    run.set("host.completion_cycles", "0");
    // Shared-memory accesses free: the verbs layer's guard then costs the same on every call.
    run.set("host.cache_hit_cycles", "0");
    run.set("host.atomic_cycles", "0");
    run.set("host.line_transfer_ns", "0");
    run.set("perftest.test", "read_lat");
    run.set("perftest.sizes", "2");
    run.set("perftest.warmup", "10");
    run.set("perftest.iterations", std::to_string(iterations));
  };
  constexpr std::uint32_t kIterations = 12000;  // about 20 ms: five ticks at 250 Hz
  Scenario ticked;
  configure(ticked, kIterations);  // host.tick_hz and host.tick_ns: the defaults
  Scenario quiet;
  configure(quiet, kIterations + 100);  // runs on when the ticked one stops the simulation
  quiet.set("host.tick_hz", "0");
  // Both systems side by side in one simulation (SystemC renames the second one's modules);
  // they share nothing but simulated time.
  sc_core::sc_report_handler::set_actions(sc_core::SC_ID_INSTANCE_EXISTS_, sc_core::SC_DO_NOTHING);
  StateRecorder cpu0_state("host0.cpu0.state");
  System ticked_system(ticked.values, &cpu0_state);
  Perftest ticked_run("perftest", ticked_system, ticked.values.load<PerftestParams>(), nullptr);
  System quiet_system(quiet.values, nullptr);
  Perftest quiet_run("perftest", quiet_system, quiet.values.load<PerftestParams>(), nullptr);
  hcasim::Lookahead::run();
  ASSERT_TRUE(ticked_run.finished());
  ASSERT_EQ(ticked_run.errors(), 0u);
  ASSERT_EQ(quiet_run.errors(), 0u);
  const Picos end = now_ps();

  // Without the tick (host.tick_hz = 0) every round trip takes the same time R.
  const LogLinearHistogram& q = quiet_run.results()[0].op.latency_ps;
  ASSERT_GE(q.count(), kIterations);
  const Picos rtt = q.min();
  EXPECT_EQ(q.max(), rtt);
  EXPECT_EQ(quiet_system.cpus[0]->ticks(), 0u);

  // With it: replay the run's timeline. Round trip i starts when i-1 ends: the post (a guarded
  // section: entry, 120 ns, doorbell, exit), a spin until the READ's completion, and the poll
  // that reaps it (a guarded section: entry, exit). A tick at T inside it takes the CPU for
  // kTickCost. Before the doorbell or in the final poll it delays the round trip by that; in
  // between it delays only the spin's end, to T + kTickCost if the spin would have ended sooner
  // (the adapter works on meanwhile). The guard's entry and exit cost the same on every call here
  // (quiet run's stats).
  const AdapterDriver::Stats& guard = quiet_system.verbs().driver().stats();
  ASSERT_GT(guard.sections, 0u);
  ASSERT_EQ(guard.worker_wait_ps % guard.sections, 0u);
  ASSERT_EQ(guard.worker_exit_ps % guard.sections, 0u);
  const Picos enter = guard.worker_wait_ps / guard.sections;
  const Picos exit = guard.worker_exit_ps / guard.sections;
  const Picos tail = enter + exit;
  const Picos poll = Clock(1000.0).cycles(1);
  // Up to the doorbell: the post section's entry and its 120 ns. After it, the READ is on its
  // way, so a tick in the rest of the post section delays only the spin's start (which then
  // takes one poll: the completion has landed by the tick's end).
  const Picos post = enter + Clock(1000.0).cycles(ticked_system.host_params.post_send_cycles);
  const Picos phase = tick_phase(1, "host0.cpu0");
  ASSERT_EQ(ticked_system.cpus[0]->timer_tick().phase_ps, phase);
  LogLinearHistogram expected;
  std::vector<Picos> tick_times;
  std::uint64_t delayed = 0;
  Picos start = 0;
  Picos next_tick = phase;
  const std::uint64_t warmup = ticked_run.results()[0].warmup;
  for (std::uint64_t i = 0; i < warmup + kIterations; ++i) {
    Picos finish = start + rtt;
    if (next_tick < finish) {
      const Picos spin_end = finish - tail;
      if (next_tick < start + post || next_tick >= spin_end)
        finish += kTickCost;
      else if (next_tick < start + post + exit)  // the spin starts after the READ completed:
        finish = start + post + exit + kTickCost + poll + tail;  // one poll sees it
      else
        finish = std::max(spin_end, next_tick + kTickCost) + tail;
      tick_times.push_back(next_tick);
      next_tick += kTickPeriod;
      if (i >= warmup) ++delayed;
    }
    ASSERT_GE(next_tick, finish) << "two ticks in one round trip";
    if (i >= warmup) expected.record(finish - start);
    start = finish;
  }
  EXPECT_EQ(end, start);
  ASSERT_GE(delayed, 3u);  // the test needs ticks in the measured round trips
  std::printf(
      "[host tick] R = %.3f ns, %zu ticks, %llu measured round trips delayed, max %.3f ns\n",
      static_cast<double>(rtt) / 1000.0, tick_times.size(),
      static_cast<unsigned long long>(delayed), static_cast<double>(expected.max()) / 1000.0);

  const LogLinearHistogram& got = ticked_run.results()[0].op.latency_ps;
  EXPECT_EQ(got.count(), kIterations);
  EXPECT_EQ(got.min(), rtt);
  EXPECT_EQ(got.max(), expected.max());
  EXPECT_EQ(got.sum(), expected.sum());  // integers below 2^53: exact
  ASSERT_EQ(got.nonempty_buckets().size(), expected.nonempty_buckets().size());
  for (std::size_t b = 0; b < got.nonempty_buckets().size(); ++b) {
    EXPECT_EQ(got.nonempty_buckets()[b].low, expected.nonempty_buckets()[b].low);
    EXPECT_EQ(got.nonempty_buckets()[b].count, expected.nonempty_buckets()[b].count);
  }
  // Each delayed round trip is at least a few hundred ns late (far above a histogram bucket):
  // all round trips but the delayed ones share the quiet time's bucket.
  EXPECT_EQ(got.nonempty_buckets().front().count, kIterations - delayed);

  // The CPU took exactly the ticks that fell before the end, shown as interrupt for 2 us each.
  const SimCpu& cpu0 = *ticked_system.cpus[0];
  EXPECT_EQ(cpu0.ticks(), tick_times.size());
  EXPECT_EQ(cpu0.tick_ps(), tick_times.size() * kTickCost);
  EXPECT_EQ(cpu0.interrupts(), 0u);
  std::vector<Picos> shown;
  const auto interrupt = static_cast<std::uint64_t>(CpuState::kInterrupt);
  const auto& changes = cpu0_state.changes();
  for (std::size_t c = 0; c < changes.size(); ++c) {
    if (changes[c].value != interrupt) continue;
    shown.push_back(changes[c].t);
    ASSERT_LT(c + 1, changes.size());
    EXPECT_EQ(changes[c + 1].t, changes[c].t + kTickCost) << "tick at " << changes[c].t;
  }
  EXPECT_EQ(shown, tick_times);

  // The perftest table shows it in t_max.
  std::ostringstream table;
  ticked_run.print_table(table);
  char t_max[32];
  std::snprintf(t_max, sizeof t_max, "%.2f", static_cast<double>(expected.max()) / 1e6);
  std::istringstream rows(table.str());
  std::string row;
  bool found = false;
  while (std::getline(rows, row)) {
    std::istringstream cells(row);
    std::string bytes, iterations, min, max;
    if (cells >> bytes >> iterations >> min >> max && bytes == "2") {
      found = true;
      EXPECT_EQ(max, t_max) << row;
    }
  }
  EXPECT_TRUE(found) << table.str();
}

// ---- through the executable ----------------------------------------------------------------

const std::string kExe = HCASIM_EXE;
const fs::path kIni = fs::path(HCASIM_SOURCE_DIR) / "workloads" / "scenarios" / "lat_send.ini";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct CliRun {
  std::string summary, csv, vcd;
};

// send_lat at 2 B, 20 000 round trips (about 35 ms: eight or nine ticks), with the trace.
CliRun run_cli(const std::string& tag, const std::string& sets) {
  const fs::path dir = fs::absolute("host_tick_test_out") / tag;
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string cmd = "'" + kExe + "' run '" + kIni.string() + "' --trace vcd --out '" +
                          dir.string() +
                          "' --set perftest.sizes=2 --set perftest.iterations=20000 " + sets +
                          " > '" + (dir / "stdout.txt").string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(status, 0) << cmd << "\n" << read_text(dir / "stdout.txt");
  return CliRun{read_text(dir / "summary.json"), read_text(dir / "latency.csv"),
                read_text(dir / "trace.vcd")};
}

const json& op_latency(const json& summary) { return summary["ops"]["send_lat.2"]["latency_ns"]; }

TEST(HostTick, TheSeedSetsThePhasesAndReplaysTheRunExactly) {
  const CliRun a = run_cli("seed1a", "--seed 1");
  const CliRun b = run_cli("seed1b", "--seed 1");
  const CliRun c = run_cli("seed2", "--seed 2");
  ASSERT_FALSE(a.summary.empty());
  EXPECT_EQ(a.summary, b.summary);
  EXPECT_EQ(a.csv, b.csv);
  EXPECT_EQ(a.vcd, b.vcd);
  const json ja = json::parse(a.summary), jc = json::parse(c.summary);
  // Other phases, other round trips hit: the tail differs.
  EXPECT_NE(op_latency(ja)["max"], op_latency(jc)["max"]);
  // cpu0 is busy from 0 to the end: it takes every tick of its phase before the end.
  for (const json* j : {&ja, &jc}) {
    const std::uint64_t seed = (*j)["seed"].get<std::uint64_t>();
    const auto end = static_cast<Picos>((*j)["sim_time_ns"].get<double>() * 1000.0 + 0.5);
    const Picos phase = tick_phase(seed, "host0.cpu0");
    const double ticks = static_cast<double>(end > phase ? (end - phase - 1) / kTickPeriod + 1 : 0);
    EXPECT_EQ((*j)["contention"]["host0"]["cpu0"]["ticks"]["value"].get<double>(), ticks)
        << "seed " << seed;
    EXPECT_GE(ticks, 8.0);
  }
}

TEST(HostTick, NoTickGivesTheQuietFigures) {
  const json quiet = json::parse(run_cli("quiet", "--set host.tick_hz=0").summary);
  const json& lat = op_latency(quiet);
  EXPECT_EQ(lat["min"], lat["max"]);  // every unloaded round trip alike
  EXPECT_EQ(quiet["contention"]["host0"]["cpu0"]["ticks"]["value"], 0.0);  // none taken
  const json ticked = json::parse(run_cli("ticked", "").summary);
  EXPECT_EQ(op_latency(ticked)["min"], lat["min"]);
  EXPECT_GT(op_latency(ticked)["max"].get<double>(), lat["max"].get<double>());
}

}  // namespace
}  // namespace hcasim
