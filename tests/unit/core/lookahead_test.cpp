// Lookahead (docs/lookahead.md): a thread or the calendar runs ahead of the SystemC kernel only
// while nothing else is due, and every other process still sees what it would have seen. Each
// case checks a figure a model would notice (the time an action or a woken thread sees, what
// it finds done) and that the kernel did the fewer activations lookahead promises.
#include <gtest/gtest.h>

#include <systemc>

#include <utility>
#include <vector>

#include "models/core/action_queue.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {
namespace {

constexpr Picos kNs = 1000;
constexpr Picos kUs = 1000 * kNs;

// One thread charges 1,000 steps of 10 ns alone.
void run_lone_thread(bool lookahead, Picos& end, std::uint64_t& deltas) {
  Lookahead::allow(lookahead);
  Lookahead::spawn_thread([&] {
    for (int i = 0; i < 1000; ++i) Lookahead::wait_for(10 * kNs);
    end = now_ps();
  });
  Lookahead::run();
  deltas = sc_core::sc_delta_count();
}

TEST(Lookahead, ALoneThreadRunsAheadAndTheKernelStillEndsAtItsTime) {
  Picos end = 0;
  std::uint64_t deltas = 0;
  run_lone_thread(true, end, deltas);
  EXPECT_EQ(end, 10 * kUs);
  EXPECT_EQ(kernel_now_ps(), 10 * kUs) << "the thread's end brings the kernel to its time";
  EXPECT_LT(deltas, 5u) << "1,000 charges with nothing else due need no kernel activation each";
}

TEST(Lookahead, OffEveryChargeIsAKernelActivation) {
  Picos end = 0;
  std::uint64_t deltas = 0;
  run_lone_thread(false, end, deltas);
  EXPECT_EQ(end, 10 * kUs);
  EXPECT_GE(deltas, 1000u);
}

struct Probe {
  ActionQueue q;
  const int* steps = nullptr;
  int seen_steps = -1;
  Picos seen_at = 0;
  sc_core::sc_event* wake = nullptr;
  bool third_ran = false;
  void look(int) {
    seen_steps = *steps;
    seen_at = now_ps();
  }
  void second(int) {
    seen_at = now_ps();
    Lookahead::notify(*wake);
  }
  void third(int) { third_ran = true; }
};

TEST(Lookahead, AnActionDueMidwayStopsTheThreadThere) {
  // The thread charges 1 us steps; an action at 5.5 us must find exactly 5 steps done, as it
  // would if every step were a kernel wait.
  int steps = 0;
  Probe p;
  p.steps = &steps;
  p.q.at<&Probe::look>(5500 * kNs, &p, 0);
  Lookahead::spawn_thread([&] {
    for (int i = 0; i < 10; ++i) {
      Lookahead::wait_for(kUs);
      ++steps;
    }
  });
  Lookahead::run();
  EXPECT_EQ(p.seen_at, 5500 * kNs);
  EXPECT_EQ(p.seen_steps, 5);
  EXPECT_EQ(steps, 10);
}

TEST(Lookahead, AWokenThreadRunsAtTheNotifyingActionsTimeBeforeTheCalendarsNextStep) {
  // Actions at 2 and 3 us with nothing else due run ahead; the one at 2 us wakes a thread,
  // which must run at 2 us and before the action at 3 us, as it would without lookahead.
  sc_core::sc_event wake;
  Probe p;
  p.wake = &wake;
  Picos woke_at = 0;
  bool later_done_when_woken = true;
  p.q.at<&Probe::second>(2 * kUs, &p, 0);
  p.q.at<&Probe::third>(3 * kUs, &p, 0);
  Lookahead::spawn_thread([&] {
    Lookahead::wait_on(wake);
    woke_at = now_ps();
    later_done_when_woken = p.third_ran;
  });
  Lookahead::run();
  EXPECT_EQ(woke_at, 2 * kUs);
  EXPECT_FALSE(later_done_when_woken) << "the 3 us action ran before the 2 us wake-up";
  EXPECT_TRUE(p.third_ran);
  EXPECT_EQ(kernel_now_ps(), 3 * kUs);
}

struct Ticker {
  ActionQueue q;
  const int* steps = nullptr;
  std::vector<std::pair<Picos, int>> seen;  // (time, thread steps done) per action
  void look(int) { seen.emplace_back(now_ps(), *steps); }
};

// A thread charges ten 1 us steps; an action falls in the middle of each step.
void run_thread_across_actions(bool lookahead, Ticker& t, int& steps, std::uint64_t& deltas) {
  Lookahead::allow(lookahead);
  t.steps = &steps;
  for (int i = 0; i < 10; ++i) t.q.at<&Ticker::look>(i * kUs + 500 * kNs, &t, 0);
  Lookahead::spawn_thread([&] {
    for (int i = 0; i < 10; ++i) {
      Lookahead::wait_for(kUs);
      ++steps;
    }
  });
  Lookahead::run();
  deltas = sc_core::sc_delta_count();
}

TEST(Lookahead, AThreadWaitingPastCalendarActionsRunsThemAtTheirTimesWithoutTheKernel) {
  Ticker t;
  int steps = 0;
  std::uint64_t deltas = 0;
  run_thread_across_actions(true, t, steps, deltas);
  ASSERT_EQ(t.seen.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(t.seen[i].first, i * kUs + 500 * kNs) << "action " << i;
    EXPECT_EQ(t.seen[i].second, i) << "action " << i << " saw the thread's steps so far";
  }
  EXPECT_EQ(steps, 10);
  EXPECT_EQ(kernel_now_ps(), 10 * kUs);
  EXPECT_LT(deltas, 5u) << "the thread ran the actions itself: no switch to the calendar each";
}

TEST(Lookahead, OffAThreadAndTheCalendarTakeTurnsInTheKernel) {
  Ticker t;
  int steps = 0;
  std::uint64_t deltas = 0;
  run_thread_across_actions(false, t, steps, deltas);
  ASSERT_EQ(t.seen.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(t.seen[i].second, i);
  EXPECT_GE(deltas, 20u);
}

TEST(Lookahead, AnActionAThreadRunsThatWakesItEndsTheThreadsWaitThere) {
  // The thread waits up to 10 us or for `wake`; the action at 4 us notifies it. Even if the
  // thread runs the action itself, it wakes at 4 us, not 10.
  sc_core::sc_event wake;
  Probe p;
  p.wake = &wake;
  Picos woke_at = 0;
  p.q.at<&Probe::second>(4 * kUs, &p, 0);
  Lookahead::spawn_thread([&] {
    Lookahead::wait_for(kUs);
    Lookahead::wait_for_or(9 * kUs, wake);
    woke_at = now_ps();
  });
  Lookahead::run();
  EXPECT_EQ(p.seen_at, 4 * kUs);
  EXPECT_EQ(woke_at, 4 * kUs);
}

TEST(Lookahead, AnActionAThreadAheadSchedulesStillRunsWhenTheThreadThenWaitsOnAnEvent) {
  // The thread runs ahead to 2 us, schedules an action for 2.5 us (its wake-up is kept out of
  // the kernel while the thread runs ahead) and then waits for the event that action notifies:
  // handing control to the kernel must give it the calendar's wake-up, or nothing would run.
  sc_core::sc_event wake;
  Probe p;
  p.wake = &wake;
  Picos woke_at = 0;
  Lookahead::spawn_thread([&] {
    Lookahead::wait_for(kUs);
    Lookahead::wait_for(kUs);
    p.q.at<&Probe::second>(now_ps() + 500 * kNs, &p, 0);
    Lookahead::wait_on(wake);
    woke_at = now_ps();
  });
  Lookahead::run();
  EXPECT_EQ(p.seen_at, 2500 * kNs);
  EXPECT_EQ(woke_at, 2500 * kNs);
}

TEST(Lookahead, AnActionAThreadAheadSchedulesStopsItsNextWaitThere) {
  // Each step the thread schedules an action half way through its next step: the action must
  // see exactly the steps done before it, as with every wait in the kernel.
  Ticker t;
  int steps = 0;
  t.steps = &steps;
  Lookahead::spawn_thread([&] {
    for (int i = 0; i < 10; ++i) {
      t.q.at<&Ticker::look>(now_ps() + 500 * kNs, &t, 0);
      Lookahead::wait_for(kUs);
      ++steps;
    }
  });
  Lookahead::run();
  ASSERT_EQ(t.seen.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(t.seen[i].first, i * kUs + 500 * kNs) << "action " << i;
    EXPECT_EQ(t.seen[i].second, i) << "action " << i;
  }
  EXPECT_LT(sc_core::sc_delta_count(), 5u) << "the thread ran the actions it scheduled itself";
}

TEST(Lookahead, ABoundedRunStopsAtItsEnd) {
  // sc_start(duration)'s end bounds lookahead: a thread charging 1 us steps stops at 5 us.
  int steps = 0;
  Lookahead::spawn_thread([&] {
    for (int i = 0; i < 10; ++i) {
      Lookahead::wait_for(kUs);
      ++steps;
    }
  });
  Lookahead::run_for(sc_core::sc_time(5500, sc_core::SC_NS));
  EXPECT_EQ(steps, 5);
  EXPECT_EQ(now_ps(), 5500 * kNs);
  Lookahead::run();
  EXPECT_EQ(steps, 10);
  EXPECT_EQ(now_ps(), 10 * kUs);
}

}  // namespace
}  // namespace hcasim
