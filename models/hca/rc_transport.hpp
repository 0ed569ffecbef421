#pragma once
// The reliable-connection transport (InfiniBand RC): the requester and the responder of a QP
// behind the Transport interface. A QP's READ responses go before its own requests.
#include "models/hca/rc_requester.hpp"
#include "models/hca/rc_responder.hpp"
#include "models/hca/transport.hpp"

namespace hcasim {

class RcTransport final : public Transport {
 public:
  RcTransport(RcRequester& requester, RcResponder& responder)
      : requester_(requester), responder_(responder) {}

  bool next_packet(QpContext& qp, Packet*& out, Picos& ready) override {
    out = nullptr;
    if (!qp.receiving()) return false;
    if (qp.resp.reads_pending()) {  // the responder answers from RTR on
      responder_.next_read_response(qp, out, ready);
      return qp.resp.reads_pending() || requester_.has_work(qp);
    }
    return requester_.next_packet(qp, out, ready);
  }

  void receive(QpContext& qp, Packet* p, Picos at) override {
    switch (p->kind) {
      case PacketKind::kAck:
      case PacketKind::kNak:
        requester_.handle_ack(qp, p, at);
        break;
      case PacketKind::kReadResponse:
        requester_.handle_read_response(qp, p, at);
        break;
      case PacketKind::kReadRequest:
        responder_.handle_read_request(qp, p, at);
        break;
      case PacketKind::kSend:
      case PacketKind::kRdmaWrite:
        responder_.handle_request(qp, p, at);
        break;
    }
  }

  void on_wire(QpContext& qp, PacketKind kind, Picos done) override {
    if (kind == PacketKind::kSend || kind == PacketKind::kRdmaWrite ||
        kind == PacketKind::kReadRequest)
      requester_.request_on_wire(qp, done);
  }

  void after_send(QpContext& qp, PacketKind kind) override {
    if (kind == PacketKind::kReadResponse) responder_.response_sent(qp);
  }

  void receives_fetched(QpContext& qp) override { responder_.replay_parked(qp); }

 private:
  RcRequester& requester_;
  RcResponder& responder_;
};

}  // namespace hcasim
