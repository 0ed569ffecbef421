#pragma once
// Queue-pair states and the moves between them, as rdma-core and the Linux RDMA core define them
// for reliable connections (docs/verbs.md). Pure logic: the verbs layer checks every
// modify_qp against this table before it touches the adapter, as the kernel's
// ib_modify_qp_is_ok does.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hcasim::verbs {

enum class QpState : std::uint8_t { kReset, kInit, kRtr, kRts, kSqd, kSqe, kErr };

inline constexpr std::array<QpState, 7> kAllQpStates = {
    QpState::kReset, QpState::kInit, QpState::kRtr, QpState::kRts,
    QpState::kSqd,   QpState::kSqe,  QpState::kErr};

// "RESET", "INIT", "RTR", "RTS", "SQD", "SQE", "ERR".
std::string_view to_string(QpState s);

// RESET->INIT, INIT->RTR, RTR->RTS, RTS<->SQD, SQE->RTS, any state -> RESET or ERR, and each
// state to itself; everything else is refused.
bool qp_transition_allowed(QpState from, QpState to);

// Sends may be posted in RTS (and SQD, where they wait); receives from INIT on. Both are
// accepted in ERR, where they complete at once with a flush error.
bool qp_accepts_sends(QpState s);
bool qp_accepts_recvs(QpState s);

}  // namespace hcasim::verbs
