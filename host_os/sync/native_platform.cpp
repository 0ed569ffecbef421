// The slow paths of the native platform: spinning on a held lock, and the futex calls.
#include "host_os/sync/native_platform.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <thread>

namespace hcasim::sync {
namespace {

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// std::atomic<std::uint32_t> is a plain lock-free 32-bit word: the futex syscall can use it.
std::uint32_t* futex_address(std::atomic<std::uint32_t>& word) {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
  return reinterpret_cast<std::uint32_t*>(&word);
}

}  // namespace

void NativePlatform::lock_contended(SpinLock& l) {
  // Spins are bounded before yielding: with more threads than cores the holder may have been
  // preempted, and spinning for a whole time slice would only delay it.
  constexpr unsigned kSpinsBeforeYield = 128;
  unsigned spins = 0;
  for (;;) {
    while (l.locked_.load(std::memory_order_relaxed) != 0) {
      cpu_relax();
      if (++spins == kSpinsBeforeYield) {
        spins = 0;
        std::this_thread::yield();
      }
    }
    if (l.locked_.exchange(1, std::memory_order_acquire) == 0) return;
  }
}

void NativePlatform::sleep_while_equal(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  // Returns at once (EAGAIN) if the word already moved on; EINTR and spurious wake-ups are fine
  // because the caller re-checks its predicate under the lock.
  syscall(SYS_futex, futex_address(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void NativePlatform::wake_all(std::atomic<std::uint32_t>& word) {
  syscall(SYS_futex, futex_address(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

std::size_t NativePlatform::default_slots() {
  const unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

}  // namespace hcasim::sync
