// The host interconnect against calibration.md: PCIe Gen3 x8 moves 7.88 GB/s per direction,
// a 64-byte DMA read round trip takes 546 ns (pcie-bench median, Xeon E5), a doorbell reaches
// the device in a few hundred ns, and streaming DMA runs at the TLP-overhead-limited rate.
#include <gtest/gtest.h>

#include "tests/support/pcie_rig.hpp"

namespace hcasim {
namespace {

using pcie_test::defaults;
using pcie_test::Rig;

TEST(PcieCalibration, Gen3x8CarriesSevenPointEightEightGBPerSecond) {
  const PcieParams p = defaults();
  EXPECT_NEAR(p.bytes_per_ns(), 7.877, 0.001);  // 8 lanes x 8 GT/s x 128/130 / 8 bits
}

TEST(PcieCalibration, SmallDmaReadRoundTripIs546ns) {
  Rig rig;
  const Picos done = rig.device.dma(true, 4096, 64, 0);
  // The calibration figure is a measured median: accept +-1 %.
  EXPECT_NEAR(static_cast<double>(done) / 1000.0, 546.0, 5.5);
}

TEST(PcieCalibration, DoorbellReachesTheDeviceInAFewHundredNanoseconds) {
  Rig rig;
  std::uint64_t value = 1;
  const Picos returned = rig.link.mmio_write(0x10, &value, 8);
  EXPECT_EQ(rig.registers.arrived, returned);
  EXPECT_GE(rig.registers.arrived, 100'000u);  // "a few hundred ns"
  EXPECT_LE(rig.registers.arrived, 500'000u);
  // A second doorbell right behind it queues on the downstream direction.
  const Picos second = rig.link.mmio_write(0x10, &value, 8);
  EXPECT_EQ(second - returned, rig.params.wire_ps(8 + rig.params.request_overhead));
}

// A doorbell rung while completions of a large DMA read are booked downstream does not queue
// behind them (posted writes pass completions; the root port interleaves TLPs): it waits for at
// most the one completion TLP on the wire. Its bytes still count, after the booked ones.
TEST(PcieCalibration, DoorbellIsNotQueuedBehindBookedReadCompletions) {
  Rig rig;
  const PcieParams& p = rig.params;
  const Picos read_done = rig.device.dma(true, 4096, 1 << 16, 0);  // ~11 us of completions
  ASSERT_GT(read_done, 10'000'000u);
  std::uint64_t value = 1;
  const Picos db_wire = p.wire_ps(8 + p.request_overhead);
  const Picos tlp = p.wire_ps(p.completion_bytes() + p.completion_overhead);
  const Picos busy_before = rig.link.downstream().busy_ps();
  const Picos arrived = rig.link.mmio_write(0x10, &value, 8);
  EXPECT_EQ(arrived, tlp + db_wire + p.latency_ps());  // before: after the whole read
  EXPECT_EQ(rig.link.downstream().busy_ps(), busy_before + db_wire);
  // A read issued now starts its completions after the first read's and the doorbell's bytes.
  const Picos second = rig.device.dma(true, 1 << 20, 64, 0);
  EXPECT_EQ(second, read_done + db_wire + p.wire_ps(64 + p.completion_overhead));
}

TEST(PcieCalibration, MmioReadIsANonPostedRoundTrip) {
  Rig rig;
  std::uint32_t value = 0;
  const Picos done = rig.link.mmio_read(0x20, &value, 4);
  EXPECT_EQ(value, 0x5a5a5a5au);  // the device's register content came back
  // Request header down, completion (4 B + 20 B overhead) up, one latency each way: about
  // twice a doorbell, which is why drivers keep MMIO reads off their fast paths.
  const PcieParams& p = rig.params;
  EXPECT_EQ(done, p.wire_ps(p.request_overhead) + p.wire_ps(4 + p.completion_overhead) +
                      2 * p.latency_ps());
  EXPECT_EQ(rig.registers.arrived, p.wire_ps(p.request_overhead) + p.latency_ps());
}

TEST(PcieCalibration, StreamingDmaReadsRunAtTheCompletionOverheadLimit) {
  Rig rig;
  // 256 back-to-back 4 KiB reads: the downstream direction carries 4096 B of data plus one
  // 20 B completion header per read completion (64 B each: the root complex's completion size).
  Picos last = 0;
  for (int i = 0; i < 256; ++i) last = rig.device.dma(true, 4096 + i * 4096ull, 4096, 0);
  const double seconds = static_cast<double>(last) * 1e-12;
  const double gbps = 256.0 * 4096 / seconds / 1e9;
  const double per_read = 4096.0 / rig.params.completion_bytes();
  const double expect = rig.params.bytes_per_ns() * 4096.0 / (4096.0 + per_read * 20);
  EXPECT_NEAR(gbps, expect, expect * 0.01);  // start-up latency is < 1 % of 1 MiB's time
  // 64 B completions make DMA reads the narrowest stage of a ConnectX-3 on Gen3 x8: ~6.0 GB/s.
  EXPECT_NEAR(gbps, 6.0, 0.05);
}

TEST(PcieCalibration, StreamingDmaWritesRunAtTheRequestOverheadLimit) {
  Rig rig;
  Picos last = 0;
  for (int i = 0; i < 256; ++i) last = rig.device.dma(false, 4096 + i * 4096ull, 4096, 0);
  const double gbps = 256.0 * 4096 / (static_cast<double>(last) * 1e-12) / 1e9;
  const double expect = rig.params.bytes_per_ns() * 256.0 / (256.0 + 24);
  EXPECT_NEAR(gbps, expect, expect * 0.01);
}

TEST(PcieCalibration, ReadsAndWritesUseSeparateDirections) {
  Rig rig;
  // A large write occupies upstream; a read issued meanwhile only needs upstream for its small
  // request, so it is barely delayed (full duplex), unlike a second write.
  rig.device.dma(false, 4096, 1 << 16, 0);
  const Picos read_done = rig.device.dma(true, 1 << 20, 64, 0);
  const Picos write_done = rig.device.dma(false, 2 << 20, 64, 0);
  const Picos big_write = rig.params.wire_ps((1 << 16) + 256 * 24);
  EXPECT_GT(write_done, big_write);           // queued behind the big write
  EXPECT_LT(read_done, big_write + 600'000);  // request waits, completion does not
}

}  // namespace
}  // namespace hcasim
