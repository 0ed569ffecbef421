// A remembered wire time must be the formula's, whatever sizes share a slot, and the formula
// must run only for a size not seen since its slot last changed.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "models/core/wire_time_memo.hpp"

namespace hcasim {
namespace {

// An odd rate, as a link's is (4x FDR after 64b/66b): times are not multiples of anything.
Picos formula(std::uint64_t bytes) {
  return static_cast<Picos>(static_cast<double>(bytes) * 8000.0 / 54.545454 + 0.5);
}

TEST(WireTimeMemo, GivesTheFormulasTimeForSizesThatShareASlot) {
  WireTimeMemo memo;
  int computed = 0;
  auto get = [&](std::uint64_t bytes) {
    return memo.get(bytes, [&](std::uint64_t b) {
      ++computed;
      return formula(b);
    });
  };
  // 94 and 158 (a data packet and a larger one) share a slot of 64; 6 is a flow-control packet.
  EXPECT_EQ(get(94), formula(94));
  EXPECT_EQ(get(94), formula(94));
  EXPECT_EQ(computed, 1);
  EXPECT_EQ(get(158), formula(158));
  EXPECT_EQ(get(6), formula(6));
  EXPECT_EQ(get(94), formula(94));  // 158 took its slot: computed again
  EXPECT_EQ(computed, 4);
  EXPECT_EQ(get(6), formula(6));
  EXPECT_EQ(computed, 4);
  // Size 0 is a size like any other (the empty slot's marker is not a size a wire carries).
  EXPECT_EQ(get(0), 0u);
  EXPECT_EQ(computed, 5);

  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::uint64_t> size(0, 5000);
  for (int i = 0; i < 100'000; ++i) {
    const std::uint64_t b = size(rng);
    ASSERT_EQ(get(b), formula(b)) << b;
  }
}

}  // namespace
}  // namespace hcasim
