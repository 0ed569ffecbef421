// The I/O unit's side of perftest-style runs: echo, sink, write-echo or passive target (see
// perftest_peer.hpp for what each mode answers and why).
#include "models/iounit/perftest_peer.hpp"
#include "models/core/lookahead.hpp"

#include <algorithm>
#include <cstring>

namespace hcasim {

PerftestPeer::PerftestPeer(sc_core::sc_module_name name, const IouParams& params,
                           AdapterContext& adapter, PcieLink& pcie, QueuePair& qp,
                           CompletionQueue& cq, PeerMode mode, std::uint32_t max_size,
                           bool use_inline, const UdAddress& reply_to)
    : sc_module(name),
      params_(params),
      adapter_(adapter),
      qp_(qp),
      cq_(cq),
      mode_(mode),
      max_size_(std::max<std::uint32_t>(max_size, 1)),
      use_inline_(use_inline),
      ud_to_(reply_to),
      service_(ps(ns_to_ps(params.service_ns))) {
  if (mode_ == PeerMode::kSink || mode_ == PeerMode::kEcho) {
    EchoConfig c;
    c.max_request = max_size_;
    c.reply = mode_ == PeerMode::kSink ? EchoConfig::Reply::kNone : EchoConfig::Reply::kSameLength;
    c.shared_buffer = true;
    c.use_inline = use_inline_;
    c.reply_to = reply_to;
    echo_ = std::make_unique<EchoService>("messages", params_, adapter_, qp_, cq_, c);
    return;
  }
  stats_.counter(messages_, "received", "count", "messages received");
  stats_.counter(errors_, "errors", "count", "completions with an error status");
  HostMemory& mem = adapter_.memory();
  recv_buf_ = mem.allocate(max_size_, 4096);
  send_buf_ = mem.allocate(max_size_, 4096);
  key_ = adapter_.register_memory(recv_buf_, send_buf_ + max_size_ - recv_buf_,
                                  kLocalWrite | kRemoteWrite | kRemoteRead);
  std::uint8_t* payload = mem.at(send_buf_, max_size_);
  for (std::uint32_t i = 0; i < max_size_; ++i) payload[i] = static_cast<std::uint8_t>(i * 13 + 5);
  reply_.opcode = mode_ == PeerMode::kWriteEcho ? WrOpcode::kRdmaWrite : WrOpcode::kSend;
  reply_.signaled = true;
  reply_.sges.push_back(Sge{send_buf_, 0, key_});
  switch (mode_) {
    case PeerMode::kPassive:
      break;
    case PeerMode::kSink:
    case PeerMode::kEcho:
      break;
    case PeerMode::kWriteEcho:
      pcie.watch(recv_buf_, max_size_, &watch_);
      SC_THREAD(serve_writes);
      break;
  }
}

void PerftestPeer::set_write_echo(std::uint64_t remote_addr, std::uint32_t rkey,
                                  std::vector<Round> rounds) {
  reply_.remote_addr = remote_addr;
  reply_.rkey = rkey;
  rounds_ = std::move(rounds);
}

void PerftestPeer::reap_sends() {
  // Retires the completions of our own replies (kWriteEcho posts no receives).
  WorkCompletion wc[16];
  unsigned n;
  while ((n = cq_.poll(wc, 16)) != 0) {
    for (unsigned i = 0; i < n; ++i) {
      adapter_.retire(wc[i]);
      if (wc[i].status != WcStatus::kSuccess) ++errors_;
    }
  }
}

void PerftestPeer::post_or_wait(const SendRequest& wr) {
  while (!adapter_.post_send(qp_, wr)) {  // send queue full: wait for completions to free it
    Lookahead::wait_on(cq_.landed_event());
    reap_sends();
  }
}

void PerftestPeer::serve_writes() {
  HostMemory& mem = adapter_.memory();
  const std::uint32_t max_inline = adapter_.hca().max_inline();
  for (const Round& r : rounds_) {
    if (r.size == 0) continue;
    std::uint8_t* in = mem.at(recv_buf_, r.size);
    std::uint8_t* out = mem.at(send_buf_, r.size);
    // The host starts this size only after our last reply of the previous one has landed, so
    // nothing of its can be in flight towards this buffer now.
    std::memset(in, 0, r.size);
    reply_.sges[0].len = r.size;
    reply_.inline_data = use_inline_ && r.size <= max_inline;
    for (std::uint64_t k = 0; k < r.count; ++k) {
      const std::uint8_t marker = perftest_marker(k);
      while (in[r.size - 1] != marker) Lookahead::wait_on(watch_.event());
      ++messages_;
      if (service_ != sc_core::SC_ZERO_TIME) Lookahead::wait_for(service_);
      out[r.size - 1] = marker;
      reply_.wr_id = k;
      post_or_wait(reply_);
      reap_sends();
    }
  }
  // A thread may end only at the kernel's time (its last wait may have run ahead of it).
  Lookahead::sync();
}

// ---- bidirectional bandwidth ------------------------------------------------------------------

void PerftestPeer::enable_duplex(const Duplex& d) {
  duplex_ = d;
  duplex_.cq_mod = std::max<std::uint32_t>(1, std::min(d.cq_mod, d.tx_depth));
  burst_wr_.opcode = d.opcode;
  burst_wr_.remote_addr = d.remote_addr;
  burst_wr_.rkey = d.rkey;
  burst_wr_.ud = ud_to_;
  // WRITE and SEND go out of the send buffer, a READ lands in it; the buffer of the largest
  // size serves every burst (nobody reads the data).
  burst_wr_.sges.push_back(
      Sge{echo_ ? echo_->reply_buffer() : send_buf_, 0, echo_ ? echo_->key() : key_});
  Lookahead::spawn_thread([this] { run_bursts(); }, "duplex");
}

void PerftestPeer::start_burst(std::uint32_t size, std::uint64_t count) {
  burst_size_ = size;
  burst_count_ = count;
  burst_running_ = count != 0;
  if (burst_running_) Lookahead::notify_delta(burst_start_);
}

void PerftestPeer::run_bursts() {
  const std::uint32_t max_inline = adapter_.hca().max_inline();
  CompletionQueue& cq = *duplex_.send_cq;
  WorkCompletion wc[16];
  for (;;) {
    Lookahead::wait_on(burst_start_);
    const std::uint64_t n = burst_count_;
    burst_wr_.sges[0].len = burst_size_;
    burst_wr_.inline_data =
        use_inline_ && duplex_.opcode != WrOpcode::kRdmaRead && burst_size_ <= max_inline;
    std::uint64_t posted = 0, done = 0;
    const Picos first = now_ps();
    Picos last = first;
    // As the host's loop: tx_depth outstanding, every cq_mod-th and the last signaled.
    while (done < n) {
      while (posted < n && posted - done < duplex_.tx_depth) {
        burst_wr_.wr_id = posted;
        burst_wr_.signaled = (posted + 1) % duplex_.cq_mod == 0 || posted + 1 == n;
        if (!adapter_.post_send(qp_, burst_wr_)) break;  // the queue is full: wait
        ++posted;
      }
      const unsigned got = cq.poll(wc, 16);
      if (got == 0) {
        Lookahead::wait_on(cq.landed_event());
        continue;
      }
      for (unsigned i = 0; i < got; ++i) {
        adapter_.retire(wc[i]);
        if (wc[i].status != WcStatus::kSuccess) ++errors_;
        done = std::max(done, wc[i].wr_id + 1);
      }
      last = now_ps();
    }
    burst_bytes_ = n * burst_size_;
    burst_elapsed_ = last - first;
    burst_running_ = false;
    Lookahead::notify_delta(burst_done_);
  }
}

}  // namespace hcasim
