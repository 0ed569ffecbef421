// The FST writer's compressor: what it writes, a standard decompressor reads back exactly
// (the zlib format for chains and time tables, gzip for the hierarchy), and it is the same
// bytes every time (identical runs give identical traces).
#include <gtest/gtest.h>
#include <libdeflate.h>

#include <cstdint>
#include <vector>

#include "traces/deflate_compressor.hpp"

namespace hcasim {
namespace {

// A chain-like buffer: small varint deltas and repeated values, `n` bytes.
std::vector<std::uint8_t> chain_like(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    v[i] = static_cast<std::uint8_t>(i % 7 == 0 ? (x >> 24) : (i % 3) * 17);
  }
  return v;
}

struct Decompressor {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  ~Decompressor() { libdeflate_free_decompressor(d); }
};

std::vector<std::uint8_t> unzlib(const std::uint8_t* in, std::size_t n, std::size_t out_n) {
  Decompressor dec;
  std::vector<std::uint8_t> out(out_n);
  std::size_t got = 0;
  EXPECT_EQ(libdeflate_zlib_decompress(dec.d, in, n, out.data(), out.size(), &got),
            LIBDEFLATE_SUCCESS);
  out.resize(got);
  return out;
}

TEST(DeflateCompressor, ZlibStreamsReadBackExactlyWhateverTheSize) {
  DeflateCompressor c(1);
  // Growing and shrinking sizes: the output buffer is reused.
  for (std::size_t n : {1u, 33u, 4096u, 1u << 20, 100u, 0u}) {
    const std::vector<std::uint8_t> in = chain_like(n);
    const std::size_t size = c.zlib(in.data(), n);
    ASSERT_GT(size, 0u);
    EXPECT_EQ(unzlib(c.data(), size, n), in) << n << " bytes";
    if (n >= 4096) {
      EXPECT_LT(size * 2, n) << "chain-like bytes compress well";
    }
  }
}

TEST(DeflateCompressor, GzipStreamReadsBackExactly) {
  DeflateCompressor c(1);
  const std::vector<std::uint8_t> in = chain_like(50000);
  const std::size_t size = c.gzip(in.data(), in.size());
  ASSERT_GE(size, 18u);  // header and trailer
  EXPECT_EQ(c.data()[0], 0x1f);
  EXPECT_EQ(c.data()[1], 0x8b);
  for (int i = 4; i < 8; ++i) EXPECT_EQ(c.data()[i], 0) << "modification time 0";
  Decompressor dec;
  std::vector<std::uint8_t> out(in.size());
  std::size_t got = 0;
  ASSERT_EQ(libdeflate_gzip_decompress(dec.d, c.data(), size, out.data(), out.size(), &got),
            LIBDEFLATE_SUCCESS);
  out.resize(got);
  EXPECT_EQ(out, in);
}

TEST(DeflateCompressor, TheSameInputGivesTheSameBytes) {
  const std::vector<std::uint8_t> in = chain_like(70000);
  DeflateCompressor a(1), b(1);
  b.zlib(chain_like(1000).data(), 1000);  // a history before must not matter
  const std::size_t na = a.zlib(in.data(), in.size());
  const std::vector<std::uint8_t> first(a.data(), a.data() + na);
  const std::size_t nb = b.zlib(in.data(), in.size());
  EXPECT_EQ(std::vector<std::uint8_t>(b.data(), b.data() + nb), first);
}

}  // namespace
}  // namespace hcasim
