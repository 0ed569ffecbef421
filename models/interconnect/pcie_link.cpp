#include "models/interconnect/pcie_link.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <stdexcept>
#include <string>

namespace hcasim {

namespace {
// TLP sizes are powers of two (the parameters allow no other): counting TLPs is a shift, not
// a 64-bit division on every DMA.
unsigned log2_of_tlp_size(std::uint32_t bytes, const char* key) {
  if (bytes == 0 || (bytes & (bytes - 1)) != 0)
    throw std::invalid_argument(std::string(key) + " must be a power of two, not " +
                                std::to_string(bytes));
  return static_cast<unsigned>(__builtin_ctz(bytes));
}
}  // namespace

PcieLink::PcieLink(sc_core::sc_module_name name, const PcieParams& params, HostMemory& memory,
                   TraceSink* trace)
    : sc_module(name),
      device_socket("device_socket"),
      mmio_socket("mmio_socket"),
      params_(params),
      latency_ps_(params.latency_ps()),
      memory_latency_ps_(params.memory_latency_ps()),
      max_payload_{log2_of_tlp_size(params.max_payload, "pcie.max_payload")},
      max_read_request_{log2_of_tlp_size(params.max_read_request, "pcie.max_read_request")},
      completion_bytes_{log2_of_tlp_size(params.completion_bytes(), "pcie.read_completion")},
      memory_(memory) {
  device_socket.register_nb_transport_fw(this, &PcieLink::nb_transport_fw);
  device_socket.register_transport_dbg(this, &PcieLink::transport_dbg);
  pending_.resize(16);
  const std::string base = std::string(this->name());
  up_inflight_.attach(trace, base + ".dma_writes_in_flight", 16);
  stats_.busy_share(up_, "upstream_utilization", "device-to-host direction busy");
  stats_.busy_share(down_, "downstream_utilization", "host-to-device direction busy");
  stats_.counter(dma_reads_, "dma_reads", "count", "DMA reads the device issued");
  stats_.counter(dma_writes_, "dma_writes", "count", "DMA writes the device issued");
  stats_.counter(interrupts_raised_, "msis", "count", "MSI writes that reached the host");
}

Picos PcieLink::read_request_wire_ps(std::uint64_t len) const {
  return wire_ps(max_read_request_.tlps(len) * params_.request_overhead);
}
Picos PcieLink::read_completion_wire_ps(std::uint64_t len) const {
  return wire_ps(len + completion_bytes_.tlps(len) * params_.completion_overhead);
}
Picos PcieLink::write_wire_ps(std::uint64_t len) const {
  return wire_ps(len + max_payload_.tlps(len) * params_.request_overhead);
}

Picos PcieLink::streamed_write_start(std::uint64_t len, const WriteStream& stream,
                                     Picos now) const {
  // TLP i carries the bytes up to min((i + 1) x max_payload, len) and goes on the wire i TLPs
  // after the first (the write is booked back to back). The bytes arrive at a steady rate, so
  // how early the write may start is linear in i except for the last TLP, which may be short:
  // the first, the last but one and the last TLP bound it.
  const WriteStream& s = stream;
  const std::uint64_t mps = params_.max_payload;
  const std::uint64_t tlps = max_payload_.tlps(len);
  auto need = [&](std::uint64_t i) -> Picos {
    const Picos ready = s.prefix_ready(std::min((i + 1) * mps, len), len);
    const Picos before = wire_ps(i * (mps + params_.request_overhead));
    return ready > before ? ready - before : 0;
  };
  Picos start = std::max(need(0), tlps > 0 ? need(tlps - 1) : 0);
  if (tlps >= 2) start = std::max(start, need(tlps - 2));
  // Never landing in the past, whatever the stream says.
  const Picos flight = write_wire_ps(len) + latency_ps_;
  return std::max(start, now > flight ? now - flight : 0);
}

Picos PcieLink::host_tlp(Picos now, Picos wire) {
  // design decision: the root port interleaves downstream TLPs, and PCIe ordering lets posted
  // writes pass completions, so a TLP the host sends (a doorbell, an MMIO read request) waits
  // at most for the completion TLP on the wire -- not behind every completion already booked
  // for DMA reads issued earlier (up to microseconds ahead). Host TLPs keep their own order,
  // and their bytes are still charged to the direction (after what is booked, delaying later
  // completions), so its throughput accounting stays exact.
  Picos earliest = now;
  if (down_.busy_until() > now) {
    const Picos tlp = wire_ps(params_.completion_bytes() + params_.completion_overhead);
    earliest += std::min(down_.busy_until() - now, tlp);
  }
  const Picos start = host_tlps_.reserve(earliest, wire);
  down_.reserve(start, wire);
  return start;
}

Picos PcieLink::mmio_write(std::uint64_t offset, const void* data, unsigned len) {
  const Picos now = now_ps();
  const Picos wire = wire_ps(len + params_.request_overhead);
  const Picos arrive = host_tlp(now, wire) + wire + latency_ps_;
  mmio_gp_.set_command(tlm::TLM_WRITE_COMMAND);
  mmio_gp_.set_address(offset);
  mmio_gp_.set_data_ptr(static_cast<unsigned char*>(const_cast<void*>(data)));
  mmio_gp_.set_data_length(len);
  mmio_gp_.set_streaming_width(len);
  mmio_gp_.set_byte_enable_ptr(nullptr);
  mmio_gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = ps(arrive - now);
  // The adapter's register target records the write and acts on it at now + delay.
  mmio_socket->b_transport(mmio_gp_, delay);
  return arrive;
}

Picos PcieLink::mmio_read(std::uint64_t offset, void* data, unsigned len) {
  const Picos now = now_ps();
  // Request downstream (header only), the device answers, completion with data upstream.
  const Picos req_wire = wire_ps(params_.request_overhead);
  const Picos at_device = host_tlp(now, req_wire) + req_wire + latency_ps_;
  mmio_gp_.set_command(tlm::TLM_READ_COMMAND);
  mmio_gp_.set_address(offset);
  mmio_gp_.set_data_ptr(static_cast<unsigned char*>(data));
  mmio_gp_.set_data_length(len);
  mmio_gp_.set_streaming_width(len);
  mmio_gp_.set_byte_enable_ptr(nullptr);
  mmio_gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = ps(at_device - now);
  mmio_socket->b_transport(mmio_gp_, delay);  // the device adds its register access time
  const Picos answered = now + delay.value();
  const Picos cpl_wire = wire_ps(len + params_.completion_overhead);
  return up_.reserve(answered, cpl_wire) + cpl_wire + latency_ps_;
}

void PcieLink::watch(std::uint64_t addr, std::uint64_t len, WriteObserver* observer) {
  assert(!telling_ && "a write observer added a watch while being told of a landing");
  watches_.add(addr, len, observer);
}

// Untimed access for the adapter's firmware (e.g. peeking a doorbell record), TLM debug style.
unsigned int PcieLink::transport_dbg(tlm::tlm_generic_payload& gp) {
  const std::uint64_t len = gp.get_data_length();
  if (!memory_.contains(gp.get_address(), len)) return 0;
  if (gp.is_read())
    memory_.read(gp.get_address(), gp.get_data_ptr(), len);
  else
    memory_.write(gp.get_address(), gp.get_data_ptr(), len);
  return static_cast<unsigned int>(len);
}

tlm::tlm_sync_enum PcieLink::nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                             sc_core::sc_time& delay) {
  if (phase != tlm::BEGIN_REQ) {
    gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return tlm::TLM_COMPLETED;
  }
  const Picos now = now_ps();
  Picos start = now + delay.value();
  if (gp.is_write() && gp.get_address() >= kMsiWindowBase) {
    // MSI: a small posted write, ordered behind earlier writes, then an interrupt.
    const Picos wire = write_wire_ps(4);
    const Picos lands = up_.reserve(start, wire) + wire + latency_ps_;
    actions_.at<&PcieLink::land_msi>(lands, this, (gp.get_address() - kMsiWindowBase) / 4);
    delay = ps(lands - now);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return tlm::TLM_COMPLETED;
  }
  if (!memory_.contains(gp.get_address(), gp.get_data_length())) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return tlm::TLM_COMPLETED;
  }
  DmaStream* stream = gp.get_extension<DmaStream>();
  if (gp.is_write() && stream && stream->streamed)
    start = streamed_write_start(gp.get_data_length(), stream->stream, now);
  const Picos done = gp.is_read() ? dma_read(start, gp) : dma_write(start, gp);
  delay = ps(done - now);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  phase = tlm::BEGIN_RESP;
  return tlm::TLM_COMPLETED;
}

