#pragma once
// Parameters of the PCIe-like host interconnect. Defaults: PCIe Gen3 x8 on a Xeon E5 class host
// (docs/calibration.md): 8 GT/s, 128b/130b, MPS 256 B, MRRS 512 B, pcie-bench TLP overheads.
#include <cstdint>
#include <string>

#include "models/core/params.hpp"
#include "models/core/sim_time.hpp"

namespace hcasim {

struct PcieParams {
  std::uint32_t lanes;
  double lane_gtps;
  std::string encoding;
  std::uint32_t max_payload;
  std::uint32_t max_read_request;
  std::uint32_t read_completion;
  std::uint32_t request_overhead;
  std::uint32_t completion_overhead;
  double latency_ns;
  double memory_latency_ns;

  template <class V>
  void visit(V& v) {
    v.integer(lanes, "pcie.lanes", "lanes", 8, 1, 32, "lanes of the adapter's PCIe link");
    v.real(lane_gtps, "pcie.lane_gtps", "GT/s", 8.0, 0.1, 64.0, "transfer rate of one lane");
    v.choice(encoding, "pcie.encoding", "128b130b", {"8b10b", "128b130b"},
             "line encoding (Gen1/2: 8b10b, Gen3+: 128b130b)");
    v.one_of(max_payload, "pcie.max_payload", "B", 256, {128, 256, 512, 1024, 2048, 4096},
             "max payload size of one TLP (DMA writes, read completions)");
    v.one_of(max_read_request, "pcie.max_read_request", "B", 512, {128, 256, 512, 1024, 2048, 4096},
             "max read request size (DMA reads are split)");
    v.one_of(read_completion, "pcie.read_completion", "B", 64,
             {64, 128, 256, 512, 1024, 2048, 4096},
             "root complex splits read completions into TLPs of this size (read completion "
             "boundary; Intel Xeons return cache lines), capped by max_payload");
    v.integer(request_overhead, "pcie.request_overhead", "B", 24, 0, 64,
              "bytes per memory read/write request TLP besides payload (framing, header, LCRC)");
    v.integer(completion_overhead, "pcie.completion_overhead", "B", 20, 0, 64,
              "bytes per completion TLP besides payload");
    v.real(latency_ns, "pcie.latency_ns", "ns", 216.0, 0.0, 100000.0,
           "one-way latency between adapter and root complex (excluding serialization)");
    v.real(memory_latency_ns, "pcie.memory_latency_ns", "ns", 100.0, 0.0, 100000.0,
           "host memory access time for a DMA read at the root complex");
  }

  // Bytes of payload per nanosecond in one direction, after line encoding.
  double bytes_per_ns() const {
    const double efficiency = encoding == "8b10b" ? 8.0 / 10.0 : 128.0 / 130.0;
    return lanes * lane_gtps * efficiency / 8.0;
  }
  Picos wire_ps(std::uint64_t bytes) const {
    if (rate_cache_ == 0.0) rate_cache_ = bytes_per_ns();  // hot path: no string compares
    return static_cast<Picos>(static_cast<double>(bytes) * 1000.0 / rate_cache_ + 0.5);
  }
  mutable double rate_cache_ = 0.0;
  // Payload bytes per read completion TLP.
  std::uint32_t completion_bytes() const {
    return read_completion < max_payload ? read_completion : max_payload;
  }
  Picos latency_ps() const { return static_cast<Picos>(latency_ns * 1000.0 + 0.5); }
  Picos memory_latency_ps() const { return static_cast<Picos>(memory_latency_ns * 1000.0 + 0.5); }
};

}  // namespace hcasim
