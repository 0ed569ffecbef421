// ps() writes an sc_time's count of picoseconds directly: every magnitude must come out exactly
// (once it went through a double, exact only below 2^52 ps), and SystemC must read it as such.
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
  // The count is written directly: SystemC reads it as picoseconds (its resolution, hcasim's).
  EXPECT_EQ(ps(1000), sc_core::sc_time(1, sc_core::SC_NS));
  EXPECT_EQ(ps(2'500'000), sc_core::sc_time(2.5, sc_core::SC_US));
  EXPECT_EQ(sc_core::sc_time(7, sc_core::SC_NS) + ps(3), sc_core::sc_time(7003, sc_core::SC_PS));
}

}  // namespace
}  // namespace hcasim
