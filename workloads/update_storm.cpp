// The update storm: workers posting and polling through the guarded driver while an updater
// changes its resources (see update_storm.hpp).
#include "workloads/update_storm.hpp"

#include <sysc/kernel/sc_dynamic_processes.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <ostream>

#include "host_os/sync/sync_kind.hpp"
#include "models/core/config_error.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {

UpdateStorm::UpdateStorm(sc_core::sc_module_name name, System& system,
                         const UpdateStormParams& params, std::uint64_t seed, TraceSink* trace)
    : sc_module(name),
      sys_(system),
      params_(params),
      arrivals_(seed, std::string(this->name()) + ".arrivals") {
  const HostParams& hp = sys_.host_params;
  workers_ = params_.workers ? params_.workers : hp.cpus - 1;
  if (workers_ == 0 || workers_ + 1 > hp.cpus)
    throw ConfigError("key 'storm.workers': " + std::to_string(workers_) +
                      " workers and the update thread need " + std::to_string(workers_ + 1) +
                      " CPUs, but host.cpus = " + std::to_string(hp.cpus));
  // design decision: the first sends wait until the I/O unit's receives have reached its
  // adapter (one doorbell each over its PCIe link), as a benchmark starts after connection
  // setup; otherwise the first messages meet receiver-not-ready NAKs and stall 10 us.
  start_ = 2'000'000 + Picos{workers_} * sys_.iou_params.recv_depth * 5'000;
  begin_ = std::max(us_to_ps(params_.warmup_us), start_);
  end_ = us_to_ps(params_.duration_us);
  if (begin_ >= end_)
    throw ConfigError("key 'storm.duration_us': " + std::to_string(params_.duration_us) +
                      " us leaves no time to measure after the warm-up (" +
                      std::to_string(static_cast<double>(begin_) / 1e6) + " us)");
  verbs::VerbsDevice& dev = sys_.verbs();
  platform_ = sys_.platform.get();
  driver_ = &dev.driver();

  // Completion queues: the workers' QPs report to them round-robin; each holds every send its
  // QPs can have in flight. The first also carries the spare WQ the updater moves.
  const unsigned ncq = params_.cqs ? std::min(params_.cqs, workers_) : workers_;
  const unsigned per_cq = (workers_ + ncq - 1) / ncq;
  const std::uint32_t sq = pow2_at_least(params_.sq_depth);
  std::vector<verbs::Cq*> vcqs;
  for (unsigned i = 0; i < ncq; ++i) {
    vcqs.push_back(&dev.create_cq(pow2_at_least(std::uint64_t(sq) * (per_cq + 1)), per_cq + 1));
    cqs_.push_back(&vcqs.back()->driver_cq());
  }

  const std::uint32_t iou_cq_entries = pow2_at_least(2ull * sys_.iou_params.recv_depth + 16);
  verbs::QpCaps caps;
  caps.max_send_wr = sq;
  caps.max_recv_wr = 1;
  for (unsigned w = 0; w < workers_; ++w) {
    verbs::Cq& cq = *vcqs[w % ncq];
    verbs::Qp& qp = dev.create_qp(cq, cq, caps);
    qps_.push_back(&qp);
    wqs_.push_back(&qp.driver_wq());
    const IouQueues peer = sys_.open_iou_queues(0, iou_cq_entries, 16, sys_.iou_params.recv_depth);
    sys_.connect(dev, qp, 0, peer);
    sinks_.push_back(&sys_.iou.serve_perftest(peer, PeerMode::kSink, params_.size, false));
  }
  caps.max_send_wr = 4;
  spare_ = &dev.create_qp(*vcqs[0], *vcqs[0], caps).driver_wq();

  HostMemory& mem = *sys_.host.memory;
  const std::uint64_t buf = mem.allocate(params_.size, 4096);
  const std::uint32_t key = dev.reg_mr(buf, params_.size, kLocalWrite).lkey;
  std::uint8_t* payload = mem.at(buf, params_.size);
  for (std::uint32_t i = 0; i < params_.size; ++i) payload[i] = static_cast<std::uint8_t>(i + 1);
  payload_ = Sge{buf, params_.size, key};
  verbs::SendWr wr;
  wr.opcode = WrOpcode::kSend;
  wr.send_flags = verbs::kSendSignaled;
  if (params_.size <= dev.max_inline()) wr.send_flags |= verbs::kSendInline;
  wr.sg_list = &payload_;
  wr.num_sge = 1;
  requests_.assign(workers_, std::vector<verbs::SendWr>(params_.batch, wr));

  completions_.assign(workers_, 0);
  sections_.assign(workers_, 0);
  send_.name = "send";
  update_.name = "update";
  for (unsigned w = 0; w <= workers_; ++w) {
    const std::string role = w < workers_ ? "worker" + std::to_string(w) : "updater";
    threads_.push_back(
        std::make_unique<SimThread>(std::string(this->name()) + "." + role, *sys_.cpus[w], trace));
  }
  running_ = workers_ + 1;
  for (unsigned w = 0; w < workers_; ++w)
    Lookahead::spawn_thread([this, w] { worker(w); }, ("worker" + std::to_string(w)).c_str());
  Lookahead::spawn_thread([this] { updater(); }, "updater");
}

