#include "models/iounit/echo_service.hpp"

namespace hcasim {

EchoService::EchoService(sc_core::sc_module_name name, const IouParams& params,
                         AdapterContext& adapter, QueuePair& qp, CompletionQueue& cq,
                         std::uint32_t max_request, std::uint32_t reply_size)
    : sc_module(name),
      params_(params),
      adapter_(adapter),
      qp_(qp),
      cq_(cq),
      max_request_(std::max<std::uint32_t>(max_request, 1)),
      reply_size_(reply_size) {
  HostMemory& mem = adapter_.memory();
  const std::uint64_t recv_bytes = std::uint64_t(max_request_) * params_.recv_depth;
  recv_base_ = mem.allocate(recv_bytes, 4096);
  reply_addr_ = mem.allocate(std::max<std::uint32_t>(reply_size_, 1), 4096);
  key_ = adapter_.register_memory(recv_base_, reply_addr_ + reply_size_ - recv_base_,
                                  kLocalWrite | kRemoteWrite | kRemoteRead);
  reply_.opcode = WrOpcode::kSend;
  reply_.signaled = true;
  reply_.inline_data = reply_size_ <= adapter_.hca().max_inline();
  reply_.sges.push_back(Sge{reply_addr_, reply_size_, key_});
  SC_THREAD(serve);
}

void EchoService::serve() {
  for (std::uint32_t i = 0; i < params_.recv_depth; ++i)
    adapter_.post_recv(qp_, i,
                       Sge{recv_base_ + std::uint64_t(i) * max_request_, max_request_, key_});
  const sc_core::sc_time service = ps(static_cast<Picos>(params_.service_ns * 1000.0 + 0.5));
  WorkCompletion wc[16];
  for (;;) {
    // Requests found while making room in the send queue are served first, in order.
    if (pending_.empty()) {
      const unsigned n = cq_.poll(wc, 16);
      if (n == 0) {
        sc_core::wait(cq_.landed_event());
        continue;
      }
      for (unsigned i = 0; i < n; ++i) take(wc[i]);
      continue;
    }
    const WorkCompletion request = pending_.front();
    pending_.pop_front();
    ++requests_;
    if (service != sc_core::SC_ZERO_TIME) sc_core::wait(service);
    const std::uint64_t slot = request.wr_id;
    adapter_.post_recv(qp_, slot, Sge{recv_base_ + slot * max_request_, max_request_, key_});
    reply_.wr_id = requests_;
    while (!adapter_.post_send(qp_, reply_)) {
      // Send queue full: make room by retiring the completions of replies that went out.
      const unsigned k = cq_.poll(wc, 16);
      for (unsigned j = 0; j < k; ++j) take(wc[j]);
      if (k == 0) sc_core::wait(cq_.landed_event());
    }
  }
}

void EchoService::take(const WorkCompletion& wc) {
  adapter_.retire(wc);
  if (wc.status != WcStatus::kSuccess) {
    ++errors_;
    return;
  }
  if (wc.is_recv) pending_.push_back(wc);  // a request to answer
}

}  // namespace hcasim
