// Formats a RunReport and WallStats as aligned text tables for a person at a terminal
// (see summary_table.hpp). Column widths follow the content, so any magnitude stays aligned.
#include "traces/summary_table.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace hcasim {

namespace {

// printf into a std::string; the attribute keeps compile-time format checking.
__attribute__((format(printf, 1, 2))) std::string fmt(const char* format, ...) {
  char buf[96];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

std::string fmt_u64(std::uint64_t v) { return fmt("%" PRIu64, v); }

// 3 significant-ish figures with a k/M/G suffix: "950.0", "12.35k", "1.00M".
std::string fmt_rate(double v) {
  if (!std::isfinite(v)) return "n/a";
  if (v < 1e3) return fmt("%.1f", v);
  if (v < 1e6) return fmt("%.2fk", v / 1e3);
  if (v < 1e9) return fmt("%.2fM", v / 1e6);
  return fmt("%.2fG", v / 1e9);
}

std::string fmt_throughput(double bytes_per_s) {
  if (bytes_per_s >= 1e9) return fmt("%.2f GB/s", bytes_per_s / 1e9);
  return fmt("%.2f MB/s", bytes_per_s / 1e6);
}

std::string fmt_duration_ps(std::uint64_t ps) {
  const double v = static_cast<double>(ps);
  if (v >= 1e12) return fmt("%.3f s", v / 1e12);
  if (v >= 1e9) return fmt("%.3f ms", v / 1e9);
  if (v >= 1e6) return fmt("%.3f µs", v / 1e6);
  return fmt("%.3f ns", v / 1e3);
}

std::string fmt_general(double v) { return fmt("%.6g", v); }

// A fixed-width table: the first column is left-aligned, the others right-aligned.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) {
    row.resize(rows_.front().size());
    rows_.push_back(std::move(row));
  }
  void print(std::ostream& out, const std::string& indent) const {
    std::vector<std::size_t> width(rows_.front().size(), 0);
    for (const auto& row : rows_) {
      for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      print_row(out, indent, rows_[r], width);
      if (r == 0) {
        std::vector<std::string> rule;
        for (std::size_t w : width) rule.emplace_back(w, '-');
        print_row(out, indent, rule, width);
      }
    }
  }

 private:
  static void print_row(std::ostream& out, const std::string& indent,
                        const std::vector<std::string>& row,
                        const std::vector<std::size_t>& width) {
    std::string line = indent;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      if (c > 0) line += "  ";
      line += c == 0 ? row[c] + pad : pad + row[c];
    }
    line.erase(line.find_last_not_of(' ') + 1);  // empty trailing cells leave no blanks
    out << line << '\n';
  }

  std::vector<std::vector<std::string>> rows_;
};

struct LatencyUnit {
  const char* name;
  double ps_per_unit;
};

// One unit for the whole ops table, chosen so the typical (median) latencies read naturally.
LatencyUnit pick_latency_unit(const std::vector<OpClassReport>& ops) {
  std::uint64_t largest_median = 0;
  for (const OpClassReport& op : ops) {
    largest_median = std::max(largest_median, op.latency_ps.quantile(0.5));
  }
  if (largest_median >= 1000000000) return {"ms", 1e9};
  if (largest_median >= 1000000) return {"µs", 1e6};
  return {"ns", 1e3};
}

void print_ops(const RunReport& report, std::ostream& out) {
  const LatencyUnit unit = pick_latency_unit(report.ops);
  out << "Operations (latency in " << unit.name << ")\n";
  if (report.ops.empty()) {
    out << "  (none)\n";
    return;
  }
  TextTable table({"class", "count", "bytes", "min", "mean", "p50", "p90", "p99", "p99.9", "max",
                   "ops/s", "throughput"});
  for (const OpClassReport& op : report.ops) {
    const LogLinearHistogram& h = op.latency_ps;
    auto lat = [&](double ps) { return fmt("%.3f", ps / unit.ps_per_unit); };
    auto q = [&](double p) { return lat(static_cast<double>(h.quantile(p))); };
    const double sim_s = static_cast<double>(op.rate_span_ps(report.sim_time_ps)) / 1e12;
    const double ops_s = sim_s > 0 ? static_cast<double>(op.count) / sim_s : 0.0;
    const double bytes_s = sim_s > 0 ? static_cast<double>(op.bytes) / sim_s : 0.0;
    table.add({op.name, fmt_u64(op.count), fmt_u64(op.bytes), lat(static_cast<double>(h.min())),
               lat(h.mean()), q(0.5), q(0.9), q(0.99), q(0.999), lat(static_cast<double>(h.max())),
               fmt_rate(ops_s), fmt_throughput(bytes_s)});
  }
  table.print(out, "  ");
}

void print_contention(const RunReport& report, std::ostream& out) {
  out << "Contention\n";
  if (report.contention.empty()) {
    out << "  (none)\n";
    return;
  }
  TextTable table({"metric", "value", "unit", "count", "mean", "p50", "p99", "max"});
  for (const Metric& m : report.contention) {
    if (!m.distribution) {
      table.add({m.path, fmt_general(m.value), m.unit});
      continue;
    }
    const LogLinearHistogram& h = *m.distribution;
    table.add({m.path, "", m.unit, fmt_u64(h.count()), fmt_general(h.mean()),
               fmt_u64(h.quantile(0.5)), fmt_u64(h.quantile(0.99)), fmt_u64(h.max())});
  }
  table.print(out, "  ");
}

void print_wall(const RunReport& report, const WallStats& wall, std::ostream& out) {
  out << "Wall clock (this machine, this run; not written to any file)\n";
  const bool timed = wall.wall_seconds > 0 && std::isfinite(wall.wall_seconds);
  auto per_wall_s = [&](std::uint64_t n) {
    return timed ? fmt_rate(static_cast<double>(n) / wall.wall_seconds) : std::string("n/a");
  };
  std::string ratio = "n/a";
  if (timed) {
    const double r = static_cast<double>(report.sim_time_ps) / 1e12 / wall.wall_seconds;
    ratio = fmt("%.3g", r);
    if (r > 0)
      ratio += fmt(" (%.1fx %s than real time)", r < 1 ? 1 / r : r, r < 1 ? "slower" : "faster");
  }
  auto line = [&](const char* label, const std::string& value) {
    out << fmt("  %-31s", label) << value << '\n';
  };
  line("wall time", timed ? fmt("%.3f s", wall.wall_seconds) : std::string("n/a"));
  line("simulated events", fmt_u64(wall.sim_events));
  line("events per wall second", per_wall_s(wall.sim_events));
  line("work requests per wall second", per_wall_s(wall.work_requests));
  line("simulated time / wall time", ratio);
}

}  // namespace

void print_summary_table(const RunReport& report, const WallStats& wall, std::ostream& out) {
  out << "hcasim run: scenario " << report.scenario << ", seed " << report.seed
      << ", simulated time " << fmt_duration_ps(report.sim_time_ps) << "\n\n";
  print_ops(report, out);
  out << '\n';
  print_contention(report, out);
  out << '\n';
  print_wall(report, wall, out);
}

}  // namespace hcasim
