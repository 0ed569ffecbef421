#pragma once
// The I/O unit's emulation service (iou.service = storage; docs/iounit.md): it serves
// I2O-style block requests (docs/i2o_frames.md) that hosts SEND over reliable connections, and
// turns each into a series of RDMA operations against the host's buffers and an operation on
// the storage device:
//   block write: RDMA READs of the host buffers into a staging buffer, then the device write;
//   block read:  the device read into a staging buffer, then RDMA WRITEs into the host buffers.
// Transfers are split by iou.emulation.max_rdma_bytes and by scatter-gather entries; at most
// iou.emulation.ops_per_request operations per request and iou.emulation.max_ops per unit are
// outstanding. The reply is a SEND on the same connection, posted after the last data operation, so
// the host never sees a reply before its data (RC delivers in order).
//
// Every request ends in a reply: a frame that does not parse gets the reject reply, an
// unknown function, a range outside the device, a transfer beyond iou.emulation.max_transfer_kb, a
// device error and a refused host key each get an error reply with their detailed status. A refused
// key fails the RDMA operation with a remote access error, which puts the connection's QP in
// ERR (as the transport requires); the firmware then recovers it: it waits for every flushed
// completion, resets the QP and reconnects it at the PSNs its context holds, reposts its
// receives, re-issues the flushed work of the other requests in order, and sends the error
// reply. Host frames that arrived during the recovery are resent by the host's transport.
//
// One firmware thread serves every connection of the unit through one CQ; its work runs on the
// unit's controller CPUs (io_controller.hpp).
#include <systemc>

#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <vector>

#include "models/core/stats.hpp"
#include "models/core/trace_source.hpp"
#include "models/hca/queue_interface.hpp"
#include "models/iounit/emulation_params.hpp"
#include "models/iounit/i2o_frame.hpp"
#include "models/iounit/io_controller.hpp"
#include "models/iounit/iou_params.hpp"
#include "models/iounit/storage_device.hpp"

namespace hcasim {

class EmulationService : public sc_core::sc_module {
 public:
  // Where one request's time went at the I/O unit (simulated ps), reported when its reply is
  // posted. [landed, replied] is split without overlap: `rdma` (data moving between host
  // buffers and the staging buffer), `device` (submit to completion, queueing included) and
  // `controller` (the rest: waiting for and running on a controller CPU, parsing, starting
  // operations, recovery).
  struct Phases {
    std::uint32_t qpn = 0;
    std::uint32_t transaction_context = 0;
    Picos landed = 0;   // the request frame's receive completion landed
    Picos replied = 0;  // the reply was posted
    Picos controller = 0, rdma = 0, device = 0;
  };
  using Observer = std::function<void(const Phases&)>;

  struct Stats {
    std::uint64_t frames = 0, reads = 0, writes = 0, replies = 0;
    std::uint64_t bytes_read = 0, bytes_written = 0;  // device side, successful requests
    std::uint64_t rdma_reads = 0, rdma_writes = 0;    // RDMA operations completed
    std::uint64_t rejects = 0;                        // frames that did not parse
    std::uint64_t error_replies = 0;                  // replies with a status other than success
    std::uint64_t bad_keys = 0, device_errors = 0, out_of_range = 0, unknown_functions = 0,
                  too_large = 0;
    std::uint64_t recoveries = 0;      // connections brought back after an RDMA error
    std::uint64_t reissued_ops = 0;    // flushed operations of other requests posted again
    std::uint64_t replies_lost = 0;    // replies whose SEND failed (host unreachable)
    std::uint64_t slot_waits = 0;      // frames that waited for a free request slot
    std::uint64_t op_limit_waits = 0;  // times a request waited for the unit's op limit

    template <class V>
    void visit(V& v) const {
      v.counter(frames, "frames", "count", "request frames received");
      v.counter(replies, "replies", "count", "replies posted");
      v.counter(error_replies, "error_replies", "count",
                "replies with a status other than success");
      v.counter(rejects, "rejects", "count", "frames that did not parse (reject reply)");
      v.counter(bad_keys, "bad_keys", "count", "requests whose host buffer key was refused");
      v.counter(device_errors, "device_errors", "count", "requests that ended in a device error");
      v.counter(out_of_range, "out_of_range", "count",
                "requests outside the device or not block aligned");
      v.counter(unknown_functions, "unknown_functions", "count",
                "requests with a function the unit does not serve");
      v.counter(too_large, "too_large", "count", "requests beyond iou.emulation.max_transfer_kb");
      v.counter(rdma_reads, "rdma_reads", "count", "RDMA READs of host buffers completed");
      v.counter(rdma_writes, "rdma_writes", "count", "RDMA WRITEs into host buffers completed");
      v.counter(recoveries, "recoveries", "count", "connections brought back after an RDMA error");
      v.counter(reissued_ops, "reissued_ops", "count",
                "flushed operations posted again after a recovery");
      v.counter(replies_lost, "replies_lost", "count", "replies the host could not be sent");
      v.counter(slot_waits, "slot_waits", "count",
                "frames that waited for a free request slot (iou.emulation.max_requests)");
      v.counter(op_limit_waits, "op_limit_waits", "count",
                "times requests waited for the unit's op limit (iou.emulation.max_ops)");
      v.counter(bytes_read, "bytes_read", "B", "bytes of successful read requests");
      v.counter(bytes_written, "bytes_written", "B", "bytes of successful write requests");
    }
  };

  SC_HAS_PROCESS(EmulationService);
  // `memory`/`adapter`: the unit's; receives, staging and reply buffers are allocated there.
  EmulationService(sc_core::sc_module_name name, const IouParams& unit,
                   const EmulationParams& params, AdapterContext& adapter, IoController& controller,
                   StorageDevice& device, TraceSink* trace);

