#pragma once
// The adapter's per-QP state (its QP context), grouped by the stage that works on it: the send
// and receive queues (rings in host memory and the WQEs fetched from them), the requester's and
// the responder's transport state, the send scheduler's share, and the QP's trace signals.
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/core/occupancy.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/trace_source.hpp"
#include "models/fabric/packet.hpp"
#include "models/hca/qp_state.hpp"
#include "models/hca/qp_type.hpp"
#include "models/hca/wqe_format.hpp"

namespace hcasim {

class Transport;

// Sequence numbers (PSNs, ring indices) compare by signed distance, so wrap-around is harmless.
inline bool seq_le(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b) <= 0;
}

// A send WQE as the adapter decoded it. Its body (SGEs, or inline data) lies in the send
// queue's store (SendQueue::bodies), in a slot as large as the WQE's: sq_stride less the header.
// design decision: a slot sized for the largest stride (30 SGEs and 512 inline bytes) made each
// entry 1 KiB; with 64 QPs, creating and zeroing them was two thirds of the run's setup.
struct SendWork {
  SendWqeHeader hdr{};
  Sge* sge = nullptr;  // the body: hdr.num_sge SGEs, or `length` inline bytes (inline_data())
  std::uint32_t length = 0;
  std::uint32_t first_psn = 0, last_psn = 0;
  std::uint32_t index = 0;  // position in the send queue (wraps at 2^32)
  const std::uint8_t* inline_data() const { return reinterpret_cast<const std::uint8_t*>(sge); }
};

// A receive WQE as the adapter decoded it.
struct RecvWork {
  std::uint64_t wr_id = 0;
  std::uint32_t num_sge = 0;
  std::array<Sge, kMaxRecvSge> sge{};
};

// A work queue: a ring of WQEs in host memory, software's producer index (from doorbells) and
// the WQEs the adapter has fetched and decoded, indexed by position % entries.
template <class Work>
struct WorkQueue {
  std::uint64_t addr = 0;
  std::uint32_t entries = 0;
  std::uint32_t producer = 0, fetched = 0;
  bool fetching = false;          // one batch in flight at a time
  std::uint32_t fetch_epoch = 0;  // the QP's epoch when the batch in flight was issued
  std::vector<Work> work;
  std::vector<std::uint8_t> fetch_buf;  // DMA target for one batch of WQEs

  Work& at(std::uint32_t index) { return work[index % entries]; }
};

struct SendQueue : WorkQueue<SendWork> {
  std::uint32_t sent = 0;     // WQEs whose packets have all been built
  std::uint32_t acked = 0;    // WQEs completed (the send queue's consumer index)
  std::uint32_t started = 0;  // send WQEs whose first packet was built (for SQD)
  std::vector<Sge> bodies;    // the entries' bodies, each body_bytes / sizeof(Sge) slots
  // `n` entries, each with a body of `body_bytes` (a multiple of sizeof(Sge)).
  void allocate(std::uint32_t n, std::uint32_t body_bytes) {
    const std::size_t slots = body_bytes / sizeof(Sge);
    entries = n;
    work.resize(n);
    bodies.resize(n * slots);
    for (std::size_t i = 0; i < n; ++i) work[i].sge = bodies.data() + i * slots;
  }
};

struct RecvQueue : WorkQueue<RecvWork> {
  std::uint32_t used = 0;  // receive WQEs consumed by incoming messages
};

// Requester: sends the send queue's messages and retransmits what is not acknowledged.
struct RequesterState {
  std::uint32_t next_psn = 0;
  std::uint32_t resume_psn = 0;   // set on entering ERR (Hca::qp_resume)
  std::uint32_t tx_offset = 0;    // bytes of WQE sq.sent already packetized
  BusyResource context;           // per-message occupancy of this QP's context
  std::uint32_t rnr_retries = 0;  // used since the last progress
  bool waiting_rnr = false;
  bool ack_timer_armed = false;  // transport timer
  Picos last_tx = 0;             // last request packet's last bit on the wire
  Picos last_progress = 0;       // last ACK that completed a message, or READ response
  std::uint32_t retries = 0;     // transport retries (timeouts, sequence NAKs) since progress
};

