// The switch and the topology builder: an unloaded packet cuts through in first bit + hop +
// serialization + two propagation delays; a faster output waits so as not to finish before the
// last bit has arrived; a busy output makes the packet wait (store and forward); every endpoint
// reaches every other; parameters and trace signals are declared as the rest of hcasim expects.
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "models/core/config_error.hpp"
#include "models/core/lookahead.hpp"
#include "models/fabric/switch.hpp"
#include "models/fabric/topology.hpp"
#include "tests/validation/fabric_bench.hpp"

namespace hcasim {
namespace {

using bench::as_endpoint;
using bench::defaults;
using bench::Endpoint;

Picos wire_of(const LinkParams& lp, std::uint32_t payload) {
  Packet p;
  p.payload_len = payload;
  return lp.wire_ps(p.wire_bytes());
}

TEST(FabricSwitch, UnloadedPacketArrivesAfterHopSerializationAndTwoPropagations) {
  const LinkParams lp = defaults<LinkParams>();
  const SwitchParams sp = defaults<SwitchParams>();
  PacketPool pool(lp.mtu);
  Endpoint src("src", 1, pool, 1, 1 << 20, 0), dst("dst", 2, pool, 1, 1 << 20, 0);
  Fabric f = build_fabric(bench::fabric_params("switch"), lp, sp,
                          {as_endpoint(src), as_endpoint(dst)}, nullptr);
  const Picos t_big = 1000000, t_small = 10000000;  // first bit leaves the sender
  src.send(src.make(2, 4096), t_big);
  src.send(src.make(2, 2), t_small);
  hcasim::Lookahead::run();
  ASSERT_EQ(dst.records.size(), 2u);
  const Picos prop = lp.propagation_ps();
  // 4122 B: 604.56 ns on FDR; 2 m = 10 ns; hop 170 ns.
  EXPECT_EQ(dst.records[0].arrival, t_big + sp.hop_ps() + wire_of(lp, 4096) + 2 * prop);
  EXPECT_EQ(dst.records[0].arrival - t_big, 170000u + 604560u + 20000u);
  EXPECT_EQ(dst.records[1].arrival, t_small + sp.hop_ps() + wire_of(lp, 2) + 2 * prop);
  // Store and forward would have cost one more serialization of the big packet.
  EXPECT_LT(dst.records[0].arrival, t_big + 2 * wire_of(lp, 4096) + 2 * prop);
}

// A switch between two links of different rates, built by hand: in on `in`, out on `out`.
struct TwoRateBench {
  PacketPool pool{4096};
  Endpoint src{"src", 1, pool, 1, 1 << 20, 0};
  Endpoint dst{"dst", 2, pool, 1, 1 << 20, 0};
  SwitchParams sp = defaults<SwitchParams>();
  Switch sw{"sw", sp, 1, nullptr};
  Link in, out;
  TwoRateBench(const LinkParams& in_params, const LinkParams& out_params)
      : in("in", in_params, nullptr), out("out", out_params, nullptr) {
    in.to_side[0].bind(src);
    src.port.connect(in, 0);
    src.port.set_credits(0, sw.buffer_blocks());
    sw.connect(0, in, 1);
    sw.output(0).set_credits(0, (1 << 20) / 64);
    sw.connect(1, out, 0);
    sw.output(1).set_credits(0, (1 << 20) / 64);
    out.to_side[1].bind(dst);
    dst.port.connect(out, 1);
    dst.port.set_credits(0, sw.buffer_blocks());
    sw.set_route(1, 0);
    sw.set_route(2, 1);
  }
};

LinkParams qdr() {
  LinkParams p = defaults<LinkParams>();
  p.lane_gbps = 10.0;
  p.encoding = "8b10b";
  return p;
}
LinkParams edr() {
  LinkParams p = defaults<LinkParams>();
  p.lane_gbps = 25.78125;
  return p;
}

TEST(FabricSwitch, CutThroughWaitsForTheLastBitWhenTheOutputIsFaster) {
  TwoRateBench b(qdr(), edr());
  b.src.send(b.src.make(2, 4096), 0);
  hcasim::Lookahead::run();
  ASSERT_EQ(b.dst.records.size(), 1u);
  const Picos prop = b.in.params().propagation_ps();
  const Picos w_in = wire_of(b.in.params(), 4096), w_out = wire_of(b.out.params(), 4096);
  ASSERT_GT(w_in - w_out, b.sp.hop_ps());  // 1030.5 - 329.76 ns > 170 ns
  // It starts leaving late enough to finish exactly when its last bit has come in.
  EXPECT_EQ(b.dst.records[0].arrival, prop + w_in + prop);
}

TEST(FabricSwitch, CutThroughStartsAfterTheHopWhenTheOutputIsSlower) {
  TwoRateBench b(edr(), qdr());
  b.src.send(b.src.make(2, 4096), 0);
  hcasim::Lookahead::run();
  ASSERT_EQ(b.dst.records.size(), 1u);
  const Picos prop = b.in.params().propagation_ps();
  EXPECT_EQ(b.dst.records[0].arrival, prop + b.sp.hop_ps() + wire_of(b.out.params(), 4096) + prop);
}

TEST(FabricSwitch, BusyOutputMakesThePacketWaitBehindTheOther) {
  const LinkParams lp = defaults<LinkParams>();
  const SwitchParams sp = defaults<SwitchParams>();
  PacketPool pool(lp.mtu);
  Endpoint a("a", 1, pool, 1, 1 << 20, 0), b("b", 2, pool, 1, 1 << 20, 0);
  Endpoint dst("dst", 3, pool, 1, 1 << 20, 0);
  Fabric f = build_fabric(bench::fabric_params("switch"), lp, sp,
                          {as_endpoint(a), as_endpoint(b), as_endpoint(dst)}, nullptr);
  a.send(a.make(3, 4096), 0);
  b.send(b.make(3, 4096), 0);
  hcasim::Lookahead::run();
  ASSERT_EQ(dst.records.size(), 2u);
  const Picos prop = lp.propagation_ps(), wire = wire_of(lp, 4096);
  EXPECT_EQ(dst.records[0].src, 1u);
  EXPECT_EQ(dst.records[0].arrival, prop + sp.hop_ps() + wire + prop);
  // b's packet was wholly in the switch (prop + wire) before the output freed: it leaves
  // right after a's, with no second hop latency.
  EXPECT_EQ(dst.records[1].src, 2u);
  EXPECT_EQ(dst.records[1].arrival, prop + sp.hop_ps() + 2 * wire + prop);
}

TEST(FabricSwitch, TopologyBuilderConnectsEveryPairThroughOneSwitch) {
  const LinkParams lp = defaults<LinkParams>();
  const SwitchParams sp = defaults<SwitchParams>();
  PacketPool pool(lp.mtu);
  const std::uint16_t lids[] = {1, 2, 7, 9};  // any fabric addresses
  std::vector<std::unique_ptr<Endpoint>> eps;
  std::vector<FabricEndpoint> fe;
  for (std::uint16_t lid : lids) {
    eps.push_back(
        std::make_unique<Endpoint>(("ep" + std::to_string(lid)).c_str(), lid, pool, 1, 1 << 20, 0));
    fe.push_back(as_endpoint(*eps.back()));
  }
  Fabric f = build_fabric(bench::fabric_params("switch"), lp, sp, fe, nullptr);
  ASSERT_TRUE(f.sw);
  EXPECT_EQ(f.links.size(), 4u);
  // Every pair, one at a time, 10 us apart: each is unloaded.
  Picos t = 0;
  std::map<std::pair<int, int>, Picos> sent_at;
  for (std::size_t i = 0; i < eps.size(); ++i)
    for (std::size_t j = 0; j < eps.size(); ++j) {
      if (i == j) continue;
      t += 10000000;
      eps[i]->send(eps[i]->make(lids[j], 100), t);
      sent_at[{lids[i], lids[j]}] = t;
    }
  hcasim::Lookahead::run();
  for (std::size_t j = 0; j < eps.size(); ++j) {
    ASSERT_EQ(eps[j]->records.size(), eps.size() - 1);
    for (const auto& r : eps[j]->records)
      EXPECT_EQ(r.arrival, sent_at[std::make_pair(int(r.src), int(lids[j]))] + sp.hop_ps() +
                               wire_of(lp, 100) + 2 * lp.propagation_ps());
  }
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(FabricSwitch, DirectTopologyIsOneCable) {
  const LinkParams lp = defaults<LinkParams>();
  PacketPool pool(lp.mtu);
  Endpoint a("a", 1, pool, 1, 1 << 20, 0), b("b", 2, pool, 1, 1 << 20, 0);
  Fabric f = build_fabric(bench::fabric_params("direct"), lp, defaults<SwitchParams>(),
                          {as_endpoint(a), as_endpoint(b)}, nullptr);
  EXPECT_FALSE(f.sw);
  ASSERT_EQ(f.links.size(), 1u);
  a.send(a.make(2, 4096), 0);
  b.send(b.make(1, 2), 0);
  hcasim::Lookahead::run();
  ASSERT_EQ(b.records.size(), 1u);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(b.records[0].arrival, wire_of(lp, 4096) + lp.propagation_ps());
  EXPECT_EQ(a.records[0].arrival, wire_of(lp, 2) + lp.propagation_ps());
  // Credits given from the far receiver's buffer.
  EXPECT_EQ(a.port.capacity(0), (1u << 20) / 64);
}

TEST(FabricSwitch, TopologiesRejectWhatTheyCannotHold) {
  const LinkParams lp = defaults<LinkParams>();
  PacketPool pool(lp.mtu);
  Endpoint a("a", 1, pool, 1, 1 << 20, 0), b("b", 2, pool, 1, 1 << 20, 0),
      c("c", 3, pool, 1, 1 << 20, 0);
  const std::vector<FabricEndpoint> three = {as_endpoint(a), as_endpoint(b), as_endpoint(c)};
  EXPECT_THROW(
      build_fabric(bench::fabric_params("direct"), lp, defaults<SwitchParams>(), three, nullptr),
      ConfigError);
  SwitchParams two_ports = defaults<SwitchParams>();
  two_ports.ports = 2;
  EXPECT_THROW(build_fabric(bench::fabric_params("switch"), lp, two_ports, three, nullptr),
               ConfigError);
  Endpoint d("d", 3, pool, 1, 1 << 20, 0);  // same LID as c
  EXPECT_THROW(build_fabric(bench::fabric_params("switch"), lp, defaults<SwitchParams>(),
                            {as_endpoint(a), as_endpoint(c), as_endpoint(d)}, nullptr),
               ConfigError);
}

TEST(FabricSwitch, ParametersAreDeclaredWithUnitsDefaultsAndRanges) {
  ParamRegistry r;
  r.declare<LinkParams>();
  r.declare<SwitchParams>();
  r.declare<FabricParams>();  // no clashes with the link's fabric.* names
  const ParamSpec* hop = r.find("switch.hop_ns");
  ASSERT_NE(hop, nullptr);
  EXPECT_EQ(hop->unit, "ns");
  EXPECT_EQ(hop->default_text, "170");
  ASSERT_NE(r.find("switch.buffer_bytes"), nullptr);
  EXPECT_EQ(r.find("switch.buffer_bytes")->default_text, "32768");
  ASSERT_NE(r.find("switch.ports"), nullptr);
  ASSERT_NE(r.find("fabric.topology"), nullptr);
  EXPECT_EQ(r.find("fabric.topology")->default_text, "switch");
  ASSERT_NE(r.find("fabric.vls"), nullptr);
  EXPECT_EQ(r.find("fabric.vls")->default_text, "1");
  ParamValues v(r);
  v.set("switch.hop_ns", "100", ValueOrigin{"test"});
  EXPECT_EQ(v.load<SwitchParams>().hop_ps(), 100000u);
  EXPECT_THROW(v.set("fabric.vls", "3", ValueOrigin{"test"}), ConfigError);
  EXPECT_THROW(v.set("fabric.topology", "ring", ValueOrigin{"test"}), ConfigError);
}

// Records declarations and changes; checks what the VCD writer needs: every declaration before
// the first change, and (after time ordering) each signal's changes in time order.
class RecordingSink : public TraceSink {
 public:
  SignalId declare_integer(const std::string& path, unsigned, std::uint64_t init) override {
    if (changes_ > 0) ++late_declarations;
    names.push_back(path);
    values.push_back({{0, init}});
    return static_cast<SignalId>(names.size() - 1);
  }
  SignalId declare_enum(const std::string& path, const std::vector<std::string>&,
                        std::uint64_t init) override {
    return declare_integer(path, 0, init);
  }
  SignalId declare_real(const std::string& path, double) override {
    return declare_integer(path, 0, 0);
  }
  void change_integer(SignalId id, std::uint64_t t, std::uint64_t v) override {
    ++changes_;
    if (t < now_ps()) ++past_changes;
    values[id].push_back({t, v});
  }
  void change_real(SignalId, std::uint64_t, double) override { ++changes_; }
  // A counted signal's deltas (the buffer occupancy): kept as made, dated ahead or not.
  void change_delta(SignalId id, std::uint64_t t, std::uint64_t delta) override {
    ++changes_;
    if (t < now_ps()) ++past_changes;
    deltas[id].push_back({t, static_cast<std::int64_t>(delta)});
  }
  // What a VCD shows of counted signal `id`: its deltas in time order (those at one time in
  // the order made), summed, from its initial value; one entry per change.
  std::vector<std::pair<Picos, std::uint64_t>> counted(std::size_t id) const {
    auto in_order =
        deltas.count(id) ? deltas.at(id) : std::vector<std::pair<Picos, std::int64_t>>{};
    std::stable_sort(in_order.begin(), in_order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::pair<Picos, std::uint64_t>> out{values[id].front()};
    for (const auto& [t, d] : in_order) {
      const std::uint64_t v = out.back().second + static_cast<std::uint64_t>(d);
      if (out.back().first == t)
        out.back().second = v;  // one value per time: the last
      else
        out.push_back({t, v});
    }
    return out;
  }
  std::size_t find(const std::string& path) const {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == path) return i;
    return names.size();
  }
  std::vector<std::string> names;
  std::vector<std::vector<std::pair<Picos, std::uint64_t>>> values;
  std::map<std::size_t, std::vector<std::pair<Picos, std::int64_t>>> deltas;
  int late_declarations = 0, past_changes = 0;

 private:
  std::uint64_t changes_ = 0;
};

TEST(FabricSwitch, TracesCreditsQueuesAndBufferOccupancy) {
  const LinkParams lp = defaults<LinkParams>();
  SwitchParams sp = defaults<SwitchParams>();
  sp.ports = 4;
  RecordingSink trace;
  PacketPool pool(lp.mtu);
  Endpoint src("src", 1, pool, 1, 1 << 20, 0), dst("dst", 2, pool, 1, 8320, 1000000);
  Fabric f = build_fabric(bench::fabric_params("switch"), lp, sp,
                          {as_endpoint(src), as_endpoint(dst)}, &trace);
  hcasim::Lookahead::run_for(sc_core::SC_ZERO_TIME);  // elaboration ends: signals declared
  EXPECT_EQ(trace.late_declarations, 0);
  for (int k = 0; k < 50; ++k) src.send(src.make(2, 4096), 0);
  hcasim::Lookahead::run();
  ASSERT_EQ(dst.records.size(), 50u);
  EXPECT_EQ(trace.late_declarations, 0);
  EXPECT_EQ(trace.past_changes, 0);
  // Only the two connected switch ports declare signals.
  EXPECT_EQ(trace.find("switch0.port3_vl0_credits"), trace.names.size());
  const std::size_t occ = trace.find("switch0.in0_vl0_occupancy");
  const std::size_t credits = trace.find("switch0.port1_vl0_credits");
  const std::size_t queue = trace.find("switch0.port1_vl0_queue");
  ASSERT_LT(occ, trace.names.size());
  ASSERT_LT(credits, trace.names.size());
  ASSERT_LT(queue, trace.names.size());
  ASSERT_LT(trace.find("link0.busy_0to1"), trace.names.size());
  // Occupancy: within the buffer, back to empty.
  std::uint64_t most = 0;
  for (const auto& [t, v] : trace.counted(occ)) {
    EXPECT_LE(v, sp.buffer_blocks()) << "at " << t;
    most = std::max(most, v);
  }
  EXPECT_EQ(most / 65, sp.buffer_blocks() / 65);  // as many 65-block packets as fit
  EXPECT_EQ(trace.counted(occ).back().second, 0u);
  // The output's credits start at the receiver's buffer (8320 B = 130 blocks), never go
  // negative, and are all back at the end.
  EXPECT_EQ(trace.values[credits].front().second, 130u);
  EXPECT_EQ(trace.values[credits].back().second, 130u);
  for (const auto& tv : trace.values[credits]) EXPECT_LE(tv.second, 130u);
}

TEST(FabricSwitch, ForwardingCostsOneActionPerPacketWithoutATrace) {
  // The head is the only moment the switch acts on: the packet's buffer space and its credits
  // are dated when it leaves, without an action then (docs/performance.md).
  const LinkParams lp = defaults<LinkParams>();
  SwitchParams sp = defaults<SwitchParams>();
  sp.buffer_bytes = 65 * 64;  // one 4 KiB packet: the sender waits for every credit
  PacketPool pool(lp.mtu);
  Endpoint src("src", 1, pool, 1, 1 << 20, 0), dst("dst", 2, pool, 1, 1 << 20, 0);
  Fabric f = build_fabric(bench::fabric_params("switch"), lp, sp,
                          {as_endpoint(src), as_endpoint(dst)}, nullptr);
  const std::uint32_t n = 40;
  for (std::uint32_t k = 0; k < n; ++k) src.send(src.make(2, 4096), 0);
  hcasim::Lookahead::run();
  ASSERT_EQ(dst.records.size(), n);
  EXPECT_EQ(f.sw->forwarded(), n);
  EXPECT_EQ(f.sw->actions_executed(), n);
  // The dated frees still fill the buffer exactly to its credits, and every credit came home.
  EXPECT_EQ(f.sw->max_occupancy(0, 0), sp.buffer_blocks());
  EXPECT_EQ(src.port.counters().waited_packets, n - 1);
  EXPECT_EQ(src.port.credits(0), src.port.capacity(0));
  // Credit-bound: each packet leaves the sender one credit return after the last bit of the
  // one before it has left the switch.
  const Picos wire = wire_of(lp, 4096), prop = lp.propagation_ps();
  for (std::uint32_t k = 1; k < n; ++k) {
    const Picos left_switch = dst.records[k - 1].arrival - prop;
    EXPECT_EQ(dst.records[k].arrival,
              left_switch + src.port.credit_return_ps() + prop + sp.hop_ps() + wire + prop)
        << k;
  }
}

TEST(FabricSwitch, TracedRunShowsTheBufferFreeingWithoutAnotherAction) {
  const LinkParams lp = defaults<LinkParams>();
  RecordingSink trace;
  PacketPool pool(lp.mtu);
  Endpoint src("src", 1, pool, 1, 1 << 20, 0), dst("dst", 2, pool, 1, 1 << 20, 0);
  Fabric f = build_fabric(bench::fabric_params("switch"), lp, defaults<SwitchParams>(),
                          {as_endpoint(src), as_endpoint(dst)}, &trace);
  hcasim::Lookahead::run_for(sc_core::SC_ZERO_TIME);  // elaboration ends: signals declared
  src.send(src.make(2, 4096), 0);
  hcasim::Lookahead::run();
  ASSERT_EQ(dst.records.size(), 1u);
  // The fall is dated when the packet is committed to the output: no action at its time.
  EXPECT_EQ(f.sw->actions_executed(), 1u);
  EXPECT_EQ(trace.past_changes, 0);
  // 65 blocks from the first bit's arrival until the last bit has left the switch.
  const Picos prop = lp.propagation_ps();
  const auto occ = trace.counted(trace.find("switch0.in0_vl0_occupancy"));
  ASSERT_EQ(occ.size(), 3u);
  EXPECT_EQ(occ[1], (std::pair<Picos, std::uint64_t>{prop, 65}));
  EXPECT_EQ(occ[2], (std::pair<Picos, std::uint64_t>{dst.records[0].arrival - prop, 0}));
}

TEST(FabricSwitch, CreditsThatLeaveSoonerReleaseTheSenderSooner) {
  // One input sends a packet to a busy output, then one to an idle output: the second leaves
  // the switch first, so its credits (dated when it leaves) come back first, and the sender's
  // third packet, waiting for credits, goes as soon as they arrive.
  const LinkParams lp = defaults<LinkParams>();
  SwitchParams sp = defaults<SwitchParams>();
  sp.buffer_bytes = (65 + 5) * 64;  // a 4 KiB packet and a 256 B one per input
  PacketPool pool(lp.mtu);
  Endpoint src("src", 1, pool, 1, 1 << 20, 0), o1("o1", 2, pool, 1, 1 << 20, 0);
  Endpoint o2("o2", 3, pool, 1, 1 << 20, 0), busy("busy", 4, pool, 1, 1 << 20, 0);
  Endpoint idle("idle", 5, pool, 1, 1 << 20, 0);
  Fabric f = build_fabric(
      bench::fabric_params("switch"), lp, sp,
      {as_endpoint(src), as_endpoint(o1), as_endpoint(o2), as_endpoint(busy), as_endpoint(idle)},
      nullptr);
  o1.send(o1.make(4, 4096), 0);  // these two keep the output to `busy` busy for two packets
  o2.send(o2.make(4, 4096), 0);
  const Picos t0 = 1000;
  src.send(src.make(4, 4096), t0);  // leaves the switch after o1's and o2's
  src.send(src.make(5, 256), t0);   // cuts through the idle output: leaves first
  src.send(src.make(5, 256), t0);   // no credits left: waits at the sender
  hcasim::Lookahead::run();
  ASSERT_EQ(busy.records.size(), 3u);
  ASSERT_EQ(idle.records.size(), 2u);
  const Picos big = wire_of(lp, 4096), small = wire_of(lp, 256);
  const Picos prop = lp.propagation_ps(), hop = sp.hop_ps();
  EXPECT_EQ(busy.records[2].arrival, prop + hop + 3 * big + prop);
  const Picos small_left = t0 + big + prop + hop + small;  // its last bit leaves the switch
  ASSERT_LT(small_left, prop + hop + 3 * big);             // before the big one's
  EXPECT_EQ(idle.records[0].arrival, small_left + prop);
  const Picos third_sent = small_left + src.port.credit_return_ps();
  EXPECT_EQ(idle.records[1].arrival, third_sent + prop + hop + small + prop);
  EXPECT_EQ(src.port.counters().waited_packets, 1u);
  EXPECT_EQ(src.port.credits(0), src.port.capacity(0));
}

}  // namespace
}  // namespace hcasim
