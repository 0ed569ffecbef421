#pragma once
// Workloads like the perftest tools users already know (ib_send_lat, ib_write_lat, ib_read_lat,
// ib_send_bw, ib_write_bw, ib_read_bw), so simulated figures can be set next to measured ones.
// One host thread on cpu0 sweeps message sizes (`perftest.sizes`) against a PerftestPeer on the
// I/O unit and prints perftest's table layout; every size is one op class ("send_lat.2").
//
// Latency tests (one operation in flight; per round trip, from the start of the post to the
// moment the spinning thread sees the answer):
//   send_lat   SEND, the I/O unit answers with a SEND of the same size; reports RTT / 2.
//   write_lat  RDMA WRITE; each side spins on the last byte of its buffer for the peer's write
//              and writes back; reports RTT / 2.
//   read_lat   RDMA READ of the I/O unit's memory, wait for its completion; reports the full RTT.
// Bandwidth tests: tx_depth operations outstanding per QP (perftest.qps, posted round-robin in
// lists of perftest.post_list), every cq_mod-th (and the last) of each QP signaled; a number of
// iterations per QP, or a duration (after which each QP finishes its signaled batch). QP q runs
// on host adapter q % system.host_adapters (each adapter's QPs report to a CQ of its own, all
// polled by the one thread) to I/O unit q % system.ious.
//   Per-op latency = post -> poll of the signaled completion that covers it (perftest's
//   tposted/tcompleted); BW average = bytes / (first post -> last completion); BW peak = the
//   highest rate between two polls that found completions; MsgRate = ops / that same time.
//   send_bw    SEND to a sink that keeps `iou.recv_depth` receives posted.
//   write_bw   RDMA WRITE into the I/O unit's buffer.   read_bw   RDMA READ from it.
//   perftest.bidirectional (-b): the peer runs the same operations towards the host at the same
//   time (the host keeps receives posted for send_bw); BW and MsgRate are the sum of the
//   host's figure and the peer's average (first post -> last completion of its burst).
// Units as in perftest: usec, MB/sec with MB = 2^20 bytes, Mpps.
// perftest.connection = UD (perftest -c UD) runs send_lat and send_bw over unreliable-datagram
// QPs: each message one packet of at most the path MTU, received behind a 40-byte GRH area.
#include <systemc>

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "models/core/lookahead.hpp"
#include "models/core/run_report.hpp"
#include "models/iounit/perftest_peer.hpp"
#include "workloads/system.hpp"
#include "workloads/workload.hpp"

namespace hcasim {

struct PerftestParams {
  std::string test;
  std::string sizes;
  std::uint32_t iterations;
  std::uint32_t warmup;
  std::uint32_t size_budget_mb;
  std::uint32_t tx_depth;
  std::uint32_t cq_mod;
  bool use_inline;
  std::uint32_t qps;
  std::uint32_t post_list;
  double duration_us;
  bool report_gbits;
  std::string connection;
  bool bidirectional;

