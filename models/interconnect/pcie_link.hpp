#pragma once
// PCIe-like link between a host's memory and one adapter.
//
// Downstream (host -> device): MMIO writes (doorbells) and DMA read completions.
// Upstream (device -> host): DMA read requests and DMA writes.
// Each direction is a separate occupancy, so reads and writes contend as on a real link: a DMA
// read costs request TLPs upstream and completion TLPs downstream; a DMA write costs payload TLPs
// upstream. DMA writes land in host memory at the time their last TLP arrives (not before), and
// watchers on address ranges (completion queues) are woken then. A write to memory nobody
// watches costs no action: its bytes are stored when it is issued, since no software can look
// at them before a later, watched write has landed (see dma_write).
//
// TLM-2.0: the adapter's DMA requests arrive on `device_socket` through nb_transport_fw and
// complete at once (TLM_COMPLETED) with the completion time as annotated delay, so an adapter
// may call it from an SC_METHOD. Host software reaches the adapter's registers with
// mmio_write(), which forwards on `mmio_socket` with the downstream delay annotated.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include <vector>

#include "models/core/action_queue.hpp"
#include "models/core/occupancy.hpp"
#include "models/core/stats.hpp"
#include "models/core/trace_source.hpp"
#include "models/core/wire_time_memo.hpp"
#include "models/interconnect/dma_stream.hpp"
#include "models/interconnect/interrupt_sink.hpp"
#include "models/interconnect/pcie_params.hpp"
#include "models/interconnect/write_watches.hpp"
#include "models/memory/host_memory.hpp"

namespace hcasim {

class PcieLink : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<PcieLink> device_socket;   // adapter DMA in
  tlm_utils::simple_initiator_socket<PcieLink> mmio_socket;  // register writes out to adapter

  SC_HAS_PROCESS(PcieLink);
  PcieLink(sc_core::sc_module_name name, const PcieParams& params, HostMemory& memory,
           TraceSink* trace);

  // Host software writes `len` bytes to adapter register `offset` (a doorbell). Returns the
  // time the write reaches the adapter. Callable from any process; never waits.
  Picos mmio_write(std::uint64_t offset, const void* data, unsigned len);

  // Host software reads `len` bytes of an adapter register: a non-posted read that waits for
  // its completion (the CPU stalls on it, which is why drivers avoid MMIO reads on fast paths).
  // Returns when the completion with the data is back at the host.
  Picos mmio_read(std::uint64_t offset, void* data, unsigned len);

  // Something in host software that wants to know when DMA writes land in a range of memory
  // (a completion queue's ring): told at the landing time, with the written range. It may
  // react there (read memory, post work, ring doorbells) but must not add watches or make a
  // DMA write happen at once: the landing is still walking the watches (checked in debug
  // builds).
  class WriteObserver {
   public:
    virtual ~WriteObserver() = default;
    virtual void on_dma_write(std::uint64_t addr, std::uint64_t len) = 0;
  };
  // Before any DMA write to the range is issued: a write that touched no watch when issued is
  // stored at once and never told (dma_write).
  void watch(std::uint64_t addr, std::uint64_t len, WriteObserver* observer);

  // Where MSI writes from the adapter are delivered (the host's interrupt controller).
  void set_interrupt_sink(InterruptSink* sink) { interrupts_ = sink; }
  std::uint64_t interrupts() const { return interrupts_raised_; }

  const PcieParams& params() const { return params_; }
  // Time to serialize `bytes` in one direction (params().wire_ps, remembered per size).
  Picos wire_ps(std::uint64_t bytes) const {
    return wire_times_.get(bytes, [this](std::uint64_t b) { return params_.wire_ps(b); });
  }
  const BusyResource& upstream() const { return up_; }
  const BusyResource& downstream() const { return down_; }
  std::uint64_t dma_reads() const { return dma_reads_; }
  std::uint64_t dma_writes() const { return dma_writes_; }

  // Analytic figures used by the timing (and by the validation tests).
  Picos read_request_wire_ps(std::uint64_t len) const;
  Picos read_completion_wire_ps(std::uint64_t len) const;
  Picos write_wire_ps(std::uint64_t len) const;
  // The earliest start of a DMA write of `len` bytes whose bytes reach the device as `stream`
  // says, so that no write TLP goes before its bytes are there, and the write lands no earlier
  // than `now` (dma_stream.hpp). It may be before `now`: a direction whose busy-until is not
  // later was free then (every booking ends by its busy-until).
  Picos streamed_write_start(std::uint64_t len, const WriteStream& stream, Picos now) const;

 private:
  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                     sc_core::sc_time& delay);
  Picos dma_read(Picos start, tlm::tlm_generic_payload& gp);
  // A TLP host software sends downstream (see the .cpp): returns when it starts on the wire.
  Picos host_tlp(Picos now, Picos wire);
  Picos dma_write(Picos start, tlm::tlm_generic_payload& gp);
  void land_write(std::uint64_t slot);
  // Whether [addr, addr + len) overlaps a DMA write that has not landed yet.
  bool overlaps_pending(std::uint64_t addr, std::uint64_t len) const;
  void land_msi(std::uint64_t vector);

  struct PendingWrite {
    std::uint64_t addr = 0;
    std::vector<std::uint8_t> data;  // capacity is kept between uses
  };
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp);

  PcieParams params_;
  WireTimeMemo wire_times_;
  // params_'s latencies in picoseconds, converted once (each conversion is floating point).
  Picos latency_ps_;
  Picos memory_latency_ps_;
  // How many TLPs of a power-of-two size carry `len` bytes.
  struct TlpSize {
    unsigned log2;
    std::uint64_t tlps(std::uint64_t len) const {
      return (len + (std::uint64_t{1} << log2) - 1) >> log2;
    }
  };
  TlpSize max_payload_, max_read_request_, completion_bytes_;
  HostMemory& memory_;
  BusyResource up_;
  BusyResource down_;
  BusyResource host_tlps_;  // the order of the host's own downstream TLPs
  ActionQueue actions_;
  // Ring of writes in flight (they land in FIFO order); its size is a power of two (16, then
  // doubling), so slots are masked, not divided.
  std::vector<PendingWrite> pending_;
  PendingWrite& pending_at(std::size_t i) {  // the i-th oldest write in flight
    return pending_[(pending_head_ + i) & (pending_.size() - 1)];
  }
  const PendingWrite& pending_at(std::size_t i) const {
    return pending_[(pending_head_ + i) & (pending_.size() - 1)];
  }
  std::size_t pending_head_ = 0;
  std::size_t pending_count_ = 0;
  bool telling_ = false;  // observers are being told of a landing (debug checks)
  WriteWatches<WriteObserver> watches_;
  tlm::tlm_generic_payload mmio_gp_;
  std::uint64_t dma_reads_ = 0;
  std::uint64_t dma_writes_ = 0;
  InterruptSink* interrupts_ = nullptr;
  std::uint64_t interrupts_raised_ = 0;
  TracedCount up_inflight_;  // DMA writes issued and not landed (all of them, watched or not)
  StatGroup stats_{name()};
};

}  // namespace hcasim
