// The adapter driver's guarded resources: setup, the work paths (post, poll) and the updates
// (see adapter_driver.hpp).
#include "host_os/driver/adapter_driver.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace hcasim {

AdapterDriver::AdapterDriver(std::string name, AdapterContext& adapter, SimPlatform& platform,
                             sync::SyncKind kind, const HostParams& params, TraceSink* trace,
                             sync::Retrigger<SimPlatform> retrigger)
    : name_(std::move(name)),
      adapter_(adapter),
      platform_(platform),
      params_(params),
      guard_(platform, kind, std::move(retrigger)) {
  workers_inside_.attach(trace, name_ + ".workers_inside", 16);
  update_pending_.attach(trace, name_ + ".update_pending", 1);
  updater_active_.attach(trace, name_ + ".updater_active", 1);
  std::vector<std::string> states;
  for (auto s : {sync::GuardState::idle, sync::GuardState::working, sync::GuardState::draining,
                 sync::GuardState::updating, sync::GuardState::destroyed})
    states.emplace_back(sync::to_string(s));
  state_.attach_enum(trace, name_ + ".state", states);
}

AdapterDriver::Cq& AdapterDriver::create_cq(std::uint32_t entries, std::uint32_t max_wqs) {
  auto cq = std::make_unique<Cq>();
  cq->cq = &adapter_.create_cq(entries);
  cq->entries = entries;
  cq->wqs.reserve(max_wqs);
  cqs_.push_back(std::move(cq));
  return *cqs_.back();
}

AdapterDriver::Wq& AdapterDriver::create_wq(Cq& send_cq, Cq& recv_cq, std::uint32_t sq_entries,
                                            std::uint32_t rq_entries, QpState initial,
                                            QpType type) {
  auto wq = std::make_unique<Wq>();
  wq->qp = &adapter_.create_qp(*send_cq.cq, *recv_cq.cq, sq_entries, rq_entries, initial, type);
  wq->send_cq = &send_cq;
  wq->recv_cq = &recv_cq;
  for (Cq* cq : {&send_cq, &recv_cq}) {
    if (std::find(cq->wqs.begin(), cq->wqs.end(), wq.get()) != cq->wqs.end()) continue;
    if (cq->wqs.size() == cq->wqs.capacity())
      throw std::logic_error(name_ + ": more WQs on a CQ than its max_wqs");
    cq->wqs.push_back(wq.get());
  }
  wqs_.push_back(std::move(wq));
  return *wqs_.back();
}

void AdapterDriver::came_in() {
  if (updating_) ++stats_.violations;  // an update is running: no worker may be inside
  if (++inside_ == 2) overlap_since_ = now_ps();
  workers_inside_.set(inside_);
}

void AdapterDriver::went_out() {
  if (updating_) ++stats_.violations;
  if (inside_-- == 2) overlap_ps_ += now_ps() - overlap_since_;
  workers_inside_.set(inside_);
}

Picos AdapterDriver::overlap_ps() const {
  return overlap_ps_ + (inside_ >= 2 ? now_ps() - overlap_since_ : 0);
}

AdapterDriver::Wq* AdapterDriver::find(Cq& cq, std::uint32_t qpn) {
  for (Wq* w : cq.wqs)
    if (w->qp->qpn == qpn) return w;
  return nullptr;
}

bool AdapterDriver::post_send(SimContext& c, Wq& wq, const SendRequest& wr, bool ring) {
  platform_.load(c, table_.generation, std::memory_order_acquire);  // look the WQ up
  if (wq.destroyed) return false;
  c.run(params_.post_send_cycles);
  return adapter_.post_send(*wq.qp, wr, ring);
}

void AdapterDriver::ring_send(SimContext&, Wq& wq) { adapter_.ring_send_doorbell(*wq.qp); }

bool AdapterDriver::post_recv(SimContext& c, Wq& wq, std::uint64_t wr_id, const Sge* sges,
                              std::uint32_t n) {
  platform_.load(c, table_.generation, std::memory_order_acquire);  // look the WQ up
  if (wq.destroyed) return false;
  c.run(params_.post_recv_cycles);
  return adapter_.post_recv(*wq.qp, wr_id, sges, n);
}

unsigned AdapterDriver::poll(SimContext& c, Cq& cq, WorkCompletion* out, unsigned max,
                             bool charge_poll) {
  std::uint64_t free = 0;
  if (!platform_.compare_exchange(c, cq.claim.owner, free, c.cpu().index() + 1,
                                  std::memory_order_acquire)) {
    ++stats_.claim_misses;
    return 0;
  }
  platform_.load(c, table_.generation, std::memory_order_acquire);  // the CQ's WQ list
  if (charge_poll) c.run(params_.poll_cycles);
  const unsigned n = cq.cq->poll(out, max);
  platform_.store(c, cq.claim.owner, 0, std::memory_order_release);
  unsigned kept = 0;
  for (unsigned i = 0; i < n; ++i) {
    adapter_.retire(out[i]);  // frees the slot whatever happens to the entry
    if (!find(cq, out[i].qpn)) {
      ++cq.dropped;
      continue;
    }
    c.run(params_.completion_cycles);
    out[kept++] = out[i];
  }
  return kept;
}

bool AdapterDriver::attach_wq(SimContext& c, Cq& cq, Wq& wq, std::uint64_t cycles) {
  return update(c, cycles, [&] {
    if (wq.destroyed || find(cq, wq.qp->qpn) || cq.wqs.size() == cq.wqs.capacity()) return;
    cq.wqs.push_back(&wq);
  });
}

bool AdapterDriver::detach_wq(SimContext& c, Cq& cq, Wq& wq, std::uint64_t cycles) {
  return update(c, cycles, [&] {
    const auto it = std::find(cq.wqs.begin(), cq.wqs.end(), &wq);
    if (it != cq.wqs.end()) cq.wqs.erase(it);
  });
}

bool AdapterDriver::resize_cq(SimContext& c, Cq& cq, std::uint32_t entries, std::uint64_t cycles) {
  return update(c, cycles, [&] { cq.entries = entries; });
}

bool AdapterDriver::set_moderation(SimContext& c, Cq& cq, std::uint32_t count, Picos period,
                                   std::uint64_t cycles) {
  return update(c, cycles, [&] {
    cq.mod_count = count;
    cq.mod_period = period;
    adapter_.hca().modify_cq_moderation(cq.cq->cqn(), count, period);
  });
}

bool AdapterDriver::destroy_wq(SimContext& c, Wq& wq, std::uint64_t cycles) {
  return update(c, cycles, [&] {
    for (Cq* cq : {wq.send_cq, wq.recv_cq}) {
      const auto it = std::find(cq->wqs.begin(), cq->wqs.end(), &wq);
      if (it != cq->wqs.end()) cq->wqs.erase(it);
    }
    wq.destroyed = true;
  });
}

}  // namespace hcasim
