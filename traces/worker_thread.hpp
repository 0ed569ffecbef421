#pragma once
// One background thread that runs a job for the simulation's thread, again each time it is
// submitted: submit() queues one more run (up to `depth` may be queued or running at once),
// wait() waits until all have run and rethrows what one threw. The trace writers use it to
// order, format, compress and write while the simulation runs on.
//
// design decision: a queue deeper than one lets the thread that sets the pace never wait for
// the other to wake up. With one run at a time, a busy worker that finished its run slept until
// the simulation's thread, itself asleep in submit(), had woken, handed over and woken it in
// turn: two wake-ups per hand-over, which on the 2-core virtual machine cost the worker 8 % of
// a traced run (docs/performance.md).
//
// design decision: the thread takes no signals, so SIGINT and SIGTERM always reach the
// simulation's thread, where the run's interrupt handling (and its blocking of them while the
// outputs are committed) expects them.
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace hcasim {

class WorkerThread {
 public:
  // `depth` (>= 1): how many runs may be queued or running at once.
  explicit WorkerThread(std::function<void()> job, unsigned depth = 1);
  // Waits for the runs queued (an exception is dropped), then ends the thread.
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // Waits until fewer than `depth` runs are queued or running, rethrows the exception a run
  // threw (once), then queues one more run. The runs happen in order, one after the other.
  void submit();
  // Waits until no run is queued or running; rethrows the exception a run threw, once. When
  // several threw before it was taken, the first one.
  void wait();

 private:
  void loop();

  std::function<void()> job_;
  std::mutex mutex_;
  std::condition_variable wake_;
  const unsigned depth_;
  unsigned queued_ = 0;  // runs submitted and not yet finished
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace hcasim
