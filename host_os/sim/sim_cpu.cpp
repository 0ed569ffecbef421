// The simulated processor: thread-side cost charging (preemptible by its kernel context),
// the kernel context itself (ISRs, then DPCs in FIFO order), and the turn-taking of the threads
// bound to it. See sim_cpu.hpp for the model.
#include "host_os/sim/sim_cpu.hpp"

#include <sysc/kernel/sc_dynamic_processes.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include "host_os/sim/sim_thread.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {

// ---- SimContext ------------------------------------------------------------------------------

void SimContext::spin_for(Picos d) {
  cpu_->occupy(d, CpuState::kSpinning, kernel_);
  if (!kernel_) cpu_->set_thread_state(CpuState::kRunning);
}

void SimContext::spin_on(const sc_core::sc_event& e) {
  if (kernel_) {  // a DPC spinning: the CPU shows dpc throughout, its time is the DPC's
    Lookahead::wait_on(e);
    return;
  }
  // No yield before waiting: the caller checked its condition just now, and `e` must not be
  // missed while an ISR has the CPU.
  const Picos start = now_ps();
  const Picos stolen0 = cpu_->stolen_ps();
  cpu_->set_thread_state(CpuState::kSpinning);
  cpu_->begin_open_spin();
  Lookahead::wait_on(e);
  cpu_->end_open_spin();
  cpu_->yield_to_kernel();
  cpu_->account_spin(start, stolen0);
  cpu_->set_thread_state(CpuState::kRunning);
}

void SimContext::begin_block() {
  if (kernel_) throw std::logic_error(cpu_->name() + ": a DPC or ISR cannot block");
  cpu_->thread_blocked(true);
  block_start_ = now_ps();
  block_stolen_ = cpu_->stolen_ps();
  if (thread_) {
    thread_->set_state(ThreadState::kBlocked);
    cpu_->release(*thread_);
  } else {
    cpu_->set_thread_state(CpuState::kBlocked);
  }
}

void SimContext::end_block(Picos wake) {
  // design decision: the wake-up latency (IPI, scheduler, context switch: host.wakeup_ns) is
  // time the thread still sleeps; the woken CPU is not charged for it.
  Lookahead::wait_for(wake);
  cpu_->thread_blocked(false);
  cpu_->account_blocked(block_start_, block_stolen_);
  if (thread_) {
    cpu_->acquire(*thread_);
  } else {
    cpu_->yield_to_kernel();
    cpu_->set_thread_state(CpuState::kRunning);
  }
}

// ---- SimCpu ----------------------------------------------------------------------------------

SimCpu::SimCpu(std::string name, double ghz, TraceSink* trace)
    : name_(std::move(name)), clock_(ghz * 1000.0), kernel_context_(*this, nullptr, true) {
  state_.attach_enum(trace, name_ + ".state",
                     {"idle", "running", "spinning", "blocked", "interrupt", "dpc", "other_task"});
  stats_.formula(
      "utilization", "ratio", "share of time running or spinning",
      [this](const StatContext& c) { return static_cast<double>(busy_ps()) / c.run_ps(); });
  stats_.counter(empty_polls_, "empty_polls", "count", "completion-queue polls that found nothing");
  stats_.counter(ticks_, "ticks", "count", "timer ticks taken (only while busy)");
  stats_.counter(context_switches_, "context_switches", "count",
                 "ticks that ran another task first");
  stats_.counter(interrupts_, "interrupts", "count",
                 "device interrupts taken (ticks not included)");
  stats_.counter(dpcs_run_, "dpcs", "count", "deferred procedure calls run");
  stats_.time_ns(running_ps_, "running_ns", "time running thread code");
  stats_.time_ns(spinning_ps_, "spinning_ns", "time spinning (polling, waiting for a lock)");
  stats_.time_ns(interrupt_ps_, "interrupt_ns",
                 "time in interrupt service routines (ticks included)");
  stats_.time_ns(dpc_ps_, "dpc_ns", "time in deferred procedure calls");
  stats_.time_ns(other_task_ps_, "other_task_ns", "time another task had the CPU after a tick");
}

void SimCpu::run(std::uint64_t n) {
  if (n == 0) return;
  occupy(clock_.cycles(n), CpuState::kRunning, false);
}

void SimCpu::set_thread_state(CpuState s) {
  thread_state_ = s;
  if (!kernel_busy_) show(s);
  if (owner_ && (s == CpuState::kRunning || s == CpuState::kSpinning))
    owner_->set_state(s == CpuState::kRunning ? ThreadState::kRunning : ThreadState::kSpinning);
}

bool SimCpu::owner_shows_running() const {
  return owner_ == nullptr || owner_->state() == ThreadState::kRunning;
}