// Responder: takes incoming requests in PSN order, places them, acknowledges them (coalesced)
// and answers RDMA READs.
struct ResponderState {
  struct ReadJob {
    std::uint32_t psn;
    std::uint64_t addr;
    std::uint32_t length, offset;
  };
  std::uint32_t expected_psn = 0;
  std::uint32_t rx_offset = 0;       // bytes of the current message received
  bool nak_outstanding = false;      // drop out-of-order packets until the resend arrives
  std::uint64_t rx_remote_addr = 0;  // the current RDMA WRITE's target
  Picos rx_committed = 0;            // when the current message's DMA writes have all landed
  std::vector<Packet*> parked;       // waiting for a receive WQE being fetched
  // coalesced ACKs
  std::uint32_t unacked_msgs = 0;
  bool ack_delay_pending = false;
  Picos ack_commit = 0;
  bool deferred_ack = false;  // an ACK waiting behind READ responses
  std::uint32_t deferred_ack_psn = 0;
  Picos deferred_ack_at = 0;  // when it could have left (its data landed)
  // RDMA READ responses still to send (served before the send queue)
  std::vector<ReadJob> read_jobs;
  std::size_t read_head = 0;
  std::uint32_t responses_in_flight = 0;

  bool reads_pending() const { return read_head < read_jobs.size(); }
};

// The send scheduler's view of the QP: weighted round-robin among QPs with packets to send.
struct SchedulerState {
  std::uint32_t weight = 1, burst = 0;
  bool in_tx_ring = false;
  Picos last_ready = 0;  // packets of one QP leave in order
};

struct QpTrace {
  TracedInt sq_depth, rq_depth;
};

// A QP as a timed action names it: its number and epoch, so that an action scheduled before a
// RESET finds no QP.
struct QpRef {
  std::uint32_t qpn;
  std::uint32_t epoch;
};

struct QpContext {
  std::uint32_t qpn = 0, send_cqn = 0, recv_cqn = 0;
  QpState state = QpState::kRts;
  bool destroyed = false;
  QpType type = QpType::kRc;
  Transport* transport = nullptr;  // the service this QP runs, by its type
  std::uint32_t qkey = 0;          // UD: datagrams carrying another Q_Key are dropped
  // Doorbells decoded after a RESET that were rung before it belong to the old epoch.
  std::uint32_t doorbells_in_flight = 0, stale_doorbells = 0;
  // A RESET starts a new epoch: WQE fetches and timed actions from before it are discarded.
  std::uint32_t epoch = 0;
  std::uint16_t peer_port = 0;
  std::uint32_t peer_qpn = 0;

  SendQueue sq;
  RecvQueue rq;
  RequesterState req;
  ResponderState resp;
  SchedulerState sched;
  QpTrace trace;

  // The send engine works on the QP (RTS, and SQD for messages already started).
  bool sending() const { return state == QpState::kRts || state == QpState::kSqd; }
  // Incoming packets are handled (connected and not in error).
  bool receiving() const { return state >= QpState::kRtr && state != QpState::kError; }
  void trace_sq_depth() { trace.sq_depth.set(sq.producer - sq.acked); }
  void trace_rq_depth() { trace.rq_depth.set(rq.producer - rq.used); }
  QpRef ref() const { return QpRef{qpn, epoch}; }
};

// The adapter's QPs by number. Numbers are never reused: a destroyed QP keeps its slot.
class QpTable {
 public:
  QpContext& add() {
    qps_.push_back(std::make_unique<QpContext>());
    qps_.back()->qpn = static_cast<std::uint32_t>(qps_.size() - 1);
    return *qps_.back();
  }
  std::size_t size() const { return qps_.size(); }
  QpContext& operator[](std::uint32_t qpn) { return *qps_[qpn]; }
  QpContext& at(std::uint32_t qpn) { return *qps_.at(qpn); }
  const QpContext& at(std::uint32_t qpn) const { return *qps_.at(qpn); }
  // The QP a doorbell or packet names, or nullptr (no such QP, or destroyed).
  QpContext* find(std::uint32_t qpn) {
    return qpn < qps_.size() && !qps_[qpn]->destroyed ? qps_[qpn].get() : nullptr;
  }
  // The QP a timed action names, or nullptr if a RESET came between (another epoch).
  QpContext* live(QpRef ref) {
    QpContext& qp = *qps_[ref.qpn];
    return qp.epoch == ref.epoch ? &qp : nullptr;
  }

 private:
  std::vector<std::unique_ptr<QpContext>> qps_;
};

}  // namespace hcasim
