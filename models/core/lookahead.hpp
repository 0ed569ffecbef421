#pragma once
// Running ahead of the SystemC kernel (docs/lookahead.md).
//
// Most of a run's wall time used to go into the kernel itself: every model action and every
// host-CPU charge at a new time was one kernel activation (a timed notification, a trip through
// the kernel's queue, a process switch). Yet when nothing else in the simulation is due before a
// time t, a thread about to wait until t, or the calendar about to wake for its next action at
// t, can go on at t at once: no other process could run in between, so none can tell. Model
// time (now_ps()) then runs ahead of the kernel's (sc_time_stamp()). Whatever would let another
// process see the gap first brings the two together: a thread's event notification, wait on an
// event, spawn or stop waits in the kernel until its model time; the calendar defers its
// notifications and replays them when the kernel arrives at the model time they were made at.
// The result is the run the kernel alone would make, event for event, except for the order of
// processes due at the same picosecond, which SystemC leaves unspecified (docs/lookahead.md).
//
// "Nothing else due before t" is the kernel's own answer (sc_time_to_pending_activity), bounded
// by the end of the run: lookahead is on only inside Lookahead::run / run_for, which replace
// sc_start. Models call the helpers below instead of sc_core::wait / sc_event::notify /
// sc_spawn / sc_stop (tests/layering/check_kernel_calls.sh keeps it so).
#include <systemc>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "models/core/sim_time.hpp"

namespace hcasim {

class Calendar;

class Lookahead {
 public:
  // ---- running the simulation: sc_start with lookahead on ---------------------------------
  static void run();                                      // until nothing is left to do (or stop)
  static void run_for(const sc_core::sc_time& duration);  // sc_start(duration)
  // Off: every wait goes through the kernel (to check a result, or measure what lookahead saves).
  static void allow(bool on) { allowed_ = on; }
  static bool enabled() { return horizon_ != 0; }

  // ---- threads -----------------------------------------------------------------------------
  // The calling thread's time passes until `t` (>= now_ps()): at once when nothing else is due
  // up to t, else in the kernel.
  static void wait_until(Picos t) {
    if (!advance_ahead(t)) wait_until_full(t);
  }
  static void wait_for(Picos d) { wait_until(now_ps() + d); }
  static void wait_for(const sc_core::sc_time& d) { wait_for(d.value()); }
  // Until `t` or until `e` is notified, whichever first (`e` cannot be notified while nobody
  // else runs, so the run-ahead case is the same as wait_until).
  static void wait_until_or(Picos t, const sc_core::sc_event& e) {
    if (!advance_ahead(t)) wait_until_or_full(t, e);
  }
  static void wait_on(const sc_core::sc_event& e);
  static void wait_on(const sc_core::sc_event_or_list& e);
  // Until `t` or `e` (sc_core::wait(time, event)).
  static void wait_for_or(Picos d, const sc_core::sc_event& e) { wait_until_or(now_ps() + d, e); }
  // The common case of a thread's wait, on its own: the calling thread is ahead already and
  // the kernel has nothing due before `t` (as last asked): its model time moves to `t` and this
  // returns true (what run_ahead_to would do then, without its other cases). Otherwise false,
  // nothing done.
  static bool advance_ahead(Picos t) {
    if (mode_ != Mode::kThread || !next_known_ || t >= next_ || t >= horizon_ ||
        t >= calendar_kept_at_ || owner_ != current_process())
      return false;
    if (t > ModelClock::now) ModelClock::now = t;
    return true;
  }
  // Brings the kernel to the calling thread's model time.
  static void sync();
  // Any form of sc_core::wait, once the kernel is at the thread's model time (for code such as
  // test benches that waits in ways the helpers above do not name).
  template <class... A>
  static void wait(const A&... a) {
    sync();
    sc_core::wait(a...);
    kernel_changed();
  }
  // Ends the run (sc_stop) at model time.
  static void stop();

