#pragma once
// Ping-pong: one host thread on cpu0 sends a message to the I/O unit and spins on its
// completion queue until the reply arrives; the round trip is measured per message (like
// perftest's *_lat tools, which report half of it).
#include <systemc>

#include <memory>

#include "models/core/histogram.hpp"
#include "models/core/run_report.hpp"
#include "models/iounit/echo_service.hpp"
#include "workloads/scenario_params.hpp"
#include "workloads/system.hpp"
#include "workloads/workload.hpp"

namespace hcasim {

class PingPong : public sc_core::sc_module, public Workload {
 public:
  SC_HAS_PROCESS(PingPong);
  PingPong(sc_core::sc_module_name name, System& system, const PingPongParams& params,
           TraceSink* trace);

  bool finished() const override { return finished_; }
  std::uint64_t errors() const override { return errors_; }
  void report(RunReport& out) const override;

 private:
  void host_thread();
  std::uint64_t reap();  // returns the replies (receive completions) it handled

  System& sys_;
  PingPongParams params_;
  void post_reply_recv(std::uint64_t wr_id);

  verbs::VerbsDevice& verbs_;
  verbs::Cq* host_cq_ = nullptr;
  verbs::Qp* host_qp_ = nullptr;
  EchoService* echo_ = nullptr;      // owned by the I/O unit
  std::unique_ptr<SimContext> ctx_;  // cpu0, the host thread's
  std::uint64_t send_buf_ = 0, recv_buf_ = 0;
  verbs::Mr mr_;
  Sge send_sge_{}, recv_sge_{};
  verbs::SendWr request_;
  OpClassReport rtt_;
  bool finished_ = false;
  std::uint64_t errors_ = 0;
  TracedReal latency_ns_;
  TracedInt in_flight_;
};

}  // namespace hcasim
