#pragma once
// Buffer space known to free at a later time, counted lazily. A switch input holds a packet
// until its last bit has left through the output, which is known the moment the packet is
// committed to the output's wire; instead of an action at that time, the free is noted with its
// time and taken when the buffer is next looked at (the next head on the input). So a packet
// costs the switch one action (its head), not two.
//
// Order: the calendar runs actions due at the same picosecond in the order they were scheduled.
// A free that falls due in the very picosecond a head is looked at counts for that head only if
// the free became known (its packet was committed) before the head's action was scheduled, as an
// action for the free would have run. So each free and each head carries a number from one
// counter, taken at those two moments, and a free due at a head's picosecond counts as done only
// if its number is the smaller: the buffer's occupancy and its high-water mark are exactly what
// one action per free would give.
#include <cstdint>
#include <vector>

#include "models/core/sim_time.hpp"

namespace hcasim {

class DatedFrees {
 public:
  // `blocks` free at `at`; `order` is the free's place among same-picosecond events.
  void add(Picos at, std::uint64_t order, std::uint32_t blocks) {
    // Frees come almost always in time order (one output): append, and move back otherwise.
    std::size_t i = items_.size();
    items_.push_back(Free{at, order, blocks});
    while (i > head_ && items_[i - 1].at > at) {
      std::swap(items_[i - 1], items_[i]);
      --i;
    }
  }
  // Takes every free due before (`now`, `order`): earlier, or at `now` with a smaller order.
  // Returns their blocks.
  std::uint32_t take_due(Picos now, std::uint64_t order) {
    std::uint32_t blocks = 0;
    while (head_ < items_.size() &&
           (items_[head_].at < now || (items_[head_].at == now && items_[head_].order < order)))
      blocks += items_[head_++].blocks;
    if (head_ == items_.size()) {
      items_.clear();  // keeps capacity: no allocation in steady state
      head_ = 0;
    }
    return blocks;
  }
  bool empty() const { return head_ == items_.size(); }

 private:
  struct Free {
    Picos at;
    std::uint64_t order;
    std::uint32_t blocks;
  };
  std::vector<Free> items_;  // [head_, end) not yet taken, ordered by time (then by order)
  std::size_t head_ = 0;
};

}  // namespace hcasim
