#pragma once
// `--trace-window START:END`: the span of simulated time a trace keeps (VcdWriter::set_window).
#include <cstdint>
#include <string>

namespace hcasim::cli {

struct TraceWindow {
  std::uint64_t start_ps = 0;
  std::uint64_t end_ps = 0;
};

// Parses "START:END", each a non-negative number with a unit of ps, ns, us, ms or s ("10us:20us",
// "1.5ms:2ms"), START before END. Throws ConfigError naming --trace-window and the allowed form.
TraceWindow parse_trace_window(const std::string& text);

}  // namespace hcasim::cli
