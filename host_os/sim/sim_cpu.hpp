#pragma once
// A simulated processor. Host threads (SystemC threads) run code on it by charging cycles;
// its state (idle / running / spinning / blocked / interrupt / dpc) is traced and its busy time
// accounted, so CPU utilization is a result of the run. Spinning on a completion queue costs no
// simulation events: the thread sleeps on the queue's landing event and the spin loop's timing
// (period, empty polls) is computed when it wakes.
//
// Interrupts and DPCs: each CPU has a kernel context (one SystemC thread per CPU, asleep while
// there is nothing to do). An interrupt runs its ISR at once (host.interrupt_ns), preempting
// the thread's code; the ISR queues a deferred procedure call, and queued DPCs run in FIFO
// order before the thread gets the CPU back. A thread's run() that was preempted finishes later
// by exactly the time stolen. While the thread holds a spin lock (raised IRQL, as Windows'
// KeAcquireSpinLock does) ISRs still run but DPCs wait until it releases its last one.
//
// The timer tick (host.tick_hz, timer_tick.hpp) is an interrupt of its own cost that takes the
// CPU at its tick times while a thread occupies it (runs or spins). It is simulated lazily: a
// run of known length schedules a wake-up only if a tick falls inside it, a spin schedules the
// next tick while it lasts; an idle or blocked CPU schedules nothing (as Linux's NO_HZ idle),
// so idle simulated time costs no events and a finished run ends as before. A tick may also
// switch to another task for a while (state other_task; the thread is ready meanwhile).
#include <systemc>

#include <cassert>
#include <cstdint>
#include <string>
#include <vector>

#include "host_os/sim/timer_tick.hpp"
#include "models/core/lookahead.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/stats.hpp"
#include "models/core/trace_source.hpp"

namespace hcasim {

// Values are stable (trace labels in this order): new states are only ever appended.
enum class CpuState : std::uint8_t {
  kIdle = 0,       // no thread wants the CPU
  kRunning = 1,    // a thread runs code (or stalls on memory)
  kSpinning = 2,   // a thread spins (on a lock, or polling a queue)
  kBlocked = 3,    // its thread sleeps (waits for an event); the CPU idles
  kInterrupt = 4,  // an interrupt service routine runs
  kDpc = 5,        // a deferred procedure call runs
  kOtherTask = 6,  // another task has the CPU (a context switch at a timer tick)
};

class SimCpu;
class SimThread;

// A deferred procedure call: `fn(self, arg, kernel)` runs in the CPU's kernel context. It may
// charge time through `kernel` (SimContext::run, or SimPlatform calls), but never block.
class SimContext;
struct Dpc {
  using Fn = void (*)(void* self, std::uint64_t arg, SimContext& kernel);
  Fn fn = nullptr;
  void* self = nullptr;
  std::uint64_t arg = 0;
};

// CPU cost of the kernel paths of a CPU (HostParams: host.interrupt_ns, host.dpc_cycles).
struct KernelCosts {
  Picos isr_ps = 1'000'000;      // interrupt entry + ISR
  std::uint64_t dpc_cycles = 0;  // dispatch of one DPC, on top of what the DPC itself charges
};

// Who executes: a thread on its CPU, or that CPU's kernel (ISR/DPC) context. The simulated
// synchronization platform's Context: every modelled access is charged to it.
class SimContext {
 public:
  // `thread` may be null: the calling SystemC thread is the CPU's only, anonymous thread.
  explicit SimContext(SimCpu& cpu, SimThread* thread = nullptr, bool kernel = false)
      : cpu_(&cpu), thread_(thread), kernel_(kernel) {}

  SimCpu& cpu() const { return *cpu_; }
  SimThread* thread() const { return thread_; }
  bool in_kernel() const { return kernel_; }

  // Runs `cycles` of code (preemptible by interrupts in thread context).
  void run(std::uint64_t cycles);
  // Occupies the CPU for `d` (a memory stall, a system call): running.
  void busy(Picos d);
  // Spins until `e` is notified: the CPU is charged, the trace shows spinning.
  void spin_on(const sc_core::sc_event& e);
  // Spins for `d` (a pause loop).
  void spin_for(Picos d);
  // Sleeping: begin_block() gives up the CPU (state blocked), the caller then waits on its
  // events, and end_block() takes the CPU back after the wake-up latency `wake`.
  void begin_block();
  void end_block(Picos wake);

 private:
  SimCpu* cpu_;
  SimThread* thread_;
  bool kernel_;
  Picos block_start_ = 0;   // when the current sleep began
  Picos block_stolen_ = 0;  // the CPU's kernel time then
};

class SimCpu {
 public:
  SimCpu(std::string name, double ghz, TraceSink* trace);
  SimCpu(const SimCpu&) = delete;
  SimCpu& operator=(const SimCpu&) = delete;

