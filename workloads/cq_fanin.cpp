// CQ fan-in through the driver's completion service (see cq_fanin.hpp).
#include "workloads/cq_fanin.hpp"
#include "models/core/lookahead.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace hcasim {

// A sender thread and what its asynchronous get waits on.
struct CqFanin::Sender {
  std::unique_ptr<SimThread> thread;
  unsigned next_qp = 0;
  verbs::MessagePool::Request request;
  msg_pool::Handle handle{};
  bool served = false;
  sc_core::sc_event served_event;
};

CqFanin::CqFanin(sc_core::sc_module_name name, System& system, const CqFaninParams& params,
                 const HostStackParams& stack, std::uint64_t seed, TraceSink* trace)
    : sc_module(name),
      sys_(system),
      params_(params),
      stack_(stack),
      mode_(*cq_manager_mode_from_string(stack.cq_manager)),
      async_(stack.pool_mode == "async"),
      dev_(system.verbs()),
      arrivals_(seed, std::string(this->name()) + ".arrivals") {
  const HostParams& hp = sys_.host_params;
  const unsigned checkers = mode_ == CqManagerMode::single          ? 1
                            : mode_ == CqManagerMode::per_cq_poller ? params_.cqs
                                                                    : params_.checkers;
  const unsigned need = checkers + params_.senders + 1;
  if (need > hp.cpus)
    throw ConfigError("key 'host.cpus': " + std::to_string(hp.cpus) + " CPUs, but cq_fanin with " +
                      "host.cq_manager = " + stack.cq_manager + " needs " + std::to_string(need) +
                      " (" + std::to_string(checkers) + " checking, " +
                      std::to_string(params_.senders) + " sending, 1 updating)");
  if (params_.cqs > params_.qps)
    throw ConfigError("key 'fanin.cqs': " + std::to_string(params_.cqs) + " CQs for fanin.qps = " +
                      std::to_string(params_.qps) + " QPs; allowed: 1 .. fanin.qps");
  // The first sends wait until every echo service's receives reached its adapter.
  start_ = 2'000'000 + Picos{params_.qps} * sys_.iou_params.recv_depth * 5'000;
  begin_ = std::max(us_to_ps(params_.warmup_us), start_);
  end_ = us_to_ps(params_.duration_us);
  if (begin_ >= end_)
    throw ConfigError("key 'fanin.duration_us': " + std::to_string(params_.duration_us) +
                      " us leaves no time to measure after the warm-up (" +
                      std::to_string(static_cast<double>(begin_) / 1e6) + " us)");

  // Queues: every CQ holds all its QPs' sends and receives at once (no overrun by design).
  const unsigned per_cq = (params_.qps + params_.cqs - 1) / params_.cqs;
  const std::uint32_t sq = pow2_at_least(stack_.pool_elements);
  const std::uint32_t cq_entries =
      params_.cq_entries ? params_.cq_entries
                         : pow2_at_least(std::uint64_t(per_cq + 1) * (sq + params_.recvs_per_qp));
  for (unsigned i = 0; i < params_.cqs; ++i)
    cqs_.push_back(&dev_.create_cq(cq_entries, per_cq + 1));
  verbs::QpCaps caps;
  caps.max_send_wr = sq;
  caps.max_recv_wr = params_.recvs_per_qp;
  for (unsigned i = 0; i < params_.qps; ++i) {
    verbs::Cq& cq = *cqs_[i % params_.cqs];
    verbs::Qp& qp = dev_.create_qp(cq, cq, caps);
    qps_.push_back(&qp);
    const IouQueues peer = sys_.open_iou_queues(
        0, pow2_at_least(2ull * sys_.iou_params.recv_depth + 16), 64, sys_.iou_params.recv_depth);
    sys_.connect(dev_, qp, 0, peer);
    echoes_.push_back(&sys_.iou.serve_echo(peer, params_.size, params_.reply_size));
  }
  caps.max_send_wr = 1;
  caps.max_recv_wr = 1;
  spare_ = &dev_.create_qp(*cqs_[0], *cqs_[0], caps);

  // Pools: request elements (one buffer each), and the receive elements that stay posted.
  pool_memory_ = std::make_unique<verbs::PoolMemory>(*sys_.host.memory, dev_);
  msg_pool::PoolConfig send;
  send.name = std::string(this->name()) + ".send_pool";
  send.elements = stack_.pool_elements;
  send.buffer_bytes = {params_.size};
  send.access = kLocalWrite;
  send_pool_ = std::make_unique<verbs::MessagePool>(*sys_.platform, *pool_memory_, send);
  msg_pool::PoolConfig recv = send;
  recv.name = std::string(this->name()) + ".recv_pool";
  recv.elements = params_.qps * params_.recvs_per_qp;
  recv.buffer_bytes = {params_.reply_size};
  recv_pool_ = std::make_unique<verbs::MessagePool>(*sys_.platform, *pool_memory_, recv);
  pool_free_.attach(trace, std::string(this->name()) + ".send_pool_free", 20);
  pool_free_.set(stack_.pool_elements);
  send_pool_->set_free_observer(
      [this](std::uint32_t free, std::uint32_t) { pool_free_.set(free); });

  std::vector<SimCpu*> cpus;
  for (const auto& c : sys_.cpus) cpus.push_back(c.get());
  std::vector<unsigned> irq_cpus;
  for (unsigned k = 0; k < checkers; ++k) irq_cpus.push_back(k);
  manager_ = std::make_unique<HostCompletionManager>(
      std::string(sys_.host.name()) + ".cq_manager", dev_, *sys_.platform, *sys_.interrupts, cpus,
      *sync::sync_kind_from_string(hp.sync), mode_, cqs_, irq_cpus, stack_.cq_budget, trace);

  posted_at_.resize(params_.qps);
  request_.name = "request";
  cqe_to_callback_.name = "cqe_to_callback";
  const std::string base = this->name();
  for (unsigned k = 0; k < checkers; ++k) {
    threads_.push_back(
        std::make_unique<SimThread>(base + ".checker" + std::to_string(k), *sys_.cpus[k], trace));
  }
  for (unsigned s = 0; s < params_.senders; ++s) {
    auto snd = std::make_unique<Sender>();
    snd->thread = std::make_unique<SimThread>(base + ".sender" + std::to_string(s),
                                              *sys_.cpus[checkers + s], trace);
    snd->next_qp = s;
    senders_.push_back(std::move(snd));
  }
  threads_.push_back(std::make_unique<SimThread>(base + ".updater",
                                                 *sys_.cpus[checkers + params_.senders], trace));
  recovery_thread_ = std::make_unique<SimThread>(base + ".recovery",
                                                 *sys_.cpus[checkers + params_.senders], trace);
  cq_failed_.assign(cqs_.size(), false);
  cq_filling_.assign(cqs_.size(), false);
  for (unsigned i = 0; i < params_.qps; ++i) {
    const std::uint32_t qpn = qps_[i]->qp_num();
    if (cq_of_qpn_.size() <= qpn) cq_of_qpn_.resize(qpn + 1, 0);
    cq_of_qpn_[qpn] = i % params_.cqs;
  }
  dev_.set_async_handler([this](SimContext&, const AsyncEvent& e) {
    if (e.kind != AsyncEventKind::kCqError) return;
    for (std::size_t i = 0; i < cqs_.size(); ++i)
      if (cqs_[i]->cqn() == e.number) cq_failed_[i] = true;
    ++cq_errors_;
    Lookahead::notify_delta(cq_failed_event_);
  });
  Lookahead::spawn_thread([this] { starter(); }, "starter");
  Lookahead::spawn_thread([this] { recovery(); }, "recovery");
}

