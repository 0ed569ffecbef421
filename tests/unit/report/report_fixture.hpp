#pragma once
// Shared by the report writer tests: a hand-built RunReport with known numbers and a private
// output directory per test case (test processes may run in parallel).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "models/core/run_report.hpp"

namespace hcasim::testing {

// 1 ms simulated. "zeta_send" (listed first, to prove report order beats alphabetical order):
// 1000 ops of 4096 bytes, all 2000 ps. "alpha_write": 1000 ops of 1..1000 ns, 64 bytes each.
inline RunReport sample_report() {
  RunReport r;
  r.scenario = "unit_scenario";
  r.seed = 42;
  r.sim_time_ps = 1000000000;
  OpClassReport send;
  send.name = "zeta_send";
  send.count = 1000;
  send.bytes = 4096000;
  send.latency_ps.record_n(2000, 1000);
  OpClassReport write;
  write.name = "alpha_write";
  write.count = 1000;
  write.bytes = 64000;
  for (std::uint64_t ns = 1; ns <= 1000; ++ns) write.latency_ps.record(ns * 1000);
  r.ops = {send, write};

  r.contention.push_back({"host0.cpu0.utilization", "ratio", "busy fraction", 0.5, {}});
  r.contention.push_back({"host0.cpu1.utilization", "ratio", "busy fraction", 0.25, {}});
  LogLinearHistogram wait;
  for (std::uint64_t v = 1; v <= 100; ++v) wait.record(v);
  r.contention.push_back({"host0.sync.worker_wait_ns", "ns", "worker wait", 0.0, wait});
  r.contention.push_back({"fabric.link0.busy", "ratio", "link busy", 0.125, {}});
  return r;
}

inline std::filesystem::path test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = std::filesystem::path(HCASIM_BINARY_DIR) / "test-output" / "report" /
                   (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline bool has_tmp_file(const std::filesystem::path& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".tmp") return true;
  }
  return false;
}

}  // namespace hcasim::testing
