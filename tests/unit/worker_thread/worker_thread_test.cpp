// WorkerThread: runs happen once per submit, in order, never more than `depth` at once; an
// exception comes back to the submitting thread; the destructor waits for the runs queued.
#include "traces/worker_thread.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace hcasim {
namespace {

// A job the test holds up until it lets it go, one run at a time.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  int allowed = 0;  // runs that may finish
  int started = 0;
  int finished = 0;
  void run() {
    std::unique_lock<std::mutex> lock(m);
    ++started;
    cv.notify_all();
    cv.wait(lock, [&] { return finished < allowed; });
    ++finished;
    cv.notify_all();
  }
  void allow(int n) {
    std::lock_guard<std::mutex> lock(m);
    allowed += n;
    cv.notify_all();
  }
  void wait_started(int n) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return started >= n; });
  }
};

// Submits from another thread while the gate holds every run: the submit must wait (nothing
// finished, so it cannot be queued) until `allow` runs are let through.
void expect_submit_waits_for_a_finished_run(WorkerThread& worker, Gate& gate, int allow) {
  std::atomic<bool> queued{false};
  std::thread submitter([&] {
    worker.submit();
    queued = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(queued.load());
  gate.allow(allow);
  submitter.join();
  EXPECT_TRUE(queued.load());
}

TEST(WorkerThread, EverySubmitIsOneRunInOrder) {
  std::vector<int> seen;
  int next = 0;
  std::vector<int> submitted;
  WorkerThread worker([&] { seen.push_back(next++); }, 3);
  for (int i = 0; i < 1000; ++i) {
    submitted.push_back(i);
    worker.submit();
  }
  worker.wait();
  EXPECT_EQ(seen, submitted);
}

TEST(WorkerThread, SubmitWaitsWhileDepthRunsAreQueued) {
  Gate gate;
  WorkerThread worker([&] { gate.run(); }, 3);
  worker.submit();
  worker.submit();
  worker.submit();  // three queued (one running, held at the gate): the depth is reached
  gate.wait_started(1);
  // The fourth waits for room until the first run finishes.
  expect_submit_waits_for_a_finished_run(worker, gate, 1);
  gate.allow(3);
  worker.wait();
  EXPECT_EQ(gate.finished, 4);
}

TEST(WorkerThread, DepthOneRunsOneAtATime) {
  Gate gate;
  WorkerThread worker([&] { gate.run(); });
  worker.submit();
  gate.wait_started(1);
  expect_submit_waits_for_a_finished_run(worker, gate, 2);
  worker.wait();
  EXPECT_EQ(gate.finished, 2);
}

TEST(WorkerThread, AnExceptionComesBackOnceTheFirstOneWhenSeveralThrew) {
  Gate gate;  // holds the first run until all three are queued, so no submit sees an error
  int run = 0;
  WorkerThread worker(
      [&] {
        ++run;
        if (run == 1) gate.run();
        if (run == 2) throw std::runtime_error("second");
        if (run == 3) throw std::logic_error("third");
      },
      3);
  worker.submit();
  worker.submit();
  worker.submit();
  gate.allow(1);
  EXPECT_THROW(worker.wait(), std::runtime_error);  // the first to throw; the third's follows it
  EXPECT_NO_THROW(worker.wait());                   // taken once
  worker.submit();                                  // the worker goes on afterwards
  worker.wait();
  EXPECT_EQ(run, 4);
}

TEST(WorkerThread, AnExceptionComesBackFromTheNextSubmitThatWaits) {
  int runs = 0;
  WorkerThread worker(
      [&] {
        if (++runs == 1) throw std::runtime_error("failed");
      },
      1);
  worker.submit();
  EXPECT_THROW(worker.submit(), std::runtime_error);  // waited for the first run: not queued
  EXPECT_NO_THROW(worker.wait());
  EXPECT_EQ(runs, 1);
}

TEST(WorkerThread, TheDestructorWaitsForTheRunsQueued) {
  std::atomic<int> runs{0};
  {
    WorkerThread worker(
        [&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          ++runs;
        },
        4);
    for (int i = 0; i < 4; ++i) worker.submit();
  }
  EXPECT_EQ(runs.load(), 4);
}

}  // namespace
}  // namespace hcasim
