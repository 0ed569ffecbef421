#pragma once
// The vocabulary of the completion service (completion_service.hpp): the direction of a work
// queue, the service's sizing and cost figures, its statistics, the outcome of a check from
// interrupt/DPC context, and what a backend -- whatever reaches the completion queues -- must
// offer. SystemC-free, like host_os/sync.
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace hcasim::cq {

// Which list of the service a work queue is monitored in. A CQ entry names its WQ and this
// direction; the same WQ id may be monitored in both lists with different callbacks.
enum class Direction : std::uint8_t {
  outbound,  // the send queue: completions of posted sends, RDMA writes and reads
  inbound,   // the receive queue: completions of received messages
};

constexpr std::string_view to_string(Direction d) {
  return d == Direction::outbound ? "outbound" : "inbound";
}

struct CompletionServiceConfig {
  // CQ ids run from 0 to max_cqs - 1 (an adapter numbers its CQs from a table index); the
  // per-CQ claim words and the deferred set are sized by it at construction.
  std::uint32_t max_cqs = 64;
  // Monitored WQs per list the tables hold before they grow (they grow only inside an update).
  std::uint32_t initial_wqs = 64;
  // design decision: looking a completion's WQ up in its list and calling the owner costs a
  // few cycles of its own (hash, compare, indirect call); the backend charges the poll itself
  // and the callback its own work.
  std::uint64_t lookup_cycles = 8;
};

// A snapshot of the service's counters (observation; consistent only when the service is quiet).
struct CompletionStats {
  std::uint64_t checks = 0;           // check / check_one / try_check calls that got inside
  std::uint64_t completions = 0;      // entries handed to an owner's callback
  std::uint64_t empty_checks = 0;     // checks that reaped nothing
  std::uint64_t claim_misses = 0;     // a CQ visit found the CQ claimed by another checker
  std::uint64_t handovers = 0;        // ... so the holder polled it once more on its behalf
  std::uint64_t dropped = 0;          // entries of a WQ not monitored (reaped, no callback)
  std::uint64_t deferrals = 0;        // try_check found an update pending and deferred
  std::uint64_t retriggers = 0;       // requeue calls for deferred CQs at an update's end
  std::uint64_t budget_requeues = 0;  // try_check used its whole budget and requeued the CQ
  std::uint64_t arms = 0;             // CQ notifications armed
  std::uint64_t missed_events = 0;    // arm reported entries already waiting
  std::uint64_t sleeps = 0;           // arm_and_wait went to sleep
  std::uint64_t wakes = 0;            // ... and woke up
  std::uint64_t notifies = 0;         // notify_completion calls
  std::uint64_t updates = 0;          // completed updates (monitor, stop, CQ set, resize, ...)
};

// What try_check (interrupt/DPC context) did.
struct TryCheckResult {
  enum class Outcome : std::uint8_t {
    checked,    // inside: the CQ was checked (or handed to the checker that held it)
    deferred,   // an update was pending: the update's end requeues exactly this CQ
    destroyed,  // the service was shut down
  };
  Outcome outcome = Outcome::checked;
  unsigned processed = 0;  // entries reaped (delivered or dropped)
};

// A backend B reaches the completion queues for a platform P (C = P::Context):
//
//   using Completion = ...;   // default-constructible, copyable: one CQ entry as the owner sees it
//   unsigned poll(C&, std::uint32_t cq, Completion* out, unsigned max);
//       // Removes up to max entries of CQ `cq`, returns how many; never blocks. The service
//       // never polls one CQ from two contexts at once (it claims the CQ first).
//   bool arm(C&, std::uint32_t cq);
//       // Requests a one-shot notification for the next entry of `cq`. May return true when
//       // entries are already waiting ("report missed events"); may run concurrently with a
//       // poll of the same CQ (it is a doorbell).
//   std::uint32_t wq_of(const Completion&) const;       // the WQ (queue pair number)
//   Direction direction_of(const Completion&) const;    // send (outbound) or receive (inbound)
//   static constexpr bool kReportsMissedEvents = ...;   // optional, default false: arm's true
//       // is reliable, so arm_and_wait polls again only when an arm returned true.
//
// When the CQ's notification fires, the integrator's interrupt/DPC path calls
// notify_completion (wakes arm_and_wait sleepers) and/or try_check for that CQ.
namespace detail {
template <class B, class = void>
struct ReportsMissedEvents : std::false_type {};
template <class B>
struct ReportsMissedEvents<B, std::void_t<decltype(B::kReportsMissedEvents)>>
    : std::bool_constant<B::kReportsMissedEvents> {};
}  // namespace detail

template <class B>
inline constexpr bool reports_missed_events_v = detail::ReportsMissedEvents<B>::value;

}  // namespace hcasim::cq
