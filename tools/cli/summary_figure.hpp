#pragma once
// A figure of a run: a number found in summary.json by a dotted path. Keys may themselves hold
// dots (op classes "send_lat.64", contention paths), so each step takes the longest key that
// matches. A scalar contention entry {"value", "unit"} can be named without its ".value".
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace hcasim::cli {

struct SummaryFigure {
  double value = 0.0;  // NaN when summary.json holds null (a non-finite figure)
  std::string unit;    // "ns", "ops/s", "ratio" ...; "" when the file does not say
};

// The figure at `path`, or nothing when the path names no number (or null) in `summary`.
std::optional<SummaryFigure> find_summary_figure(const nlohmann::json& summary,
                                                 const std::string& path);

}  // namespace hcasim::cli
