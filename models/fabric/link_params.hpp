#pragma once
// Parameters of a fabric link. Defaults: 4x FDR InfiniBand over a 2 m copper cable
// (4 lanes x 14.0625 Gb/s, 64b/66b -> 54.54 Gb/s of data; about 5 ns per metre).
#include <cstdint>
#include <string>

#include "models/core/params.hpp"
#include "models/core/sim_time.hpp"

namespace hcasim {

struct LinkParams {
  std::uint32_t lanes;
  double lane_gbps;
  std::string encoding;
  double cable_m;
  double ns_per_m;
  std::uint32_t mtu;

  template <class V>
  void visit(V& v) {
    v.one_of(lanes, "fabric.lanes", "lanes", 4, {1, 4, 8, 12}, "lanes per link (1x, 4x, 8x, 12x)");
    v.real(lane_gbps, "fabric.lane_gbps", "Gb/s", 14.0625, 0.1, 1000.0,
           "signalling rate of one lane (SDR 2.5, DDR 5, QDR 10, FDR 14.0625, EDR 25.78125)");
    v.choice(encoding, "fabric.encoding", "64b66b", {"8b10b", "64b66b"},
             "line encoding (SDR..QDR: 8b10b; FDR, EDR: 64b66b)");
    v.real(cable_m, "fabric.cable_m", "m", 2.0, 0.0, 10000.0, "length of each cable");
    v.real(ns_per_m, "fabric.ns_per_m", "ns/m", 5.0, 0.0, 100.0, "propagation delay per metre");
    v.one_of(mtu, "fabric.mtu", "B", 4096, {256, 512, 1024, 2048, 4096},
             "path MTU: payload bytes per packet");
  }

  double data_gbps() const {
    const double efficiency = encoding == "8b10b" ? 8.0 / 10.0 : 64.0 / 66.0;
    return lanes * lane_gbps * efficiency;
  }
  // Time to serialize `bytes` onto the link.
  Picos wire_ps(std::uint64_t bytes) const {
    if (rate_cache_ == 0.0) rate_cache_ = data_gbps();  // hot path: no string compares
    return static_cast<Picos>(static_cast<double>(bytes) * 8000.0 / rate_cache_ + 0.5);
  }
  mutable double rate_cache_ = 0.0;
  Picos propagation_ps() const { return static_cast<Picos>(cable_m * ns_per_m * 1000.0 + 0.5); }
};

}  // namespace hcasim
