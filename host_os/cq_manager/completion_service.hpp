#pragma once
// The completion-queue manager (seed-algorithms.md section 2, US 6,718,370; docs/cq_manager.md):
// one completion service per driver, written once over the platform concept of
// host_os/sync/platform.hpp, so the same source runs natively (real threads, ThreadSanitizer)
// and on the simulated host.
//
// The service owns the CQ set and two monitored-WQ lists (outbound = send, inbound = receive),
// each WQ with its owner's callback. Checking walks the CQs round-robin, reaps up to a budget
// per CQ and hands every entry to the callback of its WQ (or drops it when the WQ is not
// monitored). The lists and the CQ set are the resource the synchronization algorithm guards
// (host_os/sync, chosen by SyncKind): checking is work, many checkers at once; monitor, stop
// monitoring, adding / removing / resizing a CQ are updates. Two checkers never reap one CQ: a
// CQ is claimed by one checker at a time.
//
// Modes, all on one object:
//   single thread     one thread calls check() (or arm_and_wait()) in a loop;
//   M threads         M threads call check() at once; a checker that finds a CQ claimed skips
//                     it and the holder polls it once more on its behalf (nothing waits);
//   interrupt-driven  the ISR of a CQ's vector queues a DPC that calls try_check(cq): never
//                     blocks; deferred while an update is pending, and that update's end
//                     calls requeue(cq) for exactly the CQs that deferred;
//   baseline          one dedicated poller per CQ calls check_one(cq).
//
// Rules for callers: callbacks run inside the work section and while their CQ is claimed, so a
// callback must not call an update (monitor, stop_monitoring, add_cq, ...) nor check the same
// service; requeue must not block (queue a DPC, wake a thread).
#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "host_os/cq_manager/completion_types.hpp"
#include "host_os/cq_manager/wq_table.hpp"
#include "host_os/sync/any_sync_guard.hpp"
#include "host_os/sync/platform.hpp"
#include "host_os/sync/sync_kind.hpp"

namespace hcasim::cq {

template <class P, class Backend>
class CompletionService {
  static_assert(sync::is_platform_v<P>, "P must model the platform concept of platform.hpp");

 public:
  using Platform = P;
  using Context = typename P::Context;
  using Completion = typename Backend::Completion;
  using Guard = sync::AnySyncGuard<P>;
  // The owner's callback for one completion of its WQ.
  using Callback = std::function<void(Context&, const Completion&)>;
  // Runs try_check(cq) again later (queue the CQ's DPC): for a CQ whose try_check deferred
  // during an update, or used its whole budget.
  using Requeue = std::function<void(Context&, std::uint32_t cq)>;
  // Observation (tracing which checker holds a CQ): called when a checker takes a CQ's claim
  // (held) and when it gives it back. Not a modelled access; must not call the service.
  using ClaimObserver = std::function<void(Context&, std::uint32_t cq, bool held)>;
  void set_claim_observer(ClaimObserver o) { claim_observer_ = std::move(o); }

  // Entries reaped per backend poll (Linux's ib_cq polls in batches of 16 too).
  static constexpr unsigned kBatch = 16;

  CompletionService(P& platform, Backend& backend, sync::SyncKind kind,
                    const CompletionServiceConfig& config = {}, Requeue requeue = {})
      : platform_(platform),
        backend_(backend),
        config_(config),
        requeue_(std::move(requeue)),
        guard_(platform, kind,
               [this](Context& c, std::uint64_t /*deferred*/) { retrigger_deferred(c); }),
        slots_(std::make_unique<CqSlot[]>(config.max_cqs)),
        order_(config.max_cqs, 0),
        deferred_(std::make_unique<DeferredWord[]>(deferred_words(config.max_cqs))),
        outbound_(config.initial_wqs),
        inbound_(config.initial_wqs) {
    if (config.max_cqs == 0) throw std::invalid_argument("CompletionService: max_cqs must be >= 1");
  }
  CompletionService(const CompletionService&) = delete;
  CompletionService& operator=(const CompletionService&) = delete;

  // ---- updates (exclusive: wait for the checks inside to leave; false once shut down) --------