// The driver's answer to a CQ error, or to a CQ past its high-water mark: resize the CQ (double
// it) through the service's update path, which excludes the checkers meanwhile; after an error
// the adapter's CQ works again.
void CqFanin::recovery() {
  SimThread& t = *recovery_thread_;
  SimContext& c = t.context();
  auto wanted = [&] {
    for (std::size_t i = 0; i < cqs_.size(); ++i)
      if (cq_failed_[i] || cq_filling_[i]) return true;
    return false;
  };
  for (;;) {
    while (!wanted()) Lookahead::wait_on(cq_failed_event_);  // requests during a resize count too
    t.start();
    for (std::size_t i = 0; i < cqs_.size(); ++i) {
      if (!cq_failed_[i] && !cq_filling_[i]) continue;
      const bool after_error = cq_failed_[i];
      cq_failed_[i] = cq_filling_[i] = false;
      if (!manager_->resize_cq(c, *cqs_[i], cqs_[i]->cqe() * 2))
        ++errors_;
      else if (after_error)
        ++cq_recoveries_;
      else
        ++cq_early_resizes_;
    }
    t.finish();
  }
}

CqFanin::~CqFanin() = default;

// On the updater's CPU, before anything else: the service takes the CQs, monitors every QP,
// and the receive elements are posted; then the checkers, senders and updater start.
void CqFanin::starter() {
  SimThread& t = *threads_.back();
  SimContext& c = t.context();
  t.start();
  manager_->start(c);
  for (unsigned i = 0; i < params_.qps; ++i) {
    manager_->monitor(c, *qps_[i], cq::Direction::outbound,
                      [this](SimContext& cc, const WorkCompletion& wc) { on_send_done(cc, wc); });
    manager_->monitor(c, *qps_[i], cq::Direction::inbound,
                      [this](SimContext& cc, const WorkCompletion& wc) { on_reply(cc, wc); });
  }
  recv_qp_.assign(recv_pool_->elements(), 0);
  std::vector<msg_pool::Handle> h(recv_pool_->elements());
  if (recv_pool_->get_sync(c, recv_pool_->elements(), h.data()) != msg_pool::Status::ok) ++errors_;
  for (std::uint32_t e = 0; e < recv_pool_->elements(); ++e) {
    const unsigned qp = e / params_.recvs_per_qp;
    recv_qp_[h[e].index] = qp;
    const msg_pool::Descriptor* d = recv_pool_->descriptor(c, h[e]);
    const verbs::RecvWr wr{d->wr_id, reinterpret_cast<const Sge*>(d->sge), d->num_sge};
    if (dev_.post_recv(c, *qps_[qp], &wr, 1) != 0) ++errors_;
  }
  std::vector<SimThread*> checkers;  // all but the updater's
  for (std::size_t k = 0; k + 1 < threads_.size(); ++k) checkers.push_back(threads_[k].get());
  manager_->spawn_threads(checkers, [this] { return stopping_; });
  for (unsigned s = 0; s < senders_.size(); ++s)
    Lookahead::spawn_thread([this, s] { sender(s); }, ("sender" + std::to_string(s)).c_str());
  updater();
}

