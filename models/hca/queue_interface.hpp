#pragma once
// The adapter's software interface, as its user-space provider library defines it (think
// libmlx4): queue rings in memory, WQE encoding, doorbells, CQE polling with the owner bit.
// It is functional (no time): host_os/ charges CPU cycles around it, and the I/O unit's
// firmware uses it directly. One AdapterContext per adapter and memory.
#include <systemc>

#include <cstdint>
#include <memory>
#include <vector>

#include "models/core/trace_source.hpp"
#include "models/hca/hca.hpp"
#include "models/hca/wqe_format.hpp"
#include "models/interconnect/pcie_link.hpp"
#include "models/memory/host_memory.hpp"

namespace hcasim {

struct WorkCompletion {
  std::uint64_t wr_id = 0;
  WcStatus status = WcStatus::kSuccess;
  WrOpcode opcode = WrOpcode::kSend;
  bool is_recv = false;
  std::uint32_t byte_len = 0;
  std::uint32_t qpn = 0;
  std::uint32_t imm = 0;
  bool has_imm = false;
  std::uint32_t wqe_counter = 0;  // send: the WQE this completes (frees slots up to it)
  Picos landed_ps = 0;  // when the adapter's CQE write landed in host memory (observation)
};

struct SendRequest {
  std::uint64_t wr_id = 0;
  WrOpcode opcode = WrOpcode::kSend;
  bool signaled = true;
  bool inline_data = false;  // copy the payload into the WQE (length <= max_inline)
  std::vector<Sge> sges;     // payload (for inline: copied from host memory at post time)
  std::uint64_t remote_addr = 0;
  std::uint32_t rkey = 0;
  std::uint32_t imm = 0;
};

class CompletionQueue : public PcieLink::WriteObserver {
 public:
  CompletionQueue(std::uint32_t cqn, std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec,
                  HostMemory& memory, TraceSink* trace, const std::string& path);
  std::uint32_t cqn() const { return cqn_; }
  std::uint32_t entries() const { return entries_; }
  // Removes up to `max` completions; returns how many. Never blocks.
  unsigned poll(WorkCompletion* out, unsigned max);
  // Notified each time a CQE lands (the simulated equivalent of the line a poller spins on).
  const sc_core::sc_event& landed_event() const { return landed_; }
  std::uint64_t landed() const { return landed_count_; }
  std::uint64_t consumed() const { return consumer_; }

  void on_dma_write(std::uint64_t addr, std::uint64_t len) override;

 private:
  std::uint32_t cqn_;
  std::uint64_t ring_;
  std::uint32_t entries_;
  std::uint64_t dbrec_;
  HostMemory& memory_;
  std::uint32_t consumer_ = 0;
  std::uint64_t landed_count_ = 0;
  std::vector<Picos> landed_at_;  // by ring slot: when its latest CQE landed
  sc_core::sc_event landed_;
  TracedInt depth_;
};

class QueuePair {
 public:
  std::uint32_t qpn = 0;
  std::uint64_t sq_ring = 0, rq_ring = 0;
  std::uint32_t sq_entries = 0, rq_entries = 0;
  std::uint32_t sq_producer = 0, sq_completed = 0;  // completed: slots freed by send CQEs
  std::uint32_t rq_producer = 0, rq_completed = 0;
  std::uint32_t sq_in_flight() const { return sq_producer - sq_completed; }
};

class AdapterContext {
 public:
  AdapterContext(Hca& hca, PcieLink& pcie, HostMemory& memory, TraceSink* trace);

  CompletionQueue& create_cq(std::uint32_t entries);
  QueuePair& create_qp(CompletionQueue& send_cq, CompletionQueue& recv_cq, std::uint32_t sq_entries,
                       std::uint32_t rq_entries);
  std::uint32_t register_memory(std::uint64_t addr, std::uint64_t len, std::uint32_t access);

  // Writes the WQE and rings the doorbell (BlueFlame for small inline WQEs when enabled).
  // Returns false, posting nothing, when the send queue is full (as ENOMEM in verbs).
  bool post_send(QueuePair& qp, const SendRequest& wr);
  bool post_recv(QueuePair& qp, std::uint64_t wr_id, const Sge& sge) {
    return post_recv(qp, wr_id, &sge, 1);
  }
  // A receive WQE scattering into `n` SGEs (at most kMaxRecvSge).
  bool post_recv(QueuePair& qp, std::uint64_t wr_id, const Sge* sges, std::uint32_t n);
  // Requests one completion event (interrupt) for the next completion on `cq` (one-shot).
  void arm_cq(CompletionQueue& cq);
  // Accounts a polled completion against its queue pair's slots (call for every completion).
  void retire(const WorkCompletion& wc);

  Hca& hca() { return hca_; }
  HostMemory& memory() { return memory_; }

 private:
  Hca& hca_;
  PcieLink& pcie_;
  HostMemory& memory_;
  TraceSink* trace_;
  std::vector<std::unique_ptr<CompletionQueue>> cqs_;
  std::vector<QueuePair*> qp_by_num_;
  std::vector<std::unique_ptr<QueuePair>> qps_;
  std::vector<std::uint8_t> wqe_;  // scratch for one WQE (+ BlueFlame header)
};

}  // namespace hcasim
