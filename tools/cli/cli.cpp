#include "tools/cli/cli.hpp"

#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "models/core/scenario_file.hpp"
#include "tools/cli/decode_frame_command.hpp"
#include "tools/cli/plot_command.hpp"
#include "tools/cli/run_command.hpp"
#include "tools/cli/sweep_command.hpp"
#include "workloads/system.hpp"

#ifndef HCASIM_VERSION
#define HCASIM_VERSION "0.0.0"
#endif

namespace hcasim::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

constexpr const char* kUsage =
    "usage: hcasim <command> [options]\n"
    "\n"
    "Cycle-level simulator of a channel-based host I/O system (host channel adapters, fabric,\n"
    "I/O units, and a simulated multi-processor host OS).\n"
    "\n"
    "commands:\n"
    "  run SCENARIO.ini [--set KEY=VALUE]... [--out DIR] [--seed N] [--trace vcd|fst|none]\n"
    "                   [--trace-window START:END]\n"
    "                   simulate a scenario; writes summary.json, latency.csv, trace.vcd (or\n"
    "                   trace.fst) and trace.gtkw into DIR (default out/<scenario name>/)\n"
    "  sweep SWEEP.ini [--backend local|slurm] [--jobs N] [--out DIR]\n"
    "                   run every point of a parameter sweep; results.csv, summary.csv and\n"
    "                   plots in DIR (`hcasim sweep --help`: collect, resume, Slurm options)\n"
    "  plot DIR         PNG plots: a run's latency CDF, or a sweep's plots redrawn\n"
    "  decode-frame HEX... | --file FRAME.bin\n"
    "                   print the fields of an I2O-style frame (docs/i2o_frames.md); exit 2\n"
    "                   with the parse error when it does not parse\n"
    "  params           list every parameter: name, unit, default, allowed range, help\n"
    "  list             list the bundled scenarios\n"
    "\n"
    "options:\n"
    "  -h, --help       this help (`hcasim run --help` for the run options)\n"
    "  --version        print the version\n"
    "\n"
    "exit status: 0 success, 2 bad usage or bad input, 1 internal failure\n";

int usage_error(const std::string& msg) {
  std::cerr << "hcasim: error: " << msg << "\n(try `hcasim --help`)\n";
  return 2;
}

int print_params() {
  ParamRegistry registry;
  declare_all_params(registry);
  std::size_t w_name = 4, w_unit = 4, w_def = 7, w_allowed = 7;
  for (const auto& [name, s] : registry.all()) {
    w_name = std::max(w_name, name.size());
    w_unit = std::max(w_unit, s.unit.size());
    w_def = std::max(w_def, s.default_text.size());
    w_allowed = std::max(w_allowed, s.allowed_text().size());
  }
  std::ostringstream out;
  out << std::left << std::setw(int(w_name)) << "name"
      << "  " << std::setw(int(w_unit)) << "unit"
      << "  " << std::setw(int(w_def)) << "default"
      << "  " << std::setw(int(w_allowed)) << "allowed"
      << "  help\n";
  for (const auto& [name, s] : registry.all()) {
    out << std::setw(int(w_name)) << name << "  " << std::setw(int(w_unit)) << s.unit << "  "
        << std::setw(int(w_def)) << (s.default_text.empty() ? "\"\"" : s.default_text) << "  "
        << std::setw(int(w_allowed)) << s.allowed_text() << "  " << s.help << "\n";
  }
  std::cout << out.str();
  return 0;
}

int list_scenarios() {
  const fs::path dir = scenario_dir();
  if (!fs::is_directory(dir)) {
    std::cerr << "hcasim: error: scenario folder '" << dir.string() << "' not found\n";
    return 1;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".ini") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ParamRegistry registry;
  declare_all_params(registry);
  std::cout << "scenarios in " << dir.string() << ":\n";
  for (const auto& f : files) {
    ParamValues values(registry);
    std::string desc;
    try {
      load_scenario_file(f.string(), values);
      desc = values.text("scenario.description");
    } catch (const ConfigError& e) {
      desc = std::string("(does not load: ") + e.what() + ")";
    }
    std::cout << "  " << std::left << std::setw(20) << f.stem().string() << " " << desc << "\n";
  }
  std::cout << "run one with: hcasim run " << (dir / "NAME.ini").string() << "\n";
  return 0;
}

}  // namespace

fs::path scenario_dir() {
  if (const char* env = std::getenv("HCASIM_SCENARIOS")) return env;
#ifdef HCASIM_SOURCE_SCENARIOS
  if (fs::is_directory(HCASIM_SOURCE_SCENARIOS)) return HCASIM_SOURCE_SCENARIOS;
#endif
  return "workloads/scenarios";
}

int main(int argc, char* argv[]) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (cmd == "--version" || cmd == "version") {
      std::cout << "hcasim " << HCASIM_VERSION << "\n";
      return 0;
    }
    if (cmd == "params") {
      if (argc > 2) return usage_error("`hcasim params` takes no arguments");
      return print_params();
    }
    if (cmd == "list") {
      if (argc > 2) return usage_error("`hcasim list` takes no arguments");
      return list_scenarios();
    }
    if (cmd == "run") return run_command(argc - 1, argv + 1);
    if (cmd == "sweep") return sweep_command(argc - 1, argv + 1);
    if (cmd == "plot") return plot_command(argc - 1, argv + 1);
    if (cmd == "decode-frame") return decode_frame_command(argc - 1, argv + 1);
    return usage_error("unknown command '" + cmd + "'");
  } catch (const std::exception& e) {
    std::cerr << "hcasim: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace hcasim::cli
