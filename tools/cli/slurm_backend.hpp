#pragma once
// The Slurm backend: one job array per submission, one array task per point. Each task runs
// `hcasim sweep point DIR INDEX`, which runs that point's seeds one after the other as
// `hcasim run` processes, so the results land in the same folders as with the local backend.
#include <string>
#include <vector>

#include "tools/cli/sweep_layout.hpp"

namespace hcasim::cli {

// "0-3,7,9-11": Slurm's --array syntax for sorted indices.
std::string array_ranges(const std::vector<std::size_t>& indices);

// Writes DIR/slurm/sweep.sbatch for the given points; returns its path.
std::filesystem::path write_batch_script(const SweepSpec& s, const SweepLayout& layout,
                                         const std::vector<std::size_t>& points);

// Submits the script with sbatch; returns the job id (also kept in DIR/slurm/job_id).
// Throws std::runtime_error with sbatch's message when submission fails.
std::string submit_batch_script(const SweepLayout& layout, const std::filesystem::path& script);

// The job id of the last submission, or "".
std::string last_job_id(const SweepLayout& layout);

// Whether the job still has tasks pending or running (squeue).
bool job_active(const std::string& job_id);

// Polls squeue every `poll_seconds` until the job has left the queue, drawing progress from
// the points complete on disk.
void wait_for_job(const SweepSpec& s, const SweepLayout& layout, const std::string& job_id,
                  unsigned poll_seconds, bool progress);

}  // namespace hcasim::cli