  template <class V>
  void visit(V& v) {
    v.choice(test, "perftest.test", "send_lat",
             {"send_lat", "write_lat", "read_lat", "send_bw", "write_bw", "read_bw"},
             "which perftest tool to run (ib_<test>)");
    v.text(sizes, "perftest.sizes", "all",
           "message sizes in bytes: 'all' (2, 4, 8, ..., 1048576) or a comma list such as "
           "2,64,4096 (distinct, each 1 .. 8388608)");
    v.integer(iterations, "perftest.iterations", "ops", 1000, 1, 100000000,
              "operations measured per size (perftest -n); cut for large sizes, see "
              "perftest.size_budget_mb");
    v.integer(warmup, "perftest.warmup", "ops", 10, 0, 1000000,
              "operations run before measuring at each size (at most the iterations of the size)");
    v.integer(size_budget_mb, "perftest.size_budget_mb", "MiB", 256, 1, 1 << 20,
              "bytes measured per size at most: iterations = min(iterations, budget / size, "
              "at least 1), so large sizes finish fast");
    v.integer(tx_depth, "perftest.tx_depth", "WRs", 128, 1, 8192,
              "bandwidth tests: work requests kept outstanding (perftest -t); also the send "
              "queue size");
    v.integer(cq_mod, "perftest.cq_mod", "WRs", 100, 1, 8192,
              "bandwidth tests: every cq_mod-th request is signaled (perftest -Q; at most "
              "tx_depth, the last of each size always)");
    v.boolean(use_inline, "perftest.inline", true,
              "send payloads up to the adapter's max inline size inside the WQE (perftest -I)");
    v.integer(qps, "perftest.qps", "QPs", 1, 1, 1024,
              "bandwidth tests: queue pairs, each with tx_depth outstanding and its own peer, "
              "all reporting to one CQ per host adapter (perftest -q); QP q uses host adapter "
              "q % system.host_adapters and I/O unit q % system.ious");
    v.integer(post_list, "perftest.post_list", "WRs", 1, 1, 8192,
              "bandwidth tests: work requests handed over per post_send call (perftest -l; at "
              "most tx_depth)");
    v.real(duration_us, "perftest.duration_us", "us", 0.0, 0.0, 1e12,
           "bandwidth tests: run each size for this simulated time after its warm-up instead "
           "of a number of iterations (perftest -D, in us; 0: iterations)");
    v.boolean(report_gbits, "perftest.report_gbits", false,
              "bandwidth tests: the table shows Gb/sec (10^9 bits) instead of MB/sec (2^20 "
              "bytes) (perftest --report_gbits)");
    v.choice(connection, "perftest.connection", "RC", {"RC", "UD"},
             "transport (perftest -c): reliable connection, or unreliable datagram (send_lat "
             "and send_bw only; messages of one path MTU at most, 'all' sizes stop there)");
    v.boolean(bidirectional, "perftest.bidirectional", false,
              "bandwidth tests: the I/O unit's peer sends too, the same operations towards the "
              "host (perftest -b); the table reports the two directions' sum");
  }
};

// Parses `perftest.sizes`; throws ConfigError naming the key and what is allowed.
std::vector<std::uint32_t> parse_perftest_sizes(const std::string& text);
constexpr std::uint32_t kPerftestMaxSize = 1u << 23;  // 8 MiB, perftest's largest -a size
// One line of a perftest-layout table: each cell left-aligned under its header.
void print_perftest_row(std::ostream& out, const std::vector<std::string>& header,
                        const std::vector<std::string>& cells);

class Perftest : public sc_core::sc_module, public Workload {
 public:
  SC_HAS_PROCESS(Perftest);
  Perftest(sc_core::sc_module_name name, System& system, const PerftestParams& params,
           TraceSink* trace);

  bool finished() const override { return finished_; }
  std::uint64_t errors() const override { return errors_; }
  void report(RunReport& out) const override;
  void print_table(std::ostream& out) const override;

  // Figures of one message size (what a row of the table shows).
  struct SizeResult {
    std::uint32_t size = 0;
    std::uint64_t iterations = 0;
    std::uint64_t warmup = 0;
    OpClassReport op;      // latency: half or full RTT (lat), post -> completion (bw)
    double sum_sq = 0;     // of the recorded latencies (ps^2), for t_stdev
    Picos elapsed_ps = 0;  // bw: first post -> last completion
    double peak_bytes_per_ps = 0;
    double peer_bytes_per_ps = 0;  // bidirectional: the peer's rate, added to the host's
    double average_bytes_per_ps() const;
  };
  const std::vector<SizeResult>& results() const { return results_; }
  bool is_bandwidth() const { return bw_; }

