// The perftest-style workloads (see perftest.hpp for what each test measures and how).
#include "workloads/perftest.hpp"
#include "models/core/lookahead.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <ostream>

namespace hcasim {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;  // perftest's "MB" in MB/sec
// UD (perftest -c UD): the Q_Key both sides use (perftest's DEF_QKEY).
constexpr std::uint32_t kPerftestQkey = 0x11111111;
// Bidirectional send_bw: receives the host keeps posted per QP (perftest's default rx depth).
constexpr std::uint32_t kDuplexRxDepth = 512;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

struct TestInfo {
  const char* name;
  const char* title;
  WrOpcode opcode;
  PeerMode peer;
  bool bandwidth;
};

const TestInfo& test_info(const std::string& test) {
  static const TestInfo tests[] = {
      {"send_lat", "Send Latency Test", WrOpcode::kSend, PeerMode::kEcho, false},
      {"write_lat", "RDMA_Write Latency Test", WrOpcode::kRdmaWrite, PeerMode::kWriteEcho, false},
      {"read_lat", "RDMA_Read Latency Test", WrOpcode::kRdmaRead, PeerMode::kPassive, false},
      {"send_bw", "Send BW Test", WrOpcode::kSend, PeerMode::kSink, true},
      {"write_bw", "RDMA_Write BW Test", WrOpcode::kRdmaWrite, PeerMode::kPassive, true},
      {"read_bw", "RDMA_Read BW Test", WrOpcode::kRdmaRead, PeerMode::kPassive, true},
  };
  for (const TestInfo& t : tests)
    if (test == t.name) return t;
  throw ConfigError("key 'perftest.test': '" + test + "' is not a perftest tool");
}

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

const char* kRule =
    "---------------------------------------------------------------------------------------";

}  // namespace

// A perftest table: each cell left-aligned under its header, columns three spaces apart.
void print_perftest_row(std::ostream& out, const std::vector<std::string>& header,
                        const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t c = 0; c < header.size() && c < cells.size(); ++c) {
    line += ' ' + cells[c];
    const std::size_t width = header[c].size() + 2;
    if (c + 1 < header.size())
      line += std::string(width > cells[c].size() ? width - cells[c].size() : 1, ' ');
  }
  line.erase(line.find_last_not_of(' ') + 1);
  out << line << '\n';
}

std::vector<std::uint32_t> parse_perftest_sizes(const std::string& text) {
  auto fail = [&](const std::string& why) {
    throw ConfigError("key 'perftest.sizes': '" + text + "' " + why +
                      "; allowed: 'all' (2, 4, 8, ..., 1048576) or a comma list of distinct "
                      "sizes in bytes, each 1 .. " +
                      std::to_string(kPerftestMaxSize) + " (e.g. 2,64,4096)");
  };
  std::vector<std::uint32_t> sizes;
  const std::string all = trim(text);
  if (all == "all") {
    for (std::uint32_t s = 2; s <= (1u << 20); s *= 2) sizes.push_back(s);
    return sizes;
  }
  if (all.empty()) fail("is empty");
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = all.find(',', start);
    const std::string item =
        trim(all.substr(start, comma == std::string::npos ? comma : comma - start));
    if (item.empty()) fail("has an empty item");
    if (item.find_first_not_of("0123456789") != std::string::npos)
      fail("has '" + item + "', which is not a whole number of bytes");
    if (item.size() > 9 || std::stoul(item) < 1 || std::stoul(item) > kPerftestMaxSize)
      fail("has " + item + ", out of range");
    const auto size = static_cast<std::uint32_t>(std::stoul(item));
    if (std::find(sizes.begin(), sizes.end(), size) != sizes.end()) fail("has " + item + " twice");
    sizes.push_back(size);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return sizes;
}

double Perftest::SizeResult::average_bytes_per_ps() const {
  return (elapsed_ps ? static_cast<double>(op.bytes) / static_cast<double>(elapsed_ps) : 0.0) +
         peer_bytes_per_ps;
}

