// The process-wide pool ids (the rest of the pool is a template: message_pool.hpp).
#include "host_os/msg_pool/message_pool.hpp"

#include <atomic>

namespace hcasim::msg_pool::detail {

std::uint32_t next_pool_id() {
  static std::atomic<std::uint32_t> last{0};
  std::uint32_t id = last.fetch_add(1, std::memory_order_relaxed) + 1;
  if (id == 0) id = last.fetch_add(1, std::memory_order_relaxed) + 1;  // 0 names no pool
  return id;
}

}  // namespace hcasim::msg_pool::detail
