#pragma once
// Timed actions of the models, on one calendar for the whole simulation.
//
// Models compute when each stage finishes (busy-until arithmetic) and schedule only the moments
// where something must happen; nothing wakes per clock cycle and idle models cost nothing.
// All models share one Calendar: callbacks in (time, sequence) order (time_bucket_queue.hpp)
// driven by a single sc_event and a single method process, so SystemC's own timed-event queue
// holds one entry instead of one per module (profiling showed the kernel's queue dominating
// otherwise). Actions at the same time run in the order they were scheduled, so runs are
// deterministic. Scheduling never allocates once the queue has grown to its working size.
#include <systemc>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "models/core/sim_time.hpp"
#include "models/core/time_bucket_queue.hpp"

namespace hcasim {

class Calendar {
 public:
  using Fn = void (*)(void* self, std::uint64_t arg);

  // The simulation's calendar, created on first use (during elaboration).
  static Calendar& instance();

  void schedule(Picos t, Fn fn, void* self, std::uint64_t arg, std::uint64_t* counter) {
    // The new action is the earliest one: wake for it (run_due arms once it is done).
    if (queue_.emplace(t, fn, self, arg, counter) && !running_) arm();
  }
  std::uint64_t executed() const { return executed_; }
  std::size_t pending() const { return queue_.size(); }

  // A thread about to wait until `t` finds the calendar's next wake-up in the way: instead of
  // two process switches (the thread out and the calendar in, then back), the thread runs the
  // calendar's time steps before `t` itself, exactly as the calendar would have run them ahead
  // once the kernel woke it (lookahead.hpp). True if it ran any; the thread's model time is
  // unchanged. Only Lookahead calls it.
  bool run_for_thread(Picos t);

  // Gives a kept wake-up to the kernel: the thread running ahead hands control back. (A thread
  // running ahead of the kernel, lookahead.hpp, that schedules an action does not wake the
  // calendar through the kernel at once: nothing but that thread runs until it hands control
  // back, and it runs the calendar's steps itself when its own waits reach them. The wake-up is
  // kept meanwhile: Lookahead::calendar_kept_at.)
  void give_kept_wake();

  // Called whenever the calendar runs empty: models that defer bookkeeping (lazily absorbed
  // credit returns) settle it then, so a run never ends with state still in flight.
  void on_idle(Fn fn, void* self) { idle_hooks_.push_back(Hook{fn, self}); }

 private:
  Calendar();
  struct Hook {
    Fn fn;
    void* self;
  };
  std::vector<Hook> idle_hooks_;
  struct Action {
    Fn fn;
    void* self;
    std::uint64_t arg;
    std::uint64_t* counter;
  };
  void run_due();
  // Runs the actions due at or before `now` (model time).
  void run_at(Picos now);
  // Runs the next time steps at once while each is before `limit`, until one leaves
  // notifications for the kernel. Returns the last step's time (`from` if none ran).
  Picos run_ahead(Picos from, Picos limit, bool& ran);
  void arm();
  // Wakes the calendar at model time `t` (>= the kernel's), remembering when it will wake.
  void wake_at(Picos t);

  TimeBucketQueue<Action> queue_;
  std::uint64_t executed_ = 0;
  bool running_ = false;         // inside run_due: it arms the event when done
  bool replay_pending_ = false;  // the next wake-up first replays a run ahead's notifications
  bool armed_ = false;           // event_ is notified (for armed_at_)
  Picos armed_at_ = 0;           // when the kernel wakes the calendar next (when armed_)
  sc_core::sc_event event_;
};

namespace detail {
template <class Method>
struct ActionMethod;
template <class C, class A>
struct ActionMethod<void (C::*)(A)> {
  using Arg = std::remove_cv_t<std::remove_reference_t<A>>;
};
template <class C>
struct ActionMethod<void (C::*)()> {
  using Arg = void;
};
}  // namespace detail

// The argument type of an action method (void for a method without one).
template <auto Method>
using ActionArg = typename detail::ActionMethod<decltype(Method)>::Arg;

// A model's handle on the calendar: schedules its actions and counts how many ran.
class ActionQueue {
 public:
  using Fn = Calendar::Fn;

  ActionQueue() : calendar_(Calendar::instance()) {}

  void schedule_at(Picos t, Fn fn, void* self, std::uint64_t arg = 0) {
    calendar_.schedule(t, fn, self, arg, &executed_);
  }
  // Member-function convenience: q.at<&Hca::on_doorbell>(t, this, doorbell). The method takes
  // one argument of its own type (a number, a pointer, a small struct: trivially copyable, at
  // most 8 bytes), which the calendar entry carries by value, or none. No casts and no
  // allocation: the argument is copied into the entry's word and back out when the action runs.
  template <auto Method, class C>
  void at(Picos t, C* self, ActionArg<Method> arg) {
    using Arg = ActionArg<Method>;
    static_assert(std::is_trivially_copyable_v<Arg> && sizeof(Arg) <= sizeof(std::uint64_t),
                  "an action's argument must fit the calendar entry's word");
    std::uint64_t word = 0;
    std::memcpy(&word, &arg, sizeof arg);
    schedule_at(
        t,
        [](void* s, std::uint64_t w) {
          Arg a;
          std::memcpy(&a, &w, sizeof a);
          (static_cast<C*>(s)->*Method)(a);
        },
        self, word);
  }
  // An action without an argument (a method taking one gets a value-initialized one).
  template <auto Method, class C>
  void at(Picos t, C* self) {
    if constexpr (std::is_void_v<ActionArg<Method>>) {
      schedule_at(
          t, [](void* s, std::uint64_t) { (static_cast<C*>(s)->*Method)(); }, self, 0);
    } else {
      at<Method>(t, self, ActionArg<Method>{});
    }
  }
  std::uint64_t executed() const { return executed_; }

 private:
  Calendar& calendar_;
  std::uint64_t executed_ = 0;
};

}  // namespace hcasim
