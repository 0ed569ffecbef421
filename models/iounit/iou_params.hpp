#pragma once
// Parameters of an I/O unit as a node (docs/iounit.md): its memory, the service its firmware
// runs, its I/O controller CPUs, and what the message services share (receives kept posted,
// the echo's firmware time). The emulation service's own are in emulation_params.hpp.
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
  std::uint32_t recv_batch;
  std::uint32_t controllers;

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
    v.integer(recv_batch, "iou.recv_batch", "WQEs", 16, 1, 65536,
              "echo, sink and perftest: receives the firmware reposts per doorbell, as SPDK and "
              "DPDK drivers refill in bursts (at most a quarter of iou.recv_depth is used; 1: a "
              "doorbell per receive)");
    v.integer(controllers, "iou.controllers", "CPUs", 1, 1, 64,
              "I/O controller CPUs that run the storage service's work; each piece runs on the "
              "one free first");
  }
};

}  // namespace hcasim
