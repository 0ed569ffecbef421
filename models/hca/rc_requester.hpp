#pragma once
// Reliable-connection requester: turns the send queue's WQEs into packets (SEND and RDMA
// WRITE split at the MTU with their payload gathered by DMA read, RDMA READ as one request),
// checks local protection once per message, completes messages when ACKs (or READ responses)
// cover them, and recovers: go-back-N resend on a sequence NAK or a transport timeout, a wait
// of the time a receiver-not-ready NAK asks for, within the retry budgets.
#include <cstdint>

#include "models/hca/adapter_core.hpp"
#include "models/hca/completion_engine.hpp"
#include "models/hca/qp_lifecycle.hpp"
#include "models/hca/send_scheduler.hpp"

namespace hcasim {

class RcRequester {
 public:
  RcRequester(AdapterCore& core, SendScheduler& scheduler, CompletionEngine& completions,
              QpLifecycle& lifecycle)
      : core_(core), scheduler_(scheduler), completions_(completions), lifecycle_(lifecycle) {}

  // The QP has send WQEs to packetize now.
  bool has_work(const QpContext& qp) const {
    return qp.sending() && !qp.req.waiting_rnr && qp.sq.sent != qp.sq.fetched;
  }
  // The next request packet (Transport::next_packet).
  bool next_packet(QpContext& qp, Packet*& out, Picos& ready);
  // A request packet went onto the wire, its last bit leaving at `done`: the transport timer
  // runs from it (not from when it was queued for link credits).
  void request_on_wire(QpContext& qp, Picos done);

  void handle_ack(QpContext& qp, Packet* p, Picos at);  // ACK or NAK
  void handle_read_response(QpContext& qp, Packet* p, Picos at);

 private:
  // A message's local checks, before any of its bytes leave: the WQE itself (opcode, inline
  // READ), its length (2^31 bytes at most), then the protection of its buffers. kSuccess or the
  // error it completes with.
  WcStatus local_check(const SendWork& w);
  // A message failed its local check: it and everything outstanding complete, the QP errs.
  void fail_local(QpContext& qp, SendWork& w, WcStatus status, Picos at);
  Packet* read_request(QpContext& qp, SendWork& w);
  Packet* data_packet(QpContext& qp, SendWork& w, Picos start, Picos& ready);
  // The NAK's error for the send completion (kSuccess for an ACK).
  static WcStatus nak_status(const Packet& p);
  // Go back to the message holding `psn`; packets after it already sent are sent again.
  void rewind(QpContext& qp, std::uint32_t psn);
  void arm_ack_timer(QpContext& qp, Picos from);
  void on_ack_timeout(QpRef ref);
  void on_resend(QpRef ref);

  AdapterCore& core_;
  SendScheduler& scheduler_;
  CompletionEngine& completions_;
  QpLifecycle& lifecycle_;
};

}  // namespace hcasim
