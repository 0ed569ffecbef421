#include "workloads/system.hpp"

#include "workloads/scenario_params.hpp"
#include "workloads/workload.hpp"

namespace hcasim {

void declare_all_params(ParamRegistry& r) {
  r.declare<ScenarioParams>();
  declare_workload_params(r);
  r.declare<HostParams>();
  r.declare<IouParams>();
  r.declare<LinkParams>();
  r.declare<PcieParams>();
  r.declare<HcaParams>();
  r.declare<FabricParams>();
  r.declare<SwitchParams>();
}

Node::Node(sc_core::sc_module_name name, std::uint64_t memory_bytes, const PcieParams& pcie_params,
           const HcaParams& hca_params, std::uint16_t port, std::uint32_t mtu, unsigned vls,
           PacketPool& packets, TraceSink* trace)
    : sc_module(name) {
  memory = std::make_unique<HostMemory>(std::string(this->name()) + ".memory", memory_bytes);
  pcie = std::make_unique<PcieLink>("pcie0", pcie_params, *memory, trace);
  hca = std::make_unique<Hca>("hca0", hca_params, port, mtu, vls, packets, trace);
  hca->dma_socket.bind(pcie->device_socket);
  pcie->mmio_socket.bind(hca->mmio_socket);
  adapter = std::make_unique<AdapterContext>(*hca, *pcie, *memory, trace);
}

System::System(const ParamValues& values, TraceSink* trace)
    : host_params(values.load<HostParams>()),
      iou_params(values.load<IouParams>()),
      link_params(values.load<LinkParams>()),
      pcie_params(values.load<PcieParams>()),
      hca_params(values.load<HcaParams>()),
      fabric_params(values.load<FabricParams>()),
      switch_params(values.load<SwitchParams>()),
      packets(std::make_unique<PacketPool>(link_params.mtu)),
      host_node(std::make_unique<Node>("host0", std::uint64_t(host_params.memory_mb) << 20,
                                       pcie_params, hca_params, 1, link_params.mtu,
                                       fabric_params.vls, *packets, trace)),
      iou_node(std::make_unique<Node>("iou0", std::uint64_t(iou_params.memory_mb) << 20,
                                      pcie_params, hca_params, 2, link_params.mtu,
                                      fabric_params.vls, *packets, trace)),
      host(*host_node),
      iou(*iou_node) {
  for (std::uint32_t i = 0; i < host_params.cpus; ++i)
    cpus.push_back(
        std::make_unique<SimCpu>("host0.cpu" + std::to_string(i), host_params.cpu_ghz, trace));
  std::vector<SimCpu*> raw;
  for (const auto& c : cpus) raw.push_back(c.get());
  interrupts = std::make_unique<InterruptController>(raw, host_params);
  host.pcie->set_interrupt_sink(interrupts.get());  // the adapter's MSIs reach the host's CPUs
  const std::vector<FabricEndpoint> endpoints = {
      {host.hca.get(), &host.hca->fabric_port(), host.hca->port_address(),
       hca_params.rx_buffer_bytes},
      {iou.hca.get(), &iou.hca->fabric_port(), iou.hca->port_address(),
       hca_params.rx_buffer_bytes}};
  fabric = build_fabric(fabric_params, link_params, switch_params, endpoints, trace);
}

void System::report(RunReport& out) const {
  const double sim_ps = static_cast<double>(out.sim_time_ps ? out.sim_time_ps : 1);
  auto add = [&](std::string path, std::string unit, std::string help, double v) {
    out.contention.push_back(Metric{std::move(path), std::move(unit), std::move(help), v, {}});
  };
  for (const auto& cpu : cpus) {
    add(cpu->name() + ".utilization", "ratio", "share of time running or spinning",
        static_cast<double>(cpu->busy_ps()) / sim_ps);
    add(cpu->name() + ".empty_polls", "count", "completion-queue polls that found nothing",
        static_cast<double>(cpu->empty_polls()));
  }
  for (const auto& link : fabric.links) {
    for (int side = 0; side < 2; ++side) {
      const std::string dir = std::string(link->name()) + (side == 0 ? ".dir0to1" : ".dir1to0");
      add(dir + ".utilization", "ratio", "share of time the wire is busy",
          static_cast<double>(link->direction(side).busy_ps()) / sim_ps);
      add(dir + ".packets", "count", "packets sent", static_cast<double>(link->packets(side)));
    }
  }
  for (const Node* n : {&host, &iou}) {
    const std::string base = n->hca->name();
    const auto& c = n->hca->counters();
    add(base + ".doorbells", "count", "doorbells received", double(c.doorbells));
    add(base + ".wqe_fetches", "count", "DMA reads of send WQEs", double(c.wqe_fetches));
    add(base + ".blueflame_wqes", "count", "WQEs that came with their doorbell",
        double(c.blueflame_wqes));
    add(base + ".cqes", "count", "completion-queue entries written", double(c.cqes));
    add(base + ".cq_overruns", "count", "completion queues that overflowed", double(c.cq_overruns));
    add(base + ".rnr_naks", "count", "receiver-not-ready NAKs sent", double(c.rnr_naks));
    add(base + ".protection_errors", "count", "accesses refused by memory protection",
        double(c.protection_errors));
    add(base + ".interrupts", "count", "completion events (MSI) raised", double(c.interrupts));
    add(base + ".timeouts", "count", "transport timeouts (resends)", double(c.timeouts));
    const auto& port = n->hca->fabric_port().counters();
    add(base + ".port.credit_wait_ns", "ns", "time packets waited for link credits",
        static_cast<double>(port.credit_wait_ps) / 1000.0);
    const std::string pcie = n->pcie->name();
    add(pcie + ".upstream_utilization", "ratio", "device-to-host direction busy",
        static_cast<double>(n->pcie->upstream().busy_ps()) / sim_ps);
    add(pcie + ".downstream_utilization", "ratio", "host-to-device direction busy",
        static_cast<double>(n->pcie->downstream().busy_ps()) / sim_ps);
  }
}

std::uint64_t System::model_actions() const {
  std::uint64_t n = host.hca->actions_executed() + iou.hca->actions_executed();
  if (fabric.sw) n += fabric.sw->actions_executed();
  return n;
}

}  // namespace hcasim
