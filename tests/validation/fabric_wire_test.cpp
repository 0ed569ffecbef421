// The physical layer to the byte: data rates of the calibration table's exact rows (4x FDR,
// QDR, EDR), header bytes per packet kind, each packet's time on the wire through a real
// FabricPort and Link, and the best 4 KiB-MTU RDMA WRITE goodput of calibration.md.
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "models/core/lookahead.hpp"
#include "models/fabric/topology.hpp"
#include "tests/validation/fabric_bench.hpp"

namespace hcasim {
namespace {

using bench::defaults;
using bench::Endpoint;

// A data rate as an exact fraction of Gb/s, from the calibration table.
struct Rate {
  const char* name;
  std::uint32_t lanes;
  double lane_gbps;
  const char* encoding;
  std::uint64_t num, den;  // data rate = num / den Gb/s
};
// FDR: 4 x 14.0625 x 64/66 = 3600/66 (54.54...); QDR: 4 x 10 x 8/10 = 32; EDR: 4 x 25.78125 x
// 64/66 = 100 exactly.
const Rate kRates[] = {{"FDR", 4, 14.0625, "64b66b", 3600, 66},
                       {"QDR", 4, 10.0, "8b10b", 32, 1},
                       {"EDR", 4, 25.78125, "64b66b", 100, 1}};

LinkParams link_for(const Rate& r) {
  LinkParams p = defaults<LinkParams>();
  p.lanes = r.lanes;
  p.lane_gbps = r.lane_gbps;
  p.encoding = r.encoding;
  return p;
}
// bytes * 8 bits / rate, in picoseconds rounded to the nearest, in integer arithmetic.
Picos exact_wire_ps(const Rate& r, std::uint64_t bytes) {
  return (2 * bytes * 8000 * r.den + r.num) / (2 * r.num);
}

TEST(FabricWire, DataRatesAreTheCalibrationTableRows) {
  EXPECT_DOUBLE_EQ(link_for(kRates[0]).data_gbps(), 3600.0 / 66.0);
  EXPECT_NEAR(link_for(kRates[0]).data_gbps(), 54.54, 0.01);
  EXPECT_DOUBLE_EQ(link_for(kRates[1]).data_gbps(), 32.0);
  EXPECT_DOUBLE_EQ(link_for(kRates[2]).data_gbps(), 100.0);
  // The defaults are the calibration machine: 4x FDR, 2 m at 5 ns/m.
  const LinkParams d = defaults<LinkParams>();
  EXPECT_DOUBLE_EQ(d.data_gbps(), 3600.0 / 66.0);
  EXPECT_EQ(d.propagation_ps(), 10000u);
}

TEST(FabricWire, HeaderBytesFollowTheCalibrationTable) {
  Packet p;
  p.kind = PacketKind::kSend;
  p.payload_len = 2;
  EXPECT_EQ(p.header_bytes(), 8u + 12u + 4u + 2u);  // LRH BTH ICRC VCRC
  EXPECT_EQ(p.wire_bytes(), 26u + 4u);              // payload padded to 4 bytes
  p.kind = PacketKind::kRdmaWrite;
  p.payload_len = 4096;
  EXPECT_EQ(p.wire_bytes(), 26u + 16u + 4096u);  // RETH on the first packet
  p.first = false;
  EXPECT_EQ(p.wire_bytes(), 26u + 4096u);
  p.has_imm = true;
  EXPECT_EQ(p.wire_bytes(), 26u + 4u + 4096u);  // ImmDt on the last packet
  p = Packet{};
  p.kind = PacketKind::kReadRequest;
  EXPECT_EQ(p.wire_bytes(), 26u + 16u);
  p.kind = PacketKind::kAck;
  EXPECT_EQ(p.wire_bytes(), 26u + 4u);  // AETH
  p.kind = PacketKind::kReadResponse;
  p.payload_len = 4096;
  EXPECT_EQ(p.wire_bytes(), 26u + 4u + 4096u);
  p.first = p.last = false;
  EXPECT_EQ(p.wire_bytes(), 26u + 4096u);
  p = Packet{};
  p.global = true;
  EXPECT_EQ(p.wire_bytes(), 26u + 40u);  // GRH across subnets
  p = Packet{};
  p.datagram = true;
  p.payload_len = 2048;
  EXPECT_EQ(p.wire_bytes(), 26u + 8u + 2048u);  // DETH on every datagram
  p.has_imm = true;
  EXPECT_EQ(p.wire_bytes(), 26u + 8u + 4u + 2048u);
  // Credits: 64-byte blocks, rounded up.
  p = Packet{};
  p.payload_len = 4096;
  EXPECT_EQ(credit_blocks(p), (4122u + 63u) / 64u);
  p.payload_len = 36;  // 26 + 36 = 62 B: one block
  EXPECT_EQ(credit_blocks(p), 1u);
  p.payload_len = 37;  // padded to 40: 66 B, two blocks
  EXPECT_EQ(credit_blocks(p), 2u);
}

// Back-to-back packets of every kind on FDR, QDR and EDR links: each one's last bit arrives at
// the sum of the wire times so far plus the propagation delay, to the picosecond.
TEST(FabricWire, PacketTimeOnTheWireIsExactOnFdrQdrEdr) {
  struct Shape {
    PacketKind kind;
    bool first, last, imm, global;
    std::uint32_t payload;
  };
  const std::vector<Shape> shapes = {
      {PacketKind::kRdmaWrite, true, false, false, false, 4096},   // 4138 B
      {PacketKind::kRdmaWrite, false, false, false, false, 4096},  // 4122 B
      {PacketKind::kRdmaWrite, false, true, true, false, 4096},    // 4126 B
      {PacketKind::kSend, true, true, false, false, 2},            // 30 B
      {PacketKind::kAck, true, true, false, false, 0},             // 30 B
      {PacketKind::kReadRequest, true, true, false, false, 0},     // 42 B
      {PacketKind::kReadResponse, true, false, false, false, 4096},
      {PacketKind::kSend, true, true, false, true, 1},  // GRH, 1 B padded to 4
      {PacketKind::kSend, true, true, false, false, 255},
  };
  PacketPool pool(4096);
  std::vector<std::unique_ptr<Endpoint>> tx, rx;
  std::vector<std::unique_ptr<Link>> links;
  for (const Rate& r : kRates) {
    const std::string n = r.name;
    tx.push_back(std::make_unique<Endpoint>(("tx_" + n).c_str(), 1, pool, 1, 1 << 20, 0));
    rx.push_back(std::make_unique<Endpoint>(("rx_" + n).c_str(), 2, pool, 1, 1 << 20, 0));
    links.push_back(std::make_unique<Link>(("link_" + n).c_str(), link_for(r), nullptr));
    Link& l = *links.back();
    l.to_side[0].bind(*tx.back());
    l.to_side[1].bind(*rx.back());
    tx.back()->port.connect(l, 0);
    rx.back()->port.connect(l, 1);
    tx.back()->port.set_credits(0, (1 << 20) / 64);
    rx.back()->port.set_credits(0, (1 << 20) / 64);
    for (const Shape& s : shapes) {
      Packet* p = tx.back()->make(2, s.payload, 0, s.kind);
      p->first = s.first;
      p->last = s.last;
      p->has_imm = s.imm;
      p->global = s.global;
      tx.back()->send(p, 0);
    }
  }
  hcasim::Lookahead::run();
  for (std::size_t i = 0; i < 3; ++i) {
    const Rate& r = kRates[i];
    const auto& rec = rx[i]->records;
    ASSERT_EQ(rec.size(), shapes.size()) << r.name;
    Picos t = 0;
    for (std::size_t k = 0; k < rec.size(); ++k) {
      t += exact_wire_ps(r, rec[k].wire_bytes);
      EXPECT_EQ(rec[k].arrival, t + links[i]->params().propagation_ps()) << r.name << " #" << k;
    }
    EXPECT_EQ(rec[0].wire_bytes, 4138u);
    EXPECT_EQ(links[i]->direction(0).busy_ps(), t) << r.name;
  }
  // Spot values: 4122 B is 604.56 ns on FDR, 1030.5 ns on QDR, 329.76 ns on EDR.
  EXPECT_EQ(link_for(kRates[0]).wire_ps(4122), 604560u);
  EXPECT_EQ(link_for(kRates[1]).wire_ps(4122), 1030500u);
  EXPECT_EQ(link_for(kRates[2]).wire_ps(4122), 329760u);
  EXPECT_EQ(pool.in_use(), 0u);
}

// calibration.md: the best goodput of 4 KiB-MTU RDMA WRITEs on 4x FDR is
// 54.54 Gb/s x 4096 / (4096 + 26), the first packet of each message carrying 16 B more (RETH).
TEST(FabricWire, RdmaWriteGoodputMatchesTheCalibrationFormula) {
  const LinkParams lp = defaults<LinkParams>();
  const std::uint32_t packets = 256;  // one 1 MiB RDMA WRITE
  PacketPool pool(lp.mtu);
  Endpoint tx("tx", 1, pool, 1, 1 << 20, 0), rx("rx", 2, pool, 1, 1 << 20, 0);
  Fabric f = build_fabric(bench::fabric_params("direct"), lp, defaults<SwitchParams>(),
                          {bench::as_endpoint(tx), bench::as_endpoint(rx)}, nullptr);
  for (std::uint32_t k = 0; k < packets; ++k) {
    Packet* p = tx.make(2, lp.mtu, 0, PacketKind::kRdmaWrite);
    p->first = k == 0;
    p->last = k == packets - 1;
    tx.send(p, 0);
  }
  hcasim::Lookahead::run();
  ASSERT_EQ(rx.records.size(), packets);
  // From the first bit leaving (t = 0) to the last bit leaving.
  const Picos busy = rx.records.back().arrival - lp.propagation_ps();
  const double goodput_gbps = double(packets) * lp.mtu * 8.0 / (double(busy) / 1000.0);
  const double exact = lp.data_gbps() * packets * 4096.0 / (packets * (4096.0 + 26.0) + 16.0);
  const double formula = lp.data_gbps() * 4096.0 / (4096.0 + 26.0);
  // Per-packet wire times are rounded to the picosecond: at most 0.5 ps of 604 ns each.
  EXPECT_NEAR(goodput_gbps, exact, exact * 1e-6);
  // The one RETH per 256 packets costs 16 / (256 * 4122) = 1.5e-5 of the asymptotic figure.
  EXPECT_NEAR(goodput_gbps, formula, formula * 2e-5);
  EXPECT_LT(goodput_gbps, formula);
  EXPECT_NEAR(goodput_gbps, 54.54 * 4096.0 / 4122.0, 0.01);
}

}  // namespace
}  // namespace hcasim
