#pragma once
// The front end every trace file format shares: signal declarations, the per-timestamp
// coalescing of value changes, the window of simulated time. An encoder (VcdWriter: text,
// FstWriter: GTKWave's compressed format) derives from it and turns what is left (a header, the
// values at the first timestamp, then changed values grouped by time) into its file. Output is
// deterministic: the same declarations and changes give a byte-identical file.
#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "models/core/trace_source.hpp"
#include "traces/host_cache_line.hpp"

namespace hcasim {

// Life cycle: declare_* during elaboration; the header is written by start() or by the first
// change; changes arrive in non-decreasing time; finish(end) writes the last timestamp and
// commits the file. Changes are buffered per timestamp and handed to the encoder when time
// advances, so several changes of one signal at one time keep only the last value, and a value
// equal to the one already in the file is not written again.
//
// A window [start, end] of simulated time (set_window) keeps only what happens inside it: the
// values at `start` (every change up to and including `start`) are the initial values at
// `start`, changes in (start, end] follow, later ones are dropped and the last timestamp is at
// most `end`. A run that ends before `start` gives its final values at `start`.
//
// Misuse is a programming error and throws std::logic_error: declaring after start (message
// names the signal), a duplicate path, a change or finish at a time before the last change, a
// change after finish, an unknown id, or a change of the wrong kind (integer vs real).
// On cache lines of its own: a background thread runs it (kHostCacheLine).
class alignas(kHostCacheLine) TraceWriter : public TraceSink {
 public:
  enum class Kind { Integer, Enum, Real };

  // One declared signal, as the encoders, the .gtkw writer and tests see it.
  struct Signal {
    std::string path;  // "host0.hca0.sq0.depth": scopes, then the signal name
    Kind kind = Kind::Integer;
    unsigned width = 0;               // bits ($var wire N); 64 for reals
    std::vector<std::string> labels;  // enum signals: labels[i] names value i; else empty
    std::string code;                 // VCD identifier code ("!", "\"", ..., "!\"")
  };

  ~TraceWriter() override;
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // `path` components are separated by dots and must be non-empty, without whitespace; throws
  // std::invalid_argument otherwise. Integer widths are 1..64 bits; values are truncated to the
  // width. An enum is an integer signal wide enough for labels.size() values (at least 2 bits,
  // so GTKWave draws it as a vector with text and can apply the label filter).
  SignalId declare_integer(const std::string& path, unsigned width_bits,
                           std::uint64_t initial) override;
  SignalId declare_enum(const std::string& path, const std::vector<std::string>& labels,
                        std::uint64_t initial) override;
  SignalId declare_real(const std::string& path, double initial) override;

  // Hot path: no allocation in steady state.
  void change_integer(SignalId id, std::uint64_t time_ps, std::uint64_t value) override {
    change(id, time_ps, value, false);
  }
  void change_real(SignalId id, std::uint64_t time_ps, double value) override;
  // The same for a value's bits (a real's when `real`), not virtual: the stage in front of the
  // writer (TimeOrderingSink) calls it for every change, and it is inlined there.
  void change(SignalId id, std::uint64_t time_ps, std::uint64_t bits, bool real);

  // Keeps only [start_ps, end_ps] (see above); before start() and with start_ps <= end_ps, else
  // throws std::logic_error.
  void set_window(std::uint64_t start_ps, std::uint64_t end_ps);
  // Ends the declarations and writes the header (idempotent; the first change calls it).
  void start();
  // Writes pending changes and a final timestamp at end_time_ps (within the window), then puts
  // the file in place. Throws std::logic_error if end_time_ps is before the last change or if
  // already finished; std::runtime_error if the file cannot be written.
  void finish(std::uint64_t end_time_ps);

  std::size_t signal_count() const { return signals_.size(); }
  const std::vector<Signal>& signals() const { return signals_; }  // in declaration order
  const Signal& signal(SignalId id) const;                         // throws std::out_of_range
  const std::string& path() const { return path_; }                // the final name
  // The last timestamp finish(end_time_ps) writes: end_time_ps brought into the window.
  std::uint64_t end_in_window(std::uint64_t end_time_ps) const {
    return std::min(std::max(end_time_ps, window_start_), window_end_);
  }
  bool started() const { return started_; }
  bool finished() const { return finished_; }
  // Whether the temporary file, cut where it stands now (an interrupted run), is one a viewer
  // opens. Async-signal-safe (an interrupt handler asks): reads an atomic at most. A VCD is
  // text, readable as far as it goes; an FST only once a block of changes is complete.
  virtual bool cut_file_is_readable() const noexcept { return true; }

  // The scope tree of the declarations, for an encoder's header: each scope's signals first,
  // then its sub-scopes, both in declaration order (top-level signals come first, outside any
  // scope). `enter(name)` and `leave()` bracket a scope; `signal(index)` names one of signals().
  template <typename Enter, typename OnSignal, typename Leave>
  void walk_scopes(Enter&& enter, OnSignal&& signal, Leave&& leave) const;

 protected:
  // `path` is the final file name (for messages and path()).
  explicit TraceWriter(std::string path);

