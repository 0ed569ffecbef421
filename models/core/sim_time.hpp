#pragma once
// Simulated time as integer picoseconds (the SystemC time resolution hcasim runs with),
// and clock-cycle helpers: every adapter delay is an integer number of cycles of its clock.
#include <systemc>

#include <cstdint>
#include <cstring>
#include <type_traits>

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
// Picoseconds as an sc_time (hcasim runs SystemC at its default resolution, 1 ps, which
// Lookahead::run checks: an sc_time's value is its picoseconds). Every TLM transaction's delay
// annotation goes through here, about five times per work request. SystemC makes an sc_time
// from a number either out of line (from_value: a call and ~30 instructions) or through a
// volatile double (operator*=: a store, a reload and two conversions on the caller's critical
// path; perf put a tenth of PcieLink::nb_transport_fw's time there). The value is written
// directly instead: sc_time holds exactly one 64-bit count (asserted).
inline sc_core::sc_time ps(Picos p) {
  static_assert(
      sizeof(sc_core::sc_time) == sizeof(Picos) && std::is_standard_layout_v<sc_core::sc_time>,
      "sc_time is one 64-bit count of resolution units");
  sc_core::sc_time t;
  std::memcpy(static_cast<void*>(&t), &p, sizeof p);
  return t;
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
