// The simulation-wide calendar of model actions (see action_queue.hpp).
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <algorithm>

#include "models/core/action_queue.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {

Calendar& Calendar::instance() {
  // One per process, like the SystemC kernel itself (a process elaborates once).
  static Calendar* calendar = new Calendar();
  return *calendar;
}

Calendar::Calendar() : event_("hcasim_calendar_event") {
  queue_.reserve(1024);
  sc_core::sc_spawn_options opts;
  opts.spawn_method();
  opts.set_sensitivity(&event_);
  opts.dont_initialize();
  sc_core::sc_spawn([this] { run_due(); }, "hcasim_calendar", &opts);
  Lookahead::attach_calendar(this);
}

// Inlined into its two callers: the run-ahead loop calls it for nearly every action, and the
// call cost about as much as the loop itself.
[[gnu::always_inline]] inline void Calendar::run_at(Picos now) {
  bool ran = false;
  while (queue_.front_time() <= now) {  // an empty queue's front time is later than any
    Picos t;
    const Action a = queue_.pop(t);
    ++executed_;
    ++*a.counter;
    a.fn(a.self, a.arg);
    ran = true;
  }
  if (ran && queue_.empty()) {
    for (const Hook& h : idle_hooks_) h.fn(h.self, 0);
  }
}

void Calendar::run_due() {
  armed_ = false;  // this is the wake-up
  Lookahead::check_no_thread_ahead();
  if (replay_pending_) {
    // The kernel reached the model time of a run ahead's notifications: they happen now, and
    // whatever the calendar still has for this time runs in the next delta cycle, after the
    // processes they wake -- where it would have run without lookahead.
    replay_pending_ = false;
    Lookahead::replay();
    if (!queue_.empty()) arm();
    return;
  }
  running_ = true;
  const Picos now = kernel_now_ps();
  run_at(now);
  // Run ahead (lookahead.hpp): actions due before anything else in the simulation run now, at
  // their own model time, one time step after the other, until a step leaves notifications
  // for the kernel or the next action is no longer alone. (An action an idle hook schedules
  // for a time already past runs at the step's time, as in the next delta cycle.)
  bool ahead = false;
  Picos reached = now;
  if (!queue_.empty() && queue_.front_time() > now)
    reached = run_ahead(now, Lookahead::calendar_limit(), ahead);
  running_ = false;
  if (ahead) {
    Lookahead::calendar_leave();
    if (Lookahead::calendar_deferred()) {
      replay_pending_ = true;  // wake at `reached` first of all: nothing else is due before it
      wake_at(reached);
    } else if (!queue_.empty()) {
      arm();
    } else {  // bring the kernel to the model time reached (the end of a busy period)
      wake_at(reached);
    }
    return;
  }
  if (!queue_.empty()) arm();
}

Picos Calendar::run_ahead(Picos t, Picos limit, bool& ran) {
  while (!queue_.empty() && std::max(queue_.front_time(), t) < limit) {
    t = std::max(queue_.front_time(), t);
    Lookahead::calendar_enter(t);
    ran = true;
    run_at(t);
    if (Lookahead::calendar_deferred()) break;
  }
  return t;
}

bool Calendar::run_for_thread(Picos t) {
  const Picos kept = Lookahead::calendar_kept_at();  // kNever: none
  if (running_ || replay_pending_ || !(armed_ || kept != Lookahead::kNever) || queue_.empty())
    return false;
  const Picos from = now_ps();  // the thread's model time
  if (std::max(queue_.front_time(), from) >= t) return false;
  // The calendar's steps may run here only if nothing but the calendar's own wake-up is due
  // before them: ask the kernel without it (and put it back if something else is). A kept
  // wake-up is not in the kernel: nothing to take out.
  const Picos wake = armed_ ? std::min(armed_at_, kept) : kept;
  if (Lookahead::kernel_due() < wake) return false;
  const bool was_armed = armed_;
  const Picos armed_at = armed_at_;
  if (armed_) {
    event_.cancel();
    armed_ = false;
    Lookahead::kernel_changed();  // the calendar's wake-up was just taken out
  }
  const Picos limit = Lookahead::thread_calendar_limit(t);
  if (std::max(queue_.front_time(), from) >= limit) {
    if (was_armed) wake_at(armed_at);
    return false;
  }
  Lookahead::calendar_kept(Lookahead::kNever);  // the steps run now; what is left asks again
  running_ = true;
  bool ran = false;
  const Picos reached = run_ahead(from, limit, ran);
  running_ = false;
  Lookahead::calendar_leave();  // back to the thread's model time
  if (Lookahead::calendar_deferred()) {
    replay_pending_ = true;
    wake_at(reached);
  } else if (!queue_.empty()) {
    arm();
  }
  // design decision: when the queue ran empty the kernel is not woken at `reached` (as the
  // calendar's own run ahead does): the thread goes on past it, which brings the kernel there.
  return ran;
}

void Calendar::arm() {
  // An action scheduled for a time already past (by a thread running ahead, at a later model
  // time than the kernel's) runs when the scheduler's model time comes, as it would without
  // lookahead: at once, after the thread's current step.
  const Picos t = std::max(queue_.front_time(), now_ps());
  if (!Lookahead::thread_running_ahead()) {
    wake_at(t);
    return;
  }
  // Kept until the thread hands control back (each kernel notification and its later removal
  // cost more than the action itself). The kernel's own wake-up, if earlier, already covers it.
  if (armed_ && armed_at_ <= t) return;
  if (t < Lookahead::calendar_kept_at()) Lookahead::calendar_kept(t);
}

void Calendar::give_kept_wake() {
  const Picos kept = Lookahead::calendar_kept_at();
  if (kept == Lookahead::kNever) return;
  Lookahead::calendar_kept(Lookahead::kNever);
  wake_at(kept);
}

void Calendar::wake_at(Picos t) {
  const Picos kernel = kernel_now_ps();
  // notify() keeps the earlier of two pending notifications, which is what we want.
  if (t <= kernel)
    event_.notify(sc_core::SC_ZERO_TIME);
  else
    event_.notify(ps(t - kernel));
  const Picos at = std::max(t, kernel);
  if (!armed_ || at < armed_at_) armed_at_ = at;
  armed_ = true;
  Lookahead::kernel_changed();
}

}  // namespace hcasim
