#pragma once
// A machine on the fabric: memory and its channel adapters (each behind its own PCIe link).
// The host and every I/O unit are one (models/iounit/io_unit.hpp adds what an I/O unit has).
#include <systemc>

#include <cstdint>
#include <memory>
#include <vector>

#include "models/fabric/packet.hpp"
#include "models/hca/hca.hpp"
#include "models/hca/queue_interface.hpp"
#include "models/interconnect/pcie_link.hpp"
#include "models/memory/host_memory.hpp"

namespace hcasim {

// One channel adapter of a machine: its PCIe link, the adapter, and the software interface.
struct AdapterSlot {
  std::unique_ptr<PcieLink> pcie;
  std::unique_ptr<Hca> hca;
  std::unique_ptr<AdapterContext> context;
};

// A host or an I/O unit: memory and its channel adapters, as one module so that trace and
// report names follow the hierarchy ("host0.hca0.qp0.sq_depth"). `pcie`, `hca` and `adapter`
// name the first adapter, the one single-adapter workloads use.
struct Node : sc_core::sc_module {
  Node(sc_core::sc_module_name name, std::uint64_t memory_bytes, const char* memory_param,
       unsigned adapters, const PcieParams& pcie, const HcaParams& hca, std::uint16_t first_port,
       std::uint32_t mtu, unsigned vls, PacketPool& packets, TraceSink* trace);
  std::unique_ptr<HostMemory> memory;
  std::vector<AdapterSlot> slots;
  PcieLink* pcie = nullptr;
  Hca* hca = nullptr;
  AdapterContext* adapter = nullptr;
};

}  // namespace hcasim
