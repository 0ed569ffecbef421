#pragma once
// An FST trace (GTKWave's compressed format) written as a stream: the VCD text goes through a
// pipe into GTKWave's `vcd2fst`, which writes "<path>.tmp"; commit() waits for it and renames
// the file into place. Long runs thus never hold their VCD on disk (about 500 bytes per work
// request) and the FST grows as the run goes.
#include <sys/types.h>

#include <string>

#include "traces/trace_file.hpp"

namespace hcasim {

class FstPipe : public TraceFile {
 public:
  static constexpr const char* kConverter = "vcd2fst";  // Debian package gtkwave

  // Starts `vcd2fst - <final_path>.tmp`; throws std::runtime_error if it cannot be started.
  // The converter ignores SIGINT and SIGTERM, so a Ctrl-C that reaches the whole process group
  // leaves it running to finish the partial file once its input ends (InterruptGuard).
  explicit FstPipe(std::string final_path);
  // Without commit: the converter's input ends, it is awaited and its files are removed.
  ~FstPipe() override;
  FstPipe(const FstPipe&) = delete;
  FstPipe& operator=(const FstPipe&) = delete;

  std::FILE* handle() override { return pipe_; }
  const std::string& final_path() const override { return final_path_; }
  const std::string& temp_path() const { return temp_path_; }
  // Ends the input, waits for vcd2fst and renames its file into place; throws
  // std::runtime_error when writing failed or vcd2fst did not exit with status 0.
  void commit() override;

  // For the interrupt handler: the pipe's descriptor (closing it ends vcd2fst's input) and the
  // converter's process id (to wait for).
  int pipe_fd() const { return fd_; }
  pid_t converter_pid() const { return pid_; }

  // Whether `vcd2fst` is an executable on PATH.
  static bool converter_available();

 private:
  std::string final_path_;
  std::string temp_path_;
  std::FILE* pipe_ = nullptr;
  int fd_ = -1;
  pid_t pid_ = -1;
  bool committed_ = false;
};

}  // namespace hcasim
