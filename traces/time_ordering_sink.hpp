#pragma once
// Puts value changes in time order before they reach a sink that needs it (VCD). Models may
// report changes ahead of time (a link knows when it will be idle again when it starts a
// packet); those wait here until simulated time reaches them. Changes at the same time keep the
// order in which they were made, so the last one made wins, as in the model.
#include <cstdint>
#include <queue>
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
    route(Change{t, seq_++, id, false, v, 0.0});
  }
  void change_real(SignalId id, std::uint64_t t, double v) override {
    route(Change{t, seq_++, id, true, 0, v});
  }
  // Emits everything still held (end of simulation); returns the time of the last change
  // emitted so far (a trace must not end before it).
  std::uint64_t flush_all() {
    flush_until(UINT64_MAX);
    return last_time_;
  }

 private:
  struct Change {
    std::uint64_t t, seq;
    SignalId id;
    bool real;
    std::uint64_t iv;
    double rv;
  };
  struct Later {
    bool operator()(const Change& a, const Change& b) const {
      return a.t != b.t ? a.t > b.t : a.seq > b.seq;
    }
  };

  void route(const Change& c) {
    const std::uint64_t now = now_ps();
    flush_until(now);
    if (c.t <= now)
      emit(c);  // everything held is later than now
    else
      pending_.push(c);
  }
  void flush_until(std::uint64_t t) {
    while (!pending_.empty() && pending_.top().t <= t) {
      emit(pending_.top());
      pending_.pop();
    }
  }
  void emit(const Change& c) {
    last_time_ = c.t;
    if (c.real)
      out_.change_real(c.id, c.t, c.rv);
    else
      out_.change_integer(c.id, c.t, c.iv);
  }

  TraceSink& out_;
  std::priority_queue<Change, std::vector<Change>, Later> pending_;
  std::uint64_t seq_ = 0;
  std::uint64_t last_time_ = 0;
};

}  // namespace hcasim
