#pragma once
// The cache-line size of the machine that runs hcasim (not the simulated hosts': those are the
// models' parameters). What a background thread of the trace writes is laid out on lines of its
// own, apart from what the simulation's thread writes: a line that both write moves between the
// cores at every write (false sharing), which cost a traced run more than the trace's own work
// (docs/performance.md).
#include <cstddef>

namespace hcasim {

inline constexpr std::size_t kHostCacheLine = 64;

}  // namespace hcasim
