#include "tools/cli/sweep_spec.hpp"

#include <algorithm>
#include <boost/program_options/parsers.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "models/core/config_error.hpp"
#include "models/core/params.hpp"
#include "models/core/scenario_file.hpp"
#include "workloads/scenario_params.hpp"
#include "workloads/system.hpp"

namespace hcasim::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Items separated by commas; commas inside parentheses (a range's arguments) do not split.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  int depth = 0;
  for (char c : text) {
    if (c == ',' && depth == 0) {
      items.push_back(trim(item));
      item.clear();
      continue;
    }
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    item += c;
  }
  if (!text.empty()) items.push_back(trim(item));
  return items;
}

struct Entry {
  std::string key;    // "vary.perftest.sizes"
  std::string value;  // as written
  std::string where;  // "file:line"
};

// The file's keys in order with their line numbers (Boost's parser gives the values but no
// lines, so the file is scanned for them, as scenario files are).
std::vector<Entry> read_entries(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw ConfigError(file.string() + ": cannot open sweep file: " +
                      (fs::exists(file, ec) ? "not a regular file" : "it does not exist"));
  std::ifstream in(file);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  std::map<std::string, int> line_of;
  {
    std::istringstream lines(text);
    std::string raw, section;
    int line = 0;
    while (std::getline(lines, raw)) {
      ++line;
      std::string s = raw;
      if (auto hash = s.find('#'); hash != std::string::npos) s.erase(hash);
      s = trim(s);
      if (s.empty()) continue;
      const std::string where = file.string() + ":" + std::to_string(line);
      if (s.front() == '[') {
        if (s.back() != ']' || s.size() < 3)
          throw ConfigError(where + ": malformed section header '" + trim(raw) + "'");
        section = trim(s.substr(1, s.size() - 2)) + ".";
        continue;
      }
      const auto eq = s.find('=');
      if (eq == std::string::npos || trim(s.substr(0, eq)).empty())
        throw ConfigError(where + ": malformed line '" + trim(raw) + "' (expected key = value)");
      const std::string key = section + trim(s.substr(0, eq));
      if (key == "sweep.zip") {
        line_of.emplace(key, line);
        continue;  // may be given once per zipped group
      }
      auto [it, fresh] = line_of.emplace(key, line);
      if (!fresh)
        throw ConfigError(where + ": key '" + key + "' given twice (first at line " +
                          std::to_string(it->second) + ")");
    }
  }
  po::options_description none;
  po::parsed_options parsed(&none);
  try {
    std::istringstream is(text);
    parsed = po::parse_config_file(is, none, /*allow_unregistered=*/true);
  } catch (const po::error& e) {
    throw ConfigError(file.string() + ": " + e.what());
  }
  std::vector<Entry> entries;
  for (const auto& opt : parsed.options) {
    auto it = line_of.find(opt.string_key);
    const std::string where =
        file.string() + (it == line_of.end() ? "" : ":" + std::to_string(it->second));
    entries.push_back({opt.string_key, opt.value.empty() ? "" : trim(opt.value.front()), where});
  }
  return entries;
}

[[noreturn]] void bad(const Entry& e, const std::string& why) {
  throw ConfigError(e.where + ": key '" + e.key + "': " + why);
}

bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(out);
}

std::string format_number(double v, bool integral) {
  char buf[64];
  if (integral) {
    std::snprintf(buf, sizeof buf, "%.0f", std::round(v));
  } else {
    std::snprintf(buf, sizeof buf, "%.10g", v);
  }
  return buf;
}

