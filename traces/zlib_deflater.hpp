#pragma once
// zlib compression of many buffers in a row (the FST writer's chains, one per signal and block)
// through one deflate stream, reset between buffers. compress2() per buffer would allocate and
// clear zlib's quarter-megabyte state every time, which costs more than compressing the small
// buffers themselves.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace hcasim {

class ZlibDeflater {
 public:
  // `level` as zlib's (1 fastest .. 9 smallest); throws std::runtime_error if zlib fails.
  explicit ZlibDeflater(int level);
  ~ZlibDeflater();
  ZlibDeflater(const ZlibDeflater&) = delete;
  ZlibDeflater& operator=(const ZlibDeflater&) = delete;

  // Compresses `n` bytes at `in` into zlib's format (what a reader's uncompress() takes) and
  // returns the compressed size; the bytes are at data() until the next call. Throws
  // std::runtime_error if zlib fails.
  std::size_t compress(const std::uint8_t* in, std::size_t n);
  const std::uint8_t* data() const { return out_.get(); }

 private:
  z_stream stream_{};
  std::unique_ptr<std::uint8_t[]> out_;
  std::size_t capacity_ = 0;
};

}  // namespace hcasim
