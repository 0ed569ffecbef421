#include "host_os/verbs/qp_state.hpp"

namespace hcasim::verbs {

std::string_view to_string(QpState s) {
  switch (s) {
    case QpState::kReset:
      return "RESET";
    case QpState::kInit:
      return "INIT";
    case QpState::kRtr:
      return "RTR";
    case QpState::kRts:
      return "RTS";
    case QpState::kSqd:
      return "SQD";
    case QpState::kSqe:
      return "SQE";
    case QpState::kErr:
      return "ERR";
  }
  return "?";
}

bool qp_transition_allowed(QpState from, QpState to) {
  if (from == to || to == QpState::kReset || to == QpState::kErr) return true;
  switch (from) {
    case QpState::kReset:
      return to == QpState::kInit;
    case QpState::kInit:
      return to == QpState::kRtr;
    case QpState::kRtr:
      return to == QpState::kRts;
    case QpState::kRts:
      return to == QpState::kSqd;
    case QpState::kSqd:
      return to == QpState::kRts;
    case QpState::kSqe:
      return to == QpState::kRts;
    case QpState::kErr:
      return false;
  }
  return false;
}

bool qp_accepts_sends(QpState s) {
  return s == QpState::kRts || s == QpState::kSqd || s == QpState::kErr;
}

bool qp_accepts_recvs(QpState s) { return s != QpState::kReset; }

}  // namespace hcasim::verbs
