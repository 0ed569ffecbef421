#pragma once
// The driver's side of the adapter's asynchronous events (verbs' ibv_get_async_event): a ring of
// event-queue entries the adapter writes by DMA and signals by an MSI on the queue's vector
// (every event: no arming). The driver drains it like a CQ, by the owner bit, and tells the
// adapter how far it got through a consumer record in host memory.
#include <systemc>

#include <cstdint>

#include "models/hca/wqe_format.hpp"
#include "models/interconnect/pcie_link.hpp"
#include "models/memory/host_memory.hpp"

namespace hcasim {

struct AsyncEvent {
  AsyncEventKind kind = AsyncEventKind::kPortActive;
  std::uint32_t number = 0;  // the CQ number, QP number or port (1)
};

class EventQueue : public PcieLink::WriteObserver {
 public:
  EventQueue(std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec, std::uint32_t vector,
             HostMemory& memory);
  std::uint32_t vector() const { return vector_; }
  std::uint32_t entries() const { return entries_; }
  // Removes up to `max` events, oldest first; returns how many. Never blocks.
  unsigned poll(AsyncEvent* out, unsigned max);
  // Notified each time an entry lands (before the MSI that signals it).
  const sc_core::sc_event& landed_event() const { return landed_; }
  std::uint64_t landed() const { return landed_count_; }
  std::uint64_t consumed() const { return consumer_; }

  void on_dma_write(std::uint64_t addr, std::uint64_t len) override;

 private:
  std::uint64_t ring_;
  std::uint32_t entries_;
  std::uint64_t dbrec_;
  std::uint32_t vector_;
  HostMemory& memory_;
  std::uint32_t consumer_ = 0;
  std::uint64_t landed_count_ = 0;
  sc_core::sc_event landed_;
};

}  // namespace hcasim