void CqFanin::post_request(SimContext& c, unsigned qp, const msg_pool::Handle& h) {
  const msg_pool::Descriptor* d = send_pool_->descriptor(c, h);
  verbs::SendWr wr;
  wr.wr_id = d->wr_id;
  wr.sg_list = reinterpret_cast<const Sge*>(d->sge);
  wr.num_sge = d->num_sge;
  wr.send_flags = verbs::kSendSignaled;
  if (params_.size <= dev_.max_inline()) wr.send_flags |= verbs::kSendInline;
  posted_at_[qp].push_back(now_ps());
  if (dev_.post_send(c, *qps_[qp], &wr, 1) != 0) {
    posted_at_[qp].pop_back();
    ++errors_;
    send_pool_->put(c, h);
    return;
  }
  ++sends_posted_;
}

// Runs in the context of the put that served the sender's queued request.
void CqFanin::on_element(SimPlatform::Context&, verbs::MessagePool::Request& r) {
  auto* s = static_cast<Sender*>(r.user);
  s->served = true;
  Lookahead::notify_delta(s->served_event);
}

void CqFanin::sender(unsigned k) {
  Sender& s = *senders_[k];
  SimThread& t = *s.thread;
  SimContext& c = t.context();
  t.start();
  t.sleep_for(start_ > now_ps() ? start_ - now_ps() : 0);
  const double mean_ps = 1e12 * params_.senders / params_.rate;
  Picos due = now_ps();
  while (now_ps() < end_) {
    due += std::max<Picos>(1, static_cast<Picos>(arrivals_.exponential(mean_ps) + 0.5));
    if (due > now_ps()) t.sleep_for(due - now_ps());
    if (now_ps() >= end_) break;
    const Picos asked = now_ps();
    msg_pool::Handle h{};
    if (!async_) {
      // Synchronous: fails at once when nothing is free; this sender tries again later.
      while (send_pool_->get_sync(c, 1, &h) != msg_pool::Status::ok) {
        if (measuring()) ++failed_gets_;
        t.sleep_for(us_to_ps(params_.retry_us));
        if (now_ps() >= end_) break;
      }
      if (now_ps() >= end_) break;
    } else {
      s.request = verbs::MessagePool::Request{};
      s.request.count = 1;
      s.request.out = &s.handle;
      s.request.done = &CqFanin::on_element;
      s.request.user = &s;
      s.served = false;
      const msg_pool::Status st = send_pool_->get_async(c, s.request);
      if (st == msg_pool::Status::pending) {
        if (measuring()) ++pool_waits_;
        ++waiting_;
        c.begin_block();
        while (!s.served) Lookahead::wait_on(s.served_event);
        c.end_block(sys_.platform->params().wakeup_ps);
        --waiting_;
      } else if (st != msg_pool::Status::ok) {
        ++errors_;
        continue;
      }
      h = s.handle;
    }
    ++held_;
    if (measuring()) {
      const Picos waited = now_ps() - asked;
      pool_wait_ps_ += waited;
      pool_wait_ns_.record((waited + 500) / 1000);
    }
    const unsigned qp = s.next_qp;
    s.next_qp = (s.next_qp + static_cast<unsigned>(senders_.size())) % params_.qps;
    post_request(c, qp, h);
    --held_;
  }
  t.finish();
}

