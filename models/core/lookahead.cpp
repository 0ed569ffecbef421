// Running ahead of the SystemC kernel (see lookahead.hpp).
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "models/core/lookahead.hpp"

#include "models/core/action_queue.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

namespace hcasim {

void Lookahead::start(Picos horizon, const sc_core::sc_time* duration) {
  check_no_thread_ahead();
  // ps() writes an sc_time's count as picoseconds (sim_time.hpp): SystemC's time resolution
  // must be its default, 1 ps. (Making this 1 ps time also fixes the resolution from here on.)
  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS))
    throw std::logic_error("hcasim needs SystemC's time resolution at 1 ps (its default)");
  horizon_ = allowed_ ? horizon : 0;
  kernel_changed();
  try {
    if (duration)
      sc_core::sc_start(*duration);
    else
      sc_core::sc_start();
  } catch (...) {
    horizon_ = 0;
    mode_ = Mode::kOff;
    lent_ = false;
    ModelClock::ahead = false;
    throw;
  }
  horizon_ = 0;
  check_no_thread_ahead();
}

void Lookahead::run() { start(std::numeric_limits<Picos>::max(), nullptr); }

void Lookahead::run_for(const sc_core::sc_time& duration) {
  const Picos now = kernel_now_ps();
  const Picos d = duration.value();
  // design decision: the kernel processes what is due at exactly now + duration; model time
  // stays strictly below it, so whatever is due then happens in the kernel, as without
  // lookahead.
  start(d > std::numeric_limits<Picos>::max() - now ? std::numeric_limits<Picos>::max() : now + d,
        &duration);
}

Picos Lookahead::kernel_next() {
  if (!next_known_) {
    sc_core::sc_simcontext* simc = simcontext();
    sc_core::sc_time next;
    if (sc_core::sc_pending_activity_at_current_time(simc))
      next_ = 0;
    else if (simc->next_time(next))
      next_ = next.value();
    else
      next_ = std::numeric_limits<Picos>::max();
    next_known_ = true;
  }
  return next_;
}

bool Lookahead::clear_until(Picos t) {
  if (t >= horizon_) return false;  // also false when lookahead is off (horizon 0)
  // The calendar's wake-up kept for the thread ahead is due as surely as the kernel's queue.
  if (t >= calendar_kept_at_) return false;
  return t < kernel_next();
}

bool Lookahead::thread_ahead_here() {
  if (mode_ != Mode::kThread) return false;
  if (owner_ != current_process()) check_no_thread_ahead();  // throws
  return true;
}

void Lookahead::leave_thread() {
  mode_ = Mode::kOff;
  ModelClock::ahead = false;
  owner_ = nullptr;
  // The thread hands control back to the kernel: the calendar's kept wake-up goes there too.
  if (calendar_) calendar_->give_kept_wake();
}

void Lookahead::check_no_thread_ahead() {
  if (mode_ != Mode::kThread) return;
  const std::string who = owner_ ? owner_->name() : "?";
  leave_thread();
  throw std::logic_error("lookahead: thread " + who +
                         " ran ahead of the kernel and then let another process run without "
                         "Lookahead::sync (a raw sc_core::wait or a thread that ended ahead)");
}

bool Lookahead::run_ahead_to(Picos t) {
  if (simcontext()->get_curr_proc_info()->kind != sc_core::SC_THREAD_PROC_)
    throw std::logic_error("lookahead: a wait outside a thread process");
  const bool ahead = thread_ahead_here();
  if (t <= (ahead ? ModelClock::now : kernel_now_ps())) return true;
  bool clear = clear_until(t);
  if (!clear && calendar_ && t < horizon_) {
    // Only the calendar may be in the way: its steps before t run here, as it would have run
    // them ahead once the kernel woke it, without switching to it and back.
    lent_ = true;
    lent_mode_ = mode_;
    lent_now_ = ahead ? ModelClock::now : kernel_now_ps();
    const bool ran = calendar_->run_for_thread(t);
    lent_ = false;
    clear = ran && clear_until(t);
  }
  if (clear) {  // nobody else runs before t (so no event can be notified meanwhile)
    mode_ = Mode::kThread;
    owner_ = current_process();
    ModelClock::now = t;
    ModelClock::ahead = true;
    return true;
  }
  if (ahead) leave_thread();
  return false;
}

void Lookahead::wait_until_full(Picos t) {
  if (run_ahead_to(t)) return;
  sc_core::wait(ps(t - kernel_now_ps()));
  kernel_changed();
}