Perftest::Perftest(sc_core::sc_module_name name, System& system, const PerftestParams& params,
                   TraceSink* trace)
    : sc_module(name), sys_(system), params_(params), verbs_(system.verbs()) {
  const TestInfo& info = test_info(params_.test);
  std::vector<std::uint32_t> sizes = parse_perftest_sizes(params_.sizes);
  if (params_.connection == "UD") {
    type_ = QpType::kUd;
    grh_ = verbs::kGrhBytes;
    if (info.opcode != WrOpcode::kSend)
      throw ConfigError("key 'perftest.connection': UD runs SENDs only (send_lat, send_bw), not " +
                        params_.test + "; allowed with this test: RC");
    // As perftest: -a stops at the path MTU, a size above it is refused.
    const std::uint32_t mtu = sys_.link_params.mtu;
    if (trim(params_.sizes) == "all") {
      sizes.erase(std::remove_if(sizes.begin(), sizes.end(), [&](auto s) { return s > mtu; }),
                  sizes.end());
    } else if (const auto big =
                   std::find_if(sizes.begin(), sizes.end(), [&](auto s) { return s > mtu; });
               big != sizes.end()) {
      throw ConfigError("key 'perftest.sizes': " + std::to_string(*big) +
                        " B is longer than a datagram may be (fabric.mtu = " + std::to_string(mtu) +
                        "); allowed with perftest.connection = UD: 1 .. " + std::to_string(mtu));
    }
  }
  bw_ = info.bandwidth;
  cq_mod_ = std::min(params_.cq_mod, params_.tx_depth);
  max_size_ = *std::max_element(sizes.begin(), sizes.end());
  if (!bw_ && (params_.qps > 1 || params_.post_list > 1 || params_.duration_us > 0))
    throw ConfigError("key 'perftest." +
                      std::string(params_.qps > 1         ? "qps"
                                  : params_.post_list > 1 ? "post_list"
                                                          : "duration_us") +
                      "': latency tests (" + params_.test +
                      ") run one QP, one WR per post and a number of iterations; allowed: the "
                      "default");
  if (params_.bidirectional && (!bw_ || params_.duration_us > 0))
    throw ConfigError(std::string("key 'perftest.bidirectional': ") +
                      (bw_ ? "a run by duration (perftest.duration_us) is one-way here"
                           : "latency tests (" + params_.test + ") are one-way") +
                      "; allowed: false");
  // design decision: the peer's traffic toward the host targets the first adapter's buffers
  // and the host's one polling loop watches its CQ, so -b runs on one host adapter.
  if (params_.bidirectional && sys_.host_verbs.size() > 1)
    throw ConfigError(
        "key 'perftest.bidirectional': runs on one host adapter (system.host_adapters "
        "is " +
        std::to_string(sys_.host_verbs.size()) + "); allowed: false");
  if (params_.post_list > params_.tx_depth)
    throw ConfigError("key 'perftest.post_list': " + std::to_string(params_.post_list) +
                      " WRs per post exceed perftest.tx_depth (" +
                      std::to_string(params_.tx_depth) + "); allowed: 1 .. tx_depth");
  // Each side needs two buffers of the largest size (besides its rings); an I/O unit two per QP.
  const std::uint32_t n_dev =
      std::min<std::uint32_t>(params_.qps, static_cast<std::uint32_t>(sys_.host_verbs.size()));
  const std::uint32_t n_iou =
      std::min<std::uint32_t>(params_.qps, static_cast<std::uint32_t>(sys_.ious.size()));
  const std::uint32_t qps_per_iou = (params_.qps + n_iou - 1) / n_iou;
  const std::uint64_t need = 2ull * max_size_ + (1u << 20);
  if (need > sys_.host.memory->size() || need * qps_per_iou > sys_.iou.memory->size())
    throw ConfigError("key 'perftest.sizes': the largest size, " + std::to_string(max_size_) +
                      " B, needs " + std::to_string(need >> 20) +
                      " MiB of host and of I/O-unit memory; raise host.memory_mb / iou.memory_mb");

  duplex_recvs_ = params_.bidirectional && info.opcode == WrOpcode::kSend;
  for (std::uint32_t d = 0; d < n_dev; ++d) {
    devices_.push_back(sys_.host_verbs[d].get());
    const std::uint32_t qps_here = (params_.qps - d + n_dev - 1) / n_dev;
    cqs_.push_back(&devices_.back()->create_cq(
        2 * params_.tx_depth * qps_here + 64 + (duplex_recvs_ ? kDuplexRxDepth * qps_here : 0),
        qps_here));
  }
  host_cq_ = cqs_.front();
  verbs::QpCaps caps;
  caps.max_send_wr = params_.tx_depth;
  caps.max_recv_wr = duplex_recvs_ ? kDuplexRxDepth : 16;
  std::vector<IouQueues> peers;
  std::vector<const verbs::Ah*> ahs;
  for (std::uint32_t q = 0; q < params_.qps; ++q) {
    const std::uint32_t d = q % n_dev, u = q % n_iou;
    qps_.push_back(&devices_[d]->create_qp(*cqs_[d], *cqs_[d], caps, type_));
    // A bidirectional peer sends as the host does: tx_depth outstanding, its own send CQ.
    const std::uint32_t iou_sq =
        params_.bidirectional ? std::max<std::uint32_t>(256, params_.tx_depth) : 256;
    peers.push_back(sys_.open_iou_queues(u, sys_.iou_params.recv_depth + iou_sq + 64, iou_sq,
                                         sys_.iou_params.recv_depth, type_, params_.bidirectional));
    if (type_ == QpType::kUd)
      ahs.push_back(&sys_.connect_ud(*devices_[d], *qps_.back(), u, peers.back(), kPerftestQkey));
    else
      sys_.connect(*devices_[d], *qps_.back(), u, peers.back());
  }
  host_qp_ = qps_.front();

  HostMemory& mem = *sys_.host.memory;
  send_buf_ = mem.allocate(max_size_, 4096);
  recv_buf_ = mem.allocate(max_size_ + grh_, 4096);
  mr_ = verbs_.reg_mr(send_buf_, recv_buf_ + max_size_ + grh_ - send_buf_,
                      kLocalWrite | kRemoteWrite | kRemoteRead);
  const std::uint64_t payload_addr = info.opcode == WrOpcode::kRdmaRead ? recv_buf_ : send_buf_;
  sges_.push_back(Sge{payload_addr, 0, mr_.lkey});
  for (std::size_t d = 1; d < devices_.size(); ++d) {
    const verbs::Mr mr = devices_[d]->reg_mr(send_buf_, recv_buf_ + max_size_ + grh_ - send_buf_,
                                             kLocalWrite | kRemoteWrite | kRemoteRead);
    sges_.push_back(Sge{payload_addr, 0, mr.lkey});
  }
  std::uint8_t* payload = mem.at(send_buf_, max_size_);
  for (std::uint32_t i = 0; i < max_size_; ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + 1);
  for (std::size_t q = 0; q < peers.size(); ++q) {
    PerftestPeer& p =
        sys_.ious[q % n_iou]->serve_perftest(peers[q], info.peer, max_size_, params_.use_inline);
    Remote remote{p.buffer(), p.rkey(), {}};
    if (type_ == QpType::kUd) remote.ud = {ahs[q], peers[q].qp->qpn, kPerftestQkey};
    remotes_.push_back(remote);
    if (!peer_) peer_ = &p;
    if (params_.bidirectional) {
      PerftestPeer::Duplex d;
      d.send_cq = peers[q].send_cq;
      d.opcode = info.opcode;
      // The peer WRITEs into the host's receive buffer and READs its send buffer.
      d.remote_addr = info.opcode == WrOpcode::kRdmaRead ? send_buf_ : recv_buf_;
      d.rkey = mr_.rkey;
      d.tx_depth = params_.tx_depth;
      d.cq_mod = cq_mod_;
      p.enable_duplex(d);
      duplex_peers_.push_back(&p);
    }
  }
  for (std::size_t q = 0; q < qps_.size(); ++q) {
    const std::uint32_t qpn = qps_[q]->qp_num();
    if (qp_slot_.size() <= qpn) qp_slot_.resize(qpn + 1);
    qp_slot_[qpn] = static_cast<std::uint32_t>(q);
  }
  if (!duplex_peers_.empty()) {
    // Wakes the host's last polling loop of a phase on a completion or a peer's burst ending;
    // ends with the run (its event list is freed, not left with a waiting process).
    Lookahead::spawn_thread(
        [this] {
          sc_core::sc_event_or_list any;
          any |= host_cq_->landed_event();
          any |= duplex_quit_;
          for (PerftestPeer* p : duplex_peers_) any |= p->burst_done();
          while (!finished_) {
            Lookahead::wait_on(any);
            Lookahead::notify(duplex_wake_);
          }
        },
        "duplex_wake");
  }
  ctx_ = std::make_unique<SimContext>(*sys_.cpus[0]);

  const std::uint64_t budget = std::uint64_t(params_.size_budget_mb) << 20;
  std::vector<PerftestPeer::Round> rounds;
  for (std::uint32_t size : sizes) {
    SizeResult r;
    r.size = size;
    r.iterations =
        std::min<std::uint64_t>(params_.iterations, std::max<std::uint64_t>(1, budget / size));
    r.warmup = std::min<std::uint64_t>(params_.warmup, r.iterations);
    r.op.name = params_.test + "." + std::to_string(size);
    rounds.push_back(PerftestPeer::Round{size, r.warmup + r.iterations});
    results_.push_back(std::move(r));
  }
  if (info.peer == PeerMode::kWriteEcho) {
    peer_->set_write_echo(recv_buf_, mr_.rkey, std::move(rounds));
    sys_.host.pcie->watch(recv_buf_, max_size_, &recv_watch_);
  }

  request_.opcode = info.opcode;
  request_.remote_addr = peer_->buffer();
  request_.rkey = peer_->rkey();
  request_.ud = remotes_.front().ud;
  // A READ lands in recv_buf_; everything else sends from send_buf_.
  sge_ = Sge{info.opcode == WrOpcode::kRdmaRead ? recv_buf_ : send_buf_, 0, mr_.lkey};
  recv_sge_ = Sge{recv_buf_, max_size_ + grh_, mr_.lkey};
  request_.sg_list = &sge_;
  request_.num_sge = 1;
  post_ps_.resize(std::size_t{params_.tx_depth} * params_.qps);
  list_.resize(params_.post_list);
  latency_ns_.attach(trace, std::string(this->name()) + ".latency_ns");
  size_trace_.attach(trace, std::string(this->name()) + ".size", 32);
  SC_THREAD(host_thread);
  if (cqs_.size() > 1) {
    SC_METHOD(forward_landed);
    for (const verbs::Cq* cq : cqs_) sensitive << cq->landed_event();
    dont_initialize();
  }
}

