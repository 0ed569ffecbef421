#pragma once
// Open-loop load: operations arrive on their own schedule (fixed interval or Poisson at
// `load.rate`), not when the previous one finished, so latency can be studied as offered load
// approaches capacity. Each operation's latency runs from its arrival (not its post) to the
// poll that sees its completion, so queueing delay shows. When the send queue is full an
// arrival waits for room (counted in load.sq_full_waits) and later arrivals queue behind it.
// `load.arrival = closed` keeps `load.depth` operations in flight instead (arrival = post).
//
// One host thread on cpu0 posts and polls (every operation signaled); the I/O unit is a sink
// for SENDs and a passive buffer for RDMA WRITE / READ (PerftestPeer). Sizes come from
// `load.size`: "N", "uniform:LO:HI" or "exp:MEAN:MAX" (bytes). Random draws come from the
// streams "<name>.arrival" and "<name>.size" of the run's seed, so a seed replays a run.
#include <systemc>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/core/lookahead.hpp"
#include "models/core/random.hpp"
#include "models/core/run_report.hpp"
#include "models/iounit/perftest_peer.hpp"
#include "workloads/system.hpp"
#include "workloads/workload.hpp"

namespace hcasim {

struct LoadParams {
  std::string op;
  std::string arrival;
  double rate;
  std::string size;
  std::uint32_t count;
  std::uint32_t warmup;
  std::uint32_t depth;
  bool use_inline;

  template <class V>
  void visit(V& v) {
    v.choice(op, "load.op", "send", {"send", "write", "read"},
             "operation: SEND to an I/O-unit sink, RDMA WRITE or RDMA READ of its memory");
    v.choice(arrival, "load.arrival", "poisson", {"closed", "fixed", "poisson"},
             "closed: keep load.depth ops in flight; fixed: one op every 1/load.rate; poisson: "
             "exponential gaps of mean 1/load.rate");
    v.real(rate, "load.rate", "ops/s", 1e6, 1.0, 1e10,
           "offered load of fixed and poisson arrivals (ignored when closed)");
    v.text(size, "load.size", "4096",
           "bytes per op: N, uniform:LO:HI (uniform integer) or exp:MEAN:MAX (exponential of "
           "mean MEAN rounded up, capped at MAX); each 1 .. 8388608");
    v.integer(count, "load.count", "ops", 20000, 1, 1000000000, "operations measured");
    v.integer(warmup, "load.warmup", "ops", 100, 0, 1000000000,
              "operations run (and arriving) before the measured ones");
    v.integer(depth, "load.depth", "WRs", 128, 1, 8192,
              "send queue size: most operations in flight (closed: always this many)");
    v.boolean(use_inline, "load.inline", true,
              "send payloads up to the adapter's max inline size inside the WQE");
  }
};

// A message-size distribution parsed from `load.size`.
struct SizeDistribution {
  enum class Kind : std::uint8_t { kFixed, kUniform, kExp };
  Kind kind = Kind::kFixed;
  std::uint32_t low = 1, high = 1;  // fixed: low; uniform: [low, high]; exp: cap = high
  double mean = 1.0;                // exp
  // Throws ConfigError naming 'load.size' and the allowed forms.
  static SizeDistribution parse(const std::string& text);
  std::uint32_t max() const { return kind == Kind::kFixed ? low : high; }
  double expected() const;  // mean size in bytes (before the exp cap)
  std::uint32_t draw(RandomStream& rng) const;
};

class OpenLoop : public sc_core::sc_module, public Workload {
 public:
  SC_HAS_PROCESS(OpenLoop);
  OpenLoop(sc_core::sc_module_name name, System& system, const LoadParams& params,
           std::uint64_t seed, TraceSink* trace);

  bool finished() const override { return finished_; }
  std::uint64_t errors() const override { return errors_; }
  void report(RunReport& out) const override;
  void print_table(std::ostream& out) const override;

  const OpClassReport& ops() const { return op_; }
  std::uint64_t sq_full_waits() const { return sq_full_waits_; }
  double achieved_rate() const;  // measured ops per second of simulated time
  double offered_rate() const;   // ops per second the arrivals asked for (closed: achieved)

 private:
  void host_thread();
  void forward_wake() { Lookahead::notify(wake_); }
  void reap();  // spins until a completion lands or the next arrival is due; handles completions
  Picos next_gap();

  System& sys_;
  LoadParams params_;
  SizeDistribution sizes_;
  RandomStream arrival_rng_, size_rng_;
  bool closed_ = false;
  verbs::VerbsDevice& verbs_;
  verbs::Cq* host_cq_ = nullptr;
  verbs::Qp* host_qp_ = nullptr;
  std::unique_ptr<SimContext> ctx_;  // cpu0, the host thread's
  PerftestPeer* peer_ = nullptr;     // owned by the I/O unit
  std::uint64_t buf_ = 0;
  verbs::Mr mr_;
  Sge sge_{};
  verbs::SendWr request_;
  // Per in-flight op, by op index % depth: when it arrived and its size.
  std::vector<Picos> arrival_ps_;
  std::vector<std::uint32_t> size_;
  std::uint64_t total_ = 0, issued_ = 0, done_ = 0;
  Picos next_arrival_ = 0;
  bool arrival_armed_ = false;
  sc_core::sc_event arrival_due_, wake_;
  Picos first_measured_arrival_ = 0, last_completion_ = 0;
  OpClassReport op_;
  std::uint64_t sq_full_waits_ = 0;
  bool finished_ = false;
  std::uint64_t errors_ = 0;
  TracedReal latency_ns_;
  TracedInt in_flight_;
};

}  // namespace hcasim
