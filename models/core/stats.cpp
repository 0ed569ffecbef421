// The registry of the models' statistics (see stats.hpp).
#include "models/core/stats.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace hcasim {

StatRegistry& StatRegistry::instance() {
  // One per process, like the Calendar; never destroyed, so a group that outlives main's
  // objects can still detach.
  static StatRegistry* registry = new StatRegistry();
  return *registry;
}

void StatRegistry::detach(StatGroup* group) {
  groups_.erase(std::remove(groups_.begin(), groups_.end(), group), groups_.end());
}

void StatRegistry::claim(const std::string& path, const std::string& group) {
  if (!paths_.insert(path).second)
    throw std::logic_error("statistic '" + path + "' is declared twice (the second time by '" +
                           group + "'): two models declare the same name");
}

void StatRegistry::report(RunReport& out) const {
  const StatContext context{out.sim_time_ps};
  for (const StatGroup* group : groups_) {
    for (const Stat& s : group->stats()) {
      if (s.distribution)
        out.add_distribution(s.path, s.unit, s.help, *s.distribution);
      else
        out.add(s.path, s.unit, s.help, s.value(context));
    }
  }
}

std::vector<const Stat*> StatRegistry::all() const {
  std::vector<const Stat*> stats;
  for (const StatGroup* group : groups_)
    for (const Stat& s : group->stats()) stats.push_back(&s);
  return stats;
}

StatGroup::StatGroup(std::string path) : path_(std::move(path)) {
  StatRegistry::instance().attach(this);
}

StatGroup::~StatGroup() {
  StatRegistry& registry = StatRegistry::instance();
  for (const Stat& s : stats_) registry.release(s.path);
  registry.detach(this);
}

void StatGroup::add(Stat stat) {
  StatRegistry::instance().claim(stat.path, path_);
  stats_.push_back(std::move(stat));
}

void StatGroup::counter(const std::uint64_t& field, const char* name, const char* unit,
                        const char* help) {
  const std::uint64_t* p = &field;
  add(Stat{path_ + "." + name, unit, help,
           [p](const StatContext&) { return static_cast<double>(*p); }, nullptr});
}

void StatGroup::time_ns(const Picos& field, const char* name, const char* help) {
  const Picos* p = &field;
  add(Stat{path_ + "." + name, "ns", help,
           [p](const StatContext&) { return static_cast<double>(*p) / 1000.0; }, nullptr});
}

void StatGroup::busy_share(const BusyResource& resource, const char* name, const char* help) {
  const BusyResource* r = &resource;
  add(Stat{path_ + "." + name, "ratio", help,
           [r](const StatContext& c) { return static_cast<double>(r->busy_ps()) / c.run_ps(); },
           nullptr});
}

void StatGroup::distribution(const LogLinearHistogram& h, const char* name, const char* unit,
                             const char* help) {
  add(Stat{path_ + "." + name, unit, help, {}, &h});
}

void StatGroup::formula(const std::string& name, const char* unit, const char* help,
                        std::function<double(const StatContext&)> value) {
  add(Stat{path_ + "." + name, unit, help, std::move(value), nullptr});
}

}  // namespace hcasim
