#pragma once
// The I/O unit's message service (iou.service = echo, and the sink and echo modes of the
// perftest peer): it keeps `iou.recv_depth` receives posted on a connection and, for each
// message received, after `iou.service_ns` of firmware time, reposts the receive and answers
// with a reply: of a fixed size, of the request's length, or none (a sink, which reposts at
// once and never waits). On an unreliable-datagram QP each receive buffer has room for the
// 40-byte GRH area before the message, and replies go to `EchoConfig::reply_to`.
//
// The service has no thread: it is a small state machine run by calendar actions. Each CQE that
// lands calls its reaction, in the landing's action (the CQ's landing observer); the reaction
// polls, takes what landed and serves it until it must wait -- for the firmware's service time
// (an action at now + iou.service_ns), for room in the send queue (the next landing), or for
// the next message (the next landing). A thread here cost about three kernel activations per
// message: the landing's notification stopped the calendar's run ahead, the kernel woke the
// thread, and the calendar had to be woken again (docs/performance.md).
#include <systemc>

#include <array>
#include <cstdint>
#include <deque>

#include "models/core/action_queue.hpp"
#include "models/core/stats.hpp"
#include "models/hca/queue_interface.hpp"
#include "models/iounit/iou_params.hpp"

namespace hcasim {

struct EchoConfig {
  enum class Reply : std::uint8_t { kFixed, kSameLength, kNone };
  std::uint32_t max_request = 1;  // largest message received
  Reply reply = Reply::kFixed;
  std::uint32_t reply_size = 0;  // kFixed
  // design decision: perftest's peer lets every receive land in one buffer (nobody reads the
  // data), so a sweep up to 1 MiB needs one buffer, not recv_depth of them.
  bool shared_buffer = false;
  bool use_inline = true;  // send a reply inline when it fits the WQE
  UdAddress reply_to;      // on a UD QP: where the replies go
};

class EchoService : public sc_core::sc_module {
 public:
  EchoService(sc_core::sc_module_name name, const IouParams& params, AdapterContext& adapter,
              QueuePair& qp, CompletionQueue& cq, const EchoConfig& config);

  // The registered buffer replies go out of (and its key): a duplex perftest peer sends from it.
  std::uint64_t reply_buffer() const { return reply_addr_; }
  std::uint32_t key() const { return key_; }
  std::uint64_t messages() const { return messages_; }  // received
  std::uint64_t requests() const { return requests_; }  // answered
  std::uint64_t errors() const { return errors_; }

 private:
  // What the service waits for between its actions.
  enum class Phase : std::uint8_t {
    kIdle,     // a landing: nothing to answer
    kService,  // the end of the firmware's service time for `serving_`
    kSendFull  // room in the send queue for `reply_` (a landing of a reply's completion)
  };
  static void on_landed(void* self);  // the CQ's landing observer
  void start();                       // at time 0: post the receives
  void react();                       // at a landing
  void serve();                       // serves requests until it must wait
  void end_service();                 // the service time of `serving_` is over: answer it
  void answer(const WorkCompletion& request);
  bool send_reply();       // posts `reply_`; false when the send queue is full (kSendFull)
  unsigned take_landed();  // polls and takes one poll's completions; how many
  void take(const WorkCompletion& wc);
  // Gives the receive buffer back: the WQE is written at once, the doorbell rung once per
  // `batch_` of them (iou.recv_batch), so at least recv_depth - batch_ + 1 stay posted.
  void repost(std::uint64_t slot);
  Sge recv_sge(std::uint64_t slot) const;  // receive buffer `slot`

  IouParams params_;
  AdapterContext& adapter_;
  QueuePair& qp_;
  CompletionQueue& cq_;
  EchoConfig config_;
  std::uint32_t grh_ = 0;  // bytes before each message in a receive buffer (UD: the GRH's)
  std::uint64_t recv_base_ = 0, reply_addr_ = 0;
  std::uint32_t key_ = 0;
  std::uint64_t messages_ = 0, requests_ = 0, errors_ = 0;
  Picos service_ps_ = 0;
  std::uint32_t max_inline_ = 0;
  std::uint32_t batch_ = 1;   // receives reposted per doorbell
  std::uint32_t unrung_ = 0;  // reposted since the last doorbell
  SendRequest reply_;
  std::deque<WorkCompletion> pending_;  // received requests not yet answered
  WorkCompletion serving_;              // the request in its service time
  // One poll's completions (a member: a local array would be initialized at every poll).
  std::array<WorkCompletion, 16> polled_;
  Phase phase_ = Phase::kIdle;
  ActionQueue actions_;
  StatGroup stats_{name()};
};

}  // namespace hcasim
