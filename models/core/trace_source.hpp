#pragma once
// Trace sources that models own, and the sink interface they report to.
// Models never know which sink (VCD, none, ...) is connected: the sink is handed in at
// construction, and a source with no sink costs one branch per change.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "models/core/sim_time.hpp"

namespace hcasim {

// Receives value changes. Implemented in traces/ (the VCD writer).
class TraceSink {
 public:
  using SignalId = std::uint32_t;
  virtual ~TraceSink() = default;

  // Declarations happen during elaboration, before the first change. `path` is hierarchical,
  // dots separate scopes ("host0.hca0.sq0.depth"); the last component is the signal name.
  virtual SignalId declare_integer(const std::string& path, unsigned width_bits,
                                   std::uint64_t initial) = 0;
  // An integer signal whose value i is named labels[i] (GTKWave shows the names).
  virtual SignalId declare_enum(const std::string& path, const std::vector<std::string>& labels,
                                std::uint64_t initial) = 0;
  virtual SignalId declare_real(const std::string& path, double initial) = 0;

  // Changes at simulated time (picoseconds) >= now. Changes stamped later than now may arrive
  // out of order; the sink must order them (see traces/time_ordering_sink.hpp).
  virtual void change_integer(SignalId id, std::uint64_t time_ps, std::uint64_t value) = 0;
  virtual void change_real(SignalId id, std::uint64_t time_ps, double value) = 0;
  // An integer signal moves by `delta` (two's complement) at `time_ps` >= now: the value then is
  // the declared initial value plus every delta up to that time, in time order (a TracedCount's
  // changes; a signal takes deltas only). Only a sink that puts changes in time order can sum
  // them (TimeOrderingSink); the others throw std::logic_error.
  virtual void change_delta(SignalId, std::uint64_t, std::uint64_t) {
    throw std::logic_error("trace sink: a counted signal's deltas need a time-ordering sink");
  }

  // What TracedInt calls: the change made now (simulated time `now`), taking effect at
  // `time_ps`. A sink that logs its changes for a later stage (traces/background_trace_sink.hpp)
  // has them written into its log here, inline: a work request makes about fifty changes, and
  // the virtual call cost as much as the note. Other sinks get change_integer.
  void note_integer(SignalId id, std::uint64_t time_ps, std::uint64_t now, std::uint64_t value) {
    if (log_at_)
      log_note(time_ps, now, id, value);
    else
      change_integer(id, time_ps, value);
  }

  // What TracedCount calls: a delta made now, taking effect at `time_ps` (see note_integer).
  void note_delta(SignalId id, std::uint64_t time_ps, std::uint64_t now, std::uint64_t delta) {
    if (log_at_)
      log_note(time_ps, now, id | kLogDelta, delta);
    else
      change_delta(id, time_ps, delta);
  }

  // A logged change: four words, the time it takes effect, the time it was made, the signal
  // (a real's with kLogReal set, a delta's with kLogDelta) and the value (a real's bits).
  static constexpr std::size_t kLogWords = 4;
  static constexpr std::uint64_t kLogReal = std::uint64_t{1} << 32;
  static constexpr std::uint64_t kLogDelta = std::uint64_t{1} << 33;

 protected:
  // A logging sink points these at the free part of its current log block ([at, end), a
  // multiple of kLogWords), or leaves them null.
  std::uint64_t* log_at_ = nullptr;
  std::uint64_t* log_end_ = nullptr;
  // The block is full (log_at_ == log_end_): hand it over and point at a fresh one. A sink
  // that sets log_at_ must override it.
  virtual void log_full() { throw std::logic_error("trace sink: log block full, not handed over"); }
  // Writes one change into the log (log_at_ set); `signal` is the id, kLogReal set for a real.
  void log_note(std::uint64_t time_ps, std::uint64_t now, std::uint64_t signal,
                std::uint64_t value) {
    std::uint64_t* const to = log_at_;
#if defined(__SSE2__) && defined(__x86_64__)
    // Streamed past the cache: the log's lines were last read by the later stage's core, and
    // ordinary stores would each wait to take a line back from it. The sink fences before the
    // stage reads them.
    _mm_stream_si64(reinterpret_cast<long long*>(to), static_cast<long long>(time_ps));
    _mm_stream_si64(reinterpret_cast<long long*>(to + 1), static_cast<long long>(now));
    _mm_stream_si64(reinterpret_cast<long long*>(to + 2), static_cast<long long>(signal));
    _mm_stream_si64(reinterpret_cast<long long*>(to + 3), static_cast<long long>(value));
#else
    to[0] = time_ps;
    to[1] = now;
    to[2] = signal;
    to[3] = value;
#endif
    log_at_ = to + kLogWords;
    if (log_at_ == log_end_) log_full();
  }
};

// An integer-valued model variable whose changes go to a sink (if one is attached).
class TracedInt {
 public:
  TracedInt() = default;
  void attach(TraceSink* sink, const std::string& path, unsigned width_bits = 32) {
    sink_ = sink;
    if (sink_) id_ = sink_->declare_integer(path, width_bits, value_);
  }
  void attach_enum(TraceSink* sink, const std::string& path,
                   const std::vector<std::string>& labels) {
    sink_ = sink;
    if (sink_) id_ = sink_->declare_enum(path, labels, value_);
  }
  void set(std::uint64_t v) {
    if (v == value_) return;
    value_ = v;
    if (sink_) {
      const Picos now = now_ps();
      sink_->note_integer(id_, now, now, v);
    }
  }
  // A change that takes effect at `t` >= now (stages whose timing is computed ahead). The
  // sink puts such changes in time order; a signal's future changes must be made in time order.
  void set_at(Picos t, std::uint64_t v) {
    value_ = v;
    if (sink_) sink_->note_integer(id_, t, now_ps(), v);
  }
  void inc(std::uint64_t d = 1) { set(value_ + d); }
  void dec(std::uint64_t d = 1) { set(value_ - d); }
  std::uint64_t get() const { return value_; }

 private:
  TraceSink* sink_ = nullptr;
  TraceSink::SignalId id_ = 0;
  std::uint64_t value_ = 0;
};

// An integer signal that counts things whose end is known when they start (packets in a
// buffer until their last bit leaves, DMA writes until they land): each change is a delta
// dated when it happens, possibly ahead of now and out of order with others, which the sink
// sums in time order. Ends known in advance then need no action at their time to be traced.
class TracedCount {
 public:
  TracedCount() = default;
  void attach(TraceSink* sink, const std::string& path, unsigned width_bits = 32) {
    sink_ = sink;
    if (sink_) id_ = sink_->declare_integer(path, width_bits, 0);
  }
  // The count moves by `delta` at `t` (>= now).
  void add_at(Picos t, std::int64_t delta) {
    if (sink_) sink_->note_delta(id_, t, now_ps(), static_cast<std::uint64_t>(delta));
  }

 private:
  TraceSink* sink_ = nullptr;
  TraceSink::SignalId id_ = 0;
};

// A real-valued model variable (latencies, rates) whose changes go to a sink.
class TracedReal {
 public:
  TracedReal() = default;
  void attach(TraceSink* sink, const std::string& path) {
    sink_ = sink;
    if (sink_) id_ = sink_->declare_real(path, value_);
  }
  void set(double v) {
    if (v == value_) return;
    value_ = v;
    if (sink_) sink_->change_real(id_, now_ps(), v);
  }
  double get() const { return value_; }

 private:
  TraceSink* sink_ = nullptr;
  TraceSink::SignalId id_ = 0;
  double value_ = 0.0;
};

}  // namespace hcasim
