#pragma once
// The simulated system of a run, built from its parameters: a host (memory, CPUs, PCIe link,
// HCA), a fabric link, and an I/O unit (memory, PCIe link, channel adapter). Later topologies
// (switches, several hosts and I/O units) grow here.
#include <memory>
#include <vector>

#include "host_os/host_params.hpp"
#include "host_os/host_stack_params.hpp"
#include "host_os/sim/interrupt_controller.hpp"
#include "host_os/sim/sim_cpu.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/verbs/verbs_device.hpp"
#include "models/core/params.hpp"
#include "models/core/run_report.hpp"
#include "models/core/stats.hpp"
#include "models/fabric/fault_params.hpp"
#include "models/fabric/link.hpp"
#include "models/fabric/switch_params.hpp"
#include "models/fabric/topology.hpp"
#include "models/hca/hca.hpp"
#include "models/hca/queue_interface.hpp"
#include "models/interconnect/pcie_link.hpp"
#include "models/iounit/io_unit.hpp"
#include "models/iounit/iou_params.hpp"
#include "models/iounit/storage_params.hpp"
#include "models/memory/host_memory.hpp"
#include "models/node/node.hpp"

namespace hcasim {

// Declares every parameter a run understands (what `hcasim params` prints).
void declare_all_params(ParamRegistry& registry);

// How many machines and adapters the scenario has: one host with `host_adapters` channel
// adapters, and `ious` I/O units with one adapter each, all on the fabric.
struct SystemParams {
  std::uint32_t host_adapters;
  std::uint32_t ious;
  template <class V>
  void visit(V& v) {
    v.integer(host_adapters, "system.host_adapters", "adapters", 1, 1, 16,
              "channel adapters in the host (each with its own PCIe link, sharing host memory)");
    v.integer(ious, "system.ious", "I/O units", 1, 1, 64,
              "I/O units on the fabric (more than one adapter in all needs fabric.topology = "
              "switch)");
  }
};

struct System {
  // Interrupt vectors: a CQ's is its number; host adapter i's async events use this + i.
  static constexpr std::uint32_t kAsyncEventVector = 1024;

  System(const ParamValues& values, TraceSink* trace);

  HostParams host_params;
  IouParams iou_params;
  EmulationParams emulation_params;
  StorageParams storage_params;
  LinkParams link_params;
  PcieParams pcie_params;
  HcaParams hca_params;
  SystemParams system_params;
  FabricParams fabric_params;
  SwitchParams switch_params;
  FaultParams fault_params;
  std::unique_ptr<PacketPool> packets;
  std::unique_ptr<Node> host_node;
  std::vector<std::unique_ptr<IoUnit>> ious;
  Node& host;   // the host
  IoUnit& iou;  // the first I/O unit
  std::vector<std::unique_ptr<SimCpu>> cpus;
  // The host's interrupt controller: the host adapter's MSIs land here and run on a CPU.
  std::unique_ptr<InterruptController> interrupts;
  Fabric fabric;  // links (and the switch) between the adapters
  // Host software: the simulated platform (shared-memory cost model of the host's CPUs) and
  // one verbs device per host adapter, guarded by host.sync. `verbs` is the first adapter's.
  std::unique_ptr<SimPlatform> platform;
  std::vector<std::unique_ptr<verbs::VerbsDevice>> host_verbs;
  verbs::VerbsDevice& verbs() { return *host_verbs.front(); }
  // summary.json's `faults` roll-up: faults.injected, faults.recovered, faults.ops_failed.
  std::unique_ptr<StatGroup> fault_stats;

  // Opens queues on I/O unit `iou` for one connection (a CQ of `cq_entries` and a QP).
  IouQueues open_iou_queues(unsigned iou, std::uint32_t cq_entries, std::uint32_t sq_entries,
                            std::uint32_t rq_entries, QpType type = QpType::kRc,
                            bool separate_send_cq = false) {
    return ious.at(iou)->open_queues(cq_entries, sq_entries, rq_entries, type, separate_send_cq);
  }
  // Connects a host QP (through its verbs device: RESET -> INIT -> RTR -> RTS) and the I/O
  // unit's QP (a firmware command) to each other, as a connection manager would.
  void connect(verbs::VerbsDevice& device, verbs::Qp& host_qp, unsigned iou, const IouQueues& peer);
  // The same for unreliable-datagram QPs: both ready with `qkey`, the unit's datagrams
  // addressed to the host QP (`peer.ud_peer`). Returns an address handle for the unit's port,
  // what the host's sends name (with the unit's QP number and `qkey`).
  const verbs::Ah& connect_ud(verbs::VerbsDevice& device, verbs::Qp& host_qp, unsigned iou,
                              IouQueues& peer, std::uint32_t qkey);

  // Adds every statistic the models declared (models/core/stats.hpp) to the report.
  void report(RunReport& out) const;
  // The host, then the I/O units.
  std::vector<const Node*> nodes() const;
  std::uint64_t model_actions() const;

 private:
  // Declares the roll-up into `group` as sums over the models (docs/model.md, "Faults").
  void declare_fault_summary(StatGroup& group) const;
};

}  // namespace hcasim
