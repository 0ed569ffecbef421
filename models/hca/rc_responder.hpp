#pragma once
// Reliable-connection responder: takes incoming SEND and RDMA WRITE packets in PSN order,
// places their payload (across a receive WQE's SGEs, or at the RDMA address) by DMA write,
// completes receives, and acknowledges: ACKs coalesced (ack_coalesce, ack_delay_cycles), sent
// once the data has landed and behind every READ response still to go (also one still waiting
// for its DMA read); NAKs for a PSN gap, receiver not ready, an access or a length error.
// Answers RDMA READ requests with response packets read from host memory, ahead of the QP's
// own sends.
#include <cstdint>
#include <vector>

#include "models/hca/adapter_core.hpp"
#include "models/hca/completion_engine.hpp"
#include "models/hca/qp_lifecycle.hpp"
#include "models/hca/send_scheduler.hpp"
#include "models/hca/work_rings.hpp"

namespace hcasim {

class RcResponder {
 public:
  RcResponder(AdapterCore& core, SendScheduler& scheduler, CompletionEngine& completions,
              QpLifecycle& lifecycle, RecvWqFetcher& recv_fetcher)
      : core_(core),
        scheduler_(scheduler),
        completions_(completions),
        lifecycle_(lifecycle),
        recv_fetcher_(recv_fetcher) {}

  void handle_request(QpContext& qp, Packet* p, Picos at);  // SEND or RDMA WRITE
  void handle_read_request(QpContext& qp, Packet* p, Picos at);
  // The next READ response packet (the QP has READ responses pending).
  void next_read_response(QpContext& qp, Packet*& out, Picos& ready);
  // A READ response went to the link: an ACK held behind the responses may go.
  void response_sent(QpContext& qp);
  // Receive WQEs arrived: packets that waited for one are handled, in arrival order.
  void replay_parked(QpContext& qp);

 private:
  // False (and the packet answered and dropped) for a duplicate or a PSN gap.
  bool in_sequence(QpContext& qp, Packet* p, Picos at);
  // A message's first packet: false (and NAKed) if an RDMA WRITE may not access its target.
  bool start_message(QpContext& qp, Packet* p, Picos at);
  // The packet needs a receive WQE and none is fetched: wait for one in flight, or RNR NAK.
  void no_receive(QpContext& qp, Packet* p, Picos at);
  // Writes the payload to host memory: kSuccess, or the receive's error if its buffers cannot
  // take it (kLocalLength: too short; kLocalProtection: a key or access refused).
  WcStatus place(QpContext& qp, const Packet& p, Picos at);
  // The receive completes with `status`, the requester gets the matching NAK, the QP errs.
  void fail_receive(QpContext& qp, Packet* p, WcStatus status, Picos at);
  void finish_message(QpContext& qp, const Packet& p, bool consumes_recv, Picos at);
  // Sends an ACK (or NAK) for `psn` once what came before it has landed.
  void send_ack(QpContext& qp, std::uint32_t psn, NakCode nak, Picos at);
  // A message was received: acknowledge it, coalesced.
  void acknowledge(QpContext& qp, Picos at, Picos committed);
  void on_ack_delay(QpRef ref);
  void on_tx_kick(QpRef ref);

  AdapterCore& core_;
  SendScheduler& scheduler_;
  CompletionEngine& completions_;
  QpLifecycle& lifecycle_;
  RecvWqFetcher& recv_fetcher_;
  std::vector<Packet*> parked_scratch_;  // reused when parked packets are replayed
};

}  // namespace hcasim
