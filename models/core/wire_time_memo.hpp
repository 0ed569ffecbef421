#pragma once
// A wire's serialization time by byte count, remembered.
//
// Wire rates are real numbers (a fabric link's Gb/s, a PCIe link's bytes per ns, after line
// encoding), so a time on the wire is a floating-point division and two conversions: some
// thirty cycles of latency that instruction counts do not show. A work request's trip asks for
// one about a dozen times, for a handful of sizes (a data packet, an ACK, a TLP of a CQE). A
// direct-mapped table of the sizes seen last answers nearly all of them with a load and a
// compare; a miss calls the formula and keeps its result, so every time is the formula's.
#include <array>
#include <cstddef>
#include <cstdint>

#include "models/core/sim_time.hpp"

namespace hcasim {

class WireTimeMemo {
 public:
  // compute(bytes) once per size while it stays in its slot.
  template <class Compute>
  Picos get(std::uint64_t bytes, Compute compute) const {
    Slot& s = slots_[bytes % kSlots];
    if (s.bytes != bytes) s = Slot{bytes, compute(bytes)};
    return s.ps;
  }

 private:
  static constexpr std::size_t kSlots = 64;
  struct Slot {
    std::uint64_t bytes = ~std::uint64_t{0};  // no size yet
    Picos ps = 0;
  };
  mutable std::array<Slot, kSlots> slots_{};
};

}  // namespace hcasim
