// Block I/O in fio's shape through the message-passing driver (see storage_io.hpp).
#include "workloads/storage_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ostream>

#include "models/core/config_error.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {

struct StorageIo::Job {
  unsigned index = 0;
  std::unique_ptr<SimThread> thread;
  BlockDriver* driver = nullptr;
  std::vector<BlockIo> ios;   // one per slot of the iodepth
  std::uint64_t base = 0;     // device byte address of the job's region
  std::uint64_t buffers = 0;  // host address of the slots' buffers (bs each)
  std::uint64_t next_seq = 0;
  std::uint64_t issued = 0;
  RandomStream rng;
  std::vector<unsigned> completed;  // slots whose I/O completed, for the job's thread
  sc_core::sc_event wake;
  std::vector<bool> written;  // verify: bs-sized blocks of the region written
  Job(std::uint64_t seed, const std::string& name) : rng(seed, name) {}
};

namespace {
std::uint32_t segment_size(std::uint32_t bs, std::uint32_t page) {
  // design decision: a host buffer is described page by page, as an OS hands it over; an I/O
  // that would need more than the frame's 16 SGL entries is described in larger segments.
  std::uint32_t seg = page;
  while ((bs + seg - 1) / seg > i2o::kMaxSglEntries) seg *= 2;
  return seg;
}
}  // namespace

