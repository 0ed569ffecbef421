#include "tools/cli/run_command.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string_view>

#include "models/core/lookahead.hpp"
#include "models/core/scenario_file.hpp"
#include "tools/cli/interrupt_guard.hpp"
#include "tools/cli/trace_window.hpp"
#include "traces/background_trace_sink.hpp"
#include "traces/fst_writer.hpp"
#include "traces/gtkw_writer.hpp"
#include "traces/latency_csv.hpp"
#include "traces/summary_json.hpp"
#include "traces/summary_table.hpp"
#include "traces/time_ordering_sink.hpp"
#include "traces/vcd_writer.hpp"
#include "workloads/scenario_params.hpp"
#include "workloads/system.hpp"
#include "workloads/workload.hpp"

namespace hcasim::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

constexpr const char* kOutputs[] = {"summary.json", "latency.csv", "trace.vcd", "trace.fst",
                                    "trace.gtkw"};

struct RunOptions {
  std::string scenario;
  std::vector<std::string> sets;
  std::string out;
  std::string seed;
  std::string trace;
  std::string lookahead;
  std::string trace_window;  // START:END, empty: the whole run
  bool check = false;        // validate and elaborate only; print the figures a run would report
};

void check_name(const std::string& name) {
  if (name.empty() || name.find_first_of("/\\") != std::string::npos || name == "." || name == "..")
    throw ConfigError("key 'scenario.name': '" + name +
                      "' is not a usable name (a non-empty name without slashes)");
}

// The files a run writes: the four outputs and GTKWave's enum filters (trace_enum_N.txt).
// Only these are ever removed from the output folder, which may hold the user's own files.
bool is_run_output(const std::string& name) {
  for (const char* f : kOutputs)
    if (name == f) return true;
  if (name == InterruptGuard::kPartialTrace || name == InterruptGuard::kPartialFstTrace)
    return true;
  static const std::regex kFilter("trace_enum_[0-9]+\\.txt");
  return std::regex_match(name, kFilter);
}
bool is_run_temporary(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0 &&
         is_run_output(name.substr(0, name.size() - 4));
}

// Temporary files left by an earlier run that was killed, and the hierarchy file GTKWave's
// vcd2fst kept beside its output ("trace.fst.tmp.hier") when hcasim still wrote FST through it.
void remove_stale_temporaries(const fs::path& dir) {
  constexpr std::string_view kHier = ".hier";
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.size() > kHier.size() &&
        name.compare(name.size() - kHier.size(), kHier.size(), kHier) == 0)
      name.resize(name.size() - kHier.size());
    if (is_run_temporary(name)) fs::remove(e.path());
  }
}

// design decision: a folder that holds another scenario's results is refused (exit 2), not
// cleaned: they may be the only copy of a long run. The same scenario's results are replaced,
// whatever their seed or settings, so that re-running a scenario needs no extra step. A run's
// results are recognised by summary.json, the file it commits last; leftovers of an
// interrupted run (trace.vcd.partial, *.tmp) are not results and are removed.
void check_out_folder(const fs::path& dir, const std::string& scenario) {
  const fs::path summary = dir / "summary.json";
  std::error_code ec;
  if (!fs::exists(summary, ec)) return;
  std::string holder;
  try {
    std::ifstream in(summary);
    const nlohmann::json j = nlohmann::json::parse(in);
    holder = j.at("scenario").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    throw ConfigError("--out: folder '" + dir.string() +
                      "' holds a summary.json that is not a hcasim run's; choose another "
                      "folder (a run writes summary.json, latency.csv and trace.* there)");
  }
  if (holder == scenario) return;
  throw ConfigError("--out: folder '" + dir.string() + "' holds the results of scenario '" +
                    holder + "', not '" + scenario +
                    "'; choose another folder, or remove its summary.json to replace them");
}

// Names of keys the user set that the built model never read, one warning each on stderr.
void warn_unread_keys(const ParamValues& values) {
  const std::vector<std::string> unread = values.unread_keys();
  if (unread.empty()) return;
  const std::string kind = values.text("workload.kind");
  for (const auto& name : unread)
    std::cerr << "hcasim: warning: key '" << name << "' (set by " << values.origin(name)
              << ") is not used by workload.kind = " << kind
              << " on this system; it has no effect\n";
}