  // ---- notifications and processes, at model time (any process) ---------------------------
  static void notify(sc_core::sc_event& e);               // immediate
  static void notify_delta(sc_core::sc_event& e);         // next delta cycle (SC_ZERO_TIME)
  static void notify_at(sc_core::sc_event& e, Picos at);  // at model time `at` >= now_ps()
  // (An empty name lets SystemC name it.)
  static void spawn_thread(std::function<void()> body, const std::string& name = {});
  // A method process run each time `trigger` is notified (never on its own): safe at any time.
  static void spawn_method(std::function<void()> body, const std::string& name,
                           const sc_core::sc_event& trigger);

  // ---- the calendar (models/core/action_queue.hpp) -----------------------------------------
  // The calendar a waiting thread may run the steps of (Calendar::run_for_thread).
  static void attach_calendar(Calendar* calendar) { calendar_ = calendar; }
  // Actions strictly before the returned time may run at once (0: none may).
  static Picos calendar_limit();
  // The same for a thread running the calendar's steps before its own wake-up at `t`, once
  // the calendar's wake-up is out of the kernel's queue (and kernel_changed() said so).
  static Picos thread_calendar_limit(Picos t);
  // When the kernel has anything due next (0: something is due now).
  static Picos kernel_due() { return kernel_next(); }
  static void calendar_enter(Picos t);  // model time moves to t
  // A thread is running ahead of the kernel (the calling process: no other can run meanwhile).
  static bool thread_running_ahead() { return mode_ == Mode::kThread; }
  // The calendar keeps its wake-up at `t` out of the kernel while a thread runs ahead
  // (Calendar::arm); kNever once it gave it to the kernel. The thread counts it as due.
  static void calendar_kept(Picos t) { calendar_kept_at_ = t; }
  static Picos calendar_kept_at() { return calendar_kept_at_; }
  static constexpr Picos kNever = std::numeric_limits<Picos>::max();
  static bool calendar_deferred() { return !deferred_.empty(); }
  // Ends a run ahead: model time goes back to the kernel's (or to the model time of the thread
  // that ran the steps). Returns the model time reached.
  static Picos calendar_leave();
  // The kernel has arrived at the model time of the deferred notifications: they happen now.
  static void replay();
  // A thread left model time ahead of the kernel and let another process run: a bug (a raw
  // sc_core::wait in a thread that ran ahead). Throws std::logic_error naming the process.
  static void check_no_thread_ahead();
  // The kernel's queue changed (a notification, a wait, a spawn, another process ran): what
  // is due next must be asked again. Calendar::arm and every helper here call it.
  static void kernel_changed() { next_known_ = false; }

 private:
  enum class Mode : std::uint8_t { kOff, kCalendar, kThread };
  struct Deferred {
    enum class Kind : std::uint8_t { kNow, kDelta, kAt, kSpawn } kind;
    sc_core::sc_event* event;
    Picos at;
    std::function<void()> body;  // kSpawn only
    std::string name;            // kSpawn only
  };
  static bool clear_until(Picos t);
  static void wait_until_full(Picos t);
  static void wait_until_or_full(Picos t, const sc_core::sc_event& e);
  // The calling thread's time moves to `t` without the kernel if it can (true); otherwise the
  // thread is no longer ahead and the caller waits in the kernel.
  static bool run_ahead_to(Picos t);
  // When the kernel has anything due next (0: something is due now), asked once per change.
  static Picos kernel_next();
  static void start(Picos horizon, const sc_core::sc_time* duration);
  static void leave_thread();
  static bool thread_ahead_here();

  static inline bool allowed_ = true;
  static inline Mode mode_ = Mode::kOff;
  static inline Picos horizon_ = 0;  // model time stays strictly below; 0 = lookahead off
  static inline const sc_core::sc_process_b* owner_ = nullptr;  // the thread ahead
  static inline std::vector<Deferred> deferred_;
  static inline Calendar* calendar_ = nullptr;
  static inline Picos calendar_kept_at_ = kNever;  // the calendar's kept wake-up (kNever: none)
  // A thread lends itself to the calendar (run_ahead_to): its mode and model time to go back to.
  static inline bool lent_ = false;
  static inline Mode lent_mode_ = Mode::kOff;
  static inline Picos lent_now_ = 0;
  static inline bool next_known_ = false;
  static inline Picos next_ = 0;
};

}  // namespace hcasim
