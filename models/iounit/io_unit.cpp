#include "models/iounit/io_unit.hpp"

#include "models/core/config_error.hpp"

namespace hcasim {

IoUnit::IoUnit(sc_core::sc_module_name name, const IouParams& params, const std::string& service,
               bool chosen, const EmulationParams& emulation, const StorageParams& storage,
               std::uint64_t seed, const PcieParams& pcie, const HcaParams& hca, std::uint16_t port,
               std::uint32_t mtu, unsigned vls, PacketPool& packets, TraceSink* trace)
    : Node(name, std::uint64_t(params.memory_mb) << 20, "iou.memory_mb", 1, pcie, hca, port, mtu,
           vls, packets, trace),
      params_(params),
      service_(service),
      chosen_(chosen),
      emulation_params_(emulation),
      storage_params_(storage),
      seed_(seed),
      trace_(trace) {
  controller_ =
      std::make_unique<IoController>(std::string(this->name()), params_.controllers, trace);
  if (service_ == "storage") make_storage();
}

void IoUnit::make_storage() {
  // Built with the unit when the scenario's service is storage, so its modules are named under
  // the unit ("iou0.emulation"); built on first use when a test drives it without saying so.
  device_ =
      std::make_unique<StorageDevice>(std::string(name()) + ".device", storage_params_, seed_);
  device_stats_ = std::make_unique<StatGroup>(device_->name());
  device_->declare_stats(*device_stats_);
  emulation_ = std::make_unique<EmulationService>("emulation", params_, emulation_params_, *adapter,
                                                  *controller_, *device_, trace_);
}

void IoUnit::require(const char* wanted, const char* also) const {
  if (!chosen_ || service_ == wanted || (also && service_ == also)) return;
  throw ConfigError("key 'iou.service': '" + service_ + "', but this workload needs the " + wanted +
                    " service; allowed here: auto, " + wanted +
                    (also ? std::string(", ") + also : std::string()));
}

IouQueues IoUnit::open_queues(std::uint32_t cq_entries, std::uint32_t sq_entries,
                              std::uint32_t rq_entries, QpType type, bool separate_send_cq) {
  IouQueues q;
  q.adapter = adapter;
  q.pcie = pcie;
  q.cq = &adapter->create_cq(cq_entries);
  q.send_cq = separate_send_cq ? &adapter->create_cq(cq_entries) : q.cq;
  q.qp = &adapter->create_qp(*q.send_cq, *q.cq, sq_entries, rq_entries, QpState::kRts, type);
  return q;
}

EchoService& IoUnit::serve_echo(const IouQueues& q, std::uint32_t max_request,
                                std::uint32_t reply_size) {
  require("echo");
  const std::string n = std::string(basename()) + "_echo" + std::to_string(echoes_.size());
  EchoConfig c;
  c.max_request = max_request;
  c.reply_size = reply_size;
  echoes_.push_back(std::make_unique<EchoService>(n.c_str(), params_, *q.adapter, *q.qp, *q.cq, c));
  return *echoes_.back();
}

PerftestPeer& IoUnit::serve_perftest(const IouQueues& q, PeerMode mode, std::uint32_t max_size,
                                     bool use_inline) {
  if (mode == PeerMode::kSink) {
    require("sink", "perftest");
  } else {
    require("perftest");
  }
  const std::string n = std::string(basename()) + "_peer" + std::to_string(peers_.size());
  peers_.push_back(std::make_unique<PerftestPeer>(n.c_str(), params_, *q.adapter, *q.pcie, *q.qp,
                                                  *q.cq, mode, max_size, use_inline, q.ud_peer));
  return *peers_.back();
}

IouQueues IoUnit::open_storage_connection() {
  require("storage");
  if (!emulation_) make_storage();
  IouQueues q;
  q.adapter = adapter;
  q.pcie = pcie;
  q.qp = &emulation_->add_connection();
  return q;
}

}  // namespace hcasim
