#include "workloads/system.hpp"

#include <stdexcept>

#include "models/iounit/storage_params.hpp"
#include "workloads/scenario_params.hpp"
#include "workloads/workload.hpp"

namespace hcasim {

void declare_all_params(ParamRegistry& r) {
  r.declare<ScenarioParams>();
  declare_workload_params(r);
  r.declare<HostParams>();
  r.declare<HostStackParams>();
  r.declare<IouParams>();
  r.declare<EmulationParams>();
  r.declare<StorageParams>();
  r.declare<LinkParams>();
  r.declare<PcieParams>();
  r.declare<HcaParams>();
  r.declare<SystemParams>();
  r.declare<FabricParams>();
  r.declare<SwitchParams>();
  r.declare<FaultParams>();
}

namespace {
std::vector<std::unique_ptr<IoUnit>> make_ious(
    const ParamValues& values, const SystemParams& sp, const IouParams& ip,
    const EmulationParams& emulation, const StorageParams& storage, const PcieParams& pcie,
    const HcaParams& hca, std::uint32_t mtu, unsigned vls, PacketPool& packets, TraceSink* trace) {
  const std::string service = ip.service == "auto" ? default_iou_service(values) : ip.service;
  const std::uint64_t seed = values.load<ScenarioParams>().seed;
  std::vector<std::unique_ptr<IoUnit>> units;
  for (std::uint32_t i = 0; i < sp.ious; ++i) {
    // Fabric addresses: the host's adapters are 1..host_adapters, I/O units follow.
    const auto port = static_cast<std::uint16_t>(sp.host_adapters + 1 + i);
    units.push_back(std::make_unique<IoUnit>(("iou" + std::to_string(i)).c_str(), ip, service,
                                             ip.service != "auto", emulation, storage, seed + i,
                                             pcie, hca, port, mtu, vls, packets, trace));
  }
  return units;
}
}  // namespace

System::System(const ParamValues& values, TraceSink* trace)
    : host_params(values.load<HostParams>()),
      iou_params(values.load<IouParams>()),
      emulation_params(values.load<EmulationParams>()),
      storage_params(values.load<StorageParams>()),
      link_params(values.load<LinkParams>()),
      pcie_params(values.load<PcieParams>()),
      hca_params(values.load<HcaParams>()),
      system_params(values.load<SystemParams>()),
      fabric_params(values.load<FabricParams>()),
      switch_params(values.load<SwitchParams>()),
      fault_params(values.load<FaultParams>()),
      packets(std::make_unique<PacketPool>(link_params.mtu)),
      host_node(std::make_unique<Node>("host0", std::uint64_t(host_params.memory_mb) << 20,
                                       "host.memory_mb", system_params.host_adapters, pcie_params,
                                       hca_params, 1, link_params.mtu, fabric_params.vls, *packets,
                                       trace)),
      ious(make_ious(values, system_params, iou_params, emulation_params, storage_params,
                     pcie_params, hca_params, link_params.mtu, fabric_params.vls, *packets, trace)),
      host(*host_node),
      iou(*ious.front()) {
  for (std::uint32_t i = 0; i < host_params.cpus; ++i)
    cpus.push_back(
        std::make_unique<SimCpu>("host0.cpu" + std::to_string(i), host_params.cpu_ghz, trace));
  std::vector<SimCpu*> raw;
  for (const auto& c : cpus) raw.push_back(c.get());
  interrupts =
      std::make_unique<InterruptController>(raw, host_params, values.load<ScenarioParams>().seed);
  for (AdapterSlot& a : host.slots)  // the adapters' MSIs reach the host's CPUs
    a.pcie->set_interrupt_sink(interrupts.get());
  std::vector<FabricEndpoint> endpoints;
  for (const Node* node : nodes())
    for (const AdapterSlot& a : node->slots)
      endpoints.push_back(FabricEndpoint{a.hca.get(), &a.hca->fabric_port(), a.hca->port_address(),
                                         hca_params.rx_buffer_bytes});
  fabric = build_fabric(fabric_params, link_params, switch_params, endpoints, trace);
  if (fault_params.any()) {
    if (fault_params.link_down_us > 0 && fault_params.link_down >= fabric.links.size())
      throw ConfigError("key 'fault.link_down': link" + std::to_string(fault_params.link_down) +
                        " does not exist; allowed: 0 .. " +
                        std::to_string(fabric.links.size() - 1));
    const std::uint64_t fault_seed = values.load<ScenarioParams>().seed;
    for (std::size_t i = 0; i < fabric.links.size(); ++i) {
      const bool down = fault_params.link_down_us > 0 && i == fault_params.link_down;
      const Picos from = down ? us_to_ps(fault_params.link_down_at_us) : 0;
      const Picos until = down ? from + us_to_ps(fault_params.link_down_us) : 0;
      fabric.links[i]->inject_faults(fault_seed, fault_params.packet_error_rate, from, until);
    }
  }

  const std::uint64_t seed = values.load<ScenarioParams>().seed;
  platform = std::make_unique<SimPlatform>(raw, SimPlatformParams::from(host_params, seed));
  const auto kind = sync::sync_kind_from_string(host_params.sync);
  if (!kind)
    throw ConfigError("key 'host.sync': '" + host_params.sync + "' is no synchronization kind");
  for (std::size_t i = 0; i < host.slots.size(); ++i) {
    host_verbs.push_back(std::make_unique<verbs::VerbsDevice>(
        std::string(host.name()) + ".verbs" + std::to_string(i), *host.slots[i].context, *platform,
        *kind, host_params, trace));
    // Each adapter's async events on a vector of their own, handled on host.irq_cpu, once
    // software listens.
    verbs::VerbsDevice* dev = host_verbs.back().get();
    const std::uint32_t vector = kAsyncEventVector + static_cast<std::uint32_t>(i);
    dev->set_event_queue_opener([this, dev, vector] {
      dev->open_async_events(vector);
      interrupts->route(vector, host_params.irq_cpu, Dpc{&verbs::VerbsDevice::async_dpc, dev, 0});
    });
  }
}

void System::connect(verbs::VerbsDevice& device, verbs::Qp& host_qp, unsigned index,
                     const IouQueues& peer) {
  Hca& iou_hca = *ious.at(index)->hca;
  const verbs::Endpoint mine = device.endpoint(host_qp);
  const verbs::Endpoint theirs{iou_hca.port_address(), peer.qp->qpn, 0};
  if (const int err = device.connect(host_qp, theirs))
    throw std::logic_error("connecting QP " + std::to_string(mine.qpn) + " failed: errno " +
                           std::to_string(err));
  iou_hca.connect(peer.qp->qpn, mine.port, mine.qpn, theirs.psn, mine.psn);
}

const verbs::Ah& System::connect_ud(verbs::VerbsDevice& device, verbs::Qp& host_qp, unsigned index,
                                    IouQueues& peer, std::uint32_t qkey) {
  Hca& iou_hca = *ious.at(index)->hca;
  if (const int err = device.activate_ud(host_qp, qkey))
    throw std::logic_error("readying UD QP " + std::to_string(host_qp.qp_num()) +
                           " failed: errno " + std::to_string(err));
  iou_hca.set_qkey(peer.qp->qpn, qkey);
  peer.ud_peer = UdAddress{device.endpoint(host_qp).port, host_qp.qp_num(), qkey};
  return device.create_ah(verbs::AhAttr{iou_hca.port_address()});
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
    if (cpu->timer_tick().enabled())  // (absent with host.tick_hz = 0: outputs as before ticks)
      add(cpu->name() + ".ticks", "count", "timer ticks taken (only while busy)",
          static_cast<double>(cpu->ticks()));
    if (cpu->timer_tick().enabled() && cpu->timer_tick().switch_every)
      add(cpu->name() + ".context_switches", "count", "ticks that ran another task first",
          static_cast<double>(cpu->context_switches()));
  }
  for (const auto& link : fabric.links) {
    for (int side = 0; side < 2; ++side) {
      const std::string dir = std::string(link->name()) + (side == 0 ? ".dir0to1" : ".dir1to0");
      add(dir + ".utilization", "ratio", "share of time the wire is busy",
          static_cast<double>(link->direction(side).busy_ps()) / sim_ps);
      add(dir + ".packets", "count", "packets sent", static_cast<double>(link->packets(side)));
      if (fault_params.any())
        add(dir + ".corrupted", "count", "packets corrupted or lost on the wire (fault.*)",
            static_cast<double>(link->corrupted(side)));
    }
  }
  for (const Node* node : nodes()) {
    for (const AdapterSlot& a : node->slots) report_adapter(a, sim_ps, add);
  }
  for (const auto& unit : ious) unit->report(out, sim_ps);
}

