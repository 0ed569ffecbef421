#pragma once
// Builds the fabric of a run from its parameters: the links (and the switch) between the
// endpoints (channel adapters). `fabric.topology = direct` is one link between two endpoints;
// `switch` puts every endpoint on its own link to one switch (host(s) - switch - I/O unit(s)).
// Each endpoint brings the PacketSink its link delivers to and the FabricPort it transmits
// with; the builder connects them, gives every transmitter the far receiver's buffer as
// credits and fills the switch's routing table.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/core/params.hpp"
#include "models/core/trace_source.hpp"
#include "models/fabric/fabric_port.hpp"
#include "models/fabric/link.hpp"
#include "models/fabric/link_params.hpp"
#include "models/fabric/packet_sink.hpp"
#include "models/fabric/switch.hpp"
#include "models/fabric/switch_params.hpp"

namespace hcasim {

struct FabricParams {
  std::string topology;
  std::uint32_t vls;

  template <class V>
  void visit(V& v) {
    v.choice(topology, "fabric.topology", "switch", {"direct", "switch"},
             "direct: one cable between two adapters; switch: every adapter cabled to one switch");
    v.one_of(vls, "fabric.vls", "VLs", 1, {1, 2, 4, 8, 15},
             "data virtual lanes per port (each with its own buffer and credits)");
  }
};

struct FabricEndpoint {
  PacketSink* sink = nullptr;         // receives the packets addressed to `lid`
  FabricPort* port = nullptr;         // transmits the endpoint's packets (not yet connected)
  std::uint16_t lid = 0;              // fabric address (Packet::dst_port)
  std::uint32_t rx_buffer_bytes = 0;  // its receive buffer per VL: the credits its sender gets
};

// direct: link0, endpoint 0 on side 0 and endpoint 1 on side 1.
// switch: link<i> per endpoint i, the endpoint on side 0 and switch0's port i on side 1.
struct Fabric {
  std::vector<std::unique_ptr<Link>> links;
  std::unique_ptr<Switch> sw;  // null for the direct topology
};

// Throws ConfigError if the topology cannot hold the endpoints (direct: exactly 2; switch: at
// most switch.ports, all LIDs distinct).
Fabric build_fabric(const FabricParams& fabric, const LinkParams& link, const SwitchParams& sw,
                    const std::vector<FabricEndpoint>& endpoints, TraceSink* trace);

}  // namespace hcasim
