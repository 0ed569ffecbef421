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
  // Held changes: the heap orders 16-byte keys (time, then the order they were made); the
  // values wait in slots of their own, reused once emitted.
  static constexpr unsigned kSlotBits = 24;
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
  struct Key {
    std::uint64_t t, order;  // order: sequence number << kSlotBits | slot
  };
  struct Later {
    bool operator()(const Key& a, const Key& b) const {
      return a.t != b.t ? a.t > b.t : a.order > b.order;
    }
  };

  void route(std::uint64_t t, const Value& v) {
    const std::uint64_t now = now_ps();
    flush_until(now);
    if (t <= now) {
      emit(t, v);  // everything held is later than now
      return;
    }
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(values_.size());
      if (slot > kSlotMask) throw std::length_error("trace: more than 2^24 future changes held");
      values_.push_back(v);
    } else {
      slot = free_.back();
      free_.pop_back();
      values_[slot] = v;
    }
    held_.push_back(Key{t, (seq_++ << kSlotBits) | slot});
    std::push_heap(held_.begin(), held_.end(), Later{});
  }
  void flush_until(std::uint64_t t) {
    while (!held_.empty() && held_.front().t <= t) {
      const Key k = held_.front();
      std::pop_heap(held_.begin(), held_.end(), Later{});
      held_.pop_back();
      const auto slot = static_cast<std::uint32_t>(k.order & kSlotMask);
      free_.push_back(slot);
      emit(k.t, values_[slot]);
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
  std::vector<Key> held_;  // a min-heap by (t, order)
  std::vector<Value> values_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
  std::uint64_t last_time_ = 0;
};

}  // namespace hcasim
