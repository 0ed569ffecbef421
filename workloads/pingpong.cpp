#include "workloads/pingpong.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {

PingPong::PingPong(sc_core::sc_module_name name, System& system, const PingPongParams& params,
                   TraceSink* trace)
    : sc_module(name), sys_(system), params_(params), verbs_(system.verbs()) {
  host_cq_ = &verbs_.create_cq(256);
  verbs::QpCaps caps;
  caps.max_send_wr = 64;
  caps.max_recv_wr = 64;
  host_qp_ = &verbs_.create_qp(*host_cq_, *host_cq_, caps);
  const IouQueues peer = sys_.open_iou_queues(0, 4096, 1024, sys_.iou_params.recv_depth);
  sys_.connect(verbs_, *host_qp_, 0, peer);

  HostMemory& mem = *sys_.host.memory;
  const std::uint32_t reply = std::max<std::uint32_t>(params_.reply_size, 1);
  send_buf_ = mem.allocate(std::max<std::uint32_t>(params_.size, 1), 4096);
  recv_buf_ = mem.allocate(reply, 4096);
  mr_ = verbs_.reg_mr(send_buf_, recv_buf_ + reply - send_buf_, kLocalWrite);
  for (std::uint32_t i = 0; i < params_.size; ++i)
    mem.at(send_buf_ + i, 1)[0] = static_cast<std::uint8_t>(i * 7 + 1);
  send_sge_ = Sge{send_buf_, params_.size, mr_.lkey};
  recv_sge_ = Sge{recv_buf_, reply, mr_.lkey};
  request_.opcode = WrOpcode::kSend;
  request_.send_flags = verbs::kSendSignaled;
  if (params_.use_inline && params_.size <= verbs_.max_inline())
    request_.send_flags |= verbs::kSendInline;
  request_.sg_list = &send_sge_;
  request_.num_sge = 1;
  echo_ = &sys_.iou.serve_echo(peer, params_.size, params_.reply_size);
  ctx_ = std::make_unique<SimContext>(*sys_.cpus[0]);
  rtt_.name = "rtt";
  latency_ns_.attach(trace, std::string(this->name()) + ".rtt_ns");
  in_flight_.attach(trace, std::string(this->name()) + ".in_flight", 8);
  SC_THREAD(host_thread);
}

std::uint64_t PingPong::reap() {
  // Spins on the CQ until something lands, then handles every completion found.
  WorkCompletion wc[16];
  const int n = verbs_.spin_poll_cq(*ctx_, *host_cq_, wc, 16);
  std::uint64_t replies = 0;
  for (int k = 0; k < n; ++k) {
    if (wc[k].status != WcStatus::kSuccess) ++errors_;
    if (wc[k].is_recv) ++replies;
  }
  return replies;
}

void PingPong::post_reply_recv(std::uint64_t wr_id) {
  const verbs::RecvWr wr{wr_id, &recv_sge_, 1};
  if (verbs_.post_recv(*ctx_, *host_qp_, &wr, 1) != 0) ++errors_;
}

void PingPong::host_thread() {
  const std::uint64_t total = std::uint64_t(params_.warmup) + params_.count;
  post_reply_recv(0);
  for (std::uint64_t i = 0; i < total; ++i) {
    const Picos start = now_ps();
    in_flight_.set(1);
    request_.wr_id = i;
    while (verbs_.post_send(*ctx_, *host_qp_, &request_, 1) == ENOMEM) reap();  // make room
    while (reap() == 0) {
    }
    const Picos rtt = now_ps() - start;
    in_flight_.set(0);
    if (i >= params_.warmup) {
      rtt_.latency_ps.record(rtt);
      ++rtt_.count;
      rtt_.bytes += params_.size + params_.reply_size;
      latency_ns_.set(static_cast<double>(rtt) / 1000.0);
    }
    post_reply_recv(i + 1);
  }
  finished_ = true;
  Lookahead::stop();
}

void PingPong::report(RunReport& out) const { out.ops.push_back(rtt_); }

}  // namespace hcasim
