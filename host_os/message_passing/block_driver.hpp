#pragma once
// The host side of the message-passing protocol (docs/iounit.md): a block storage driver that
// talks to an I/O unit's emulation service over one reliable connection.
//
// Submitting an I/O takes a request element from a message pool (its buffer holds the frame),
// builds the I2O block read/write frame (docs/i2o_frames.md) with the I/O's buffer segments and
// their key, and SENDs it. Replies land in receive elements that stay posted. The driver's
// completion callbacks (run by the completion service, docs/cq_manager.md) match each reply to
// its request by the transaction context (the request element's index), return the element
// once both its send completion and its reply have been seen, repost the receive, and complete
// the I/O: a thread waiting in execute() wakes (synchronous), or the I/O's callback runs in the
// completion service's context (asynchronous).
#include <systemc>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host_os/driver/host_completion_manager.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/verbs/pool_memory.hpp"
#include "host_os/verbs/verbs_device.hpp"
#include "models/iounit/i2o_frame.hpp"

namespace hcasim {

struct BlockIo;
class BlockDriver;
using BlockIoDone = void (*)(SimContext& c, BlockIo& io);

// One I/O request and, once done, its outcome. Owned by the caller until it completes.
struct BlockIo {
  bool write = false;
  std::uint64_t offset = 0;  // device byte address
  std::uint32_t length = 0;  // bytes
  // Host buffer segments (registered for remote access; `rkey` is their registration's).
  std::array<Sge, i2o::kMaxSglEntries> segments{};
  std::uint32_t segment_count = 0;
  std::uint32_t rkey = 0;
  // Asynchronous completion: run in the completion service's context (must not block).
  BlockIoDone done = nullptr;
  void* user = nullptr;

  // Outcome
  i2o::ReqStatus status = i2o::ReqStatus::kSuccess;
  std::uint16_t detailed_status = i2o::dsc::kSuccess;
  std::uint32_t bytes_transferred = 0;
  bool transport_error = false;  // the request could not be sent (its send completed in error)
  // Timeline (simulated ps): submit called, frame posted, reply landed, I/O completed; and the
  // I/O unit's share (BlockDriver::on_iou_phases).
  Picos submitted = 0, posted = 0, reply_landed = 0, completed = 0;
  Picos iou_landed = 0, iou_replied = 0, iou_controller = 0, iou_rdma = 0, iou_device = 0;

  // The driver's
  verbs::MessagePool::Request pool_request{};
  msg_pool::Handle element{};
  BlockDriver* driver = nullptr;
  sc_core::sc_event* wake = nullptr;  // execute(): the sleeping thread's
  bool finished = false;
};

struct BlockDriverConfig {
  std::string name;
  std::uint32_t elements = 64;       // request elements (frames in flight at most)
  std::uint32_t replies = 64;        // reply receives kept posted
  bool async_pool = false;           // get elements asynchronously (FIFO) instead of failing
  std::uint32_t frame_cycles = 400;  // build a frame / take a reply apart
  std::uint16_t target_id = 0x010;   // the I/O unit's block device TID
};

class BlockDriver {
 public:
  struct Stats {
    std::uint64_t submitted = 0, completed = 0, errors = 0, failed_gets = 0, pool_waits = 0;
    std::uint64_t unmatched_replies = 0;  // a reply whose context names no request in flight
  };

  // `qp`: connected to the I/O unit; its CQs must be checked by `manager`.
  BlockDriver(const BlockDriverConfig& config, verbs::VerbsDevice& device, SimPlatform& platform,
              HostMemory& memory, HostCompletionManager& manager, verbs::Qp& qp);
  ~BlockDriver();
  BlockDriver(const BlockDriver&) = delete;
  BlockDriver& operator=(const BlockDriver&) = delete;

  // At run time, once, before any I/O: registers the callbacks with the completion service
  // and posts the reply receives.
  void start(SimContext& c);

  // Asynchronous submit: 0 (the I/O is in flight or queued for an element; `io.done` runs when
  // it completes), or EAGAIN with a synchronous pool that has no free element (nothing taken).
  int submit(SimContext& c, BlockIo& io);
  // Synchronous: submits and sleeps on `wake` (the thread's own event) until the I/O completes,
  // retrying after `retry` while the pool has no element. The thread's CPU is free meanwhile.
  void execute(SimContext& c, BlockIo& io, sc_core::sc_event& wake, Picos retry);

  // The I/O unit's phases of the request with this transaction context (an observation the
  // simulation hands over; not part of the protocol).
  void on_iou_phases(std::uint32_t transaction_context, Picos landed, Picos replied,
                     Picos controller, Picos rdma, Picos device);

  std::uint32_t qp_num() const { return qp_.qp_num(); }
  const Stats& stats() const { return stats_; }
  std::uint32_t in_flight() const { return in_flight_; }

 private:
  static void on_element(SimPlatform::Context& server, verbs::MessagePool::Request& r);
  void send_frame(SimContext& c, BlockIo& io, const msg_pool::Handle& h);
  void on_send_done(SimContext& c, const WorkCompletion& wc);
  void on_reply(SimContext& c, const WorkCompletion& wc);
  void complete(SimContext& c, std::uint32_t element);

  BlockDriverConfig config_;
  verbs::VerbsDevice& device_;
  SimPlatform& platform_;
  HostMemory& memory_;
  HostCompletionManager& manager_;
  verbs::Qp& qp_;
  std::unique_ptr<verbs::PoolMemory> pool_memory_;
  std::unique_ptr<verbs::MessagePool> frames_, replies_;
  // By request element: the I/O it carries, its handle, and what has been seen of it.
  struct Slot {
    BlockIo* io = nullptr;
    msg_pool::Handle handle{};
    bool sent = false, replied = false;
  };
  std::vector<Slot> slots_;
  std::uint32_t in_flight_ = 0;
  Stats stats_;
};

}  // namespace hcasim
