#pragma once
// Byte-addressable memory of a host (or of an I/O unit). Work queues, completion queues,
// message frames and payloads live here as real bytes, written by the host software and read
// and written by the adapter's DMA. Pages are zero-filled by the OS on first touch, so a large
// memory costs only what a run uses.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "models/core/config_error.hpp"

namespace hcasim {

class HostMemory {
 public:
  // `size_param` names the parameter that sizes this memory, for the error a scenario gets when
  // its buffers do not fit.
  HostMemory(std::string name, std::uint64_t bytes, std::string size_param = "")
      : name_(std::move(name)),
        size_param_(std::move(size_param)),
        bytes_(bytes),
        data_(static_cast<std::uint8_t*>(std::calloc(bytes, 1)), &std::free) {
    if (!data_) throw std::runtime_error(name_ + ": cannot allocate " + std::to_string(bytes));
  }
  const std::string& name() const { return name_; }
  std::uint64_t size() const { return bytes_; }

  bool contains(std::uint64_t addr, std::uint64_t len) const {
    return addr <= bytes_ && len <= bytes_ - addr;
  }
  void read(std::uint64_t addr, void* dst, std::uint64_t len) const {
    check(addr, len);
    std::memcpy(dst, data_.get() + addr, len);
  }
  void write(std::uint64_t addr, const void* src, std::uint64_t len) {
    check(addr, len);
    std::memcpy(data_.get() + addr, src, len);
  }
  std::uint8_t* at(std::uint64_t addr, std::uint64_t len) {
    check(addr, len);
    return data_.get() + addr;
  }

  // A simple bump allocator for the host software's buffers and rings (never freed: runs
  // allocate at set-up). Alignment must be a power of two.
  std::uint64_t allocate(std::uint64_t len, std::uint64_t align = 64) {
    const std::uint64_t addr = (next_free_ + align - 1) & ~(align - 1);
    if (!contains(addr, len))
      throw ConfigError(
          name_ + ": the scenario's buffers and queues need more than its " +
          std::to_string(bytes_ >> 20) + " MiB (allocating " + std::to_string(len) + " B); raise " +
          (size_param_.empty() ? std::string("its memory size") : "key '" + size_param_ + "'"));
    next_free_ = addr + len;
    return addr;
  }

 private:
  void check(std::uint64_t addr, std::uint64_t len) const {
    if (!contains(addr, len))
      throw std::out_of_range(name_ + ": access outside memory at " + std::to_string(addr));
  }
  std::string name_;
  std::string size_param_;
  std::uint64_t bytes_;
  std::unique_ptr<std::uint8_t, decltype(&std::free)> data_;
  std::uint64_t next_free_ = 4096;  // keep address 0 unused: a null address is a bug
};

}  // namespace hcasim
