// When software may see a device's DMA writes (docs/model.md, PCIe): a write to memory nobody
// watches is stored when it is issued and costs no action; a write to a watched range (a
// completion queue's ring) reaches memory, and its watcher, only when its last TLP lands; and a
// write that overlaps one still in flight waits its turn, so the later bytes win.
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "models/core/action_queue.hpp"
#include "models/core/lookahead.hpp"
#include "tests/support/pcie_rig.hpp"

namespace hcasim {
namespace {

using pcie_test::Rig;

// Records each landing it is told of: when, where, and the first byte there at that moment.
struct Watcher : PcieLink::WriteObserver {
  HostMemory* memory = nullptr;
  std::vector<Picos> at;
  std::vector<std::uint64_t> addr;
  std::vector<std::uint8_t> first_byte;
  void on_dma_write(std::uint64_t a, std::uint64_t) override {
    at.push_back(now_ps());
    addr.push_back(a);
    first_byte.push_back(*memory->at(a, 1));
  }
};

// A rig whose host memory has one watched range.
struct WatchedRig : Rig {
  Watcher watcher;
  WatchedRig(std::uint64_t addr, std::uint64_t len) {
    watcher.memory = &memory;
    link.watch(addr, len, &watcher);
  }
};

// The device writes `len` bytes of `value` to `addr`, issued at time 0; returns the landing time.
Picos write(Rig& rig, std::uint64_t addr, std::uint32_t len, std::uint8_t value) {
  std::fill(rig.device.buf.begin(), rig.device.buf.begin() + len, value);
  return rig.device.dma(false, addr, len, 0);
}

TEST(DmaLanding, AWriteNobodyWatchesIsStoredAtOnceWithoutAnAction) {
  Rig rig;
  const std::size_t pending = Calendar::instance().pending();
  const Picos lands = write(rig, 0x10000, 256, 0xab);
  EXPECT_GT(lands, 0u);
  EXPECT_EQ(Calendar::instance().pending(), pending);
  EXPECT_EQ(*rig.memory.at(0x10000, 1), 0xab);
  EXPECT_EQ(*rig.memory.at(0x100ff, 1), 0xab);
  EXPECT_EQ(rig.link.dma_writes(), 1u);
}

TEST(DmaLanding, AWatchedWriteIsSeenOnlyWhenItLands) {
  WatchedRig rig(0x20000, 4096);
  const Watcher& watcher = rig.watcher;
  const Picos lands = write(rig, 0x20040, 32, 0xcd);
  EXPECT_EQ(*rig.memory.at(0x20040, 1), 0);  // in flight: not in memory yet
  Lookahead::run();
  ASSERT_EQ(watcher.at.size(), 1u);
  EXPECT_EQ(watcher.at[0], lands);
  EXPECT_EQ(watcher.addr[0], 0x20040u);
  EXPECT_EQ(watcher.first_byte[0], 0xcd);  // there when the watcher is told
}

TEST(DmaLanding, AWriteOverlappingOneInFlightLandsAfterIt) {
  // The first write starts in a watched range and runs past it; the second, outside the range,
  // overlaps its tail. Stored at once, the second's bytes would be overwritten by the first's
  // landing: it must land after it instead.
  WatchedRig rig(0x30000, 64);
  const Picos first = write(rig, 0x30000, 128, 0x11);
  const Picos second = write(rig, 0x30040, 64, 0x22);
  EXPECT_LT(first, second);
  EXPECT_EQ(*rig.memory.at(0x30040, 1), 0);  // both in flight
  Lookahead::run();
  EXPECT_EQ(rig.watcher.at.size(), 1u);
  EXPECT_EQ(*rig.memory.at(0x30000, 1), 0x11);
  EXPECT_EQ(*rig.memory.at(0x3003f, 1), 0x11);
  EXPECT_EQ(*rig.memory.at(0x30040, 1), 0x22);
  EXPECT_EQ(*rig.memory.at(0x3007f, 1), 0x22);
}

}  // namespace
}  // namespace hcasim
