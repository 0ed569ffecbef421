#pragma once
// A push (value-change) VCD writer: models report each change as it happens, so the cost scales
// with activity rather than with the number of traced signals (SystemC's built-in writer polls
// every variable at every time step and stamps the wall-clock date into the file). Output is
// deterministic: the same declarations and changes give a byte-identical file.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "traces/trace_file.hpp"
#include "traces/trace_writer.hpp"

namespace hcasim {

// Writes a VCD file (timescale 1 ps) through AtomicFile: the data goes to "<path>.tmp" and
// appears as `path` only when finish() succeeds; a writer destroyed before that (error,
// exception) leaves nothing behind. Given another TraceFile, the same text goes there.
//
// The declarations, the per-timestamp coalescing, the window and the misuse checks are the
// TraceWriter's (trace_writer.hpp); this class writes the text: the header with one $scope per
// dotted path component, the values at the first timestamp as $dumpvars, then "#<time>" and
// one line per changed value.
class VcdWriter final : public TraceWriter {
 public:
  // Opens "<path>.tmp"; throws std::runtime_error if it cannot be created (the directory must
  // exist).
  explicit VcdWriter(std::string path);
  // Writes into `file` (its final_path() is this writer's path()).
  explicit VcdWriter(std::unique_ptr<TraceFile> file);
  ~VcdWriter() override;
  VcdWriter(const VcdWriter&) = delete;
  VcdWriter& operator=(const VcdWriter&) = delete;

 private:
  void write_header() override;
  void write_time(std::uint64_t time_ps) override;
  void write_initial_values(const std::vector<std::uint64_t>& values) override;
  void write_end() override;
  void write_pending() override;  // with append_time and append_value inlined
  // The time and a value, appended; inlined where they run for every change.
  [[gnu::always_inline]] inline void append_time(std::uint64_t time_ps);
  [[gnu::always_inline]] inline void append_value(SignalId id, std::uint64_t bits);

  std::unique_ptr<TraceFile> file_;
  // Records are formatted straight into this buffer, which goes to the file in large writes
  // (one stdio call per record cost more than formatting them). Room for the longest record
  // is made before each one.
  static constexpr std::size_t kLongestRecord =
      128;  // "r<shortest double> <code>\n", "b<64 bits> ..."
  char* room() {
    if (out_used_ + kLongestRecord > out_.size()) drain_out();
    return out_.data() + out_used_;
  }
  void put(const char* p, std::size_t n) {
    std::memcpy(room(), p, n);
    out_used_ += n;
  }
  void drain_out();
  std::vector<char> out_ = std::vector<char>(1 << 20);
  std::size_t out_used_ = 0;
  // What append_value needs of each signal: its identifier code, padded to 8 bytes so it is
  // copied with one store, and how its value is written. Made by write_header, on the thread
  // that writes (the declarations are the simulation thread's: kHostCacheLine).
  struct Code {
    char text[8];
    std::uint8_t len;
    bool real;
    bool one_bit;
  };
  std::vector<Code> codes_;
  // The digits of the last time stamp's whole microseconds (write_time).
  std::uint64_t cached_us_ = 0;
  char cached_us_text_[24] = {};
  unsigned cached_us_len_ = 0;
};

}  // namespace hcasim
