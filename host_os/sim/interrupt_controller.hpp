#pragma once
// The host's interrupt controller: message-signalled interrupts from an adapter (through its
// PCIe link, models/interconnect/interrupt_sink.hpp) are routed by vector to a CPU, whose
// kernel context runs the ISR (host.interrupt_ns) and queues the vector's DPC; DPCs run in
// FIFO order before threads on that CPU. Vectors nobody routed go to host.irq_cpu and only
// cost their ISR (counted as unhandled). It also sets up each CPU's periodic timer tick
// (host.tick_hz, host.tick_ns), with a phase per CPU drawn from the run's seed.
#include <cstdint>
#include <vector>

#include "host_os/host_params.hpp"
#include "host_os/sim/sim_cpu.hpp"
#include "models/interconnect/interrupt_sink.hpp"

namespace hcasim {

class InterruptController : public InterruptSink {
 public:
  // `cpus` in host order; applies host.interrupt_ns, host.dpc_cycles and the timer tick
  // (phases from `seed`) to each of them. Throws ConfigError when host.irq_cpu names no CPU or
  // a tick would not end before the next one.
  InterruptController(const std::vector<SimCpu*>& cpus, const HostParams& params,
                      std::uint64_t seed);

  // Routes `vector` to CPU `cpu`: its ISR queues `dpc` there (dpc.fn may be null: ISR only).
  void route(std::uint32_t vector, unsigned cpu, const Dpc& dpc);
  // An MSI landed (called by PcieLink): the routed CPU takes the interrupt now.
  void raise(std::uint32_t vector) override;
  // Delivers an interrupt to `cpu` directly, with the DPC its ISR queues.
  void deliver_interrupt(unsigned cpu, const Dpc& dpc);

  std::uint64_t raised() const { return raised_; }
  std::uint64_t unhandled() const { return unhandled_; }

 private:
  struct Route {
    bool set = false;
    unsigned cpu = 0;
    Dpc dpc;
  };
  std::vector<SimCpu*> cpus_;
  unsigned default_cpu_;
  std::vector<Route> routes_;  // by vector; sized by route() at elaboration
  std::uint64_t raised_ = 0, unhandled_ = 0;
};

}  // namespace hcasim