StorageIo::StorageIo(sc_core::sc_module_name name, System& system, const StorageIoParams& params,
                     const HostStackParams& stack, std::uint64_t seed, TraceSink* trace)
    : sc_module(name),
      sys_(system),
      params_(params),
      stack_(stack),
      mode_(*cq_manager_mode_from_string(stack.cq_manager)),
      seed_(seed),
      dev_(system.verbs()) {
  const HostParams& hp = sys_.host_params;
  const std::uint32_t block = sys_.storage_params.block_bytes;
  if (params_.bs % block != 0)
    throw ConfigError("key 'fio.bs': " + std::to_string(params_.bs) +
                      " B is not a whole number of storage.block_bytes (" + std::to_string(block) +
                      ")");
  const std::uint64_t region = std::uint64_t{params_.size_mb} << 20;
  if (region < params_.bs)
    throw ConfigError("key 'fio.size_mb': the region is smaller than one I/O (fio.bs)");
  const std::uint64_t capacity = sys_.storage_params.capacity_bytes();
  if (region * params_.numjobs > capacity)
    throw ConfigError("key 'fio.size_mb': " + std::to_string(params_.numjobs) + " jobs x " +
                      std::to_string(params_.size_mb) + " MiB exceed the device (" +
                      std::to_string(capacity >> 20) + " MiB, storage.capacity_gb)");
  if (params_.bs > (std::uint64_t{sys_.emulation_params.max_transfer_kb} << 10))
    throw ConfigError(
        "key 'fio.bs': " + std::to_string(params_.bs) +
        " B exceeds the I/O unit's largest transfer (iou.emulation.max_transfer_kb = " +
        std::to_string(sys_.emulation_params.max_transfer_kb) + ")");
  const unsigned checkers = mode_ == CqManagerMode::single          ? 1
                            : mode_ == CqManagerMode::per_cq_poller ? params_.connections
                            : mode_ == CqManagerMode::dpc           ? 0
                                                                    : params_.checkers;
  const unsigned first_job_cpu = mode_ == CqManagerMode::dpc ? 1 : checkers;
  if (first_job_cpu + params_.numjobs > hp.cpus)
    throw ConfigError("key 'host.cpus': " + std::to_string(hp.cpus) + " CPUs, but fio with " +
                      std::to_string(params_.numjobs) +
                      " jobs and host.cq_manager = " + stack.cq_manager + " needs " +
                      std::to_string(first_job_cpu + params_.numjobs));
  // The pattern, decoded once (not per I/O).
  random_ = params_.rw.compare(0, 4, "rand") == 0;
  mixed_ = params_.rw == "randrw";
  reads_ = params_.rw == "read" || params_.rw == "randread";
  segment_bytes_ = segment_size(params_.bs, params_.segment_bytes);
  const bool sync_engine = params_.engine == "sync";
  const std::uint32_t depth = sync_engine ? 1 : params_.iodepth;
  ramp_ = us_to_ps(params_.ramp_us);
  stop_ = params_.runtime_us > 0 ? us_to_ps(params_.runtime_us) : ~Picos{0};

  // Connections: a CQ and a QP each, to the I/O unit's emulation service.
  const std::uint32_t frames = stack_.pool_elements;
  const std::uint32_t replies = std::max<std::uint32_t>(frames, 16);
  std::vector<std::uint32_t> iou_qpn;
  for (unsigned i = 0; i < params_.connections; ++i) {
    verbs::Cq& cq = dev_.create_cq(pow2_at_least(2ull * (frames + replies)), 2);
    verbs::QpCaps caps;
    caps.max_send_wr = pow2_at_least(frames);
    caps.max_recv_wr = replies;
    verbs::Qp& qp = dev_.create_qp(cq, cq, caps);
    cqs_.push_back(&cq);
    qps_.push_back(&qp);
    const IouQueues peer = sys_.iou.open_storage_connection();
    sys_.connect(dev_, qp, 0, peer);
    iou_qpn.push_back(peer.qp->qpn);
  }

  std::vector<SimCpu*> cpus;
  for (const auto& c : sys_.cpus) cpus.push_back(c.get());
  manager_ = std::make_unique<HostCompletionManager>(
      std::string(sys_.host.name()) + ".cq_manager", dev_, *sys_.platform, *sys_.interrupts, cpus,
      *sync::sync_kind_from_string(hp.sync), mode_, cqs_, std::vector<unsigned>{0},
      stack_.cq_budget, trace);
  for (unsigned i = 0; i < params_.connections; ++i) {
    BlockDriverConfig cfg;
    cfg.name = std::string(this->name()) + ".driver" + std::to_string(i);
    cfg.elements = frames;
    cfg.replies = replies;
    cfg.async_pool = stack_.pool_mode == "async";
    cfg.frame_cycles = params_.driver_cycles;
    drivers_.push_back(std::make_unique<BlockDriver>(cfg, dev_, *sys_.platform, *sys_.host.memory,
                                                     *manager_, *qps_[i]));
  }
  // The I/O unit tells the driver where each request's time went there (observation only).
  sys_.iou.emulation().set_observer([this, iou_qpn](const EmulationService::Phases& p) {
    for (std::size_t i = 0; i < iou_qpn.size(); ++i)
      if (iou_qpn[i] == p.qpn)
        drivers_[i]->on_iou_phases(p.transaction_context, p.landed, p.replied, p.controller, p.rdma,
                                   p.device);
  });

  // Jobs: their buffers (one registration for all, remote read and write for the unit's RDMA).
  HostMemory& mem = *sys_.host.memory;
  const std::uint64_t buf_bytes = std::uint64_t{depth} * params_.bs * params_.numjobs;
  const std::uint64_t buffers = mem.allocate(buf_bytes, 4096);
  mr_ = dev_.reg_mr(buffers, buf_bytes, kLocalWrite | kRemoteWrite | kRemoteRead);
  const std::string base = this->name();
  for (unsigned j = 0; j < params_.numjobs; ++j) {
    auto job = std::make_unique<Job>(seed_, base + ".job" + std::to_string(j));
    job->index = j;
    job->thread = std::make_unique<SimThread>(base + ".job" + std::to_string(j),
                                              *sys_.cpus[first_job_cpu + j], trace);
    job->driver = drivers_[j % params_.connections].get();
    job->ios.resize(depth);
    job->base = region * j;
    job->buffers = buffers + std::uint64_t{j} * depth * params_.bs;
    job->completed.reserve(depth);
    if (params_.verify) job->written.assign(region / params_.bs, false);
    jobs_.push_back(std::move(job));
  }
  for (unsigned k = 0; k < checkers; ++k)
    checker_threads_.push_back(
        std::make_unique<SimThread>(base + ".checker" + std::to_string(k), *sys_.cpus[k], trace));
  starter_thread_ =
      std::make_unique<SimThread>(base + ".starter", *sys_.cpus[first_job_cpu], trace);
  jobs_left_ = params_.numjobs;
  Lookahead::spawn_thread([this] { starter(); }, "starter");
}

StorageIo::~StorageIo() = default;

void StorageIo::starter() {
  SimThread& t = *starter_thread_;
  SimContext& c = t.context();
  t.start();
  manager_->start(c);
  for (auto& d : drivers_) d->start(c);
  t.finish();
  std::vector<SimThread*> checkers;
  for (const auto& t : checker_threads_) checkers.push_back(t.get());
  manager_->spawn_threads(checkers, [this] { return stopping_; });
  for (unsigned j = 0; j < jobs_.size(); ++j)
    Lookahead::spawn_thread([this, j] { job(j); }, ("job" + std::to_string(j)).c_str());
}

