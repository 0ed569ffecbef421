#pragma once
// A simulated processor. Host threads (SystemC threads) run code on it by charging cycles;
// its state (idle / running / spinning) is traced and its busy time accounted, so CPU
// utilization is a result of the run. Spinning on a completion queue costs no simulation
// events: the thread sleeps on the queue's landing event and the spin loop's timing (period,
// empty polls) is computed when it wakes.
#include <systemc>

#include <cstdint>
#include <string>

#include "models/core/sim_time.hpp"
#include "models/core/trace_source.hpp"

namespace hcasim {

enum class CpuState : std::uint8_t { kIdle = 0, kRunning = 1, kSpinning = 2 };

class SimCpu {
 public:
  SimCpu(std::string name, double ghz, TraceSink* trace);

  const std::string& name() const { return name_; }
  const Clock& clock() const { return clock_; }

  // Runs `n` cycles of code on this CPU (call from the thread that owns it).
  void run(std::uint64_t n);
  // Spins in a loop of `period_cycles` per iteration until `ready()` is true; `wake` is notified
  // whenever ready() may have become true. Returns the number of iterations that found nothing.
  template <class Ready>
  std::uint64_t spin_until(const sc_core::sc_event& wake, std::uint64_t period_cycles,
                           Ready ready);

  Picos busy_ps() const { return running_ps_ + spinning_ps_; }
  Picos running_ps() const { return running_ps_; }
  Picos spinning_ps() const { return spinning_ps_; }
  std::uint64_t empty_polls() const { return empty_polls_; }

 private:
  void set_state(CpuState s) { state_.set(static_cast<std::uint64_t>(s)); }

  std::string name_;
  Clock clock_;
  TracedInt state_;
  Picos running_ps_ = 0;
  Picos spinning_ps_ = 0;
  std::uint64_t empty_polls_ = 0;
};

template <class Ready>
std::uint64_t SimCpu::spin_until(const sc_core::sc_event& wake, std::uint64_t period_cycles,
                                 Ready ready) {
  const Picos period = clock_.cycles(period_cycles);
  const Picos start = now_ps();
  set_state(CpuState::kSpinning);
  // Poll i runs over [start + i*period, start + (i+1)*period) and sees what landed before it
  // began. Sleep until something lands, then finish the iteration that first sees it.
  std::uint64_t misses = 0;
  for (;;) {
    const Picos now = now_ps();
    const std::uint64_t begun = (now - start + period - 1) / period;  // polls begun by now
    const Picos next_poll = start + begun * period;
    if (ready() && now >= start) {
      misses = begun;
      sc_core::wait(ps(next_poll + period - now));
      break;
    }
    sc_core::wait(wake);
  }
  spinning_ps_ += now_ps() - start;
  empty_polls_ += misses;
  set_state(CpuState::kRunning);
  return misses;
}

}  // namespace hcasim