// design decision: the driver watches its CQs' fill level where it sees them, in the completion
// callbacks, and asks for a bigger CQ before the adapter has to drop an entry.
void CqFanin::check_high_water(std::uint32_t qpn) {
  if (params_.cq_high_water <= 0 || qpn >= cq_of_qpn_.size()) return;
  const std::uint32_t i = cq_of_qpn_[qpn];
  const verbs::Cq& cq = *cqs_[i];
  if (cq_filling_[i] || cq_failed_[i]) return;
  if (static_cast<double>(cq.pending()) < params_.cq_high_water * cq.cqe()) return;
  cq_filling_[i] = true;
  Lookahead::notify_delta(cq_failed_event_);
}

void CqFanin::on_send_done(SimContext& c, const WorkCompletion& wc) {
  check_high_water(wc.qpn);
  c.run(params_.callback_cycles);
  if (wc.status != WcStatus::kSuccess) ++errors_;
  if (measuring()) {
    ++completions_;
    cqe_to_callback_.latency_ps.record(now_ps() - wc.landed_ps);
    ++cqe_to_callback_.count;
  }
  msg_pool::Handle h{};
  if (send_pool_->handle_of(c, wc.wr_id, h) != msg_pool::Status::ok ||
      send_pool_->put(c, h) != msg_pool::Status::ok)
    ++errors_;
  ++send_callbacks_;  // after the put: a drained run has every element back
}

