#pragma once
// The formats the host software and the adapter share through host memory: send and receive
// work-queue elements (WQEs), completion-queue entries (CQEs), and the doorbell register layout.
// Little-endian, fixed offsets, as a real adapter's programming manual would define them.
#include <cstdint>
#include <cstring>

namespace hcasim {

enum class WrOpcode : std::uint8_t {
  kSend = 0,
  kSendImm = 1,
  kRdmaWrite = 2,
  kRdmaWriteImm = 3,
  kRdmaRead = 4,
  kRecv = 8
};

enum WqeFlag : std::uint8_t { kSignaled = 1, kInline = 2, kSolicited = 4 };

// Completion status, as users of verbs know them (rdma-core's IBV_WC_* in the comments).
enum class WcStatus : std::uint8_t {
  kSuccess = 0,
  kLocalLength = 1,           // LOC_LEN_ERR: longer than the receive, or than 2^31 bytes
  kLocalProtection = 2,       // LOC_PROT_ERR: a local buffer's key or access refused
  kRemoteAccess = 3,          // REM_ACCESS_ERR: the responder refused the rkey or access
  kRemoteOperation = 4,       // REM_OP_ERR: the responder failed on its own side
  kRetryExceeded = 5,         // RETRY_EXC_ERR: transport retries used up
  kRnrRetryExceeded = 6,      // RNR_RETRY_EXC_ERR: receiver-not-ready retries used up
  kFlushed = 7,               // WR_FLUSH_ERR: the QP was in error
  kRemoteInvalidRequest = 8,  // REM_INV_REQ_ERR: the responder found the request invalid
  kLocalQpOperation = 9,      // LOC_QP_OP_ERR: the WQE itself is malformed (bad opcode)
};
const char* to_string(WcStatus s);

struct Sge {
  std::uint64_t addr;
  std::uint32_t len;
  std::uint32_t lkey;
};
static_assert(sizeof(Sge) == 16);

// Send WQE: a 32-byte header followed by SGEs or inline data, in a slot of sq_stride bytes.
struct SendWqeHeader {
  std::uint8_t opcode;   // WrOpcode
  std::uint8_t flags;    // WqeFlag
  std::uint8_t num_sge;  // SGEs after the header (0 when inline)
  std::uint8_t reserved;
  std::uint32_t inline_len;
  std::uint64_t wr_id;
  std::uint64_t remote_addr;  // RDMA; on a UD QP the destination (ud_address)
  std::uint32_t rkey;         // RDMA; on a UD QP the Q_Key
  std::uint32_t imm;
};
static_assert(sizeof(SendWqeHeader) == 32);

// Where a send on an unreliable-datagram QP goes: the address handle's destination port
// (LID), the remote QP and the Q_Key it must carry (verbs' wr.ud).
struct UdAddress {
  std::uint16_t dlid = 0;
  std::uint32_t remote_qpn = 0;
  std::uint32_t qkey = 0;
};
// design decision: a UD send WQE carries its datagram segment in the header's RDMA fields,
// which a SEND does not use (remote_addr: LID in bits 0-15, remote QP in bits 32-55; rkey: the
// Q_Key), so both transports share one WQE layout and one inline limit.
inline void set_ud_address(SendWqeHeader& h, const UdAddress& a) {
  h.remote_addr = std::uint64_t{a.dlid} | (std::uint64_t{a.remote_qpn & 0xffffffu} << 32);
  h.rkey = a.qkey;
}
inline UdAddress ud_address(const SendWqeHeader& h) {
  return UdAddress{static_cast<std::uint16_t>(h.remote_addr & 0xffffu),
                   static_cast<std::uint32_t>(h.remote_addr >> 32) & 0xffffffu, h.rkey};
}

// Receive WQE: 16-byte header and up to 3 SGEs in a 64-byte slot.
struct RecvWqeHeader {
  std::uint64_t wr_id;
  std::uint8_t num_sge;
  std::uint8_t reserved[7];
};
static_assert(sizeof(RecvWqeHeader) == 16);
constexpr std::uint32_t kRecvStride = 64;
constexpr std::uint32_t kMaxRecvSge = (kRecvStride - sizeof(RecvWqeHeader)) / sizeof(Sge);

// CQE: 32 bytes; `owner` flips each time the ring wraps so software tells new from old entries.
struct Cqe {
  std::uint64_t wr_id;
  std::uint32_t byte_len;
  std::uint32_t qpn;
  std::uint32_t imm;
  // send: index of the WQE this completes (frees slots up to it); UD receive: the sender's QP
  std::uint32_t wqe_counter;
  std::uint8_t opcode;  // WrOpcode
  std::uint8_t status;  // WcStatus
  std::uint8_t is_recv;
  std::uint8_t has_imm;
  std::uint8_t solicited;   // receive: the sender asked for a solicited event
  std::uint8_t src_lid[2];  // UD receive: the sender's port (little-endian)
  std::uint8_t owner;
};
static_assert(sizeof(Cqe) == 32);

inline std::uint8_t cqe_owner_for(std::uint32_t index, std::uint32_t entries) {
  return static_cast<std::uint8_t>(1u ^ ((index / entries) & 1u));
}

// Asynchronous events: what the adapter tells the driver outside any work request (as verbs'
// ibv_async_event). `number` names the CQ, the QP or the port.
enum class AsyncEventKind : std::uint8_t {
  kCqError = 1,     // the CQ overran: entries were lost; the driver resizes it to recover
  kQpFatal = 2,     // the adapter moved the QP to ERR on an error (not on software's request)
  kPortActive = 3,  // the port is up (raised when the driver opens its event queue)
};
const char* to_string(AsyncEventKind k);

// Event-queue entry: 16 bytes; `owner` flips each lap as for CQEs.
struct Eqe {
  std::uint32_t number;
  std::uint8_t kind;  // AsyncEventKind
  std::uint8_t reserved[10];
  std::uint8_t owner;
};
static_assert(sizeof(Eqe) == 16);

// Doorbell register offsets (the adapter's MMIO space). Send and receive doorbells carry
// {u32 producer index, u32 0}; a CQ arm carries {u32 consumer index, u32 flags}: the adapter
// raises the event at once if entries beyond that index were already written (so an entry that
// lands while the arm is in flight is never missed), as mlx4's arm doorbell does.
enum class DoorbellKind : std::uint32_t { kSend = 0, kRecv = 1, kCqArm = 2 };
// CQ arm flag: only a solicited receive or an error completion raises the event.
constexpr std::uint32_t kArmSolicited = 1;
constexpr std::uint64_t kDoorbellQpShift = 4;
inline std::uint64_t doorbell_offset(DoorbellKind kind, std::uint32_t qpn) {
  return (static_cast<std::uint64_t>(qpn) << kDoorbellQpShift) | static_cast<std::uint64_t>(kind);
}
// A BlueFlame write carries {u32 producer, u32 pad} followed by the WQE, copied in whole
// 64-byte blocks (the write-combining unit the drivers copy by).
constexpr unsigned kBlueFlameHeader = 8;
constexpr unsigned kBlueFlameBlock = 64;

// Bytes a send WQE occupies: its header and then its inline data or its SGE list.
inline std::uint32_t send_wqe_bytes(const SendWqeHeader& h) {
  return sizeof(SendWqeHeader) +
         ((h.flags & kInline) ? h.inline_len : std::uint32_t{h.num_sge} * sizeof(Sge));
}
// The WQE bytes a BlueFlame write carries: whole 64-byte blocks.
inline std::uint32_t blueflame_wqe_bytes(const SendWqeHeader& h) {
  return (send_wqe_bytes(h) + kBlueFlameBlock - 1) / kBlueFlameBlock * kBlueFlameBlock;
}

}  // namespace hcasim
