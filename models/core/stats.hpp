#pragma once
// Statistics declared by the models (docs/statistics.md). A model declares each of its counters,
// times and distributions once, at construction, with a name, a unit and a help line, under its
// hierarchical name; the run report walks every declared statistic, so each one reaches
// summary.json and the stdout table without a list kept anywhere else.
//
// A counter stays a plain integer member that the model's hot path increments (`++c.doorbells`):
// declaring it records where it lives, so counting costs no lookup, no string and no allocation.
// A struct of counters names its fields in a `visit` member, the way parameter structs do
// (models/core/params.hpp):
//
//   struct LinkCounters {
//     std::uint64_t packets = 0;
//     template <class V> void visit(V& v) const { v.counter(packets, "packets", "count", "sent"); }
//   };
//   StatGroup stats_{name()};   // in the model, then in its constructor:
//   stats_.declare(counters_);  // or stats_.counter(field, ...) for a single member
//
// Figures derived from others (a utilization, a mean) are formulas evaluated when the report is
// written, never while the simulation runs.
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "models/core/histogram.hpp"
#include "models/core/occupancy.hpp"
#include "models/core/run_report.hpp"
#include "models/core/sim_time.hpp"

namespace hcasim {

// What a formula may look at when the report is written.
struct StatContext {
  std::uint64_t sim_time_ps = 0;
  // The run's length as a divisor for shares of time (1 ps for a zero-time report).
  double run_ps() const { return static_cast<double>(sim_time_ps ? sim_time_ps : 1); }
};

// One declared statistic.
struct Stat {
  std::string path;  // the group's path, a dot, the statistic's name: "host0.hca0.doorbells"
  std::string unit;  // "count", "ns", "ratio", "B", ...
  std::string help;  // one line
  std::function<double(const StatContext&)> value;   // scalars
  const LogLinearHistogram* distribution = nullptr;  // distributions (values in `unit`)
};

class StatGroup;

// Every statistic of the simulation. There is one, like the Calendar, because SystemC runs one
// simulation per process. design decision: models find it themselves (through StatGroup) rather
// than being handed it, so declaring statistics adds no constructor argument to every model.
class StatRegistry {
 public:
  static StatRegistry& instance();

  // Appends every statistic to `out.contention`: groups in the order they were created (the
  // order the system was built in), each group's statistics in the order it declared them.
  void report(RunReport& out) const;
  // Every statistic in report order (for tests and the generated docs).
  std::vector<const Stat*> all() const;
  std::size_t size() const { return paths_.size(); }
  bool declared(const std::string& path) const { return paths_.count(path) != 0; }

 private:
  friend class StatGroup;
  void attach(StatGroup* group) { groups_.push_back(group); }
  void detach(StatGroup* group);
  // Claims `path` for a new statistic; throws std::logic_error naming it if it is taken.
  void claim(const std::string& path, const std::string& group);
  void release(const std::string& path) { paths_.erase(path); }

  std::vector<StatGroup*> groups_;
  std::set<std::string> paths_;
};

// The statistics of one model (or one part of a model), all named under `path`. It registers
// itself for as long as it lives; a model keeps it as a member next to the counters it names.
class StatGroup {
 public:
  explicit StatGroup(std::string path);
  ~StatGroup();
  StatGroup(const StatGroup&) = delete;
  StatGroup& operator=(const StatGroup&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<Stat>& stats() const { return stats_; }

  // A struct whose `visit(V&)` names its fields through the calls below.
  template <class Counters>
  void declare(const Counters& counters) {
    counters.visit(*this);
  }

  // An integer the model counts in (events, bytes, blocks, ...).
  void counter(const std::uint64_t& field, const char* name, const char* unit, const char* help);
  // Simulated time the model accumulates in ps, reported in ns.
  void time_ns(const Picos& field, const char* name, const char* help);
  // The share of the run a resource was busy (unit "ratio").
  void busy_share(const BusyResource& resource, const char* name, const char* help);
  // A distribution the model records into.
  void distribution(const LogLinearHistogram& h, const char* name, const char* unit,
                    const char* help);
  // Anything computed from the model's state when the report is written.
  void formula(const std::string& name, const char* unit, const char* help,
               std::function<double(const StatContext&)> value);

 private:
  void add(Stat stat);

  std::string path_;
  std::vector<Stat> stats_;
};

}  // namespace hcasim
