// Builds summary.json from a RunReport with nlohmann::ordered_json, so keys keep the order they
// are inserted in (report order) and the output is byte-for-byte deterministic.
#include "traces/summary_json.hpp"

#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "traces/atomic_file.hpp"

namespace hcasim {

namespace {

using Json = nlohmann::ordered_json;

// Non-finite doubles are written as null, not 0: a 0 would pass for a real measurement while
// null makes the gap visible to whoever reads the file. (Only Metric::value can be non-finite;
// every other figure is derived from integers.)
Json number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

double ps_to_ns(std::uint64_t ps) { return static_cast<double>(ps) / 1000.0; }
double ps_to_ns(double ps) { return ps / 1000.0; }

// Per second of simulated time; 0 when no time has passed. count * 1e12 / ps keeps round
// numbers round (1000 ops in 1 ms is exactly 1e6).
double per_second(std::uint64_t amount, std::uint64_t sim_time_ps) {
  if (sim_time_ps == 0) return 0.0;
  return static_cast<double>(amount) * 1e12 / static_cast<double>(sim_time_ps);
}

Json latency_ns(const LogLinearHistogram& h) {
  Json j = Json::object();
  j["min"] = ps_to_ns(h.min());
  j["mean"] = number(ps_to_ns(h.mean()));
  j["p50"] = ps_to_ns(h.quantile(0.5));
  j["p90"] = ps_to_ns(h.quantile(0.9));
  j["p99"] = ps_to_ns(h.quantile(0.99));
  j["p999"] = ps_to_ns(h.quantile(0.999));
  j["max"] = ps_to_ns(h.max());
  return j;
}

Json metric_leaf(const Metric& m) {
  Json j = Json::object();
  if (!m.distribution) {
    j["value"] = number(m.value);
    j["unit"] = m.unit;
    return j;
  }
  const LogLinearHistogram& h = *m.distribution;
  j["unit"] = m.unit;
  j["count"] = h.count();
  j["min"] = h.min();
  j["mean"] = number(h.mean());
  j["p50"] = h.quantile(0.5);
  j["p90"] = h.quantile(0.9);
  j["p99"] = h.quantile(0.99);
  j["p999"] = h.quantile(0.999);
  j["max"] = h.max();
  return j;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (parts.back().empty()) {
      throw std::logic_error("summary.json: metric path '" + path + "' has an empty component");
    }
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

Json contention_tree(const std::vector<Metric>& metrics) {
  // Validate first: every path must be unique and no leaf may also be an interior node.
  std::set<std::string> leaves;
  for (const Metric& m : metrics) {
    split_path(m.path);  // throws on malformed paths
    if (!leaves.insert(m.path).second) {
      throw std::logic_error("summary.json: duplicate metric path '" + m.path + "'");
    }
  }
  for (const std::string& path : leaves) {
    for (std::size_t dot = path.find('.'); dot != std::string::npos;
         dot = path.find('.', dot + 1)) {
      const std::string prefix = path.substr(0, dot);
      if (leaves.count(prefix)) {
        throw std::logic_error("summary.json: metric path '" + prefix +
                               "' is both a leaf and a prefix of '" + path + "'");
      }
    }
  }
  Json root = Json::object();
  for (const Metric& m : metrics) {
    Json* node = &root;
    for (const std::string& part : split_path(m.path)) node = &(*node)[part];
    *node = metric_leaf(m);
  }
  return root;
}

}  // namespace

std::string summary_json_text(const RunReport& report) {
  Json j = Json::object();
  j["scenario"] = report.scenario;
  j["seed"] = report.seed;
  j["sim_time_ns"] = ps_to_ns(report.sim_time_ps);

  Json ops = Json::object();
  for (const OpClassReport& op : report.ops) {
    if (ops.contains(op.name)) {
      throw std::logic_error("summary.json: duplicate op class '" + op.name + "'");
    }
    Json o = Json::object();
    o["count"] = op.count;
    o["bytes"] = op.bytes;
    o["latency_ns"] = latency_ns(op.latency_ps);
    o["ops_per_s"] = per_second(op.count, op.rate_span_ps(report.sim_time_ps));
    o["bytes_per_s"] = per_second(op.bytes, op.rate_span_ps(report.sim_time_ps));
    ops[op.name] = std::move(o);
  }
  j["ops"] = std::move(ops);
  j["contention"] = contention_tree(report.contention);

  // Invalid UTF-8 in a name is replaced rather than aborting the whole report.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

void write_summary_json(const RunReport& report, const std::string& path) {
  const std::string text = summary_json_text(report);
  AtomicFile out(path);
  out.write(text);
  out.commit();
}

}  // namespace hcasim
