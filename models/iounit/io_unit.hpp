#pragma once
// An I/O unit (docs/iounit.md): a node on the fabric with its memory and target channel
// adapter, I/O controller CPUs, and the one service its firmware runs (iou.service):
//   echo      answers each message (EchoService);
//   sink      keeps receives posted and drops the messages (PerftestPeer, kSink);
//   perftest  the peer side of the perftest tools (PerftestPeer);
//   storage   the message-passing emulation over RDMA (EmulationService) in front of a
//             storage device (StorageDevice).
// Workloads drive the host side only: they ask the unit to serve a connection, and the unit
// refuses (ConfigError naming iou.service) a service other than the one configured.
#include <memory>
#include <string>
#include <vector>

#include "models/core/stats.hpp"
#include "models/iounit/echo_service.hpp"
#include "models/iounit/emulation_params.hpp"
#include "models/iounit/emulation_service.hpp"
#include "models/iounit/io_controller.hpp"
#include "models/iounit/iou_params.hpp"
#include "models/iounit/perftest_peer.hpp"
#include "models/iounit/storage_device.hpp"
#include "models/iounit/storage_params.hpp"
#include "models/node/node.hpp"

namespace hcasim {

// The I/O unit's side of a connection: the queues its firmware drives through the adapter's
// queue interface directly, as firmware does; host software never sees these.
struct IouQueues {
  AdapterContext* adapter = nullptr;
  PcieLink* pcie = nullptr;
  CompletionQueue* cq = nullptr;       // the QP's receives (and its sends, unless send_cq)
  CompletionQueue* send_cq = nullptr;  // the QP's sends when apart from cq, else cq
  QueuePair* qp = nullptr;
  UdAddress ud_peer;  // a UD QP: where the service's datagrams go (System::connect_ud)
};

class IoUnit : public Node {
 public:
  // `service`: the service to run (iou.service, "auto" resolved by the workload kind);
  // `chosen`: whether the scenario named it (else any service a workload asks for is served).
  // `seed`: the run's (device errors).
  IoUnit(sc_core::sc_module_name name, const IouParams& params, const std::string& service,
         bool chosen, const EmulationParams& emulation, const StorageParams& storage,
         std::uint64_t seed, const PcieParams& pcie, const HcaParams& hca, std::uint16_t port,
         std::uint32_t mtu, unsigned vls, PacketPool& packets, TraceSink* trace);

  const IouParams& params() const { return params_; }
  const std::string& service() const { return service_; }

  // Queues for one connection served by an echo or perftest service (a CQ and a QP of `type`;
  // with `separate_send_cq`, a second CQ of `cq_entries` for its sends).
  IouQueues open_queues(std::uint32_t cq_entries, std::uint32_t sq_entries,
                        std::uint32_t rq_entries, QpType type = QpType::kRc,
                        bool separate_send_cq = false);
  // Starts a service on a connection's queues; each checks iou.service first.
  EchoService& serve_echo(const IouQueues& q, std::uint32_t max_request, std::uint32_t reply_size);
  PerftestPeer& serve_perftest(const IouQueues& q, PeerMode mode, std::uint32_t max_size,
                               bool use_inline);
  // storage: a connection to the emulation service (its QP on the service's CQ).
  IouQueues open_storage_connection();

  EmulationService& emulation() { return *emulation_; }
  const EmulationService* emulation() const { return emulation_.get(); }
  const StorageDevice* storage() const { return device_.get(); }
  const IoController& controller() const { return *controller_; }

 private:
  void require(const char* wanted, const char* also = nullptr) const;
  void make_storage();

  IouParams params_;
  std::string service_;
  bool chosen_;
  EmulationParams emulation_params_;
  StorageParams storage_params_;
  std::uint64_t seed_;
  TraceSink* trace_;
  std::unique_ptr<IoController> controller_;
  std::unique_ptr<StorageDevice> device_;
  std::unique_ptr<StatGroup> device_stats_;  // the device's, as "<unit>.device"
  std::unique_ptr<EmulationService> emulation_;
  std::vector<std::unique_ptr<EchoService>> echoes_;
  std::vector<std::unique_ptr<PerftestPeer>> peers_;
};

}  // namespace hcasim
