#pragma once
// A Memory for the pool's native tests: a bump allocator over a pretend address space and a
// registration table that records every call, so tests see exactly what the pool registered.
#include <cstdint>
#include <vector>

namespace hcasim::msg_pool {

class RecordingMemory {
 public:
  struct Registration {
    std::uint64_t addr, len;
    std::uint32_t access, key;
    bool valid;
  };

  std::uint64_t allocate(std::uint64_t bytes, std::uint64_t align) {
    const std::uint64_t addr = (next_ + align - 1) & ~(align - 1);
    next_ = addr + bytes;
    ++allocations;
    return addr;
  }
  void release(std::uint64_t, std::uint64_t bytes) { released_bytes += bytes; }
  std::uint32_t register_memory(std::uint64_t addr, std::uint64_t len, std::uint32_t access) {
    const std::uint32_t key = 0x100u + static_cast<std::uint32_t>(table.size());
    table.push_back(Registration{addr, len, access, key, true});
    return key;
  }
  void deregister(std::uint32_t key) {
    ++deregistrations;
    for (Registration& r : table)
      if (r.key == key) r.valid = false;
  }
  // True when [addr, addr+len) lies in the valid registration named by key.
  bool covers(std::uint32_t key, std::uint64_t addr, std::uint64_t len) const {
    for (const Registration& r : table)
      if (r.key == key && r.valid && addr >= r.addr && addr + len <= r.addr + r.len) return true;
    return false;
  }

  std::vector<Registration> table;
  unsigned allocations = 0;
  unsigned deregistrations = 0;
  std::uint64_t released_bytes = 0;

 private:
  std::uint64_t next_ = 0x10000;
};

}  // namespace hcasim::msg_pool
