#include "workloads/workload.hpp"

#include "workloads/cq_fanin.hpp"
#include "workloads/open_loop.hpp"
#include "workloads/perftest.hpp"
#include "workloads/pingpong.hpp"
#include "workloads/scenario_params.hpp"
#include "workloads/storage_io.hpp"
#include "workloads/system.hpp"
#include "workloads/update_storm.hpp"

namespace hcasim {

void declare_workload_params(ParamRegistry& r) {
  r.declare<WorkloadParams>();
  r.declare<PingPongParams>();
  r.declare<PerftestParams>();
  r.declare<LoadParams>();
  r.declare<UpdateStormParams>();
  r.declare<CqFaninParams>();
  r.declare<StorageIoParams>();
}

std::string default_iou_service(const ParamValues& values) {
  const std::string kind = values.load<WorkloadParams>().kind;
  if (kind == "pingpong" || kind == "cq_fanin") return "echo";
  if (kind == "update_storm") return "sink";
  if (kind == "storage") return "storage";
  return "perftest";  // perftest, load
}

std::unique_ptr<Workload> make_workload(const ParamValues& values, System& system,
                                        TraceSink* trace) {
  const auto kind = values.load<WorkloadParams>().kind;
  if (kind == "pingpong")
    return std::make_unique<PingPong>("pingpong", system, values.load<PingPongParams>(), trace);
  if (kind == "perftest") {
    const auto params = values.load<PerftestParams>();
    parse_perftest_sizes(params.sizes);  // bad sizes are named before anything is built
    return std::make_unique<Perftest>("perftest", system, params, trace);
  }
  if (kind == "load") {
    const auto params = values.load<LoadParams>();
    SizeDistribution::parse(params.size);
    return std::make_unique<OpenLoop>("load", system, params, values.load<ScenarioParams>().seed,
                                      trace);
  }
  if (kind == "update_storm")
    return std::make_unique<UpdateStorm>("update_storm", system, values.load<UpdateStormParams>(),
                                         values.load<ScenarioParams>().seed, trace);
  if (kind == "cq_fanin")
    return std::make_unique<CqFanin>("cq_fanin", system, values.load<CqFaninParams>(),
                                     values.load<HostStackParams>(),
                                     values.load<ScenarioParams>().seed, trace);
  if (kind == "storage")
    return std::make_unique<StorageIo>("fio", system, values.load<StorageIoParams>(),
                                       values.load<HostStackParams>(),
                                       values.load<ScenarioParams>().seed, trace);
  throw ConfigError("key 'workload.kind': '" + kind + "' has no generator");
}

}  // namespace hcasim
