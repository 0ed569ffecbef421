#pragma once
// Entries in (time, order made) order: the calendar's actions due far ahead (beside its bucket
// ring, time_bucket_queue.hpp) and the trace's held changes. The heap moves only 16-byte keys
// (the sifts move little); each entry waits in a slot of its own, reused once taken, so nothing
// allocates once the working size is reached. Entries due at the same time come out in the order
// they were put in, which keeps runs deterministic.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "models/core/sim_time.hpp"

namespace hcasim {

template <class T>
class TimeOrderedSlots {
 public:
  void reserve(std::size_t n) {
    heap_.reserve(n);
    values_.reserve(n);
    free_.reserve(n);
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  Picos front_time() const { return heap_.front().t; }

  // Adds `v`, due at `t`; true if it is now the earliest entry.
  bool push(Picos t, const T& v) {
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(values_.size());
      if (slot > kSlotMask || seq_ > kMaxSeq)
        throw std::length_error("more than 2^24 entries pending or 2^40 made in one run");
      values_.push_back(v);
    } else {
      slot = free_.back();
      free_.pop_back();
      values_[slot] = v;
    }
    const Key key{t, (seq_++ << kSlotBits) | slot};
    heap_.push_back(key);
    sift_up(heap_.size() - 1);
    return heap_.front().order == key.order;
  }
  // Takes the earliest entry out; its time goes to `t`.
  T pop(Picos& t) {
    const Key k = heap_.front();
    pop_front();
    const auto slot = static_cast<std::uint32_t>(k.order & kSlotMask);
    free_.push_back(slot);
    t = k.t;
    return values_[slot];
  }

 private:
  static constexpr unsigned kSlotBits = 24;
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
  static constexpr std::uint64_t kMaxSeq = (std::uint64_t{1} << (64 - kSlotBits)) - 1;
  struct Key {
    Picos t;
    std::uint64_t order;  // sequence number << kSlotBits | slot
    bool before(const Key& o) const { return t != o.t ? t < o.t : order < o.order; }
  };

  // Both sifts move a hole instead of swapping: each level copies one key, not three.
  void sift_up(std::size_t i) {
    const Key key = heap_[i];
    while (i > 0) {
      const std::size_t p = (i - 1) / 2;
      if (!key.before(heap_[p])) break;
      heap_[i] = heap_[p];
      i = p;
    }
    heap_[i] = key;
  }
  void pop_front() {
    const Key last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return;
    std::size_t i = 0;
    for (;;) {
      std::size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && heap_[c + 1].before(heap_[c])) ++c;
      if (!heap_[c].before(last)) break;
      heap_[i] = heap_[c];
      i = c;
    }
    heap_[i] = last;
  }

  std::vector<Key> heap_;
  std::vector<T> values_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
};

}  // namespace hcasim
