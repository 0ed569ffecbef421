#pragma once
// The adapter's one way into host memory: timed DMA reads and writes through the host
// interconnect, and firmware's untimed look at host memory (a consumer index, a WQE to flush).
#include <tlm>

#include <cstdint>

#include "models/core/sim_time.hpp"
#include "models/interconnect/dma_stream.hpp"

namespace hcasim {

class DmaPort {
 public:
  DmaPort(const char* owner, tlm::tlm_initiator_socket<>& socket) : owner_(owner), socket_(socket) {
    gp_.set_extension(&stream_);  // stays attached: no allocation per transfer
  }
  ~DmaPort() { gp_.clear_extension(&stream_); }  // ours: the payload must not free it
  DmaPort(const DmaPort&) = delete;
  DmaPort& operator=(const DmaPort&) = delete;

  // Issues a DMA that starts no earlier than `at` and returns when it completes (a write: when
  // it lands in host memory). Never waits: the interconnect annotates the completion time.
  Picos transfer(tlm::tlm_command cmd, std::uint64_t addr, void* data, std::uint32_t len, Picos at);
  Picos read(std::uint64_t addr, void* data, std::uint32_t len, Picos at) {
    return transfer(tlm::TLM_READ_COMMAND, addr, data, len, at);
  }
  Picos write(std::uint64_t addr, const void* data, std::uint32_t len, Picos at) {
    // The interconnect copies the bytes when it takes the write; it never changes them.
    return transfer(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len, at);
  }
  // A read that also tells when each of its completion TLPs reaches the adapter (`arrival`),
  // for a stage that moves the data on before the read is over. Returns the completion time.
  Picos read(std::uint64_t addr, void* data, std::uint32_t len, Picos at, ReadArrival& arrival);
  // A write of bytes that are still arriving at the adapter as `stream` says: it starts as soon
  // as its first TLP's bytes are there (possibly before now, if the link was free then) and no
  // TLP goes before its bytes. Returns when it lands.
  Picos write(std::uint64_t addr, const void* data, std::uint32_t len, const WriteStream& stream);

  // Firmware's untimed read of `len` bytes of host memory (no simulated time passes); false
  // when the range is not host memory.
  bool peek(std::uint64_t addr, void* data, std::uint32_t len);
  template <class T>
  bool peek(std::uint64_t addr, T& value) {
    return peek(addr, &value, sizeof value);
  }

 private:
  const char* owner_;
  tlm::tlm_initiator_socket<>& socket_;
  DmaStream stream_;                  // gp_'s streaming extension (dma_stream.hpp)
  tlm::tlm_generic_payload gp_;       // timed transfers
  tlm::tlm_generic_payload peek_gp_;  // untimed reads
};

}  // namespace hcasim
