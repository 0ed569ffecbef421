// The send scheduler on its own, with a transport of its own behind the Transport interface:
// QPs take turns by weight, a QP that runs dry leaves the round-robin, the packet window bounds
// how far ahead packets are asked for, and every packet passes the packetizer to the link in
// the order released, with the transport's hooks called around it.
#include "models/hca/send_scheduler.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "models/core/lookahead.hpp"
#include "models/fabric/link.hpp"
#include "models/fabric/link_params.hpp"
#include "models/hca/transport.hpp"
#include "tests/unit/hca/stage_bench.hpp"

namespace hcasim::hca_stage {
namespace {

// Each QP sends `remaining[qpn]` SEND packets, each ready 100 ns after it is asked for.
struct CountingTransport : Transport {
  AdapterCore& core;
  std::vector<std::uint32_t> remaining;  // packets still to send, by QP
  std::vector<Picos> asked;              // when each packet was asked for
  std::vector<std::uint32_t> sent;       // QPs, in the order their packets went to the link
  std::uint32_t after_send_calls = 0;

  explicit CountingTransport(AdapterCore& c) : core(c) {}
  bool next_packet(QpContext& qp, Packet*& out, Picos& ready) override {
    out = core.new_packet(qp, PacketKind::kSend, qp.req.next_psn++);
    ready = now_ps() + 100 * kNs;
    asked.push_back(now_ps());
    return --remaining[qp.qpn] > 0;
  }
  void receive(QpContext&, Packet* p, Picos) override { core.packets.put(p); }
  void on_wire(QpContext& qp, PacketKind, Picos) override { sent.push_back(qp.qpn); }
  void after_send(QpContext&, PacketKind) override { ++after_send_calls; }
  void receives_fetched(QpContext&) override {}
};

// The far end of the link: takes every packet and frees its credits.
struct FarEnd : sc_core::sc_module, PacketSink {
  PacketPool& pool;
  std::vector<std::uint32_t> from;  // source QP of each packet, in arrival order
  std::vector<std::uint32_t> psns;
  FarEnd(sc_core::sc_module_name name, PacketPool& p) : sc_module(name), pool(p) {}
  void deliver(Packet* p, Picos) override {
    from.push_back(p->src_qpn);
    psns.push_back(p->psn);
    pool.put(p);
  }
};

struct SchedulerBench : StageBench {
  FabricPort port{"port", 1, nullptr};
  Link link{"link", defaults<LinkParams>(), nullptr};
  FarEnd far{"far", packets};
  FarEnd near{"near", packets};  // nothing comes back; the link needs a sink on each side
  SendScheduler scheduler{core, port};
  CountingTransport transport{core};

  SchedulerBench(std::uint32_t window, std::vector<std::uint32_t> weights,
                 std::vector<std::uint32_t> packets_each) {
    core.params.tx_window = window;
    port.connect(link, 0);
    port.set_credits(0, 1 << 20);
    link.to_side[0].bind(near);
    link.to_side[1].bind(far);
    for (std::size_t i = 0; i < weights.size(); ++i) {
      QpContext& qp = core.qps.add();
      qp.transport = &transport;
      qp.sched.weight = weights[i];
    }
    transport.remaining = std::move(packets_each);
  }
  void start_all() {
    for (std::uint32_t qpn = 0; qpn < core.qps.size(); ++qpn) scheduler.enqueue(core.qps[qpn]);
    scheduler.enqueue(core.qps[0]);  // already in the round-robin: no second turn
    scheduler.pump();
  }
};

TEST(SendScheduler, QpsTakeTurnsByWeightAndLeaveWhenTheyRunDry) {
  SchedulerBench b(16, {1, 2, 1}, {4, 4, 4});
  b.start_all();
  hcasim::Lookahead::run();
  const std::vector<std::uint32_t> order = {0, 1, 1, 2, 0, 1, 1, 2, 0, 2, 0, 2};
  EXPECT_EQ(b.transport.sent, order);
  EXPECT_EQ(b.far.from, order);
  EXPECT_EQ(b.transport.after_send_calls, 12u);
  EXPECT_EQ(b.core.counters.packets_tx, 12u);
  // The window (16) holds all twelve: every packet was asked for at once.
  EXPECT_EQ(b.transport.asked, std::vector<Picos>(12, 0));
}

TEST(SendScheduler, TheWindowBoundsPacketsBetweenGatherAndTheLink) {
  SchedulerBench b(2, {1, 1}, {3, 3});
  b.start_all();
  hcasim::Lookahead::run();
  // Two packets in flight: the next two are asked for when the first two reach the
  // packetizer (ready 100 ns after they were asked for), and so on.
  EXPECT_EQ(b.transport.asked,
            (std::vector<Picos>{0, 0, 100 * kNs, 100 * kNs, 200 * kNs, 200 * kNs}));
  EXPECT_EQ(b.far.from, (std::vector<std::uint32_t>{0, 1, 0, 1, 0, 1}));
}

TEST(SendScheduler, OneQpsPacketsLeaveInOrderEvenWhenALaterOneIsReadySooner) {
  SchedulerBench b(16, {2}, {2});
  struct Shrinking : CountingTransport {
    using CountingTransport::CountingTransport;
    Picos gather = 300 * kNs;
    bool next_packet(QpContext& qp, Packet*& out, Picos& ready) override {
      const bool more = CountingTransport::next_packet(qp, out, ready);
      ready = now_ps() + gather;  // the second packet's gather is shorter (inline data)
      gather -= 200 * kNs;
      return more;
    }
  } transport(b.core);
  transport.remaining = {2};
  b.core.qps[0].transport = &transport;
  b.start_all();
  hcasim::Lookahead::run();
  ASSERT_EQ(transport.sent.size(), 2u);
  // The packets carry PSN 0 then 1 and arrive in that order (the second waited for the first).
  EXPECT_EQ(b.far.psns, (std::vector<std::uint32_t>{0, 1}));
  EXPECT_EQ(b.core.qps[0].sched.last_ready, 300 * kNs);
}

}  // namespace
}  // namespace hcasim::hca_stage
