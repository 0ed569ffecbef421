#pragma once
// The RNR timer field of an RNR NAK (InfiniBand's AETH, 5 bits): how long the requester waits
// before resending. The responder sends its QP's minimum RNR timer (hca.min_rnr_timer); the
// codes map to times by the InfiniBand table, in units of 10 us (code 0 is the longest).
#include <array>
#include <cstdint>

#include "models/core/sim_time.hpp"

namespace hcasim {

inline constexpr std::uint32_t kRnrTimerCodes = 32;

// The wait a code stands for: 0 = 655.36 ms, 1 = 0.01 ms, 2 = 0.02 ms, ... 31 = 491.52 ms.
constexpr Picos rnr_timer_ps(std::uint8_t code) {
  constexpr std::array<std::uint32_t, kRnrTimerCodes> kTensOfMicroseconds = {
      65536, 1,    2,    3,    4,    6,     8,     12,    16,    24,   32,
      48,    64,   96,   128,  192,  256,   384,   512,   768,   1024, 1536,
      2048,  3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152};
  return static_cast<Picos>(kTensOfMicroseconds[code % kRnrTimerCodes]) * 10'000'000;
}

}  // namespace hcasim
