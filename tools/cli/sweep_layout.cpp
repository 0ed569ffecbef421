#include "tools/cli/sweep_layout.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/core/config_error.hpp"
#include "traces/atomic_file.hpp"

namespace hcasim::cli {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_atomic(const fs::path& p, const std::string& text) {
  AtomicFile f(p.string());
  f.write(text);
  f.commit();
}

}  // namespace

bool SweepLayout::run_complete(const SweepPoint& p, std::uint64_t seed) const {
  std::error_code ec;
  return fs::is_regular_file(run_dir(p, seed) / "summary.json", ec) &&
         read_text(point_file(p)) == p.scenario_text;
}

bool SweepLayout::point_complete(const SweepSpec& s, const SweepPoint& p) const {
  for (std::uint64_t seed : s.seed_list())
    if (!run_complete(p, seed)) return false;
  return true;
}

void SweepLayout::prepare_points(const SweepSpec& s) const {
  for (const SweepPoint& p : s.points) {
    const fs::path pd = point_dir(p);
    fs::create_directories(pd);
    if (read_text(point_file(p)) == p.scenario_text) continue;
    // design decision: a point whose scenario changed (the sweep file was edited) starts over;
    // only the run folders and logs a sweep writes are removed.
    for (const auto& e : fs::directory_iterator(pd)) {
      const std::string n = e.path().filename().string();
      if (n.rfind("seed-", 0) == 0) fs::remove_all(e.path());
    }
    write_atomic(point_file(p), p.scenario_text);
  }
}

void save_sweep_state(const SweepSpec& s, const fs::path& dir) {
  fs::create_directories(dir);
  const std::string text = read_text(s.file);
  write_atomic(dir / "sweep.ini", text);
  nlohmann::ordered_json j;
  j["source"] = fs::absolute(s.file).lexically_normal().string();
  j["base_dir"] = s.base_dir.string();
  j["name"] = s.name;
  write_atomic(dir / "sweep.json", j.dump(2) + "\n");
}

SweepSpec load_sweep_state(const fs::path& dir) {
  const fs::path state = dir / "sweep.json";
  std::error_code ec;
  if (!fs::is_regular_file(state, ec) || !fs::is_regular_file(dir / "sweep.ini", ec))
    throw ConfigError(dir.string() + ": not a sweep folder (no sweep.json / sweep.ini)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(state));
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(state.string() + ": does not parse: " + e.what());
  }
  SweepSpec s = load_sweep_file(dir / "sweep.ini", j.value("base_dir", ""));
  s.name = j.value("name", s.name);
  return s;
}

}  // namespace hcasim::cli
