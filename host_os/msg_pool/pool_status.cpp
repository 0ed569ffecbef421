// Names of pool statuses and the text of a misuse report (only formatted when misuse happens).
#include "host_os/msg_pool/pool_status.hpp"

namespace hcasim::msg_pool {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::ok:
      return "ok";
    case Status::pending:
      return "pending";
    case Status::no_resources:
      return "no resources";
    case Status::double_put:
      return "double put";
    case Status::foreign:
      return "foreign element";
    case Status::stale:
      return "stale handle";
    case Status::busy:
      return "busy";
    case Status::destroyed:
      return "destroyed";
    case Status::invalid:
      return "invalid request";
  }
  return "?";
}

namespace {
std::string_view why(Status s) {
  switch (s) {
    case Status::double_put:
      return "the element is already free";
    case Status::foreign:
      return "the handle does not name an element of this pool";
    case Status::stale:
      return "the element was put since this handle was issued (use after put)";
    case Status::invalid:
      return "the count must be between 1 and the pool's element count";
    default:
      return "";
  }
}
}  // namespace

std::string describe(const MisuseReport& r) {
  std::string s = "msg pool '";
  s.append(r.pool).append("': ").append(r.operation);
  if (r.kind == Status::invalid) {
    s.append(" of ").append(std::to_string(r.count)).append(" elements");
  } else {
    s.append(" of element ").append(std::to_string(r.handle.index));
    s.append(" (pool id ").append(std::to_string(r.handle.pool));
    s.append(", generation ").append(std::to_string(r.handle.generation)).append(")");
  }
  s.append(": ").append(to_string(r.kind));
  const std::string_view reason = why(r.kind);
  if (!reason.empty()) s.append(" (").append(reason).append(")");
  return s;
}

}  // namespace hcasim::msg_pool
