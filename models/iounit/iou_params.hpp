#pragma once
// Parameters of an I/O unit: its memory and the processing time of its service firmware.
#include <cstdint>

#include "models/core/params.hpp"

namespace hcasim {

struct IouParams {
  std::uint32_t memory_mb;
  double service_ns;
  std::uint32_t recv_depth;

  template <class V>
  void visit(V& v) {
    v.integer(memory_mb, "iou.memory_mb", "MiB", 64, 4, 65536, "memory of the I/O unit");
    v.real(service_ns, "iou.service_ns", "ns", 100.0, 0.0, 1e9,
           "firmware time to handle one request before replying");
    v.integer(recv_depth, "iou.recv_depth", "WQEs", 64, 1, 65536,
              "receive buffers the I/O unit keeps posted");
  }
};

}  // namespace hcasim
