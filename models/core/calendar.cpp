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
}

void Calendar::run_due() {
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
  if (!queue_.empty() && queue_.front_time() > now) {
    const Picos limit = Lookahead::calendar_limit();
    Picos t = now;
    while (!queue_.empty() && std::max(queue_.front_time(), t) < limit) {
      t = std::max(queue_.front_time(), t);
      Lookahead::calendar_enter(t);
      ahead = true;
      run_at(t);
      if (Lookahead::calendar_deferred()) break;
    }
  }
  running_ = false;
  if (ahead) {
    const Picos reached = Lookahead::calendar_leave();
    const Picos kernel = kernel_now_ps();
    if (Lookahead::calendar_deferred()) {
      replay_pending_ = true;  // wake at `reached` first of all: nothing else is due before it
      event_.notify(ps(reached - kernel));
      Lookahead::kernel_changed();
    } else if (!queue_.empty()) {
      arm();
    } else {  // bring the kernel to the model time reached (the end of a busy period)
      event_.notify(ps(reached - kernel));
      Lookahead::kernel_changed();
    }
    return;
  }
  if (!queue_.empty()) arm();
}

void Calendar::run_at(Picos now) {
  bool ran = false;
  while (!queue_.empty() && queue_.front_time() <= now) {
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

void Calendar::arm() {
  const Picos now = kernel_now_ps();
  // An action scheduled for a time already past (by a thread running ahead, at a later model
  // time than the kernel's) runs when the scheduler's model time comes, as it would without
  // lookahead: at once, after the thread's current step.
  const Picos t = std::max(queue_.front_time(), now_ps());
  // notify() keeps the earlier of two pending notifications, which is what we want.
  if (t <= now)
    event_.notify(sc_core::SC_ZERO_TIME);
  else
    event_.notify(ps(t - now));
  Lookahead::kernel_changed();
}

}  // namespace hcasim
