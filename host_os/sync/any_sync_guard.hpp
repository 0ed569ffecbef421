#pragma once
// One object that runs the guard a scenario chose at run time (SyncKind), with the common guard
// interface of guard_interface.hpp. A std::variant: no allocation, and one indexed jump per call.
#include <cstdint>
#include <utility>
#include <variant>

#include "host_os/sync/atomic_worker_update_guard.hpp"
#include "host_os/sync/global_spin_lock.hpp"
#include "host_os/sync/guard_interface.hpp"
#include "host_os/sync/percpu_guard.hpp"
#include "host_os/sync/reader_writer_lock.hpp"
#include "host_os/sync/sync_kind.hpp"
#include "host_os/sync/worker_update_guard.hpp"

namespace hcasim::sync {

template <class P>
class AnySyncGuard {
 public:
  using Platform = P;
  using Context = typename P::Context;

  AnySyncGuard(P& platform, SyncKind kind, Retrigger<P> retrigger = {})
      : guard_(make(platform, kind, std::move(retrigger))) {}
  AnySyncGuard(const AnySyncGuard&) = delete;
  AnySyncGuard& operator=(const AnySyncGuard&) = delete;

  SyncKind kind() const { return static_cast<SyncKind>(guard_.index()); }

  [[nodiscard]] bool enter(Context& c) {
    return std::visit([&](auto& g) { return g.enter(c); }, guard_);
  }
  [[nodiscard]] bool try_enter(Context& c) {
    return std::visit([&](auto& g) { return g.try_enter(c); }, guard_);
  }
  void exit(Context& c) {
    std::visit([&](auto& g) { g.exit(c); }, guard_);
  }
  [[nodiscard]] bool begin_update(Context& c) {
    return std::visit([&](auto& g) { return g.begin_update(c); }, guard_);
  }
  std::uint64_t end_update(Context& c, UpdateEnd how = UpdateEnd::keep) {
    return std::visit([&](auto& g) { return g.end_update(c, how); }, guard_);
  }
  template <class Fn>
  bool update(Context& c, Fn&& fn) {
    return std::visit([&](auto& g) { return g.update(c, std::forward<Fn>(fn)); }, guard_);
  }
  template <class Fn>
  bool destroy(Context& c, Fn&& teardown) {
    return std::visit([&](auto& g) { return g.destroy(c, std::forward<Fn>(teardown)); }, guard_);
  }

  std::uint64_t active() const {
    return std::visit([](const auto& g) { return g.active(); }, guard_);
  }
  bool update_pending() const {
    return std::visit([](const auto& g) { return g.update_pending(); }, guard_);
  }
  bool destroyed() const {
    return std::visit([](const auto& g) { return g.destroyed(); }, guard_);
  }
  GuardState state() const {
    return std::visit([](const auto& g) { return g.state(); }, guard_);
  }
  SyncStats stats() const {
    return std::visit([](const auto& g) { return g.stats(); }, guard_);
  }
  template <class Fn>
  void for_each_region(Fn&& fn) const {
    std::visit([&](const auto& g) { g.for_each_region(fn); }, guard_);
  }

 private:
  // Alternatives in SyncKind order, so index() is the kind.
  using Variant = std::variant<WorkerUpdateGuard<P>, GlobalSpinLock<P>, ReaderWriterLock<P>,
                               AtomicWorkerUpdateGuard<P>, PerCpuGuard<P>>;
  static_assert(static_cast<std::size_t>(SyncKind::algorithm) == 0 &&
                static_cast<std::size_t>(SyncKind::global_lock) == 1 &&
                static_cast<std::size_t>(SyncKind::rwlock) == 2 &&
                static_cast<std::size_t>(SyncKind::algorithm_atomic) == 3 &&
                static_cast<std::size_t>(SyncKind::percpu) == 4);

  // The guards cannot move; C++17's guaranteed copy elision builds the chosen one in place.
  static Variant make(P& platform, SyncKind kind, Retrigger<P> retrigger) {
    switch (kind) {
      case SyncKind::global_lock:
        return Variant(std::in_place_index<1>, platform, std::move(retrigger));
      case SyncKind::rwlock:
        return Variant(std::in_place_index<2>, platform, std::move(retrigger));
      case SyncKind::algorithm_atomic:
        return Variant(std::in_place_index<3>, platform, std::move(retrigger));
      case SyncKind::percpu:
        return Variant(std::in_place_index<4>, platform, std::move(retrigger));
      case SyncKind::algorithm:
        break;
    }
    return Variant(std::in_place_index<0>, platform, std::move(retrigger));
  }

  Variant guard_;
};

}  // namespace hcasim::sync
