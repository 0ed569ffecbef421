#pragma once
// The driver's completion service on the simulated host (docs/cq_manager.md): the algorithm of
// host_os/cq_manager (one source, also a native library) over a verbs device's CQs, with the
// adapter's completion interrupts wired to it. Modes (host.cq_manager):
//   single         one checking thread: check all CQs round-robin; when nothing is there, arm
//                  and sleep until a CQ's interrupt (its DPC) wakes it;
//   multi          M checking threads doing the same at once (a CQ is claimed by one at a time);
//   dpc            interrupt-driven: each CQ's interrupt runs a DPC that checks that CQ (never
//                  blocking: while an update runs the DPC defers, and the update's end requeues
//                  exactly the deferred CQs), drains it and re-arms it;
//   per_cq_poller  the baseline: one dedicated thread per CQ, arming and sleeping on its own CQ.
// Threads are the caller's (the workload's); run_checker / run_poller are their loops.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host_os/cq_manager/completion_service.hpp"
#include "host_os/sim/interrupt_controller.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "host_os/verbs/verbs_device.hpp"
#include "models/core/lookahead.hpp"
#include "models/core/trace_source.hpp"

namespace hcasim {

enum class CqManagerMode : std::uint8_t { single, multi, dpc, per_cq_poller };
// "single", "multi", "dpc", "per_cq_poller"; nullopt for anything else.
std::optional<CqManagerMode> cq_manager_mode_from_string(const std::string& s);
const char* to_string(CqManagerMode m);

class HostCompletionManager {
 public:
  // Reaches the verbs device's CQs by CQ number (the adapter hands them out from 0).
  struct Backend {
    using Completion = WorkCompletion;
    verbs::VerbsDevice* device = nullptr;
    std::vector<verbs::Cq*> cqs;  // by CQ number
    unsigned poll(SimContext& c, std::uint32_t cq, WorkCompletion* out, unsigned max) {
      return device->service_poll(c, *cqs[cq], out, max);
    }
    bool arm(SimContext& c, std::uint32_t cq) {
      device->service_arm(c, *cqs[cq]);
      return false;
    }
    std::uint32_t wq_of(const WorkCompletion& wc) const { return wc.qpn; }
    cq::Direction direction_of(const WorkCompletion& wc) const {
      return wc.is_recv ? cq::Direction::inbound : cq::Direction::outbound;
    }
  };
  using Service = cq::CompletionService<SimPlatform, Backend>;
  using Callback = Service::Callback;

  // `cqs`: the CQs the service checks (their interrupt vectors are their CQ numbers); their
  // interrupts are routed round-robin over `irq_cpus`. `budget`: entries per CQ per visit.
  HostCompletionManager(std::string name, verbs::VerbsDevice& device, SimPlatform& platform,
                        InterruptController& interrupts, const std::vector<SimCpu*>& cpus,
                        sync::SyncKind kind, CqManagerMode mode, std::vector<verbs::Cq*> cqs,
                        std::vector<unsigned> irq_cpus, unsigned budget, TraceSink* trace);
  HostCompletionManager(const HostCompletionManager&) = delete;
  HostCompletionManager& operator=(const HostCompletionManager&) = delete;

  // First thing at run time (an update): the CQs join the service; in dpc mode they are armed.
  void start(SimContext& c);
  // Updates of the monitored lists (they exclude every checker while they run).
  bool monitor(SimContext& c, verbs::Qp& qp, cq::Direction dir, Callback callback);
  bool stop_monitoring(SimContext& c, verbs::Qp& qp, cq::Direction dir);
  // Resizes a CQ through the update path (the service excludes its checkers meanwhile).
  bool resize_cq(SimContext& c, verbs::Cq& cq, std::uint32_t entries);

  // A checking thread's loop (single / multi): arm-and-wait until `stop()` is true.
  template <class Stop>
  void run_checker(SimContext& c, Stop stop);
  // A dedicated poller's loop (per_cq_poller): its CQ only.
  template <class Stop>
  void run_poller(SimContext& c, verbs::Cq& cq, Stop stop);
  // Starts the mode's threads on `threads` (single and multi: a checker loop on each;
  // per_cq_poller: thread k polls the k-th CQ given at construction; dpc: none are needed).
  // Each runs until `stop()` is true once woken (wake_all).
  template <class Stop>
  void spawn_threads(const std::vector<SimThread*>& threads, Stop stop);
  // Wakes every sleeping checker (end of run).
  void wake_all(SimContext& c);

  CqManagerMode mode() const { return mode_; }
  cq::CompletionStats stats() const { return service_->stats(); }
  std::uint64_t dpc_runs() const { return dpc_runs_; }
  std::uint32_t monitored() const { return static_cast<std::uint32_t>(monitored_.get()); }
  const std::string& name() const { return name_; }

 private:
  static void on_dpc(void* self, std::uint64_t cq, SimContext& kernel);
  void requeue(SimContext& c, std::uint32_t cq);

  std::string name_;
  verbs::VerbsDevice& device_;
  CqManagerMode mode_;
  unsigned budget_;
  Picos wake_ps_;  // the platform's wake-up latency: a sleeping poller runs again this late
  Backend backend_;
  std::vector<verbs::Cq*> cqs_;
  std::vector<SimCpu*> cq_cpu_;  // by CQ number: the CPU its interrupt and DPC run on
  std::unique_ptr<Service> service_;
  std::uint64_t dpc_runs_ = 0;
  TracedInt monitored_;
  std::vector<std::unique_ptr<TracedInt>> owner_;  // by CQ number: holder's CPU + 1, or 0
  // per_cq_poller: each poller sleeps on its own CQ's interrupt.
  std::vector<std::unique_ptr<sc_core::sc_event>> cq_event_;
  std::vector<std::uint64_t> cq_signal_;
};

template <class Stop>
void HostCompletionManager::run_checker(SimContext& c, Stop stop) {
  while (!stop()) service_->arm_and_wait(c, budget_);
}

template <class Stop>
void HostCompletionManager::spawn_threads(const std::vector<SimThread*>& threads, Stop stop) {
  if (mode_ == CqManagerMode::dpc) return;
  for (unsigned k = 0; k < threads.size(); ++k) {
    SimThread* t = threads[k];
    const bool poller = mode_ == CqManagerMode::per_cq_poller;
    Lookahead::spawn_thread(
        [this, t, k, poller, stop] {
          t->start();
          if (poller) {
            run_poller(t->context(), *cqs_[k], stop);
          } else {
            run_checker(t->context(), stop);
          }
          t->finish();
        },
        (poller ? "poller" : "checker") + std::to_string(k));
  }
}

template <class Stop>
void HostCompletionManager::run_poller(SimContext& c, verbs::Cq& cq, Stop stop) {
  const std::uint32_t n = cq.cqn();
  while (!stop()) {
    if (service_->check_one(c, n, budget_) > 0) continue;
    // Nothing there: arm, look once more (the race of docs/cq_manager.md), then sleep until
    // this CQ's interrupt.
    const std::uint64_t ticket = cq_signal_[n];
    device_.service_arm(c, cq);
    if (service_->check_one(c, n, budget_) > 0 || stop()) continue;
    if (cq_signal_[n] != ticket) continue;
    c.begin_block();
    while (cq_signal_[n] == ticket && !stop()) Lookahead::wait_on(*cq_event_[n]);
    c.end_block(wake_ps_);
  }
}

}  // namespace hcasim
