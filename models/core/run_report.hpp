#pragma once
// Everything a run reports: filled by the models and workloads, written by traces/ sinks
// (summary.json, latency.csv, the stdout table). Only simulated figures belong here, so a
// report is deterministic; wall-clock figures travel separately (WallStats).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/core/histogram.hpp"

namespace hcasim {

// One class of operations (e.g. "send_rtt", "rdma_write"): count, bytes, latency in ps.
struct OpClassReport {
  std::string name;
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  LogLinearHistogram latency_ps;
  // Simulated time the class was active (its rates are per this span); 0: the whole run.
  std::uint64_t span_ps = 0;
  std::uint64_t rate_span_ps(std::uint64_t run_ps) const { return span_ps ? span_ps : run_ps; }
};

// One contention / utilization figure. `path` is dotted ("host0.cpu0.utilization",
// "host0.sync.worker_wait_ns"); the JSON nests by it. Either a scalar or a distribution.
struct Metric {
  std::string path;
  std::string unit;  // "ns", "count", "ratio", "per_s", ...
  std::string help;  // one line
  double value = 0.0;
  std::optional<LogLinearHistogram> distribution;  // set for distributions (values in `unit`)
};

struct RunReport {
  std::string scenario;
  std::uint64_t seed = 0;
  std::uint64_t sim_time_ps = 0;
  std::vector<OpClassReport> ops;
  std::vector<Metric> contention;

  // Appends a scalar / a distribution to `contention` (the one way a report gains a figure).
  void add(std::string path, std::string unit, std::string help, double value) {
    contention.push_back(Metric{std::move(path), std::move(unit), std::move(help), value, {}});
  }
  void add_distribution(std::string path, std::string unit, std::string help,
                        const LogLinearHistogram& h) {
    contention.push_back(Metric{std::move(path), std::move(unit), std::move(help), h.mean(), h});
  }
};

// Adds figures whose paths share a prefix: `MetricScope m(out, "fio.read."); m.add("iops", ...)`.
class MetricScope {
 public:
  MetricScope(RunReport& report, std::string prefix)
      : report_(report), prefix_(std::move(prefix)) {}
  void add(const std::string& leaf, std::string unit, std::string help, double value) const {
    report_.add(prefix_ + leaf, std::move(unit), std::move(help), value);
  }
  void add_distribution(const std::string& leaf, std::string unit, std::string help,
                        const LogLinearHistogram& h) const {
    report_.add_distribution(prefix_ + leaf, std::move(unit), std::move(help), h);
  }

 private:
  RunReport& report_;
  std::string prefix_;
};

// Wall-clock figures: printed on stdout only, never written to the deterministic files.
struct WallStats {
  double wall_seconds = 0.0;
  std::uint64_t sim_events = 0;     // SystemC process activations / delta cycles counted
  std::uint64_t work_requests = 0;  // simulated work requests completed
};

}  // namespace hcasim
