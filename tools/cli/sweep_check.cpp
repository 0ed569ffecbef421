#include "tools/cli/sweep_check.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "models/core/config_error.hpp"
#include "tools/cli/child_process.hpp"
#include "tools/cli/summary_figure.hpp"

namespace hcasim::cli {

namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string describe(const SweepSpec& s, const SweepPoint& p) {
  std::string out = "point " + p.id + " (";
  for (std::size_t a = 0; a < s.axes.size(); ++a)
    out += (a ? ", " : "") + s.axes[a].name + "=" + s.axes[a].labels[p.value_index[a]];
  return out + ")";
}

// What a figure path could have named: the op classes and the top-level contention entries.
std::string what_there_is(const nlohmann::json& j) {
  std::string out;
  for (const char* section : {"ops", "contention"}) {
    if (!j.contains(section) || !j[section].is_object()) continue;
    out += std::string("; ") + section + ": ";
    std::size_t n = 0;
    for (const auto& [k, v] : j[section].items()) {
      if (n++ == 12) {
        out += ", ...";
        break;
      }
      out += (n > 1 ? ", " : "") + k;
    }
  }
  return out;
}

// Removes the temporary folder however the check ends.
struct TempDir {
  fs::path path;
  TempDir() {
    char name[] = "/tmp/hcasim-sweep-check-XXXXXX";
    if (!mkdtemp(name)) throw std::runtime_error("cannot create a temporary folder");
    path = name;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// The child names its scenario by the temporary file; the user knows it as the point.
std::string as_point(std::string msg, const SweepPoint& p, const fs::path& tmp_file) {
  for (auto at = msg.find(tmp_file.string()); at != std::string::npos;
       at = msg.find(tmp_file.string()))
    msg.replace(at, tmp_file.string().size(), "point " + p.id);
  return msg;
}

// Keys the built model never reads (the child's "hcasim: warning: key 'K' ..." lines), the first
// warning of each key and how many points had it: a swept key that no point reads would make
// the whole sweep measure nothing.
struct UnusedKeys {
  std::map<std::string, std::pair<std::string, std::size_t>> first_and_count;
  void collect(const std::string& err) {
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);) {
      const std::string prefix = "hcasim: warning: key '";
      if (line.rfind(prefix, 0) != 0) continue;
      const std::string key =
          line.substr(prefix.size(), line.find('\'', prefix.size()) - prefix.size());
      auto& entry = first_and_count[key];
      if (entry.second++ == 0) entry.first = line;
    }
  }
  void print(std::size_t points) const {
    for (const auto& [key, entry] : first_and_count)
      std::cerr << entry.first << " (in " << entry.second << " of " << points << " points)\n";
  }
};

void judge(const SweepSpec& s, const SweepPoint& p, const fs::path& tmp_file, int status,
           const std::string& out, const std::string& err, UnusedKeys& unused) {
  if (status == 2) {
    std::string msg = as_point(err, p, tmp_file);
    const std::string prefix = "hcasim run: error: ";
    if (msg.rfind(prefix, 0) == 0) msg.erase(0, prefix.size());
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    throw ConfigError(s.file.string() + ": " + describe(s, p) + " is not a valid scenario: " + msg);
  }
  if (status != 0)
    throw std::runtime_error("checking " + describe(s, p) + " failed (exit " +
                             std::to_string(status) + "): " + err);
  unused.collect(as_point(err, p, tmp_file));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(out);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("checking " + describe(s, p) + ": unreadable summary: " + e.what());
  }
  for (const FigureSpec& f : s.figures) {
    const std::string path = s.figure_path(f, p);
    if (!find_summary_figure(j, path))
      throw ConfigError(f.where + ": figure '" + f.name + "': '" + path +
                        "' names no number in summary.json of " + describe(s, p) +
                        what_there_is(j));
  }
}

}  // namespace

void check_sweep_points(const SweepSpec& s, unsigned jobs) {
  const TempDir tmp;
  const std::string exe = self_executable().string();
  std::map<pid_t, std::size_t> running;
  std::vector<int> status_of(s.points.size(), -1);
  std::size_t next = 0;
  auto file = [&](std::size_t i, const char* ext) { return tmp.path / (s.points[i].id + ext); };
  // On an error the children still running are waited for (TempDir then removes their files).
  auto drain = [&] {
    int st = 0;
    while (!running.empty()) running.erase(wait_any_child(st));
  };
  try {
    while (next < s.points.size() || !running.empty()) {
      while (next < s.points.size() && running.size() < std::max(1u, jobs)) {
        std::ofstream(file(next, ".ini")) << s.points[next].scenario_text;
        running[spawn_split({exe, "run", file(next, ".ini").string(), "--check"},
                            file(next, ".out"), file(next, ".err"))] = next;
        ++next;
      }
      int status = 0;
      const pid_t pid = wait_any_child(status);
      auto it = running.find(pid);
      if (it == running.end()) {
        if (pid < 0) throw std::runtime_error("lost track of the check's child processes");
        continue;
      }
      status_of[it->second] = status;
      running.erase(it);
    }
  } catch (...) {
    drain();
    throw;
  }
  // Judged in point order, so the same bad file always gives the same message.
  UnusedKeys unused;
  for (std::size_t i = 0; i < s.points.size(); ++i)
    judge(s, s.points[i], file(i, ".ini"), status_of[i], read_text(file(i, ".out")),
          read_text(file(i, ".err")), unused);
  unused.print(s.points.size());
}

}  // namespace hcasim::cli