  // Adds CQ `cq` (0 <= cq < max_cqs) to the set the checks walk. False if already there.
  bool add_cq(Context& c, std::uint32_t cq) {
    require_cq_id(cq);
    bool added = false;
    const bool ok = update(c, [&] {
      CqSlot& s = slots_[cq];
      if (s.present) return;
      s.present = true;
      s.position = count_;
      order_[count_++] = cq;
      added = true;
    });
    return ok && added;
  }

  // Removes CQ `cq`; once this returns no check polls it. False if it was not in the set.
  bool remove_cq(Context& c, std::uint32_t cq) {
    require_cq_id(cq);
    bool removed = false;
    const bool ok = update(c, [&] {
      CqSlot& s = slots_[cq];
      if (!s.present) return;
      const std::uint32_t last = order_[--count_];  // swap-remove: the order is round-robin
      order_[s.position] = last;
      slots_[last].position = s.position;
      s.present = false;
      removed = true;
    });
    return ok && removed;
  }

  // The CQ `cq` changes size: `resize()` (the integrator's resize of the ring) runs while no
  // check is inside, so no checker polls a ring being replaced. False if `cq` is not in the set.
  template <class Fn>
  bool resize_cq(Context& c, std::uint32_t cq, Fn&& resize) {
    require_cq_id(cq);
    bool present = false;
    const bool ok = update(c, [&] {
      present = slots_[cq].present;
      if (present) std::forward<Fn>(resize)();
    });
    return ok && present;
  }

  // Starts reporting the completions of WQ `wq` in `direction` to `callback`. False if that WQ
  // is already monitored in that direction (its callback stays).
  bool monitor(Context& c, std::uint32_t wq, Direction direction, Callback callback) {
    bool inserted = false;
    const bool ok = update(c, [&] { inserted = list(direction).insert(wq, std::move(callback)); });
    return ok && inserted;
  }

  // Stops reporting `wq`'s completions in `direction`. Once this returns, no callback for it
  // runs again: callbacks run inside work sections, and the update waited for every one to
  // leave; later entries of the WQ are dropped (and counted). False if it was not monitored.
  bool stop_monitoring(Context& c, std::uint32_t wq, Direction direction) {
    bool erased = false;
    const bool ok = update(c, [&] { erased = list(direction).erase(wq); });
    return ok && erased;
  }

  // Any other change of what the checks read (moderation, a CQ's vector): fn() runs exclusively.
  template <class Fn>
  bool update(Context& c, Fn&& fn) {
    const bool ok = guard_.update(c, [&] {
      // Every update rewrites the resource's line: the checkers' copies are invalidated.
      platform_.fetch_add(c, shared_.generation, 1, std::memory_order_relaxed);
      std::forward<Fn>(fn)();
    });
    if (ok) bump(counters_.updates, 1);
    return ok;
  }

  // The teardown update: empties the lists and the CQ set, then every call fails (checks
  // return 0, try_check reports destroyed) and arm_and_wait sleepers wake.
  void shutdown(Context& c) {
    guard_.destroy(c, [&] {
      platform_.fetch_add(c, shared_.generation, 1, std::memory_order_relaxed);
      outbound_.clear();
      inbound_.clear();
      for (std::uint32_t i = 0; i < count_; ++i) slots_[order_[i]].present = false;
      count_ = 0;
    });
    P& p = platform_;
    p.lock(c, wait_.lock);
    p.store(c, wait_.closed, 1, std::memory_order_relaxed);
    p.store(c, wait_.events, p.load(c, wait_.events, std::memory_order_relaxed) + 1,
            std::memory_order_relaxed);
    p.unlock(c, wait_.lock);
    p.notify_all(c, wait_.sleepers);
  }

  // ---- work ----------------------------------------------------------------------------------

