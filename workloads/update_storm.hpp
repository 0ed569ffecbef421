#pragma once
// The update storm (workload.kind = update_storm): how the driver's synchronization (host.sync =
// algorithm | algorithm_atomic | global_lock | rwlock | percpu) holds up when K worker threads
// post and poll as fast as they can while an update thread changes the shared resources at a
// set rate.
//
// K workers, each bound to its own CPU (cpu0 .. cpuK-1), each with its own QP to the I/O unit
// (a sink that keeps receives posted), sharing the driver's resources (AdapterDriver): loop
//   enter -> post up to storm.batch SENDs -> exit;  enter -> poll the CQ, handle each completion
//   (storm.callback_cycles of the consumer's work) -> exit.
// One update thread on cpuK attaches / detaches a spare WQ, changes a CQ's interrupt moderation
// and resizes a CQ in turn, storm.update_rate times per second (Poisson or fixed arrivals), each
// costing storm.update_cycles. The run lasts storm.duration_us of simulated time; figures count
// from storm.warmup_us on.
//
// Reported (summary.json "contention" under update_storm.*): worker throughput, time workers
// waited to enter (total and distribution), updater latency from request to start
// (distribution), time with at least two workers inside at once, line transfers of the guard's
// lock word, and locktorture-style counts (ops, updates, violations -- must be 0 -- and the
// spread between the busiest and idlest worker).
#include <systemc>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host_os/driver/adapter_driver.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "models/core/random.hpp"
#include "models/core/run_report.hpp"
#include "models/iounit/perftest_peer.hpp"
#include "workloads/system.hpp"
#include "workloads/workload.hpp"

namespace hcasim {

struct UpdateStormParams {
  std::uint32_t workers;
  std::uint32_t cqs;
  std::uint32_t batch;
  std::uint32_t size;
  std::uint32_t sq_depth;
  std::uint32_t callback_cycles;
  double update_rate;
  std::string arrivals;
  std::uint32_t update_cycles;
  double duration_us;
  double warmup_us;

  template <class V>
  void visit(V& v) {
    v.integer(workers, "storm.workers", "threads", 0, 0, 255,
              "worker threads, one per CPU from cpu0 (0: host.cpus - 1); the update thread "
              "runs on the next CPU");
    v.integer(cqs, "storm.cqs", "CQs", 0, 0, 255,
              "completion queues the workers' QPs report to, round-robin (0: one per worker)");
    v.integer(batch, "storm.batch", "WRs", 8, 1, 16,
              "SENDs posted per post section, and most completions reaped per poll section");
    v.integer(size, "storm.size", "B", 8, 1, 1 << 20, "bytes per SEND (inline when it fits)");
    v.integer(sq_depth, "storm.sq_depth", "WRs", 32, 1, 8192, "send queue of each worker's QP");
    v.integer(callback_cycles, "storm.callback_cycles", "cycles", 2600, 0, 100000000,
              "consumer's work per completion, done inside the resource (the callback)");
    v.real(update_rate, "storm.update_rate", "per_s", 20000.0, 0.0, 1e9,
           "updates requested per second of simulated time (0: none)");
    v.choice(arrivals, "storm.arrivals", "poisson", {"poisson", "fixed"},
             "update arrivals: poisson (exponential gaps) or fixed (1/storm.update_rate)");
    v.integer(update_cycles, "storm.update_cycles", "cycles", 2000, 0, 100000000,
              "CPU cost of one update's own work (while it holds the resource)");
    v.real(duration_us, "storm.duration_us", "us", 2000.0, 1.0, 1e9,
           "simulated time the workers and the updater run");
    v.real(warmup_us, "storm.warmup_us", "us", 20.0, 0.0, 1e9,
           "simulated time before the figures start counting");
  }
};

class UpdateStorm : public sc_core::sc_module, public Workload {
 public:
  // The headline figures (also in the report), for tests and the benchmark.
  struct Summary {
    std::uint32_t workers = 0;
    double throughput_per_s = 0;    // completions handled by all workers per second
    double sections_per_s = 0;      // guarded work sections per second
    std::uint64_t completions = 0;  // in the measured window
    std::uint64_t updates = 0;
    std::uint64_t violations = 0;
    std::uint64_t busiest = 0, idlest = 0;  // completions per worker
    double wait_share = 0;                  // share of worker time spent entering
    double updater_latency_p50_ns = 0, updater_latency_max_ns = 0;
    double overlap_ratio = 0;  // share of time with >= 2 workers inside
    std::uint64_t lock_line_transfers = 0;
  };

  UpdateStorm(sc_core::sc_module_name name, System& system, const UpdateStormParams& params,
              std::uint64_t seed, TraceSink* trace);

  bool finished() const override { return finished_; }
  std::uint64_t errors() const override { return errors_ + driver_->stats().violations; }
  void report(RunReport& out) const override;
  void print_table(std::ostream& out) const override;
  Summary summary() const;
  const AdapterDriver& driver() const { return *driver_; }
  const SimPlatform& platform() const { return *platform_; }

 private:
  static constexpr unsigned kPollBatch = 16;

  void worker(unsigned w);
  void updater();
  void thread_done();
  bool measuring() const;
  Picos next_gap();
  // Transfer time of the guard's busiest cache line so far.
  Picos busiest_guard_line_ps() const;

  System& sys_;
  UpdateStormParams params_;
  unsigned workers_ = 0;
  Picos start_ = 0;                  // workers begin posting
  Picos begin_ = 0, end_ = 0;        // measured window
  SimPlatform* platform_ = nullptr;  // the host's (System)
  AdapterDriver* driver_ = nullptr;  // the guarded driver of the host adapter's verbs device
  std::vector<std::unique_ptr<SimThread>> threads_;  // workers, then the updater
  std::vector<AdapterDriver::Wq*> wqs_;
  std::vector<AdapterDriver::Cq*> cqs_;
  AdapterDriver::Wq* spare_ = nullptr;                // the WQ the updater attaches and detaches
  std::vector<PerftestPeer*> sinks_;                  // owned by the I/O unit
  std::vector<verbs::Qp*> qps_;                       // one per worker
  Sge payload_{};                                     // every SEND's (inline when it fits)
  std::vector<std::vector<verbs::SendWr>> requests_;  // one batch per worker, built once
  std::vector<std::uint64_t> completions_, sections_;
  RandomStream arrivals_;
  OpClassReport send_, update_;
  std::uint64_t updates_requested_ = 0;
  unsigned running_ = 0;
  bool finished_ = false;
  std::uint64_t errors_ = 0;
};

}  // namespace hcasim
