#pragma once
// Scenario-level settings: name, description, seed and what the workload does.
#include <cstdint>
#include <string>

#include "models/core/params.hpp"

namespace hcasim {

struct ScenarioParams {
  std::string name;
  std::string description;
  std::uint64_t seed;
  std::string trace;
  bool lookahead;

  template <class V>
  void visit(V& v) {
    v.text(name, "scenario.name", "", "name of the run (default: the scenario file's name)");
    v.text(description, "scenario.description", "", "one line that `hcasim list` shows");
    v.integer(seed, "scenario.seed", "", 1, 0, INT64_MAX, "seed of every random stream");
    v.choice(trace, "scenario.trace", "vcd", {"vcd", "fst", "none"},
             "vcd: write trace.vcd + trace.gtkw; fst: trace.fst (GTKWave's compressed format, "
             "written in blocks as the run goes) + trace.gtkw; none: no waveform trace");
    v.boolean(lookahead, "scenario.lookahead", true,
              "let processes run ahead of the SystemC kernel while nothing else is due (the same "
              "run, fewer kernel events: docs/lookahead.md); false sends every wait through the "
              "kernel");
  }
};

struct PingPongParams {
  std::uint32_t size;
  std::uint32_t reply_size;
  std::uint32_t count;
  std::uint32_t warmup;
  bool use_inline;

  template <class V>
  void visit(V& v) {
    v.integer(size, "pingpong.size", "B", 2, 0, 1 << 24, "bytes of each request message");
    v.integer(reply_size, "pingpong.reply_size", "B", 2, 0, 1 << 24,
              "bytes of each reply from the I/O unit");
    v.integer(count, "pingpong.count", "messages", 1000, 1, 1000000000, "round trips measured");
    v.integer(warmup, "pingpong.warmup", "messages", 10, 0, 1000000,
              "round trips run before measuring");
    v.boolean(use_inline, "pingpong.inline", true,
              "send messages up to the adapter's max inline size inside the WQE");
  }
};

}  // namespace hcasim
