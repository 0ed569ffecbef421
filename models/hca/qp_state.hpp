#pragma once
// Queue-pair states and the moves between them, as verbs (rdma-core, reliable connection)
// defines them. The adapter's QP context holds the state; a firmware command moves it.
#include <cstdint>

namespace hcasim {

enum class QpState : std::uint8_t {
  kReset = 0,  // nothing posted, nothing processed
  kInit = 1,   // receives may be posted (and are prefetched); packets are dropped
  kRtr = 2,    // ready to receive: connected, answers requests; sends are not started
  kRts = 3,    // ready to send
  kSqd = 4,    // send queue drained: messages in progress finish, no new send WQE starts
  kSqe = 5,    // send queue error: a UD send failed locally; sends flush, receives go on
  kError = 6,  // every outstanding and later-posted request completes with a flush error
};
const char* to_string(QpState s);

// The moves verbs allows: RESET->INIT, INIT->RTR, RTR->RTS, RTS<->SQD, SQE->RTS, any state to
// RESET or ERR, and each state to itself. Anything else is rejected (EINVAL) and changes nothing.
constexpr bool qp_transition_allowed(QpState from, QpState to) {
  if (to == from || to == QpState::kReset || to == QpState::kError) return true;
  switch (to) {
    case QpState::kInit:
      return from == QpState::kReset;
    case QpState::kRtr:
      return from == QpState::kInit;
    case QpState::kRts:
      return from == QpState::kRtr || from == QpState::kSqd || from == QpState::kSqe;
    case QpState::kSqd:
      return from == QpState::kRts;
    default:
      return false;
  }
}

// Software may post sends in RTS and later (SQD queues them, ERR flushes them), receives in
// every state but RESET.
constexpr bool qp_accepts_sends(QpState s) { return s >= QpState::kRts; }
constexpr bool qp_accepts_receives(QpState s) { return s != QpState::kReset; }

// What a move carries (the verbs attributes this model uses); fields other moves ignore.
struct QpModify {
  QpState state = QpState::kRts;
  // INIT -> RTR: the remote end and the first PSN expected from it
  std::uint16_t remote_port = 0;
  std::uint32_t remote_qpn = 0;
  std::uint32_t rq_psn = 0;
  // RTR -> RTS: the first PSN this QP sends
  std::uint32_t sq_psn = 0;
  // RESET -> INIT of an unreliable-datagram QP: the Q_Key its datagrams must carry
  std::uint32_t qkey = 0;
};

}  // namespace hcasim
