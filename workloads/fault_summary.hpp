#pragma once
// summary.json's `faults` section: how many faults a run injected, how often the models
// recovered from one, and how many operations failed (docs/model.md, "Faults").
#include "models/core/stats.hpp"

namespace hcasim {

struct System;

// Declares faults.injected, faults.recovered and faults.ops_failed into `group` as sums over
// `system`'s models; `system` must outlive the group's reports.
void declare_fault_summary(StatGroup& group, const System& system);

}  // namespace hcasim
