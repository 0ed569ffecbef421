#pragma once
// A push (value-change) VCD writer: models report each change as it happens, so the cost scales
// with activity rather than with the number of traced signals (SystemC's built-in writer polls
// every variable at every time step and stamps the wall-clock date into the file). Output is
// deterministic: the same declarations and changes give a byte-identical file.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "models/core/trace_source.hpp"
#include "traces/trace_file.hpp"

namespace hcasim {

// Writes a VCD file (timescale 1 ps) through AtomicFile: the data goes to "<path>.tmp" and
// appears as `path` only when finish() succeeds; a writer destroyed before that (error,
// exception) leaves nothing behind. Given another TraceFile (FstPipe), the same text becomes
// that file (an FST).
//
// Life cycle: declare_* during elaboration; the header is written by start() or by the first
// change; changes arrive in non-decreasing time; finish(end) writes the last timestamp and
// commits. Changes are buffered per timestamp and written when time advances, so several
// changes of one signal at one time keep only the last value, and a value equal to the one
// already in the file is not written again.
//
// A window [start, end] of simulated time (set_window) keeps only what happens inside it: the
// values at `start` (every change up to and including `start`) are the $dumpvars at #start,
// changes in (start, end] follow, later ones are dropped and the last timestamp is at most
// `end`. A run that ends before `start` gives its final values at #start.
//
// Misuse is a programming error and throws std::logic_error: declaring after start (message
// names the signal), a duplicate path, a change or finish at a time before the last change, a
// change after finish, an unknown id, or a change of the wrong kind (integer vs real).
class VcdWriter : public TraceSink {
 public:
  enum class Kind { Integer, Enum, Real };

  // One declared signal, as the .gtkw writer and tests see it.
  struct Signal {
    std::string path;  // "host0.hca0.sq0.depth": scopes, then the signal name
    Kind kind = Kind::Integer;
    unsigned width = 0;               // bits in the VCD ($var wire N); 64 for reals
    std::vector<std::string> labels;  // enum signals: labels[i] names value i; else empty
    std::string code;                 // VCD identifier code ("!", "\"", ..., "!\"")
  };

  // Opens "<path>.tmp"; throws std::runtime_error if it cannot be created (the directory must
  // exist).
  explicit VcdWriter(std::string path);
  // Writes into `file` (its final_path() is this writer's path()).
  explicit VcdWriter(std::unique_ptr<TraceFile> file);
  ~VcdWriter() override;
  VcdWriter(const VcdWriter&) = delete;
  VcdWriter& operator=(const VcdWriter&) = delete;

  // `path` components are separated by dots and must be non-empty, without whitespace; throws
  // std::invalid_argument otherwise. Integer widths are 1..64 bits; values are truncated to the
  // width. An enum is an integer signal wide enough for labels.size() values (at least 2 bits,
  // so GTKWave draws it as a vector with text and can apply the label filter).
  SignalId declare_integer(const std::string& path, unsigned width_bits,
                           std::uint64_t initial) override;
  SignalId declare_enum(const std::string& path, const std::vector<std::string>& labels,
                        std::uint64_t initial) override;
  SignalId declare_real(const std::string& path, double initial) override;

  // Hot path: no allocation and no iostreams in steady state.
  void change_integer(SignalId id, std::uint64_t time_ps, std::uint64_t value) override;
  void change_real(SignalId id, std::uint64_t time_ps, double value) override;

  // Keeps only [start_ps, end_ps] (see above); before start() and with start_ps <= end_ps, else
  // throws std::logic_error.
  void set_window(std::uint64_t start_ps, std::uint64_t end_ps);
  // Ends the declarations and writes the header (idempotent; the first change calls it).
  void start();
  // Writes pending changes and a final "#<end_time_ps>" (within the window), then renames the
  // file into place.
  // Throws std::logic_error if end_time_ps is before the last change or if already finished;
  // std::runtime_error if the file cannot be written.
  void finish(std::uint64_t end_time_ps);

  std::size_t signal_count() const { return signals_.size(); }
  const std::vector<Signal>& signals() const { return signals_; }  // in declaration order
  const Signal& signal(SignalId id) const;                         // throws std::out_of_range
  const std::string& path() const { return file_->final_path(); }  // the final name
  // The last timestamp finish(end_time_ps) writes: end_time_ps brought into the window.
  std::uint64_t end_in_window(std::uint64_t end_time_ps) const {
    return std::min(std::max(end_time_ps, window_start_), window_end_);
  }
  bool started() const { return started_; }
  bool finished() const { return finished_; }

 private:
  SignalId add_signal(const std::string& path, Kind kind, unsigned width,
                      std::vector<std::string> labels, std::uint64_t initial_bits);
  void record(SignalId id, std::uint64_t time_ps, std::uint64_t bits, bool real);
  void write_header();
  void flush_pending();
  void write_time(std::uint64_t time_ps);
  void write_value(std::size_t index);

  std::unique_ptr<TraceFile> file_;
  std::vector<Signal> signals_;
  std::unordered_set<std::string> paths_;
  // Per signal, indexed by SignalId (reals are stored as their bit pattern).
  std::vector<std::uint64_t> masks_;    // width mask for integers, all ones for reals
  std::vector<std::uint64_t> current_;  // latest value reported
  std::vector<std::uint64_t> written_;  // last value in the file
  std::vector<std::uint8_t> is_pending_;
  std::vector<SignalId> pending_;   // changed at pending_time_, in order of first change
  std::uint64_t pending_time_ = 0;  // of the changes in pending_ (in the window)
  std::uint64_t last_time_ = 0;     // of the latest change reported
  std::uint64_t window_start_ = 0;
  std::uint64_t window_end_ = UINT64_MAX;
  std::uint64_t last_written_time_ = 0;
  bool time_written_ = false;
  bool started_ = false;
  bool dumpvars_written_ = false;
  bool finished_ = false;
  char line_[128];  // one formatted record
  // Records collect here and go to the file in large writes (one stdio call per record cost
  // more than formatting them).
  void put(const char* p, std::size_t n) {
    if (out_used_ + n > out_.size()) drain_out();
    std::memcpy(out_.data() + out_used_, p, n);
    out_used_ += n;
  }
  void drain_out();
  std::vector<char> out_ = std::vector<char>(1 << 20);
  std::size_t out_used_ = 0;
};

}  // namespace hcasim
