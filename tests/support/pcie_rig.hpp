#pragma once
// A PCIe link with a device that issues DMA through it, as the adapter does, and a register
// file behind its MMIO socket: shared by the PCIe calibration and DMA landing tests.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "models/core/params.hpp"
#include "models/interconnect/pcie_link.hpp"

namespace hcasim::pcie_test {

inline PcieParams defaults() {
  ParamRegistry r;
  r.declare<PcieParams>();
  return ParamValues(r).load<PcieParams>();
}

// A device that issues DMA through the link, as the adapter does.
struct Device : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Device> socket{"socket"};
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(1 << 20);
  explicit Device(sc_core::sc_module_name n) : sc_module(n) {}
  // Issues a transfer at `at` and returns when it completes (ps).
  Picos dma(bool read, std::uint64_t addr, std::uint32_t len, Picos at) {
    tlm::tlm_generic_payload gp;
    gp.set_command(read ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND);
    gp.set_address(addr);
    gp.set_data_ptr(buf.data());
    gp.set_data_length(len);
    gp.set_streaming_width(len);
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_core::sc_time delay = ps(at - now_ps());
    socket->nb_transport_fw(gp, phase, delay);
    EXPECT_TRUE(gp.is_response_ok());
    return now_ps() + delay.value();
  }
};

// The device's register file: records when a doorbell write arrives.
struct Registers : sc_core::sc_module {
  tlm_utils::simple_target_socket<Registers> socket{"socket"};
  Picos arrived = 0;
  explicit Registers(sc_core::sc_module_name n) : sc_module(n) {
    socket.register_b_transport(this, &Registers::write);
  }
  void write(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    arrived = now_ps() + delay.value();
    if (gp.is_read()) std::memset(gp.get_data_ptr(), 0x5a, gp.get_data_length());
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct Rig {
  HostMemory memory{"mem", 64 << 20};
  PcieParams params = defaults();
  PcieLink link{"pcie", params, memory, nullptr};
  Device device{"device"};
  Registers registers{"registers"};
  Rig() {
    device.socket.bind(link.device_socket);
    link.mmio_socket.bind(registers.socket);
  }
};

}  // namespace hcasim::pcie_test
