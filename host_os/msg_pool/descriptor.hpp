#pragma once
// What the adapter reads for one message element: a descriptor whose scatter-gather entries name
// the element's buffers (address, length, memory key). The pool writes the entries once, at
// creation; users read them and post the descriptor (the driver copies it into the queue's
// ring as a send or receive work request), and the completion's status lands in `status`.
#include <cstdint>

namespace hcasim::msg_pool {

// One buffer in registered memory. Same layout as the adapter's scatter-gather entry
// (models/hca/wqe_format.hpp), so a driver copies it as is.
struct Sge {
  std::uint64_t addr = 0;  // host (simulated) address of the buffer
  std::uint32_t len = 0;   // bytes
  std::uint32_t lkey = 0;  // key of the pool's one registration
};
static_assert(sizeof(Sge) == 16);

// design decision: at most three buffers per element, the adapter's receive-WQE limit
// (kMaxRecvSge), so every element can be posted as a receive; the descriptor is one cache line.
inline constexpr unsigned kMaxSge = 3;

// The status a put resets to.
inline constexpr std::uint32_t kDescriptorIdle = 0;

struct Descriptor {
  std::uint64_t wr_id = 0;    // pre-filled: pool id << 32 | element index (see MessagePool)
  std::uint32_t status = 0;   // the user's or the completion's; put resets it to kDescriptorIdle
  std::uint32_t num_sge = 0;  // pre-filled: buffers of the element
  Sge sge[kMaxSge] = {};      // pre-filled; read-only for users (put does not rewrite them)
};
static_assert(sizeof(Descriptor) == 64);

}  // namespace hcasim::msg_pool
