// Writes latency.csv from the op classes' latency histograms (see latency_csv.hpp).
#include "traces/latency_csv.hpp"

#include <cinttypes>
#include <cstdio>
#include <string>

#include "traces/atomic_file.hpp"

namespace hcasim {

namespace {

// Picoseconds as nanoseconds with exactly 3 decimals, by integer arithmetic (no rounding).
std::string ps_as_ns(std::uint64_t ps) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%" PRIu64 ".%03" PRIu64, ps / 1000, ps % 1000);
  return buf;
}

// RFC 4180 quoting, only when the name needs it.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

void write_latency_csv(const RunReport& report, const std::string& path) {
  AtomicFile out(path);
  out.write("class,bucket_low_ns,bucket_high_ns,count\n");
  for (const OpClassReport& op : report.ops) {
    const std::string name = csv_field(op.name);
    for (const LogLinearHistogram::Bucket& b : op.latency_ps.nonempty_buckets()) {
      char count[24];
      std::snprintf(count, sizeof count, "%" PRIu64, b.count);
      out.write(name + ',' + ps_as_ns(b.low) + ',' + ps_as_ns(b.high) + ',' + count + '\n');
    }
  }
  out.commit();
}

}  // namespace hcasim
