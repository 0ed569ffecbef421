// Open-loop load generator (see open_loop.hpp for the arrival model and what is measured).
#include "workloads/open_loop.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include "models/core/lookahead.hpp"
#include "workloads/perftest.hpp"

namespace hcasim {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string::npos ? at : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

SizeDistribution SizeDistribution::parse(const std::string& text) {
  auto fail = [&](const std::string& why) -> SizeDistribution {
    throw ConfigError("key 'load.size': '" + text + "' " + why +
                      "; allowed: N, uniform:LO:HI (LO <= HI) or exp:MEAN:MAX (MEAN <= MAX), "
                      "sizes in bytes, each 1 .. " +
                      std::to_string(kPerftestMaxSize) +
                      " (e.g. 4096, uniform:64:4096, "
                      "exp:1024:65536)");
  };
  auto number = [&](const std::string& item) -> std::uint32_t {
    if (item.empty() || item.size() > 9 ||
        item.find_first_not_of("0123456789") != std::string::npos)
      fail("has '" + item + "', which is not a whole number of bytes");
    const unsigned long v = std::stoul(item);
    if (v < 1 || v > kPerftestMaxSize) fail("has " + item + ", out of range");
    return static_cast<std::uint32_t>(v);
  };
  const std::vector<std::string> parts = split(text, ':');
  SizeDistribution d;
  if (parts.size() == 1) {
    d.kind = Kind::kFixed;
    d.low = d.high = number(parts[0]);
    d.mean = d.low;
  } else if (parts.size() == 3 && parts[0] == "uniform") {
    d.kind = Kind::kUniform;
    d.low = number(parts[1]);
    d.high = number(parts[2]);
    if (d.low > d.high) return fail("has LO > HI");
    d.mean = (double(d.low) + double(d.high)) / 2.0;
  } else if (parts.size() == 3 && parts[0] == "exp") {
    d.kind = Kind::kExp;
    d.mean = number(parts[1]);
    d.high = number(parts[2]);
    d.low = 1;
    if (d.mean > d.high) return fail("has MEAN > MAX");
  } else {
    return fail("is not of a known form");
  }
  return d;
}

double SizeDistribution::expected() const { return mean; }

std::uint32_t SizeDistribution::draw(RandomStream& rng) const {
  switch (kind) {
    case Kind::kFixed:
      return low;
    case Kind::kUniform:
      return low + static_cast<std::uint32_t>(rng.below(std::uint64_t(high) - low + 1));
    case Kind::kExp: {
      const double v = std::ceil(rng.exponential(mean));
      return static_cast<std::uint32_t>(std::clamp(v, 1.0, static_cast<double>(high)));
    }
  }
  return low;
}

OpenLoop::OpenLoop(sc_core::sc_module_name name, System& system, const LoadParams& params,
                   std::uint64_t seed, TraceSink* trace)
    : sc_module(name),
      sys_(system),
      params_(params),
      sizes_(SizeDistribution::parse(params.size)),
      arrival_rng_(seed, std::string(this->name()) + ".arrival"),
      size_rng_(seed, std::string(this->name()) + ".size"),
      closed_(params.arrival == "closed"),
      verbs_(system.verbs()) {
  const std::uint32_t max_size = sizes_.max();
  const std::uint64_t need = 2ull * max_size + (1u << 20);
  if (need > sys_.host.memory->size() || need > sys_.iou.memory->size())
    throw ConfigError("key 'load.size': the largest size, " + std::to_string(max_size) +
                      " B, needs " + std::to_string(need >> 20) +
                      " MiB of host and of I/O-unit memory; raise host.memory_mb / iou.memory_mb");
  host_cq_ = &verbs_.create_cq(params_.depth + 64);
  verbs::QpCaps caps;
  caps.max_send_wr = params_.depth;
  caps.max_recv_wr = 1;
  host_qp_ = &verbs_.create_qp(*host_cq_, *host_cq_, caps);
  const IouQueues peer =
      sys_.open_iou_queues(0, sys_.iou_params.recv_depth + 64, 16, sys_.iou_params.recv_depth);
  sys_.connect(verbs_, *host_qp_, 0, peer);

  HostMemory& mem = *sys_.host.memory;
  buf_ = mem.allocate(max_size, 4096);
  mr_ = verbs_.reg_mr(buf_, max_size, kLocalWrite);
  std::uint8_t* payload = mem.at(buf_, max_size);
  for (std::uint32_t i = 0; i < max_size; ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + 1);
  const PeerMode mode = params_.op == "send" ? PeerMode::kSink : PeerMode::kPassive;
  peer_ = &sys_.iou.serve_perftest(peer, mode, max_size, false);
  request_.opcode = params_.op == "send"    ? WrOpcode::kSend
                    : params_.op == "write" ? WrOpcode::kRdmaWrite
                                            : WrOpcode::kRdmaRead;
  request_.remote_addr = peer_->buffer();
  request_.rkey = peer_->rkey();
  sge_ = Sge{buf_, 0, mr_.lkey};
  request_.sg_list = &sge_;
  request_.num_sge = 1;
  ctx_ = std::make_unique<SimContext>(*sys_.cpus[0]);
  arrival_ps_.resize(params_.depth);
  size_.resize(params_.depth);
  total_ = std::uint64_t(params_.warmup) + params_.count;
  op_.name = "load." + params_.op;
  latency_ns_.attach(trace, std::string(this->name()) + ".latency_ns");
  in_flight_.attach(trace, std::string(this->name()) + ".in_flight", 16);
  SC_METHOD(forward_wake);
  sensitive << host_cq_->landed_event() << arrival_due_;
  dont_initialize();
  SC_THREAD(host_thread);
}

Picos OpenLoop::next_gap() {
  const double mean_ps = 1e12 / params_.rate;
  const double gap = params_.arrival == "poisson" ? arrival_rng_.exponential(mean_ps) : mean_ps;
  return static_cast<Picos>(gap + 0.5);
}

void OpenLoop::reap() {
  // An arrival can end the spin only if it could be posted (room in the send queue).
  const bool timed = !closed_ && issued_ < total_ && issued_ - done_ < params_.depth;
  if (timed && next_arrival_ > now_ps()) Lookahead::notify_at(arrival_due_, next_arrival_);
  WorkCompletion wc[16];
  const int n = verbs_.spin_poll_cq_until(*ctx_, *host_cq_, wc, 16, wake_,
                                          [&] { return timed && now_ps() >= next_arrival_; });
  for (int k = 0; k < n; ++k) {
    if (wc[k].status != WcStatus::kSuccess) ++errors_;
    if (wc[k].is_recv) continue;
    const std::uint64_t id = wc[k].wr_id;
    const std::size_t slot = id % params_.depth;
    const Picos latency = now_ps() - arrival_ps_[slot];
    if (id >= params_.warmup) {
      op_.latency_ps.record(latency);
      ++op_.count;
      op_.bytes += size_[slot];
      latency_ns_.set(static_cast<double>(latency) / 1000.0);
    }
    ++done_;
    last_completion_ = now_ps();
  }
  in_flight_.set(issued_ - done_);
}

void OpenLoop::host_thread() {
  const std::uint32_t max_inline = verbs_.max_inline();
  const bool may_inline = params_.use_inline && request_.opcode != WrOpcode::kRdmaRead;
  if (!closed_) next_arrival_ = now_ps() + next_gap();
  bool counted = false;  // the arrival now due already found the send queue full
  while (done_ < total_) {
    const bool due = issued_ < total_ && (closed_ || now_ps() >= next_arrival_);
    if (due && issued_ - done_ < params_.depth) {
      const Picos arrival = closed_ ? now_ps() : next_arrival_;
      const std::size_t slot = issued_ % params_.depth;
      const std::uint32_t size = sizes_.draw(size_rng_);
      arrival_ps_[slot] = arrival;
      size_[slot] = size;
      if (issued_ == params_.warmup) first_measured_arrival_ = arrival;
      counted = false;
      request_.wr_id = issued_;
      sge_.len = size;
      request_.send_flags = verbs::kSendSignaled;
      if (may_inline && size <= max_inline) request_.send_flags |= verbs::kSendInline;
      if (verbs_.post_send(*ctx_, *host_qp_, &request_, 1) != 0) {  // not expected: depth = SQ
        reap();
        continue;
      }
      ++issued_;
      in_flight_.set(issued_ - done_);
      if (!closed_) next_arrival_ += next_gap();
      continue;
    }
    if (due && !closed_ && !counted) {
      // Open loop: the arrival waits for room; later arrivals keep their times and queue.
      counted = true;
      if (issued_ >= params_.warmup) ++sq_full_waits_;
    }
    reap();
  }
  finished_ = true;
  Lookahead::stop();
}

double OpenLoop::achieved_rate() const {
  if (last_completion_ <= first_measured_arrival_) return 0.0;
  return static_cast<double>(op_.count) * 1e12 /
         static_cast<double>(last_completion_ - first_measured_arrival_);
}

double OpenLoop::offered_rate() const { return closed_ ? achieved_rate() : params_.rate; }

void OpenLoop::report(RunReport& out) const {
  out.ops.push_back(op_);
  const MetricScope m(out, "load.");
  m.add("offered_rate", "per_s", "operations per second the arrivals asked for", offered_rate());
  m.add("achieved_rate", "per_s", "measured operations / (first arrival -> last completion)",
        achieved_rate());
  m.add("sq_full_waits", "count", "measured arrivals that found the send queue full and waited",
        static_cast<double>(sq_full_waits_));
}

void OpenLoop::print_table(std::ostream& out) const {
  const char* rule =
      "---------------------------------------------------------------------------------------";
  out << '\n' << rule << '\n';
  out << "                    Open-loop " << params_.op << " load (" << params_.arrival
      << " arrivals)\n";
  out << " Offered load    : "
      << (closed_ ? std::string("closed loop, ") + std::to_string(params_.depth) + " in flight"
                  : fixed(params_.rate / 1e6, 6) + " Mops/s")
      << '\n';
  out << " Message sizes   : " << params_.size << " B (mean " << fixed(sizes_.expected(), 1)
      << " B)\n";
  out << " SQ depth        : " << params_.depth << '\n';
  out << " Mtu             : " << sys_.link_params.mtu << "[B]\n";
  out << rule << '\n';
  const std::vector<std::string> header = {"#ops",
                                           "offered[Mops/s]",
                                           "achieved[Mops/s]",
                                           "BW average[MB/sec]",
                                           "t_min[usec]",
                                           "t_typical[usec]",
                                           "t_avg[usec]",
                                           "99% percentile[usec]",
                                           "99.9% percentile[usec]",
                                           "t_max[usec]",
                                           "sq_full_waits"};
  print_perftest_row(out, header, header);
  const LogLinearHistogram& h = op_.latency_ps;
  auto us = [](double ps) { return fixed(ps / 1e6, 2); };
  const double bytes_per_s =
      op_.count ? achieved_rate() * static_cast<double>(op_.bytes) / op_.count : 0.0;
  print_perftest_row(
      out, header,
      {std::to_string(op_.count), fixed(offered_rate() / 1e6, 6), fixed(achieved_rate() / 1e6, 6),
       fixed(bytes_per_s / (1024.0 * 1024.0), 2), us(static_cast<double>(h.min())),
       us(static_cast<double>(h.quantile(0.5))), us(h.mean()),
       us(static_cast<double>(h.quantile(0.99))), us(static_cast<double>(h.quantile(0.999))),
       us(static_cast<double>(h.max())), std::to_string(sq_full_waits_)});
  out << rule << '\n';
}

}  // namespace hcasim
