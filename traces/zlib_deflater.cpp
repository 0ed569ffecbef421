// ZlibDeflater (see zlib_deflater.hpp).
#include "traces/zlib_deflater.hpp"

#include <stdexcept>

namespace hcasim {

ZlibDeflater::ZlibDeflater(int level) {
  if (deflateInit(&stream_, level) != Z_OK)
    throw std::runtime_error("zlib: cannot start a deflate stream");
}

ZlibDeflater::~ZlibDeflater() { deflateEnd(&stream_); }

std::size_t ZlibDeflater::compress(const std::uint8_t* in, std::size_t n) {
  if (deflateReset(&stream_) != Z_OK) throw std::runtime_error("zlib: cannot reset the stream");
  const std::size_t bound = deflateBound(&stream_, static_cast<uLong>(n));
  if (bound > capacity_) {
    out_.reset(new std::uint8_t[bound]);  // grows only, and is not cleared: it is written over
    capacity_ = bound;
  }
  stream_.next_in = const_cast<Bytef*>(in);  // zlib's interface is not const-correct
  stream_.avail_in = static_cast<uInt>(n);
  stream_.next_out = out_.get();
  stream_.avail_out = static_cast<uInt>(capacity_);
  if (deflate(&stream_, Z_FINISH) != Z_STREAM_END)
    throw std::runtime_error("zlib: compression failed");
  return static_cast<std::size_t>(stream_.total_out);
}

}  // namespace hcasim