void CqFanin::on_reply(SimContext& c, const WorkCompletion& wc) {
  check_high_water(wc.qpn);
  ++reply_callbacks_;
  c.run(params_.callback_cycles);
  if (wc.status != WcStatus::kSuccess) ++errors_;
  msg_pool::Handle h{};
  if (recv_pool_->handle_of(c, wc.wr_id, h) != msg_pool::Status::ok) {
    ++errors_;
    return;
  }
  const unsigned qp = recv_qp_[h.index];
  if (!posted_at_[qp].empty()) {
    const Picos posted = posted_at_[qp].front();
    posted_at_[qp].pop_front();
    if (measuring() && posted >= begin_) {
      request_.latency_ps.record(now_ps() - posted);
      ++request_.count;
      request_.bytes += params_.size + params_.reply_size;
    }
  }
  if (measuring()) {
    ++completions_;
    cqe_to_callback_.latency_ps.record(now_ps() - wc.landed_ps);
    ++cqe_to_callback_.count;
  }
  // The element stays posted: the same buffer takes the next reply.
  const msg_pool::Descriptor* d = recv_pool_->descriptor(c, h);
  const verbs::RecvWr wr{d->wr_id, reinterpret_cast<const Sge*>(d->sge), d->num_sge};
  if (dev_.post_recv(c, *qps_[qp], &wr, 1) != 0) ++errors_;
}

void CqFanin::updater() {
  SimThread& t = *threads_.back();
  SimContext& c = t.context();
  if (params_.update_rate > 0) {
    const double mean_ps = 1e12 / params_.update_rate;
    Picos due = start_;
    bool monitored = false;
    for (std::uint64_t k = 0;; ++k) {
      due += std::max<Picos>(1, static_cast<Picos>(arrivals_.exponential(mean_ps) + 0.5));
      if (due >= end_) break;
      if (due > now_ps()) t.sleep_for(due - now_ps());
      bool ok = true;
      switch (k % 3) {
        case 0:
        case 1:  // the spare QP joins and leaves the outbound list
          ok = monitored ? manager_->stop_monitoring(c, *spare_, cq::Direction::outbound)
                         : manager_->monitor(c, *spare_, cq::Direction::outbound,
                                             [this](SimContext&, const WorkCompletion&) {
                                               ++errors_;  // it never posts
                                             });
          monitored = !monitored;
          break;
        default: {  // resize a CQ (to the size it has: the update's cost is what counts)
          verbs::Cq& cq = *cqs_[(k / 3) % cqs_.size()];
          ok = manager_->resize_cq(c, cq, cq.cqe());
          break;
        }
      }
      if (!ok) ++errors_;
    }
  }
  if (end_ > now_ps()) t.sleep_for(end_ - now_ps());
  // The senders stop at the end; the run drains what they posted and the replies to it
  // (bounded: a completion lost to an overrun never comes), so the accounting is of a quiet
  // system.
  const Picos drain_limit = end_ + us_to_ps(1000);
  while ((send_callbacks_ < sends_posted_ || reply_callbacks_ < sends_posted_ || held_ > 0 ||
          waiting_ > 0) &&
         now_ps() < drain_limit)
    t.sleep_for(us_to_ps(1));
  stopping_ = true;
  finished_ = true;
  manager_->wake_all(c);
  t.finish();
  Lookahead::stop();
}

CqFanin::Summary CqFanin::summary() const {
  Summary s;
  const cq::CompletionStats st = manager_->stats();
  const double window_s = static_cast<double>(end_ - begin_) * 1e-12;
  s.requests = request_.count;
  s.completions = completions_;
  s.completions_per_s = static_cast<double>(completions_) / window_s;
  s.empty_checks = st.empty_checks;
  s.claim_misses = st.claim_misses;
  s.interrupts = sys_.interrupts->raised();
  s.dpc_runs = manager_->dpc_runs();
  s.deferrals = st.deferrals;
  s.retriggers = st.retriggers;
  s.updates = st.updates;
  s.dropped = st.dropped;
  s.failed_gets = failed_gets_;
  s.pool_waits = pool_waits_;
  s.registrations = dev_.stats().registrations;
  s.cq_errors = cq_errors_;
  s.cq_recoveries = cq_recoveries_;
  s.cq_early_resizes = cq_early_resizes_;
  for (const verbs::Cq* cq : cqs_) s.completions_lost += dev_.completions_lost(*cq);
  s.send_callbacks = send_callbacks_;
  s.reply_callbacks = reply_callbacks_;
  s.elements_in_use = send_pool_->in_use();
  s.elements_held = held_;
  for (const verbs::Qp* qp : qps_) s.sends_outstanding += qp->sends_outstanding();
  s.sends_posted = sends_posted_;
  return s;
}

