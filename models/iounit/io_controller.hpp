#pragma once
// The I/O unit's controller CPUs (iou.controllers): the firmware's work on a request is a busy
// period on the CPU that is free first, so requests queue for the controller when it is the
// bottleneck. Periods are known when they are booked, so the trace shows them without events.
#include <cstdint>
#include <string>
#include <vector>

#include "models/core/occupancy.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/stats.hpp"
#include "models/core/trace_source.hpp"

namespace hcasim {

// What a controller CPU works on (the trace signal "<unit>.ctrlN_op").
enum class ControllerWork : std::uint8_t { kIdle, kFrame, kRdmaOp, kDeviceOp, kRecovery };

class IoController {
 public:
  IoController(const std::string& unit, unsigned cpus, TraceSink* trace)
      : cpus_(cpus), stats_(unit) {
    for (unsigned i = 0; i < cpus; ++i) {
      cpus_[i].attach(trace, unit + ".ctrl" + std::to_string(i),
                      {"idle", "frame", "rdma_op", "device_op", "recovery"});
      stats_.busy_share(cpus_[i], ("ctrl" + std::to_string(i) + ".utilization").c_str(),
                        "share of time the controller CPU was busy");
    }
    stats_.formula(
        "ctrl_wait_ns", "ns", "time firmware work waited for a free controller CPU (sum)",
        [this](const StatContext&) { return static_cast<double>(waited_ps()) / 1000.0; });
  }

  // Books `work` on the CPU free first, starting no earlier than `earliest`; returns when the
  // work is done.
  Picos run(Picos earliest, Picos work, ControllerWork what) {
    TracedResource* best = &cpus_.front();
    for (TracedResource& c : cpus_)
      if (c.busy_until() < best->busy_until()) best = &c;
    if (work == 0) return earliest;
    return best->reserve(earliest, work, static_cast<std::uint64_t>(what)) + work;
  }

  const std::vector<TracedResource>& cpus() const { return cpus_; }
  Picos busy_ps() const {
    Picos sum = 0;
    for (const TracedResource& c : cpus_) sum += c.busy_ps();
    return sum;
  }
  Picos waited_ps() const {
    Picos sum = 0;
    for (const TracedResource& c : cpus_) sum += c.waited_ps();
    return sum;
  }

 private:
  std::vector<TracedResource> cpus_;
  StatGroup stats_;
};

}  // namespace hcasim
