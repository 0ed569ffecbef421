#include "models/core/scenario_file.hpp"

#include <boost/program_options/parsers.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <vector>

namespace hcasim {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Boost's config parser reports no line numbers, so the file is scanned once for them (and for
// the syntax errors we want to name by line) before Boost parses it.
std::map<std::string, int> scan_lines(const std::string& path, const std::string& text) {
  std::map<std::string, int> line_of;
  std::istringstream in(text);
  std::string raw, section;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    std::string s = raw;
    if (auto hash = s.find('#'); hash != std::string::npos) s.erase(hash);
    s = trim(s);
    if (s.empty()) continue;
    const std::string where = path + ":" + std::to_string(line);
    if (s.front() == '[') {
      if (s.back() != ']' || s.size() < 3)
        throw ConfigError(where + ": malformed section header '" + trim(raw) +
                          "' (expected [name])");
      section = trim(s.substr(1, s.size() - 2)) + ".";
      continue;
    }
    const auto eq = s.find('=');
    if (eq == std::string::npos)
      throw ConfigError(where + ": malformed line '" + trim(raw) + "' (expected key = value)");
    const std::string key = trim(s.substr(0, eq));
    if (key.empty()) throw ConfigError(where + ": missing key before '='");
    const std::string full = (key == "include" && section.empty()) ? key : section + key;
    auto [it, fresh] = line_of.emplace(full, line);
    if (!fresh && full != "include")  // several presets may be included
      throw ConfigError(where + ": key '" + full + "' given twice (first at line " +
                        std::to_string(it->second) + ")");
  }
  return line_of;
}

void load_text(const std::string& text, const std::string& path, ParamValues& values, int depth);

void load_file(const std::string& path, ParamValues& values, int depth) {
  if (depth > 8) throw ConfigError(path + ": includes nested more than 8 deep");
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw ConfigError(path + (fs::exists(path, ec)
                                  ? ": cannot open scenario file: not a regular file"
                                  : ": cannot open scenario file: it does not exist"));
  }
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open scenario file");
  std::stringstream buf;
  buf << in.rdbuf();
  load_text(buf.str(), path, values, depth);
}

void load_text(const std::string& text, const std::string& path, ParamValues& values, int depth) {
  const auto line_of = scan_lines(path, text);

  po::options_description none;
  po::parsed_options parsed(&none);
  try {
    std::istringstream is(text);
    parsed = po::parse_config_file(is, none, /*allow_unregistered=*/true);
  } catch (const po::error& e) {
    throw ConfigError(path + ": " + e.what());
  }
  auto where = [&](const std::string& key) {
    auto it = line_of.find(key);
    return it == line_of.end() ? path : path + ":" + std::to_string(it->second);
  };
  // Includes first, so that this file's own keys override the preset.
  for (const auto& opt : parsed.options) {
    if (opt.string_key != "include") continue;
    for (const auto& v : opt.value) {
      fs::path inc = fs::path(path).parent_path() / v;
      std::error_code ec;  // a name the file system refuses (too long, ...) is bad input too
      if (!fs::exists(inc, ec))
        throw ConfigError(where("include") + ": key 'include': file '" + inc.string() + "' " +
                          (ec ? "cannot be opened (" + ec.message() + ")" : "does not exist"));
      load_file(inc.lexically_normal().string(), values, depth + 1);
    }
  }
  for (const auto& opt : parsed.options) {
    if (opt.string_key == "include") continue;
    values.set(opt.string_key, opt.value.empty() ? "" : opt.value.front(),
               ValueOrigin{where(opt.string_key)});
  }
}

}  // namespace

void load_scenario_file(const std::string& path, ParamValues& values) {
  load_file(path, values, 0);
}

void load_scenario_text(const std::string& text, const std::string& path, ParamValues& values) {
  load_text(text, path, values, 0);
}

void apply_set_option(const std::string& assignment, ParamValues& values) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected KEY=VALUE");
  values.set(trim(assignment.substr(0, eq)), trim(assignment.substr(eq + 1)),
             ValueOrigin{"--set " + assignment});
}

}  // namespace hcasim