std::uint8_t StorageIo::pattern(std::uint64_t o) const {
  // Depends on the byte's device address, so data placed at a wrong offset does not match.
  const std::uint64_t x = (o >> 3) * 0x9e3779b97f4a7c15ULL + seed_;
  return static_cast<std::uint8_t>((x >> 29) ^ (x >> 47) ^ o);
}

bool StorageIo::next_io(Job& job, bool& write, std::uint64_t& offset) {
  if (job.issued >= params_.ops || now_ps() >= stop_) return false;
  const std::uint64_t blocks = (std::uint64_t{params_.size_mb} << 20) / params_.bs;
  write = mixed_ ? job.rng.below(100) >= params_.rwmixread : !reads_;
  std::uint64_t block;
  if (random_) {
    block = job.rng.below(blocks);
  } else {
    block = job.next_seq;
    job.next_seq = (job.next_seq + 1) % blocks;
  }
  offset = block * params_.bs;
  ++job.issued;
  return true;
}

void StorageIo::prepare(Job& job, BlockIo& io, unsigned slot, bool write, std::uint64_t offset) {
  io.write = write;
  io.offset = job.base + offset;
  io.length = params_.bs;
  const std::uint64_t buf = job.buffers + std::uint64_t{slot} * params_.bs;
  const std::uint32_t seg = segment_bytes_;
  io.segment_count = 0;
  for (std::uint32_t done = 0; done < params_.bs; done += seg)
    io.segments[io.segment_count++] = Sge{buf + done, std::min(seg, params_.bs - done), mr_.lkey};
  io.rkey = mr_.rkey;
  io.user = &job;
  io.done = &StorageIo::on_done;
  std::uint8_t* p = sys_.host.memory->at(buf, params_.bs);
  if (write && params_.verify) {
    for (std::uint32_t i = 0; i < params_.bs; ++i) p[i] = pattern(io.offset + i);
  } else if (!write && params_.verify) {
    std::fill(p, p + params_.bs, 0);  // what a read leaves here comes from the device
  }
}

void StorageIo::on_done(SimContext&, BlockIo& io) {
  auto& job = *static_cast<Job*>(io.user);
  job.completed.push_back(static_cast<unsigned>(&io - job.ios.data()));
  Lookahead::notify_delta(job.wake);
}

void StorageIo::account(const BlockIo& io) {
  if (io.transport_error) {
    ++errors_;
    return;
  }
  if (io.status != i2o::ReqStatus::kSuccess) {
    auto it = std::find_if(error_statuses_.begin(), error_statuses_.end(),
                           [&](const auto& e) { return e.first == io.detailed_status; });
    if (it == error_statuses_.end()) {
      error_statuses_.emplace_back(io.detailed_status, 1);
    } else {
      ++it->second;
    }
    return;
  }
  if (io.write && params_.verify) {  // only a write that succeeded put its pattern there
    Job& job = *static_cast<Job*>(io.user);
    job.written[(io.offset - job.base) / params_.bs] = true;
  }
  if (io.completed < ramp_) return;
  Direction& d = dir_[io.write ? 1 : 0];
  if (d.ios == 0) d.first_submit = std::max(io.submitted, ramp_);
  ++d.ios;
  d.bytes += io.length;
  d.last_complete = std::max(d.last_complete, io.completed);
  d.lat_ps.record(io.completed - io.submitted);
  d.slat_ps.record(io.posted - io.submitted);
  d.clat_ps.record(io.completed - io.posted);
  d.host += (io.posted - io.submitted) + (io.completed - io.reply_landed);
  d.fabric += (io.iou_landed - io.posted) + (io.reply_landed - io.iou_replied);
  d.rdma += io.iou_rdma;
  d.device += io.iou_device;
  d.controller += io.iou_controller;
}

