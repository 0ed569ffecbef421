#pragma once
// Memory registration: the translation and protection table an adapter keeps for the regions
// the host registered. Every local (lkey) and remote (rkey) access is checked against it.
#include <cstdint>
#include <vector>

namespace hcasim {

enum Access : std::uint32_t {
  kLocalRead = 0,  // local read is always allowed on a registered region
  kLocalWrite = 1u << 0,
  kRemoteRead = 1u << 1,
  kRemoteWrite = 1u << 2,
};

class MemoryRegions {
 public:
  struct Region {
    std::uint64_t addr;
    std::uint64_t len;
    std::uint32_t access;
    std::uint32_t key;
    bool valid;
  };

  // Registers [addr, addr+len) and returns its key (used as both lkey and rkey).
  std::uint32_t register_region(std::uint64_t addr, std::uint64_t len, std::uint32_t access) {
    const std::uint32_t index = static_cast<std::uint32_t>(regions_.size());
    // The low byte varies per registration so a stale key to a reused index does not match.
    const std::uint32_t key = (index << 8) | (0x5a ^ (index & 0xff));
    regions_.push_back(Region{addr, len, access, key, true});
    ++registrations_;
    return key;
  }
  void deregister(std::uint32_t key) {
    if (Region* r = lookup(key)) r->valid = false;
  }

  // True when [addr, addr+len) lies inside the region named by key and `need` is permitted.
  bool check(std::uint32_t key, std::uint64_t addr, std::uint64_t len, std::uint32_t need) const {
    const Region* r = lookup(key);
    if (!r || !r->valid) return false;
    if (addr < r->addr || len > r->len || addr - r->addr > r->len - len) return false;
    return (r->access & need) == need;
  }
  std::uint64_t registrations() const { return registrations_; }

 private:
  const Region* lookup(std::uint32_t key) const {
    const std::uint32_t index = key >> 8;
    if (index >= regions_.size() || regions_[index].key != key) return nullptr;
    return &regions_[index];
  }
  Region* lookup(std::uint32_t key) {
    return const_cast<Region*>(static_cast<const MemoryRegions*>(this)->lookup(key));
  }
  std::vector<Region> regions_;
  std::uint64_t registrations_ = 0;
};

}  // namespace hcasim