// "lin(LO, HI, N)" / "log(LO, HI, N)": N values from LO to HI, both included, evenly spaced
// (lin) or in a constant ratio (log). Integer parameters round each value; design decision:
// values that round to the same integer are kept once, so log(1, 1000, 30) on an integer
// parameter gives fewer than 30 points rather than repeated ones.
bool expand_range(const Entry& e, const std::string& item, const ParamSpec& spec,
                  std::vector<std::string>& values, bool& is_log) {
  static const std::regex kRange(R"(^(lin|log)\s*\(([^,]*),([^,]*),([^,]*)\)$)");
  std::smatch m;
  if (!std::regex_match(item, m, kRange)) return false;
  is_log = is_log || m[1] == "log";
  double lo = 0, hi = 0, n = 0;
  if (!parse_number(trim(m[2]), lo) || !parse_number(trim(m[3]), hi) ||
      !parse_number(trim(m[4]), n))
    bad(e, "'" + item + "': expected " + std::string(m[1]) + "(LOW, HIGH, COUNT) with numbers");
  if (n < 1 || n != std::floor(n) || n > 100000)
    bad(e, "'" + item + "' is an empty range: COUNT must be a whole number from 1 to 100000");
  if (n == 1 && lo != hi) bad(e, "'" + item + "': a range of one value needs LOW = HIGH");
  if (is_log && (lo <= 0 || hi <= 0))
    bad(e, "'" + item + "': a log range needs LOW and HIGH above 0");
  if (spec.type != ParamType::Integer && spec.type != ParamType::Real &&
      spec.type != ParamType::Text)
    bad(e, "a range needs a numeric parameter; it takes " + spec.allowed_text());
  const bool integral = spec.type != ParamType::Real;
  const auto count = static_cast<int>(n);
  for (int i = 0; i < count; ++i) {
    const double f = count == 1 ? 0.0 : double(i) / double(count - 1);
    const double v = i == count - 1 ? hi : is_log ? lo * std::pow(hi / lo, f) : lo + (hi - lo) * f;
    std::string text = format_number(v, integral);
    if (std::find(values.begin(), values.end(), text) == values.end()) values.push_back(text);
  }
  return true;
}

// What the sweep itself decides for every run.
void check_not_reserved(const Entry& e, const std::string& name) {
  if (name == "scenario.seed")
    bad(e, "the sweep sets each run's seed: use [sweep] seeds and first_seed");
  if (name == "scenario.trace") bad(e, "the sweep sets the trace: use [sweep] trace");
  if (name == "scenario.name") bad(e, "the runs keep the base scenario's name");
}

std::size_t find_axis(const SweepSpec& s, const std::string& name) {
  for (std::size_t i = 0; i < s.axes.size(); ++i)
    if (s.axes[i].name == name) return i;
  return s.axes.size();
}

void parse_figure_templates(const ParamRegistry& registry, const FigureSpec& f) {
  static const std::regex kBrace(R"(\{([^{}]*)\})");
  for (std::sregex_iterator it(f.path.begin(), f.path.end(), kBrace), end; it != end; ++it) {
    const std::string name = (*it)[1];
    if (name != kIncludeAxis && !registry.find(name))
      throw ConfigError(f.where + ": figure '" + f.name + "': {" + name +
                        "} is not a parameter (`hcasim params` lists them)");
  }
  const std::string rest = std::regex_replace(f.path, kBrace, "x");
  if (rest.find_first_of("{}") != std::string::npos || rest.empty() || rest.front() == '.' ||
      rest.back() == '.' || rest.find("..") != std::string::npos)
    throw ConfigError(f.where + ": figure '" + f.name + "': '" + f.path +
                      "' is not a path into summary.json (dotted keys, e.g. "
                      "ops.rtt.latency_ns.p50)");
}

std::string scenario_section_text(const std::string& name, const std::string& value) {
  const auto dot = name.find('.');
  return "[" + name.substr(0, dot) + "]\n" + name.substr(dot + 1) + " = " + value + "\n";
}

}  // namespace

std::vector<std::uint64_t> SweepSpec::seed_list() const {
  std::vector<std::uint64_t> list;
  for (std::uint64_t i = 0; i < seeds; ++i) list.push_back(first_seed + i);
  return list;
}

const std::vector<std::size_t>& SweepSpec::dimension_of(std::size_t axis) const {
  for (const auto& d : dimensions)
    if (std::find(d.begin(), d.end(), axis) != d.end()) return d;
  throw std::logic_error("axis in no dimension");
}

std::string SweepSpec::param_value(const SweepPoint& p, const std::string& name) const {
  for (std::size_t a = 0; a < axes.size(); ++a)
    if (axes[a].name == name) return axes[a].labels[p.value_index[a]];
  auto it = base_values.find(name);
  return it == base_values.end() ? "" : it->second;
}