void Perftest::prepare_request(std::uint32_t size) {
  sge_.len = size;
  for (Sge& sge : sges_) sge.len = size;
  request_.send_flags = verbs::kSendSignaled;
  if (params_.use_inline && request_.opcode != WrOpcode::kRdmaRead && size <= verbs_.max_inline())
    request_.send_flags |= verbs::kSendInline;
}

void Perftest::post_echo_recv(std::uint64_t wr_id) {
  const verbs::RecvWr wr{wr_id, &recv_sge_, 1};
  if (verbs_.post_recv(*ctx_, *host_qp_, &wr, 1) != 0) ++errors_;
}

void Perftest::tally(SizeResult& r, Picos latency) {
  r.op.latency_ps.record(latency);
  ++r.op.count;
  r.op.bytes += r.size;
  r.sum_sq += static_cast<double>(latency) * static_cast<double>(latency);
}

void Perftest::record(SizeResult& r, Picos latency) {
  tally(r, latency);
  latency_ns_.set(static_cast<double>(latency) / 1000.0);
}

unsigned Perftest::reap(bool block) {
  WorkCompletion wc[16];
  const int n = block ? verbs_.spin_poll_cq(*ctx_, *host_cq_, wc, 16)
                      : verbs_.poll_cq(*ctx_, *host_cq_, wc, 16);  // one poll, found or not
  unsigned recvs = 0;
  for (int k = 0; k < n; ++k) {
    if (wc[k].status != WcStatus::kSuccess) ++errors_;
    if (wc[k].is_recv)
      ++recvs;
    else
      sends_done_ = wc[k].wr_id + 1;
  }
  return recvs;
}

