#pragma once
// Parameters of a host (or target) channel adapter. Every stage delay is an integer number of
// cycles of the adapter clock (docs/model.md lists the pipeline and docs/calibration.md how the
// defaults reproduce ConnectX-3 class latencies).
#include <cstdint>

#include "models/core/params.hpp"

namespace hcasim {

struct HcaParams {
  double clock_mhz;
  std::uint32_t doorbell_cycles;
  std::uint32_t wqe_parse_cycles;
  std::uint32_t packet_cycles;
  std::uint32_t rx_cycles;
  std::uint32_t ack_cycles;
  std::uint32_t cqe_cycles;
  std::uint32_t wqe_fetch_batch;
  std::uint32_t tx_window;
  std::uint32_t sq_stride;
  bool blueflame;
  std::uint32_t blueflame_bytes;
  bool blueflame_non_inline;
  std::uint32_t rnr_retry;
  std::uint32_t min_rnr_timer;
  std::uint32_t ack_coalesce;
  std::uint32_t ack_delay_cycles;
  double ack_timeout_us;
  std::uint32_t retry_count;
  std::uint32_t rx_buffer_bytes;
  std::uint32_t qp_message_cycles;
  std::uint32_t read_response_cycles;
  bool cut_through;

  template <class V>
  void visit(V& v) {
    v.real(clock_mhz, "hca.clock_mhz", "MHz", 1000.0, 10.0, 10000.0, "adapter core clock");
    v.integer(doorbell_cycles, "hca.doorbell_cycles", "cycles", 10, 0, 100000,
              "doorbell unit: decode a doorbell and schedule the work queue");
    v.integer(wqe_parse_cycles, "hca.wqe_parse_cycles", "cycles", 20, 0, 100000,
              "send engine: parse one fetched work-queue element");
    v.integer(packet_cycles, "hca.packet_cycles", "cycles", 30, 0, 100000,
              "packetizer: build the headers of one outgoing packet");
    v.integer(rx_cycles, "hca.rx_cycles", "cycles", 30, 0, 100000,
              "receive engine: check and dispatch one incoming packet");
    v.integer(ack_cycles, "hca.ack_cycles", "cycles", 10, 0, 100000,
              "transport: build an acknowledgement once a message is received");
    v.integer(cqe_cycles, "hca.cqe_cycles", "cycles", 10, 0, 100000,
              "completion engine: build one completion-queue entry");
    v.integer(wqe_fetch_batch, "hca.wqe_fetch_batch", "WQEs", 8, 1, 64,
              "most work-queue elements fetched by one DMA read");
    v.integer(tx_window, "hca.tx_window", "packets", 16, 1, 1024,
              "packets the send engine may have between payload fetch and the wire");
    v.one_of(sq_stride, "hca.sq_stride", "B", 128, {64, 128, 256, 512},
             "bytes per send-queue element: 32 B header + SGEs (16 B each) or inline data");
    v.boolean(blueflame, "hca.blueflame", true,
              "the adapter has a BlueFlame register: a WQE posted alone that fits it is written "
              "into the doorbell register itself (no WQE fetch)");
    // design decision: 256 B, half of the 512 B BlueFlame register page, as mlx4 and mlx5 use
    // it (two alternating buffers).
    v.one_of(blueflame_bytes, "hca.blueflame_bytes", "B", 256, {64, 128, 256, 512},
             "largest WQE (rounded up to 64 B) that goes by BlueFlame; larger ones go by "
             "doorbell and WQE fetch");
    v.boolean(blueflame_non_inline, "hca.blueflame_non_inline", true,
              "WQEs whose payload is not inline go by BlueFlame too (libmlx5's default, "
              "MLX5_POST_SEND_PREFER_BF); false: only inline WQEs (libmlx4)");
    v.integer(rnr_retry, "hca.rnr_retry", "retries", 7, 0, 7,
              "receiver-not-ready retries before an error completion (7 = retry forever)");
    // design decision: code 1 (0.01 ms) by default, the 10 us wait the model used before the
    // responder sent its timer; rdma-core's users often ask for 12 (0.64 ms).
    v.integer(min_rnr_timer, "hca.min_rnr_timer", "code", 1, 0, 31,
              "RNR timer the responder puts in its receiver-not-ready NAK, and the requester "
              "waits before resending (InfiniBand's 5-bit code: 0 = 655.36 ms, 1 = 0.01 ms, "
              "2 = 0.02 ms, ... 14 = 1.28 ms, ... 31 = 491.52 ms)");
    v.integer(ack_coalesce, "hca.ack_coalesce", "messages", 1, 1, 1024,
              "responder acknowledges once per this many received messages");
    v.integer(ack_delay_cycles, "hca.ack_delay_cycles", "cycles", 200, 0, 10000000,
              "longest a coalesced acknowledgement is held back");
    v.real(ack_timeout_us, "hca.ack_timeout_us", "us", 500.0, 1.0, 1e7,
           "requester resends unacknowledged packets after this long without progress");
    v.integer(retry_count, "hca.retry_count", "retries", 7, 0, 7,
              "transport retries (after a timeout or a sequence NAK) before a "
              "retry-exceeded error completion (7 is seven, unlike hca.rnr_retry)");
    v.integer(qp_message_cycles, "hca.qp_message_cycles", "cycles", 250, 0, 1000000,
              "occupancy of a queue pair's context per message sent: one queue pair is handled "
              "by one execution unit at a time (caps one QP's message rate, not its latency)");
    v.integer(read_response_cycles, "hca.read_response_cycles", "cycles", 60, 0, 1000000,
              "responder: set up an RDMA READ response (context, address translation)");
    v.boolean(cut_through, "hca.cut_through", true,
              "a packet's payload streams through the adapter in PCIe-sized chunks: it starts on "
              "the wire before its last DMA read completion (never running ahead of them), and "
              "a received packet's DMA writes start as its bytes arrive; false: store-and-forward "
              "(a packet is gathered whole before it is sent and received whole before it is "
              "placed)");
    v.integer(rx_buffer_bytes, "hca.rx_buffer_bytes", "B", 32768, 4224, 1 << 24,
              "receive buffer per virtual lane: the link credits the adapter advertises");
  }
};

}  // namespace hcasim