void StorageIo::job(unsigned j) {
  Job& job = *jobs_[j];
  SimThread& t = *job.thread;
  SimContext& c = t.context();
  t.start();
  const Picos retry = us_to_ps(1);
  const Picos wake = sys_.platform->params().wakeup_ps;
  bool write = false;
  std::uint64_t offset = 0;
  if (params_.engine == "sync") {
    BlockIo& io = job.ios.front();
    while (next_io(job, write, offset)) {
      prepare(job, io, 0, write, offset);
      job.driver->execute(c, io, job.wake, retry);
      account(io);
    }
  } else {
    unsigned outstanding = 0;
    std::vector<unsigned> idle;  // slots with no I/O (refused for want of an element, or done)
    for (unsigned s = job.ios.size(); s-- > 0;) idle.push_back(s);
    bool held = false;  // idle.back() holds a prepared I/O refused for want of an element
    for (;;) {
      // Fill the idle slots while there is work; a refused submit is tried again after
      // `retry` (or sooner, when an I/O completes).
      bool refused = false;
      while (!idle.empty()) {
        const unsigned s = idle.back();
        if (!held) {
          if (!next_io(job, write, offset)) break;
          prepare(job, job.ios[s], s, write, offset);
        }
        if (job.driver->submit(c, job.ios[s]) == EAGAIN) {
          held = refused = true;
          break;
        }
        held = false;
        idle.pop_back();
        ++outstanding;
      }
      if (outstanding == 0 && !refused) break;
      c.begin_block();
      if (job.completed.empty()) {
        if (refused) {
          Lookahead::wait_for_or(retry, job.wake);
        } else {
          while (job.completed.empty()) Lookahead::wait_on(job.wake);
        }
      }
      c.end_block(wake);
      for (const unsigned s : job.completed) {
        account(job.ios[s]);
        idle.push_back(s);
        --outstanding;
      }
      job.completed.clear();
    }
  }
  if (params_.verify) verify_pass(job);
  t.finish();
  if (--jobs_left_ == 0) {
    stopping_ = true;
    finished_ = true;
    manager_->wake_all(c);
    Lookahead::stop();
  }
}

void StorageIo::verify_pass(Job& job) {
  // Reads back every block the job wrote, one at a time, and compares the bytes.
  SimContext& c = job.thread->context();
  BlockIo& io = job.ios.front();
  for (std::uint64_t b = 0; b < job.written.size(); ++b) {
    if (!job.written[b]) continue;
    // A read the device fails (storage.error_rate) is tried again, a few times.
    bool read = false;
    for (int attempt = 0; attempt < 8 && !read; ++attempt) {
      prepare(job, io, 0, false, b * params_.bs);
      job.driver->execute(c, io, job.wake, us_to_ps(1));
      read = !io.transport_error && io.status == i2o::ReqStatus::kSuccess;
    }
    if (!read) {
      ++verify_read_errors_;
      continue;
    }
    const std::uint8_t* p = sys_.host.memory->at(job.buffers, params_.bs);
    bool same = true;
    for (std::uint32_t i = 0; i < params_.bs && same; ++i) same = p[i] == pattern(io.offset + i);
    if (same) {
      verified_bytes_ += params_.bs;
    } else {
      ++verify_mismatches_;
    }
  }
  errors_ += verify_mismatches_;
}

double StorageIo::window_s() const {
  Picos first = ~Picos{0}, last = 0;
  for (const Direction& d : dir_) {
    if (!d.ios) continue;
    first = std::min(first, d.first_submit);
    last = std::max(last, d.last_complete);
  }
  return last > first ? static_cast<double>(last - first) * 1e-12 : 0.0;
}

void StorageIo::report(RunReport& out) const {
  const char* names[2] = {"read", "write"};
  const double window = window_s();
  const bool reads = reads_ || mixed_;
  const bool writes = !reads_ || mixed_;
  for (int k = 0; k < 2; ++k) {
    const Direction& d = dir_[k];
    // The directions the pattern issues are always reported (zero before a run), so their
    // figures exist for sweeps and `--check`.
    if (!(k == 0 ? reads : writes)) continue;
    OpClassReport op;
    op.name = names[k];
    op.count = d.ios;
    op.bytes = d.bytes;
    op.latency_ps = d.lat_ps;
    op.span_ps = static_cast<std::uint64_t>(window * 1e12 + 0.5);
    out.ops.push_back(op);
    const std::string b = std::string("fio.") + names[k] + ".";
    const MetricScope m(out, b);
    const double n = std::max(1.0, static_cast<double>(d.ios));
    const double w = window > 0 ? window : 1.0;
    m.add("iops", "per_s", "I/Os per second over the measured window",
          static_cast<double>(d.ios) / w);
    m.add("bw_mbps", "MB/s", "bytes per second over the measured window (10^6)",
          static_cast<double>(d.bytes) / w / 1e6);
    m.add("slat_mean_ns", "ns", "submission latency: submit call to frame posted",
          d.slat_ps.mean() / 1e3);
    m.add("clat_mean_ns", "ns", "completion latency: frame posted to I/O completed",
          d.clat_ps.mean() / 1e3);
    m.add("breakdown.host_driver_ns", "ns", "mean: driver work, element waits, completion delivery",
          static_cast<double>(d.host) / n / 1e3);
    m.add("breakdown.fabric_ns", "ns", "mean: frame to the unit and reply back (links, adapters)",
          static_cast<double>(d.fabric) / n / 1e3);
    m.add("breakdown.rdma_ns", "ns", "mean: data moving between host buffers and the unit",
          static_cast<double>(d.rdma) / n / 1e3);
    m.add("breakdown.device_ns", "ns", "mean: storage device, queueing included",
          static_cast<double>(d.device) / n / 1e3);
    m.add("breakdown.controller_ns", "ns", "mean: I/O controller (parse, start, wait for a CPU)",
          static_cast<double>(d.controller) / n / 1e3);
  }
  std::uint64_t error_ios = 0;
  for (const auto& e : error_statuses_) {
    error_ios += e.second;
    out.add(std::string("fio.errors.") + i2o::detailed_status_name(e.first), "count",
            "I/Os that ended with this detailed status", static_cast<double>(e.second));
  }
  out.add("fio.error_ios", "count", "I/Os that ended with a status other than success",
          static_cast<double>(error_ios));
  if (params_.verify) {
    out.add("fio.verify.bytes", "B", "bytes read back and found equal",
            static_cast<double>(verified_bytes_));
    out.add("fio.verify.mismatches", "count", "blocks read back different from what was written",
            static_cast<double>(verify_mismatches_));
  }
}