void Perftest::host_thread() {
  if (params_.test == "send_lat") {
    // One receive stays posted for the echo; each reply's is reposted (as in PingPong).
    post_echo_recv(0);
  }
  if (duplex_recvs_) {  // bidirectional send_bw: rx depth receives per QP for the peer's SENDs
    const verbs::RecvWr wr{0, &recv_sge_, 1};
    for (verbs::Qp* qp : qps_)
      for (std::uint32_t i = 0; i < kDuplexRxDepth; ++i)
        if (verbs_.post_recv(*ctx_, *qp, &wr, 1) != 0) ++errors_;
  }
  for (SizeResult& r : results_) {
    size_trace_.set(r.size);
    prepare_request(r.size);
    sends_done_ = 0;
    const Picos started = now_ps();
    if (params_.test == "send_lat") {
      run_send_lat(r);
    } else if (params_.test == "write_lat") {
      run_write_lat(r);
    } else if (params_.test == "read_lat") {
      run_read_lat(r);
    } else {
      run_bw(r, r.warmup, false);
      run_bw(r, r.iterations, true);
    }
    // Rates in the summary are per size: over the measured span, not the whole sweep.
    r.op.span_ps = bw_ ? r.elapsed_ps : now_ps() - started;
  }
  finished_ = true;
  Lookahead::notify(duplex_quit_);  // the duplex wake-up helper ends in this delta cycle
  Lookahead::stop();
}

