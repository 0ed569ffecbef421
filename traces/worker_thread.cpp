#include "traces/worker_thread.hpp"

#include <pthread.h>

#include <csignal>
#include <utility>

namespace hcasim {

WorkerThread::WorkerThread(std::function<void()> job, unsigned depth)
    : job_(std::move(job)), depth_(depth < 1 ? 1 : depth) {
  // The thread inherits the signal mask in place when it starts: all blocked.
  sigset_t all;
  sigset_t before;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &before);
  try {
    thread_ = std::thread(&WorkerThread::loop, this);
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
    throw;
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

WorkerThread::~WorkerThread() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return queued_ == 0; });
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WorkerThread::submit() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return queued_ < depth_; });
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    ++queued_;
  }
  wake_.notify_all();
}

void WorkerThread::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait(lock, [&] { return queued_ == 0; });
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void WorkerThread::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return queued_ != 0 || stop_; });
    if (queued_ == 0) return;  // stopped
    lock.unlock();
    std::exception_ptr error;
    try {
      job_();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (error && !error_) error_ = error;  // the first one is the cause; the rest follow from it
    --queued_;
    wake_.notify_all();
  }
}

}  // namespace hcasim
