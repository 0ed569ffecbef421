// The simulation-wide calendar of model actions (see action_queue.hpp).
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include "models/core/action_queue.hpp"

namespace hcasim {

Calendar& Calendar::instance() {
  // One per process, like the SystemC kernel itself (a process elaborates once).
  static Calendar* calendar = new Calendar();
  return *calendar;
}

Calendar::Calendar() : event_("hcasim_calendar_event") {
  heap_.reserve(1024);
  sc_core::sc_spawn_options opts;
  opts.spawn_method();
  opts.set_sensitivity(&event_);
  opts.dont_initialize();
  sc_core::sc_spawn([this] { run_due(); }, "hcasim_calendar", &opts);
}

void Calendar::run_due() {
  const Picos now = now_ps();
  while (!heap_.empty() && heap_.front().t <= now) {
    const Item it = heap_.front();
    pop_front();
    ++executed_;
    ++*it.counter;
    it.fn(it.self, it.arg);
  }
  if (heap_.empty()) {
    for (const Hook& h : idle_hooks_) h.fn(h.self, 0);
  }
  if (!heap_.empty()) arm();
}

void Calendar::arm() {
  const Picos now = now_ps();
  const Picos t = heap_.front().t;
  // notify() keeps the earlier of two pending notifications, which is what we want.
  if (t <= now)
    event_.notify(sc_core::SC_ZERO_TIME);
  else
    event_.notify(ps(t - now));
}

void Calendar::sift_up(std::size_t i) {
  while (i > 0) {
    const std::size_t p = (i - 1) / 2;
    if (!heap_[i].before(heap_[p])) break;
    std::swap(heap_[i], heap_[p]);
    i = p;
  }
}

void Calendar::pop_front() {
  heap_.front() = heap_.back();
  heap_.pop_back();
  std::size_t i = 0;
  const std::size_t n = heap_.size();
  for (;;) {
    const std::size_t l = 2 * i + 1, r = l + 1;
    std::size_t m = i;
    if (l < n && heap_[l].before(heap_[m])) m = l;
    if (r < n && heap_[r].before(heap_[m])) m = r;
    if (m == i) break;
    std::swap(heap_[i], heap_[m]);
    i = m;
  }
}

}  // namespace hcasim