void SimCpu::occupy_full(Picos d, CpuState s, bool kernel) {
  if (d == 0) return;
  if (kernel) {  // the kernel context is not preempted (an ISR waits for the running DPC)
    Lookahead::wait_for(d);
    return;
  }
  for (;;) {  // once, unless preempted: the rest runs once the ISR and DPCs are done
    yield_to_kernel();
    set_thread_state(s);
    const Picos t0 = now_ps();
    arm_tick(t0, t0 + d);
    Lookahead::wait_until_or(t0 + d, preempt_);
    const Picos ran = std::min(now_ps() - t0, d);
    (s == CpuState::kSpinning ? spinning_ps_ : running_ps_) += ran;
    d -= ran;
    if (d == 0) return;
  }
}

void SimCpu::wait_for_kernel() {
  if (owner_) owner_->set_state(ThreadState::kReady);
  // A thread waits for the CPU: it is not idle, so a tick due meanwhile is taken (after the
  // kernel work in hand) even if the thread's own run would have ended before it.
  const bool open = open_spin_;
  if (!open) begin_open_spin();
  while (kernel_busy_) Lookahead::wait_on(kernel_done_);
  if (!open) end_open_spin();
  if (owner_) owner_->set_state(ThreadState::kRunning);
}

namespace {
// Out of line: building the message in lower_irql gave that hot path a stack frame to set up.
[[gnu::cold, gnu::noinline, noreturn]] void fail_released_twice(const std::string& cpu) {
  throw std::logic_error(cpu + ": spin lock released twice");
}
}  // namespace

void SimCpu::lower_irql() {
  if (irql_ == 0) fail_released_twice(name_);
  if (--irql_ == 0 && !dpcs_.empty()) {
    // DPCs that waited for the lock holder run now, before the thread goes on.
    kernel_busy_ = true;
    kick_kernel();
    yield_to_kernel();
  }
}

void SimCpu::acquire(SimThread& t) {
  if (owner_ != &t) {
    if (owner_ == nullptr && ready_.empty()) {
      owner_ = &t;
    } else {
      ready_.push_back(&t);
      t.set_state(ThreadState::kReady);
      while (owner_ != &t) Lookahead::wait_on(t.dispatch_event());
    }
  }
  yield_to_kernel();
  t.set_state(ThreadState::kRunning);
  set_thread_state(CpuState::kRunning);
}

void SimCpu::release(SimThread& t) {
  if (owner_ != &t) return;
  owner_ = nullptr;
  if (!ready_.empty()) {
    owner_ = ready_.front();
    ready_.erase(ready_.begin());
    Lookahead::notify_delta(owner_->dispatch_event());
    return;
  }
  set_thread_state(blocked_threads_ ? CpuState::kBlocked : CpuState::kIdle);
}

void SimCpu::thread_blocked(bool blocked) {
  if (blocked) {
    ++blocked_threads_;
  } else if (blocked_threads_ > 0) {
    --blocked_threads_;
  }
}

void SimCpu::account_spin(Picos start, Picos stolen_at_start) {
  const Picos span = now_ps() - start;
  const Picos stolen = stolen_ps() - stolen_at_start;
  spinning_ps_ += span > stolen ? span - stolen : 0;
}

void SimCpu::account_blocked(Picos start, Picos stolen_at_start) {
  const Picos span = now_ps() - start;
  const Picos stolen = stolen_ps() - stolen_at_start;
  blocked_ps_ += span > stolen ? span - stolen : 0;
}

// ---- kernel context --------------------------------------------------------------------------

template <class T>
void SimCpu::Fifo<T>::push(const T& d) {
  if (count_ == ring_.size()) {  // grow (rare: only beyond the deepest backlog so far)
    std::vector<T> bigger(std::max<std::size_t>(8, ring_.size() * 2));
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = ring_[(head_ + i) % ring_.size()];
    ring_ = std::move(bigger);
    head_ = 0;
  }
  ring_[(head_ + count_) % ring_.size()] = d;
  ++count_;
}

template <class T>
T SimCpu::Fifo<T>::pop() {
  const T d = ring_[head_];
  head_ = (head_ + 1) % ring_.size();
  --count_;
  return d;
}

void SimCpu::interrupt(const Dpc& dpc) {
  irqs_.push(PendingIrq{dpc, costs_.isr_ps, false});
  kick_kernel();
}

void SimCpu::queue_dpc(const Dpc& dpc) {
  dpcs_.push(dpc);
  if (irql_ == 0) kick_kernel();
}

void SimCpu::kick_kernel() {
  if (!kernel_spawned_) {
    // design decision: the kernel context's SystemC thread is created at the first interrupt
    // or DPC, so CPUs that never take one cost nothing (and elaborate no process).
    kernel_spawned_ = true;
    std::string proc = name_ + "_kernel";
    std::replace(proc.begin(), proc.end(), '.', '_');
    Lookahead::spawn_thread([this] { kernel_loop(); }, sc_core::sc_gen_unique_name(proc.c_str()));
    return;  // the new thread finds the work when it first runs (at this same time)
  }
  Lookahead::notify(kernel_kick_);
}

