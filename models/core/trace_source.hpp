#pragma once
// Trace sources that models own, and the sink interface they report to.
// Models never know which sink (VCD, none, ...) is connected: the sink is handed in at
// construction, and a source with no sink costs one branch per change.
#include <cstdint>
#include <string>
#include <vector>

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
    if (sink_) sink_->change_integer(id_, now_ps(), v);
  }
  // A change that takes effect at `t` >= now (stages whose timing is computed ahead). The
  // sink puts such changes in time order; a signal's future changes must be made in time order.
  void set_at(Picos t, std::uint64_t v) {
    value_ = v;
    if (sink_) sink_->change_integer(id_, t, v);
  }
  void inc(std::uint64_t d = 1) { set(value_ + d); }
  void dec(std::uint64_t d = 1) { set(value_ - d); }
  std::uint64_t get() const { return value_; }

 private:
  TraceSink* sink_ = nullptr;
  TraceSink::SignalId id_ = 0;
  std::uint64_t value_ = 0;
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
