// Pool sizing checks: a bad size is caught at creation with a message naming the field.
#include "host_os/msg_pool/pool_config.hpp"

#include <stdexcept>

#include "host_os/msg_pool/descriptor.hpp"

namespace hcasim::msg_pool {

namespace {
// Element indices fit the 31 bits the free list links use; one below is "none".
constexpr std::uint32_t kMaxElements = (std::uint32_t{1} << 31) - 1;

std::uint64_t round_up(std::uint64_t v, std::uint64_t align) {
  return (v + align - 1) & ~(align - 1);
}
}  // namespace

std::uint64_t PoolConfig::element_stride() const {
  std::uint64_t bytes = 0;
  for (const std::uint32_t b : buffer_bytes) bytes += round_up(b, buffer_align);
  return bytes;
}

void PoolConfig::validate() const {
  const std::string where = "msg pool '" + name + "': ";
  if (elements == 0 || elements >= kMaxElements)
    throw std::invalid_argument(where + "elements = " + std::to_string(elements) +
                                ", allowed 1 to " + std::to_string(kMaxElements - 1));
  if (buffer_bytes.empty() || buffer_bytes.size() > kMaxSge)
    throw std::invalid_argument(where +
                                "buffers per element = " + std::to_string(buffer_bytes.size()) +
                                ", allowed 1 to " + std::to_string(kMaxSge));
  for (std::size_t i = 0; i < buffer_bytes.size(); ++i)
    if (buffer_bytes[i] == 0)
      throw std::invalid_argument(where + "buffer_bytes[" + std::to_string(i) +
                                  "] = 0, allowed 1 to 4294967295");
  if (buffer_align == 0 || (buffer_align & (buffer_align - 1)) != 0)
    throw std::invalid_argument(where + "buffer_align = " + std::to_string(buffer_align) +
                                ", allowed a power of two");
}

}  // namespace hcasim::msg_pool
