// DeflateCompressor (see deflate_compressor.hpp).
#include "traces/deflate_compressor.hpp"

#include <libdeflate.h>

#include <stdexcept>

namespace hcasim {

DeflateCompressor::DeflateCompressor(int level) : compressor_(libdeflate_alloc_compressor(level)) {
  if (!compressor_) throw std::runtime_error("libdeflate: cannot set up a compressor");
}

DeflateCompressor::~DeflateCompressor() { libdeflate_free_compressor(compressor_); }

void DeflateCompressor::reserve(std::size_t bound) {
  if (bound <= capacity_) return;
  out_.reset(new std::uint8_t[bound]);  // grows only, and is not cleared: it is written over
  capacity_ = bound;
}

std::size_t DeflateCompressor::zlib(const std::uint8_t* in, std::size_t n) {
  reserve(libdeflate_zlib_compress_bound(compressor_, n));
  const std::size_t size = libdeflate_zlib_compress(compressor_, in, n, out_.get(), capacity_);
  if (size == 0) throw std::runtime_error("libdeflate: compression failed");
  return size;
}

std::size_t DeflateCompressor::gzip(const std::uint8_t* in, std::size_t n) {
  reserve(libdeflate_gzip_compress_bound(compressor_, n));
  const std::size_t size = libdeflate_gzip_compress(compressor_, in, n, out_.get(), capacity_);
  if (size == 0) throw std::runtime_error("libdeflate: compression failed");
  return size;
}

}  // namespace hcasim
