#pragma once
// The simulated system of a run, built from its parameters: a host (memory, CPUs, PCIe link,
// HCA), a fabric link, and an I/O unit (memory, PCIe link, channel adapter). Later topologies
// (switches, several hosts and I/O units) grow here.
#include <memory>
#include <vector>

#include "host_os/host_params.hpp"
#include "host_os/sim/interrupt_controller.hpp"
#include "host_os/sim/sim_cpu.hpp"
#include "models/core/params.hpp"
#include "models/core/run_report.hpp"
#include "models/fabric/link.hpp"
#include "models/fabric/switch_params.hpp"
#include "models/fabric/topology.hpp"
#include "models/hca/hca.hpp"
#include "models/hca/queue_interface.hpp"
#include "models/interconnect/pcie_link.hpp"
#include "models/iounit/iou_params.hpp"
#include "models/memory/host_memory.hpp"

namespace hcasim {

// Declares every parameter a run understands (what `hcasim params` prints).
void declare_all_params(ParamRegistry& registry);

// A host or an I/O unit: memory, PCIe link and channel adapter, as one module so that trace
// and report names follow the hierarchy ("host0.hca0.qp0.sq_depth").
struct Node : sc_core::sc_module {
  Node(sc_core::sc_module_name name, std::uint64_t memory_bytes, const PcieParams& pcie,
       const HcaParams& hca, std::uint16_t port, std::uint32_t mtu, unsigned vls,
       PacketPool& packets, TraceSink* trace);
  std::unique_ptr<HostMemory> memory;
  std::unique_ptr<PcieLink> pcie;
  std::unique_ptr<Hca> hca;
  std::unique_ptr<AdapterContext> adapter;
};

struct System {
  System(const ParamValues& values, TraceSink* trace);

  HostParams host_params;
  IouParams iou_params;
  LinkParams link_params;
  PcieParams pcie_params;
  HcaParams hca_params;
  FabricParams fabric_params;
  SwitchParams switch_params;
  std::unique_ptr<PacketPool> packets;
  std::unique_ptr<Node> host_node, iou_node;
  Node& host;
  Node& iou;
  std::vector<std::unique_ptr<SimCpu>> cpus;
  // The host's interrupt controller: the host adapter's MSIs land here and run on a CPU.
  std::unique_ptr<InterruptController> interrupts;
  Fabric fabric;  // links (and the switch) between the adapters

  // Adds utilization and contention figures of the models to the report.
  void report(RunReport& out) const;
  std::uint64_t model_actions() const;
};

}  // namespace hcasim
