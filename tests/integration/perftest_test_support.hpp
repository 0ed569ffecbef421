#pragma once
// Shared by the perftest_*_test.cpp files: a parameter set for an in-process run, the run
// itself, lookups into
// a RunReport, and the goodput of each stage a payload crosses, computed from the parameters
// (so the expected figures follow the model's configuration, not a lookup table).
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/core/lookahead.hpp"
#include "models/core/run_report.hpp"
#include "models/fabric/packet.hpp"
#include "workloads/perftest.hpp"
#include "workloads/system.hpp"

namespace hcasim::perftest_test {

struct Scenario {
  ParamRegistry registry;
  ParamValues values{registry};
  Scenario() { declare_all_params(registry); }
  void set(const std::string& k, const std::string& v) { values.set(k, v, ValueOrigin{"test"}); }
};

using Sets = std::vector<std::pair<std::string, std::string>>;

// A perftest run in process, simulated to its end: `defaults`, then `sets` over them.
struct PerftestRun {
  Scenario run;
  std::unique_ptr<System> system;
  std::unique_ptr<Perftest> perftest;
  PerftestRun(const Sets& defaults, const Sets& sets) {
    for (const auto& [k, v] : defaults) run.set(k, v);
    for (const auto& [k, v] : sets) run.set(k, v);
    system = std::make_unique<System>(run.values, nullptr);
    perftest =
        std::make_unique<Perftest>("perftest", *system, run.values.load<PerftestParams>(), nullptr);
    Lookahead::run();
  }
};

inline const OpClassReport* find_op(const RunReport& r, const std::string& name) {
  for (const OpClassReport& op : r.ops)
    if (op.name == name) return &op;
  return nullptr;
}

inline const Metric* find_metric(const RunReport& r, const std::string& path) {
  for (const Metric& m : r.contention)
    if (m.path == path) return &m;
  return nullptr;
}

// Bytes per ns of message payload through each stage, for a message of `size` bytes.
// Fabric: every MTU-sized packet carries the base headers; `first_extra` / `per_message_extra`
// add the RETH of a WRITE's first packet or the AETHs of a READ response's first and last.
inline double link_goodput(const LinkParams& link, std::uint64_t size,
                           std::uint64_t per_message_extra = 0) {
  const std::uint64_t packets = (size + link.mtu - 1) / link.mtu;
  const double wire = static_cast<double>(size + packets * HeaderBytes::kBase + per_message_extra);
  return link.data_gbps() / 8.0 * static_cast<double>(size) / wire;
}
// PCIe: payload crosses as completions of completion_bytes() (the root complex's read
// completion size, capped by max_payload) for DMA reads, or as write requests of max_payload
// bytes for DMA writes, each with its TLP overhead.
inline double pcie_read_goodput(const PcieParams& p) {
  const double c = p.completion_bytes();
  return p.bytes_per_ns() * c / (c + p.completion_overhead);
}
inline double pcie_write_goodput(const PcieParams& p) {
  return p.bytes_per_ns() * p.max_payload / (p.max_payload + p.request_overhead);
}

}  // namespace hcasim::perftest_test