  const std::string& name() const { return name_; }
  const Clock& clock() const { return clock_; }
  // Position among the host's CPUs (the cache model's CPU number); set by whoever owns them.
  unsigned index() const { return index_; }
  void set_index(unsigned i) { index_ = i; }
  void set_kernel_costs(const KernelCosts& k) { costs_ = k; }
  const KernelCosts& kernel_costs() const { return costs_; }
  // The periodic timer interrupt (default: none). Set before the CPU's first tick time.
  void set_timer_tick(const TimerTick& t) {
    tick_ = t;
    tick_from_ = ~Picos{0};  // forget arm_tick's lookup
    forget_tick_quiet();
  }
  const TimerTick& timer_tick() const { return tick_; }

  // ---- thread side (call from the SystemC thread that runs on this CPU) -------------------
  // Runs `n` cycles of code on this CPU. Preemptible: an interrupt meanwhile delays the end by
  // the ISR and DPC time.
  void run(std::uint64_t n);
  // Spins in a loop of `period_cycles` per iteration until `ready()` is true; `wake` is notified
  // whenever ready() may have become true. Returns the number of iterations that found nothing.
  template <class Ready>
  std::uint64_t spin_until(const sc_core::sc_event& wake, std::uint64_t period_cycles, Ready ready);

  // ---- kernel side ---------------------------------------------------------------------------
  // An interrupt arrives now: the ISR runs (preempting the thread), then queues `dpc` (if it
  // has a function). Callable from any process or method.
  void interrupt(const Dpc& dpc);
  // Queues a DPC without an interrupt (from an ISR, a DPC or a thread).
  void queue_dpc(const Dpc& dpc);

  // ---- accounting ----------------------------------------------------------------------------
  Picos busy_ps() const {
    return running_ps_ + spinning_ps_ + interrupt_ps_ + dpc_ps_ + other_task_ps_;
  }
  Picos running_ps() const { return running_ps_; }
  Picos spinning_ps() const { return spinning_ps_; }
  Picos interrupt_ps() const { return interrupt_ps_; }
  Picos dpc_ps() const { return dpc_ps_; }
  Picos blocked_ps() const { return blocked_ps_; }
  std::uint64_t empty_polls() const { return empty_polls_; }
  std::uint64_t interrupts() const { return interrupts_; }  // device interrupts (not ticks)
  std::uint64_t ticks() const { return ticks_; }            // timer ticks taken
  Picos tick_ps() const { return tick_ps_; }  // time ticks took (part of interrupt_ps())
  std::uint64_t context_switches() const { return context_switches_; }  // ticks that switched tasks
  Picos other_task_ps() const { return other_task_ps_; }
  std::uint64_t dpcs() const { return dpcs_run_; }
  CpuState state() const { return static_cast<CpuState>(state_.get()); }

  // ---- used by SimContext, SimThread and SimPlatform -----------------------------------------
  // Occupies the CPU for `d` in state `s` (running or spinning). Thread context: preemptible.
  void occupy(Picos d, CpuState s, bool kernel) {
    // The common case, a dozen per posted work request, on a short path: a thread's charge
    // in the state it already shows, with the CPU to itself, no timer tick to schedule and
    // nothing else due before it ends (its thread runs ahead: lookahead.hpp). It does what
    // occupy_full() would do then; anything else takes that.
    // (A thread that owns the CPU shows "running" whenever the CPU's thread side does and no
    // kernel work is pending: set_thread_state() would set nothing; asserted.)
    if (!kernel && !kernel_busy_ && s == thread_state_ && s == CpuState::kRunning && d != 0 &&
        state_.get() == static_cast<std::uint64_t>(s)) {
      assert(owner_shows_running());
      const Picos t0 = now_ps();
      if (t0 >= tick_quiet_from_ && t0 + d <= tick_quiet_until_ &&
          Lookahead::advance_ahead(t0 + d)) {
        running_ps_ += d;
        return;
      }
    }
    occupy_full(d, s, kernel);
  }
  // Waits while the kernel context (ISR/DPC) has the CPU; the thread is ready meanwhile.
  void yield_to_kernel() {
    if (kernel_busy_) wait_for_kernel();
  }
  // The thread took / released a spin lock: DPCs wait while it holds any.
  void raise_irql() { ++irql_; }
  void lower_irql();
  bool kernel_busy() const { return kernel_busy_; }
  // What the thread side is doing (shown unless the kernel has the CPU).
  void set_thread_state(CpuState s);
  // Threads bound to this CPU take turns (FIFO, run until they block or finish).
  void acquire(SimThread& t);
  void release(SimThread& t);
  void thread_blocked(bool blocked);
  void account_spin(Picos start, Picos stolen_at_start);
  void account_blocked(Picos start, Picos stolen_at_start);
  Picos stolen_ps() const { return interrupt_ps_ + dpc_ps_ + other_task_ps_; }
  // A spin of unknown length begins / ends: timer ticks are due while it lasts.
  void begin_open_spin();
  void end_open_spin();

 private:
  // A FIFO that reuses its storage (no allocation once grown to the working size).
  template <class T>
  class Fifo {
   public:
    bool empty() const { return count_ == 0; }
    void push(const T& d);
    T pop();