bool UpdateStorm::measuring() const { return now_ps() >= begin_ && now_ps() < end_; }

void UpdateStorm::worker(unsigned w) {
  SimThread& t = *threads_[w];
  SimContext& c = t.context();
  AdapterDriver& d = *driver_;
  verbs::VerbsDevice& dev = sys_.verbs();
  verbs::Qp& qp = *qps_[w];
  AdapterDriver::Cq& cq = *wqs_[w]->send_cq;
  std::vector<verbs::SendWr>& wrs = requests_[w];
  WorkCompletion wc[kPollBatch];
  const unsigned poll_max = std::min<unsigned>(kPollBatch, params_.batch);
  t.start();
  t.sleep_for(start_);
  while (now_ps() < end_) {
    const std::uint32_t n = std::min(params_.batch, qp.send_room());
    if (n > 0) {
      const bool counted = measuring();
      // The post time: the sends' latency runs from the post_send call to their handling.
      for (std::uint32_t k = 0; k < n; ++k) wrs[k].wr_id = now_ps();
      if (dev.post_send(c, qp, wrs.data(), n) != 0) ++errors_;
      if (counted) ++sections_[w];
    }
    const bool counted = measuring();
    d.work(c, [&] {
      const unsigned got = d.poll(c, cq, wc, poll_max);
      for (unsigned i = 0; i < got; ++i) {
        if (wc[i].status != WcStatus::kSuccess) ++errors_;
        c.run(params_.callback_cycles);
        if (measuring()) {
          ++completions_[w];
          ++send_.count;
          send_.bytes += params_.size;
          send_.latency_ps.record(now_ps() - wc[i].wr_id);
        }
      }
    });
    if (counted) ++sections_[w];
  }
  t.finish();
  thread_done();
}

Picos UpdateStorm::next_gap() {
  const double mean_ps = 1e12 / params_.update_rate;
  const double gap = params_.arrivals == "fixed" ? mean_ps : arrivals_.exponential(mean_ps);
  return std::max<Picos>(1, static_cast<Picos>(gap + 0.5));
}

void UpdateStorm::updater() {
  SimThread& t = *threads_[workers_];
  SimContext& c = t.context();
  AdapterDriver& d = *driver_;
  const std::uint64_t cycles = params_.update_cycles;
  t.start();
  if (params_.update_rate > 0) {
    // Open loop: request k is due at the sum of the first k gaps, or at once if the updater
    // is still busy with the one before.
    Picos due = next_gap();
    for (std::uint64_t k = 0; due < end_; ++k, due += next_gap()) {
      if (due > now_ps()) t.sleep_for(due - now_ps());
      const Picos asked = now_ps();
      AdapterDriver::Cq& cq = *cqs_[(k / 4) % cqs_.size()];
      bool ok = false;
      switch (k % 4) {
        case 0:
          ok = d.detach_wq(c, *cqs_[0], *spare_, cycles);
          break;
        case 1:  // alternate between an event per completion and 16 completions or 10 us
          ok = (k / 4) % 2 ? d.set_moderation(c, cq, 1, 0, cycles)
                           : d.set_moderation(c, cq, 16, us_to_ps(10), cycles);
          break;
        case 2:
          ok = d.attach_wq(c, *cqs_[0], *spare_, cycles);
          break;
        default:
          ok = d.resize_cq(c, cq, (k / 4) % 2 ? cq.cq->entries() : cq.cq->entries() / 2, cycles);
          break;
      }
      if (!ok) ++errors_;  // nobody destroys here
      ++updates_requested_;
      if (asked >= begin_ && asked < end_) {  // from when it was due: backlog included
        ++update_.count;
        update_.latency_ps.record(now_ps() - due);
      }
    }
  }
  t.finish();
  thread_done();
}

