// Credit-based link-level flow control: a fast sender into a slow consumer loses nothing and
// keeps order, no receive buffer ever holds more than the credits it granted, and a receiver
// with few credits throttles the sender to exactly the rate the credit loop predicts.
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include <random>

#include "models/core/lookahead.hpp"
#include "models/fabric/topology.hpp"
#include "tests/validation/fabric_bench.hpp"

namespace hcasim {
namespace {

using bench::as_endpoint;
using bench::defaults;
using bench::Endpoint;

std::uint32_t blocks_of(std::uint32_t payload) {
  Packet p;
  p.payload_len = payload;
  return credit_blocks(p);
}
Picos wire_of(const LinkParams& lp, std::uint32_t payload) {
  Packet p;
  p.payload_len = payload;
  return lp.wire_ps(p.wire_bytes());
}

TEST(FabricFlowControl, SlowConsumerBehindASwitchLosesNothing) {
  const LinkParams lp = defaults<LinkParams>();
  const std::uint32_t payload = 2048, n = 600;  // 2074 B on the wire: 33 credit blocks
  const std::uint32_t blocks = blocks_of(payload);
  SwitchParams sp = defaults<SwitchParams>();
  sp.buffer_bytes = 2 * blocks * 64;  // the switch buffers two packets per input
  const Picos service = 3 * wire_of(lp, payload);
  PacketPool pool(lp.mtu);
  Endpoint src("src", 1, pool, 1, 1 << 20, 0);
  Endpoint dst("dst", 2, pool, 1, 4 * blocks * 64, service);  // room for four packets
  Fabric f = build_fabric(bench::fabric_params("switch"), lp, sp,
                          {as_endpoint(src), as_endpoint(dst)}, nullptr);
  for (std::uint32_t k = 0; k < n; ++k) src.send(src.make(2, payload), 0);
  hcasim::Lookahead::run();

  // Every packet arrived exactly once, in order; nothing is left anywhere.
  ASSERT_EQ(dst.records.size(), n);
  EXPECT_EQ(dst.order_errors, 0u);
  for (std::uint32_t k = 0; k < n; ++k) ASSERT_EQ(dst.records[k].seq, k);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(f.sw->forwarded(), n);
  // No buffer ever held more than its credits; both filled up (the back-pressure reached them).
  EXPECT_EQ(dst.overrun_errors, 0u);
  EXPECT_EQ(dst.max_occupancy, 4 * blocks);
  EXPECT_EQ(f.sw->max_occupancy(0, 0), sp.buffer_blocks());
  EXPECT_LE(f.sw->max_occupancy(0, 0), sp.buffer_blocks());
  // The sender's queue grew (it waited for credits) instead of dropping.
  const auto& c = src.port.counters();
  EXPECT_EQ(c.packets, n);
  EXPECT_GT(c.max_queue, n - 10);
  EXPECT_GT(c.blocked_ps, 0u);
  EXPECT_EQ(src.port.queued(0), 0u);
  // The consumer, fed through the credit loop, never starved: it is the bottleneck.
  EXPECT_EQ(dst.records.back().consumed, dst.records.front().arrival + n * service);
  // All credits came home.
  EXPECT_EQ(src.port.credits(0), src.port.capacity(0));
  EXPECT_EQ(f.sw->output(1).credits(0), f.sw->output(1).capacity(0));
}

TEST(FabricFlowControl, FanInOnTwoVirtualLanesLosesNothing) {
  const LinkParams lp = defaults<LinkParams>();
  const std::uint32_t n = 1500;
  PacketPool pool(lp.mtu);
  Endpoint a("a", 1, pool, 2, 1 << 20, 0), b("b", 2, pool, 2, 1 << 20, 0);
  Endpoint dst("dst", 3, pool, 2, 8192, 500000);  // 8 KiB per VL, 500 ns per packet
  Fabric f = build_fabric(bench::fabric_params("switch", 2), lp, defaults<SwitchParams>(),
                          {as_endpoint(a), as_endpoint(b), as_endpoint(dst)}, nullptr);
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::uint32_t> size(0, lp.mtu), lane(0, 1);
  for (std::uint32_t k = 0; k < n; ++k) {
    a.send(a.make(3, size(rng), static_cast<std::uint8_t>(lane(rng))), 0);
    b.send(b.make(3, size(rng), static_cast<std::uint8_t>(lane(rng))), 0);
  }
  hcasim::Lookahead::run();

  ASSERT_EQ(dst.records.size(), 2 * n);
  EXPECT_EQ(dst.order_errors, 0u);  // in order per (source, VL)
  std::uint32_t from_a = 0, from_b = 0;
  for (const auto& r : dst.records) (r.src == 1 ? from_a : from_b)++;
  EXPECT_EQ(from_a, n);
  EXPECT_EQ(from_b, n);
  EXPECT_EQ(dst.overrun_errors, 0u);
  EXPECT_LE(dst.max_occupancy, 8192u / 64u);
  for (unsigned port = 0; port < 3; ++port)
    for (unsigned vl = 0; vl < 2; ++vl)
      EXPECT_LE(f.sw->max_occupancy(port, vl), f.sw->buffer_blocks());
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_GT(a.port.counters().max_queue, 0u);
  EXPECT_GT(f.sw->output(2).counters().waited_packets, 0u);  // the congested output waited
}

// A sender on a direct 100 m link to a receiver that frees each packet as soon as it has
// arrived, granting credits for `credit_packets` packets (0: ample). Returns the receiver.
struct LoopRun {
  LinkParams lp = defaults<LinkParams>();
  static constexpr std::uint32_t kPayload = 4096, kPackets = 200;
  PacketPool pool{4096};
  std::unique_ptr<Endpoint> src, dst;
  Fabric f;
  explicit LoopRun(std::uint32_t credit_packets) {
    lp.cable_m = 100;  // 500 ns each way, so the credit loop is long against a packet
    const std::uint32_t buffer =
        credit_packets ? credit_packets * blocks_of(kPayload) * 64 : 1u << 20;
    src = std::make_unique<Endpoint>("src", 1, pool, 1, 1 << 20, 0);
    dst = std::make_unique<Endpoint>("dst", 2, pool, 1, buffer, 0);
    f = build_fabric(bench::fabric_params("direct"), lp, defaults<SwitchParams>(),
                     {as_endpoint(*src), as_endpoint(*dst)}, nullptr);
    for (std::uint32_t k = 0; k < kPackets; ++k) src->send(src->make(2, kPayload), 0);
    hcasim::Lookahead::run();
  }
  Picos wire() const { return wire_of(lp, kPayload); }
  // Packet out, last bit in, credit (one flow-control packet) back.
  Picos loop() const { return wire() + 2 * lp.propagation_ps() + lp.wire_ps(6); }
  Picos last_arrival() const { return dst->records.back().arrival; }
  double gbps() const {
    return double(kPackets) * kPayload * 8.0 / (double(last_arrival()) / 1000.0);
  }
};

TEST(FabricFlowControl, OnePacketOfCreditsLimitsThroughputToTheCreditLoop) {
  LoopRun run(1);
  ASSERT_EQ(run.dst->records.size(), LoopRun::kPackets);
  EXPECT_EQ(run.dst->overrun_errors, 0u);
  // Each packet waits for the previous one's credit: one packet per loop.
  EXPECT_EQ(run.last_arrival(),
            (LoopRun::kPackets - 1) * run.loop() + run.wire() + run.lp.propagation_ps());
  for (std::size_t k = 1; k < run.dst->records.size(); ++k)
    ASSERT_EQ(run.dst->records[k].arrival - run.dst->records[k - 1].arrival, run.loop());
  // 604.56 ns of packet per 1605.44 ns of loop: about 38 % of the link's goodput.
  EXPECT_NEAR(run.gbps() / (run.lp.data_gbps() * 4096.0 / 4122.0),
              double(run.wire()) / double(run.loop()), 0.01);
  // Each packet but the first finds the wire idle for the rest of the loop before its credit
  // is back; the packets queued behind it wait for it, not for credits.
  EXPECT_EQ(run.src->port.counters().credit_wait_ps,
            (LoopRun::kPackets - 1) * (run.loop() - run.wire()));
  EXPECT_EQ(run.src->port.counters().credit_returns, LoopRun::kPackets);
}

TEST(FabricFlowControl, TwoPacketsOfCreditsDoubleTheThroughput) {
  LoopRun run(2);
  ASSERT_EQ(run.dst->records.size(), LoopRun::kPackets);
  EXPECT_EQ(run.dst->overrun_errors, 0u);
  // Bursts of two back-to-back packets, one burst per loop (two packets fit in one loop).
  ASSERT_LE(2 * run.wire(), run.loop());
  EXPECT_EQ(run.last_arrival(),
            (LoopRun::kPackets / 2 - 1) * run.loop() + 2 * run.wire() + run.lp.propagation_ps());
  // The wire idles for the rest of each loop; the second packet of a burst waits for the wire.
  EXPECT_EQ(run.src->port.counters().credit_wait_ps,
            (LoopRun::kPackets / 2 - 1) * (run.loop() - 2 * run.wire()));
}

TEST(FabricFlowControl, AmpleCreditsReachTheLinkRate) {
  LoopRun run(0);
  ASSERT_EQ(run.dst->records.size(), LoopRun::kPackets);
  // Back to back: the wire is never idle.
  EXPECT_EQ(run.last_arrival(), LoopRun::kPackets * run.wire() + run.lp.propagation_ps());
  EXPECT_EQ(run.src->port.counters().waited_packets, 0u);
  EXPECT_EQ(run.src->port.counters().credit_wait_ps, 0u);
}

// The same receiver with credits for one packet, now behind the switch: the switch's output
// runs at one packet per credit loop of the last link, its input buffer fills, and that throttles
// the sender two links away.
TEST(FabricFlowControl, FewCreditsAtTheReceiverThrottleTheSenderThroughTheSwitch) {
  LinkParams lp = defaults<LinkParams>();
  lp.cable_m = 100;
  const std::uint32_t payload = 4096, n = 200;
  PacketPool pool(lp.mtu);
  Endpoint src("src", 1, pool, 1, 1 << 20, 0);
  Endpoint dst("dst", 2, pool, 1, blocks_of(payload) * 64, 0);
  const SwitchParams sp = defaults<SwitchParams>();
  Fabric f = build_fabric(bench::fabric_params("switch"), lp, sp,
                          {as_endpoint(src), as_endpoint(dst)}, nullptr);
  for (std::uint32_t k = 0; k < n; ++k) src.send(src.make(2, payload), 0);
  hcasim::Lookahead::run();

  ASSERT_EQ(dst.records.size(), n);
  EXPECT_EQ(dst.order_errors, 0u);
  EXPECT_EQ(dst.overrun_errors, 0u);
  const Picos wire = wire_of(lp, payload), prop = lp.propagation_ps();
  const Picos loop = wire + 2 * prop + lp.wire_ps(6);
  // The first packet cuts through; every later one leaves the switch when the credit is back.
  EXPECT_EQ(dst.records[0].arrival, prop + sp.hop_ps() + wire + prop);
  for (std::size_t k = 1; k < n; ++k)
    ASSERT_EQ(dst.records[k].arrival - dst.records[k - 1].arrival, loop) << k;
  // The switch's input buffer filled and stayed within its credits; the sender waited.
  EXPECT_EQ(f.sw->max_occupancy(0, 0) / blocks_of(payload),
            sp.buffer_blocks() / blocks_of(payload));
  EXPECT_GT(src.port.counters().blocked_ps, (n - 20) * loop);
  EXPECT_EQ(pool.in_use(), 0u);
}

}  // namespace
}  // namespace hcasim
