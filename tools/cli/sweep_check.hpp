#pragma once
// Checks every point of a sweep before anything runs: each point's scenario is built (not
// simulated) by `hcasim run POINT --check`, which rejects what only the model can judge (a
// message larger than simulated memory, a topology that does not fit), and the zero-time
// summary it prints must hold every figure path the sweep file asks for. A key that the built
// model of some points never reads is named on stderr, once per key.
#include "tools/cli/sweep_spec.hpp"

namespace hcasim::cli {

// Throws ConfigError naming the point, the key or figure and the problem. Uses at most `jobs`
// processes at once.
void check_sweep_points(const SweepSpec& s, unsigned jobs);

}  // namespace hcasim::cli
