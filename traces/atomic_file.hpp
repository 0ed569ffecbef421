#pragma once
// An output file that appears under its final name only when complete: it is written as
// "<name>.tmp" and renamed by commit(). Dropped without commit, the temporary is removed, so an
// interrupted or failed run never leaves a half-written file that looks good.
#include <cstdio>
#include <string>

#include "traces/trace_file.hpp"

namespace hcasim {

class AtomicFile : public TraceFile {
 public:
  // Opens "<final_path>.tmp" for writing; throws std::runtime_error naming the path on failure.
  explicit AtomicFile(std::string final_path, std::size_t buffer_bytes = 1 << 16);
  ~AtomicFile() override;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::FILE* handle() override { return file_; }
  void write(const std::string& text) { std::fwrite(text.data(), 1, text.size(), file_); }
  const std::string& final_path() const override { return final_path_; }
  // Flushes, closes and renames onto the final name; throws std::runtime_error on any failure.
  void commit() override;

 private:
  std::string final_path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  bool committed_ = false;
};

}  // namespace hcasim