// Old results in the output folder would look like this run's if it failed half-way, so they
// go once the run is sure to start (its input is valid and the model elaborated).
void remove_old_outputs(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (is_run_output(e.path().filename().string())) fs::remove(e.path());
}

int simulate(const RunOptions& opt) {
  // 1. Everything the user gave is checked before anything is created.
  ParamRegistry registry;
  declare_all_params(registry);
  ParamValues values(registry);
  load_scenario_file(opt.scenario, values);
  for (const auto& s : opt.sets) apply_set_option(s, values);
  if (!opt.seed.empty()) values.set("scenario.seed", opt.seed, ValueOrigin{"--seed"});
  if (!opt.trace.empty()) values.set("scenario.trace", opt.trace, ValueOrigin{"--trace"});
  if (!opt.lookahead.empty())
    values.set("scenario.lookahead", opt.lookahead, ValueOrigin{"--lookahead"});
  ScenarioParams scenario = values.load<ScenarioParams>();
  if (scenario.name.empty()) scenario.name = fs::path(opt.scenario).stem().string();
  check_name(scenario.name);
  const bool tracing = scenario.trace != "none";
  TraceWindow window;
  if (!opt.trace_window.empty()) {
    window = parse_trace_window(opt.trace_window);
    if (!tracing)
      throw ConfigError(
          "--trace-window: the run writes no trace (scenario.trace = none); "
          "allowed with --trace vcd or --trace fst");
  }
  if (opt.check) {
    // The model is built but not simulated and nothing is written: the zero-time summary names
    // every figure (op class, contention path) that this scenario's summary.json will hold.
    System system(values, nullptr);
    std::unique_ptr<Workload> workload = make_workload(values, system, nullptr);
    warn_unread_keys(values);
    RunReport report;
    report.scenario = scenario.name;
    report.seed = scenario.seed;
    workload->report(report);
    system.report(report);
    std::cout << summary_json_text(report);
    return 0;
  }
  const fs::path out_dir = opt.out.empty() ? fs::path("out") / scenario.name : fs::path(opt.out);
  check_out_folder(out_dir, scenario.name);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir))
    throw ConfigError("--out: cannot create output folder '" + out_dir.string() +
                      "': " + (ec ? ec.message() : "not a folder"));
  remove_stale_temporaries(out_dir);

  // 2. Elaborate.
  const bool fst = scenario.trace == "fst";
  const std::string trace_name = fst ? "trace.fst" : "trace.vcd";
  const std::string trace_path = (out_dir / trace_name).string();
  std::unique_ptr<TraceWriter> writer;
  std::unique_ptr<TimeOrderingSink> ordered;
  std::unique_ptr<BackgroundTraceSink> background;  // destroyed first: its thread stops first
  // After the writer: gone before it, so the handler never asks a destroyed writer.
  InterruptGuard interrupt(
      trace_path + ".tmp",  // the writers' temporary (AtomicFile)
      (out_dir / (fst ? InterruptGuard::kPartialFstTrace : InterruptGuard::kPartialTrace)).string(),
      tracing);
  TraceSink* trace = nullptr;
  if (tracing) {
    if (fst)
      writer = std::make_unique<FstWriter>(trace_path);
    else
      writer = std::make_unique<VcdWriter>(trace_path);
    interrupt.trace_written_by(writer.get());
    if (!opt.trace_window.empty()) writer->set_window(window.start_ps, window.end_ps);
    ordered = std::make_unique<TimeOrderingSink>(*writer);
    background = std::make_unique<BackgroundTraceSink>(*ordered);
    trace = background.get();
  }
  System system(values, trace);
  std::unique_ptr<Workload> workload = make_workload(values, system, trace);
  warn_unread_keys(values);
  remove_old_outputs(out_dir);  // nothing can be wrong with the input any more

  // 3. Simulate.
  const auto wall_start = std::chrono::steady_clock::now();
  Lookahead::allow(scenario.lookahead);
  Lookahead::run();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (!workload->finished())
    throw std::runtime_error("the simulation stopped at " +
                             hcasim::ps(hcasim::now_ps()).to_string() +
                             " before the workload finished (model stall)");

  // 4. Report and commit the outputs. The trace ends when its last stage goes idle, which
  // may be after the workload's last completion. If any file fails, none is left behind.
  RunReport report;
  report.scenario = scenario.name;
  report.seed = scenario.seed;
  report.sim_time_ps = now_ps();
  workload->report(report);
  system.report(report);
  interrupt.commit_begins();
  try {
    if (writer) {
      const std::uint64_t end =
          std::max<std::uint64_t>(report.sim_time_ps, background->flush_all());
      writer->finish(end);
      write_gtkw(*writer, (out_dir / "trace.gtkw").string(), trace_name, writer->end_in_window(end),
                 window.start_ps);
    }
    write_latency_csv(report, (out_dir / "latency.csv").string());
    write_summary_json(report, (out_dir / "summary.json").string());
  } catch (...) {
    remove_old_outputs(out_dir);
    interrupt.commit_ends();
    throw;
  }
  interrupt.commit_ends();
  WallStats ws;
  ws.wall_seconds = wall;
  ws.sim_events = system.model_actions() + sc_core::sc_delta_count();
  for (const auto& op : report.ops) ws.work_requests += op.count;
  print_summary_table(report, ws, std::cout);
  workload->print_table(std::cout);
  std::cout << "\noutputs in " << out_dir.string() << "/: summary.json latency.csv"
            << (writer ? " " + trace_name + " trace.gtkw\nview the trace: gtkwave " +
                             (out_dir / "trace.gtkw").string()
                       : "")
            << "\n";
  if (workload->errors() != 0) {
    std::cerr << "hcasim: warning: " << workload->errors() << " work completions had errors\n";
  }
  return 0;
}

}  // namespace

