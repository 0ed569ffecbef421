#pragma once
// The I/O unit's side of the perftest-style tools (workloads/perftest.hpp) and of the open-loop
// load (workloads/open_loop.hpp): what the second `ib_*_lat` / `ib_*_bw` process does on a real
// peer, done here by the I/O unit's firmware. Modes:
//  - kPassive:   a registered buffer the host RDMA-WRITEs into and RDMA-READs from; no work.
//  - kSink:      keeps `iou.recv_depth` receives posted and drops the messages (send_bw, load).
//  - kEcho:      answers each received SEND with a SEND of the same length (send_lat), after
//                `iou.service_ns` of firmware time.
//  kSink and kEcho serve unreliable-datagram QPs too (perftest -c UD): receive buffers with
//  room for the GRH, replies to the host's QP.
//  (kSink and kEcho are the message service, EchoService, in its sink and same-length modes.)
//  - kWriteEcho: watches its buffer until the last byte of the host's RDMA WRITE carries the
//                round trip's marker, then (after `iou.service_ns`) RDMA-WRITEs the same number
//                of bytes back into the host's buffer (write_lat).
// All receives share one buffer of the largest message size (as perftest's do), so a sweep up
// to large sizes needs only two such buffers of I/O-unit memory.
#include <systemc>

#include <cstdint>
#include <memory>
#include <vector>

#include "models/core/lookahead.hpp"
#include "models/hca/queue_interface.hpp"
#include "models/interconnect/pcie_link.hpp"
#include "models/iounit/echo_service.hpp"
#include "models/iounit/iou_params.hpp"

namespace hcasim {

// Wakes software when DMA writes land in a range of memory (a buffer being spun on, as
// perftest's write_lat spins on the last byte of its receive buffer).
class MemoryWatch : public PcieLink::WriteObserver {
 public:
  const sc_core::sc_event& event() const { return event_; }
  void on_dma_write(std::uint64_t, std::uint64_t) override { Lookahead::notify(event_); }

 private:
  sc_core::sc_event event_;
};

// The byte a write_lat round trip `k` (counted from 0 within one message size) puts last in its
// message: never 0 (buffers are cleared before each size), never the previous round's value.
inline std::uint8_t perftest_marker(std::uint64_t k) {
  return static_cast<std::uint8_t>(k % 255 + 1);
}

enum class PeerMode : std::uint8_t { kPassive, kSink, kEcho, kWriteEcho };

class PerftestPeer : public sc_core::sc_module {
 public:
  // One message size of a write_lat sweep and how many round trips it runs (warm-up included).
  struct Round {
    std::uint32_t size;
    std::uint64_t count;
  };

  SC_HAS_PROCESS(PerftestPeer);
  // `max_size`: largest message of the run (sizes the buffers). `pcie`: the I/O unit's PCIe
  // link, watched in kWriteEcho mode. `reply_to`: on a UD QP, where kEcho's replies go.
  PerftestPeer(sc_core::sc_module_name name, const IouParams& params, AdapterContext& adapter,
               PcieLink& pcie, QueuePair& qp, CompletionQueue& cq, PeerMode mode,
               std::uint32_t max_size, bool use_inline, const UdAddress& reply_to = {});

  // kWriteEcho: where the replies go (the host's buffer) and the sweep the host runs.
  void set_write_echo(std::uint64_t remote_addr, std::uint32_t rkey, std::vector<Round> rounds);

  // Bidirectional bandwidth (perftest -b): the peer also sends, as the second perftest process
  // does. Each burst keeps `tx_depth` operations of `opcode` outstanding towards the host
  // (`remote_addr` / `rkey` for WRITE and READ, `ud_to` for a UD SEND), every `cq_mod`-th
  // signaled, and polls their completions on `send_cq` (the QP's own send CQ, apart from the
  // receives). Call during elaboration.
  struct Duplex {
    CompletionQueue* send_cq = nullptr;
    WrOpcode opcode = WrOpcode::kSend;
    std::uint64_t remote_addr = 0;
    std::uint32_t rkey = 0;
    std::uint32_t tx_depth = 1;
    std::uint32_t cq_mod = 1;
  };
  void enable_duplex(const Duplex& d);
  // Starts a burst of `count` operations of `size` bytes (the host's handshake before each
  // phase of a size); burst_done() notifies when the last one is seen complete.
  void start_burst(std::uint32_t size, std::uint64_t count);
  bool burst_running() const { return burst_running_; }
  const sc_core::sc_event& burst_done() const { return burst_done_; }
  // The last burst: bytes moved, first post -> last completion seen.
  std::uint64_t burst_bytes() const { return burst_bytes_; }
  Picos burst_elapsed_ps() const { return burst_elapsed_; }

  std::uint64_t buffer() const { return recv_buf_; }  // target of the host's WRITEs / READs
  std::uint32_t rkey() const { return key_; }
  // SENDs received / WRITEs detected
  std::uint64_t messages() const { return echo_ ? echo_->messages() : messages_; }
  std::uint64_t errors() const { return echo_ ? echo_->errors() : errors_; }

 private:
  void serve_writes();  // kWriteEcho
  void run_bursts();    // duplex
  void reap_sends();    // non-blocking: retires our own send completions
  void post_or_wait(const SendRequest& wr);

  IouParams params_;
  AdapterContext& adapter_;
  QueuePair& qp_;
  CompletionQueue& cq_;
  PeerMode mode_;
  std::uint32_t max_size_;
  bool use_inline_;
  UdAddress ud_to_;  // a UD QP: the host's QP (echo replies, duplex bursts)
  sc_core::sc_time service_;
  std::uint64_t recv_buf_ = 0, send_buf_ = 0;
  std::uint32_t key_ = 0;
  SendRequest reply_;
  MemoryWatch watch_;
  std::vector<Round> rounds_;
  std::unique_ptr<EchoService> echo_;  // kSink, kEcho
  std::uint64_t messages_ = 0, errors_ = 0;
  // duplex
  Duplex duplex_;
  SendRequest burst_wr_;
  std::uint32_t burst_size_ = 0;
  std::uint64_t burst_count_ = 0, burst_bytes_ = 0;
  Picos burst_elapsed_ = 0;
  bool burst_running_ = false;
  sc_core::sc_event burst_start_, burst_done_;
  StatGroup stats_{name()};  // its own counters; an echo or sink peer's are its EchoService's
};

}  // namespace hcasim
