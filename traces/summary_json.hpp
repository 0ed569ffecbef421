#pragma once
// summary.json: the machine-readable result of a run (per-class op counts, latency percentiles
// and rates, nested contention metrics). Deterministic: the same report gives the same bytes, so
// runs can be diffed and regression-checked. Wall-clock figures never go here.
#include <string>

#include "models/core/run_report.hpp"

namespace hcasim {

// Writes `report` to `path` atomically (via "<path>.tmp"). Throws std::logic_error for a report
// that cannot be represented (duplicate op class name, duplicate or malformed metric path, a
// metric path that is both a leaf and a prefix of another) before touching the file system, and
// std::runtime_error if the file cannot be written.
void write_summary_json(const RunReport& report, const std::string& path);

// The same document as text (what write_summary_json writes), for callers that inspect it.
std::string summary_json_text(const RunReport& report);

}  // namespace hcasim
