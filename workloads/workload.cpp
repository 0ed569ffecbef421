#include "workloads/workload.hpp"

#include "workloads/pingpong.hpp"
#include "workloads/system.hpp"

namespace hcasim {

void declare_workload_params(ParamRegistry& r) {
  r.declare<WorkloadParams>();
  r.declare<PingPongParams>();
}

std::unique_ptr<Workload> make_workload(const ParamValues& values, System& system,
                                        TraceSink* trace) {
  const auto kind = values.load<WorkloadParams>().kind;
  if (kind == "pingpong")
    return std::make_unique<PingPong>("pingpong", system, values.load<PingPongParams>(), trace);
  throw ConfigError("key 'workload.kind': '" + kind + "' has no generator");
}

}  // namespace hcasim
