#pragma once
// One background thread that runs one job at a time for the simulation's thread: submit()
// starts the job (once the one before is done), wait() waits for it and rethrows what it threw.
// The trace writers use it to format, compress and write while the simulation runs on.
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
  explicit WorkerThread(std::function<void()> job);
  // Waits for the job in progress (its exception, if any, is dropped), then ends the thread.
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // Waits for the job before (rethrowing its exception), then starts the job again.
  void submit();
  // Waits until no job runs; rethrows the exception of the last one, once.
  void wait();

 private:
  void loop();

  std::function<void()> job_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool has_work_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace hcasim
