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
}

Node::Node(sc_core::sc_module_name name, std::uint64_t memory_bytes, const PcieParams& pcie_params,
           const HcaParams& hca_params, std::uint16_t port, std::uint32_t mtu,
           PacketPool& packets, TraceSink* trace)
    : sc_module(name) {
  memory = std::make_unique<HostMemory>(std::string(this->name()) + ".memory", memory_bytes);
  pcie = std::make_unique<PcieLink>("pcie0", pcie_params, *memory, trace);
  hca = std::make_unique<Hca>("hca0", hca_params, port, mtu, packets, trace);
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
      packets(std::make_unique<PacketPool>(link_params.mtu)),
      host_node(std::make_unique<Node>("host0", std::uint64_t(host_params.memory_mb) << 20,
                                       pcie_params, hca_params, 1, link_params.mtu, *packets,
                                       trace)),
      iou_node(std::make_unique<Node>("iou0", std::uint64_t(iou_params.memory_mb) << 20,
                                      pcie_params, hca_params, 2, link_params.mtu, *packets,
                                      trace)),
      host(*host_node),
      iou(*iou_node) {

  for (std::uint32_t i = 0; i < host_params.cpus; ++i)
    cpus.push_back(std::make_unique<SimCpu>("host0.cpu" + std::to_string(i), host_params.cpu_ghz,
                                            trace));
  link = std::make_unique<Link>("link0", link_params, trace);
  link->to_side[0].bind(*host.hca);
  link->to_side[1].bind(*iou.hca);
  host.hca->attach_link(*link, 0);
  iou.hca->attach_link(*link, 1);
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
  for (int side = 0; side < 2; ++side) {
    const std::string dir = side == 0 ? "link0.host_to_iou" : "link0.iou_to_host";
    add(dir + ".utilization", "ratio", "share of time the wire is busy",
        static_cast<double>(link->direction(side).busy_ps()) / sim_ps);
    add(dir + ".packets", "count", "packets sent", static_cast<double>(link->packets(side)));
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
    const std::string pcie = n->pcie->name();
    add(pcie + ".upstream_utilization", "ratio", "device-to-host direction busy",
        static_cast<double>(n->pcie->upstream().busy_ps()) / sim_ps);
    add(pcie + ".downstream_utilization", "ratio", "host-to-device direction busy",
        static_cast<double>(n->pcie->downstream().busy_ps()) / sim_ps);
  }
}

std::uint64_t System::model_actions() const {
  return host.hca->actions_executed() + iou.hca->actions_executed();
}

}  // namespace hcasim