   private:
    std::vector<T> ring_;
    std::size_t head_ = 0, count_ = 0;
  };
  // An interrupt not yet serviced: its ISR's cost and the DPC the ISR queues.
  struct PendingIrq {
    Dpc dpc;
    Picos isr_ps = 0;
    bool tick = false;
    Picos other_task_ps = 0;  // after the ISR, another task has the CPU this long
  };

  void occupy_full(Picos d, CpuState s, bool kernel);
  bool owner_shows_running() const;  // no owner, or its state is "running"
  void wait_for_kernel();
  void kernel_loop();
  void show(CpuState s) { state_.set(static_cast<std::uint64_t>(s)); }
  void kick_kernel();
  // Schedules the next timer tick if it falls before `busy_until` (and none is scheduled);
  // `now` is the caller's model time. Most charges are short and no tick falls inside them:
  // those return here, on what the last full look found.
  void arm_tick(Picos now, Picos busy_until) {
    if (now >= tick_quiet_from_ && busy_until <= tick_quiet_until_) return;
    arm_tick_slow(now, busy_until);
  }
  void arm_tick_slow(Picos now, Picos busy_until);
  // arm_tick must look again (a tick was taken or cancelled, or the tick changed).
  void forget_tick_quiet() {
    tick_quiet_from_ = ~Picos{0};
    tick_quiet_until_ = 0;
  }
  void on_tick();

  std::string name_;
  Clock clock_;
  unsigned index_ = 0;
  KernelCosts costs_;
  TracedInt state_;
  CpuState thread_state_ = CpuState::kIdle;
  Picos running_ps_ = 0;
  Picos spinning_ps_ = 0;
  Picos interrupt_ps_ = 0;
  Picos dpc_ps_ = 0;
  Picos blocked_ps_ = 0;
  std::uint64_t empty_polls_ = 0;
  std::uint64_t interrupts_ = 0;
  std::uint64_t dpcs_run_ = 0;
  std::uint64_t ticks_ = 0;
  Picos tick_ps_ = 0;
  std::uint64_t context_switches_ = 0;
  Picos other_task_ps_ = 0;
  // kernel context
  Fifo<PendingIrq> irqs_;  // interrupts not yet serviced, in arrival order
  Fifo<Dpc> dpcs_;
  bool kernel_busy_ = false;
  bool kernel_spawned_ = false;
  unsigned irql_ = 0;
  sc_core::sc_event kernel_kick_;  // work for the kernel context
  sc_core::sc_event kernel_done_;  // the kernel context gave the CPU back
  sc_core::sc_event preempt_;      // the kernel context took the CPU
  SimContext kernel_context_;
  // timer tick
  TimerTick tick_;
  sc_core::sc_event tick_due_;  // the scheduled tick (at most one pending)
  bool tick_armed_ = false;
  bool tick_spawned_ = false;
  bool open_spin_ = false;  // a spin of unknown length is in progress
  Picos tick_armed_at_ = 0;
  Picos next_tick_from_ = 0;                   // ticks before this time were taken or passed
  Picos tick_from_ = ~Picos{0}, tick_at_ = 0;  // arm_tick's last lookup (none yet)
  // A charge issued at or after tick_quiet_from_ that ends by tick_quiet_until_ has no tick to
  // schedule: none is due in it, or one is scheduled already, or the CPU has no tick.
  Picos tick_quiet_from_ = ~Picos{0}, tick_quiet_until_ = 0;
  // threads bound to this CPU
  SimThread* owner_ = nullptr;
  std::vector<SimThread*> ready_;
  unsigned blocked_threads_ = 0;
  StatGroup stats_{name_};
};

// Defined here, once SimCpu is complete: every modelled access and cost goes through them.
inline void SimContext::run(std::uint64_t cycles) {
  if (cycles) cpu_->occupy(cpu_->clock().cycles(cycles), CpuState::kRunning, kernel_);
}

inline void SimContext::busy(Picos d) { cpu_->occupy(d, CpuState::kRunning, kernel_); }

template <class Ready>
std::uint64_t SimCpu::spin_until(const sc_core::sc_event& wake, std::uint64_t period_cycles,
                                 Ready ready) {
  yield_to_kernel();
  const Picos period = clock_.cycles(period_cycles);
  const Picos start = now_ps();
  const Picos stolen0 = stolen_ps();
  set_thread_state(CpuState::kSpinning);
  begin_open_spin();
  // Poll i runs over [start + i*period, start + (i+1)*period) and sees what landed before it
  // began. Sleep until something lands, then finish the iteration that first sees it.
  std::uint64_t misses = 0;
  for (;;) {
    const Picos now = now_ps();
    const std::uint64_t begun = (now - start + period - 1) / period;  // polls begun by now
    const Picos next_poll = start + begun * period;
    if (ready() && now >= start) {
      misses = begun;
      Lookahead::wait_until(next_poll + period);
      break;
    }
    Lookahead::wait_on(wake);
  }
  end_open_spin();
  // design decision: an interrupt during a spin loop delays only its end (the loop's timing
  // is computed, not stepped); the time the kernel took is not counted as spinning.
  yield_to_kernel();
  account_spin(start, stolen0);
  empty_polls_ += misses;
  set_thread_state(CpuState::kRunning);
  return misses;
}

}  // namespace hcasim
