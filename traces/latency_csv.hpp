#pragma once
// latency.csv: the full latency histogram of every op class, one row per non-empty bucket, so
// distributions can be plotted or re-aggregated without rerunning. Deterministic output.
#include <string>

#include "models/core/run_report.hpp"

namespace hcasim {

// Writes `class,bucket_low_ns,bucket_high_ns,count` rows (op order, then ascending buckets) to
// `path` atomically (via "<path>.tmp"). Bounds are exact picoseconds printed as ns with 3
// decimals. Throws std::runtime_error if the file cannot be written.
void write_latency_csv(const RunReport& report, const std::string& path);

}  // namespace hcasim