void CqFanin::report(RunReport& out) const {
  OpClassReport req = request_;
  req.span_ps = end_ - begin_;
  out.ops.push_back(req);
  out.ops.push_back(cqe_to_callback_);
  const Summary s = summary();
  const cq::CompletionStats st = manager_->stats();
  const MetricScope m(out, "cq_fanin.");
  m.add("completions_per_s", "per_s", "completion callbacks run per second (both directions)",
        s.completions_per_s);
  m.add("checks", "count", "checks of the completion service (all modes)", double(st.checks));
  m.add("empty_checks", "count", "checks that found nothing", double(s.empty_checks));
  m.add("claim_misses", "count", "CQ visits that found the CQ claimed by another checker",
        double(s.claim_misses));
  m.add("handovers", "count", "... handed to the holder, which polled once more",
        double(st.handovers));
  m.add("interrupts", "count", "interrupts the host's CPUs took (the adapter's MSIs)",
        double(s.interrupts));
  m.add("dpc_runs", "count", "DPCs run for CQ interrupts and requeues", double(s.dpc_runs));
  m.add("dpc_deferrals", "count", "DPCs that found an update pending and deferred",
        double(s.deferrals));
  m.add("retriggers", "count", "deferred CQs requeued by the end of an update",
        double(s.retriggers));
  m.add("updates", "count", "updates of the service (monitor, stop, resize, CQ set)",
        double(s.updates));
  m.add("dropped", "count", "completions of a WQ no longer monitored", double(s.dropped));
  m.add("sleeps", "count", "checkers that armed and went to sleep", double(st.sleeps));
  m.add("cq_errors", "count", "CQ-error async events (overruns)", double(s.cq_errors));
  m.add("cq_recoveries", "count", "CQs resized (doubled) to recover from an overrun",
        double(s.cq_recoveries));
  m.add("cq_early_resizes", "count", "CQs doubled at the high-water mark, before an overrun",
        double(s.cq_early_resizes));
  m.add("completions_lost", "count", "completions the adapter could not write (CQ full)",
        double(s.completions_lost));
  m.add("pool.failed_gets", "count", "sync gets that found no element free", double(s.failed_gets));
  m.add("pool.waits", "count", "async gets queued until a put served them", double(s.pool_waits));
  m.add_distribution("pool.wait_ns", "ns", "time a sender waited for an element", pool_wait_ns_);
  m.add("pool.registrations", "count", "memory registrations with the adapter (pools: one each)",
        double(s.registrations));
}

void CqFanin::print_table(std::ostream& out) const {
  const Summary s = summary();
  char line[256];
  std::snprintf(
      line, sizeof line,
      "\ncq_fanin: host.cq_manager=%s host.pool.mode=%s host.sync=%s, %u QPs over %u "
      "CQs\n  %.3f M completions/s, %llu requests, empty checks %llu, claim misses "
      "%llu, interrupts %llu, DPC deferrals %llu (re-triggered %llu), pool waits %llu, "
      "failed gets %llu\n",
      stack_.cq_manager.c_str(), stack_.pool_mode.c_str(), sys_.host_params.sync.c_str(),
      params_.qps, params_.cqs, s.completions_per_s / 1e6,
      static_cast<unsigned long long>(s.requests), static_cast<unsigned long long>(s.empty_checks),
      static_cast<unsigned long long>(s.claim_misses),
      static_cast<unsigned long long>(s.interrupts), static_cast<unsigned long long>(s.deferrals),
      static_cast<unsigned long long>(s.retriggers), static_cast<unsigned long long>(s.pool_waits),
      static_cast<unsigned long long>(s.failed_gets));
  out << line;
}

}  // namespace hcasim
