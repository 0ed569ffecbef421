#pragma once
// One monitored-WQ list of the completion service: WQ id -> the owner's callback, an
// open-addressing hash table (linear probing, backward-shift deletion). Lookups never allocate;
// insert grows the table (doubling) when it would become more than half full, which the service
// only ever does inside an update. Not synchronized: the service's guard orders the updates
// (insert, erase) against the lookups (checks).
#include <cstdint>
#include <utility>
#include <vector>

namespace hcasim::cq {

template <class Callback>
class WqTable {
 public:
  explicit WqTable(std::uint32_t initial) { resize(capacity_for(initial)); }

  // The callback of `wq`, or null when it is not in the list.
  const Callback* find(std::uint32_t wq) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(wq);; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.wq == wq) return &s.callback;
    }
  }

  // False (nothing changed) when `wq` is already in the list.
  bool insert(std::uint32_t wq, Callback callback) {
    if (find(wq)) return false;
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(wq, std::move(callback));
    ++size_;
    return true;
  }

  // False when `wq` was not in the list.
  bool erase(std::uint32_t wq) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = home(wq);
    for (;; i = (i + 1) & mask) {
      if (!slots_[i].used) return false;
      if (slots_[i].wq == wq) break;
    }
    // Backward shift: pull later entries of the probe run into the hole, so lookups never
    // need tombstones.
    for (std::size_t j = (i + 1) & mask; slots_[j].used; j = (j + 1) & mask) {
      const std::size_t k = home(slots_[j].wq);
      const bool k_in_hole_to_j = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (k_in_hole_to_j) continue;  // already as close to its home as it can be
      slots_[i] = std::move(slots_[j]);
      i = j;
    }
    slots_[i] = Slot{};
    --size_;
    return true;
  }

  void clear() {
    for (Slot& s : slots_) s = Slot{};
    size_ = 0;
  }

  std::uint32_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }

 private:
  struct Slot {
    std::uint32_t wq = 0;
    bool used = false;
    Callback callback{};
  };

  static std::size_t capacity_for(std::uint32_t n) {
    std::size_t c = 8;
    while (c < std::size_t{n} * 2) c *= 2;
    return c;
  }
  // Fibonacci hashing (the top bits of the product): WQ numbers are often dense, the multiply
  // spreads them over the table.
  std::size_t home(std::uint32_t wq) const {
    return static_cast<std::size_t>((std::uint64_t{wq} * 0x9E3779B97F4A7C15u) >> shift_);
  }
  void resize(std::size_t capacity) {
    slots_.clear();
    slots_.resize(capacity);
    shift_ = 64;
    for (std::size_t c = capacity; c > 1; c /= 2) --shift_;
  }
  void place(std::uint32_t wq, Callback callback) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = home(wq);
    while (slots_[i].used) i = (i + 1) & mask;
    slots_[i].wq = wq;
    slots_[i].used = true;
    slots_[i].callback = std::move(callback);
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    resize(old.size() * 2);
    for (Slot& s : old)
      if (s.used) place(s.wq, std::move(s.callback));
  }

  std::vector<Slot> slots_;  // a power of two in size, at most half full
  unsigned shift_ = 64;      // 64 - log2(capacity)
  std::uint32_t size_ = 0;
};

}  // namespace hcasim::cq
