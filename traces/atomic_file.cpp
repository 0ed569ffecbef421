#include "traces/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace hcasim {

AtomicFile::AtomicFile(std::string final_path, std::size_t buffer_bytes)
    : final_path_(std::move(final_path)), temp_path_(final_path_ + ".tmp") {
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (!file_) {
    throw std::runtime_error("cannot write '" + temp_path_ + "': " + std::strerror(errno));
  }
  buffer_.resize(buffer_bytes);
  std::setvbuf(file_, buffer_.data(), _IOFBF, buffer_.size());
}

AtomicFile::~AtomicFile() {
  if (file_) std::fclose(file_);
  if (!committed_) std::remove(temp_path_.c_str());
}

void AtomicFile::commit() {
  const bool write_ok = std::ferror(file_) == 0;
  const bool close_ok = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!write_ok || !close_ok) {
    throw std::runtime_error("error while writing '" + temp_path_ + "'");
  }
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    throw std::runtime_error("cannot rename '" + temp_path_ + "' to '" + final_path_ +
                             "': " + std::strerror(errno));
  }
  committed_ = true;
}

}  // namespace hcasim