// Ping-pong of SENDs, step for step what PingPong does, so its 2-byte figure is PingPong's / 2.
void Perftest::run_send_lat(SizeResult& r) {
  const std::uint64_t total = r.warmup + r.iterations;
  for (std::uint64_t i = 0; i < total; ++i) {
    const Picos start = now_ps();
    request_.wr_id = i;
    while (verbs_.post_send(*ctx_, *host_qp_, &request_, 1) == ENOMEM) reap(true);  // make room
    while (reap(true) == 0) {
    }
    const Picos rtt = now_ps() - start;
    if (i >= r.warmup) record(r, rtt / 2);
    post_echo_recv(i + 1);
  }
}

// Ping-pong of RDMA WRITEs: the answer is noticed by spinning on the last byte of recv_buf_.
void Perftest::run_write_lat(SizeResult& r) {
  SimCpu& cpu = *sys_.cpus[0];
  const HostParams& hp = sys_.host_params;
  HostMemory& mem = *sys_.host.memory;
  std::uint8_t* in = mem.at(recv_buf_, r.size);
  std::uint8_t* out = mem.at(send_buf_, r.size);
  std::memset(in, 0, r.size);  // the peer's last write of the previous size has landed
  const std::uint64_t total = r.warmup + r.iterations;
  for (std::uint64_t i = 0; i < total; ++i) {
    const std::uint8_t marker = perftest_marker(i);
    out[r.size - 1] = marker;
    const Picos start = now_ps();
    request_.wr_id = i;
    while (verbs_.post_send(*ctx_, *host_qp_, &request_, 1) == ENOMEM) reap(true);
    cpu.spin_until(recv_watch_.event(), hp.poll_cycles, [&] { return in[r.size - 1] == marker; });
    const Picos rtt = now_ps() - start;
    if (i >= r.warmup) record(r, rtt / 2);
    reap(false);  // retire the WRITE's completion (outside the measured round trip)
  }
}

// RDMA READ of the I/O unit's buffer; the full round trip is reported.
void Perftest::run_read_lat(SizeResult& r) {
  const std::uint64_t total = r.warmup + r.iterations;
  for (std::uint64_t i = 0; i < total; ++i) {
    const Picos start = now_ps();
    request_.wr_id = i;
    while (verbs_.post_send(*ctx_, *host_qp_, &request_, 1) == ENOMEM) reap(true);
    while (sends_done_ <= i) reap(true);
    const Picos rtt = now_ps() - start;
    if (i >= r.warmup) record(r, rtt);
  }
}

