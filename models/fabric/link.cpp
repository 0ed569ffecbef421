#include "models/fabric/link.hpp"

namespace hcasim {

Link::Link(sc_core::sc_module_name name, const LinkParams& params, TraceSink* trace)
    : sc_module(name), params_(params), propagation_ps_(params.propagation_ps()) {
  const std::string base = this->name();
  busy_[0].attach(trace, base + ".busy_0to1", 1);
  busy_[1].attach(trace, base + ".busy_1to0", 1);
  for (int side = 0; side < 2; ++side) {
    const std::string dir = side == 0 ? "dir0to1." : "dir1to0.";
    stats_.busy_share(wire_[side], (dir + "utilization").c_str(), "share of time the wire is busy");
    stats_.counter(packets_[side], (dir + "packets").c_str(), "count", "packets sent");
    stats_.counter(corrupted_[side], (dir + "corrupted").c_str(), "count",
                   "packets corrupted or lost on the wire (fault.*), counted where first damaged");
    stats_.counter(bytes_[side], (dir + "wire_bytes").c_str(), "B",
                   "bytes sent, headers and CRCs included");
  }
}

void Link::inject_faults(std::uint64_t seed, double error_rate, Picos down_from, Picos down_until) {
  faults_ = error_rate > 0 || down_until > down_from;
  error_rate_ = error_rate;
  down_from_ = down_from;
  down_until_ = down_until;
  errors_ = std::make_unique<RandomStream>(seed, std::string(name()) + ".errors");
}

}  // namespace hcasim
