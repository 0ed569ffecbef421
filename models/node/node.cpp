#include "models/node/node.hpp"

#include <string>

namespace hcasim {

Node::Node(sc_core::sc_module_name name, std::uint64_t memory_bytes, const char* memory_param,
           unsigned adapters, const PcieParams& pcie_params, const HcaParams& hca_params,
           std::uint16_t first_port, std::uint32_t mtu, unsigned vls, PacketPool& packets,
           TraceSink* trace)
    : sc_module(name) {
  memory = std::make_unique<HostMemory>(std::string(this->name()) + ".memory", memory_bytes,
                                        memory_param);
  for (unsigned i = 0; i < adapters; ++i) {
    AdapterSlot slot;
    const std::string n = std::to_string(i);
    slot.pcie = std::make_unique<PcieLink>(("pcie" + n).c_str(), pcie_params, *memory, trace);
    slot.hca =
        std::make_unique<Hca>(("hca" + n).c_str(), hca_params,
                              static_cast<std::uint16_t>(first_port + i), mtu, vls, packets, trace);
    slot.hca->dma_socket.bind(slot.pcie->device_socket);
    slot.pcie->mmio_socket.bind(slot.hca->mmio_socket);
    slot.context = std::make_unique<AdapterContext>(*slot.hca, *slot.pcie, *memory, trace);
    slots.push_back(std::move(slot));
  }
  pcie = slots.front().pcie.get();
  hca = slots.front().hca.get();
  adapter = slots.front().context.get();
}

}  // namespace hcasim
