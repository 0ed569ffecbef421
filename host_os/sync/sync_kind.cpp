#include "host_os/sync/sync_kind.hpp"

#include <ostream>

namespace hcasim::sync {

std::string_view to_string(SyncKind kind) {
  switch (kind) {
    case SyncKind::algorithm:
      return "algorithm";
    case SyncKind::global_lock:
      return "global_lock";
    case SyncKind::rwlock:
      return "rwlock";
    case SyncKind::algorithm_atomic:
      return "algorithm_atomic";
    case SyncKind::percpu:
      return "percpu";
  }
  return "?";
}

std::optional<SyncKind> sync_kind_from_string(std::string_view name) {
  for (SyncKind kind : kAllSyncKinds) {
    if (to_string(kind) == name) return kind;
  }
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& out, SyncKind kind) { return out << to_string(kind); }

}  // namespace hcasim::sync
