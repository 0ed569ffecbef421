#pragma once
// Which synchronization a scenario runs (parameter host.sync): the algorithm or a baseline.
#include <array>
#include <iosfwd>
#include <optional>
#include <string_view>

namespace hcasim::sync {

// algorithm: the worker/update guard, small-lock form (WorkerUpdateGuard);
// algorithm_atomic: the same algorithm, single-atomic-word form (AtomicWorkerUpdateGuard);
// global_lock, rwlock, percpu: the baselines (GlobalSpinLock, ReaderWriterLock, PerCpuGuard).
// New kinds are appended (AnySyncGuard's variant index is the kind).
enum class SyncKind { algorithm, global_lock, rwlock, algorithm_atomic, percpu };

inline constexpr std::array<SyncKind, 5> kAllSyncKinds = {
    SyncKind::algorithm, SyncKind::global_lock, SyncKind::rwlock, SyncKind::algorithm_atomic,
    SyncKind::percpu};

// "algorithm", "global_lock", "rwlock", "algorithm_atomic", "percpu".
std::string_view to_string(SyncKind kind);
// The inverse of to_string; nullopt for any other text (the caller reports the bad value).
std::optional<SyncKind> sync_kind_from_string(std::string_view name);
// Writes to_string(kind) (logs, and GoogleTest's names of parameterized tests).
std::ostream& operator<<(std::ostream& out, SyncKind kind);

}  // namespace hcasim::sync
