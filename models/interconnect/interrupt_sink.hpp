#pragma once
// Where message-signalled interrupts (MSI) end up: the host's interrupt controller. The
// adapter raises an interrupt by a posted DMA write to the MSI window; the PCIe link calls
// raise() when that write lands, so an interrupt never overtakes the CQE written before it.
#include <cstdint>

namespace hcasim {

class InterruptSink {
 public:
  virtual ~InterruptSink() = default;
  virtual void raise(std::uint32_t vector) = 0;
};

// DMA writes at or above this address are MSI messages (vector = (addr - base) / 4), as the
// x86 local-APIC window works; host memory never reaches it.
constexpr std::uint64_t kMsiWindowBase = 0xFEE0'0000'0000ull;

}  // namespace hcasim
