#include "tools/cli/summary_figure.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace hcasim::cli {

namespace {

using nlohmann::json;

std::vector<std::string> split_dots(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

// Units the ops section implies by its key names (contention entries carry their own).
std::string unit_by_name(const std::vector<std::string>& keys) {
  const std::string& leaf = keys.back();
  const std::string parent = keys.size() > 1 ? keys[keys.size() - 2] : "";
  auto ends = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends(leaf, "_ns") || ends(parent, "_ns")) return "ns";
  if (leaf == "ops_per_s") return "ops/s";
  if (leaf == "bytes_per_s") return "B/s";
  if (leaf == "bytes") return "B";
  if (leaf == "count" && keys.size() == 3 && keys[0] == "ops") return "ops";
  return "";
}

std::optional<SummaryFigure> leaf_figure(const json& node, const json* parent,
                                         const std::vector<std::string>& keys) {
  SummaryFigure f;
  const json* value = &node;
  const json* owner = parent;
  if (node.is_object() && node.contains("value")) {
    value = &node["value"];
    owner = &node;
  }
  if (value->is_null()) {
    f.value = std::numeric_limits<double>::quiet_NaN();
  } else if (value->is_number()) {
    f.value = value->get<double>();
  } else {
    return std::nullopt;
  }
  if (owner && owner->is_object() && owner->contains("unit") && (*owner)["unit"].is_string())
    f.unit = (*owner)["unit"].get<std::string>();
  if (f.unit.empty()) f.unit = unit_by_name(keys);
  return f;
}

std::optional<SummaryFigure> walk(const json& node, const json* parent,
                                  const std::vector<std::string>& parts, std::size_t from,
                                  std::vector<std::string>& keys) {
  if (from == parts.size()) return leaf_figure(node, parent, keys);
  if (!node.is_object()) return std::nullopt;
  // Longest key first: "send_lat.64" before "send_lat".
  for (std::size_t to = parts.size(); to > from; --to) {
    std::string key = parts[from];
    for (std::size_t i = from + 1; i < to; ++i) key += "." + parts[i];
    auto it = node.find(key);
    if (it == node.end()) continue;
    keys.push_back(key);
    if (auto f = walk(*it, &node, parts, to, keys)) return f;
    keys.pop_back();
  }
  return std::nullopt;
}

}  // namespace

std::optional<SummaryFigure> find_summary_figure(const json& summary, const std::string& path) {
  std::vector<std::string> keys;
  return walk(summary, nullptr, split_dots(path), 0, keys);
}

}  // namespace hcasim::cli
