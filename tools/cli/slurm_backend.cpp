#include "tools/cli/slurm_backend.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tools/cli/child_process.hpp"
#include "tools/cli/progress_display.hpp"
#include "traces/atomic_file.hpp"

namespace hcasim::cli {

namespace fs = std::filesystem;

namespace {

// A word for the shell, single-quoted.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::size_t complete_points(const SweepSpec& s, const SweepLayout& layout) {
  std::size_t n = 0;
  for (const SweepPoint& p : s.points) n += layout.point_complete(s, p);
  return n;
}

}  // namespace

std::string array_ranges(const std::vector<std::size_t>& indices) {
  std::string out;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(indices[i]);
    if (j > i) out += "-" + std::to_string(indices[j]);
    i = j + 1;
  }
  return out;
}

fs::path write_batch_script(const SweepSpec& s, const SweepLayout& layout,
                            const std::vector<std::size_t>& points) {
  const fs::path dir = fs::absolute(layout.dir).lexically_normal();
  fs::create_directories(layout.slurm_dir());
  std::ostringstream sh;
  sh << "#!/bin/bash\n"
     << "# hcasim sweep " << s.name << ": one array task per point; written by `hcasim sweep`.\n"
     << "# Failed tasks are listed by `hcasim sweep collect DIR` and resubmitted by\n"
     << "# `hcasim sweep resume DIR`.\n"
     << "#SBATCH --job-name=hcasim-" << s.name << "\n"
     << "#SBATCH --array=" << array_ranges(points) << "\n"
     << "#SBATCH --output=" << (dir / "slurm" / "task-%a.out").string() << "\n"
     << "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
     << "#SBATCH --time=" << s.slurm.time << "\n"
     << "#SBATCH --mem=" << s.slurm.mem << "\n";
  if (!s.slurm.partition.empty()) sh << "#SBATCH --partition=" << s.slurm.partition << "\n";
  sh << "exec " << shell_quote(self_executable().string()) << " sweep point "
     << shell_quote(dir.string()) << " \"$SLURM_ARRAY_TASK_ID\"\n";
  const fs::path script = layout.slurm_dir() / "sweep.sbatch";
  AtomicFile f(script.string());
  f.write(sh.str());
  f.commit();
  fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  return script;
}

std::string submit_batch_script(const SweepLayout& layout, const fs::path& script) {
  if (find_program("sbatch").empty())
    throw std::runtime_error(
        "sbatch is not on PATH: the Slurm backend needs Slurm's client "
        "commands (Debian: slurm-client)");
  const ChildResult r = capture({"sbatch", "--parsable", script.string()});
  if (r.status != 0) throw std::runtime_error("sbatch failed: " + trim(r.err + r.out));
  std::string id = trim(r.out);
  if (auto semi = id.find(';'); semi != std::string::npos) id.erase(semi);  // "id;cluster"
  if (id.empty()) throw std::runtime_error("sbatch printed no job id");
  AtomicFile f((layout.slurm_dir() / "job_id").string());
  f.write(id + "\n");
  f.commit();
  return id;
}

std::string last_job_id(const SweepLayout& layout) {
  std::ifstream in(layout.slurm_dir() / "job_id");
  std::string id;
  in >> id;
  return id;
}

bool job_active(const std::string& job_id) {
  if (job_id.empty()) return false;
  for (int attempt = 0;; ++attempt) {
    const ChildResult r = capture({"squeue", "-h", "-j", job_id, "-o", "%i"});
    if (r.status == 0) return !trim(r.out).empty();
    // A job that has left the controller's memory is unknown to squeue: it has ended.
    if (r.err.find("Invalid job id") != std::string::npos) return false;
    if (attempt == 4) throw std::runtime_error("squeue failed: " + trim(r.err));
    sleep(1);
  }
}

void wait_for_job(const SweepSpec& s, const SweepLayout& layout, const std::string& job_id,
                  unsigned poll_seconds, bool progress) {
  const std::size_t before = complete_points(s, layout);
  ProgressDisplay display(s.points.size(), before, stdout);
  const std::size_t todo = s.points.size() - before;
  while (true) {
    const bool active = job_active(job_id);
    const std::size_t done = complete_points(s, layout);
    if (progress) display.update(done, done - std::min(done, before), todo);
    if (!active) break;
    sleep(poll_seconds);
  }
  if (progress) display.finish();
}

}  // namespace hcasim::cli
