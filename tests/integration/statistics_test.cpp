// Every model's statistics reach summary.json through the registry (docs/statistics.md): the
// switch's and the PCIe links' included, with the values the models counted.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "traces/summary_json.hpp"
#include "workloads/pingpong.hpp"
#include "workloads/system.hpp"

namespace hcasim {
namespace {

struct Scenario {
  ParamRegistry registry;
  ParamValues values{registry};
  Scenario() { declare_all_params(registry); }
  void set(const std::string& k, const std::string& v) { values.set(k, v, ValueOrigin{"test"}); }
};

// A leaf of summary.json's contention section by its dotted path.
double value(const nlohmann::json& contention, const std::string& path) {
  const nlohmann::json* node = &contention;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->contains(part)) throw std::out_of_range("summary.json has no '" + path + "'");
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node->at("value").get<double>();
}

std::size_t leaves(const nlohmann::json& node) {
  if (node.contains("unit")) return 1;
  std::size_t n = 0;
  for (const auto& child : node) n += leaves(child);
  return n;
}

TEST(Statistics, SwitchAndPcieCountersReachTheSummaryWithTheModelsValues) {
  Scenario s;
  s.set("pingpong.count", "40");
  s.set("fabric.topology", "switch");
  System system(s.values, nullptr);
  PingPong workload("pingpong", system, s.values.load<PingPongParams>(), nullptr);
  sc_core::sc_start();
  ASSERT_TRUE(workload.finished());
  RunReport report;
  report.scenario = "statistics";
  report.sim_time_ps = now_ps();
  workload.report(report);
  system.report(report);
  const nlohmann::json c = nlohmann::json::parse(summary_json_text(report))["contention"];

  // Every declared statistic is there, once.
  EXPECT_EQ(leaves(c), report.contention.size());
  EXPECT_EQ(report.contention.size(), StatRegistry::instance().size());  // pingpong adds none

  // The switch: what it counted, and what that means for the adapters on either side.
  ASSERT_NE(system.fabric.sw, nullptr);
  const Switch& sw = *system.fabric.sw;
  const double host_tx = value(c, "host0.hca0.packets_tx");
  const double iou_tx = value(c, "iou0.hca0.packets_tx");
  EXPECT_GT(host_tx, 80.0);  // 40 requests and their ACKs at least
  EXPECT_EQ(value(c, "switch0.forwarded"), static_cast<double>(sw.forwarded()));
  EXPECT_EQ(value(c, "switch0.forwarded"), host_tx + iou_tx);  // each packet crossed it once
  // Its output port 0 faces the host adapter on link0, port 1 the I/O unit's on link1.
  EXPECT_EQ(value(c, "switch0.port0.packets"), value(c, "link0.dir1to0.packets"));
  EXPECT_EQ(value(c, "switch0.port1.packets"), value(c, "link1.dir1to0.packets"));
  EXPECT_EQ(value(c, "switch0.port0.packets") + value(c, "switch0.port1.packets"),
            value(c, "switch0.forwarded"));
  EXPECT_EQ(value(c, "link0.dir0to1.packets"), host_tx);
  EXPECT_EQ(value(c, "link1.dir0to1.packets"), iou_tx);
  EXPECT_EQ(value(c, "switch0.in0.vl0.max_blocks"), double(sw.max_occupancy(0, 0)));
  EXPECT_GT(value(c, "switch0.in0.vl0.max_blocks"), 0.0);

  // The PCIe links.
  const PcieLink& host_pcie = *system.host.pcie;
  EXPECT_EQ(value(c, "host0.pcie0.dma_reads"), double(host_pcie.dma_reads()));
  EXPECT_EQ(value(c, "host0.pcie0.dma_writes"), double(host_pcie.dma_writes()));
  EXPECT_GE(value(c, "host0.pcie0.dma_writes"), 40.0);  // a CQE per reply, at least
  EXPECT_EQ(value(c, "iou0.pcie0.dma_writes"), double(system.iou.pcie->dma_writes()));
  EXPECT_EQ(value(c, "host0.pcie0.upstream_utilization"),
            double(host_pcie.upstream().busy_ps()) / double(report.sim_time_ps));
  EXPECT_GT(value(c, "host0.pcie0.upstream_utilization"), 0.0);
}

TEST(Statistics, TwoModelsOfOneNameAreRefusedNamingTheStatistic) {
  Scenario s;
  System system(s.values, nullptr);
  try {
    SimCpu twin("host0.cpu0", 2.6, nullptr);
    FAIL() << "a second CPU named host0.cpu0 was built";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("'host0.cpu0.utilization' is declared twice"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hcasim