  // One pass over every CQ, round-robin from a shared cursor, reaping up to `budget_per_cq`
  // entries per CQ. Returns how many entries it reaped (delivered or dropped); 0 once shut down.
  // design decision: every check visits every CQ once and starts one CQ further than the check
  // before (one atomic add on the cursor's line), so no CQ is always served last and concurrent
  // checkers start on different CQs instead of all missing the same claim.
  unsigned check(Context& c, unsigned budget_per_cq) {
    if (!guard_.enter(c)) return 0;
    Tally t;
    P& p = platform_;
    p.load(c, shared_.generation, std::memory_order_acquire);  // the CQ set and the lists
    const std::uint32_t n = count_;
    if (n != 0) {
      const std::uint64_t start = p.fetch_add(c, cursor_.next, 1, std::memory_order_relaxed);
      for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t cq = order_[(start + i) % n];
        visit(c, cq, budget_of(budget_per_cq), false, t);
      }
    }
    guard_.exit(c);
    return finish(t);
  }

  // The baseline "one dedicated poller per CQ": checks only CQ `cq`. Returns entries reaped.
  unsigned check_one(Context& c, std::uint32_t cq, unsigned budget) {
    require_cq_id(cq);
    if (!guard_.enter(c)) return 0;
    Tally t;
    platform_.load(c, shared_.generation, std::memory_order_acquire);
    if (slots_[cq].present) visit(c, cq, budget_of(budget), false, t);
    guard_.exit(c);
    return finish(t);
  }

  // The interrupt/DPC path for CQ `cq`: never blocks. Inside, it reaps up to `budget`, then
  // re-arms the CQ without the race (arm, poll again); a CQ that used the whole budget is
  // requeued instead of re-armed. While an update is pending it records `cq` in the deferred set
  // and returns `deferred`; that update's end calls requeue(cq) -- exactly the deferred CQs.
  TryCheckResult try_check(Context& c, std::uint32_t cq, unsigned budget) {
    require_cq_id(cq);
    if (!requeue_) throw std::logic_error("CompletionService::try_check needs a requeue callback");
    if (!guard_.try_enter(c)) {
      if (guard_.destroyed()) return {TryCheckResult::Outcome::destroyed, 0};
      // Record first, then ask again: the update that counts this second busy answer has not
      // yet collected the deferred set, so it sees `cq`. (The first answer's update may have
      // collected it already, before the mark.)
      mark_deferred(c, cq);
      if (!guard_.try_enter(c)) {
        if (guard_.destroyed()) return {TryCheckResult::Outcome::destroyed, 0};
        bump(counters_.deferrals, 1);
        return {TryCheckResult::Outcome::deferred, 0};
      }
      // The update ended meanwhile. If its retrigger took the mark, the requeue runs the CQ.
      if (!clear_deferred(c, cq)) {
        guard_.exit(c);
        bump(counters_.deferrals, 1);
        return {TryCheckResult::Outcome::deferred, 0};
      }
    }
    Tally t;
    platform_.load(c, shared_.generation, std::memory_order_acquire);
    bool exhausted = false;
    if (slots_[cq].present) exhausted = visit(c, cq, budget_of(budget), true, t);
    guard_.exit(c);
    const unsigned reaped = finish(t);
    if (exhausted) {
      bump(counters_.budget_requeues, 1);
      requeue_(c, cq);
    }
    return {TryCheckResult::Outcome::checked, reaped};
  }

  // Checks; if nothing was there, arms every CQ and checks again (an entry that landed between
  // the last poll and the arm raises no notification, so sleeping now could wait for the next
  // one); if still nothing, sleeps until notify_completion. Returns the entries reaped (after a
  // wake-up, by one more check: 0 when another checker took them, or once shut down).
  unsigned arm_and_wait(Context& c, unsigned budget_per_cq) {
    P& p = platform_;
    unsigned reaped = check(c, budget_per_cq);
    if (reaped != 0) return reaped;
    // The ticket is taken before arming: any notification of an armed CQ moves it on.
    const std::uint64_t ticket = p.load(c, wait_.events, std::memory_order_acquire);
    const bool missed = arm_all(c);
    if (missed || !reports_missed_events_v<Backend>) {
      reaped = check(c, budget_per_cq);
      if (reaped != 0) return reaped;
    }
    bump(counters_.sleeps, 1);
    p.lock(c, wait_.lock);
    p.wait(c, wait_.sleepers, wait_.lock, [&] {
      return p.load(c, wait_.events, std::memory_order_relaxed) != ticket ||
             p.load(c, wait_.closed, std::memory_order_relaxed) != 0;
    });
    p.unlock(c, wait_.lock);
    bump(counters_.wakes, 1);
    return check(c, budget_per_cq);
  }

