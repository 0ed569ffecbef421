// The roll-up of faults (docs/model.md, "Faults"): sums of the models' own counters, evaluated
// when the report is written.
#include "workloads/fault_summary.hpp"

#include "workloads/system.hpp"

namespace hcasim {

namespace {
template <class PerAdapter>
double sum_adapters(const System& s, PerAdapter field) {
  std::uint64_t n = 0;
  for (const Node* node : s.nodes())
    for (const AdapterSlot& a : node->slots) n += field(a.hca->counters());
  return static_cast<double>(n);
}
template <class PerService>
double sum_emulation(const System& s, PerService field) {
  std::uint64_t n = 0;
  for (const auto& unit : s.ious) {
    const IoUnit& u = *unit;
    if (const EmulationService* e = u.emulation()) n += field(e->stats());
  }
  return static_cast<double>(n);
}
}  // namespace

void declare_fault_summary(StatGroup& group, const System& s) {
  group.formula(
      "injected", "count",
      "faults injected: packets corrupted or lost on links (fault.*) + device operations failed "
      "(storage.error_rate)",
      [&s](const StatContext&) {
        std::uint64_t n = 0;
        for (const auto& link : s.fabric.links) n += link->corrupted(0) + link->corrupted(1);
        for (const auto& unit : s.ious)
          if (const StorageDevice* d = unit->storage()) n += d->stats().device_errors;
        return static_cast<double>(n);
      });
  group.formula(
      "recovered", "count",
      "recoveries: transport progress after resends (adapters' transport_recoveries) + "
      "I/O unit connections brought back after an RDMA error",
      [&s](const StatContext&) {
        return sum_adapters(s, [](const HcaCounters& c) { return c.transport_recoveries; }) +
               sum_emulation(s, [](const EmulationService::Stats& e) { return e.recoveries; });
      });
  group.formula("ops_failed", "count",
                "operations failed: work completions with an error status, flushes included "
                "(adapters' cqes_error) + block I/Os answered with an error status",
                [&s](const StatContext&) {
                  return sum_adapters(s, [](const HcaCounters& c) { return c.cqes_error; }) +
                         sum_emulation(
                             s, [](const EmulationService::Stats& e) { return e.error_replies; });
                });
}

}  // namespace hcasim
