#pragma once
// Puts value changes in time order before they reach a sink that needs it (VCD). Models may
// report changes ahead of time (a link knows when it will be idle again when it starts a
// packet); those wait here until simulated time reaches them. Changes at the same time keep the
// order in which they were made, so the last one made wins, as in the model.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "models/core/sim_time.hpp"
#include "models/core/time_ordered_slots.hpp"
#include "models/core/trace_source.hpp"

namespace hcasim {

class TimeOrderingSink : public TraceSink {
 public:
  explicit TimeOrderingSink(TraceSink& out) : out_(out) {}

  SignalId declare_integer(const std::string& path, unsigned width, std::uint64_t init) override {
    return out_.declare_integer(path, width, init);
  }
  SignalId declare_enum(const std::string& path, const std::vector<std::string>& labels,
                        std::uint64_t init) override {
    return out_.declare_enum(path, labels, init);
  }
  SignalId declare_real(const std::string& path, double init) override {
    return out_.declare_real(path, init);
  }
  void change_integer(SignalId id, std::uint64_t t, std::uint64_t v) override {
    route(t, Value{id, false, v, 0.0});
  }
  void change_real(SignalId id, std::uint64_t t, double v) override {
    route(t, Value{id, true, 0, v});
  }
  // Emits everything still held (end of simulation); returns the time of the last change
  // emitted so far (a trace must not end before it).
  std::uint64_t flush_all() {
    flush_until(UINT64_MAX);
    return last_time_;
  }

 private:
  struct Value {
    SignalId id;
    bool real;
    std::uint64_t iv;
    double rv;
  };
  void route(std::uint64_t t, const Value& v) {
    const std::uint64_t now = now_ps();
    flush_until(now);
    if (t <= now) {
      emit(t, v);  // everything held is later than now
      return;
    }
    held_.push(t, v);
  }
  void flush_until(std::uint64_t t) {
    while (!held_.empty() && held_.front_time() <= t) {
      Picos at;
      const Value v = held_.pop(at);
      emit(at, v);
    }
  }
  void emit(std::uint64_t t, const Value& v) {
    last_time_ = t;
    if (v.real)
      out_.change_real(v.id, t, v.rv);
    else
      out_.change_integer(v.id, t, v.iv);
  }

  TraceSink& out_;
  TimeOrderedSlots<Value> held_;  // changes ahead of now, in time order
  std::uint64_t last_time_ = 0;
};

}  // namespace hcasim
