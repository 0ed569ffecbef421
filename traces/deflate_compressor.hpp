#pragma once
// DEFLATE compression of many buffers in a row, for the FST writer: its chains (one per signal
// and block), time tables and block-start values in the zlib format (what a reader's
// uncompress() takes), its hierarchy in the gzip format. libdeflate compresses a whole buffer
// in one call, about 40 % fewer instructions than zlib's fastest level and into fewer bytes
// (docs/performance.md): where the trace's threads share a core, a traced run waits for
// compression. One compressor, reused; no allocation once the output buffer has grown to the
// largest buffer's bound.
#include <cstddef>
#include <cstdint>
#include <memory>

struct libdeflate_compressor;

namespace hcasim {

class DeflateCompressor {
 public:
  // `level` as libdeflate's (1 fastest .. 12 smallest); throws std::runtime_error if it cannot
  // be set up.
  explicit DeflateCompressor(int level);
  ~DeflateCompressor();
  DeflateCompressor(const DeflateCompressor&) = delete;
  DeflateCompressor& operator=(const DeflateCompressor&) = delete;

  // Compresses `n` bytes at `in` into the zlib format / the gzip format (modification time 0:
  // identical input, identical bytes) and returns the compressed size; the bytes are at data()
  // until the next call. Throws std::runtime_error if compression fails.
  std::size_t zlib(const std::uint8_t* in, std::size_t n);
  std::size_t gzip(const std::uint8_t* in, std::size_t n);
  const std::uint8_t* data() const { return out_.get(); }

 private:
  void reserve(std::size_t bound);
  libdeflate_compressor* compressor_;
  std::unique_ptr<std::uint8_t[]> out_;
  std::size_t capacity_ = 0;
};

}  // namespace hcasim
