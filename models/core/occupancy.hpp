#pragma once
// A shared resource modelled by explicit occupancy: a request that arrives while the resource
// is busy waits until it frees. Queueing delay and utilization follow by themselves.
#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "models/core/sim_time.hpp"
#include "models/core/trace_labels.hpp"
#include "models/core/trace_source.hpp"

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

// A BusyResource whose busy/idle periods appear in the trace. The periods are known when
// reserved, so they are reported ahead of time (set_at) and cost no events. Without op labels
// the signal is "<stage>_busy" (0/1); with them it is the enum "<stage>_op", naming what the
// stage works on (value 0, the first label, while idle), which says all that a busy bit would
// (one signal, so one trace change per edge, not two). Best from an enum E that defines its
// labels (models/core/trace_labels.hpp), attach<E>() and reserve(..., E::kValue).
class TracedResource : public BusyResource {
 public:
  void attach(TraceSink* sink, const std::string& stage,
              const std::vector<std::string>& op_labels = {}) {
    if (op_labels.empty())
      signal_.attach(sink, stage + "_busy", 1);
    else
      signal_.attach_enum(sink, stage + "_op", op_labels);
  }
  template <class E>
  void attach(TraceSink* sink, const std::string& stage) {
    attach(sink, stage, label_list<E>());
  }
  template <class E, class = std::enable_if_t<std::is_enum_v<E>>>
  Picos reserve(Picos earliest, Picos duration, E op) {
    return reserve(earliest, duration, static_cast<std::uint64_t>(op));
  }
  Picos reserve(Picos earliest, Picos duration, std::uint64_t op = 1) {
    const Picos start = BusyResource::reserve(earliest, duration);
    if (duration) {
      signal_.set_at(start, op);
      signal_.set_at(start + duration, 0);
    }
    return start;
  }

 private:
  TracedInt signal_;  // "<stage>_busy" (0/1), or "<stage>_op" with op labels (0: idle)
};

}  // namespace hcasim
