#pragma once
// The I/O unit's message service (iou.service = echo, and the sink and echo modes of the
// perftest peer): it keeps `iou.recv_depth` receives posted on a connection and, for each
// message received, after `iou.service_ns` of firmware time, reposts the receive and answers
// with a reply: of a fixed size, of the request's length, or none (a sink, which reposts at
// once and never waits). On an unreliable-datagram QP each receive buffer has room for the
// 40-byte GRH area before the message, and replies go to `EchoConfig::reply_to`.
#include <systemc>

#include <cstdint>
#include <deque>

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
  SC_HAS_PROCESS(EchoService);
  EchoService(sc_core::sc_module_name name, const IouParams& params, AdapterContext& adapter,
              QueuePair& qp, CompletionQueue& cq, const EchoConfig& config);

  // The registered buffer replies go out of (and its key): a duplex perftest peer sends from it.
  std::uint64_t reply_buffer() const { return reply_addr_; }
  std::uint32_t key() const { return key_; }
  std::uint64_t messages() const { return messages_; }  // received
  std::uint64_t requests() const { return requests_; }  // answered
  std::uint64_t errors() const { return errors_; }

 private:
  void serve();
  void take(const WorkCompletion& wc);
  void repost(std::uint64_t slot);

  IouParams params_;
  AdapterContext& adapter_;
  QueuePair& qp_;
  CompletionQueue& cq_;
  EchoConfig config_;
  std::uint32_t grh_ = 0;  // bytes before each message in a receive buffer (UD: the GRH's)
  std::uint64_t recv_base_ = 0, reply_addr_ = 0;
  std::uint32_t key_ = 0;
  std::uint64_t messages_ = 0, requests_ = 0, errors_ = 0;
  SendRequest reply_;
  std::deque<WorkCompletion> pending_;  // received requests not yet answered
  StatGroup stats_{name()};
};

}  // namespace hcasim
