#pragma once
// Parameters of the simulated host: its processors, the CPU cost of the driver's code paths
// (posting, polling, handling a completion), the shared-memory cost model (cache lines), the
// kernel paths (interrupts, DPCs, wake-ups, the periodic timer tick) and the synchronization the
// driver uses, so CPU time and contention are results of the run (docs/sync.md, calibration "Host
// processors").
#include <cstdint>
#include <string>

#include "models/core/params.hpp"

namespace hcasim {

struct HostParams {
  std::uint32_t cpus;
  double cpu_ghz;
  std::uint32_t memory_mb;
  std::uint32_t post_send_cycles;
  std::uint32_t post_recv_cycles;
  std::uint32_t poll_cycles;
  std::uint32_t completion_cycles;
  std::uint32_t control_cycles;
  std::uint32_t arm_cq_cycles;
  // synchronization and its cost model
  std::string sync;
  std::uint32_t cache_hit_cycles;
  std::uint32_t atomic_cycles;
  double line_transfer_ns;
  double line_transfer_remote_ns;
  std::uint32_t sockets;
  double wakeup_ns;
  double syscall_ns;
  // interrupts
  double interrupt_ns;
  std::uint32_t dpc_cycles;
  std::uint32_t irq_cpu;
  // the host's own noise: the periodic timer interrupt of every CPU
  std::uint32_t tick_hz;
  double tick_ns;
  std::uint32_t context_switch_every_ticks;
  double context_switch_ns;

  template <class V>
  void visit(V& v) {
    v.integer(cpus, "host.cpus", "CPUs", 2, 1, 256, "simulated processors of the host");
    v.real(cpu_ghz, "host.cpu_ghz", "GHz", 2.6, 0.1, 10.0, "clock of each simulated processor");
    v.integer(memory_mb, "host.memory_mb", "MiB", 256, 16, 65536, "simulated host memory");
    v.integer(post_send_cycles, "host.post_send_cycles", "cycles", 120, 0, 1000000,
              "CPU cost of building a send WQE and ringing the doorbell");
    v.integer(post_recv_cycles, "host.post_recv_cycles", "cycles", 60, 0, 1000000,
              "CPU cost of posting one receive WQE");
    v.integer(poll_cycles, "host.poll_cycles", "cycles", 50, 1, 1000000,
              "CPU cost of one poll of a completion queue (one spin-loop iteration)");
    v.integer(completion_cycles, "host.completion_cycles", "cycles", 40, 0, 1000000,
              "CPU cost of handling one polled completion");
    v.integer(control_cycles, "host.control_cycles", "cycles", 2000, 0, 100000000,
              "CPU cost of a control verb at run time (modify / destroy QP, resize / modify "
              "CQ), spent while it holds the driver's resources exclusively");
    v.integer(arm_cq_cycles, "host.arm_cq_cycles", "cycles", 60, 0, 1000000,
              "CPU cost of arming a completion queue's notification (the arm doorbell)");
    v.choice(sync, "host.sync", "algorithm",
             {"algorithm", "algorithm_atomic", "global_lock", "rwlock", "percpu"},
             "what guards the driver's shared resources: algorithm (worker/update guard, "
             "small-lock form), algorithm_atomic (the same, one atomic per enter and exit), "
             "global_lock (one spin lock), rwlock (reader-writer lock) or percpu (per-CPU marks)");
    v.integer(cache_hit_cycles, "host.cache_hit_cycles", "cycles", 4, 0, 10000,
              "load or store of a shared word on a cache line the CPU holds");
    v.integer(atomic_cycles, "host.atomic_cycles", "cycles", 20, 0, 10000,
              "atomic read-modify-write on a cache line the CPU owns");
    v.real(line_transfer_ns, "host.line_transfer_ns", "ns", 50.0, 0.0, 100000.0,
           "moving a cache line to another CPU of the same socket (serialized per line)");
    v.real(line_transfer_remote_ns, "host.line_transfer_remote_ns", "ns", 120.0, 0.0, 100000.0,
           "moving a cache line to a CPU of another socket");
    v.integer(sockets, "host.sockets", "sockets", 1, 1, 16,
              "processor sockets; CPUs are split evenly, in order");
    v.real(wakeup_ns, "host.wakeup_ns", "ns", 1500.0, 0.0, 1e9,
           "latency from waking a blocked thread to its running again (futex / event)");
    v.real(syscall_ns, "host.syscall_ns", "ns", 300.0, 0.0, 1e9,
           "CPU time of the system call that wakes blocked threads (charged to the waker)");
    v.real(interrupt_ns, "host.interrupt_ns", "ns", 1000.0, 0.0, 1e9,
           "interrupt entry and service routine, on the CPU that takes it");
    v.integer(dpc_cycles, "host.dpc_cycles", "cycles", 500, 0, 100000000,
              "dispatch of one deferred procedure call, before its own work");
    v.integer(irq_cpu, "host.irq_cpu", "", 0, 0, 255,
              "CPU that takes the adapter's interrupts (vectors not routed elsewhere)");
    // design decision: the defaults are a Linux kernel built with HZ=250 (the common distro
    // setting) and about 2 us per tick -- interrupt entry and exit, timekeeping, the scheduler
    // tick, RCU and timer softirq work -- the size of the periodic detours OS-noise benchmarks
    // measure on current x86 servers (1-3 us). An idle CPU takes no tick (NO_HZ idle).
    v.integer(tick_hz, "host.tick_hz", "Hz", 250, 0, 100000,
              "periodic timer interrupt of each CPU while it is busy (0: none); phases differ "
              "per CPU and follow scenario.seed");
    v.real(tick_ns, "host.tick_ns", "ns", 2000.0, 0.0, 1e6,
           "CPU time of one timer tick (interrupt entry, handler, exit); shorter than the tick "
           "period (0: no tick)");
    // design decision: off by default (a CPU dedicated to a benchmark seldom has another
    // runnable task); when on, the other task's turn defaults to two context switches of a
    // few us each (cache refill included) around a short kernel worker's slice.
    v.integer(context_switch_every_ticks, "host.context_switch_every_ticks", "ticks", 0, 0,
              1000000000,
              "the odd context switch: on average one timer tick in this many also runs another "
              "task before the preempted thread (which ticks: drawn from scenario.seed; 0: never)");
    v.real(context_switch_ns, "host.context_switch_ns", "ns", 10000.0, 0.0, 1e9,
           "time another task has the CPU at such a tick, both context switches included; with "
           "host.tick_ns shorter than the tick period");
  }
};

}  // namespace hcasim