  // Arms every CQ of the set (inside a work section). True if an arm reported entries already
  // waiting. The interrupt-driven mode starts with it.
  bool arm_all(Context& c) {
    if (!guard_.enter(c)) return false;
    platform_.load(c, shared_.generation, std::memory_order_acquire);
    bool missed = false;
    for (std::uint32_t i = 0; i < count_; ++i) missed |= arm(c, order_[i]);
    guard_.exit(c);
    return missed;
  }

  // Called by the integrator's interrupt/DPC path when CQ `cq`'s notification fired: wakes
  // arm_and_wait sleepers. Cheap when nobody sleeps (no system call).
  void notify_completion(Context& c, std::uint32_t /*cq*/) {
    P& p = platform_;
    p.lock(c, wait_.lock);
    p.store(c, wait_.events, p.load(c, wait_.events, std::memory_order_relaxed) + 1,
            std::memory_order_release);
    p.unlock(c, wait_.lock);
    p.notify_all(c, wait_.sleepers);
    bump(counters_.notifies, 1);
  }

  // ---- observation (no modelled access) ------------------------------------------------------
  CompletionStats stats() const {
    constexpr auto r = std::memory_order_relaxed;
    const Counters& k = counters_;
    CompletionStats s;
    s.checks = k.checks.load(r);
    s.completions = k.completions.load(r);
    s.empty_checks = k.empty_checks.load(r);
    s.claim_misses = k.claim_misses.load(r);
    s.handovers = k.handovers.load(r);
    s.dropped = k.dropped.load(r);
    s.deferrals = k.deferrals.load(r);
    s.retriggers = k.retriggers.load(r);
    s.budget_requeues = k.budget_requeues.load(r);
    s.arms = k.arms.load(r);
    s.missed_events = k.missed_events.load(r);
    s.sleeps = k.sleeps.load(r);
    s.wakes = k.wakes.load(r);
    s.notifies = k.notifies.load(r);
    s.updates = k.updates.load(r);
    return s;
  }
  const Guard& guard() const { return guard_; }
  const CompletionServiceConfig& config() const { return config_; }
  // Only when no update runs (tests, setup code).
  std::uint32_t cq_count() const { return count_; }
  std::uint32_t monitored(Direction d) const {
    return d == Direction::outbound ? outbound_.size() : inbound_.size();
  }

 private:
  // Claim word values: free, held, held with a visit handed over by a checker that missed.
  static constexpr std::uint64_t kFree = 0;
  static constexpr std::uint64_t kHeld = 1;
  static constexpr std::uint64_t kPending = 2;

  // Per CQ id: its claim word on a line of its own (only the checkers of this CQ touch it),
  // and its place in the CQ set (plain fields: written in updates, read in work sections).
  struct alignas(sync::kCacheLine) CqSlot {
    typename P::Word claim;
    bool present = false;
    std::uint32_t position = 0;  // index in order_ while present
  };
  struct alignas(sync::kCacheLine) DeferredWord {
    typename P::Word bits;  // bit i: CQ (word * 64 + i) deferred
  };
  static std::size_t deferred_words(std::uint32_t max_cqs) { return (max_cqs + 63u) / 64u; }

  // What one call reaped, added to the shared counters once at its end.
  struct Tally {
    std::uint64_t delivered = 0, dropped = 0, misses = 0, handovers = 0;
    unsigned reaped() const { return static_cast<unsigned>(delivered + dropped); }
  };

