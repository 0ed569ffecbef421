#pragma once
// Faults injected into the fabric (docs/model.md "Faults"): packets corrupted on the wire at a
// rate, and one link down for an interval. A corrupted packet still occupies the wire and its
// receive buffer (whose credits go back), and is discarded by the receiving adapter's ICRC
// check; the reliable transport recovers by its timeout and retransmission.
#include <cstdint>

#include "models/core/params.hpp"
#include "models/core/sim_time.hpp"

namespace hcasim {

struct FaultParams {
  double packet_error_rate;
  std::uint32_t link_down;
  double link_down_at_us;
  double link_down_us;

  template <class V>
  void visit(V& v) {
    v.real(packet_error_rate, "fault.packet_error_rate", "", 0.0, 0.0, 1.0,
           "probability that a packet is corrupted on a link (each link, each direction; drawn "
           "from the run's seed)");
    v.integer(link_down, "fault.link_down", "link", 0, 0, 1024,
              "which link (linkN) goes down for fault.link_down_us");
    v.real(link_down_at_us, "fault.link_down_at_us", "us", 0.0, 0.0, 1e12,
           "when that link goes down");
    v.real(link_down_us, "fault.link_down_us", "us", 0.0, 0.0, 1e12,
           "how long it stays down: every packet that starts on it meanwhile is lost (0: never "
           "down)");
  }
  bool any() const { return packet_error_rate > 0 || link_down_us > 0; }
};

}  // namespace hcasim
