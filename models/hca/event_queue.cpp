#include "models/hca/event_queue.hpp"
#include "models/core/lookahead.hpp"

namespace hcasim {

EventQueue::EventQueue(std::uint64_t ring, std::uint32_t entries, std::uint64_t dbrec,
                       std::uint32_t vector, HostMemory& memory)
    : ring_(ring), entries_(entries), dbrec_(dbrec), vector_(vector), memory_(memory) {}

void EventQueue::on_dma_write(std::uint64_t addr, std::uint64_t len) {
  if (addr < ring_ || addr + len > ring_ + std::uint64_t(entries_) * sizeof(Eqe)) return;
  landed_count_ += len / sizeof(Eqe);
  Lookahead::notify(landed_);
}

unsigned EventQueue::poll(AsyncEvent* out, unsigned max) {
  unsigned n = 0;
  while (n < max) {
    Eqe eqe;
    memory_.read(ring_ + std::uint64_t(consumer_ % entries_) * sizeof(Eqe), &eqe, sizeof eqe);
    if (eqe.owner != cqe_owner_for(consumer_, entries_)) break;  // not written yet
    out[n].kind = static_cast<AsyncEventKind>(eqe.kind);
    out[n].number = eqe.number;
    ++n;
    ++consumer_;
  }
  if (n) memory_.write(dbrec_, &consumer_, sizeof consumer_);  // the adapter sees the room
  return n;
}

}  // namespace hcasim
