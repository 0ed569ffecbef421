#pragma once
// The transport service a queue pair runs (verbs' ibv_qp_type): the reliable connection or the
// unreliable datagram. The adapter picks the QP's Transport by it (docs/model.md).
#include <cstdint>

namespace hcasim {

enum class QpType : std::uint8_t {
  kRc,  // reliable connection: one peer, PSNs, ACKs, retries, any operation
  kUd,  // unreliable datagram: each SEND names its destination, one MTU at most, no ACK
};

constexpr const char* to_string(QpType t) { return t == QpType::kUd ? "UD" : "RC"; }

}  // namespace hcasim
