// The calibration table (docs/calibration.md): with default parameters the perftest-style
// workloads reproduce the typical figures of a ConnectX-3 class FDR adapter on PCIe Gen3 x8.
// The host's timer tick stays on (a default): the rows are about the adapter, and the figures
// used -- the median (t_typical) and bandwidth over many operations -- are what a tick that
// delays one operation in thousands leaves alone, as on a real host.
// Each TEST is one perftest run in its own process.
#include <gtest/gtest.h>

#include "models/core/lookahead.hpp"
#include "workloads/perftest.hpp"
#include "workloads/system.hpp"

namespace hcasim {
namespace {

struct PerftestRun {
  ParamRegistry registry;
  ParamValues values{registry};
  std::unique_ptr<System> system;
  std::unique_ptr<Perftest> test;
  RunReport report;

  explicit PerftestRun(const std::string& test_name, const std::string& size,
                       std::vector<std::pair<std::string, std::string>> sets = {}) {
    declare_all_params(registry);
    values.set("perftest.test", test_name, ValueOrigin{"test"});
    values.set("perftest.sizes", size, ValueOrigin{"test"});
    for (auto& [k, v] : sets) values.set(k, v, ValueOrigin{"test"});
    system = std::make_unique<System>(values, nullptr);
    test = std::make_unique<Perftest>("perftest", *system, values.load<PerftestParams>(), nullptr);
    hcasim::Lookahead::run();
    EXPECT_TRUE(test->finished());
    EXPECT_EQ(test->errors(), 0u);
    test->report(report);
  }
  // Median reported latency in microseconds (perftest's t_typical).
  double t_typical_us() const { return report.ops.at(0).latency_ps.quantile(0.5) / 1e6; }
  double metric(const std::string& leaf) const {
    for (const Metric& m : report.contention)
      if (m.path.size() >= leaf.size() &&
          m.path.compare(m.path.size() - leaf.size(), leaf.size(), leaf) == 0)
        return m.value;
    ADD_FAILURE() << "no metric " << leaf;
    return 0;
  }
};

constexpr double kMiB = 1024.0 * 1024.0;

TEST(Calibration, SendLat2BytesInlineIsAbout1us) {
  PerftestRun r("send_lat", "2");
  EXPECT_GE(r.t_typical_us(), 0.8);  // calibration row: about 0.8-1.2 us, half round trip
  EXPECT_LE(r.t_typical_us(), 1.2);
}

TEST(Calibration, WriteLat2BytesInlineIsAbout0point9us) {
  PerftestRun r("write_lat", "2");
  EXPECT_GE(r.t_typical_us(), 0.8);  // about 0.8-1.0 us
  EXPECT_LE(r.t_typical_us(), 1.0);
}

TEST(Calibration, WriteLatWithoutInlinePaysOneDmaRead) {
  PerftestRun r("write_lat", "2", {{"perftest.inline", "false"}});
  // The row says "about 0.4 us more" than the inline 0.8-1.0 us. The model adds one payload
  // DMA read round trip (the pcie-bench 546 ns), so it lands in the upper part of 1.2-1.4 us.
  EXPECT_GE(r.t_typical_us(), 1.2);
  EXPECT_LE(r.t_typical_us(), 1.4);
}

TEST(Calibration, ReadLat2BytesIsAbout1point8us) {
  PerftestRun r("read_lat", "2");
  EXPECT_GE(r.t_typical_us(), 1.6);  // about 1.6-2.0 us, full round trip
  EXPECT_LE(r.t_typical_us(), 2.0);
}

TEST(Calibration, WriteBw64KiBIsAbout6GBps) {
  PerftestRun r("write_bw", "65536");
  const double gbps = r.metric("bw_average") * kMiB / 1e9;
  // "about 6.0 GB/s (link and PCIe bound)": within 5 %.
  EXPECT_NEAR(gbps, 6.0, 0.3);
}

TEST(Calibration, OneQueuePairSendsAFewMillionMessagesPerSecond) {
  PerftestRun r("write_bw", "64");
  const double mpps = r.metric("msg_rate");
  EXPECT_GE(mpps, 2.0);  // "a few million messages per second" on one QP
  EXPECT_LE(mpps, 6.0);
}

// Several queue pairs stream 64-byte RDMA WRITEs at once (like ib_write_bw -q 8).
double many_qp_rate(unsigned qps, unsigned per_qp) {
  ParamRegistry registry;
  declare_all_params(registry);
  ParamValues values(registry);
  System sys(values, nullptr);
  struct Streamer : sc_core::sc_module {
    SC_HAS_PROCESS(Streamer);
    System& s;
    unsigned qps, per_qp;
    double seconds = 0;
    Streamer(sc_core::sc_module_name n, System& sys, unsigned q, unsigned p)
        : sc_module(n), s(sys), qps(q), per_qp(p) {
      SC_THREAD(run);
    }
    void run() {
      AdapterContext& host = *s.host.adapter;
      AdapterContext& iou = *s.iou.adapter;
      CompletionQueue& cq = host.create_cq(4096);
      CompletionQueue& icq = iou.create_cq(64);
      std::vector<QueuePair*> list;
      for (unsigned i = 0; i < qps; ++i) {
        QueuePair& q = host.create_qp(cq, cq, 256, 4);
        QueuePair& r = iou.create_qp(icq, icq, 4, 4);
        s.host.hca->connect(q.qpn, s.iou.hca->port_address(), r.qpn);
        s.iou.hca->connect(r.qpn, s.host.hca->port_address(), q.qpn);
        list.push_back(&q);
      }
      const auto src = host.memory().allocate(64);
      const auto key = host.register_memory(src, 64, kLocalWrite);
      const auto dst = iou.memory().allocate(64);
      const auto rkey = iou.register_memory(dst, 64, kRemoteWrite);
      SendRequest w;
      w.opcode = WrOpcode::kRdmaWrite;
      w.inline_data = true;
      w.sges = {Sge{src, 64, key}};
      w.remote_addr = dst;
      w.rkey = rkey;
      const double start = hcasim::ps(hcasim::now_ps()).to_seconds();
      // Post round-robin over the QPs (signal every 64th), then collect every completion.
      unsigned expected = 0;
      for (unsigned k = 0; k < per_qp; ++k) {
        for (QueuePair* q : list) {
          w.signaled = (k % 64 == 63) || k + 1 == per_qp;
          expected += w.signaled;
          WorkCompletion wc[16];
          for (;;) {
            for (unsigned n = cq.poll(wc, 16), i = 0; i < n; ++i, --expected) host.retire(wc[i]);
            if (host.post_send(*q, w)) break;
            hcasim::Lookahead::wait(cq.landed_event());  // queue full: wait for a completion
          }
        }
      }
      while (expected) {
        WorkCompletion wc[16];
        const unsigned n = cq.poll(wc, 16);
        if (!n) hcasim::Lookahead::wait(cq.landed_event());
        for (unsigned i = 0; i < n; ++i, --expected) host.retire(wc[i]);
      }
      seconds = hcasim::ps(hcasim::now_ps()).to_seconds() - start;
      hcasim::Lookahead::stop();
    }
  } streamer("streamer", sys, qps, per_qp);
  hcasim::Lookahead::run();
  EXPECT_GT(streamer.seconds, 0.0)
      << "the streamer did not finish by " << hcasim::ps(hcasim::now_ps()) << ", "
      << sys.host.hca->counters().cqes << " CQEs";
  return qps * per_qp / streamer.seconds / 1e6;
}

TEST(Calibration, ManyQueuePairsReachTensOfMillionsOfMessagesPerSecond) {
  const double mpps = many_qp_rate(16, 2000);
  EXPECT_GE(mpps, 10.0) << "tens of millions with many QPs";
  std::printf("16 QPs x 64 B RDMA WRITE: %.1f M messages/s\n", mpps);
  EXPECT_LE(mpps, 60.0);
}

}  // namespace
}  // namespace hcasim
