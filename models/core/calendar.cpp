// The simulation-wide calendar of model actions (see action_queue.hpp).
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <algorithm>
#include <stdexcept>

#include "models/core/action_queue.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {

Calendar& Calendar::instance() {
  // One per process, like the SystemC kernel itself (a process elaborates once).
  static Calendar* calendar = new Calendar();
  return *calendar;
}

Calendar::Calendar() : event_("hcasim_calendar_event") {
  heap_.reserve(1024);
  actions_.reserve(1024);
  free_.reserve(1024);
  sc_core::sc_spawn_options opts;
  opts.spawn_method();
  opts.set_sensitivity(&event_);
  opts.dont_initialize();
  sc_core::sc_spawn([this] { run_due(); }, "hcasim_calendar", &opts);
}

void Calendar::overflow() {
  throw std::logic_error("calendar: more than 2^24 actions pending or 2^40 scheduled in one run");
}

void Calendar::run_due() {
  Lookahead::check_no_thread_ahead();
  if (replay_pending_) {
    // The kernel reached the model time of a run ahead's notifications: they happen now, and
    // whatever the calendar still has for this time runs in the next delta cycle, after the
    // processes they wake -- where it would have run without lookahead.
    replay_pending_ = false;
    Lookahead::replay();
    if (!heap_.empty()) arm();
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
  if (!heap_.empty() && heap_.front().t > now) {
    const Picos limit = Lookahead::calendar_limit();
    Picos t = now;
    while (!heap_.empty() && std::max(heap_.front().t, t) < limit) {
      t = std::max(heap_.front().t, t);
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
    } else if (!heap_.empty()) {
      arm();
    } else {  // bring the kernel to the model time reached (the end of a busy period)
      event_.notify(ps(reached - kernel));
      Lookahead::kernel_changed();
    }
    return;
  }
  if (!heap_.empty()) arm();
}

bool Calendar::run_at(Picos now) {
  bool ran = false;
  while (!heap_.empty() && heap_.front().t <= now) {
    const auto slot = static_cast<std::uint32_t>(heap_.front().order & kSlotMask);
    pop_front();
    const Action a = actions_[slot];
    free_.push_back(slot);
    ++executed_;
    ++*a.counter;
    a.fn(a.self, a.arg);
    ran = true;
  }
  if (ran && heap_.empty()) {
    for (const Hook& h : idle_hooks_) h.fn(h.self, 0);
  }
  return ran;
}

void Calendar::arm() {
  const Picos now = kernel_now_ps();
  // An action scheduled for a time already past (by a thread running ahead, at a later model
  // time than the kernel's) runs when the scheduler's model time comes, as it would without
  // lookahead: at once, after the thread's current step.
  const Picos t = std::max(heap_.front().t, now_ps());
  // notify() keeps the earlier of two pending notifications, which is what we want.
  if (t <= now)
    event_.notify(sc_core::SC_ZERO_TIME);
  else
    event_.notify(ps(t - now));
  Lookahead::kernel_changed();
}

// Both sifts move a hole instead of swapping: each level copies one entry, not three.
void Calendar::sift_up(std::size_t i) {
  const Item item = heap_[i];
  while (i > 0) {
    const std::size_t p = (i - 1) / 2;
    if (!item.before(heap_[p])) break;
    heap_[i] = heap_[p];
    i = p;
  }
  heap_[i] = item;
}

void Calendar::pop_front() {
  const Item last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return;
  std::size_t i = 0;
  for (;;) {
    std::size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && heap_[c + 1].before(heap_[c])) ++c;
    if (!heap_[c].before(last)) break;
    heap_[i] = heap_[c];
    i = c;
  }
  heap_[i] = last;
}

}  // namespace hcasim
