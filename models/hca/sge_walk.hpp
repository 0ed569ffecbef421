#pragma once
// The one walk over a scatter/gather list: the pieces of the list that cover the bytes
// [offset, offset + len) of the buffer the list describes.
#include <algorithm>
#include <cstdint>

#include "models/hca/wqe_format.hpp"

namespace hcasim {

// Calls piece(sge, addr, done, take) for each piece in order: `take` bytes at host address
// `addr` (within `sge`) are bytes [done, done + take) of the range. `piece` returns false to
// stop the walk. Returns the bytes covered, less than `len` when the list is shorter or the
// walk was stopped.
template <class Piece>
std::uint32_t walk_sges(const Sge* sges, std::uint32_t count, std::uint32_t offset,
                        std::uint32_t len, Piece&& piece) {
  std::uint32_t skip = offset, done = 0;
  for (std::uint32_t i = 0; i < count && done < len; ++i) {
    const Sge& s = sges[i];
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    const std::uint32_t take = std::min(s.len - skip, len - done);
    if (!piece(s, s.addr + skip, done, take)) return done;
    done += take;
    skip = 0;
  }
  return done;
}

}  // namespace hcasim
