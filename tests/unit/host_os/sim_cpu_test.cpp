// Simulated CPUs: an interrupt preempts a thread's run() by exactly its ISR and DPC time, other
// CPUs are unaffected, DPCs run in FIFO order before the thread, a spin-lock holder defers DPCs
// until it releases, and threads bound to one CPU take turns (ready while another runs).
#include <gtest/gtest.h>

#include <sysc/kernel/sc_dynamic_processes.h>
#include <systemc>

#include <vector>

#include "host_os/sim/interrupt_controller.hpp"
#include "host_os/sim/sim_cpu.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "models/core/config_error.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {
namespace {

constexpr Picos kNs = 1000;
constexpr Picos kUs = 1000 * kNs;

KernelCosts costs() {
  KernelCosts k;
  k.isr_ps = 1 * kUs;
  k.dpc_cycles = 500;  // 500 ns at 1 GHz
  return k;
}

// What the DPCs of a test saw.
struct DpcLog {
  std::vector<std::uint64_t> order;
  std::vector<Picos> start;  // when each DPC's own work began (after dispatch)
  std::vector<Picos> end;
  std::uint64_t work_cycles = 300;
};

void logging_dpc(void* self, std::uint64_t arg, SimContext& kernel) {
  auto* log = static_cast<DpcLog*>(self);
  log->order.push_back(arg);
  log->start.push_back(now_ps());
  EXPECT_TRUE(kernel.in_kernel());
  EXPECT_EQ(kernel.cpu().state(), CpuState::kDpc);
  kernel.run(log->work_cycles);
  log->end.push_back(now_ps());
}

TEST(SimCpu, RunIsDelayedByExactlyTheIsrAndDpcOfAnInterrupt) {
  SimCpu cpu0("cpu0", 1.0, nullptr), cpu1("cpu1", 1.0, nullptr);
  cpu0.set_kernel_costs(costs());
  cpu1.set_kernel_costs(costs());
  DpcLog log;
  Picos done0 = 0, done1 = 0;
  hcasim::Lookahead::spawn_thread([&] {
    cpu0.run(10'000);
    done0 = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    cpu1.run(10'000);
    done1 = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(2 * kUs));
    cpu0.interrupt(Dpc{&logging_dpc, &log, 7});
    hcasim::Lookahead::wait(ps(500 * kNs));  // mid-ISR
    EXPECT_EQ(cpu0.state(), CpuState::kInterrupt);
    hcasim::Lookahead::wait(ps(kUs + 100 * kNs));  // in the DPC's work
    EXPECT_EQ(cpu0.state(), CpuState::kDpc);
    EXPECT_EQ(cpu1.state(), CpuState::kRunning);
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(done1, 10 * kUs);  // the other CPU is unaffected
  EXPECT_EQ(done0, 10 * kUs + 1 * kUs + 500 * kNs + 300 * kNs);
  ASSERT_EQ(log.order.size(), 1u);
  EXPECT_EQ(log.start[0], 2 * kUs + 1 * kUs + 500 * kNs);
  EXPECT_EQ(cpu0.interrupts(), 1u);
  EXPECT_EQ(cpu0.dpcs(), 1u);
  EXPECT_EQ(cpu0.running_ps(), 10 * kUs);  // the thread's own time, not the kernel's
  EXPECT_EQ(cpu0.interrupt_ps(), 1 * kUs);
  EXPECT_EQ(cpu0.dpc_ps(), 800 * kNs);
  EXPECT_EQ(cpu0.busy_ps(), done0);
  EXPECT_EQ(cpu0.state(), CpuState::kRunning);  // back to its thread
}

TEST(SimCpu, DpcsRunInFifoOrderAfterTheIsrs) {
  SimCpu cpu("cpu0", 1.0, nullptr);
  cpu.set_kernel_costs(costs());
  DpcLog log;
  log.work_cycles = 100;
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(1 * kUs));
    cpu.interrupt(Dpc{&logging_dpc, &log, 1});
    cpu.interrupt(Dpc{&logging_dpc, &log, 2});
    cpu.queue_dpc(Dpc{&logging_dpc, &log, 3});
    hcasim::Lookahead::wait(ps(100 * kNs));
    cpu.interrupt(Dpc{&logging_dpc, &log, 4});
    cpu.interrupt(Dpc{});  // an ISR that queues nothing
  });
  hcasim::Lookahead::run();
  // The DPC queued directly is first in line; the ISRs run before any DPC, in arrival order,
  // each queueing its DPC behind the ones already there.
  EXPECT_EQ(log.order, (std::vector<std::uint64_t>{3, 1, 2, 4}));
  EXPECT_EQ(cpu.interrupts(), 4u);
  EXPECT_EQ(cpu.dpcs(), 4u);
  ASSERT_EQ(log.start.size(), 4u);
  EXPECT_EQ(log.start[0], 1 * kUs + 4 * kUs + 500 * kNs);  // four ISRs first
  for (std::size_t i = 1; i < 4; ++i) EXPECT_EQ(log.start[i], log.end[i - 1] + 500 * kNs);
  EXPECT_EQ(cpu.state(), CpuState::kIdle);
}

TEST(SimCpu, InterruptControllerRoutesVectorsToTheirCpu) {
  SimCpu cpu0("cpu0", 1.0, nullptr), cpu1("cpu1", 1.0, nullptr);
  HostParams hp{};
  hp.interrupt_ns = 1000;
  hp.dpc_cycles = 500;
  hp.irq_cpu = 0;
  InterruptController ic({&cpu0, &cpu1}, hp, 1);
  DpcLog log;
  ic.route(5, 1, Dpc{&logging_dpc, &log, 5});
  hcasim::Lookahead::spawn_thread([&] {
    ic.raise(5);
    ic.raise(9);  // nobody routed it: the default CPU takes the ISR, no DPC
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(cpu1.interrupts(), 1u);
  EXPECT_EQ(cpu1.dpcs(), 1u);
  EXPECT_EQ(cpu0.interrupts(), 1u);
  EXPECT_EQ(cpu0.dpcs(), 0u);
  EXPECT_EQ(ic.raised(), 2u);
  EXPECT_EQ(ic.unhandled(), 1u);
  EXPECT_EQ(log.order, (std::vector<std::uint64_t>{5}));
  hp.irq_cpu = 2;
  EXPECT_THROW(InterruptController({&cpu0, &cpu1}, hp, 1), ConfigError);
}

TEST(SimCpu, SpinLockHolderDefersDpcsUntilItReleases) {
  SimCpu cpu0("cpu0", 1.0, nullptr);
  cpu0.set_kernel_costs(costs());
  SimPlatformParams pp;
  pp.cache.hit_cycles = 0;
  pp.cache.atomic_cycles = 0;
  pp.cache.transfer_ps = 0;
  SimPlatform platform({&cpu0}, pp);
  SimPlatform::SpinLock lock;
  SimContext ctx(cpu0);
  DpcLog log;
  log.work_cycles = 0;
  Picos released = 0, done = 0;
  hcasim::Lookahead::spawn_thread([&] {
    platform.lock(ctx, lock);
    ctx.run(5'000);  // 5 us holding the lock
    released = now_ps();
    platform.unlock(ctx, lock);
    done = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(1 * kUs));
    cpu0.interrupt(Dpc{&logging_dpc, &log, 1});
  });
  hcasim::Lookahead::run();
  // The ISR preempted the holder at once; its DPC waited for the release, then ran before the
  // thread went on.
  EXPECT_EQ(released, 5 * kUs + 1 * kUs);
  ASSERT_EQ(log.start.size(), 1u);
  EXPECT_EQ(log.start[0], released + 500 * kNs);
  EXPECT_EQ(done, released + 500 * kNs);
}

TEST(SimCpu, ThreadsOnOneCpuTakeTurns) {
  SimCpu cpu("cpu0", 1.0, nullptr);
  SimThread a("a", cpu, nullptr), b("b", cpu, nullptr);
  Picos b_started = 0;
  ThreadState b_while_a_runs = ThreadState::kIdle;
  hcasim::Lookahead::spawn_thread([&] {
    a.start();
    a.context().run(2'000);
    a.sleep_for(10 * kUs);  // gives the CPU to b
    EXPECT_EQ(a.state(), ThreadState::kRunning);
    a.context().run(1'000);
    a.finish();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(1 * kUs));
    b.start();  // a has the CPU: ready until a sleeps
    b_started = now_ps();
    b.context().run(3'000);
    b.finish();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(1500 * kNs));
    b_while_a_runs = b.state();
    EXPECT_EQ(cpu.state(), CpuState::kRunning);
    hcasim::Lookahead::wait(
        ps(5 * kUs));  // b runs its 3 us from 2 us on; then a sleeps until 12 us
    EXPECT_EQ(cpu.state(), CpuState::kBlocked);
    EXPECT_EQ(a.state(), ThreadState::kBlocked);
    EXPECT_EQ(b.state(), ThreadState::kIdle);
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(b_while_a_runs, ThreadState::kReady);
  EXPECT_EQ(b_started, 2 * kUs);
  EXPECT_EQ(cpu.running_ps(), 6 * kUs);
  EXPECT_EQ(hcasim::ps(hcasim::now_ps()), ps(13 * kUs));
  EXPECT_EQ(cpu.state(), CpuState::kIdle);
}

TEST(SimCpu, SpinUntilIsDelayedByAnInterruptAndDoesNotCountItAsSpinning) {
  SimCpu cpu("cpu0", 1.0, nullptr);
  cpu.set_kernel_costs(costs());
  sc_core::sc_event landed;
  bool ready = false;
  Picos done = 0;
  hcasim::Lookahead::spawn_thread([&] {
    cpu.spin_until(landed, 10, [&] { return ready; });
    done = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(1 * kUs));
    cpu.interrupt(Dpc{});
    hcasim::Lookahead::wait(ps(500 * kNs));
    ready = true;  // lands during the ISR
    hcasim::Lookahead::notify(landed);
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(done, 2 * kUs);  // the ISR ended at 2 us; the poll's iteration ended before
  EXPECT_EQ(cpu.spinning_ps() + cpu.interrupt_ps(), done);
}

}  // namespace
}  // namespace hcasim
