#include "models/iounit/echo_service.hpp"
#include "models/core/lookahead.hpp"

#include <algorithm>

namespace hcasim {

EchoService::EchoService(sc_core::sc_module_name name, const IouParams& params,
                         AdapterContext& adapter, QueuePair& qp, CompletionQueue& cq,
                         const EchoConfig& config)
    : sc_module(name), params_(params), adapter_(adapter), qp_(qp), cq_(cq), config_(config) {
  config_.max_request = std::max<std::uint32_t>(config_.max_request, 1);
  stats_.counter(messages_, "received", "count", "messages received");
  stats_.counter(requests_, "answered", "count",
                 "messages served (answered, or dropped by a sink)");
  stats_.counter(errors_, "errors", "count", "completions with an error status");
  grh_ = qp_.type == QpType::kUd ? HeaderBytes::kGrh : 0;
  HostMemory& mem = adapter_.memory();
  const std::uint64_t slots = config_.shared_buffer ? 1 : params_.recv_depth;
  const std::uint64_t reply_bytes = config_.reply == EchoConfig::Reply::kFixed
                                        ? std::max<std::uint32_t>(config_.reply_size, 1)
                                        : config_.max_request;
  recv_base_ = mem.allocate(std::uint64_t(config_.max_request + grh_) * slots, 4096);
  reply_addr_ = mem.allocate(reply_bytes, 4096);
  key_ = adapter_.register_memory(recv_base_, reply_addr_ + reply_bytes - recv_base_,
                                  kLocalWrite | kRemoteWrite | kRemoteRead);
  std::uint8_t* payload = mem.at(reply_addr_, reply_bytes);
  for (std::uint64_t i = 0; i < reply_bytes; ++i)
    payload[i] = static_cast<std::uint8_t>(i * 13 + 5);
  reply_.opcode = WrOpcode::kSend;
  reply_.signaled = true;
  reply_.sges.push_back(Sge{reply_addr_, config_.reply_size, key_});
  reply_.ud = config_.reply_to;
  SC_THREAD(serve);
}

void EchoService::repost(std::uint64_t slot) {
  const std::uint32_t len = config_.max_request + grh_;
  const std::uint64_t at = config_.shared_buffer ? 0 : slot * len;
  adapter_.post_recv(qp_, slot, Sge{recv_base_ + at, len, key_});
}

void EchoService::serve() {
  for (std::uint32_t i = 0; i < params_.recv_depth; ++i) repost(i);
  const sc_core::sc_time service = ps(ns_to_ps(params_.service_ns));
  const std::uint32_t max_inline = adapter_.hca().max_inline();
  WorkCompletion wc[16];
  for (;;) {
    // Requests found while making room in the send queue are served first, in order.
    if (pending_.empty()) {
      const unsigned n = cq_.poll(wc, 16);
      if (n == 0) {
        Lookahead::wait_on(cq_.landed_event());
        continue;
      }
      for (unsigned i = 0; i < n; ++i) take(wc[i]);
      continue;
    }
    const WorkCompletion request = pending_.front();
    pending_.pop_front();
    ++requests_;
    if (service != sc_core::SC_ZERO_TIME) Lookahead::wait_for(service);
    repost(request.wr_id);
    const std::uint32_t len =
        config_.reply == EchoConfig::Reply::kFixed ? config_.reply_size : request.byte_len - grh_;
    reply_.wr_id = requests_;
    reply_.sges[0].len = len;
    reply_.inline_data = config_.use_inline && len <= max_inline;
    while (!adapter_.post_send(qp_, reply_)) {
      // Send queue full: make room by retiring the completions of replies that went out.
      const unsigned k = cq_.poll(wc, 16);
      for (unsigned j = 0; j < k; ++j) take(wc[j]);
      if (k == 0) Lookahead::wait_on(cq_.landed_event());
    }
  }
}

void EchoService::take(const WorkCompletion& wc) {
  adapter_.retire(wc);
  if (wc.status != WcStatus::kSuccess) {
    ++errors_;
    return;
  }
  if (!wc.is_recv) return;  // a reply went out
  ++messages_;
  if (config_.reply == EchoConfig::Reply::kNone) {
    repost(wc.wr_id);  // a sink: the buffer goes back at once
    return;
  }
  pending_.push_back(wc);  // a request to answer
}

}  // namespace hcasim