  // The encoder's part. The front end calls, in order: write_header() once; write_time(t)
  // then write_initial_values(values) for the first timestamp; then write_pending() per later
  // timestamp with changes, which writes them through drain_pending (below); finally
  // write_time(end) when the end is after the last timestamp, and write_end(). Values are
  // bit patterns: integers masked to their width, reals as the bits of the double.
  virtual void write_header() = 0;
  virtual void write_time(std::uint64_t time_ps) = 0;
  virtual void write_initial_values(const std::vector<std::uint64_t>& values) = 0;
  // Completes the file and renames it into place; throws std::runtime_error on failure.
  virtual void write_end() = 0;
  // One timestamp's changes: drain_pending with the encoder's own inline forms of writing the
  // time and a value. One virtual call per timestamp, not one per change: those calls cost
  // as much as the work of a change.
  virtual void write_pending() = 0;
  // write_pending()'s loop: `time(t)` once, then `value(id, bits)` for each signal whose
  // pending value differs from the one in the file.
  template <typename Time, typename Value>
  void drain_pending(Time&& time, Value&& value);

 private:
  struct Scope;
  SignalId add_signal(const std::string& path, Kind kind, unsigned width,
                      std::vector<std::string> labels, std::uint64_t initial_bits);
  // Throws the std::logic_error that describes change()'s misuse (a check failed).
  [[noreturn, gnu::cold, gnu::noinline]] void misuse(SignalId id, std::uint64_t time_ps,
                                                     bool real) const;
  // change() for an unknown id, after finish() (both misuse) or before start(): a change at time
  // 0 is then the signal's initial value (returns false), a later one starts the trace (true).
  [[gnu::cold, gnu::noinline]] bool admit_before_start(SignalId id, std::uint64_t time_ps,
                                                       std::uint64_t bits, bool real);
  // Writes the changes pending (at pending_time_): the first timestamp's through
  // write_initial, every later one's through write_pending (one call where a change moves time).
  void flush_pending() {
    if (initial_written_)
      write_pending();
    else
      write_initial();
  }
  void write_initial();
  void time_for_value();

  std::string path_;
  std::vector<Signal> signals_;
  std::unordered_set<std::string> paths_;
  // What a change touches, per signal on a cache line of its own: the vector is allocated by
  // the simulation's thread and written by the trace's, so none of its lines is shared with
  // the simulation's data (kHostCacheLine). Reals as their bit pattern.
  struct alignas(kHostCacheLine) State {
    std::uint64_t current = 0;  // latest value reported
    std::uint64_t written = 0;  // last value in the file
    std::uint64_t mask = 0;     // width mask for integers, all ones for reals
    bool pending = false;       // in pending_
    bool real = false;
  };
  std::vector<State> state_;        // indexed by SignalId
  std::vector<SignalId> pending_;   // changed at pending_time_, in order of first change
  std::uint64_t pending_time_ = 0;  // of the changes in pending_ (in the window)
  std::uint64_t last_time_ = 0;     // of the latest change reported
  std::uint64_t window_start_ = 0;
  std::uint64_t window_end_ = UINT64_MAX;
  std::uint64_t last_written_time_ = 0;
  bool time_written_ = false;
  bool started_ = false;
  bool initial_written_ = false;
  bool finished_ = false;
  bool accepting_ = false;  // started and not finished: change() takes its short path
};

inline void TraceWriter::change(SignalId id, std::uint64_t time_ps, std::uint64_t bits, bool real) {
  // The checks cost a comparison each; what they throw is built out of line (misuse()), so
  // that this path, run for every change, stays short.
  if (id >= state_.size() || !accepting_) {
    if (!admit_before_start(id, time_ps, bits, real)) return;
  }
  State& st = state_[id];
  if (st.real != real || time_ps < last_time_) misuse(id, time_ps, real);
  last_time_ = time_ps;
  if (time_ps != pending_time_) {
    // pending_time_ is the window's start until a change comes in it, then that change's time
    // or a later one: a change before it is before the window, where it only sets the values
    // at its start.
    if (time_ps < pending_time_) {
      st.current = bits & st.mask;
      return;
    }
    if (time_ps > window_end_) return;  // after the window
    flush_pending();
    pending_time_ = time_ps;
  }
  st.current = bits & st.mask;
  if (!st.pending) {
    st.pending = true;
    pending_.push_back(id);  // capacity reserved in start(): no allocation
  }
}

template <typename Time, typename Value>
void TraceWriter::drain_pending(Time&& time, Value&& value) {
  bool timed = time_written_ && last_written_time_ == pending_time_;
  for (SignalId id : pending_) {
    State& st = state_[id];
    st.pending = false;
    if (st.current == st.written) continue;
    if (!timed) {
      time(pending_time_);
      last_written_time_ = pending_time_;
      time_written_ = timed = true;
    }
    st.written = st.current;
    value(id, st.written);
  }
  pending_.clear();
}

// The scope tree, built on demand from the dotted paths (only when a header is written).
struct TraceWriter::Scope {
  std::string name;
  std::vector<std::size_t> signals;
  std::vector<Scope> children;
  Scope& child(const std::string& n);
  static Scope tree_of(const std::vector<Signal>& signals);
};

template <typename Enter, typename OnSignal, typename Leave>
void TraceWriter::walk_scopes(Enter&& enter, OnSignal&& signal, Leave&& leave) const {
  const Scope root = Scope::tree_of(signals_);
  struct Walk {
    Enter& enter;
    OnSignal& signal;
    Leave& leave;
    void scope(const Scope& s) {
      enter(s.name);
      for (std::size_t i : s.signals) signal(i);
      for (const Scope& c : s.children) scope(c);
      leave();
    }
  } walk{enter, signal, leave};
  for (std::size_t i : root.signals) signal(i);
  for (const Scope& c : root.children) walk.scope(c);
}

}  // namespace hcasim
