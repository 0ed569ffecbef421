// The host's periodic timer tick on a simulated CPU: a tick that falls in a thread's run()
// delays it by exactly the tick's cost and shows as an interrupt; ticks keep coming while a
// thread spins and stop with the spin; an idle or sleeping CPU takes none and costs no events,
// so a finished simulation ends where its work ends; the odd tick switches to another task.
// The controller gives each CPU a phase from the seed. Each TEST runs in its own process (SystemC
// elaborates once per process).
#include <gtest/gtest.h>

#include <sysc/kernel/sc_dynamic_processes.h>
#include <systemc>

#include <string>
#include <vector>

#include "host_os/sim/interrupt_controller.hpp"
#include "host_os/sim/sim_cpu.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "models/core/config_error.hpp"
#include "models/core/lookahead.hpp"
#include "models/core/random.hpp"

namespace hcasim {
namespace {

constexpr Picos kNs = 1000;
constexpr Picos kUs = 1000 * kNs;

// Ticks every 100 us from 30 us on, 2 us each.
TimerTick test_tick() {
  TimerTick t;
  t.period_ps = 100 * kUs;
  t.phase_ps = 30 * kUs;
  t.cost_ps = 2 * kUs;
  return t;
}

TEST(TimerTick, ATickDelaysTheRunItFallsInByExactlyItsCost) {
  SimCpu cpu("cpu0", 1.0, nullptr);
  cpu.set_timer_tick(test_tick());
  Picos done = 0;
  hcasim::Lookahead::spawn_thread([&] {
    cpu.run(250'000);  // 250 us of code: ticks at 30, 130 and 230 us fall in it
    done = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(31 * kUs));
    EXPECT_EQ(cpu.state(), CpuState::kInterrupt);  // the tick has the CPU
    hcasim::Lookahead::wait(ps(2 * kUs));
    EXPECT_EQ(cpu.state(), CpuState::kRunning);  // and gave it back after its 2 us
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(done, 250 * kUs + 3 * 2 * kUs);  // the tick at 330 us finds the run over
  EXPECT_EQ(cpu.ticks(), 3u);
  EXPECT_EQ(cpu.tick_ps(), 3 * 2 * kUs);
  EXPECT_EQ(cpu.interrupt_ps(), 3 * 2 * kUs);  // shown and accounted as interrupt time
  EXPECT_EQ(cpu.interrupts(), 0u);             // no device interrupt
  EXPECT_EQ(cpu.running_ps(), 250 * kUs);
  // Nothing was left scheduled: the simulation ran out of events when the run ended.
  EXPECT_EQ(now_ps(), done);
}

TEST(TimerTick, ManyShortRunsTakeEveryTickTheyCover) {
  // The same 250 us of code as 250 runs of 1 us: most runs have no tick in them (and skip the
  // lookup), but each tick still falls in the run that covers it.
  SimCpu cpu("cpu0", 1.0, nullptr);
  cpu.set_timer_tick(test_tick());
  Picos done = 0;
  std::vector<Picos> tick_runs;  // end of each run that a tick delayed
  hcasim::Lookahead::spawn_thread([&] {
    for (int i = 0; i < 250; ++i) {
      const Picos start = now_ps();
      cpu.run(1'000);
      if (now_ps() - start != kUs) tick_runs.push_back(now_ps());
    }
    done = now_ps();
  });
  hcasim::Lookahead::run();
  // Runs are back to back on whole microseconds, so each tick falls at the start of a run (the
  // run that ends at the tick's time does not contain it), which then ends 3 us after it began.
  EXPECT_EQ(tick_runs, (std::vector<Picos>{33 * kUs, 133 * kUs, 233 * kUs}));
  EXPECT_EQ(done, 250 * kUs + 3 * 2 * kUs);
  EXPECT_EQ(cpu.ticks(), 3u);
  EXPECT_EQ(cpu.running_ps(), 250 * kUs);
}

TEST(TimerTick, ATickDueDuringAnInterruptIsTakenBeforeTheThreadResumes) {
  SimCpu cpu("cpu0", 1.0, nullptr);
  KernelCosts costs;
  costs.isr_ps = 5 * kUs;
  cpu.set_kernel_costs(costs);
  cpu.set_timer_tick(test_tick());
  Picos done = 0;
  hcasim::Lookahead::spawn_thread([&] {
    cpu.run(28'000);  // would end at 28 us, before the tick at 30 us
    done = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(27 * kUs));
    cpu.interrupt(Dpc{});  // its ISR holds the CPU from 27 to 32 us, over the tick's time
  });
  hcasim::Lookahead::run();
  // The thread still wanted the CPU at 30 us: the tick runs after the ISR (32-34 us), then the
  // thread's last microsecond.
  EXPECT_EQ(done, 35 * kUs);
  EXPECT_EQ(cpu.ticks(), 1u);
  EXPECT_EQ(cpu.interrupts(), 1u);
  EXPECT_EQ(now_ps(), done);
}

TEST(TimerTick, TicksComeWhileAThreadSpinsAndStopWithTheSpin) {
  SimCpu cpu("cpu0", 1.0, nullptr);
  cpu.set_timer_tick(test_tick());
  sc_core::sc_event landed;
  bool ready = false;
  Picos done = 0;
  hcasim::Lookahead::spawn_thread([&] {
    // A one-cycle poll loop; the answer lands at 331 us, during the tick of 330-332 us.
    cpu.spin_until(landed, 1, [&] { return ready; });
    done = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(331 * kUs));
    ready = true;
    hcasim::Lookahead::notify(landed);
  });
  hcasim::Lookahead::run();
  // Ticks at 30, 130, 230 and 330 us; the loop sees the answer when the last one returns the
  // CPU (its poll would have ended at 331 us + 1 ns).
  EXPECT_EQ(done, 332 * kUs);
  EXPECT_EQ(cpu.ticks(), 4u);
  EXPECT_EQ(cpu.spinning_ps(), 332 * kUs - 4 * 2 * kUs);
  EXPECT_EQ(now_ps(), done);  // the tick due at 430 us was withdrawn with the spin
}

TEST(TimerTick, ATickBeforeTheAnswerLandsCostsTheSpinNothing) {
  SimCpu cpu("cpu0", 1.0, nullptr);
  cpu.set_timer_tick(test_tick());
  sc_core::sc_event landed;
  Picos done = 0;
  hcasim::Lookahead::spawn_thread([&] {
    SimContext c(cpu);
    c.spin_on(landed);  // on a lock's release, say
    done = now_ps();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(50 * kUs));
    hcasim::Lookahead::notify(landed);
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(done, 50 * kUs);  // the tick at 30-32 us was over by then
  EXPECT_EQ(cpu.ticks(), 1u);
  EXPECT_EQ(cpu.spinning_ps(), 48 * kUs);
  EXPECT_EQ(now_ps(), done);
}

TEST(TimerTick, AnIdleCpuTakesNoTickAndCostsNoEvents) {
  SimCpu cpu("cpu0", 1.0, nullptr);
  cpu.set_timer_tick(test_tick());
  SimThread thread("t", cpu, nullptr);
  std::uint64_t d0 = 0, d1 = 0, d2 = 0;
  hcasim::Lookahead::spawn_thread([&] {
    thread.start();
    cpu.run(1'000);  // 1 us, before the first tick
    d0 = sc_core::sc_delta_count();
    thread.sleep_for(1 * kNs);
    d1 = sc_core::sc_delta_count();
    thread.sleep_for(10'000'000 * kUs);  // 10 s asleep: 100 000 tick periods
    d2 = sc_core::sc_delta_count();
    cpu.run(1'000);
    thread.finish();
  });
  hcasim::Lookahead::run();
  // The long sleep took exactly the simulation steps of the short one: no tick was scheduled
  // while the CPU was idle, and none fell in the two microseconds it was busy.
  EXPECT_EQ(d2 - d1, d1 - d0);
  EXPECT_EQ(cpu.ticks(), 0u);
  EXPECT_EQ(now_ps(), 10'000'000 * kUs + 1 * kNs + 2 * kUs);
}

TEST(TimerTick, ASwitchingTickLetsAnotherTaskRunBeforeTheThread) {
  SimCpu cpu("cpu0", 1.0, nullptr);
  TimerTick tick = test_tick();
  tick.switch_every = 1;  // every tick switches
  tick.switch_ps = 10 * kUs;
  cpu.set_timer_tick(tick);
  SimThread thread("t", cpu, nullptr);
  Picos done = 0;
  hcasim::Lookahead::spawn_thread([&] {
    thread.start();
    cpu.run(250'000);
    done = now_ps();
    thread.finish();
  });
  hcasim::Lookahead::spawn_thread([&] {
    hcasim::Lookahead::wait(ps(33 * kUs));  // after the tick's 2 us, in the other task's 10
    EXPECT_EQ(cpu.state(), CpuState::kOtherTask);
    EXPECT_EQ(thread.state(), ThreadState::kReady);
    hcasim::Lookahead::wait(ps(10 * kUs));
    EXPECT_EQ(cpu.state(), CpuState::kRunning);
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(done, 250 * kUs + 3 * 12 * kUs);  // ticks at 30, 130 and 230 us
  EXPECT_EQ(cpu.ticks(), 3u);
  EXPECT_EQ(cpu.context_switches(), 3u);
  EXPECT_EQ(cpu.other_task_ps(), 30 * kUs);
  EXPECT_EQ(cpu.interrupt_ps(), 6 * kUs);
  EXPECT_EQ(cpu.busy_ps(), done);
}

TEST(TimerTick, WhichTicksSwitchIsDrawnFromTheSeed) {
  SimCpu cpu("host0.cpu0", 1.0, nullptr);
  TimerTick tick = TimerTick::make(10000, 2000, 5, "host0.cpu0", 3, 10000);  // every 100 us
  ASSERT_EQ(tick.period_ps, 100 * kUs);
  cpu.set_timer_tick(tick);
  Picos done = 0;
  hcasim::Lookahead::spawn_thread([&] {
    cpu.run(5'000'000);  // 5 ms of code
    done = now_ps();
  });
  hcasim::Lookahead::run();
  // Replay: the ticks before the (growing) end, each drawing from stream
  // "host0.cpu0.context_switch".
  RandomStream draws(5, "host0.cpu0.context_switch");
  Picos end = 5000 * kUs;
  std::uint64_t ticks = 0, switches = 0;
  for (Picos t = tick.phase_ps; t < end; t += tick.period_ps, ++ticks) {
    const bool sw = draws.below(3) == 0;
    switches += sw;
    end += 2 * kUs + (sw ? 10 * kUs : 0);
  }
  EXPECT_EQ(done, end);
  EXPECT_EQ(cpu.ticks(), ticks);
  EXPECT_EQ(cpu.context_switches(), switches);
  EXPECT_GT(switches, 5u);          // about a third of some fifty ticks
  EXPECT_LT(switches, ticks - 10);  // but not all
}

TEST(TimerTick, TheControllerGivesEachCpuAPhaseFromTheSeed) {
  std::vector<std::unique_ptr<SimCpu>> owned;
  std::vector<SimCpu*> cpus;
  for (int i = 0; i < 4; ++i) {
    owned.push_back(std::make_unique<SimCpu>("host0.cpu" + std::to_string(i), 2.6, nullptr));
    cpus.push_back(owned.back().get());
  }
  HostParams hp{};
  hp.interrupt_ns = 1000;
  hp.tick_hz = 250;
  hp.tick_ns = 2000;
  auto phases = [&](std::uint64_t seed) {
    InterruptController ic(cpus, hp, seed);
    std::vector<Picos> p;
    for (SimCpu* c : cpus) p.push_back(c->timer_tick().phase_ps);
    return p;
  };
  const std::vector<Picos> seed1 = phases(1);
  for (SimCpu* c : cpus) {
    EXPECT_EQ(c->timer_tick().period_ps, 4'000'000'000u);  // 250 Hz
    EXPECT_EQ(c->timer_tick().cost_ps, 2'000'000u);
  }
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    // The documented derivation: stream "<cpu>.tick" of the seed, a whole ns in the period.
    RandomStream stream(1, cpus[i]->name() + ".tick");
    EXPECT_EQ(seed1[i], stream.below(4'000'000) * 1000) << i;
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(seed1[i], seed1[j]) << i << " " << j;
  }
  EXPECT_EQ(phases(1), seed1);
  const std::vector<Picos> seed2 = phases(2);
  for (std::size_t i = 0; i < cpus.size(); ++i) EXPECT_NE(seed2[i], seed1[i]) << i;

  hp.tick_hz = 0;
  phases(1);
  for (SimCpu* c : cpus) EXPECT_FALSE(c->timer_tick().enabled());

  hp.tick_hz = 250;
  hp.tick_ns = 4'000'000;  // as long as the period
  try {
    InterruptController ic(cpus, hp, 1);
    ADD_FAILURE() << "a tick as long as its period was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'host.tick_ns'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("host.tick_hz"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hcasim
