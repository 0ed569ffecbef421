// The WQ fetcher on its own, with a ring client of its own: batches of at most wqe_fetch_batch
// WQEs that never cross the ring's end, one batch in flight per queue, WQEs decoded in order
// from the bytes in host memory, the exact moment each batch is usable, and a batch fetched
// before a RESET dropped.
#include "models/hca/wq_fetcher.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "models/core/lookahead.hpp"
#include "tests/unit/hca/stage_bench.hpp"

namespace hcasim::hca_stage {
namespace {

struct Item {
  std::uint32_t value = 0;
  std::uint32_t index = 0;
};

// A ring of 16-byte WQEs whose first word is a value; decoding takes 100 ps per WQE.
struct TestRing {
  using Work = Item;
  WorkQueue<Item> q;
  bool refetch = false;
  std::vector<std::uint32_t> batches;  // sizes, in the order issued
  std::vector<std::uint32_t> decoded;  // indices, in the order decoded
  std::vector<Picos> usable;           // when each batch was handed on

  WorkQueue<Item>& queue(QpContext&) { return q; }
  std::uint32_t stride() const { return 16; }
  Picos issued(std::uint32_t n, Picos landed) {
    batches.push_back(n);
    return landed + 100 * n;
  }
  bool refetch_after_reset(const QpContext&) const { return refetch; }
  void decode(QpContext&, std::uint32_t index, const std::uint8_t* bytes) {
    Item& it = q.at(index);
    std::memcpy(&it.value, bytes, 4);
    it.index = index;
    decoded.push_back(index);
  }
  void fetched(QpContext&) { usable.push_back(now_ps()); }
};

constexpr std::uint64_t kRing = 0x4000;

struct FetcherBench : StageBench {
  TestRing ring;
  WqFetcher<TestRing> fetcher{core, ring};
  QpContext& qp = core.qps.add();

  explicit FetcherBench(std::uint32_t entries) {
    ring.q.addr = kRing;
    ring.q.entries = entries;
    ring.q.work.resize(entries);
    ring.q.fetch_buf.resize(fetcher.batch_bytes());
  }
  // Software posts WQE `index` (value index * 7) into its slot.
  void post(std::uint32_t index) {
    host.put(kRing + std::uint64_t(index % ring.q.entries) * 16, index * 7);
    ring.q.producer = index + 1;
  }
};

TEST(WqFetcher, BatchesStopAtTheBatchSizeAndTheRingsEndAndDecodeInOrder) {
  FetcherBench b(12);  // wqe_fetch_batch is 8
  for (std::uint32_t i = 0; i < 10; ++i) b.post(i);
  b.fetcher.start(b.qp);
  b.fetcher.start(b.qp);  // one batch in flight per queue: nothing more
  EXPECT_EQ(b.ring.batches, (std::vector<std::uint32_t>{8}));
  hcasim::Lookahead::run();
  // 8 (slots 0-7), then 2 (slots 8-9) as soon as the first is decoded.
  EXPECT_EQ(b.ring.batches, (std::vector<std::uint32_t>{8, 2}));
  // First batch: DMA at 0, lands at 500 ns, usable 800 ps later. The second starts on the next
  // clock edge (501 ns), lands at 1001 ns, usable 200 ps later.
  EXPECT_EQ(b.ring.usable, (std::vector<Picos>{500 * kNs + 800, 1001 * kNs + 200}));
  // Software wraps around the ring: slots 10, 11, then 0..7.
  for (std::uint32_t i = 10; i < 20; ++i) b.post(i);
  b.fetcher.start(b.qp);
  hcasim::Lookahead::run();
  EXPECT_EQ(b.ring.batches, (std::vector<std::uint32_t>{8, 2, 2, 8}));
  ASSERT_EQ(b.ring.decoded.size(), 20u);
  for (std::uint32_t i = 0; i < 20; ++i) {
    EXPECT_EQ(b.ring.decoded[i], i);
    if (i >= 8) {
      EXPECT_EQ(b.ring.q.at(i).value, i * 7) << "WQE " << i;
    }
  }
  EXPECT_EQ(b.ring.q.fetched, 20u);
  EXPECT_FALSE(b.ring.q.fetching);
  EXPECT_EQ(b.host.reads, 4u);
}

TEST(WqFetcher, ABatchFetchedBeforeAResetIsDroppedAndTheNewEpochFetchesAfresh) {
  FetcherBench b(16);
  for (std::uint32_t i = 0; i < 5; ++i) b.post(i);
  b.fetcher.start(b.qp);
  // RESET while the batch is in flight: a new epoch, the indices back to zero, and software
  // posts three WQEs again.
  ++b.qp.epoch;
  b.ring.q.fetched = 0;
  b.ring.q.producer = 0;
  for (std::uint32_t i = 0; i < 3; ++i) b.post(i);
  b.ring.refetch = true;
  hcasim::Lookahead::run();
  // The stale batch of 5 decodes nothing; the fetch after it takes the 3 new WQEs.
  EXPECT_EQ(b.ring.batches, (std::vector<std::uint32_t>{5, 3}));
  EXPECT_EQ(b.ring.decoded, (std::vector<std::uint32_t>{0, 1, 2}));
  ASSERT_EQ(b.ring.usable.size(), 1u);
  // The stale batch lands at 500 ns; the new one starts on the next edge, lands at 1001 ns.
  EXPECT_EQ(b.ring.usable[0], 1001 * kNs + 300);
}

TEST(WqFetcher, AStaleBatchStopsFetchingWhenTheRingSaysSo) {
  FetcherBench b(16);
  for (std::uint32_t i = 0; i < 4; ++i) b.post(i);
  b.fetcher.start(b.qp);
  ++b.qp.epoch;  // RESET, and the QP does not fetch any more (refetch_after_reset false)
  hcasim::Lookahead::run();
  EXPECT_EQ(b.ring.batches, (std::vector<std::uint32_t>{4}));
  EXPECT_TRUE(b.ring.decoded.empty());
  EXPECT_TRUE(b.ring.usable.empty());
  EXPECT_FALSE(b.ring.q.fetching);
}

}  // namespace
}  // namespace hcasim::hca_stage