 private:
  void host_thread();
  void run_send_lat(SizeResult& r);
  void run_write_lat(SizeResult& r);
  void run_read_lat(SizeResult& r);
  void run_bw(SizeResult& r, std::uint64_t n, bool measure);
  // One operation's latency into the size's results; record() also traces it.
  void tally(SizeResult& r, Picos latency);
  void record(SizeResult& r, Picos latency);
  // Spins until a completion lands (when `block`), then handles all found. Returns how many
  // receive completions it handled; send completions advance sends_done_.
  unsigned reap(bool block);
  void prepare_request(std::uint32_t size);
  // Bidirectional send_bw: reposts the receives the peer's messages consumed.
  void repost_receives(const WorkCompletion* wc, int n);
  // Bidirectional: keeps polling (and reposting) until every peer's burst has completed, then
  // adds their rate to `r` (when `measure`).
  void finish_peer_bursts(SizeResult& r, bool measure);

  System& sys_;
  PerftestParams params_;
  bool bw_ = false;
  std::uint32_t cq_mod_ = 1;
  std::uint32_t max_size_ = 1;
  void post_echo_recv(std::uint64_t wr_id);

  verbs::VerbsDevice& verbs_;     // the first host adapter's (latency tests use only it)
  verbs::Cq* host_cq_ = nullptr;  // its CQ
  verbs::Qp* host_qp_ = nullptr;  // the first of qps_ (latency tests use only it)
  std::vector<verbs::Qp*> qps_;   // bandwidth tests: perftest.qps of them
  // Bandwidth tests: per host adapter used (QP q on adapter q % devices_.size()), its verbs
  // device, CQ and registration of the buffers; any CQ's landing wakes the polling thread.
  std::vector<verbs::VerbsDevice*> devices_;
  std::vector<verbs::Cq*> cqs_;
  std::vector<Sge> sges_;  // the request's payload, with each adapter's lkey
  sc_core::sc_event any_landed_;
  void forward_landed() { Lookahead::notify(any_landed_); }
  // Spins until any CQ has completions and reaps one that has; returns how many.
  int poll_any(WorkCompletion* wc, int n);
  PerftestPeer* peer_ = nullptr;  // the first QP's, owned by the I/O unit
  struct Remote {
    std::uint64_t addr = 0;
    std::uint32_t rkey = 0;
    verbs::SendWr::Ud ud;  // UD: the peer's address handle, QP and Q_Key
  };
  std::vector<Remote> remotes_;              // by QP: the peer's buffer (WRITE / READ targets)
  QpType type_ = QpType::kRc;                // perftest.connection
  std::vector<PerftestPeer*> duplex_peers_;  // bidirectional: every QP's peer, which sends too
  bool duplex_recvs_ = false;                // bidirectional SENDs: the host keeps receives
  std::vector<std::uint32_t> qp_slot_;       // QP number -> index in qps_
  sc_core::sc_event duplex_wake_;            // a host completion landed or a peer's burst ended
  sc_core::sc_event duplex_quit_;            // the run is over: the wake-up helper ends
  std::uint32_t grh_ = 0;                    // UD: bytes before a message in a receive buffer
  std::unique_ptr<SimContext> ctx_;          // cpu0, the host thread's
  std::uint64_t send_buf_ = 0, recv_buf_ = 0;
  verbs::Mr mr_;            // on the first adapter
  MemoryWatch recv_watch_;  // write_lat: the peer's writes landing in recv_buf_
  Sge sge_{};               // the request's payload
  Sge recv_sge_{};          // send_lat: where the echo lands
  verbs::SendWr request_;
  std::vector<SizeResult> results_;
  std::vector<Picos>
      post_ps_;  // bw: post time of each outstanding op, by qp * tx_depth + op % tx_depth
  std::vector<verbs::SendWr> list_;  // bw: the WRs of one post_send call
  std::uint64_t sends_done_ = 0;     // ops covered by send completions (bw: in the current phase)
  Picos last_batch_ps_ = 0;          // bw: time of the previous poll that found completions
  bool finished_ = false;
  std::uint64_t errors_ = 0;
  TracedReal latency_ns_;
  TracedInt size_trace_;
};

}  // namespace hcasim