Picos PcieLink::dma_read(Picos start, tlm::tlm_generic_payload& gp) {
  const std::uint64_t len = gp.get_data_length();
  // Request TLPs go upstream; the root complex reads memory and returns completions of at most
  // completion_bytes() each downstream. Data is copied now: software wrote it before ringing the
  // doorbell that led here, so the bytes cannot change in between.
  const Picos req_wire = read_request_wire_ps(len);
  const Picos first_req_wire = wire_ps(params_.request_overhead);
  const Picos req_start = up_.reserve(start, req_wire);
  const Picos at_root = req_start + first_req_wire + latency_ps_;
  const Picos data_ready = at_root + memory_latency_ps_;
  const Picos cpl_wire = read_completion_wire_ps(len);
  const Picos cpl_start = down_.reserve(data_ready, cpl_wire);
  const Picos done = cpl_start + cpl_wire + latency_ps_;
  if (DmaStream* stream = gp.get_extension<DmaStream>()) {
    // The completion TLPs arrive one after another: the device may use each as it comes.
    const std::uint32_t chunk = params_.completion_bytes();
    const std::uint64_t first = std::min<std::uint64_t>(len, chunk);
    stream->arrival = ReadArrival{
        cpl_start + wire_ps(first + params_.completion_overhead) + latency_ps_,
        wire_ps(chunk + params_.completion_overhead), done, chunk, static_cast<std::uint32_t>(len)};
  }
  memory_.read(gp.get_address(), gp.get_data_ptr(), len);
  // PCIe ordering: a read does not pass earlier posted writes, so it sees their data even if
  // host software cannot see it yet.
  const std::uint64_t lo = gp.get_address(), hi = lo + len;
  for (std::size_t i = 0; i < pending_count_; ++i) {
    const PendingWrite& w = pending_at(i);
    const std::uint64_t wlo = w.addr, whi = w.addr + w.data.size();
    if (wlo >= hi || lo >= whi) continue;
    const std::uint64_t b = std::max(lo, wlo), e = std::min(hi, whi);
    std::memcpy(gp.get_data_ptr() + (b - lo), w.data.data() + (b - wlo), e - b);
  }
  ++dma_reads_;
  return done;
}

