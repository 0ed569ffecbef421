#pragma once
// The native platform: real threads, std::atomic words, a test-and-test-and-set spin lock and
// futex-based waits (a waiter sleeps in the kernel, it never busy-loops). Models the concept in
// platform.hpp; the algorithms run on it as a real library.
//
// design decision: the native platform cannot know which CPU a thread runs on at every instant
// (threads migrate), so a context carries a slot number its thread chooses once (e.g. its
// index) for per-CPU guards; slot() takes it modulo slot_count(). A default context uses slot 0:
// correct under any guard, only not spread over CPUs.
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "host_os/sync/platform.hpp"

namespace hcasim::sync {

class NativePlatform {
 public:
  struct Context {
    std::size_t slot = 0;  // the caller's per-CPU slot (any stable number per thread)
  };

  // `slots`: per-CPU slots of the per-CPU guards (default: the hardware threads).
  NativePlatform() : NativePlatform(default_slots()) {}
  explicit NativePlatform(std::size_t slots) : slots_(slots ? slots : 1) {}

  class Word {
   public:
    Word() = default;
    explicit Word(std::uint64_t initial) : value_(initial) {}
    Word(const Word&) = delete;
    Word& operator=(const Word&) = delete;

   private:
    friend class NativePlatform;
    std::atomic<std::uint64_t> value_{0};
  };

  class SpinLock {
   public:
    SpinLock() = default;
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;

   private:
    friend class NativePlatform;
    std::atomic<std::uint32_t> locked_{0};
  };

  class WaitQueue {
   public:
    WaitQueue() = default;
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

   private:
    friend class NativePlatform;
    // The futex word: bumped by every notify, so a waiter that took its ticket before the
    // notify does not sleep (the kernel compares the value atomically with going to sleep).
    std::atomic<std::uint32_t> sequence_{0};
    // Waiters registered under the spin lock; lets notify_all skip the syscall when zero.
    std::atomic<std::uint32_t> waiters_{0};
  };

  std::uint64_t load(Context&, Word& w, std::memory_order mo) { return w.value_.load(mo); }
  void store(Context&, Word& w, std::uint64_t v, std::memory_order mo) { w.value_.store(v, mo); }
  std::uint64_t fetch_add(Context&, Word& w, std::uint64_t delta, std::memory_order mo) {
    return w.value_.fetch_add(delta, mo);
  }
  bool compare_exchange(Context&, Word& w, std::uint64_t& expected, std::uint64_t desired,
                        std::memory_order mo) {
    return w.value_.compare_exchange_strong(expected, desired, mo);
  }
  std::uint64_t peek(const Word& w) const { return w.value_.load(std::memory_order_relaxed); }

  void lock(Context&, SpinLock& l) {
    // Test first, so a contended line is read-shared rather than bounced by failed exchanges.
    if (l.locked_.load(std::memory_order_relaxed) == 0 &&
        l.locked_.exchange(1, std::memory_order_acquire) == 0) {
      return;
    }
    lock_contended(l);
  }
  void unlock(Context&, SpinLock& l) { l.locked_.store(0, std::memory_order_release); }

  template <class Ready>
  void wait(Context& c, WaitQueue& q, SpinLock& l, Ready&& ready) {
    while (!ready()) {
      q.waiters_.fetch_add(1, std::memory_order_relaxed);
      const std::uint32_t ticket = q.sequence_.load(std::memory_order_relaxed);
      unlock(c, l);
      sleep_while_equal(q.sequence_, ticket);
      lock(c, l);
      q.waiters_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  void notify_all(Context&, WaitQueue& q) {
    q.sequence_.fetch_add(1, std::memory_order_release);
    if (q.waiters_.load(std::memory_order_relaxed) != 0) wake_all(q.sequence_);
  }

  void cost(Context&, std::uint64_t) {}

  std::size_t slot_count() const { return slots_; }
  std::size_t slot(const Context& c) const { return c.slot % slots_; }

 private:
  static void lock_contended(SpinLock& l);
  static void sleep_while_equal(std::atomic<std::uint32_t>& word, std::uint32_t expected);
  static void wake_all(std::atomic<std::uint32_t>& word);
  static std::size_t default_slots();

  std::size_t slots_;
};

static_assert(is_platform_v<NativePlatform>);

}  // namespace hcasim::sync
