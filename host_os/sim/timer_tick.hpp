#pragma once
// The host's periodic timer interrupt on one CPU (host.tick_hz, host.tick_ns): ticks fall at
// phase + k * period, and each takes the CPU for `cost_ps` as an interrupt. The phase differs
// per CPU and comes from the run's seed (random stream "<cpu name>.tick"), so the tick's
// effect on latency moves with the seed and stays the same for the same seed.
#include <cstdint>
#include <string>

#include "models/core/random.hpp"
#include "models/core/sim_time.hpp"

namespace hcasim {

struct TimerTick {
  Picos period_ps = 0;  // 0: no tick
  Picos phase_ps = 0;   // the first tick, in [0, period), whole ns
  Picos cost_ps = 0;    // CPU time of one tick (interrupt entry, handler, exit)

  bool enabled() const { return period_ps != 0 && cost_ps != 0; }
  // The first tick at or after `t`.
  Picos at_or_after(Picos t) const {
    if (t <= phase_ps) return phase_ps;
    return phase_ps + (t - phase_ps + period_ps - 1) / period_ps * period_ps;
  }

  // The tick of CPU `cpu_name` for a run with `seed`; hz or ns of 0 give no tick.
  static TimerTick make(std::uint32_t hz, double ns, std::uint64_t seed,
                        const std::string& cpu_name) {
    TimerTick t;
    if (hz == 0 || ns <= 0.0) return t;
    t.period_ps = static_cast<Picos>(1e12 / hz + 0.5);
    t.cost_ps = static_cast<Picos>(ns * 1000.0 + 0.5);
    // design decision: the phase is a whole number of nanoseconds, so a host whose clock is
    // on the adapter's 1 ns edges stays on them after a tick (as tests rely on).
    t.phase_ps = RandomStream(seed, cpu_name + ".tick").below(t.period_ps / 1000) * 1000;
    return t;
  }
};

}  // namespace hcasim
