#pragma once
// CQ fan-in (workload.kind = cq_fanin): many queue pairs coalescing into a few completion queues
// on one adapter, checked by the driver's completion service (docs/cq_manager.md) in the mode
// host.cq_manager picks, with request elements from the message pool (docs/msg_pool.md) in
// the mode host.pool.mode picks.
//
//   fanin.qps QPs, QP i reporting sends and receives to CQ i % fanin.cqs; each connected to an
//   echo service on the I/O unit that answers every request with a fanin.reply_size message.
//   fanin.senders threads issue requests open loop (Poisson, fanin.rate in all), round-robin
//   over the QPs: take a pool element (sync get: fails at once when none is free, counted, the
//   sender retries after fanin.retry_us; async get: queued FIFO, served by the put of a
//   completed send), post it as a SEND. Receive elements (fanin.recvs_per_qp per QP, from a
//   second pool) stay posted; each reply's callback reposts its element.
//   The completion service's callbacks: outbound (send done) returns the element to the pool;
//   inbound (reply) records the request's latency and reposts the receive. Each callback costs
//   fanin.callback_cycles.
//   An updater thread, fanin.update_rate times a second, stops and restarts monitoring a spare
//   QP or resizes a CQ (updates of the service's lists: they exclude every checker).
//
// CPUs: the checkers first (single: 1; multi: fanin.checkers; dpc: the CQs' interrupts go to
// the first fanin.checkers CPUs; per_cq_poller: one per CQ), then the senders, then the updater.
#include <systemc>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "host_os/driver/host_completion_manager.hpp"
#include "host_os/host_stack_params.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "host_os/verbs/pool_memory.hpp"
#include "models/core/random.hpp"
#include "models/core/run_report.hpp"
#include "models/iounit/echo_service.hpp"
#include "workloads/system.hpp"
#include "workloads/workload.hpp"

namespace hcasim {

struct CqFaninParams {
  std::uint32_t qps;
  std::uint32_t cqs;
  std::uint32_t checkers;
  std::uint32_t senders;
  double rate;
  std::uint32_t size;
  std::uint32_t reply_size;
  std::uint32_t recvs_per_qp;
  std::uint32_t cq_entries;
  double cq_high_water;
  std::uint32_t callback_cycles;
  double retry_us;
  double update_rate;
  double duration_us;
  double warmup_us;

  template <class V>
  void visit(V& v) {
    v.integer(qps, "fanin.qps", "QPs", 32, 1, 1024, "queue pairs, each to its own echo service");
    v.integer(cqs, "fanin.cqs", "CQs", 4, 1, 64,
              "completion queues the QPs report to (QP i to CQ "
              "i % cqs)");
    v.integer(checkers, "fanin.checkers", "threads", 2, 1, 64,
              "checking threads (multi), or CPUs taking the CQ interrupts (dpc)");
    v.integer(senders, "fanin.senders", "threads", 1, 1, 64, "threads issuing requests");
    v.real(rate, "fanin.rate", "per_s", 2e6, 1.0, 1e9, "requests per second, all senders together");
    v.integer(size, "fanin.size", "B", 64, 1, 1 << 20,
              "bytes per request (a pool element's buffer)");
    v.integer(reply_size, "fanin.reply_size", "B", 64, 1, 1 << 20, "bytes per reply");
    v.integer(recvs_per_qp, "fanin.recvs_per_qp", "WRs", 8, 1, 1024,
              "receive elements kept posted on each QP");
    v.integer(cq_entries, "fanin.cq_entries", "entries", 0, 0, 1 << 20,
              "entries per CQ (0: enough for every send and receive its QPs can have); fewer "
              "can overrun: the adapter raises a CQ error, the driver resizes the CQ (doubling)");
    v.real(cq_high_water, "fanin.cq_high_water", "ratio", 0.75, 0.0, 1.0,
           "a callback that finds its CQ fuller than this share of its entries asks for the "
           "CQ to be doubled before it overruns (0: only after an overrun's CQ error)");
    v.integer(callback_cycles, "fanin.callback_cycles", "cycles", 300, 0, 100000000,
              "the owner's work per completion, in its callback");
    v.real(retry_us, "fanin.retry_us", "us", 1.0, 0.001, 1e6,
           "sync pool mode: how long a sender waits before trying a failed get again");
    v.real(update_rate, "fanin.update_rate", "per_s", 2000.0, 0.0, 1e9,
           "service updates per second (stop/restart monitoring a QP, resize a CQ); 0: none");
    v.real(duration_us, "fanin.duration_us", "us", 2000.0, 1.0, 1e9, "simulated time of the run");
    v.real(warmup_us, "fanin.warmup_us", "us", 100.0, 0.0, 1e9,
           "simulated time before the figures start counting");
  }
};

class CqFanin : public sc_core::sc_module, public Workload {
 public:
  CqFanin(sc_core::sc_module_name name, System& system, const CqFaninParams& params,
          const HostStackParams& stack, std::uint64_t seed, TraceSink* trace);
  ~CqFanin() override;