void SimCpu::kernel_loop() {
  for (;;) {
    const bool work = !irqs_.empty() || (!dpcs_.empty() && irql_ == 0);
    if (!work) {
      if (kernel_busy_) {
        kernel_busy_ = false;
        show(thread_state_);
        Lookahead::notify(kernel_done_);
      }
      Lookahead::wait_on(kernel_kick_);
      continue;
    }
    if (!kernel_busy_) {
      kernel_busy_ = true;
      Lookahead::notify(preempt_);  // a thread occupying the CPU stops now and finishes later
    }
    const Picos t0 = now_ps();
    if (!irqs_.empty()) {
      // design decision: ISRs run between DPCs, never inside one (an interrupt that arrives
      // during a DPC is taken when that DPC ends); ISRs themselves queue in arrival order.
      const PendingIrq irq = irqs_.pop();
      show(CpuState::kInterrupt);
      if (irq.isr_ps) Lookahead::wait_for(irq.isr_ps);
      const Picos spent = now_ps() - t0;
      interrupt_ps_ += spent;
      if (irq.tick) {
        ++ticks_;
        tick_ps_ += spent;
      } else {
        ++interrupts_;
      }
      if (irq.other_task_ps) {  // the scheduler ran another task before the thread's turn
        show(CpuState::kOtherTask);
        Lookahead::wait_for(irq.other_task_ps);
        ++context_switches_;
        other_task_ps_ += irq.other_task_ps;
      }
      if (irq.dpc.fn) dpcs_.push(irq.dpc);
      continue;
    }
    const Dpc d = dpcs_.pop();
    show(CpuState::kDpc);
    if (costs_.dpc_cycles) Lookahead::wait_for(clock_.cycles(costs_.dpc_cycles));
    d.fn(d.self, d.arg, kernel_context_);
    ++dpcs_run_;
    dpc_ps_ += now_ps() - t0;
  }
}

// ---- timer tick ------------------------------------------------------------------------------

void SimCpu::arm_tick_slow(Picos now, Picos busy_until) {
  if (tick_armed_ || !tick_.enabled()) {  // nothing to schedule until that changes
    tick_quiet_from_ = 0;
    tick_quiet_until_ = ~Picos{0};
    return;
  }
  const Picos from = std::max(now, next_tick_from_);
  // The first tick at or after `from`, remembered: no tick falls in [tick_from_, tick_at_).
  if (from < tick_from_ || from > tick_at_) {
    tick_from_ = from;
    tick_at_ = tick_.at_or_after(from);
  }
  const Picos at = tick_at_;
  // Charges issued from tick_from_ on (>= next_tick_from_, which moves only when a tick is
  // taken, and that forgets this window) that end by `at` find the same answer.
  tick_quiet_from_ = tick_from_;
  tick_quiet_until_ = at;
  if (at >= busy_until) return;  // the CPU is not known to be busy then: nothing to schedule
  if (!tick_spawned_) {
    // design decision: like the kernel context, the tick's process exists only on CPUs that
    // take a tick; a method process (no stack) woken by the one pending notification.
    tick_spawned_ = true;
    std::string proc = name_ + "_tick";
    std::replace(proc.begin(), proc.end(), '.', '_');
    Lookahead::spawn_method([this] { on_tick(); }, sc_core::sc_gen_unique_name(proc.c_str()),
                            tick_due_);
  }
  tick_armed_ = true;
  tick_armed_at_ = at;
  tick_quiet_from_ = 0;  // armed: nothing more to schedule until it is taken or cancelled
  tick_quiet_until_ = ~Picos{0};
  Lookahead::notify_at(tick_due_, at);
}

void SimCpu::begin_open_spin() {
  open_spin_ = true;
  arm_tick(now_ps(), std::numeric_limits<Picos>::max());
}

void SimCpu::end_open_spin() {
  open_spin_ = false;
  if (tick_armed_) {  // the next tick would find the spin over: it is not taken
    tick_due_.cancel();
    tick_armed_ = false;
    forget_tick_quiet();
  }
}

void SimCpu::on_tick() {
  // A notification cancelled in the same instant it fell due may still wake this method.
  if (!tick_armed_ || tick_armed_at_ != now_ps()) return;
  tick_armed_ = false;
  next_tick_from_ = now_ps() + 1;
  forget_tick_quiet();
  irqs_.push(PendingIrq{Dpc{}, tick_.cost_ps, true, tick_.next_switches() ? tick_.switch_ps : 0});
  kick_kernel();
  if (open_spin_) arm_tick(now_ps(), std::numeric_limits<Picos>::max());
}

}  // namespace hcasim
