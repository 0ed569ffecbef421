#pragma once
// The platform concept: the few primitives the synchronization algorithms are written against,
// so that one source runs natively (NativePlatform: std::atomic, futex) and in the simulation
// (a SystemC platform where every shared access costs simulated cycles). The algorithms take the
// platform as a template parameter (no virtual calls natively) and hold it by reference.
//
// A platform P is a class with these member types and functions:
//
//   using Context = ...;   // Per-caller handle: who is calling (simulated: the CPU / thread the
//                          // access is charged to; native: an empty struct). The algorithms never
//                          // store a Context: every call passes the caller's own one through.
//   class Word;            // A shared 64-bit word. Default-constructible to 0, non-copyable,
//                          // never moved (its address is its identity). Holds std::uint64_t.
//   class SpinLock;        // A short lock, held for a few instructions. Default: unlocked.
//   class WaitQueue;       // Something to block on until notified (simulated: an sc_event).
//
//   std::uint64_t load(Context& c, Word& w, std::memory_order mo);
//   void store(Context& c, Word& w, std::uint64_t v, std::memory_order mo);
//   std::uint64_t fetch_add(Context& c, Word& w, std::uint64_t delta, std::memory_order mo);
//       // Returns the old value; arithmetic wraps modulo 2^64, so adding (0 - n) subtracts n.
//   bool compare_exchange(Context& c, Word& w, std::uint64_t& expected, std::uint64_t desired,
//                         std::memory_order mo);
//       // Strong CAS; on failure `expected` receives the current value.
//   std::uint64_t peek(const Word& w) const;
//       // Observation for tracing and tests: a relaxed read that is NOT a modelled access (no
//       // cost, no cache-line movement, no ordering). Never used for decisions.
//
//   void lock(Context& c, SpinLock& l);     // Acquire semantics. Not recursive.
//   void unlock(Context& c, SpinLock& l);   // Release semantics.
//
//   template <class Ready> void wait(Context& c, WaitQueue& q, SpinLock& l, Ready&& ready);
//       // Precondition: c holds l. Returns holding l, with ready() == true. ready() is evaluated
//       // only while l is held (it may make modelled accesses); while it is false, wait releases
//       // l, blocks c until q is notified, and takes l again. Spurious wake-ups are allowed.
//       // No lost wake-ups: if ready() was false under l, and a later caller takes l (after that
//       // evaluation) and then calls notify_all(q) -- while still holding l or after releasing
//       // it -- the waiter evaluates ready() again. The usual use: change state under l, then
//       // notify (under l or just after unlocking).
//   void notify_all(Context& c, WaitQueue& q);  // Wakes every waiter of q; cheap with none.
//
//   void cost(Context& c, std::uint64_t cycles);
//       // A hint that the caller just spent `cycles` CPU cycles on non-memory work (compares,
//       // branches). Natively a no-op; simulated, it advances the caller's CPU time.
//
// Optional: per-CPU slots, for guards that keep a mark per CPU (PerCpuGuard). A platform that
// knows where a context runs offers
//   std::size_t slot_count() const;            // how many slots (e.g. CPUs); at least 1
//   std::size_t slot(const Context& c) const;  // c's slot, < slot_count(); the same for every
//                                              // call made with one context
// slot_count_of() / slot_of() below read them; a platform without them has one slot that every
// caller shares (still correct, no longer per CPU).
//
// Rules a platform implementation must follow, and the algorithms rely on:
// - Calls may come from cooperative coroutines (SystemC SC_THREADs), not only OS threads: no
//   thread_local, no OS blocking in the simulated platform (wait() blocks on SystemC events).
// - Any call may take (simulated) time, i.e. suspend the caller: between two platform calls other
//   callers may run. The only atomicity the algorithms assume is what each call and the spin
//   lock give. In particular, a simulated wait() must not lose a notify that happens while its
//   unlock is still charging time: take a ticket (e.g. a sequence number of q) under l, then
//   after unlocking block only if q's sequence number still equals the ticket.
// - The memory_order arguments are what the native code needs; a sequentially consistent
//   simulated platform may ignore them.
// - Cache lines are identified by address: a simulated platform maps a Word or SpinLock to the
//   simulated line (address / kCacheLine). So the layout the algorithm chooses (which fields
//   share a line with the lock) is what the simulation charges for, natively and simulated alike.
//   Plain std::atomic members of the algorithms (statistics) are observation only: not modelled.
// - Word, SpinLock and WaitQueue are plain members of the algorithm objects, constructed and
//   destroyed with them: no registration with the platform, which sees them only in calls.
// - A contended simulated lock() must not busy-loop in wall time: it may wait for the release on
//   an event while charging the spinning CPU the cycles (and line transfers) it would spend.
// - Fairness is not promised by any primitive (the native spin lock is not fair either).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace hcasim::sync {