  bool finished() const override { return finished_; }
  std::uint64_t errors() const override { return errors_; }
  void report(RunReport& out) const override;
  void print_table(std::ostream& out) const override;

  // Headline figures (tests, sweeps).
  struct Summary {
    std::uint64_t requests = 0;     // replies received in the window
    double completions_per_s = 0;   // callbacks run per second (both directions)
    std::uint64_t completions = 0;  // callbacks in the window
    std::uint64_t empty_checks = 0, claim_misses = 0, interrupts = 0, dpc_runs = 0;
    std::uint64_t deferrals = 0, retriggers = 0, updates = 0, dropped = 0;
    std::uint64_t failed_gets = 0, pool_waits = 0, registrations = 0;
    std::uint64_t cq_errors = 0, cq_recoveries = 0, completions_lost = 0;
    std::uint64_t cq_early_resizes = 0;  // CQs doubled at the high-water mark, before overrun
    // Whole-run accounting (not only the window): every send posted is either completed
    // (its callback ran) or still outstanding, and every pool element in use is a posted send
    // not yet completed or one a sender holds between get and post.
    std::uint64_t sends_posted = 0, send_callbacks = 0, reply_callbacks = 0;
    std::uint64_t elements_in_use = 0, elements_held = 0, sends_outstanding = 0;
  };
  Summary summary() const;
  const HostCompletionManager& manager() const { return *manager_; }

 private:
  struct Sender;
  void starter();
  void sender(unsigned s);
  void updater();
  void recovery();
  void on_send_done(SimContext& c, const WorkCompletion& wc);
  void on_reply(SimContext& c, const WorkCompletion& wc);
  void post_request(SimContext& c, unsigned qp, const msg_pool::Handle& h);
  bool measuring() const { return now_ps() >= begin_ && now_ps() < end_; }
  static void on_element(SimPlatform::Context& server, verbs::MessagePool::Request& r);

  System& sys_;
  CqFaninParams params_;
  HostStackParams stack_;
  CqManagerMode mode_;
  bool async_;
  Picos begin_ = 0, end_ = 0, start_ = 0;
  verbs::VerbsDevice& dev_;
  std::vector<verbs::Cq*> cqs_;
  std::vector<verbs::Qp*> qps_;
  verbs::Qp* spare_ = nullptr;
  std::vector<EchoService*> echoes_;  // owned by the I/O unit
  std::unique_ptr<verbs::PoolMemory> pool_memory_;
  std::unique_ptr<verbs::MessagePool> send_pool_, recv_pool_;
  std::unique_ptr<HostCompletionManager> manager_;
  std::vector<std::unique_ptr<SimThread>> threads_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::vector<std::deque<Picos>> posted_at_;  // per QP: post times of requests not yet answered
  std::vector<std::uint32_t> recv_qp_;        // receive element index -> its QP
  RandomStream arrivals_;
  OpClassReport request_, cqe_to_callback_;
  std::uint64_t completions_ = 0, failed_gets_ = 0, pool_waits_ = 0;
  Picos pool_wait_ps_ = 0;
  LogLinearHistogram pool_wait_ns_;
  bool finished_ = false;
  std::uint64_t errors_ = 0;
  TracedInt pool_free_;
  // CQ-error recovery: the async event's DPC marks the CQ; a thread resizes it (an update).
  std::unique_ptr<SimThread> recovery_thread_;
  std::vector<bool> cq_failed_;  // by position in cqs_
  sc_core::sc_event cq_failed_event_;
  std::uint64_t cq_errors_ = 0, cq_recoveries_ = 0, cq_early_resizes_ = 0;
  std::vector<bool> cq_filling_;          // by position in cqs_: past the high-water mark
  std::vector<std::uint32_t> cq_of_qpn_;  // QP number -> position of its CQ in cqs_
  void check_high_water(std::uint32_t qpn);
  std::uint64_t send_callbacks_ = 0, reply_callbacks_ = 0, held_ = 0, sends_posted_ = 0;
  std::uint64_t waiting_ = 0;  // senders whose asynchronous get is queued
  bool stopping_ = false;      // the checkers' loops end
};

}  // namespace hcasim
