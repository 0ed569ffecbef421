#pragma once
// What the guards (WorkerUpdateGuard, AtomicWorkerUpdateGuard, GlobalSpinLock, ReaderWriterLock,
// PerCpuGuard) have in common, so the simulator can run any of them behind one object
// (AnySyncGuard) and compare them.
//
// Every guard G<P> over a platform P (see platform.hpp) offers, with C = P::Context:
//   G(P& platform, Retrigger<P> retrigger = {});
//   bool enter(C&);             // Blocking worker entry; false only once destroyed.
//   bool try_enter(C&);         // Non-blocking entry for interrupt/DPC context. false means
//                               // "busy, deferred": the guard counted the deferral and reports
//                               // it when the update that caused it ends -- unless destroyed().
//   void exit(C&);              // Worker leaves; only after a successful (try_)enter.
//   bool begin_update(C&);      // Exclusive access: waits for other updaters and for workers
//                               // to leave; false once destroyed.
//   std::uint64_t end_update(C&, UpdateEnd = UpdateEnd::keep);
//                               // Ends the update (or destroys: a teardown update), wakes
//                               // waiters, calls retrigger(c, n) for the n deferred try_enters
//                               // if n > 0, and returns n.
//   bool update(C&, Fn&&), bool destroy(C&, Fn&&);  // begin_update + fn() + end_update.
//   Observation, never a modelled access: active(), update_pending(), destroyed(), state(),
//   stats(), and for_each_region(fn): fn(const void* begin, std::size_t bytes) for each block
//   of memory holding the guard's modelled words (the simulator's per-line statistics).
// A caller must not call begin_update while inside as a worker (it would wait for itself). The
// object must outlive every call on it; once destroyed, calls return false at once.
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

namespace hcasim::sync {

// The life of a protected resource (seed-algorithms.md section 1).
enum class GuardState : std::uint8_t {
  idle,       // nobody inside, no update
  working,    // workers inside, no update
  draining,   // update requested, workers still inside
  updating,   // the updater has exclusive access
  destroyed,  // after a teardown update: every enter fails
};

constexpr std::string_view to_string(GuardState s) {
  switch (s) {
    case GuardState::idle:
      return "idle";
    case GuardState::working:
      return "working";
    case GuardState::draining:
      return "draining";
    case GuardState::updating:
      return "updating";
    case GuardState::destroyed:
      return "destroyed";
  }
  return "?";
}

// How an update ends: the resource lives on, or it was torn down.
enum class UpdateEnd : std::uint8_t { keep, destroy };

// update() and destroy() written once for every guard (CRTP): begin_update, the caller's
// function, end_update.
template <class Guard>
class ScopedUpdates {
 public:
  template <class C, class Fn>
  bool update(C& c, Fn&& fn) {
    return run(c, std::forward<Fn>(fn), UpdateEnd::keep);
  }
  // The teardown update: waits for exclusive access, runs teardown, leaves the guard destroyed.
  template <class C, class Fn>
  bool destroy(C& c, Fn&& teardown) {
    return run(c, std::forward<Fn>(teardown), UpdateEnd::destroy);
  }

 private:
  template <class C, class Fn>
  bool run(C& c, Fn&& fn, UpdateEnd how) {
    Guard& g = static_cast<Guard&>(*this);
    if (!g.begin_update(c)) return false;
    std::forward<Fn>(fn)();
    g.end_update(c, how);
    return true;
  }
};

// Called by the updater at the end of an update with the number of try_enter calls that
// returned busy during it, so the caller re-queues its deferred work (re-queue the DPC, poll the
// CQ again) and no completion is lost.
template <class P>
using Retrigger = std::function<void(typename P::Context&, std::uint64_t deferred)>;

}  // namespace hcasim::sync
