#pragma once
// A simulated host thread bound to one CPU. The code it runs is a SystemC thread (the owner
// spawns it); this object is its identity for the CPU (which takes threads in turn), for the
// synchronization platform (its Context), and for the trace: its state -- running, ready,
// blocked or spinning -- is a signal of its own, next to its CPU's state.
#include <systemc>

#include <cstdint>
#include <string>

#include "host_os/sim/sim_cpu.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/trace_source.hpp"

namespace hcasim {

// Values are stable (trace labels in this order).
enum class ThreadState : std::uint8_t {
  kIdle = 0,      // not started, or finished
  kRunning = 1,   // has its CPU and runs code
  kReady = 2,     // runnable, waiting for its CPU (another thread, an ISR or a DPC has it)
  kBlocked = 3,   // sleeping on an event or a timer
  kSpinning = 4,  // has its CPU and spins
};

class SimThread {
 public:
  SimThread(std::string name, SimCpu& cpu, TraceSink* trace);
  SimThread(const SimThread&) = delete;
  SimThread& operator=(const SimThread&) = delete;

  const std::string& name() const { return name_; }
  SimCpu& cpu() const { return cpu_; }
  SimContext& context() { return context_; }
  ThreadState state() const { return static_cast<ThreadState>(state_.get()); }

  // Call first from the SystemC thread that plays this thread: takes the CPU.
  void start();
  // The thread ends: gives its CPU to the next ready thread.
  void finish();
  // Sleeps for `d` (a timer): the CPU is free meanwhile.
  void sleep_for(Picos d);

  // Used by SimCpu and SimContext.
  void set_state(ThreadState s) { state_.set(static_cast<std::uint64_t>(s)); }
  sc_core::sc_event& dispatch_event() { return dispatch_; }

 private:
  std::string name_;
  SimCpu& cpu_;
  SimContext context_;
  TracedInt state_;
  sc_core::sc_event dispatch_;
};

}  // namespace hcasim
