#pragma once
// The I/O unit's simplest service: every message received is answered with a reply message of
// a configured size on the same connection (ping-pong). It keeps `recv_depth` receive buffers
// posted, reposting each one as soon as its message has been handled.
#include <systemc>

#include <cstdint>
#include <deque>
#include <vector>

#include "models/hca/queue_interface.hpp"
#include "models/iounit/iou_params.hpp"

namespace hcasim {

class EchoService : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(EchoService);
  EchoService(sc_core::sc_module_name name, const IouParams& params, AdapterContext& adapter,
              QueuePair& qp, CompletionQueue& cq, std::uint32_t max_request,
              std::uint32_t reply_size);

  std::uint64_t requests() const { return requests_; }
  std::uint64_t errors() const { return errors_; }

 private:
  void serve();
  void take(const WorkCompletion& wc);

  IouParams params_;
  AdapterContext& adapter_;
  QueuePair& qp_;
  CompletionQueue& cq_;
  std::uint32_t max_request_;
  std::uint32_t reply_size_;
  std::uint64_t recv_base_ = 0, reply_addr_ = 0;
  std::uint32_t key_ = 0;
  std::uint64_t requests_ = 0, errors_ = 0;
  SendRequest reply_;
  std::deque<WorkCompletion> pending_;  // received requests not yet answered
};

}  // namespace hcasim
