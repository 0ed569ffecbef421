#pragma once
// What the message pool (host_os/msg_pool, docs/msg_pool.md) needs from the host: memory for
// its elements, and their registration with the adapter -- through the verbs layer, so a
// pool's one registration is counted with every other (VerbsDevice::stats().registrations).
#include <cstdint>
#include <vector>

#include "host_os/msg_pool/message_pool.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/verbs/verbs_device.hpp"
#include "models/memory/host_memory.hpp"

namespace hcasim::verbs {

class PoolMemory {
 public:
  PoolMemory(HostMemory& memory, VerbsDevice& device) : memory_(memory), device_(device) {}
  std::uint64_t allocate(std::uint64_t bytes, std::uint64_t align) {
    return memory_.allocate(bytes, align);
  }
  void release(std::uint64_t, std::uint64_t) {}  // simulated memory is a bump allocator
  std::uint32_t register_memory(std::uint64_t addr, std::uint64_t len, std::uint32_t access) {
    return device_.reg_mr(addr, len, access).lkey;
  }
  void deregister(std::uint32_t key) { device_.dereg_mr(Mr{0, 0, key, key}); }

 private:
  HostMemory& memory_;
  VerbsDevice& device_;
};

using MessagePool = msg_pool::MessagePool<SimPlatform, PoolMemory>;

}  // namespace hcasim::verbs
