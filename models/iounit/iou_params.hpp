#pragma once
// Parameters of an I/O unit (docs/iounit.md): its memory, the service its firmware runs, its
// I/O controller CPUs, and the limits of the emulation service.
#include <cstdint>
#include <string>

#include "models/core/params.hpp"
#include "models/core/sim_time.hpp"

namespace hcasim {

struct IouParams {
  std::uint32_t memory_mb;
  std::string service;
  double service_ns;
  std::uint32_t recv_depth;
  // I/O controller and emulation service (iou.service = storage)
  std::uint32_t controllers;
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
    v.integer(memory_mb, "iou.memory_mb", "MiB", 64, 4, 65536, "memory of the I/O unit");
    v.choice(service, "iou.service", "auto", {"auto", "echo", "sink", "perftest", "storage"},
             "what the I/O unit's firmware serves: echo (answers each message), sink (drops "
             "messages), perftest (the peer side of the perftest tools), storage (the "
             "message-passing emulation over RDMA in front of a storage device); auto: the one "
             "the workload drives");
    v.real(service_ns, "iou.service_ns", "ns", 100.0, 0.0, 1e9,
           "echo and perftest: firmware time to handle one request before replying");
    v.integer(recv_depth, "iou.recv_depth", "WQEs", 64, 1, 65536,
              "receive buffers the I/O unit keeps posted on each connection");
    v.integer(controllers, "iou.controllers", "CPUs", 1, 1, 64,
              "storage: I/O controller CPUs; each frame and each data operation runs on the one "
              "free first");
    v.real(frame_ns, "iou.frame_ns", "ns", 500.0, 0.0, 1e9,
           "storage: controller time per request frame (parse, start, build and post the reply)");
    v.real(op_ns, "iou.op_ns", "ns", 100.0, 0.0, 1e9,
           "storage: controller time to start one data operation (RDMA READ/WRITE or device I/O)");
    v.integer(max_rdma_bytes, "iou.max_rdma_bytes", "B", 65536, 64, 1u << 30,
              "storage: most bytes one RDMA READ or WRITE moves (requests are split by it and "
              "by their scatter-gather entries)");
    v.integer(ops_per_request, "iou.ops_per_request", "ops", 4, 1, 1024,
              "storage: RDMA operations one request may have outstanding");
    v.integer(max_ops, "iou.max_ops", "ops", 64, 1, 65536,
              "storage: RDMA operations the whole unit may have outstanding");
    v.integer(max_transfer_kb, "iou.max_transfer_kb", "KiB", 256, 4, 1u << 20,
              "storage: largest transfer of one request (its staging buffer); larger ones get "
              "an error reply");
    v.integer(max_requests, "iou.max_requests", "requests", 64, 1, 4096,
              "storage: requests in progress at once (each holds a staging buffer); frames "
              "beyond wait in their receive buffers");
    v.real(recovery_us, "iou.recovery_us", "us", 2.0, 0.0, 1e6,
           "storage: firmware time to bring a connection back after an RDMA error");
  }

  Picos frame_ps() const { return ns_to_ps(frame_ns); }
  Picos op_ps() const { return ns_to_ps(op_ns); }
};

}  // namespace hcasim
