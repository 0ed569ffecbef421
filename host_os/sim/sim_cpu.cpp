#include "host_os/sim/sim_cpu.hpp"

namespace hcasim {

SimCpu::SimCpu(std::string name, double ghz, TraceSink* trace)
    : name_(std::move(name)), clock_(ghz * 1000.0) {
  state_.attach_enum(trace, name_ + ".state", {"idle", "running", "spinning"});
}

void SimCpu::run(std::uint64_t n) {
  if (n == 0) return;
  set_state(CpuState::kRunning);
  const Picos t = clock_.cycles(n);
  running_ps_ += t;
  sc_core::wait(ps(t));
}

}  // namespace hcasim
