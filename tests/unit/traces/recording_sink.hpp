#pragma once
// Test helpers for the trace stages: a sink that records what it is given (and checks time
// order), and model time set by hand.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "models/core/sim_time.hpp"
#include "models/core/trace_source.hpp"

namespace hcasim::trace_test {

struct Change {
  std::uint64_t t;
  TraceSink::SignalId id;
  std::uint64_t value;
  bool operator==(const Change& o) const {
    return std::tie(t, id, value) == std::tie(o.t, o.id, o.value);
  }
};

// What a writer behind the stages gets; like a VCD, it requires time order. Reals are
// recorded as value x 10; a change to `throw_on_value` throws, as a misused writer would.
struct RecordingSink : TraceSink {
  std::vector<Change> changes;
  std::vector<std::string> declared;
  std::size_t declared_after_changes = 0;  // changes recorded before the last declaration
  std::uint64_t throw_on_value = UINT64_MAX;
  SignalId declare_integer(const std::string& path, unsigned, std::uint64_t) override {
    declared_after_changes = changes.size();
    declared.push_back(path);
    return static_cast<SignalId>(declared.size() - 1);
  }
  SignalId declare_enum(const std::string& path, const std::vector<std::string>&,
                        std::uint64_t init) override {
    return declare_integer(path, 8, init);
  }
  SignalId declare_real(const std::string& path, double) override {
    return declare_integer(path, 64, 0);
  }
  void change_integer(SignalId id, std::uint64_t t, std::uint64_t v) override {
    if (v == throw_on_value) throw std::logic_error("misused signal");
    if (!changes.empty()) {
      EXPECT_GE(t, changes.back().t) << "out of time order";
    }
    changes.push_back({t, id, v});
  }
  void change_real(SignalId id, std::uint64_t t, double v) override {
    change_integer(id, t, static_cast<std::uint64_t>(v * 10));
  }
};

// Model time for the stages (as when the simulation runs ahead of the kernel).
struct ModelTime {
  ModelTime() { ModelClock::ahead = true, ModelClock::now = 0; }
  ~ModelTime() { ModelClock::ahead = false, ModelClock::now = 0; }
  void at(std::uint64_t t) { ModelClock::now = t; }
};

}  // namespace hcasim::trace_test
