#pragma once
// How a DMA's bytes stream over the PCIe-like link, for a device that moves them on before the
// whole transfer is over (cut-through in a channel adapter, docs/model.md):
// - a DMA read's data comes back as completion TLPs one after another; ReadArrival says when
//   each arrives at the device;
// - a DMA write's data may still be arriving at the device (from its fabric port) when its
//   first TLP could go; WriteStream says when each byte is there, so the link starts the write
//   as early as it can without a TLP going before its bytes.
// Both ride on the transfer's generic payload as one TLM extension (DmaStream), which the
// device owns and keeps attached: PcieLink fills `arrival` of a read, and honours `stream` of a
// write when `streamed` is set. A PcieLink that ignored it would still time every transfer as a
// whole (an ignorable extension).
#include <tlm>

#include <cstdint>

#include "models/core/sim_time.hpp"

namespace hcasim {

// A DMA read's completion TLPs, `chunk` payload bytes each (the last may be shorter): the first
// reaches the device at `first`, each further one `every` later, the last at `last` (the read's
// completion time). Booked back to back on the link's downstream direction, so linear.
struct ReadArrival {
  Picos first = 0;
  Picos every = 0;
  Picos last = 0;
  std::uint32_t chunk = 0;
  std::uint32_t length = 0;

  std::uint32_t chunks() const { return length == 0 ? 0 : (length + chunk - 1) / chunk; }
  // When chunk `i` (< chunks()), bytes [i * chunk, (i + 1) * chunk), has arrived.
  Picos chunk_arrival(std::uint32_t i) const {
    return i + 1 >= chunks() ? last : first + static_cast<Picos>(i) * every;
  }
};

// A DMA write's bytes reach the device one after another: the last at `last_ready`, each
// earlier one `byte_ps` before the next (the rate of the wire they come from).
struct WriteStream {
  Picos last_ready = 0;
  double byte_ps = 0;

  // When the first `prefix` of `length` bytes are all there.
  Picos prefix_ready(std::uint64_t prefix, std::uint64_t length) const {
    const auto before = static_cast<Picos>(static_cast<double>(length - prefix) * byte_ps + 0.5);
    return before < last_ready ? last_ready - before : 0;
  }
};

class DmaStream : public tlm::tlm_extension<DmaStream> {
 public:
  bool streamed = false;  // in, write: honour `stream` (else the write starts as annotated)
  WriteStream stream;     // in, write
  ReadArrival arrival;    // out, read

  tlm::tlm_extension_base* clone() const override { return new DmaStream(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const DmaStream&>(other);
  }
  // The device owns this extension (a member next to its payload): the payload's destructor
  // must not delete it.
  void free() override {}
};

}  // namespace hcasim