int run_command(int argc, char* argv[]) {
  RunOptions opt;
  po::options_description desc(
      "usage: hcasim run SCENARIO.ini [--set KEY=VALUE]... [--out DIR] [--seed N] "
      "[--trace vcd|fst|none] [--trace-window START:END] [--lookahead on|off] "
      "[--check]\n\noptions");
  desc.add_options()("help,h", "this help")(
      "set", po::value<std::vector<std::string>>(&opt.sets)->composing(),
      "override a parameter (repeatable); `hcasim params` lists them")(
      "out", po::value<std::string>(&opt.out), "output folder (default out/<scenario name>)")(
      "seed", po::value<std::string>(&opt.seed), "seed of the run (same as --set scenario.seed=N)")(
      "trace", po::value<std::string>(&opt.trace),
      "vcd (default), fst (GTKWave's compressed format) or none")(
      "trace-window", po::value<std::string>(&opt.trace_window),
      "keep only this span of simulated time in the trace, e.g. 10us:20us (units ps, ns, us, "
      "ms, s); the values at START are the trace's initial values")(
      "lookahead", po::value<std::string>(&opt.lookahead),
      "on (default) or off: off sends every wait through the SystemC kernel (docs/lookahead.md)")(
      "check", po::bool_switch(&opt.check),
      "validate and build the model without simulating; print summary.json at time zero "
      "(every figure path a run reports) and write nothing");
  po::options_description hidden;
  hidden.add_options()("scenario", po::value<std::string>(&opt.scenario));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("scenario", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hcasim run: error: " << e.what() << "\n(try `hcasim run --help`)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (opt.scenario.empty()) {
    std::cerr << "hcasim run: error: no scenario file given\n(try `hcasim run --help`)\n";
    return 2;
  }
  try {
    return simulate(opt);
  } catch (const ConfigError& e) {
    std::cerr << "hcasim run: error: " << e.what() << "\n";
    return 2;
  } catch (const sc_core::sc_report& e) {
    std::cerr << "hcasim run: internal error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "hcasim run: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace hcasim::cli
