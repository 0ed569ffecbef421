// ps() writes an sc_time's count as picoseconds (models/core/sim_time.hpp), so a run must refuse
// a SystemC time resolution other than 1 ps instead of simulating with every delay scaled.
// Its own program: the resolution can be set only before any time is made.
#include <gtest/gtest.h>
#include <systemc>

#include <stdexcept>

#include "models/core/lookahead.hpp"

namespace hcasim {
namespace {

TEST(TimeResolution, ARunRefusesAnyButOnePicosecond) {
  sc_core::sc_set_time_resolution(1, sc_core::SC_NS);
  EXPECT_THROW(Lookahead::run(), std::logic_error);
}

}  // namespace
}  // namespace hcasim
