#pragma once
// A single-threaded platform for deterministic tests. It counts every modelled access per
// shared object (and per cache line), records which context made it, and runs a scripted
// interleaving: when a caller would block in wait(), the next scripted step runs in its place
// (another "thread" entering, leaving, updating), then the predicate is evaluated again.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

#include "host_os/sync/platform.hpp"

namespace hcasim::sync::testing {

class RecordingPlatform {
 public:
  struct Context {
    int cpu = 0;
  };
  class Word {
   public:
    Word() = default;
    Word(const Word&) = delete;
    Word& operator=(const Word&) = delete;

   private:
    friend class RecordingPlatform;
    std::uint64_t value_ = 0;
  };
  class SpinLock {
   public:
    SpinLock() = default;
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;

   private:
    friend class RecordingPlatform;
    bool held_ = false;
  };
  class WaitQueue {
   public:
    WaitQueue() = default;
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;
  };

  // Per shared object (keyed by address).
  struct Counts {
    std::uint64_t loads = 0, stores = 0, rmws = 0;  // modelled word accesses
    std::uint64_t locks = 0, unlocks = 0;           // spin lock operations
    std::uint64_t blocks = 0, notifies = 0;         // wait queue operations
    std::uint64_t word_accesses() const { return loads + stores + rmws; }
  };

  std::uint64_t load(Context& c, Word& w, std::memory_order) {
    touch(c, &w).loads++;
    return w.value_;
  }
  void store(Context& c, Word& w, std::uint64_t v, std::memory_order) {
    touch(c, &w).stores++;
    w.value_ = v;
  }
  std::uint64_t fetch_add(Context& c, Word& w, std::uint64_t delta, std::memory_order) {
    touch(c, &w).rmws++;
    const std::uint64_t old = w.value_;
    w.value_ += delta;
    return old;
  }
  bool compare_exchange(Context& c, Word& w, std::uint64_t& expected, std::uint64_t desired,
                        std::memory_order) {
    touch(c, &w).rmws++;
    if (w.value_ != expected) {
      expected = w.value_;
      return false;
    }
    w.value_ = desired;
    return true;
  }
  std::uint64_t peek(const Word& w) const { return w.value_; }

  void lock(Context& c, SpinLock& l) {
    touch(c, &l).locks++;
    if (l.held_) throw std::logic_error("spin lock taken twice: would spin forever");
    l.held_ = true;
    ++locks_held_;
  }
  void unlock(Context& c, SpinLock& l) {
    touch(c, &l).unlocks++;
    if (!l.held_) throw std::logic_error("unlock of a free spin lock");
    l.held_ = false;
    --locks_held_;
  }
  // Spin locks currently held: 0 whenever no call is in progress.
  int locks_held() const { return locks_held_; }

  template <class Ready>
  void wait(Context& c, WaitQueue& q, SpinLock& l, Ready&& ready) {
    if (!l.held_) throw std::logic_error("wait without holding the lock");
    while (!ready()) {
      counts_[&q].blocks++;
      unlock(c, l);
      if (script_.empty()) throw std::logic_error("blocked with no scripted step left: deadlock");
      auto step = std::move(script_.front());
      script_.pop_front();
      step();
      lock(c, l);
    }
  }
  void notify_all(Context&, WaitQueue& q) { counts_[&q].notifies++; }
  void cost(Context& c, std::uint64_t cycles) { cycles_[c.cpu] += cycles; }
  // Per-CPU slots (platform.hpp): one per CPU number 0 .. kSlots-1.
  static constexpr std::size_t kSlots = 8;
  std::size_t slot_count() const { return kSlots; }
  std::size_t slot(const Context& c) const { return static_cast<std::size_t>(c.cpu) % kSlots; }

  // The steps that run, in order, each time some caller would block.
  void script(std::function<void()> step) { script_.push_back(std::move(step)); }
  std::size_t script_left() const { return script_.size(); }

  const Counts& counts(const void* object) { return counts_[object]; }
  // Cache lines that modelled word accesses and lock operations touched.
  std::set<std::uintptr_t> lines_touched() const {
    std::set<std::uintptr_t> lines;
    for (const auto& [object, n] : counts_) {
      if (n.word_accesses() + n.locks + n.unlocks != 0) {
        lines.insert(reinterpret_cast<std::uintptr_t>(object) / kCacheLine);
      }
    }
    return lines;
  }
  std::uint64_t total(std::uint64_t Counts::*field) const {
    std::uint64_t sum = 0;
    for (const auto& [object, n] : counts_) sum += n.*field;
    return sum;
  }
  std::uint64_t word_accesses() const {
    return total(&Counts::loads) + total(&Counts::stores) + total(&Counts::rmws);
  }
  // CPUs (contexts) that made accesses.
  const std::set<int>& cpus_seen() const { return cpus_; }
  std::uint64_t cycles(int cpu) { return cycles_[cpu]; }
  void reset_counts() {
    counts_.clear();
    cpus_.clear();
  }

 private:
  Counts& touch(Context& c, const void* object) {
    cpus_.insert(c.cpu);
    return counts_[object];
  }

  std::map<const void*, Counts> counts_;
  std::map<int, std::uint64_t> cycles_;
  std::set<int> cpus_;
  int locks_held_ = 0;
  std::deque<std::function<void()>> script_;
};

static_assert(is_platform_v<RecordingPlatform>);

}  // namespace hcasim::sync::testing
