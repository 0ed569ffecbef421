#pragma once
// A module's own calendar of timed actions, driven by one sc_event and one SC_METHOD.
// Models compute when each stage finishes (busy-until arithmetic) and schedule only the moments
// where something must happen; nothing wakes per clock cycle and idle models cost nothing.
// Actions at the same time run in the order they were scheduled (sequence numbers), so runs are
// deterministic. Scheduling never allocates once the heap has grown to its working size.
#include <systemc>

#include <cstdint>
#include <vector>

#include "models/core/sim_time.hpp"

namespace hcasim {

class ActionQueue {
 public:
  using Fn = void (*)(void* self, std::uint64_t arg);

  // `owner` must create an SC_METHOD that calls run_due(), sensitive to event(), dont_initialize.
  ActionQueue() = default;

  sc_core::sc_event& event() { return event_; }

  void schedule_at(Picos t, Fn fn, void* self, std::uint64_t arg = 0) {
    heap_.push_back(Item{t, seq_++, fn, self, arg});
    sift_up(heap_.size() - 1);
    if (heap_.front().seq == seq_ - 1) arm();  // the new item is the earliest one
  }

  // Member-function convenience: q.at<&Hca::on_doorbell>(t, this, qpn).
  template <auto Method, class C>
  void at(Picos t, C* self, std::uint64_t arg = 0) {
    schedule_at(
        t, [](void* s, std::uint64_t a) { (static_cast<C*>(s)->*Method)(a); }, self, arg);
  }

  // Runs every action due now (including ones they schedule for now), then re-arms.
  void run_due() {
    const Picos now = now_ps();
    while (!heap_.empty() && heap_.front().t <= now) {
      Item it = heap_.front();
      pop_front();
      ++executed_;
      it.fn(it.self, it.arg);
    }
    if (!heap_.empty()) arm();
  }

  bool empty() const { return heap_.empty(); }
  std::uint64_t executed() const { return executed_; }

 private:
  struct Item {
    Picos t;
    std::uint64_t seq;
    Fn fn;
    void* self;
    std::uint64_t arg;
    bool before(const Item& o) const { return t != o.t ? t < o.t : seq < o.seq; }
  };

  void arm() {
    const Picos now = now_ps();
    const Picos t = heap_.front().t;
    // notify() keeps the earlier of two pending notifications, which is what we want.
    if (t <= now)
      event_.notify(sc_core::SC_ZERO_TIME);
    else
      event_.notify(ps(t - now));
  }
  void sift_up(std::size_t i) {
    while (i > 0) {
      std::size_t p = (i - 1) / 2;
      if (!heap_[i].before(heap_[p])) break;
      std::swap(heap_[i], heap_[p]);
      i = p;
    }
  }
  void pop_front() {
    heap_.front() = heap_.back();
    heap_.pop_back();
    std::size_t i = 0;
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < n && heap_[l].before(heap_[m])) m = l;
      if (r < n && heap_[r].before(heap_[m])) m = r;
      if (m == i) break;
      std::swap(heap_[i], heap_[m]);
      i = m;
    }
  }

  std::vector<Item> heap_;
  std::uint64_t seq_ = 0;
  std::uint64_t executed_ = 0;
  sc_core::sc_event event_;
};

}  // namespace hcasim