  // Elaboration: a QP on the service's CQ (RTS once connected by the system builder); its
  // receives are posted when the simulation starts. At most kMaxConnections.
  static constexpr unsigned kMaxConnections = 16;
  QueuePair& add_connection();

  void set_observer(Observer o) { observer_ = std::move(o); }
  const Stats& stats() const { return stats_; }

 private:
  enum class Phase : std::uint8_t { kFree, kParsing, kFromHost, kDevice, kToHost, kReplying };
  enum class ItemKind : std::uint8_t { kParsed, kPostOp, kDeviceSubmit, kDeviceDone, kRecover };
  enum class OpKind : std::uint8_t { kRdmaRead, kRdmaWrite, kReply };

  struct Connection {
    QueuePair* qp = nullptr;
    std::uint64_t recv_base = 0;  // recv_depth frame buffers
    std::uint32_t recv_key = 0;
    std::vector<bool> slot_free;  // receive buffers neither posted nor holding a frame
    std::uint32_t sends_out = 0;  // posted, completion not yet polled
    std::uint32_t recvs_out = 0;
    bool recovering = false;
    bool recovery_booked = false;
    std::deque<std::uint32_t> redo;  // ops flushed by the error, in post order
  };
  struct Request {
    Phase phase = Phase::kFree;
    std::uint32_t conn = 0;
    i2o::Request frame;
    i2o::Reply reply;
    bool is_write = false;
    std::uint64_t staging = 0, reply_buf = 0;
    // next piece to move: SGL entry and the offset in it
    std::uint8_t sgl_index = 0;
    std::uint32_t sgl_offset = 0, staged = 0;  // bytes booked so far (staging offset)
    std::uint32_t ops_out = 0;                 // booked, completion not yet polled
    std::uint32_t bytes_moved = 0;             // completed RDMA bytes
    std::uint32_t pieces_booked = 0, pieces_posted = 0;
    bool reject = false;        // the frame did not parse: `reply` is the reject reply
    bool failed = false;        // an RDMA operation failed: reply with `reply`
    bool device_error = false;  // the device completed the operation with an error
    Picos landed = 0, rdma_begin = 0, rdma_ps = 0, device_begin = 0, device_ps = 0;
  };
  struct Op {
    OpKind kind = OpKind::kReply;
    std::uint32_t request = 0;
    std::uint32_t length = 0;
    std::uint64_t local = 0, remote = 0;
    std::uint32_t rkey = 0;
    bool posted_before = false;  // a re-issue after a recovery is not a new piece
  };
  struct Item {
    Picos at = 0;
    std::uint64_t seq = 0;
    ItemKind kind = ItemKind::kParsed;
    std::uint32_t index = 0;  // request, op or connection
    bool operator>(const Item& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct Frame {
    std::uint32_t conn = 0, slot = 0, length = 0;
    Picos landed = 0;
    bool waited = false;
  };

  void serve();
  void start_connections();
  void on_completion(const WorkCompletion& wc);
  void on_recv(const WorkCompletion& wc);
  void on_op_done(std::uint32_t op_index, const WorkCompletion& wc);
  void run_item(const Item& item);
  void admit();
  void parse(std::uint32_t r);
  void dispatch(std::uint32_t r);
  void start_device(std::uint32_t r);
  void pump_ops();
  bool book_piece(std::uint32_t r);
  void post_op(std::uint32_t op_index);
  void device_submit(std::uint32_t r);
  void device_done(std::uint32_t r);
  void set_reply(std::uint32_t r, i2o::ReqStatus status, std::uint16_t detailed);
  void finish(std::uint32_t r, i2o::ReqStatus status, std::uint16_t detailed);
  void reply_if_failed_done(std::uint32_t r);
  void post_reply(std::uint32_t r);
  void release(std::uint32_t r);
  void begin_recovery(std::uint32_t conn);
  void maybe_book_recovery(std::uint32_t conn);
  void recover(std::uint32_t conn);
  void schedule(Picos at, ItemKind kind, std::uint32_t index);
  std::uint32_t take_op();
  void free_op(std::uint32_t o);
  void drop_data_op(std::uint32_t o);
  void repost_recv(std::uint32_t conn, std::uint32_t slot);

  IouParams unit_;
  EmulationParams params_;
  AdapterContext& adapter_;
  HostMemory& memory_;
  IoController& controller_;
  StorageDevice& device_;
  CompletionQueue* cq_ = nullptr;
  std::uint32_t key_ = 0;  // the unit's registration of its service buffers
  std::uint64_t max_transfer_ = 0;
  std::vector<Connection> conns_;
  std::vector<Request> requests_;
  std::vector<std::uint32_t> free_requests_;
  std::vector<Op> ops_;
  std::vector<std::uint32_t> free_ops_;
  std::uint32_t unit_ops_out_ = 0;
  std::deque<Frame> frames_;              // received, waiting for a request slot
  std::deque<std::uint32_t> op_waiters_;  // requests with pieces left, in arrival order
  std::deque<std::uint32_t> device_waiters_;
  std::uint32_t device_out_ = 0;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> items_;
  std::uint64_t item_seq_ = 0;
  sc_core::sc_event wake_;
  SendRequest wr_;  // scratch: the WR being posted
  Observer observer_;
  Stats stats_;
  TracedInt active_, ops_out_trace_;
  LogLinearHistogram service_ns_;  // frame landed to reply posted
  StatGroup stat_group_{name()};   // stats_ and service_ns_
};

}  // namespace hcasim
