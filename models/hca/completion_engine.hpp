#pragma once
// Completion engine: writes completion-queue entries to host memory (CQE writer stage),
// detects CQ overrun, raises completion events (one-shot arm, moderation by count and by a
// timer, an MSI per event) and writes asynchronous events (CQ error, QP fatal, port active)
// to the driver's event queue.
#include <cstdint>
#include <string>
#include <vector>

#include "models/core/occupancy.hpp"
#include "models/hca/adapter_core.hpp"
#include "models/hca/qp_context.hpp"
#include "models/hca/stage_ops.hpp"
#include "models/hca/verb_status.hpp"
#include "models/hca/wqe_format.hpp"

namespace hcasim {

class CompletionEngine {
 public:
  explicit CompletionEngine(AdapterCore& core) : core_(core) {}
  void attach_trace(const std::string& adapter);

  // ---- firmware commands (Hca's control path documents them) ----
  std::uint32_t create_cq(std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec);
  void set_moderation(std::uint32_t cqn, std::uint32_t count, Picos period);
  void set_vector(std::uint32_t cqn, std::uint32_t vector) { cqs_.at(cqn).vector = vector; }
  struct Resize {
    VerbStatus status = VerbStatus::kOk;
    std::uint32_t switch_index = 0;  // the adapter's producer index at the switch
    Picos completes = 0;             // every entry written to the old ring has landed
  };
  Resize resize_cq(std::uint32_t cqn, std::uint64_t new_ring, std::uint32_t new_entries,
                   std::uint64_t new_dbrec);
  std::uint64_t completions_lost(std::uint32_t cqn) const { return cqs_.at(cqn).lost; }
  std::size_t cq_count() const { return cqs_.size(); }
  VerbStatus create_eq(std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec,
                       std::uint32_t vector);

  // ---- data path ----
  // Writes `cqe` to CQ `cqn` once the CQE writer is free at or after `at` (lost if the CQ
  // overran) and raises the CQ's event if it is armed and moderation lets it.
  void write_cqe(std::uint32_t cqn, Cqe cqe, Picos at);
  // The send queue's oldest work request `w` is done with `status`: its CQE (if it was
  // signaled, or failed) is written, and the queue moves past it. Every transport ends its
  // sends here.
  void complete_send(QpContext& qp, const SendWork& w, WcStatus status, Picos at);
  // An arm doorbell for CQ `cqn`, carrying software's consumer index, takes effect at
  // `decoded` (for solicited completions and errors only if `solicited_only`).
  void arm(Picos decoded, std::uint32_t cqn, std::uint32_t consumer, bool solicited_only);
  void raise_async(AsyncEventKind kind, std::uint32_t number, Picos at);

 private:
  struct Cq {
    std::uint64_t ring = 0, dbrec = 0;
    std::uint32_t entries = 0, producer = 0;
    std::uint32_t base = 0;  // index of the ring's first slot (changes on resize)
    // Software's consumer index as last read from the doorbell record (once read).
    std::uint32_t consumer_seen = 0;
    bool consumer_read = false;
    bool overrun = false;
    std::uint64_t lost = 0;   // entries dropped while overrun
    Picos written_lands = 0;  // when the last entry written lands in host memory
    // completion events: one-shot arm, moderation by count and time
    bool armed = false, timer_pending = false;
    bool solicited_only = false;      // armed for solicited receives and errors only
    std::uint32_t solicited_end = 0;  // producer index after the last solicited or error entry
    std::uint32_t timer_epoch = 0;    // a timer armed before the last event is stale
    std::uint32_t vector = 0, mod_count = 1, pending_events = 0;
    Picos mod_period = 0;
  };
  struct Eq {
    std::uint64_t ring = 0, dbrec = 0;
    std::uint32_t entries = 0, producer = 0, vector = 0;
  };

  // Counts one more event-worthy entry on an armed CQ: fires the event or starts the
  // moderation timer (`at`: when the entry, or the arm, takes effect).
  void moderate(std::uint32_t cqn, Picos at);
  void fire_event(Cq& cq, Picos at);
  struct CqArm {
    std::uint32_t cqn;
    std::uint32_t consumer;  // software's consumer index when it armed
  };
  void on_arm(CqArm a) { arm_now(a, false); }
  void on_arm_solicited(CqArm a) { arm_now(a, true); }
  void arm_now(CqArm a, bool solicited_only);
  struct CqTimer {
    std::uint32_t cqn;
    std::uint32_t epoch;  // the CQ's timer epoch when it was started
  };
  void on_cq_timer(CqTimer timer);
  void on_port_active();

  AdapterCore& core_;
  std::vector<Cq> cqs_;
  Eq eq_;
  bool eq_open_ = false;
  TracedResource cqe_writer_;
};

}  // namespace hcasim
