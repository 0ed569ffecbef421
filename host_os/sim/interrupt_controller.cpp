// Routing of interrupt vectors to CPUs (see interrupt_controller.hpp).
#include "host_os/sim/interrupt_controller.hpp"

#include <cstdio>
#include <string>

#include "models/core/config_error.hpp"

namespace hcasim {

InterruptController::InterruptController(const std::vector<SimCpu*>& cpus, const HostParams& params,
                                         std::uint64_t seed)
    : cpus_(cpus), default_cpu_(params.irq_cpu) {
  if (default_cpu_ >= cpus_.size())
    throw ConfigError("key 'host.irq_cpu': " + std::to_string(default_cpu_) +
                      " names no CPU (host.cpus = " + std::to_string(cpus_.size()) + ")");
  KernelCosts costs;
  costs.isr_ps = static_cast<Picos>(params.interrupt_ns * 1000.0 + 0.5);
  costs.dpc_cycles = params.dpc_cycles;
  const double switch_ns = params.context_switch_every_ticks ? params.context_switch_ns : 0.0;
  if (params.tick_hz && (params.tick_ns + switch_ns) * params.tick_hz >= 1e9) {
    char msg[240];
    std::snprintf(msg, sizeof msg,
                  "key 'host.tick_ns': %.10g ns%s is not shorter than the tick period of "
                  "host.tick_hz = %u (%.10g ns); allowed: 0 .. below the period",
                  params.tick_ns + switch_ns, switch_ns ? " (with host.context_switch_ns)" : "",
                  params.tick_hz, 1e9 / params.tick_hz);
    throw ConfigError(msg);
  }
  for (SimCpu* cpu : cpus_) {
    cpu->set_kernel_costs(costs);
    cpu->set_timer_tick(TimerTick::make(params.tick_hz, params.tick_ns, seed, cpu->name(),
                                        params.context_switch_every_ticks,
                                        params.context_switch_ns));
  }
}

void InterruptController::route(std::uint32_t vector, unsigned cpu, const Dpc& dpc) {
  if (cpu >= cpus_.size())
    throw ConfigError("interrupt vector " + std::to_string(vector) + " routed to CPU " +
                      std::to_string(cpu) + ", but the host has " + std::to_string(cpus_.size()));
  if (vector >= routes_.size()) routes_.resize(vector + 1);
  routes_[vector] = Route{true, cpu, dpc};
}

void InterruptController::raise(std::uint32_t vector) {
  ++raised_;
  if (vector < routes_.size() && routes_[vector].set) {
    const Route& r = routes_[vector];
    cpus_[r.cpu]->interrupt(r.dpc);
    return;
  }
  ++unhandled_;
  cpus_[default_cpu_]->interrupt(Dpc{});
}

void InterruptController::deliver_interrupt(unsigned cpu, const Dpc& dpc) {
  ++raised_;
  cpus_.at(cpu)->interrupt(dpc);
}

}  // namespace hcasim
