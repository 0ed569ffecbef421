#pragma once
// What each traced stage of the adapter works on: the values of its "<stage>_op" trace signal
// and their names (GTKWave shows the names). Value 0 is idle.
#include <cstdint>

#include "models/core/trace_labels.hpp"
#include "models/fabric/packet.hpp"
#include "models/hca/wqe_format.hpp"

namespace hcasim {

// The doorbell unit: which kind of doorbell it decodes.
enum class DoorbellOp : std::uint8_t { kIdle, kSendQueue, kRecvQueue, kCqArm };
inline constexpr EnumLabel<DoorbellOp> kDoorbellOpLabels[] = {
    {DoorbellOp::kIdle, "idle"},
    {DoorbellOp::kSendQueue, "send_queue"},
    {DoorbellOp::kRecvQueue, "recv_queue"},
    {DoorbellOp::kCqArm, "cq_arm"},
};
constexpr const auto& trace_labels(DoorbellOp) { return kDoorbellOpLabels; }

constexpr DoorbellOp doorbell_op(DoorbellKind kind) {
  switch (kind) {
    case DoorbellKind::kSend:
      return DoorbellOp::kSendQueue;
    case DoorbellKind::kRecv:
      return DoorbellOp::kRecvQueue;
    case DoorbellKind::kCqArm:
      return DoorbellOp::kCqArm;
  }
  return DoorbellOp::kIdle;
}

// The packetizer and the receive engine: the kind of packet they build or take.
enum class PacketOp : std::uint8_t {
  kIdle,
  kSend,
  kRdmaWrite,
  kReadRequest,
  kReadResponse,
  kAck,
  kNak,
};
inline constexpr EnumLabel<PacketOp> kPacketOpLabels[] = {
    {PacketOp::kIdle, "idle"},
    {PacketOp::kSend, "send"},
    {PacketOp::kRdmaWrite, "rdma_write"},
    {PacketOp::kReadRequest, "read_request"},
    {PacketOp::kReadResponse, "read_response"},
    {PacketOp::kAck, "ack"},
    {PacketOp::kNak, "nak"},
};
constexpr const auto& trace_labels(PacketOp) { return kPacketOpLabels; }

constexpr PacketOp packet_op(PacketKind kind) {
  switch (kind) {
    case PacketKind::kSend:
      return PacketOp::kSend;
    case PacketKind::kRdmaWrite:
      return PacketOp::kRdmaWrite;
    case PacketKind::kReadRequest:
      return PacketOp::kReadRequest;
    case PacketKind::kReadResponse:
      return PacketOp::kReadResponse;
    case PacketKind::kAck:
      return PacketOp::kAck;
    case PacketKind::kNak:
      return PacketOp::kNak;
  }
  return PacketOp::kIdle;
}

// The CQE writer: the kind of completion it writes.
enum class CqeOp : std::uint8_t { kIdle, kSend, kRecv, kError };
inline constexpr EnumLabel<CqeOp> kCqeOpLabels[] = {
    {CqeOp::kIdle, "idle"},
    {CqeOp::kSend, "send"},
    {CqeOp::kRecv, "recv"},
    {CqeOp::kError, "error"},
};
constexpr const auto& trace_labels(CqeOp) { return kCqeOpLabels; }

}  // namespace hcasim
