#pragma once
// How a pool is sized: how many elements, and the buffers of each element.
#include <cstdint>
#include <string>
#include <vector>

namespace hcasim::msg_pool {

struct PoolConfig {
  std::string name = "pool";  // names the pool in misuse reports and errors
  std::uint32_t elements = 0;
  // One entry per buffer of an element (1 to kMaxSge), its size in bytes; every element has
  // the same buffers (e.g. {64, 4096}: a header and a payload).
  std::vector<std::uint32_t> buffer_bytes;
  std::uint32_t access = 1;  // registration access flags (the adapter's Access: local write = 1)
  std::uint32_t buffer_align = 64;  // every buffer starts on this boundary (a power of two)

  // Bytes of each element's buffers, each rounded up to buffer_align.
  std::uint64_t element_stride() const;
  // Throws std::invalid_argument naming the field and its allowed range.
  void validate() const;
};

}  // namespace hcasim::msg_pool
