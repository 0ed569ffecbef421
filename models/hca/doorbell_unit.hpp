#pragma once
// Doorbell unit: decodes MMIO writes from the host (send and receive doorbells carrying the
// new producer index, BlueFlame WQEs that come with their doorbell, CQ arm requests) in
// doorbell_cycles each, and acts on each once it is decoded; answers register reads.
#include <tlm>

#include <cstdint>
#include <string>

#include "models/core/occupancy.hpp"
#include "models/hca/adapter_core.hpp"
#include "models/hca/completion_engine.hpp"
#include "models/hca/qp_lifecycle.hpp"
#include "models/hca/send_scheduler.hpp"
#include "models/hca/stage_ops.hpp"
#include "models/hca/work_rings.hpp"

namespace hcasim {

class DoorbellUnit {
 public:
  struct Stages {
    SendRing& send_ring;
    SendWqFetcher& send_fetcher;
    RecvWqFetcher& recv_fetcher;
    SendScheduler& scheduler;
    CompletionEngine& completions;
    QpLifecycle& lifecycle;
  };
  DoorbellUnit(AdapterCore& core, Stages stages) : core_(core), s_(stages) {}
  void attach_trace(const std::string& adapter);

  // An MMIO access from the host (the adapter's target socket). Never waits.
  void mmio(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

 private:
  // A send or receive doorbell as decoded: the QP and software's new producer index.
  struct Doorbell {
    std::uint32_t qpn;
    std::uint32_t producer;
  };
  void on_sq_doorbell(Doorbell d) { sq_doorbell(d, false); }
  // The doorbell brought the WQE at producer - 1 with it (decoded already).
  void on_blueflame_doorbell(Doorbell d) { sq_doorbell(d, true); }
  void sq_doorbell(Doorbell d, bool blueflame);
  // True if a send doorbell of `len` bytes carries a whole WQE (BlueFlame).
  bool blueflame_wqe(const std::uint8_t* data, unsigned len) const;
  void on_rq_doorbell(Doorbell d);
  // Counts the doorbell as decoded; true if it was rung before a RESET of its QP.
  bool stale(QpContext& qp);

  AdapterCore& core_;
  Stages s_;
  TracedResource unit_;
};

}  // namespace hcasim