  // Statistics are observation (not modelled): relaxed atomics on a line of their own.
  struct alignas(sync::kCacheLine) Counters {
    std::atomic<std::uint64_t> checks{0}, completions{0}, empty_checks{0}, claim_misses{0},
        handovers{0}, dropped{0}, deferrals{0}, retriggers{0}, budget_requeues{0}, arms{0},
        missed_events{0}, sleeps{0}, wakes{0}, notifies{0}, updates{0};
  };
  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n) {
    if (n != 0) counter.fetch_add(n, std::memory_order_relaxed);
  }

  static unsigned budget_of(unsigned budget) { return std::max(budget, 1u); }

  void require_cq_id(std::uint32_t cq) const {
    if (cq >= config_.max_cqs) {
      throw std::out_of_range("CompletionService: CQ id " + std::to_string(cq) + " outside 0.." +
                              std::to_string(config_.max_cqs - 1) + " (config max_cqs)");
    }
  }

  WqTable<Callback>& list(Direction d) { return d == Direction::outbound ? outbound_ : inbound_; }

  bool arm(Context& c, std::uint32_t cq) {
    bump(counters_.arms, 1);
    const bool missed = backend_.arm(c, cq);
    if (missed) bump(counters_.missed_events, 1);
    return missed;
  }

  unsigned finish(const Tally& t) {
    bump(counters_.checks, 1);
    if (t.reaped() == 0) bump(counters_.empty_checks, 1);
    bump(counters_.completions, t.delivered);
    bump(counters_.dropped, t.dropped);
    bump(counters_.claim_misses, t.misses);
    bump(counters_.handovers, t.handovers);
    return t.reaped();
  }

  // Takes CQ `cq` for this checker. If another holds it, asks the holder to poll once more
  // (sets kPending) and returns false: the entries this visit came for are reaped by the holder.
  bool claim(Context& c, std::uint32_t cq) {
    P& p = platform_;
    typename P::Word& w = slots_[cq].claim;
    std::uint64_t seen = kFree;
    for (;;) {
      if (seen == kFree) {
        if (p.compare_exchange(c, w, seen, kHeld, std::memory_order_acq_rel)) {
          if (claim_observer_) claim_observer_(c, cq, true);
          return true;
        }
        continue;  // `seen` now holds the current value
      }
      if (seen & kPending) return false;  // a visit is already handed over
      if (p.compare_exchange(c, w, seen, seen | kPending, std::memory_order_acq_rel)) return false;
    }
  }

  // Releases CQ `cq`; false when a visit was handed over meanwhile: the caller still holds the
  // CQ (pending cleared) and must poll it once more.
  bool release(Context& c, std::uint32_t cq) {
    P& p = platform_;
    typename P::Word& w = slots_[cq].claim;
    std::uint64_t held = kHeld;
    if (p.compare_exchange(c, w, held, kFree, std::memory_order_acq_rel)) {
      if (claim_observer_) claim_observer_(c, cq, false);
      return true;
    }
    assert(held == (kHeld | kPending));
    // Only the holder changes a word that has kPending set: a plain store clears it.
    p.store(c, w, kHeld, std::memory_order_relaxed);
    return false;
  }

  // Reaps up to `budget` entries of a claimed CQ and delivers them. Callbacks run here: inside
  // the work section (the stop-monitoring guarantee) and inside the claim.
  // design decision: the claim is held while the callbacks run, so the entries of one WQ reach
  // its owner in CQ order (a second checker could otherwise deliver later entries first);
  // Linux's ib_cq also runs the done callbacks in the context that polled the CQ.
  unsigned drain(Context& c, std::uint32_t cq, unsigned budget, Tally& t) {
    Completion batch[kBatch];
    unsigned total = 0;
    while (total < budget) {
      const unsigned want = std::min(kBatch, budget - total);
      const unsigned got = backend_.poll(c, cq, batch, want);
      for (unsigned i = 0; i < got; ++i) {
        platform_.cost(c, config_.lookup_cycles);
        const Callback* cb = list(backend_.direction_of(batch[i])).find(backend_.wq_of(batch[i]));
        if (cb) {
          ++t.delivered;
          (*cb)(c, batch[i]);
        } else {
          ++t.dropped;
        }
      }
      total += got;
      if (got < want) break;
    }
    return total;
  }

  // One visit of CQ `cq`: claim, reap up to `budget` (and, with `rearm`, re-arm race-free when
  // the CQ ran empty), release -- polling again, with a fresh budget, for every visit handed
  // over meanwhile. Returns whether the last round used its whole budget (entries may remain).
  // design decision: a checker that finds a CQ claimed hands its visit to the holder instead of
  // waiting or silently skipping, so a skipped DPC never strands an entry until the next
  // interrupt; the holder's extra rounds are bounded by the visits handed to it.
  bool visit(Context& c, std::uint32_t cq, unsigned budget, bool rearm, Tally& t) {
    if (!claim(c, cq)) {
      ++t.misses;
      return false;
    }
    bool exhausted = false;
    for (;;) {
      const unsigned got = drain(c, cq, budget, t);
      exhausted = got == budget;
      if (rearm && !exhausted) {
        // Arm, then poll again: an entry that landed after the poll and before the arm would
        // otherwise wait for a notification that never comes.
        const bool missed = arm(c, cq);
        if (missed || !reports_missed_events_v<Backend>) {
          exhausted = got + drain(c, cq, budget - got, t) == budget;
        }
      }
      if (release(c, cq)) return exhausted;
      ++t.handovers;
    }
  }

  // The deferred set: one bit per CQ id, set by try_check with CAS (the platform has no
  // fetch_or), collected by the retrigger.
  // design decision: a set, not a queue: a CQ that deferred several times during one update is
  // requeued once -- one check reaps everything it holds -- and the set needs no allocation.
  void mark_deferred(Context& c, std::uint32_t cq) {
    P& p = platform_;
    typename P::Word& w = deferred_[cq / 64].bits;
    const std::uint64_t bit = std::uint64_t{1} << (cq % 64);
    std::uint64_t v = p.load(c, w, std::memory_order_relaxed);
    while (!(v & bit) && !p.compare_exchange(c, w, v, v | bit, std::memory_order_acq_rel)) {
    }
  }
  // True if this call cleared the bit (nobody collected it).
  bool clear_deferred(Context& c, std::uint32_t cq) {
    P& p = platform_;
    typename P::Word& w = deferred_[cq / 64].bits;
    const std::uint64_t bit = std::uint64_t{1} << (cq % 64);
    std::uint64_t v = p.load(c, w, std::memory_order_relaxed);
    while (v & bit) {
      if (p.compare_exchange(c, w, v, v & ~bit, std::memory_order_acq_rel)) return true;
    }
    return false;
  }

  // The guard's retrigger, run by the updater after an update during which some try_enter was
  // busy: requeues every CQ in the deferred set, once each.
  void retrigger_deferred(Context& c) {
    P& p = platform_;
    const std::size_t words = deferred_words(config_.max_cqs);
    for (std::size_t i = 0; i < words; ++i) {
      typename P::Word& w = deferred_[i].bits;
      std::uint64_t v = p.load(c, w, std::memory_order_relaxed);
      while (v != 0 && !p.compare_exchange(c, w, v, 0, std::memory_order_acq_rel)) {
      }
      for (; v != 0; v &= v - 1) {
        const auto cq =
            static_cast<std::uint32_t>(i * 64 + static_cast<unsigned>(__builtin_ctzll(v)));
        bump(counters_.retriggers, 1);
        if (requeue_) requeue_(c, cq);
      }
    }
  }

  P& platform_;
  Backend& backend_;
  const CompletionServiceConfig config_;
  const Requeue requeue_;
  ClaimObserver claim_observer_;
  Guard guard_;
  // The guarded resource's line: every check reads it, every update writes it.
  struct alignas(sync::kCacheLine) Shared {
    typename P::Word generation;
  } shared_;
  // The round-robin cursor: every check takes the next start (one atomic add).
  struct alignas(sync::kCacheLine) Cursor {
    typename P::Word next;
  } cursor_;
  // The CQ set: per-id slots, and the ids in round-robin order (count_ of them).
  std::unique_ptr<CqSlot[]> slots_;
  std::vector<std::uint32_t> order_;
  std::uint32_t count_ = 0;
  std::unique_ptr<DeferredWord[]> deferred_;
  // The monitored-WQ lists.
  WqTable<Callback> outbound_;
  WqTable<Callback> inbound_;
  // arm_and_wait's sleepers: `events` moves on with every notification (a sleeper's ticket).
  struct alignas(sync::kCacheLine) Wait {
    typename P::SpinLock lock;
    typename P::Word events;
    typename P::Word closed;
    typename P::WaitQueue sleepers;
  } wait_;
  Counters counters_;
};

}  // namespace hcasim::cq
