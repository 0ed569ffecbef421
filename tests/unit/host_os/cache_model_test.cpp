// The cache-line cost model on its own (no SystemC time): hits on held lines, transfers when a
// line moves, serialization of transfers of one line, sharing by readers, sockets.
#include <gtest/gtest.h>

#include "host_os/sim/cache_model.hpp"

namespace hcasim {
namespace {

using Access = CacheModel::Access;
constexpr Picos kCycle = 1000;  // a 1 GHz CPU
constexpr std::uintptr_t kLineA = 0x1000;
constexpr std::uintptr_t kLineB = 0x1040;

CacheParams params() {
  CacheParams p;
  p.hit_cycles = 4;
  p.atomic_cycles = 20;
  p.transfer_ps = 50'000;
  p.remote_transfer_ps = 120'000;
  p.sockets = 1;
  return p;
}

TEST(CacheModel, HitOnAnOwnedLineTransferOtherwise) {
  CacheModel m(4, params());
  // First touch: fetched (a transfer), then owned: hits.
  auto r = m.access(0, kCycle, kLineA, Access::kRmw, 0);
  EXPECT_TRUE(r.transfer);
  EXPECT_EQ(r.end - r.start, 50'000u + 20'000u);
  r = m.access(0, kCycle, kLineA + 8, Access::kRmw, 100'000);  // same line, other word
  EXPECT_FALSE(r.transfer);
  EXPECT_EQ(r.start, 100'000u);
  EXPECT_EQ(r.end, 120'000u);
  r = m.access(0, kCycle, kLineA, Access::kWrite, 200'000);
  EXPECT_EQ(r.end - r.start, 4'000u);
  // Another CPU: the line moves.
  r = m.access(1, kCycle, kLineA, Access::kWrite, 300'000);
  EXPECT_TRUE(r.transfer);
  EXPECT_EQ(r.end - r.start, 54'000u);
  const auto s = m.line(kLineA);
  EXPECT_EQ(s.accesses, 4u);
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.transfers, 2u);
}

TEST(CacheModel, ManyLinesKeepTheirOwnStateWhateverTheirAddresses) {
  // 1,000 lines at strides that collide in any small lookup table: each keeps its owner.
  CacheModel m(4, params());
  for (std::uintptr_t i = 0; i < 1000; ++i)
    m.access(static_cast<unsigned>(i % 4), kCycle, kLineA + i * 64 * 64, Access::kWrite, 0);
  for (std::uintptr_t i = 0; i < 1000; ++i) {
    const auto own = m.access(static_cast<unsigned>(i % 4), kCycle, kLineA + i * 64 * 64,
                              Access::kWrite, 1'000'000);
    EXPECT_FALSE(own.transfer) << "line " << i;
    const auto other = m.access(static_cast<unsigned>((i + 1) % 4), kCycle, kLineA + i * 64 * 64,
                                Access::kRead, 1'000'000);
    EXPECT_TRUE(other.transfer) << "line " << i;
  }
  EXPECT_EQ(m.total().accesses, 3000u);
  EXPECT_EQ(m.total().transfers, 2000u);
}

TEST(CacheModel, TransfersOfOneLineAreSerialized) {
  CacheModel m(4, params());
  m.access(2, kCycle, kLineA, Access::kWrite, 0);  // owned by CPU 2, free from 54 ns on
  // CPUs 0 and 1 both want it exclusively at 100 ns: the second waits for the first.
  const auto a = m.access(0, kCycle, kLineA, Access::kRmw, 100'000);
  const auto b = m.access(1, kCycle, kLineA, Access::kRmw, 100'000);
  EXPECT_EQ(a.start, 100'000u);
  EXPECT_EQ(a.end, 170'000u);
  EXPECT_EQ(b.start, a.end);
  EXPECT_EQ(b.end, 240'000u);
  EXPECT_EQ(m.line(kLineA).wait_ps, 70'000u);
  // Another line is not held up.
  const auto c = m.access(3, kCycle, kLineB, Access::kRmw, 100'000);
  EXPECT_EQ(c.start, 100'000u);
}

TEST(CacheModel, ReadersShareALineUntilSomebodyWrites) {
  CacheModel m(4, params());
  m.access(0, kCycle, kLineA, Access::kWrite, 0);
  auto r1 = m.access(1, kCycle, kLineA, Access::kRead, 100'000);  // moves, both share it
  auto r2 = m.access(2, kCycle, kLineA, Access::kRead, 100'000);  // moves after r1
  EXPECT_TRUE(r1.transfer);
  EXPECT_TRUE(r2.transfer);
  EXPECT_EQ(r2.start, r1.end);
  // Every sharer now reads at hit cost, without waiting for anybody.
  for (unsigned cpu : {0u, 1u, 2u}) {
    const auto r = m.access(cpu, kCycle, kLineA, Access::kRead, 300'000);
    EXPECT_FALSE(r.transfer) << cpu;
    EXPECT_EQ(r.end, 304'000u) << cpu;
  }
  // A write invalidates the other copies: the next read by a former sharer is a transfer.
  EXPECT_TRUE(m.access(1, kCycle, kLineA, Access::kWrite, 400'000).transfer);
  EXPECT_TRUE(m.access(0, kCycle, kLineA, Access::kRead, 500'000).transfer);
  // A sole sharer upgrades at hit cost.
  CacheModel m2(4, params());
  m2.access(3, kCycle, kLineB, Access::kRead, 0);
  EXPECT_FALSE(m2.access(3, kCycle, kLineB, Access::kRmw, 100'000).transfer);
}

TEST(CacheModel, TransfersAcrossSocketsCostMore) {
  CacheParams p = params();
  p.sockets = 2;  // CPUs 0,1 on socket 0; 2,3 on socket 1
  CacheModel m(4, p);
  EXPECT_EQ(m.socket_of(1), 0u);
  EXPECT_EQ(m.socket_of(2), 1u);
  m.access(0, kCycle, kLineA, Access::kWrite, 0);
  auto r = m.access(1, kCycle, kLineA, Access::kWrite, 100'000);
  EXPECT_EQ(r.end - r.start, 54'000u);
  r = m.access(3, kCycle, kLineA, Access::kWrite, 200'000);
  EXPECT_EQ(r.end - r.start, 124'000u);
}

TEST(CacheModel, RangeSumsTheLinesOfAnObject) {
  CacheModel m(2, params());
  m.access(0, kCycle, kLineA, Access::kWrite, 0);
  m.access(1, kCycle, kLineB, Access::kWrite, 0);
  m.access(1, kCycle, kLineA, Access::kWrite, 100'000);
  EXPECT_EQ(m.range(kLineA, 64).transfers, 2u);
  EXPECT_EQ(m.range(kLineA, 65).transfers, 3u);
  EXPECT_EQ(m.total().accesses, 3u);
  EXPECT_THROW(m.access(2, kCycle, kLineA, Access::kRead, 0), std::out_of_range);
}

}  // namespace
}  // namespace hcasim
