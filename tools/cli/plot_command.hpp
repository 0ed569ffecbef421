#pragma once
// `hcasim plot DIR`: a run's folder gets latency_cdf.png (the latency CDF of each op class from
// latency.csv); a sweep's folder gets its plots redrawn from its runs.
namespace hcasim::cli {

int plot_command(int argc, char* argv[]);

}  // namespace hcasim::cli
