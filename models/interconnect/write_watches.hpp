#pragma once
// The ranges of host memory whose DMA writes someone wants to hear about when they land
// (completion and event queue rings, a perftest buffer), kept sorted by address: a landing
// write looks only at the ranges that start close enough before it to reach it, not at all of
// them (an adapter with 64 queue pairs has well over a hundred rings watched).
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace hcasim {

template <class Observer>
class WriteWatches {
 public:
  void add(std::uint64_t addr, std::uint64_t len, Observer* observer) {
    if (len == 0) return;  // design decision: an empty range watches nothing
    const Entry entry{addr, addr + len, static_cast<std::uint32_t>(in_added_order_.size()),
                      observer};
    in_added_order_.push_back(entry);
    const auto at = std::upper_bound(by_addr_.begin(), by_addr_.end(), addr,
                                     [](std::uint64_t a, const Entry& e) { return a < e.addr; });
    by_addr_.insert(at, entry);
    longest_ = std::max(longest_, len);
  }

  // Whether the write of [addr, addr + len) touches any range.
  bool touches(std::uint64_t addr, std::uint64_t len) const {
    const std::uint64_t end = addr + len;
    if (in_added_order_.size() <= kScanAll) {
      for (const Entry& e : in_added_order_)
        if (e.end > addr && e.addr < end) return true;
      return false;
    }
    const auto [first, last] = candidates(addr, end);
    for (auto it = first; it != last; ++it)
      if (it->end > addr) return true;
    return false;
  }

  // Calls `call(observer)` for every range that the write of [addr, addr + len) touches, in the
  // order the ranges were added.
  template <class Call>
  void for_each_touched(std::uint64_t addr, std::uint64_t len, Call&& call) const {
    const std::uint64_t end = addr + len;
    if (in_added_order_.size() <= kScanAll) {
      for (const Entry& e : in_added_order_)
        if (e.end > addr && e.addr < end) call(e.observer);
      return;
    }
    const auto [first, last] = candidates(addr, end);
    // Touched ranges in address order are almost always in the order they were added (one range,
    // or rings allocated one after another); only ranges that overlap each other may not be.
    bool in_added_order = true;
    const Entry* previous = nullptr;
    for (auto it = first; it != last; ++it) {
      if (it->end <= addr) continue;
      if (previous && it->added < previous->added) in_added_order = false;
      previous = &*it;
    }
    if (in_added_order) {
      for (auto it = first; it != last; ++it)
        if (it->end > addr) call(it->observer);
      return;
    }
    // design decision: a write touching ranges that overlap each other tells them in the order
    // they were added, as a single list would; picking each next one is quadratic, but rare.
    std::uint32_t after = 0;
    bool any = false;
    for (;;) {
      const Entry* next = nullptr;
      for (auto it = first; it != last; ++it) {
        if (it->end <= addr || (any && it->added <= after)) continue;
        if (!next || it->added < next->added) next = &*it;
      }
      if (!next) return;
      call(next->observer);
      after = next->added;
      any = true;
    }
  }

 private:
  struct Entry {
    std::uint64_t addr, end;
    std::uint32_t added;  // rank in the order the ranges were added
    Observer* observer;
  };
  static bool starts_before(const Entry& e, std::uint64_t addr) { return e.addr < addr; }
  using Iter = typename std::vector<Entry>::const_iterator;
  // The ranges (by address) that may touch [addr, end): those starting before `end` and late
  // enough to reach `addr`. No range is longer than longest_: one that starts at or before
  // addr - longest_ ends by addr.
  std::pair<Iter, Iter> candidates(std::uint64_t addr, std::uint64_t end) const {
    const std::uint64_t from = addr >= longest_ ? addr - longest_ + 1 : 0;
    const auto first = std::lower_bound(by_addr_.begin(), by_addr_.end(), from, starts_before);
    return {first, std::lower_bound(first, by_addr_.end(), end, starts_before)};
  }

  // Up to this many ranges (an adapter with a queue pair or two), looking at each one costs
  // less than the two binary searches.
  static constexpr std::size_t kScanAll = 8;

  std::vector<Entry> in_added_order_;
  std::vector<Entry> by_addr_;  // by start address; equal starts in the order added
  std::uint64_t longest_ = 0;
};

}  // namespace hcasim
