#pragma once
// A shared resource modelled by explicit occupancy: a request that arrives while the resource
// is busy waits until it frees. Queueing delay and utilization follow by themselves.
#include <algorithm>
#include <cstdint>

#include "models/core/sim_time.hpp"

namespace hcasim {

class BusyResource {
 public:
  // Occupies the resource for `duration` starting no earlier than `earliest`; returns the start.
  Picos reserve(Picos earliest, Picos duration) {
    const Picos start = std::max(earliest, busy_until_);
    waited_ps_ += start - earliest;
    busy_ps_ += duration;
    busy_until_ = start + duration;
    ++uses_;
    return start;
  }
  Picos busy_until() const { return busy_until_; }
  Picos busy_ps() const { return busy_ps_; }
  Picos waited_ps() const { return waited_ps_; }
  std::uint64_t uses() const { return uses_; }

 private:
  Picos busy_until_ = 0;
  Picos busy_ps_ = 0;
  Picos waited_ps_ = 0;
  std::uint64_t uses_ = 0;
};

}  // namespace hcasim
