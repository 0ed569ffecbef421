#pragma once
// The human-readable end-of-run summary on stdout: the ops table, the contention metrics and
// the wall-clock figures (which, being non-deterministic, appear only here, never in files).
#include <ostream>

#include "models/core/run_report.hpp"

namespace hcasim {

// Prints fixed-width tables to `out`. Latencies use one unit per table (ns, µs or ms, chosen
// from the largest median and named in the section title), with 3 decimals.
void print_summary_table(const RunReport& report, const WallStats& wall, std::ostream& out);

}  // namespace hcasim
