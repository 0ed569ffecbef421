#pragma once
// Simulated time as integer picoseconds (the SystemC time resolution hcasim runs with),
// and clock-cycle helpers: every adapter delay is an integer number of cycles of its clock.
#include <systemc>

#include <cstdint>

namespace hcasim {

using Picos = std::uint64_t;

// Model time. It equals the kernel's (sc_time_stamp) except while one process runs ahead of the
// kernel because nothing else can happen before it catches up (models/core/lookahead.hpp).
struct ModelClock {
  static inline bool ahead = false;  // model time is ahead of the kernel's
  static inline Picos now = 0;       // model time while ahead
};
// The kernel's simulation context. SystemC's own accessor (sc_get_curr_simcontext) creates the
// context on first use, so the compiler keeps it out of line: ten calls per work request cost
// 1-1.5 % of a run. Once any module exists the context does, and this is one load.
[[gnu::always_inline]] inline sc_core::sc_simcontext* simcontext() {
  sc_core::sc_simcontext* c = sc_core::sc_curr_simcontext;
  return __builtin_expect(c != nullptr, 1) ? c : sc_core::sc_get_curr_simcontext();
}
[[gnu::always_inline]] inline Picos kernel_now_ps() { return simcontext()->time_stamp().value(); }
// The running process (sc_get_current_process_b, without the call).
[[gnu::always_inline]] inline sc_core::sc_process_b* current_process() {
  return simcontext()->get_curr_proc_info()->process_handle;
}
[[gnu::always_inline]] inline Picos now_ps() {
  return ModelClock::ahead ? ModelClock::now : kernel_now_ps();
}
// Microseconds (a scenario's unit for durations) to picoseconds, rounded.
inline Picos us_to_ps(double us) { return static_cast<Picos>(us * 1e6 + 0.5); }
inline Picos ns_to_ps(double ns) { return static_cast<Picos>(ns * 1e3 + 0.5); }
// The smallest power of two >= n (ring sizes).
inline std::uint32_t pow2_at_least(std::uint64_t n) {
  std::uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}
// Picoseconds as an sc_time (hcasim runs SystemC at a 1 ps resolution). SystemC's from_value is
// out of line, and every TLM transaction's delay annotation went through it (a call and ~30
// instructions, five times per work request); one resolution unit times p is inline and exact
// while p + 0.5 is exact as a double (below 2^52 ps, 52 days of simulated time).
inline sc_core::sc_time ps(Picos p) {
  static const sc_core::sc_time one = sc_core::sc_time::from_value(1);
  return p < (Picos{1} << 52) ? one * static_cast<double>(p) : sc_core::sc_time::from_value(p);
}

// A clock domain: converts cycle counts to picoseconds and aligns times to edges.
class Clock {
 public:
  explicit Clock(double mhz = 1000.0) : period_ps_(static_cast<Picos>(1e6 / mhz + 0.5)) {}
  Picos period_ps() const { return period_ps_; }
  Picos cycles(std::uint64_t n) const { return n * period_ps_; }
  // The first clock edge at or after t.
  Picos edge_at_or_after(Picos t) const { return (t + period_ps_ - 1) / period_ps_ * period_ps_; }
  // Cycles needed to cover `t` picoseconds (rounded up).
  std::uint64_t cycles_for(Picos t) const { return (t + period_ps_ - 1) / period_ps_; }

 private:
  Picos period_ps_;
};

}  // namespace hcasim