Picos PcieLink::dma_write(Picos start, tlm::tlm_generic_payload& gp) {
  const std::uint64_t len = gp.get_data_length();
  const Picos wire = write_wire_ps(len);
  const Picos lands = up_.reserve(start, wire) + wire + latency_ps_;
  assert(!telling_ && "a write observer made a DMA write happen while being told of a landing");
  ++dma_writes_;
  up_inflight_.add_at(now_ps(), 1);
  up_inflight_.add_at(lands, -1);
  const std::uint64_t addr = gp.get_address();
  if (!watches_.touches(addr, len) && !overlaps_pending(addr, len)) {
    // design decision: bytes nobody watches go to memory now, without an action at their
    // landing. Software learns of them only from a watched write issued later (a completion),
    // which lands after them (posted writes keep their order), so none can look at them
    // before they land; they overlap no write still in flight, so the memory ends the same.
    memory_.write(addr, gp.get_data_ptr(), len);
    return lands;
  }
  // Keep the bytes until they land: software must not see them earlier.
  if (pending_count_ == pending_.size()) {
    std::vector<PendingWrite> bigger(pending_.size() * 2);
    for (std::size_t i = 0; i < pending_count_; ++i) bigger[i] = std::move(pending_at(i));
    pending_.swap(bigger);
    pending_head_ = 0;
  }
  const std::size_t slot = (pending_head_ + pending_count_) & (pending_.size() - 1);
  ++pending_count_;
  PendingWrite& w = pending_[slot];
  w.addr = addr;
  w.data.assign(gp.get_data_ptr(), gp.get_data_ptr() + len);
  actions_.at<&PcieLink::land_write>(lands, this);
  return lands;
}

bool PcieLink::overlaps_pending(std::uint64_t addr, std::uint64_t len) const {
  for (std::size_t i = 0; i < pending_count_; ++i) {
    const PendingWrite& w = pending_at(i);
    if (w.addr < addr + len && addr < w.addr + w.data.size()) return true;
  }
  return false;
}

void PcieLink::land_msi(std::uint64_t vector) {
  ++interrupts_raised_;
  if (interrupts_) interrupts_->raise(static_cast<std::uint32_t>(vector));
}

void PcieLink::land_write(std::uint64_t) {
  // Upstream writes land in issue order, so the oldest pending write is the one landing.
  const PendingWrite& w = pending_[pending_head_];
  const std::uint64_t addr = w.addr, len = w.data.size();
  memory_.write(addr, w.data.data(), len);
  pending_head_ = (pending_head_ + 1) & (pending_.size() - 1);
  --pending_count_;
  // The slot is free from here on: observers hear of the range, not of the slot.
  telling_ = true;
  watches_.for_each_touched(
      addr, len, [addr, len](WriteObserver* observer) { observer->on_dma_write(addr, len); });
  telling_ = false;
}

}  // namespace hcasim
