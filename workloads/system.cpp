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
    cpus.push_back(std::make_unique<SimCpu>(std::string(host.name()) + ".cpu" + std::to_string(i),
                                            host_params.cpu_ghz, trace));
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

  // design decision: a second system in the same simulation (tests run two side by side) names
  // its roll-up faults_1, ..., as SystemC renames the second one's modules.
  std::string faults = "faults";
  for (unsigned i = 1; StatRegistry::instance().declared(faults + ".injected"); ++i)
    faults = "faults_" + std::to_string(i);
  fault_stats = std::make_unique<StatGroup>(faults);
  declare_fault_summary(*fault_stats);

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

void System::report(RunReport& out) const { StatRegistry::instance().report(out); }

// ---- the faults roll-up (docs/model.md, "Faults"): sums of the models' own counters, evaluated
// when the report is written.

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

void System::declare_fault_summary(StatGroup& group) const {
  const System& s = *this;
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