int Perftest::poll_any(WorkCompletion* wc, int n) {
  if (cqs_.size() == 1) return verbs_.spin_poll_cq(*ctx_, *host_cq_, wc, n);
  // design decision: with one CQ per adapter the thread reaps the first CQ (in adapter order)
  // that has entries, and when all are empty spins until one has: the empty polls are the spin
  // loop's, computed by the CPU model, and the poll that reaps is charged as the verbs layer
  // charges it.
  for (;;) {
    for (std::size_t d = 0; d < cqs_.size(); ++d)
      if (cqs_[d]->pending() > 0) return devices_[d]->poll_cq(*ctx_, *cqs_[d], wc, n);
    const int got = verbs_.spin_poll_cq_until(*ctx_, *cqs_[0], wc, n, any_landed_, [&] {
      for (const verbs::Cq* cq : cqs_)
        if (cq->pending() > 0) return true;
      return false;
    });
    if (got > 0) return got;
  }
}

// tx_depth requests outstanding per QP, every cq_mod-th and the last signaled (perftest's
// run_iter_bw); the QPs are served round-robin, each with lists of up to post_list WRs.
void Perftest::run_bw(SizeResult& r, std::uint64_t n, bool measure) {
  if (n == 0) return;
  const std::uint64_t depth = params_.tx_depth;
  const std::size_t nq = qps_.size();
  // design decision: a run by duration (perftest -D) stops posting when the time is up, then
  // each QP posts up to its next signaled request so that every op it posted is seen complete.
  const bool timed = measure && params_.duration_us > 0;
  constexpr std::uint64_t kOpen = ~std::uint64_t{0};
  constexpr unsigned kQpShift = 40;  // wr_id: QP index << 40 | its op number
  struct Progress {
    std::uint64_t posted = 0, done = 0, last = 0;  // ops posted, seen complete, to post
  };
  std::vector<Progress> qp(nq);
  for (Progress& p : qp) p.last = timed ? kOpen : n;
  const Picos start = now_ps();
  const Picos end = timed ? start + us_to_ps(params_.duration_us) : 0;
  last_batch_ps_ = start;
  for (PerftestPeer* p : duplex_peers_) p->start_burst(r.size, n);  // perftest's handshake
  WorkCompletion wc[16];
  std::uint64_t total_done = 0;
  const std::uint64_t peak_span = std::uint64_t{cq_mod_} * nq;
  std::deque<std::pair<Picos, std::uint64_t>> window;  // (poll time, ops done so far)
  window.emplace_back(start, 0);
  auto all_done = [&] {
    for (std::size_t q = 0; q < nq; ++q)
      if (qp[q].last == kOpen || qp[q].done < qp[q].last) return false;
    return true;
  };
  while (!all_done()) {
    for (std::size_t q = 0; q < nq; ++q) {
      if (timed && qp[q].last == kOpen && now_ps() >= end)
        qp[q].last = (qp[q].posted + cq_mod_ - 1) / cq_mod_ * cq_mod_;
      while (qp[q].posted < qp[q].last && qp[q].posted - qp[q].done < depth) {
        const std::uint64_t k = std::min<std::uint64_t>(
            {params_.post_list, qp[q].last - qp[q].posted, depth - (qp[q].posted - qp[q].done)});
        for (std::uint64_t i = 0; i < k; ++i) {
          const std::uint64_t op = qp[q].posted + i;
          verbs::SendWr& wr = list_[i];
          wr = request_;
          wr.sg_list = &sges_[q % sges_.size()];
          wr.remote_addr = remotes_[q].addr;
          wr.rkey = remotes_[q].rkey;
          wr.ud = remotes_[q].ud;
          wr.wr_id = (std::uint64_t{q} << kQpShift) | op;
          wr.send_flags &= ~unsigned{verbs::kSendSignaled};
          if ((op + 1) % cq_mod_ == 0 || op + 1 == qp[q].last)
            wr.send_flags |= verbs::kSendSignaled;
          post_ps_[q * depth + op % depth] = now_ps();
        }
        std::size_t bad = 0;
        if (devices_[q % devices_.size()]->post_send(*ctx_, *qps_[q], list_.data(), k, &bad) != 0) {
          qp[q].posted += bad;  // the rest when the window has room (window = queue size)
          break;
        }
        qp[q].posted += k;
      }
    }
    // perftest takes tcompleted when ibv_poll_cq returns.
    const int got = poll_any(wc, 16);
    const Picos polled = now_ps();
    const std::uint64_t before = total_done;
    Picos latest = 0;  // the trace shows one latency per poll: the last at that time wins
    repost_receives(wc, got);
    for (int j = 0; j < got; ++j) {
      if (wc[j].status != WcStatus::kSuccess) ++errors_;
      if (wc[j].is_recv) continue;
      const auto q = static_cast<std::size_t>(wc[j].wr_id >> kQpShift);
      const std::uint64_t op = wc[j].wr_id & ((std::uint64_t{1} << kQpShift) - 1);
      const std::uint64_t upto = std::min<std::uint64_t>(op + 1, qp[q].posted);
      if (measure)
        for (std::uint64_t o = qp[q].done; o < upto; ++o)
          tally(r, latest = polled - post_ps_[q * depth + o % depth]);
      if (upto > qp[q].done) {
        total_done += upto - qp[q].done;
        qp[q].done = upto;
      }
    }
    if (measure && total_done > before) {
      latency_ns_.set(static_cast<double>(latest) / 1000.0);
      // Peak: the highest rate over the shortest span of polls that saw at least one
      // signaled batch per QP complete (with one QP: between two polls that found completions).
      while (window.size() >= 2 && total_done - window[1].second >= peak_span) window.pop_front();
      if (total_done - window.front().second >= peak_span) {
        const double bytes = static_cast<double>((total_done - window.front().second) * r.size);
        r.peak_bytes_per_ps = std::max(r.peak_bytes_per_ps,
                                       bytes / static_cast<double>(polled - window.front().first));
      }
      window.emplace_back(polled, total_done);
      last_batch_ps_ = polled;
    }
  }
  if (measure) {
    r.elapsed_ps = last_batch_ps_ - start;
    r.iterations = total_done;
  }
  finish_peer_bursts(r, measure);
}

