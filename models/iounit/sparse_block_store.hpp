#pragma once
// The bytes of a large device, kept sparsely: 4 KiB pages allocated on first write, so a 1 TB
// device costs memory only for what a run writes. Never-written bytes read as zeros.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>

namespace hcasim {

class SparseBlockStore {
 public:
  static constexpr std::uint64_t kPageBytes = 4096;

  void write(std::uint64_t offset, const void* src, std::uint64_t length) {
    const auto* in = static_cast<const std::uint8_t*>(src);
    for_each_piece(offset, length, [&](std::uint64_t page, std::uint64_t at, std::uint64_t n) {
      auto& slot = pages_[page];
      if (!slot) slot = std::make_unique<Page>();  // value-initialized: zeros
      std::memcpy(slot->data() + at, in, n);
      in += n;
    });
  }

  void read(std::uint64_t offset, void* dst, std::uint64_t length) const {
    auto* out = static_cast<std::uint8_t*>(dst);
    for_each_piece(offset, length, [&](std::uint64_t page, std::uint64_t at, std::uint64_t n) {
      const auto it = pages_.find(page);
      if (it == pages_.end())
        std::memset(out, 0, n);
      else
        std::memcpy(out, it->second->data() + at, n);
      out += n;
    });
  }

  std::uint64_t stored_bytes() const { return pages_.size() * kPageBytes; }

 private:
  using Page = std::array<std::uint8_t, kPageBytes>;

  // Calls fn(page index, offset in page, bytes) for each page the range touches, in order.
  template <class Fn>
  static void for_each_piece(std::uint64_t offset, std::uint64_t length, Fn&& fn) {
    while (length) {
      const std::uint64_t at = offset % kPageBytes;
      const std::uint64_t n = std::min(length, kPageBytes - at);
      fn(offset / kPageBytes, at, n);
      offset += n;
      length -= n;
    }
  }

  std::unordered_map<std::uint64_t, std::unique_ptr<Page>> pages_;
};

}  // namespace hcasim
