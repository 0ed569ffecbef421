#pragma once
// The data types of the verbs layer, shaped after libibverbs (ibv_send_wr, ibv_recv_wr,
// ibv_qp_cap, ibv_qp_attr) so that code written against rdma-core reads the same here
// (docs/verbs.md). Work requests point at their scatter-gather lists, as in verbs: posting a
// list of WRs allocates nothing.
#include <cstdint>

#include "models/fabric/packet.hpp"
#include "models/hca/event_queue.hpp"
#include "models/hca/qp_state.hpp"
#include "models/hca/qp_type.hpp"
#include "models/hca/queue_interface.hpp"
#include "models/hca/wqe_format.hpp"

namespace hcasim::verbs {

// Flags of a send work request (IBV_SEND_SIGNALED, IBV_SEND_INLINE, IBV_SEND_SOLICITED).
enum SendFlag : unsigned { kSendSignaled = 1, kSendInline = 2, kSendSolicited = 4 };

// An address handle (ibv_ah): where a datagram goes. ibv_create_ah's attributes, those this
// fabric uses: the destination port's address (LID).
struct AhAttr {
  std::uint16_t dlid = 0;
};
struct Ah {
  std::uint16_t dlid = 0;
};

// A datagram lands in its receive buffer behind the area of a GRH (filled only when the packet
// carries one); the receive's byte_len counts that area too.
constexpr std::uint32_t kGrhBytes = HeaderBytes::kGrh;

struct SendWr {
  std::uint64_t wr_id = 0;
  WrOpcode opcode = WrOpcode::kSend;
  unsigned send_flags = kSendSignaled;
  const Sge* sg_list = nullptr;
  std::uint32_t num_sge = 0;
  std::uint64_t remote_addr = 0;  // RDMA WRITE / READ
  std::uint32_t rkey = 0;
  std::uint32_t imm = 0;  // SEND / WRITE with immediate
  struct Ud {             // unreliable datagram (wr.ud): the destination of the SEND
    const Ah* ah = nullptr;
    std::uint32_t remote_qpn = 0;
    std::uint32_t remote_qkey = 0;
  } ud;
};

struct RecvWr {
  std::uint64_t wr_id = 0;
  const Sge* sg_list = nullptr;
  std::uint32_t num_sge = 0;
};

// What a queue pair was created with (ibv_qp_cap). Posting more than these is refused.
struct QpCaps {
  std::uint32_t max_send_wr = 64;
  std::uint32_t max_recv_wr = 64;
  std::uint32_t max_send_sge = 4;
  std::uint32_t max_recv_sge = 1;
  std::uint32_t max_inline_data = 0;  // 0: the adapter's limit
};

// The address of a queue pair that two sides exchange out of band before connecting (what
// rdma_cm or a perftest socket handshake carries): port address, QP number, first PSN.
struct Endpoint {
  std::uint16_t port = 0;
  std::uint32_t qpn = 0;
  std::uint32_t psn = 0;
};

// ibv_modify_qp's attributes, those this model uses. A reliable connection's INIT->RTR takes
// `remote` (the peer's endpoint: its QP and the PSN it starts sending with); RTR->RTS takes
// `sq_psn`. An unreliable datagram QP's RESET->INIT takes `qkey` and needs no remote.
struct QpAttr {
  QpState state = QpState::kReset;  // the adapter's states (models/hca/qp_state.hpp)
  Endpoint remote;
  std::uint32_t sq_psn = 0;
  std::uint32_t qkey = 0;
};

// A registered memory region (ibv_mr).
struct Mr {
  std::uint64_t addr = 0;
  std::uint64_t length = 0;
  std::uint32_t lkey = 0;
  std::uint32_t rkey = 0;
};

// Asynchronous events the driver receives (ibv_async_event): the adapter's event-queue entries
// (models/hca/event_queue.hpp): CQ error (overrun), QP fatal, port active.
using hcasim::AsyncEvent;
using hcasim::AsyncEventKind;

}  // namespace hcasim::verbs