void Perftest::repost_receives(const WorkCompletion* wc, int n) {
  if (!duplex_recvs_) return;
  const verbs::RecvWr wr{0, &recv_sge_, 1};
  for (int j = 0; j < n; ++j)
    if (wc[j].is_recv && wc[j].status == WcStatus::kSuccess &&
        verbs_.post_recv(*ctx_, *qps_[qp_slot_[wc[j].qpn]], &wr, 1) != 0)
      ++errors_;
}

void Perftest::finish_peer_bursts(SizeResult& r, bool measure) {
  if (duplex_peers_.empty()) return;
  auto running = [&] {
    for (const PerftestPeer* p : duplex_peers_)
      if (p->burst_running()) return true;
    return false;
  };
  WorkCompletion wc[16];
  while (running()) {
    const int got = verbs_.spin_poll_cq_until(*ctx_, *host_cq_, wc, 16, duplex_wake_,
                                              [&] { return !running(); });
    for (int j = 0; j < got; ++j)
      if (wc[j].status != WcStatus::kSuccess) ++errors_;
    repost_receives(wc, got);
  }
  if (!measure) return;
  // As perftest -b: the peer's report is added to ours. Its bursts started together, so its
  // rate is all its bytes over its longest burst.
  std::uint64_t bytes = 0;
  Picos elapsed = 0;
  for (const PerftestPeer* p : duplex_peers_) {
    bytes += p->burst_bytes();
    elapsed = std::max(elapsed, p->burst_elapsed_ps());
  }
  r.peer_bytes_per_ps = elapsed ? static_cast<double>(bytes) / static_cast<double>(elapsed) : 0.0;
  r.peak_bytes_per_ps += r.peer_bytes_per_ps;
}

void Perftest::report(RunReport& out) const {
  for (const SizeResult& r : results_) {
    out.ops.push_back(r.op);
    const std::string base = "perftest." + params_.test + "." + std::to_string(r.size) + ".";
    const MetricScope m(out, base);
    if (bw_) {
      const double avg = r.average_bytes_per_ps() * 1e12;
      m.add("bw_peak", "MiB/s", "highest rate between two polls that found completions",
            r.peak_bytes_per_ps * 1e12 / kMiB);
      m.add("bw_average", "MiB/s", "bytes / (first post -> last completion)", avg / kMiB);
      m.add("bw_average_gbits", "Gb/s", "the same in 10^9 bits per second", avg * 8 / 1e9);
      m.add("msg_rate", "Mpps", "operations per second over the same time",
            r.size ? avg / r.size / 1e6 : 0.0);
    } else {
      const double n = static_cast<double>(r.op.count);
      const double mean = r.op.latency_ps.mean();
      const double var = n > 0 ? std::max(0.0, r.sum_sq / n - mean * mean) : 0.0;
      m.add("t_stdev", "ns", "standard deviation of the reported latency", std::sqrt(var) / 1000.0);
    }
  }
}

