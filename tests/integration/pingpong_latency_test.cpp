// Unloaded ping-pong latency equals the sum of the configured stage delays and serialization
// times, computed here from the parameters stage by stage (docs/model.md lists the stages).
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include "models/core/lookahead.hpp"
#include "models/core/sim_time.hpp"
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

// Expected round trip of one unloaded 2-byte inline SEND and its 2-byte inline reply.
Picos expected_rtt_floor(const System& s) {
  const HostParams& hp = s.host_params;
  const PcieParams& pcie = s.pcie_params;
  const LinkParams& link = s.link_params;
  const HcaParams& hca = s.hca_params;
  const Clock cpu(hp.cpu_ghz * 1000.0);
  const Clock clk(hca.clock_mhz);
  const Picos lat = pcie.latency_ps();
  auto cyc = [&](std::uint32_t n) { return clk.cycles(n); };
  auto edge = [&](Picos t) { return clk.edge_at_or_after(t); };
  const Picos doorbell_wire = pcie.wire_ps(8 + pcie.request_overhead);
  // BlueFlame: 8 B header, then the 32 B WQE header + 2 B inline data in one 64 B block.
  const Picos blueflame_wire = pcie.wire_ps(8 + 64 + pcie.request_overhead);
  const Picos cqe_wire = pcie.wire_ps(32 + pcie.request_overhead);
  const Picos packet_wire = link.wire_ps(HeaderBytes::kBase + 4);  // 2 B payload padded to 4
  const Picos prop = link.propagation_ps();
  // Through the switch: cut-through after the hop latency, one more cable.
  const Picos fabric = s.fabric_params.topology == "switch" ? s.switch_params.hop_ps() + prop : 0;

  // Host: post the send (CPU), BlueFlame write down PCIe, doorbell unit, packetizer, link.
  const Picos t0 = 0;
  const Picos posted = t0 + cpu.cycles(hp.post_send_cycles);
  const Picos at_hca = posted + blueflame_wire + lat;
  const Picos decoded = edge(at_hca) + cyc(hca.doorbell_cycles);
  const Picos built = decoded + cyc(hca.packet_cycles);
  const Picos at_iou = built + packet_wire + prop + fabric;
  // I/O unit: receive engine, CQE built and DMA-written (after the 2 B scatter) up PCIe.
  const Picos rx = edge(at_iou) + cyc(hca.rx_cycles);
  const Picos iou_cqe_landed = rx + cyc(hca.cqe_cycles) + cqe_wire + lat;
  // Its service: process, repost the receive (doorbell), send the reply (BlueFlame).
  const Picos served = iou_cqe_landed + static_cast<Picos>(s.iou_params.service_ns * 1000.0);
  const Picos reply_at_hca = served + doorbell_wire + blueflame_wire + lat;
  const Picos reply_built = edge(reply_at_hca) + cyc(hca.doorbell_cycles) + cyc(hca.packet_cycles);
  const Picos at_host = reply_built + packet_wire + prop + fabric;
  const Picos host_rx = edge(at_host) + cyc(hca.rx_cycles);
  const Picos host_cqe_landed = host_rx + cyc(hca.cqe_cycles) + cqe_wire + lat;
  // The spinning host thread sees it in the next poll, which takes one poll period.
  return host_cqe_landed + cpu.cycles(hp.poll_cycles) - t0;
}

// Runs the ping-pong with the host clock on the adapter's 1 ns edges (so host times stay on
// them), a one-cycle poll, no handling cost after it and no timer tick, plus `sets`; checks that
// every round trip lies within one poll period above the analytic floor. Returns the floor.
Picos check_against_floor(std::vector<std::pair<std::string, std::string>> sets) {
  Scenario run;
  run.set("pingpong.count", "50");
  run.set("pingpong.warmup", "5");
  run.set("host.cpu_ghz", "1");
  run.set("host.poll_cycles", "1");
  run.set("host.completion_cycles", "0");
  // Shared-memory accesses cost nothing here: the host software path is then the verbs
  // layer's guard bookkeeping alone (checked below), and the test is about the adapter's.
  run.set("host.cache_hit_cycles", "0");
  run.set("host.atomic_cycles", "0");
  run.set("host.line_transfer_ns", "0");
  // Every round trip is checked against the floor: no timer tick may delay one of them, and
  // every reply follows its receive's repost doorbell (not one in iou.recv_batch).
  run.set("host.tick_hz", "0");
  run.set("iou.recv_batch", "1");
  for (auto& [k, v] : sets) run.set(k, v);
  System system(run.values, nullptr);
  PingPong workload("pingpong", system, run.values.load<PingPongParams>(), nullptr);
  hcasim::Lookahead::run();
  EXPECT_TRUE(workload.finished());
  EXPECT_EQ(workload.errors(), 0u);
  RunReport report;
  workload.report(report);
  EXPECT_EQ(report.ops.size(), 1u);
  const auto& h = report.ops.at(0).latency_ps;
  EXPECT_EQ(h.count(), 50u);
  // The driver's guard: every section's entry and exit cost the same here (nothing contends,
  // memory is free), so the mean is the cost. On the round trip's critical path: the post's
  // entry (before its doorbell), and the successful poll's entry and exit.
  const AdapterDriver::Stats& guard = system.verbs().driver().stats();
  EXPECT_GT(guard.sections, 0u);
  if (guard.sections == 0) return 0;
  EXPECT_EQ(guard.worker_wait_ns.min(), guard.worker_wait_ns.max());
  const Picos enter = guard.worker_wait_ps / guard.sections;
  const Picos exit = guard.worker_exit_ps / guard.sections;
  EXPECT_EQ(guard.worker_wait_ps, enter * guard.sections);
  EXPECT_EQ(guard.worker_exit_ps, exit * guard.sections);
  const Picos floor = expected_rtt_floor(system) + 2 * enter + exit;
  const Picos poll = Clock(system.host_params.cpu_ghz * 1000.0).cycles(1);
  // The reply lands somewhere within a poll iteration: at most one more period.
  EXPECT_GE(h.min(), floor);
  EXPECT_LT(h.max(), floor + poll);
  return floor;
}

TEST(PingPongLatency, UnloadedRoundTripIsTheSumOfStageDelays) { check_against_floor({}); }

TEST(PingPongLatency, DirectCableSkipsTheSwitch) {
  check_against_floor({{"fabric.topology", "direct"}});
}

TEST(PingPongLatency, LongerCableAddsItsPropagationTwice) {
  const Picos floor = check_against_floor({{"fabric.cable_m", "100"}});
  EXPECT_GT(floor, 4 * 500'000u);  // two cables each way, 500 ns each
}

}  // namespace
}  // namespace hcasim
