// Cut-through inside the adapter (hca.cut_through, docs/model.md "Cut-through"): a packet's
// payload streams between PCIe and the wire in TLP-sized chunks, so a 4 KiB message costs
// about the same at any MTU; the wire never runs ahead of the DMA read completions; a received
// packet's DMA writes go as its bytes come in, and its completion lands after them.
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include "models/core/lookahead.hpp"
#include "perftest_test_support.hpp"
#include "tests/integration/hca_test_bench.hpp"

namespace hcasim {
namespace {

using perftest_test::find_op;
using perftest_test::PerftestRun;
using perftest_test::Sets;

// send_lat of 2 B and 4 KiB, both gathered by DMA (no inline), on a quiet host whose clock is
// the adapter's (as in perftest_latency_test): what 4 KiB adds to the half round trip.
struct SendLatExtra {
  PerftestRun run;
  explicit SendLatExtra(const Sets& sets)
      : run({{"perftest.test", "send_lat"},
             {"perftest.sizes", "2,4096"},
             {"perftest.inline", "false"},
             {"perftest.iterations", "20"},
             {"perftest.warmup", "2"},
             {"host.cpu_ghz", "1"},
             {"host.poll_cycles", "1"},
             {"host.completion_cycles", "0"},
             {"host.tick_hz", "0"}},
            sets) {}
  Picos extra_ps() {
    EXPECT_TRUE(run.perftest->finished());
    EXPECT_EQ(run.perftest->errors(), 0u);
    const auto& results = run.perftest->results();
    EXPECT_EQ(results.size(), 2u);
    if (results.size() != 2) return 0;
    return results[1].op.latency_ps.min() - results[0].op.latency_ps.min();
  }
  const PcieParams& pcie() const { return run.system->pcie_params; }
  const LinkParams& link() const { return run.system->link_params; }
  // PCIe wire time of a DMA read's completions and of a DMA write's TLPs, for `len` bytes.
  Picos completions_ps(std::uint64_t len) const {
    const std::uint64_t c = pcie().completion_bytes();
    return pcie().wire_ps(len + (len + c - 1) / c * pcie().completion_overhead);
  }
  Picos writes_ps(std::uint64_t len) const {
    const std::uint64_t m = pcie().max_payload;
    return pcie().wire_ps(len + (len + m - 1) / m * pcie().request_overhead);
  }
  // At the receiver the completion entry follows the data writes still on the wire when it
  // is built (hca.cqe_cycles after the receive engine took the packet): what the writes add.
  Picos placed_ps(std::uint64_t write_len) const {
    const Picos cqe = run.system->host.hca->clock().cycles(run.system->hca_params.cqe_cycles);
    return std::max(writes_ps(write_len), cqe);
  }
};

// One direction of the round trip (the half round trip is one of each) grows from 2 B to
// 4 KiB by: the longer stream of read completions at the sender (the narrowest stage); on the
// wire, only what follows the last completion (its 64 B chunk and the packet's 6 CRC bytes,
// against the 2 B packet's 30 bytes); at the receiver, the last 256 B write TLP against the
// 2 B write (each as far as it holds up the completion entry). Every packet before the last is
// hidden behind the read stream, so the MTU does not matter. Adapter clock edges (1 ns) round twice
// per direction.
Picos cut_through_extra_ps(const SendLatExtra& r) {
  const std::uint64_t chunk = r.pcie().completion_bytes();
  const std::uint64_t crc = HeaderBytes::kIcrc + HeaderBytes::kVcrc;
  return (r.completions_ps(4096) - r.completions_ps(2)) +
         (r.link().wire_ps(chunk + crc) - r.link().wire_ps(HeaderBytes::kBase + 4)) +
         (r.placed_ps(r.pcie().max_payload) - r.placed_ps(2));
}
constexpr double kEdgesPs = 2 * 1000.0;

TEST(CutThrough, SendLat4KiBAtMtu4096PaysOnlyTheReadStream) {
  SendLatExtra r(Sets{{"fabric.mtu", "4096"}});
  EXPECT_NEAR(static_cast<double>(r.extra_ps()), static_cast<double>(cut_through_extra_ps(r)),
              kEdgesPs);
}

TEST(CutThrough, SendLat4KiBAtMtu1024PaysTheSame) {
  SendLatExtra r(Sets{{"fabric.mtu", "1024"}});
  EXPECT_NEAR(static_cast<double>(r.extra_ps()), static_cast<double>(cut_through_extra_ps(r)),
              kEdgesPs);
}

TEST(CutThrough, StoreAndForwardAtMtu4096PaysThePacketOnEveryStage) {
  // hca.cut_through = false: the packet goes on the wire once its last completion is in, and
  // its one write starts once it is in whole: the whole packet's wire and write time count.
  SendLatExtra r(Sets{{"fabric.mtu", "4096"}, {"hca.cut_through", "false"}});
  const Picos expected =
      (r.completions_ps(4096) - r.completions_ps(2)) +
      (r.link().wire_ps(HeaderBytes::kBase + 4096) - r.link().wire_ps(HeaderBytes::kBase + 4)) +
      (r.placed_ps(4096) - r.placed_ps(2));
  EXPECT_NEAR(static_cast<double>(r.extra_ps()), static_cast<double>(expected), kEdgesPs);
  // What cut-through saves here: more than half a microsecond per direction.
  EXPECT_GT(r.extra_ps(), cut_through_extra_ps(r) + 1'000'000);
}

using hca_test::Bench;
using hca_test::run_bench;

TEST(CutThrough, WireNeverRunsAheadOfASlowPcie) {
  // PCIe x1 (under 1 GB/s) feeds a 6.8 GB/s link: a 4 KiB RDMA WRITE's packet cannot go on
  // the wire before it is mostly read, and it must not end before its last read completion
  // has arrived and gone through the packetizer (hca.packet_cycles) and onto the wire.
  static constexpr std::uint32_t kLen = 4096;
  Picos wire_end = 0, last_completion = 0;
  Bench b(
      [&](Bench& t) {
        const Sge src = t.host_buffer(kLen);
        const auto dst = t.iou().memory().allocate(kLen);
        const auto rkey = t.iou().register_memory(dst, kLen, kRemoteWrite);
        SendRequest w;
        w.opcode = WrOpcode::kRdmaWrite;
        w.sges = {src};
        w.remote_addr = dst;
        w.rkey = rkey;
        ASSERT_TRUE(t.host().post_send(*t.hqp, w));
        EXPECT_EQ(t.next(*t.hcq, t.host()).status, WcStatus::kSuccess);
        // The payload's completions were the last thing the host's PCIe sent to the adapter,
        // and its packet the only one the host's adapter sent.
        const PcieLink& pcie = *t.sys->host.pcie;
        last_completion = pcie.downstream().busy_until() + pcie.params().latency_ps();
        const FabricPort& port = t.sys->host.hca->fabric_port();
        wire_end = port.link()->direction(port.side()).busy_until();
        EXPECT_EQ(port.link()->packets(port.side()), 1u);
      },
      {{"pcie.lanes", "1"}});
  run_bench(b);
  const LinkParams& link = b.sys->link_params;
  const Picos packetizer = b.sys->host.hca->clock().cycles(b.sys->hca_params.packet_cycles);
  // What follows the last 64-byte completion on the wire: its bytes and the ICRC and VCRC.
  const Picos tail = link.wire_ps(64 + HeaderBytes::kIcrc + HeaderBytes::kVcrc);
  EXPECT_GE(wire_end, last_completion + packetizer + tail);
  // ... and no later than the next clock edge: the packet streamed (store-and-forward would
  // end a whole packet's wire time, 0.6 us, later).
  EXPECT_LT(wire_end, last_completion + packetizer + tail + 1000);
}

// Records when DMA writes land in a watched range of host memory.
struct Landings : PcieLink::WriteObserver {
  std::vector<std::pair<std::uint64_t, Picos>> seen;  // address, time
  void on_dma_write(std::uint64_t addr, std::uint64_t) override {
    seen.emplace_back(addr, now_ps());
  }
};

TEST(CutThrough, ReceivedChunksLandAsTheyArriveAndTheCompletionAfterThem) {
  // A 3 KiB SEND (one packet) into three 1 KiB receive SGEs (as many as a receive WQE
  // holds): three DMA writes. Each goes as its bytes come in from the link (6.8 GB/s, slower
  // than PCIe's 7.2 GB/s of write payload), so they land one link time of 1 KiB apart; the
  // receive's completion lands after the last. PCIe's one-way latency is 1 us here: with the
  // default 216 ns the first KiB would land before the packet has fully arrived, which the
  // model does not do (a write lands no earlier than the receive engine issues it, at the
  // packet's end; docs/model.md), and the writes would follow each other back to back.
  static constexpr std::uint32_t kLen = 3072, kSge = 1024;
  Landings data;
  Picos cqe_landed = 0;
  std::uint64_t dst = 0;
  Bench b(
      [&](Bench& t) {
        const Sge src = t.host_buffer(kLen);
        const Sge whole = t.iou_buffer(kLen);
        dst = whole.addr;
        t.sys->iou.pcie->watch(dst, kLen, &data);
        Sge parts[kLen / kSge];
        for (std::uint32_t i = 0; i < kLen / kSge; ++i)
          parts[i] = Sge{whole.addr + i * kSge, kSge, whole.lkey};
        ASSERT_TRUE(t.iou().post_recv(*t.iqp, 9, parts, kLen / kSge));
        SendRequest w;
        w.sges = {src};
        ASSERT_TRUE(t.host().post_send(*t.hqp, w));
        const WorkCompletion wc = t.next(*t.icq, t.iou());
        cqe_landed = now_ps();
        EXPECT_EQ(wc.status, WcStatus::kSuccess);
        EXPECT_EQ(wc.byte_len, kLen);
      },
      {{"pcie.latency_ns", "1000"}});
  run_bench(b);
  ASSERT_EQ(data.seen.size(), 3u);
  const Picos per_sge = b.sys->link_params.wire_ps(kSge);
  for (std::size_t i = 1; i < data.seen.size(); ++i) {
    EXPECT_EQ(data.seen[i].first, dst + i * kSge);
    // Paced by the link (rounding of the byte times: a picosecond or two).
    EXPECT_NEAR(static_cast<double>(data.seen[i].second - data.seen[i - 1].second),
                static_cast<double>(per_sge), 2.0)
        << "SGE " << i;
  }
  EXPECT_GT(cqe_landed, data.seen.back().second);
}

}  // namespace
}  // namespace hcasim
