#pragma once
// Credits on their way back to a transmitter (flow-control packets in flight), kept in order of
// arrival on a ring that only grows (doubling): no allocation once it has its working size, and
// taking the returns that have arrived is a walk from the oldest, without compacting anything.
// A FabricPort keeps one per virtual lane and takes them in lazily (fabric_port.hpp).
#include <cstdint>
#include <vector>

#include "models/core/sim_time.hpp"

namespace hcasim {

class CreditReturns {
 public:
  // `blocks` arrive at `at`. Returns true if this return is now the earliest in flight.
  // Returns almost always arrive in the order they are made: it is appended, and moved back
  // only past later ones (a return dated ahead of time can overtake them).
  bool add(Picos at, std::uint32_t blocks) {
    if (size_ == ring_.size()) grow();
    std::size_t i = size_++;
    while (i > 0 && slot(i - 1).at > at) {
      slot(i) = slot(i - 1);
      --i;
    }
    slot(i) = Return{at, blocks};
    return i == 0;
  }
  bool empty() const { return size_ == 0; }
  // Whether any return has arrived by `now` (the cheap test before take_due).
  bool due(Picos now) const { return size_ != 0 && ring_[head_].at <= now; }
  Picos earliest() const { return ring_[head_].at; }
  Picos latest() const { return slot(size_ - 1).at; }
  // Takes every return that has arrived by `now`: their blocks, and how many there were.
  std::uint32_t take_due(Picos now, std::uint64_t& count) {
    std::uint32_t blocks = 0;
    while (size_ != 0 && ring_[head_].at <= now) {
      blocks += ring_[head_].blocks;
      head_ = (head_ + 1) & (ring_.size() - 1);
      --size_;
      ++count;
    }
    return blocks;
  }
  // The blocks of the returns that have arrived by `now`, leaving them in flight.
  std::uint32_t due_blocks(Picos now) const {
    std::uint32_t blocks = 0;
    for (std::size_t i = 0; i < size_ && slot(i).at <= now; ++i) blocks += slot(i).blocks;
    return blocks;
  }

 private:
  struct Return {
    Picos at;
    std::uint32_t blocks;
  };
  Return& slot(std::size_t i) { return ring_[(head_ + i) & (ring_.size() - 1)]; }
  const Return& slot(std::size_t i) const { return ring_[(head_ + i) & (ring_.size() - 1)]; }
  void grow() {
    std::vector<Return> bigger(ring_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = slot(i);
    ring_.swap(bigger);
    head_ = 0;
  }

  std::vector<Return> ring_ = std::vector<Return>(8);  // a power of two
  std::size_t head_ = 0, size_ = 0;
};

}  // namespace hcasim