void Perftest::print_table(std::ostream& out) const {
  const TestInfo& info = test_info(params_.test);
  const std::uint32_t max_inline = params_.use_inline ? verbs_.max_inline() : 0;
  char line[160];
  out << '\n' << kRule << '\n';
  out << "                    " << info.title << '\n';
  std::snprintf(line, sizeof line,
                " Number of qps   : %u\t\tTransport type : IB\n"
                " Connection type : %s\t\tUsing SRQ      : OFF\n",
                bw_ ? params_.qps : 1u, to_string(type_));
  out << line;
  if (bw_) out << " PCIe relax order: OFF\n";
  std::snprintf(line, sizeof line, " TX depth        : %u\n", bw_ ? params_.tx_depth : 1u);
  out << line;
  if (bw_) out << " Post List       : " << params_.post_list << '\n';
  if (bw_) out << " CQ Moderation   : " << cq_mod_ << '\n';
  out << " Mtu             : " << sys_.link_params.mtu << "[B]\n";
  out << " Link type       : IB\n";
  out << " Max inline data : " << (info.opcode == WrOpcode::kRdmaRead ? 0 : max_inline) << "[B]\n";
  if (!bw_)
    out << " Reported        : " << (info.opcode == WrOpcode::kRdmaRead ? "full" : "half")
        << " round trip\n";
  out << kRule << '\n';
  if (bw_) {
    const bool gbits = params_.report_gbits;
    const std::vector<std::string> header = {
        "#bytes", "#iterations", gbits ? "BW peak[Gb/sec]" : "BW peak[MB/sec]",
        gbits ? "BW average[Gb/sec]" : "BW average[MB/sec]", "MsgRate[Mpps]"};
    // Bytes per second in the table's unit: Gb/s (10^9 bits) or perftest's MB (2^20 bytes).
    auto bw = [&](double bytes_per_s) {
      return gbits ? bytes_per_s * 8 / 1e9 : bytes_per_s / kMiB;
    };
    print_perftest_row(out, header, header);
    for (const SizeResult& r : results_) {
      const double avg = r.average_bytes_per_ps() * 1e12;
      print_perftest_row(out, header,
                         {std::to_string(r.size), std::to_string(r.iterations),
                          fixed(bw(r.peak_bytes_per_ps * 1e12), 2), fixed(bw(avg), 2),
                          fixed(r.size ? avg / r.size / 1e6 : 0.0, 6)});
    }
  } else {
    const std::vector<std::string> header = {
        "#bytes",        "#iterations",          "t_min[usec]",
        "t_max[usec]",   "t_typical[usec]",      "t_avg[usec]",
        "t_stdev[usec]", "99% percentile[usec]", "99.9% percentile[usec]"};
    print_perftest_row(out, header, header);
    for (const SizeResult& r : results_) {
      const LogLinearHistogram& h = r.op.latency_ps;
      const double n = static_cast<double>(r.op.count);
      const double mean = h.mean();
      const double var = n > 0 ? std::max(0.0, r.sum_sq / n - mean * mean) : 0.0;
      auto us = [](double ps) { return fixed(ps / 1e6, 2); };
      print_perftest_row(
          out, header,
          {std::to_string(r.size), std::to_string(r.iterations), us(static_cast<double>(h.min())),
           us(static_cast<double>(h.max())), us(static_cast<double>(h.quantile(0.5))), us(mean),
           us(std::sqrt(var)), us(static_cast<double>(h.quantile(0.99))),
           us(static_cast<double>(h.quantile(0.999)))});
    }
  }
  out << kRule << '\n';
}

}  // namespace hcasim
