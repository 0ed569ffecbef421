#pragma once
// Parameters of the simulated host: its processors and the CPU cost of the driver's code paths
// (posting, polling, handling a completion), so CPU time is a result of the run.
#include <cstdint>

#include "models/core/params.hpp"

namespace hcasim {

struct HostParams {
  std::uint32_t cpus;
  double cpu_ghz;
  std::uint32_t memory_mb;
  std::uint32_t post_send_cycles;
  std::uint32_t post_recv_cycles;
  std::uint32_t poll_cycles;
  std::uint32_t completion_cycles;

  template <class V>
  void visit(V& v) {
    v.integer(cpus, "host.cpus", "CPUs", 2, 1, 256, "simulated processors of the host");
    v.real(cpu_ghz, "host.cpu_ghz", "GHz", 2.6, 0.1, 10.0, "clock of each simulated processor");
    v.integer(memory_mb, "host.memory_mb", "MiB", 256, 16, 65536, "simulated host memory");
    v.integer(post_send_cycles, "host.post_send_cycles", "cycles", 120, 0, 1000000,
              "CPU cost of building a send WQE and ringing the doorbell");
    v.integer(post_recv_cycles, "host.post_recv_cycles", "cycles", 60, 0, 1000000,
              "CPU cost of posting one receive WQE");
    v.integer(poll_cycles, "host.poll_cycles", "cycles", 50, 1, 1000000,
              "CPU cost of one poll of a completion queue (one spin-loop iteration)");
    v.integer(completion_cycles, "host.completion_cycles", "cycles", 40, 0, 1000000,
              "CPU cost of handling one polled completion");
  }
};

}  // namespace hcasim