void UpdateStorm::thread_done() {
  if (--running_ != 0) return;
  finished_ = true;
  Lookahead::stop();
}

UpdateStorm::Summary UpdateStorm::summary() const {
  Summary s;
  const AdapterDriver::Stats& st = driver_->stats();
  const double window_s = static_cast<double>(end_ - begin_) * 1e-12;
  s.workers = workers_;
  std::uint64_t sections = 0;
  s.idlest = ~std::uint64_t{0};
  for (unsigned w = 0; w < workers_; ++w) {
    s.completions += completions_[w];
    sections += sections_[w];
    s.busiest = std::max(s.busiest, completions_[w]);
    s.idlest = std::min(s.idlest, completions_[w]);
  }
  s.throughput_per_s = static_cast<double>(s.completions) / window_s;
  s.sections_per_s = static_cast<double>(sections) / window_s;
  s.updates = st.updates;
  s.violations = st.violations;
  const double worker_time = static_cast<double>(end_) * workers_;
  s.wait_share = static_cast<double>(st.worker_wait_ps) / worker_time;
  s.updater_latency_p50_ns = static_cast<double>(st.updater_latency_ns.quantile(0.5));
  s.updater_latency_max_ns = static_cast<double>(st.updater_latency_ns.max());
  s.overlap_ratio = static_cast<double>(driver_->overlap_ps()) / static_cast<double>(end_);
  s.lock_line_transfers = driver_->guard_lines().transfers;
  return s;
}

Picos UpdateStorm::busiest_guard_line_ps() const {
  Picos busiest = 0;
  driver_->guard().for_each_region([&](const void* begin, std::size_t bytes) {
    const auto first = reinterpret_cast<std::uintptr_t>(begin);
    for (std::uintptr_t a = first - first % CacheModel::kLineBytes; a < first + bytes;
         a += CacheModel::kLineBytes)
      busiest = std::max(busiest, platform_->cache().line(a).busy_ps);
  });
  return busiest;
}

