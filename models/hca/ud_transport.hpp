#pragma once
// The unreliable-datagram transport (InfiniBand UD) behind the Transport interface. A UD QP is
// not connected: each send WQE names its destination (an address handle's port, the remote QP,
// the Q_Key), carries one message of at most one path MTU as one SEND packet with a DETH, and
// completes once that packet is on the wire: no ACK, no retransmission, no RNR. At the
// receiver the first 40 bytes of the receive buffer are the GRH's and the payload follows; the
// completion's byte_len counts both. A datagram that finds no receive posted, or carries
// another Q_Key, is dropped and counted; the sender never hears of it.
#include <cstdint>
#include <vector>

#include "models/hca/adapter_core.hpp"
#include "models/hca/completion_engine.hpp"
#include "models/hca/qp_lifecycle.hpp"
#include "models/hca/send_scheduler.hpp"
#include "models/hca/transport.hpp"
#include "models/hca/work_rings.hpp"

namespace hcasim {

class UdTransport final : public Transport {
 public:
  UdTransport(AdapterCore& core, SendScheduler& scheduler, CompletionEngine& completions,
              QpLifecycle& lifecycle, RecvWqFetcher& recv_fetcher)
      : core_(core),
        scheduler_(scheduler),
        completions_(completions),
        lifecycle_(lifecycle),
        recv_fetcher_(recv_fetcher) {}

  bool next_packet(QpContext& qp, Packet*& out, Picos& ready) override;
  void receive(QpContext& qp, Packet* p, Picos at) override;
  void on_wire(QpContext& qp, PacketKind kind, Picos done) override;
  void after_send(QpContext&, PacketKind) override {}
  void receives_fetched(QpContext& qp) override;

 private:
  // A message's local checks before it leaves: the opcode (SEND or SEND with immediate), its
  // length (one path MTU at most), the protection of its buffers.
  WcStatus local_check(const SendWork& w) const;
  // The send's packet left: its completion (at the packet's last bit on the wire).
  void on_sent(QpRef ref);
  // Scatters a datagram behind the receive buffer's GRH area: kSuccess, kLocalLength (the
  // buffers cannot hold GRH + payload) or kLocalProtection.
  WcStatus place(QpContext& qp, const Packet& p, Picos at);

  AdapterCore& core_;
  SendScheduler& scheduler_;
  CompletionEngine& completions_;
  QpLifecycle& lifecycle_;
  RecvWqFetcher& recv_fetcher_;
  std::vector<Packet*> parked_scratch_;  // reused when parked datagrams are replayed
};

}  // namespace hcasim
