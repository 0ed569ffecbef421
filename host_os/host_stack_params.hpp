#pragma once
// Parameters of the host's software stack above the verbs layer: how completions are checked
// (the completion-queue manager, docs/cq_manager.md) and how message elements are handed out
// (the message pool, docs/msg_pool.md). Workloads that use them read these.
#include <cstdint>
#include <string>

#include "models/core/params.hpp"

namespace hcasim {

struct HostStackParams {
  std::string cq_manager;
  std::uint32_t cq_budget;
  std::string pool_mode;
  std::uint32_t pool_elements;

  template <class V>
  void visit(V& v) {
    v.choice(cq_manager, "host.cq_manager", "multi", {"single", "multi", "dpc", "per_cq_poller"},
             "how completions are checked: single (one thread checks every CQ), multi "
             "(several threads at once), dpc (each CQ's interrupt runs a DPC that checks it) or "
             "per_cq_poller (baseline: one dedicated thread per CQ)");
    v.integer(cq_budget, "host.cq_budget", "entries", 16, 1, 65536,
              "completions reaped from one CQ per visit before the checker moves on");
    v.choice(pool_mode, "host.pool.mode", "async", {"sync", "async"},
             "message pool get: sync (fails at once when no element is free) or async (queues "
             "FIFO and is served by a later put)");
    v.integer(pool_elements, "host.pool.elements", "elements", 64, 1, 1 << 20,
              "send elements (descriptor + buffer) the message pool pre-registers");
  }
};

}  // namespace hcasim
