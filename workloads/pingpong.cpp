#include "workloads/pingpong.hpp"

namespace hcasim {

PingPong::PingPong(sc_core::sc_module_name name, System& system, const PingPongParams& params,
                   TraceSink* trace)
    : sc_module(name), sys_(system), params_(params) {
  AdapterContext& host = *sys_.host.adapter;
  AdapterContext& iou = *sys_.iou.adapter;
  host_cq_ = &host.create_cq(256);
  host_qp_ = &host.create_qp(*host_cq_, *host_cq_, 64, 64);
  CompletionQueue& iou_cq = iou.create_cq(4096);
  QueuePair& iou_qp = iou.create_qp(iou_cq, iou_cq, 1024, sys_.iou_params.recv_depth);
  sys_.host.hca->connect(host_qp_->qpn, sys_.iou.hca->port_address(), iou_qp.qpn);
  sys_.iou.hca->connect(iou_qp.qpn, sys_.host.hca->port_address(), host_qp_->qpn);

  HostMemory& mem = host.memory();
  send_buf_ = mem.allocate(std::max<std::uint32_t>(params_.size, 1), 4096);
  recv_buf_ = mem.allocate(std::max<std::uint32_t>(params_.reply_size, 1), 4096);
  key_ = host.register_memory(
      send_buf_, recv_buf_ + std::max<std::uint32_t>(params_.reply_size, 1) - send_buf_,
      kLocalWrite);
  for (std::uint32_t i = 0; i < params_.size; ++i)
    mem.at(send_buf_ + i, 1)[0] = static_cast<std::uint8_t>(i * 7 + 1);
  request_.opcode = WrOpcode::kSend;
  request_.signaled = true;
  request_.inline_data = params_.use_inline && params_.size <= sys_.host.hca->max_inline();
  request_.sges.push_back(Sge{send_buf_, params_.size, key_});
  echo_ = std::make_unique<EchoService>("iou0_service", sys_.iou_params, iou, iou_qp, iou_cq,
                                        params_.size, params_.reply_size);
  rtt_.name = "rtt";
  latency_ns_.attach(trace, std::string(this->name()) + ".rtt_ns");
  in_flight_.attach(trace, std::string(this->name()) + ".in_flight", 8);
  SC_THREAD(host_thread);
}

std::uint64_t PingPong::reap() {
  // Spins on the CQ until something lands, then handles every completion found.
  SimCpu& cpu = *sys_.cpus[0];
  cpu.spin_until(host_cq_->landed_event(), sys_.host_params.poll_cycles,
                 [&] { return host_cq_->landed() > host_cq_->consumed(); });
  WorkCompletion wc[16];
  const unsigned n = host_cq_->poll(wc, 16);
  std::uint64_t replies = 0;
  for (unsigned k = 0; k < n; ++k) {
    cpu.run(sys_.host_params.completion_cycles);
    sys_.host.adapter->retire(wc[k]);
    if (wc[k].status != WcStatus::kSuccess) ++errors_;
    if (wc[k].is_recv) ++replies;
  }
  return replies;
}

void PingPong::host_thread() {
  SimCpu& cpu = *sys_.cpus[0];
  AdapterContext& host = *sys_.host.adapter;
  const HostParams& hp = sys_.host_params;
  const std::uint32_t reply = std::max<std::uint32_t>(params_.reply_size, 1);
  const std::uint64_t total = std::uint64_t(params_.warmup) + params_.count;
  cpu.run(hp.post_recv_cycles);
  host.post_recv(*host_qp_, 0, Sge{recv_buf_, reply, key_});
  for (std::uint64_t i = 0; i < total; ++i) {
    const Picos start = now_ps();
    in_flight_.set(1);
    cpu.run(hp.post_send_cycles);
    request_.wr_id = i;
    while (!host.post_send(*host_qp_, request_)) reap();  // send queue full: make room
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
    cpu.run(hp.post_recv_cycles);
    host.post_recv(*host_qp_, i + 1, Sge{recv_buf_, reply, key_});
  }
  finished_ = true;
  sc_core::sc_stop();
}

void PingPong::report(RunReport& out) const { out.ops.push_back(rtt_); }

}  // namespace hcasim
