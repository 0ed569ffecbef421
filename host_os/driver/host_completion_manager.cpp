// The driver's completion service on the simulated host (see host_completion_manager.hpp).
#include "host_os/driver/host_completion_manager.hpp"
#include "models/core/lookahead.hpp"

#include <stdexcept>

namespace hcasim {

std::optional<CqManagerMode> cq_manager_mode_from_string(const std::string& s) {
  for (CqManagerMode m : {CqManagerMode::single, CqManagerMode::multi, CqManagerMode::dpc,
                          CqManagerMode::per_cq_poller})
    if (s == to_string(m)) return m;
  return std::nullopt;
}

const char* to_string(CqManagerMode m) {
  switch (m) {
    case CqManagerMode::single:
      return "single";
    case CqManagerMode::multi:
      return "multi";
    case CqManagerMode::dpc:
      return "dpc";
    case CqManagerMode::per_cq_poller:
      return "per_cq_poller";
  }
  return "?";
}

HostCompletionManager::HostCompletionManager(std::string name, verbs::VerbsDevice& device,
                                             SimPlatform& platform, InterruptController& interrupts,
                                             const std::vector<SimCpu*>& cpus, sync::SyncKind kind,
                                             CqManagerMode mode, std::vector<verbs::Cq*> cqs,
                                             std::vector<unsigned> irq_cpus, unsigned budget,
                                             TraceSink* trace)
    : name_(std::move(name)),
      device_(device),
      mode_(mode),
      budget_(budget),
      wake_ps_(platform.params().wakeup_ps),
      cqs_(std::move(cqs)) {
  if (cqs_.empty() || irq_cpus.empty())
    throw std::logic_error(name_ + ": a completion service needs CQs and interrupt CPUs");
  std::uint32_t top = 0;
  for (verbs::Cq* cq : cqs_) top = std::max(top, cq->cqn() + 1);
  backend_.device = &device;
  backend_.cqs.assign(top, nullptr);
  cq_cpu_.assign(top, nullptr);
  cq_signal_.assign(top, 0);
  for (std::uint32_t i = 0; i < top; ++i)
    cq_event_.push_back(std::make_unique<sc_core::sc_event>());
  cq::CompletionServiceConfig config;
  config.max_cqs = top;
  service_ = std::make_unique<Service>(platform, backend_, kind, config,
                                       [this](SimContext& c, std::uint32_t cq) { requeue(c, cq); });
  // Each CQ's interrupt vector is its number; vectors go round-robin over the interrupt CPUs.
  for (std::size_t i = 0; i < cqs_.size(); ++i) {
    const std::uint32_t n = cqs_[i]->cqn();
    backend_.cqs[n] = cqs_[i];
    const unsigned cpu = irq_cpus[i % irq_cpus.size()];
    cq_cpu_[n] = cpus.at(cpu);
    interrupts.route(n, cpu, Dpc{&HostCompletionManager::on_dpc, this, n});
  }
  monitored_.attach(trace, name_ + ".monitored_wqs", 16);
  for (std::uint32_t n = 0; n < top; ++n) owner_.push_back(std::make_unique<TracedInt>());
  for (verbs::Cq* cq : cqs_)
    owner_[cq->cqn()]->attach(trace, name_ + ".cq" + std::to_string(cq->cqn()) + "_checker", 8);
  service_->set_claim_observer([this](SimContext& c, std::uint32_t cq, bool held) {
    owner_[cq]->set(held ? c.cpu().index() + 1 : 0);
  });
}

void HostCompletionManager::start(SimContext& c) {
  for (verbs::Cq* cq : cqs_) service_->add_cq(c, cq->cqn());
  if (mode_ == CqManagerMode::dpc) service_->arm_all(c);
}

bool HostCompletionManager::monitor(SimContext& c, verbs::Qp& qp, cq::Direction dir,
                                    Callback callback) {
  const bool ok = service_->monitor(c, qp.qp_num(), dir, std::move(callback));
  if (ok) monitored_.inc();
  return ok;
}

bool HostCompletionManager::stop_monitoring(SimContext& c, verbs::Qp& qp, cq::Direction dir) {
  const bool ok = service_->stop_monitoring(c, qp.qp_num(), dir);
  if (ok) monitored_.dec();
  return ok;
}

bool HostCompletionManager::resize_cq(SimContext& c, verbs::Cq& cq, std::uint32_t entries) {
  int err = EINVAL;
  service_->resize_cq(c, cq.cqn(), [&] { err = device_.resize_cq(c, cq, entries); });
  return err == 0;
}

void HostCompletionManager::wake_all(SimContext& c) {
  service_->notify_completion(c, 0);
  for (std::size_t n = 0; n < cq_event_.size(); ++n) {
    ++cq_signal_[n];
    Lookahead::notify_delta(*cq_event_[n]);
  }
}

// A CQ's interrupt: its DPC checks the CQ (dpc mode) or wakes whoever sleeps on it.
void HostCompletionManager::on_dpc(void* self, std::uint64_t arg, SimContext& kernel) {
  auto& m = *static_cast<HostCompletionManager*>(self);
  const auto cq = static_cast<std::uint32_t>(arg);
  ++m.dpc_runs_;
  switch (m.mode_) {
    case CqManagerMode::dpc:
      // Drains, re-arms and polls once more; defers (requeued at the update's end) when an
      // update is running.
      m.service_->try_check(kernel, cq, m.budget_);
      break;
    case CqManagerMode::per_cq_poller:
      ++m.cq_signal_[cq];
      Lookahead::notify_delta(*m.cq_event_[cq]);
      break;
    default:
      m.service_->notify_completion(kernel, cq);
      break;
  }
}

// The service asks for a CQ to be checked again (deferred by an update, or budget used up):
// queue its DPC on the CPU its interrupt goes to.
void HostCompletionManager::requeue(SimContext&, std::uint32_t cq) {
  cq_cpu_[cq]->queue_dpc(Dpc{&HostCompletionManager::on_dpc, this, cq});
}

}  // namespace hcasim
