#include "traces/worker_thread.hpp"

#include <pthread.h>

#include <csignal>
#include <utility>

namespace hcasim {

WorkerThread::WorkerThread(std::function<void()> job) : job_(std::move(job)) {
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
    wake_.wait(lock, [&] { return !has_work_; });
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void WorkerThread::submit() {
  wait();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    has_work_ = true;
  }
  wake_.notify_all();
}

void WorkerThread::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait(lock, [&] { return !has_work_; });
  if (error_) {
    std::exception_ptr error = std::exchange(error_, nullptr);
    std::rethrow_exception(error);
  }
}

void WorkerThread::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return has_work_ || stop_; });
    if (!has_work_) return;  // stopped
    lock.unlock();
    std::exception_ptr error;
    try {
      job_();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    error_ = error;
    has_work_ = false;
    wake_.notify_all();
  }
}

}  // namespace hcasim
