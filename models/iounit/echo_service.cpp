#include "models/iounit/echo_service.hpp"

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
  service_ps_ = ns_to_ps(params_.service_ns);
  batch_ = std::clamp<std::uint32_t>(params_.recv_batch, 1, std::max(1u, params_.recv_depth / 4));
  cq_.set_landing_observer(&EchoService::on_landed, this);
  actions_.at<&EchoService::start>(0, this);
}

Sge EchoService::recv_sge(std::uint64_t slot) const {
  const std::uint32_t len = config_.max_request + grh_;
  const std::uint64_t at = config_.shared_buffer ? 0 : slot * len;
  return Sge{recv_base_ + at, len, key_};
}

void EchoService::repost(std::uint64_t slot) {
  adapter_.post_recv(qp_, slot, recv_sge(slot), /*ring=*/false);
  if (++unrung_ < batch_) return;
  unrung_ = 0;
  adapter_.ring_recv_doorbell(qp_);
}

void EchoService::start() {
  max_inline_ = adapter_.hca().max_inline();
  // The first receives go as one list, with one doorbell.
  for (std::uint32_t i = 0; i < params_.recv_depth; ++i)
    adapter_.post_recv(qp_, i, recv_sge(i), /*ring=*/false);
  adapter_.ring_recv_doorbell(qp_);
}

void EchoService::on_landed(void* self) {
  auto* s = static_cast<EchoService*>(self);
  // During a service time the landing waits: the service polls when that time is over.
  // design decision: the reaction runs inside the landing's action, at its time, not as an
  // action of its own after it (one action fewer per message). Nothing it does lands
  // anything at once: its posts reach the adapter through doorbells, which act later. It
  // runs before, not after, other actions due in the same picosecond.
  if (s->phase_ == Phase::kService) return;
  s->react();
}

void EchoService::react() {
  if (phase_ == Phase::kSendFull && !send_reply()) return;
  serve();
}

void EchoService::serve() {
  for (;;) {
    // Requests found while making room in the send queue are served first, in order.
    if (pending_.empty()) {
      if (take_landed() == 0) {
        phase_ = Phase::kIdle;
        return;
      }
      continue;
    }
    serving_ = pending_.front();
    pending_.pop_front();
    ++requests_;
    if (service_ps_ != 0) {
      phase_ = Phase::kService;
      actions_.at<&EchoService::end_service>(now_ps() + service_ps_, this);
      return;
    }
    answer(serving_);
    if (phase_ == Phase::kSendFull) return;
  }
}

void EchoService::end_service() {
  phase_ = Phase::kIdle;
  answer(serving_);
  if (phase_ != Phase::kSendFull) serve();
}

void EchoService::answer(const WorkCompletion& request) {
  repost(request.wr_id);
  const std::uint32_t len =
      config_.reply == EchoConfig::Reply::kFixed ? config_.reply_size : request.byte_len - grh_;
  reply_.wr_id = requests_;
  reply_.sges[0].len = len;
  reply_.inline_data = config_.use_inline && len <= max_inline_;
  send_reply();
}

bool EchoService::send_reply() {
  while (!adapter_.post_send(qp_, reply_)) {
    // Send queue full: make room by retiring the completions of replies that went out, or wait
    // for the next of them to land.
    if (take_landed() == 0) {
      phase_ = Phase::kSendFull;
      return false;
    }
  }
  phase_ = Phase::kIdle;
  return true;
}

unsigned EchoService::take_landed() {
  const unsigned n = cq_.poll(polled_.data(), static_cast<unsigned>(polled_.size()));
  for (unsigned i = 0; i < n; ++i) take(polled_[i]);
  return n;
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
