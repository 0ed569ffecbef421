// ps() builds an sc_time on an inline path below 2^52 ps and through SystemC's from_value above:
// both must give exactly the picoseconds asked for, at the boundary too.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "models/core/sim_time.hpp"

namespace hcasim {
namespace {

TEST(SimTime, PsGivesExactlyThePicosecondsAskedFor) {
  const Picos limit = Picos{1} << 52;
  for (Picos p : {Picos{0}, Picos{1}, Picos{2}, Picos{999}, Picos{1'000'000'007}, limit - 2,
                  limit - 1, limit, limit + 1, (Picos{1} << 53) + 1, ~Picos{0} >> 1})
    EXPECT_EQ(ps(p).value(), p) << p;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const Picos p = rng() >> (rng() % 64);  // every magnitude
    ASSERT_EQ(ps(p).value(), p) << p;
  }
}

}  // namespace
}  // namespace hcasim
