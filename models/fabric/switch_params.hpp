#pragma once
// Parameters of a fabric switch. Defaults: a 36-port 4x FDR switch of the Mellanox SwitchX-2
// class (SX6036): cut-through, 170 ns port to port, first bit in to first bit out (the figure
// Mellanox quoted for SwitchX-2 FDR switches, recalled, not checked against a stored copy of the
// product brief: confirm before citing it in calibration.md), and input buffers of a few
// MTU-sized packets per VL.
//
// Why 32 KiB per VL per input port: line rate needs credits for at least one credit round trip,
// here (first bit to switch) + hop + packet + flow-control packet + propagation back, which for
// 4 KiB MTU over 2 m at FDR is about 0.8 us = 1.3 packets; 32 KiB holds 7 full packets, enough
// for line rate up to cables of several hundred metres. The real chip shares a central buffer
// whose size per port is not published; this is a modelling choice, not a measured figure.
#include <cstdint>

#include "models/core/params.hpp"
#include "models/core/sim_time.hpp"

namespace hcasim {

struct SwitchParams {
  std::uint32_t ports;
  double hop_ns;
  std::uint32_t buffer_bytes;

  template <class V>
  void visit(V& v) {
    v.integer(ports, "switch.ports", "ports", 36, 2, 254, "ports of each switch");
    v.real(hop_ns, "switch.hop_ns", "ns", 170.0, 0.0, 100000.0,
           "cut-through latency: first bit in to first bit out of an idle output");
    v.integer(buffer_bytes, "switch.buffer_bytes", "B", 32768, 64, 1 << 24,
              "input buffer per port per virtual lane (credits advertised upstream, 64 B each)");
  }

  Picos hop_ps() const { return static_cast<Picos>(hop_ns * 1000.0 + 0.5); }
  std::uint32_t buffer_blocks() const { return buffer_bytes / 64; }
};

}  // namespace hcasim
