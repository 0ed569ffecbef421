#pragma once
// The host's periodic timer interrupt on one CPU (host.tick_hz, host.tick_ns): ticks fall at
// phase + k * period, and each takes the CPU for `cost_ps` as an interrupt. The phase differs
// per CPU and comes from the run's seed (random stream "<cpu name>.tick"), so the tick's
// effect on latency moves with the seed and stays the same for the same seed. Optionally one
// tick in `switch_every` (a draw from stream "<cpu name>.context_switch") also switches to another
// task for `switch_ps` before the preempted thread gets its CPU back: the odd context switch.
#include <cstdint>
#include <string>

#include "models/core/random.hpp"
#include "models/core/sim_time.hpp"

namespace hcasim {

struct TimerTick {
  Picos period_ps = 0;             // 0: no tick
  Picos phase_ps = 0;              // the first tick, in [0, period), whole ns
  Picos cost_ps = 0;               // CPU time of one tick (interrupt entry, handler, exit)
  std::uint32_t switch_every = 0;  // on average one tick in this many switches tasks; 0: never
  Picos switch_ps = 0;             // the other task's turn, both context switches included
  RandomStream switches{0, ""};    // which ticks switch

  bool enabled() const { return period_ps != 0 && cost_ps != 0; }
  // The first tick at or after `t`.
  Picos at_or_after(Picos t) const {
    if (t <= phase_ps) return phase_ps;
    return phase_ps + (t - phase_ps + period_ps - 1) / period_ps * period_ps;
  }

  // Whether the tick being taken also switches to another task (draws once per tick taken).
  bool next_switches() {
    return switch_every != 0 && switch_ps != 0 && switches.below(switch_every) == 0;
  }

  // The tick of CPU `cpu_name` for a run with `seed`; hz or ns of 0 give no tick.
  static TimerTick make(std::uint32_t hz, double ns, std::uint64_t seed,
                        const std::string& cpu_name, std::uint32_t switch_every = 0,
                        double switch_ns = 0.0) {
    TimerTick t;
    if (hz == 0 || ns <= 0.0) return t;
    t.switch_every = switch_every;
    t.switch_ps = static_cast<Picos>(switch_ns * 1000.0 + 0.5);
    t.switches = RandomStream(seed, cpu_name + ".context_switch");
    t.period_ps = static_cast<Picos>(1e12 / hz + 0.5);
    t.cost_ps = static_cast<Picos>(ns * 1000.0 + 0.5);
    // design decision: the phase is a whole number of nanoseconds, so a host whose clock is
    // on the adapter's 1 ns edges stays on them after a tick (as tests rely on).
    t.phase_ps = RandomStream(seed, cpu_name + ".tick").below(t.period_ps / 1000) * 1000;
    return t;
  }
};

}  // namespace hcasim
