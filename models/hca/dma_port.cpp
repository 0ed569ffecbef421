#include "models/hca/dma_port.hpp"

namespace hcasim {

Picos DmaPort::transfer(tlm::tlm_command cmd, std::uint64_t addr, void* data, std::uint32_t len,
                        Picos at) {
  gp_.set_command(cmd);
  gp_.set_address(addr);
  gp_.set_data_ptr(static_cast<unsigned char*>(data));
  gp_.set_data_length(len);
  gp_.set_streaming_width(len);
  gp_.set_byte_enable_ptr(nullptr);
  gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  tlm::tlm_phase phase = tlm::BEGIN_REQ;
  const Picos now = now_ps();
  sc_core::sc_time delay = ps(at > now ? at - now : 0);
  socket_->nb_transport_fw(gp_, phase, delay);
  if (!gp_.is_response_ok()) {
    SC_REPORT_ERROR(owner_, "DMA outside host memory (driver bug)");
  }
  return now + delay.value();
}

Picos DmaPort::read(std::uint64_t addr, void* data, std::uint32_t len, Picos at,
                    ReadArrival& arrival) {
  stream_.arrival = ReadArrival{};
  const Picos done = transfer(tlm::TLM_READ_COMMAND, addr, data, len, at);
  arrival = stream_.arrival;
  // An interconnect that does not tell: the data is there, all of it, when the read completes.
  if (arrival.length != len || arrival.chunk == 0) arrival = ReadArrival{done, 0, done, len, len};
  return done;
}

Picos DmaPort::write(std::uint64_t addr, const void* data, std::uint32_t len,
                     const WriteStream& stream) {
  stream_.streamed = true;
  stream_.stream = stream;
  const Picos lands =
      transfer(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len, stream.last_ready);
  stream_.streamed = false;
  return lands;
}

bool DmaPort::peek(std::uint64_t addr, void* data, std::uint32_t len) {
  peek_gp_.set_command(tlm::TLM_READ_COMMAND);
  peek_gp_.set_address(addr);
  peek_gp_.set_data_ptr(static_cast<unsigned char*>(data));
  peek_gp_.set_data_length(len);
  return socket_->transport_dbg(peek_gp_) == len;
}

}  // namespace hcasim