// The cache-line size the algorithms lay their shared fields out for.
inline constexpr std::size_t kCacheLine = 64;

namespace detail {
template <class P>
using PlatformCtx = typename P::Context;
struct AlwaysReady {
  bool operator()() const { return true; }
};

// Detects the concept's expressions with their exact result types (C++17: no `concept`).
template <class P, class = void>
struct IsPlatform : std::false_type {};
template <class P>
struct IsPlatform<
    P, std::void_t<
           typename P::Context, typename P::Word, typename P::SpinLock, typename P::WaitQueue,
           decltype(std::declval<P&>().load(std::declval<PlatformCtx<P>&>(),
                                            std::declval<typename P::Word&>(),
                                            std::memory_order_relaxed)),
           decltype(std::declval<P&>().store(std::declval<PlatformCtx<P>&>(),
                                             std::declval<typename P::Word&>(), std::uint64_t{},
                                             std::memory_order_relaxed)),
           decltype(std::declval<P&>().fetch_add(std::declval<PlatformCtx<P>&>(),
                                                 std::declval<typename P::Word&>(), std::uint64_t{},
                                                 std::memory_order_relaxed)),
           decltype(std::declval<P&>().compare_exchange(
               std::declval<PlatformCtx<P>&>(), std::declval<typename P::Word&>(),
               std::declval<std::uint64_t&>(), std::uint64_t{}, std::memory_order_relaxed)),
           decltype(std::declval<const P&>().peek(std::declval<const typename P::Word&>())),
           decltype(std::declval<P&>().lock(std::declval<PlatformCtx<P>&>(),
                                            std::declval<typename P::SpinLock&>())),
           decltype(std::declval<P&>().unlock(std::declval<PlatformCtx<P>&>(),
                                              std::declval<typename P::SpinLock&>())),
           decltype(std::declval<P&>().wait(std::declval<PlatformCtx<P>&>(),
                                            std::declval<typename P::WaitQueue&>(),
                                            std::declval<typename P::SpinLock&>(), AlwaysReady{})),
           decltype(std::declval<P&>().notify_all(std::declval<PlatformCtx<P>&>(),
                                                  std::declval<typename P::WaitQueue&>())),
           decltype(std::declval<P&>().cost(std::declval<PlatformCtx<P>&>(), std::uint64_t{}))>>
    : std::bool_constant<
          std::is_same_v<decltype(std::declval<P&>().load(std::declval<PlatformCtx<P>&>(),
                                                          std::declval<typename P::Word&>(),
                                                          std::memory_order_relaxed)),
                         std::uint64_t> &&
          std::is_same_v<decltype(std::declval<P&>().compare_exchange(
                             std::declval<PlatformCtx<P>&>(), std::declval<typename P::Word&>(),
                             std::declval<std::uint64_t&>(), std::uint64_t{},
                             std::memory_order_relaxed)),
                         bool> &&
          std::is_default_constructible_v<typename P::Word> &&
          !std::is_copy_constructible_v<typename P::Word> &&
          std::is_default_constructible_v<typename P::SpinLock> &&
          std::is_default_constructible_v<typename P::WaitQueue>> {};
}  // namespace detail

// True when P models the platform concept described above; each algorithm static_asserts it.
template <class P>
inline constexpr bool is_platform_v = detail::IsPlatform<P>::value;

namespace detail {
template <class P, class = void>
struct HasSlots : std::false_type {};
template <class P>
struct HasSlots<
    P, std::void_t<decltype(std::declval<const P&>().slot_count()),
                   decltype(std::declval<const P&>().slot(std::declval<const PlatformCtx<P>&>()))>>
    : std::true_type {};
}  // namespace detail

// The platform's per-CPU slots (see "Optional: per-CPU slots" above), or one shared slot.
template <class P>
std::size_t slot_count_of([[maybe_unused]] const P& p) {
  if constexpr (detail::HasSlots<P>::value) {
    return p.slot_count();
  } else {
    return 1;
  }
}
template <class P>
std::size_t slot_of([[maybe_unused]] const P& p, [[maybe_unused]] const typename P::Context& c) {
  if constexpr (detail::HasSlots<P>::value) {
    return p.slot(c);
  } else {
    return 0;
  }
}

}  // namespace hcasim::sync