template <class Add>
void System::report_adapter(const AdapterSlot& a, double sim_ps, Add& add) const {
  {
    const Hca* hca = a.hca.get();
    const PcieLink* pcie_link = a.pcie.get();
    const std::string base = hca->name();
    const auto& c = hca->counters();
    add(base + ".doorbells", "count", "doorbells received", double(c.doorbells));
    add(base + ".wqe_fetches", "count", "DMA reads of send WQEs", double(c.wqe_fetches));
    add(base + ".blueflame_wqes", "count", "WQEs that came with their doorbell",
        double(c.blueflame_wqes));
    add(base + ".cqes", "count", "completion-queue entries written", double(c.cqes));
    add(base + ".cq_overruns", "count", "completion queues that overflowed", double(c.cq_overruns));
    add(base + ".completions_lost", "count", "completions not written: their CQ had overrun",
        double(c.completions_lost));
    add(base + ".cq_resizes", "count", "completion queues resized", double(c.cq_resizes));
    add(base + ".async_events", "count", "asynchronous events raised (CQ error, QP fatal, port)",
        double(c.async_events));
    add(base + ".async_events_undelivered", "count",
        "asynchronous events with no event queue open (or it was full)",
        double(c.async_events_undelivered));
    add(base + ".rnr_naks", "count", "receiver-not-ready NAKs sent", double(c.rnr_naks));
    add(base + ".protection_errors", "count", "accesses refused by memory protection",
        double(c.protection_errors));
    add(base + ".interrupts", "count", "completion events (MSI) raised", double(c.interrupts));
    add(base + ".timeouts", "count", "transport timeouts (resends)", double(c.timeouts));
    if (fault_params.any())
      add(base + ".icrc_drops", "count", "packets discarded as corrupted on the wire",
          double(c.icrc_drops));
    if (hca->runs_ud())  // (absent without UD QPs: reliable-connection outputs as before)
      add(base + ".ud_drops", "count", "datagrams dropped: no receive posted, or another Q_Key",
          double(c.ud_drops));
    const auto& port = a.hca->fabric_port().counters();
    add(base + ".port.credit_wait_ns", "ns",
        "time ready packets waited for link credits with the wire free",
        static_cast<double>(port.credit_wait_ps) / 1000.0);
    const std::string pcie = pcie_link->name();
    add(pcie + ".upstream_utilization", "ratio", "device-to-host direction busy",
        static_cast<double>(pcie_link->upstream().busy_ps()) / sim_ps);
    add(pcie + ".downstream_utilization", "ratio", "host-to-device direction busy",
        static_cast<double>(pcie_link->downstream().busy_ps()) / sim_ps);
  }
}

std::vector<const Node*> System::nodes() const {
  std::vector<const Node*> all{&host};
  for (const auto& n : ious) all.push_back(n.get());
  return all;
}

std::uint64_t System::model_actions() const {
  std::uint64_t n = 0;
  for (const Node* node : nodes())
    for (const AdapterSlot& a : node->slots) n += a.hca->actions_executed();
  if (fabric.sw) n += fabric.sw->actions_executed();
  return n;
}

}  // namespace hcasim