void Lookahead::wait_until_or_full(Picos t, const sc_core::sc_event& e) {
  if (run_ahead_to(t)) return;
  sc_core::wait(ps(t - kernel_now_ps()), e);
  kernel_changed();
}

void Lookahead::sync() {
  if (!thread_ahead_here()) return;
  const Picos t = ModelClock::now;
  leave_thread();
  sc_core::wait(ps(t - kernel_now_ps()));
  kernel_changed();
}

void Lookahead::wait_on(const sc_core::sc_event& e) {
  sync();
  sc_core::wait(e);
  kernel_changed();
}

void Lookahead::wait_on(const sc_core::sc_event_or_list& e) {
  sync();
  sc_core::wait(e);
  kernel_changed();
}

void Lookahead::stop() {
  sync();
  sc_core::sc_stop();
}

void Lookahead::notify(sc_core::sc_event& e) {
  if (mode_ == Mode::kCalendar) {
    deferred_.push_back(Deferred{Deferred::Kind::kNow, &e, 0, {}, {}});
    return;
  }
  sync();
  e.notify();
  kernel_changed();
}

void Lookahead::notify_delta(sc_core::sc_event& e) {
  if (mode_ == Mode::kCalendar) {
    deferred_.push_back(Deferred{Deferred::Kind::kDelta, &e, 0, {}, {}});
    return;
  }
  sync();
  e.notify(sc_core::SC_ZERO_TIME);
  kernel_changed();
}

void Lookahead::notify_at(sc_core::sc_event& e, Picos at) {
  if (mode_ == Mode::kCalendar) {
    deferred_.push_back(Deferred{Deferred::Kind::kAt, &e, at, {}, {}});
    return;
  }
  sync();
  const Picos now = kernel_now_ps();
  e.notify(at > now ? ps(at - now) : sc_core::SC_ZERO_TIME);
  kernel_changed();
}

void Lookahead::spawn_thread(std::function<void()> body, const std::string& name) {
  // A thread that ends ahead of the kernel brings it to its model time first.
  body = [inner = std::move(body)] {
    inner();
    sync();
  };
  if (mode_ == Mode::kCalendar) {
    deferred_.push_back(Deferred{Deferred::Kind::kSpawn, nullptr, 0, std::move(body), name});
    return;
  }
  sync();
  if (name.empty())
    sc_core::sc_spawn(std::move(body));
  else
    sc_core::sc_spawn(std::move(body), name.c_str());
  kernel_changed();
}

void Lookahead::spawn_method(std::function<void()> body, const std::string& name,
                             const sc_core::sc_event& trigger) {
  sc_core::sc_spawn_options opts;
  opts.spawn_method();
  opts.dont_initialize();
  opts.set_sensitivity(&trigger);
  sc_core::sc_spawn(std::move(body), name.c_str(), &opts);
  kernel_changed();
}

Picos Lookahead::calendar_limit() {
  if (horizon_ == 0 || mode_ != Mode::kOff) return 0;
  kernel_changed();  // other processes ran since the calendar last looked
  return std::min(horizon_, kernel_next());
}

void Lookahead::calendar_enter(Picos t) {
  mode_ = Mode::kCalendar;
  ModelClock::now = t;
  ModelClock::ahead = true;
}

Picos Lookahead::thread_calendar_limit(Picos t) { return std::min({t, horizon_, kernel_next()}); }

Picos Lookahead::calendar_leave() {
  const Picos t = ModelClock::now;
  if (lent_) {  // back to the thread that ran the steps, at its own model time
    mode_ = lent_mode_;
    ModelClock::now = lent_now_;
    ModelClock::ahead = lent_mode_ == Mode::kThread;
    return t;
  }
  mode_ = Mode::kOff;
  ModelClock::ahead = false;
  return t;
}

void Lookahead::replay() {
  const Picos now = kernel_now_ps();
  for (Deferred& d : deferred_) {
    switch (d.kind) {
      case Deferred::Kind::kNow:
        d.event->notify();
        break;
      case Deferred::Kind::kDelta:
        d.event->notify(sc_core::SC_ZERO_TIME);
        break;
      case Deferred::Kind::kAt:
        d.event->notify(d.at > now ? ps(d.at - now) : sc_core::SC_ZERO_TIME);
        break;
      case Deferred::Kind::kSpawn:
        if (d.name.empty())
          sc_core::sc_spawn(std::move(d.body));
        else
          sc_core::sc_spawn(std::move(d.body), d.name.c_str());
        break;
    }
  }
  deferred_.clear();
  kernel_changed();
}

}  // namespace hcasim
