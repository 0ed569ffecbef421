#pragma once
// What every traffic generator offers the run: whether it finished, how many work completions
// failed, its figures for the report, and optionally a table of its own for stdout (the
// perftest layout, say). make_workload() builds the one named by `workload.kind`.
#include <iosfwd>
#include <memory>

#include "models/core/params.hpp"
#include "models/core/run_report.hpp"
#include "models/core/trace_source.hpp"

namespace hcasim {

struct System;

class Workload {
 public:
  virtual ~Workload() = default;
  virtual bool finished() const = 0;
  virtual std::uint64_t errors() const = 0;
  virtual void report(RunReport& out) const = 0;
  virtual void print_table(std::ostream&) const {}
};

struct WorkloadParams {
  std::string kind;
  template <class V>
  void visit(V& v) {
    v.choice(kind, "workload.kind", "pingpong",
             {"pingpong", "perftest", "load", "update_storm", "cq_fanin", "storage"},
             "traffic generator: pingpong (round trips host <-> I/O unit), perftest (the "
             "ib_*_lat / ib_*_bw tools, perftest.*), load (open-loop arrivals, load.*), "
             "update_storm (workers vs. an updater on the driver's guard, storm.*), cq_fanin "
             "(many QPs into few CQs through the completion service and the message pool, "
             "fanin.*), storage (fio-shaped block I/O to the I/O unit's emulation service, "
             "fio.*)");
  }
};

// Declares the parameters of every workload kind.
void declare_workload_params(ParamRegistry& registry);
// The I/O unit service a workload drives (what iou.service = auto means for it).
std::string default_iou_service(const ParamValues& values);
std::unique_ptr<Workload> make_workload(const ParamValues& values, System& system,
                                        TraceSink* trace);

}  // namespace hcasim