void UpdateStorm::report(RunReport& out) const {
  out.ops.push_back(send_);
  out.ops.push_back(update_);
  const Summary s = summary();
  const AdapterDriver::Stats& st = driver_->stats();
  const MetricScope m(out, "update_storm.");
  m.add("workers", "count", "worker threads (one per CPU)", s.workers);
  m.add("worker_throughput", "per_s",
        "completions posted, polled and handled by all workers per second (measured window)",
        s.throughput_per_s);
  m.add("worker_sections", "per_s", "guarded work sections (post or poll) per second",
        s.sections_per_s);
  m.add("worker_wait.total_ns", "ns", "time all workers spent entering the resource",
        static_cast<double>(st.worker_wait_ps) / 1000.0);
  m.add("worker_wait.share", "ratio", "share of the workers' time spent entering", s.wait_share);
  m.add_distribution("worker_wait.per_enter_ns", "ns",
                     "time from a worker's request to its being inside", st.worker_wait_ns);
  m.add("worker_exit_total_ns", "ns", "time all workers spent leaving the resource",
        static_cast<double>(st.worker_exit_ps) / 1000.0);
  m.add_distribution("updater_latency_ns", "ns", "time from an update's request to its start",
                     st.updater_latency_ns);
  m.add_distribution("update_duration_ns", "ns", "time an update held the resource", st.update_ns);
  m.add("overlap.time_ns", "ns", "time with at least two workers inside at once",
        static_cast<double>(driver_->overlap_ps()) / 1000.0);
  m.add("overlap.ratio", "ratio", "share of the run with at least two workers inside",
        s.overlap_ratio);
  const CacheModel::LineStats lock = driver_->guard_lines();
  m.add("lock_line.transfers", "count", "moves of the guard's lock-word cache line between CPUs",
        static_cast<double>(lock.transfers));
  m.add("lock_line.accesses", "count", "modelled accesses to the guard's lock-word line",
        static_cast<double>(lock.accesses));
  m.add("lock_line.wait_ns", "ns", "time accesses waited for the lock-word line to be free",
        static_cast<double>(lock.wait_ps) / 1000.0);
  m.add("lock_line.busy_ns", "ns",
        "time the guard's lines spent moving between CPUs (sum of their transfers)",
        static_cast<double>(lock.busy_ps) / 1000.0);
  m.add("lock_line.busiest_ratio", "ratio",
        "transfer time of the guard's busiest line / run time (copies read side by side each "
        "count, so a line many CPUs read can exceed 1; for a line only written, 1 means saturated)",
        static_cast<double>(busiest_guard_line_ps()) / static_cast<double>(end_));
  const CacheModel::LineStats table = driver_->table_lines();
  m.add("table_line.transfers", "count", "moves of the driver's queue-table line",
        static_cast<double>(table.transfers));
  const SimPlatform::Counters& pc = platform_->counters();
  m.add("spin.contended_acquires", "count", "spin-lock acquisitions that found the lock held",
        static_cast<double>(pc.contended_acquires));
  m.add("spin.time_ns", "ns", "time spent spinning for spin locks",
        static_cast<double>(pc.spin_ps) / 1000.0);
  m.add("blocks", "count", "times a thread went to sleep in the guard",
        static_cast<double>(pc.blocks));
  m.add("claim_misses", "count", "polls that found their CQ claimed by another poller",
        static_cast<double>(st.claim_misses));
  m.add("torture.ops", "count", "guarded work sections completed",
        static_cast<double>(st.sections));
  m.add("torture.updates", "count", "updates completed", static_cast<double>(st.updates));
  m.add("torture.violations", "count", "workers inside during an update (must be 0)",
        static_cast<double>(st.violations));
  m.add("torture.busiest", "count", "completions handled by the busiest worker",
        static_cast<double>(s.busiest));
  m.add("torture.idlest", "count", "completions handled by the idlest worker",
        static_cast<double>(s.idlest));
  m.add("torture.spread", "ratio", "busiest / idlest worker",
        s.idlest ? static_cast<double>(s.busiest) / static_cast<double>(s.idlest) : 0.0);
  for (unsigned w = 0; w <= workers_; ++w) {
    const SimCpu& cpu = *sys_.cpus[w];
    m.add("cpu" + std::to_string(w) + ".spinning_ns", "ns", "time the CPU spun",
          static_cast<double>(cpu.spinning_ps()) / 1000.0);
    m.add("cpu" + std::to_string(w) + ".blocked_ns", "ns", "time the CPU's thread slept",
          static_cast<double>(cpu.blocked_ps()) / 1000.0);
  }
}

void UpdateStorm::print_table(std::ostream& out) const {
  const Summary s = summary();
  const AdapterDriver::Stats& st = driver_->stats();
  out << "\nupdate storm: host.sync=" << sys_.host_params.sync << ", " << s.workers
      << " workers, updates at " << params_.update_rate << "/s\n"
      << std::fixed << std::setprecision(3) << "  worker throughput     "
      << s.throughput_per_s / 1e6 << " M completions/s\n"
      << "  worker time entering  " << 100.0 * s.wait_share << " %  (p50 "
      << st.worker_wait_ns.quantile(0.5) << " ns, p99 " << st.worker_wait_ns.quantile(0.99)
      << " ns)\n"
      << "  updater latency       p50 " << s.updater_latency_p50_ns << " ns, max "
      << s.updater_latency_max_ns << " ns\n"
      << "  >= 2 workers inside   " << 100.0 * s.overlap_ratio << " % of the time\n"
      << "  lock line transfers   " << s.lock_line_transfers << "  (busiest line moving "
      << 100.0 * static_cast<double>(busiest_guard_line_ps()) / static_cast<double>(end_)
      << " % of the run)\n"
      << "  torture: ops=" << st.sections << " updates=" << st.updates
      << " violations=" << st.violations << " busiest=" << s.busiest << " idlest=" << s.idlest
      << "\n";
  out.unsetf(std::ios::floatfield);
}

}  // namespace hcasim