std::string SweepSpec::figure_path(const FigureSpec& f, const SweepPoint& p) const {
  std::string out;
  for (std::size_t i = 0; i < f.path.size();) {
    if (f.path[i] == '{') {
      const auto close = f.path.find('}', i);
      out += param_value(p, f.path.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      out += f.path[i++];
    }
  }
  return out;
}

SweepSpec load_sweep_file(const fs::path& file, const fs::path& base_dir_in) {
  SweepSpec s;
  s.file = file;
  s.base_dir = base_dir_in.empty() ? fs::absolute(file).parent_path() : fs::absolute(base_dir_in);
  s.name = file.stem().string();
  const std::vector<Entry> entries = read_entries(file);

  ParamRegistry registry;
  declare_all_params(registry);
  auto resolve = [&](const std::string& rel) { return (s.base_dir / rel).lexically_normal(); };
  auto numeric = [](const Entry& e, std::uint64_t lo, std::uint64_t hi) {
    double v = 0;
    if (!parse_number(e.value, v) || v != std::floor(v) || v < double(lo) || v > double(hi))
      bad(e, "'" + e.value + "' is not allowed; allowed: " + std::to_string(lo) + " .. " +
                 std::to_string(hi));
    return static_cast<std::uint64_t>(v);
  };

  // 1. [sweep], [set], [slurm]: the base scenario with the fixed values.
  const Entry* scenario_entry = nullptr;
  std::vector<const Entry*> zips;
  std::map<std::string, PlotSpec> plots;
  std::vector<std::string> plot_order;
  std::vector<std::pair<const Entry*, std::string>> plot_refs;  // x / y to resolve later
  for (const Entry& e : entries) {
    const std::string& k = e.key;
    if (k == "sweep.scenario") {
      scenario_entry = &e;
    } else if (k == "sweep.name") {
      if (e.value.empty() || e.value.find_first_of("/\\ ") != std::string::npos)
        bad(e, "'" + e.value + "' is not a usable name (non-empty, no slashes or spaces)");
      s.name = e.value;
    } else if (k == "sweep.seeds") {
      s.seeds = numeric(e, 1, 1000);
    } else if (k == "sweep.first_seed") {
      s.first_seed = numeric(e, 0, 1000000000);
    } else if (k == "sweep.trace") {
      if (e.value != "none" && e.value != "vcd" && e.value != "fst")
        bad(e, "'" + e.value + "'; allowed: none, vcd, fst");
      s.trace = e.value;
    } else if (k == "sweep.zip") {
      zips.push_back(&e);
    } else if (k == "slurm.partition") {
      s.slurm.partition = e.value;
    } else if (k == "slurm.time") {
      if (!std::regex_match(e.value, std::regex(R"((\d+-)?\d+(:\d\d){0,2})")))
        bad(e, "'" + e.value + "' is not a Slurm time limit (MINUTES, HH:MM:SS or D-HH:MM:SS)");
      s.slurm.time = e.value;
    } else if (k == "slurm.mem") {
      if (!std::regex_match(e.value, std::regex(R"(\d+[KMGT]?)")))
        bad(e, "'" + e.value + "' is not a Slurm memory size (e.g. 512M, 2G)");
      s.slurm.mem = e.value;
    } else if (k == "slurm.poll_seconds") {
      s.slurm.poll_seconds = std::to_string(numeric(e, 1, 3600));
    } else if (k.rfind("plot.", 0) == 0) {
      const auto dot = k.find('.', 5);
      const std::string name = k.substr(5, dot == std::string::npos ? dot : dot - 5);
      const std::string field = dot == std::string::npos ? "" : k.substr(dot + 1);
      if (name.empty() || name.find_first_of("/\\ ") != std::string::npos)
        bad(e, "a plot section is [plot.NAME] with a name without slashes or spaces");
      if (!plots.count(name)) plot_order.push_back(name);
      PlotSpec& p = plots[name];
      p.name = name;
      if (p.where.empty()) p.where = e.where;
      if (field == "x" || field == "y") {
        plot_refs.emplace_back(&e, name);
      } else if (field == "title") {
        p.title = e.value;
      } else if (field == "xlabel") {
        p.xlabel = e.value;
      } else if (field == "ylabel") {
        p.ylabel = e.value;
      } else if (field == "logx" || field == "logy") {
        if (e.value != "auto" && e.value != "true" && e.value != "false")
          bad(e, "'" + e.value + "'; allowed: auto, true, false");
        (field == "logx" ? p.logx : p.logy) = e.value;
      } else {
        bad(e, "unknown plot key; allowed: x, y, title, xlabel, ylabel, logx, logy");
      }
    } else if (k.rfind("set.", 0) == 0 || k.rfind("vary.", 0) == 0 || k.rfind("figures.", 0) == 0) {
      // below, once the base scenario is known
    } else {
      bad(e,
          "unknown key; a sweep file has [sweep] scenario, name, seeds, first_seed, trace, zip; "
          "[set] and [vary] parameters; [figures]; [plot.NAME]; [slurm] partition, time, mem, "
          "poll_seconds");
    }
  }
  if (!scenario_entry)
    throw ConfigError(file.string() + ": [sweep] scenario is missing (the base scenario file)");
  s.scenario = resolve(scenario_entry->value);
  ParamValues base(registry);
  try {
    load_scenario_file(s.scenario.string(), base);
  } catch (const ConfigError& e) {
    throw ConfigError(scenario_entry->where + ": key 'sweep.scenario': " + e.what());
  }
  for (const Entry& e : entries) {
    if (e.key.rfind("set.", 0) != 0) continue;
    const std::string name = e.key.substr(4);
    check_not_reserved(e, name);
    base.set(name, e.value, ValueOrigin{e.where});
    s.fixed.emplace_back(name, base.text(name));
  }
  s.scenario_name = base.text("scenario.name");
  if (s.scenario_name.empty()) s.scenario_name = s.scenario.stem().string();
  for (const auto& [name, spec] : registry.all()) s.base_values[name] = base.text(name);

  // 2. [vary]: every value is checked against its parameter now, before anything runs.
  for (const Entry& e : entries) {
    if (e.key.rfind("vary.", 0) != 0) continue;
    SweepAxis axis;
    axis.name = e.key.substr(5);
    axis.where = e.where;
    check_not_reserved(e, axis.name);
    for (const auto& [n, v] : s.fixed)
      if (n == axis.name) bad(e, "is both fixed in [set] and varied in [vary]");
    if (axis.name == kIncludeAxis) {
      for (const std::string& item : split_list(e.value)) {
        if (item.empty()) bad(e, "empty item in '" + e.value + "'");
        const fs::path preset = resolve(item);
        ParamValues check(registry);
        try {
          load_scenario_file(preset.string(), check);
        } catch (const ConfigError& err) {
          bad(e, err.what());
        }
        axis.values.push_back(preset.string());
        axis.labels.push_back(preset.stem().string());
      }
    } else {
      const ParamSpec* spec = registry.find(axis.name);
      if (!spec) bad(e, "unknown parameter (`hcasim params` lists them all)");
      axis.unit = spec->unit;
      for (const std::string& item : split_list(e.value)) {
        if (item.empty()) bad(e, "empty item in '" + e.value + "'");
        if (expand_range(e, item, *spec, axis.values, axis.log_range)) continue;
        axis.values.push_back(item);
      }
      ParamValues check(registry);
      std::vector<std::string> canonical;
      for (const std::string& v : axis.values) {
        check.set(axis.name, v, ValueOrigin{e.where});
        if (std::find(canonical.begin(), canonical.end(), check.text(axis.name)) == canonical.end())
          canonical.push_back(check.text(axis.name));
      }
      axis.values = std::move(canonical);
      axis.labels = axis.values;
    }
    // design decision: a value given twice (or by overlapping ranges) is one point.
    if (axis.values.empty()) bad(e, "empty list of values");
    s.axes.push_back(std::move(axis));
  }
  if (s.axes.empty())
    throw ConfigError(file.string() + ": [vary] names no parameter (a sweep varies at least one)");

  // 3. Dimensions: each zip group moves together, the others are crossed, in file order.
  std::vector<int> group_of(s.axes.size(), -1);
  for (std::size_t g = 0; g < zips.size(); ++g) {
    std::size_t len = 0;
    for (const std::string& name : split_list(zips[g]->value)) {
      const std::size_t a = find_axis(s, name);
      if (a == s.axes.size()) bad(*zips[g], "'" + name + "' is not varied in [vary]");
      if (group_of[a] >= 0) bad(*zips[g], "'" + name + "' is in two zip groups");
      group_of[a] = int(g);
      if (len && s.axes[a].values.size() != len)
        bad(*zips[g], "zipped parameters need lists of the same length ('" + name + "' has " +
                          std::to_string(s.axes[a].values.size()) + ", the first has " +
                          std::to_string(len) + ")");
      len = s.axes[a].values.size();
    }
  }
  std::map<int, std::size_t> dim_of_group;
  for (std::size_t a = 0; a < s.axes.size(); ++a) {
    if (group_of[a] < 0) {
      s.dimensions.push_back({a});
    } else if (auto it = dim_of_group.find(group_of[a]); it != dim_of_group.end()) {
      s.dimensions[it->second].push_back(a);
    } else {
      dim_of_group[group_of[a]] = s.dimensions.size();
      s.dimensions.push_back({a});
    }
  }

  // 4. Points: the cross product of the dimensions, the first one varying slowest.
  std::size_t total = 1;
  for (const auto& d : s.dimensions) total *= s.axes[d.front()].values.size();
  if (total > 100000)
    throw ConfigError(file.string() + ": " + std::to_string(total) +
                      " points; a sweep may have at most 100000");
  const int width = std::max<int>(4, int(std::to_string(total - 1).size()));
  for (std::size_t i = 0; i < total; ++i) {
    SweepPoint p;
    p.index = i;
    p.id = std::to_string(i);
    p.id.insert(0, std::size_t(std::max(0, width - int(p.id.size()))), '0');
    p.value_index.assign(s.axes.size(), 0);
    std::size_t rest = i;
    for (std::size_t d = s.dimensions.size(); d-- > 0;) {
      const std::size_t n = s.axes[s.dimensions[d].front()].values.size();
      for (std::size_t a : s.dimensions[d]) p.value_index[a] = rest % n;
      rest /= n;
    }
    // The point's scenario: the base, then a varied preset, then the fixed and varied values.
    std::ostringstream text;
    text << "# hcasim sweep " << s.name << ", point " << p.id << "\n";
    text << "include = " << s.scenario.string() << "\n";
    for (std::size_t a = 0; a < s.axes.size(); ++a)
      if (s.axes[a].name == kIncludeAxis)
        text << "include = " << s.axes[a].values[p.value_index[a]] << "\n";
    text << scenario_section_text("scenario.name", s.scenario_name);
    text << scenario_section_text("scenario.trace", s.trace);
    for (const auto& [n, v] : s.fixed) text << scenario_section_text(n, v);
    for (std::size_t a = 0; a < s.axes.size(); ++a)
      if (s.axes[a].name != kIncludeAxis)
        text << scenario_section_text(s.axes[a].name, s.axes[a].values[p.value_index[a]]);
    p.scenario_text = text.str();
    s.points.push_back(std::move(p));
  }

  // 5. Figures and plots.
  std::set<std::string> figure_names;
  for (const Entry& e : entries) {
    if (e.key.rfind("figures.", 0) != 0) continue;
    FigureSpec f{e.key.substr(8), e.value, e.where};
    if (f.name.find_first_of(", \"") != std::string::npos)
      bad(e, "a figure name is a CSV column: no commas, spaces or quotes");
    if (find_axis(s, f.name) != s.axes.size() || f.name == "point" || f.name == "seed")
      bad(e, "a figure may not have the name of a varied parameter, 'point' or 'seed'");
    figure_names.insert(f.name);
    parse_figure_templates(registry, f);
    s.figures.push_back(std::move(f));
  }
  if (s.figures.empty())
    throw ConfigError(file.string() + ": [figures] names no figure to collect");
  for (const auto& [e, name] : plot_refs) {
    PlotSpec& p = plots[name];
    if (e->key.back() == 'x') {
      p.x_axis = find_axis(s, e->value);
      if (p.x_axis == s.axes.size()) bad(*e, "'" + e->value + "' is not varied in [vary]");
      for (const std::string& v : s.axes[p.x_axis].labels) {
        double d = 0;
        if (!parse_number(v, d))
          bad(*e, "'" + e->value + "' has the value '" + v + "', not a number to plot against");
      }
    } else {
      p.y_figure = s.figures.size();
      for (std::size_t f = 0; f < s.figures.size(); ++f)
        if (s.figures[f].name == e->value) p.y_figure = f;
      if (p.y_figure == s.figures.size()) bad(*e, "'" + e->value + "' is not in [figures]");
    }
  }
  for (const std::string& name : plot_order) {
    PlotSpec& p = plots[name];
    bool has_x = false, has_y = false;
    for (const auto& [e, n] : plot_refs)
      if (n == name) (e->key.back() == 'x' ? has_x : has_y) = true;
    if (!has_x || !has_y)
      throw ConfigError(p.where + ": [plot." + name +
                        "] needs x (a varied parameter) and y (a "
                        "figure)");
    s.plots.push_back(p);
  }
  return s;
}

}  // namespace hcasim::cli
