#pragma once
// A bench for one adapter stage on its own: host memory behind a DMA target with a fixed
// latency that records every write (address, bytes, when it lands; MSIs apart) and answers
// firmware's untimed reads, and the AdapterCore a stage is built on (default parameters, a
// 1 GHz adapter clock, so one cycle is 1 ns).
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include <cstdint>
#include <cstring>
#include <vector>

#include "models/core/params.hpp"
#include "models/hca/adapter_core.hpp"
#include "models/interconnect/interrupt_sink.hpp"

namespace hcasim::hca_stage {

constexpr Picos kNs = 1000;

struct HostStub : sc_core::sc_module {
  struct Write {
    std::uint64_t addr;
    std::vector<std::uint8_t> bytes;
    Picos lands;
  };
  struct Msi {
    std::uint32_t vector;
    Picos issued, lands;
  };

  tlm_utils::simple_initiator_socket<HostStub> dma;  // the adapter's side
  tlm_utils::simple_target_socket<HostStub> target;  // host memory's side
  std::vector<std::uint8_t> memory = std::vector<std::uint8_t>(1 << 20);
  Picos latency;
  std::vector<Write> writes;  // to host memory, in the order issued
  std::vector<Msi> msis;
  std::uint32_t reads = 0;
  std::uint32_t dbg_reads = 0;  // untimed reads (the adapter peeking at a doorbell record)

  explicit HostStub(sc_core::sc_module_name name, Picos dma_latency = 500 * kNs)
      : sc_module(name), dma("dma"), target("target"), latency(dma_latency) {
    target.register_nb_transport_fw(this, &HostStub::nb_transport_fw);
    target.register_transport_dbg(this, &HostStub::transport_dbg);
    dma.bind(target);
  }

  template <class T>
  void put(std::uint64_t addr, const T& value) {
    std::memcpy(&memory[addr], &value, sizeof value);
  }

 private:
  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase&,
                                     sc_core::sc_time& delay) {
    const std::uint64_t addr = gp.get_address();
    const unsigned len = gp.get_data_length();
    const Picos issued = now_ps() + delay.value();
    delay += ps(latency);
    if (addr >= kMsiWindowBase) {
      msis.push_back(
          Msi{static_cast<std::uint32_t>((addr - kMsiWindowBase) / 4), issued, issued + latency});
    } else if (gp.is_write()) {
      std::memcpy(&memory[addr], gp.get_data_ptr(), len);
      writes.push_back(Write{addr, {gp.get_data_ptr(), gp.get_data_ptr() + len}, issued + latency});
    } else {
      std::memcpy(gp.get_data_ptr(), &memory[addr], len);
      ++reads;
    }
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return tlm::TLM_COMPLETED;
  }
  unsigned transport_dbg(tlm::tlm_generic_payload& gp) {
    ++dbg_reads;
    std::memcpy(gp.get_data_ptr(), &memory[gp.get_address()], gp.get_data_length());
    return gp.get_data_length();
  }
};

// A parameter struct with its declared defaults.
template <class P>
P defaults() {
  ParamRegistry r;
  r.declare<P>();
  return ParamValues(r).load<P>();
}

// Host memory and the core a stage runs on.
struct StageBench {
  HostStub host{"host"};
  PacketPool packets{4096};
  AdapterCore core{"hca", defaults<HcaParams>(), 1, 2048, packets, nullptr, host.dma};
};

}  // namespace hcasim::hca_stage
