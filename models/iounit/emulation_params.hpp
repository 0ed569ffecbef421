#pragma once
// Parameters of the I/O unit's emulation service (iou.service = storage; docs/iounit.md):
// controller time per frame and per operation, how transfers are split, and its limits.
#include <cstdint>

#include "models/core/params.hpp"
#include "models/core/sim_time.hpp"

namespace hcasim {

struct EmulationParams {
  double frame_ns;
  double op_ns;
  std::uint32_t max_rdma_bytes;
  std::uint32_t ops_per_request;
  std::uint32_t max_ops;
  std::uint32_t max_transfer_kb;
  std::uint32_t max_requests;
  double recovery_us;

  template <class V>
  void visit(V& v) {
    v.real(frame_ns, "iou.emulation.frame_ns", "ns", 500.0, 0.0, 1e9,
           "controller time per request frame (parse, start, build and post the reply)");
    v.real(op_ns, "iou.emulation.op_ns", "ns", 100.0, 0.0, 1e9,
           "controller time to start one data operation (RDMA READ/WRITE or device I/O)");
    v.integer(max_rdma_bytes, "iou.emulation.max_rdma_bytes", "B", 65536, 64, 1u << 30,
              "most bytes one RDMA READ or WRITE moves (requests are split by it and by their "
              "scatter-gather entries)");
    v.integer(ops_per_request, "iou.emulation.ops_per_request", "ops", 4, 1, 1024,
              "RDMA operations one request may have outstanding");
    v.integer(max_ops, "iou.emulation.max_ops", "ops", 64, 1, 65536,
              "RDMA operations the whole unit may have outstanding");
    v.integer(max_transfer_kb, "iou.emulation.max_transfer_kb", "KiB", 256, 4, 1u << 20,
              "largest transfer of one request (its staging buffer); larger ones get an error "
              "reply");
    v.integer(max_requests, "iou.emulation.max_requests", "requests", 64, 1, 4096,
              "requests in progress at once (each holds a staging buffer); frames beyond wait "
              "in their receive buffers");
    v.real(recovery_us, "iou.emulation.recovery_us", "us", 2.0, 0.0, 1e6,
           "firmware time to bring a connection back after an RDMA error");
  }

  Picos frame_ps() const { return ns_to_ps(frame_ns); }
  Picos op_ps() const { return ns_to_ps(op_ns); }
};

}  // namespace hcasim
