// Builds the links and the switch between a run's endpoints (see topology.hpp).
#include "models/fabric/topology.hpp"

#include "models/core/config_error.hpp"

namespace hcasim {

namespace {
void give_credits(FabricPort& port, unsigned vls, std::uint32_t buffer_bytes) {
  for (unsigned vl = 0; vl < vls; ++vl) port.set_credits(vl, buffer_bytes / kCreditBlockBytes);
}
}  // namespace

Fabric build_fabric(const FabricParams& fabric, const LinkParams& link_params,
                    const SwitchParams& sw_params, const std::vector<FabricEndpoint>& endpoints,
                    TraceSink* trace) {
  Fabric f;
  const unsigned vls = fabric.vls;
  if (fabric.topology == "direct") {
    if (endpoints.size() != 2)
      throw ConfigError("fabric.topology = direct connects exactly 2 adapters, the scenario has " +
                        std::to_string(endpoints.size()) + " (use fabric.topology = switch)");
    f.links.push_back(std::make_unique<Link>("link0", link_params, trace));
    Link& link = *f.links[0];
    for (int side = 0; side < 2; ++side) {
      link.to_side[side].bind(*endpoints[side].sink);
      endpoints[side].port->connect(link, side);
      give_credits(*endpoints[side].port, vls, endpoints[1 - side].rx_buffer_bytes);
    }
    return f;
  }
  if (endpoints.size() > sw_params.ports)
    throw ConfigError("the scenario has " + std::to_string(endpoints.size()) +
                      " adapters but switch.ports = " + std::to_string(sw_params.ports));
  for (std::size_t i = 0; i < endpoints.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (endpoints[i].lid == endpoints[j].lid)
        throw ConfigError("two adapters have the same fabric address (LID " +
                          std::to_string(endpoints[i].lid) + ")");
  f.sw = std::make_unique<Switch>("switch0", sw_params, vls, trace);
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    const FabricEndpoint& ep = endpoints[i];
    f.links.push_back(
        std::make_unique<Link>(("link" + std::to_string(i)).c_str(), link_params, trace));
    Link& link = *f.links.back();
    link.to_side[0].bind(*ep.sink);
    ep.port->connect(link, 0);
    give_credits(*ep.port, vls, sw_params.buffer_bytes);
    const auto port = static_cast<unsigned>(i);
    f.sw->connect(port, link, 1);
    give_credits(f.sw->output(port), vls, ep.rx_buffer_bytes);
    f.sw->set_route(ep.lid, port);
  }
  return f;
}

}  // namespace hcasim