void StorageIo::print_table(std::ostream& out) const {
  char line[256];
  std::snprintf(line, sizeof line, "fio: rw=%s, bs=%u, engine=%s, iodepth=%u, numjobs=%u\n",
                params_.rw.c_str(), params_.bs, params_.engine.c_str(),
                params_.engine == "sync" ? 1u : params_.iodepth, params_.numjobs);
  out << line;
  const char* names[2] = {"read", "write"};
  const double window = window_s();
  for (int k = 0; k < 2; ++k) {
    const Direction& d = dir_[k];
    if (!d.ios) continue;
    const double n = static_cast<double>(d.ios);
    std::snprintf(line, sizeof line, "  %s: IOPS=%.0f, BW=%.1fMiB/s (%.1fMB/s)(%.2fMiB/%.1fus)\n",
                  names[k], n / window, static_cast<double>(d.bytes) / window / 1048576.0,
                  static_cast<double>(d.bytes) / window / 1e6,
                  static_cast<double>(d.bytes) / 1048576.0, window * 1e6);
    out << line;
    auto stat = [&](const char* what, const LogLinearHistogram& h) {
      std::snprintf(line, sizeof line, "    %4s (usec): min=%.2f, max=%.2f, avg=%.2f\n", what,
                    static_cast<double>(h.min()) / 1e6, static_cast<double>(h.max()) / 1e6,
                    h.mean() / 1e6);
      out << line;
    };
    stat("slat", d.slat_ps);
    stat("clat", d.clat_ps);
    stat("lat", d.lat_ps);
    out << "    clat percentiles (usec):\n";
    const double qs[] = {1,  5,  10, 20, 30,   40,   50,    60,   70,
                         80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99};
    for (std::size_t i = 0; i < std::size(qs); ++i) {
      std::snprintf(line, sizeof line, "%s%6.2fth=[%.2f]%s", i % 4 == 0 ? "     | " : " ", qs[i],
                    static_cast<double>(d.clat_ps.quantile(qs[i] / 100.0)) / 1e6,
                    i % 4 == 3 || i + 1 == std::size(qs) ? "\n" : ",");
      out << line;
    }
    std::snprintf(line, sizeof line,
                  "    breakdown (usec, mean): host driver=%.2f, fabric=%.2f, rdma=%.2f, "
                  "device=%.2f, controller=%.2f\n",
                  static_cast<double>(d.host) / n / 1e6, static_cast<double>(d.fabric) / n / 1e6,
                  static_cast<double>(d.rdma) / n / 1e6, static_cast<double>(d.device) / n / 1e6,
                  static_cast<double>(d.controller) / n / 1e6);
    out << line;
  }
  for (const auto& e : error_statuses_) {
    std::snprintf(line, sizeof line, "  errors: %s=%llu\n", i2o::detailed_status_name(e.first),
                  static_cast<unsigned long long>(e.second));
    out << line;
  }
  if (params_.verify) {
    std::snprintf(line, sizeof line, "  verify: %llu bytes equal, %llu blocks differ\n",
                  static_cast<unsigned long long>(verified_bytes_),
                  static_cast<unsigned long long>(verify_mismatches_));
    out << line;
  }
}

}  // namespace hcasim
