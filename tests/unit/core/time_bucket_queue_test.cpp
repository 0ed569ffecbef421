// The calendar's queue must give exactly the order of a single (time, order made) heap, however
// the entries are spread: near, far beyond its ring, in the past, across idle gaps.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "models/core/time_bucket_queue.hpp"
#include "models/core/time_ordered_slots.hpp"

namespace hcasim {
namespace {

struct Mix {
  double far = 0.0;   // share of entries beyond the ring's reach (TimeBucketQueue::kReachPs)
  double past = 0.0;  // share due before the last one taken out
  double gap = 0.0;   // share of pops that first jump a long idle gap
  int max_pending = 40;
};

// Pushes and pops at random against the reference heap; every pop must agree in time and value.
constexpr Picos kReach = TimeBucketQueue<std::uint64_t>::kReachPs;

void compare_with_heap(std::uint32_t seed, const Mix& mix, int ops) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  TimeBucketQueue<std::uint64_t> q;
  TimeOrderedSlots<std::uint64_t> ref;
  Picos now = 5'000'000;
  std::uint64_t made = 0;
  for (int i = 0; i < ops; ++i) {
    const bool push = ref.empty() || (int(ref.size()) < mix.max_pending && u(rng) < 0.55);
    if (push) {
      Picos t = now + rng() % 3'000'000;  // within 3 us: the ring
      const double r = u(rng);
      if (r < mix.far && u(rng) < 0.5)
        t = now + kReach + rng() % 2'000'000'000;  // beyond the ring
      else if (r < mix.far)
        t = now + rng() % (2 * kReach);  // anywhere in the ring, or just past it
      else if (r < mix.far + mix.past)
        t = now - std::min<Picos>(now, rng() % 50'000);  // already past
      else if (u(rng) < 0.3)
        t = now + (rng() % 8) * 1000;  // ties and near-ties
      const bool ref_first = ref.push(t, made);
      ASSERT_EQ(q.push(t, made), ref_first) << "push " << i;
      ++made;
    } else {
      ASSERT_EQ(q.front_time(), ref.front_time()) << "op " << i;
      Picos tq, tr;
      const std::uint64_t vq = q.pop(tq);
      const std::uint64_t vr = ref.pop(tr);
      ASSERT_EQ(tq, tr) << "op " << i;
      ASSERT_EQ(vq, vr) << "op " << i;
      now = std::max(now, tq);
      if (u(rng) < mix.gap) now += 1'000'000'000'000;  // an idle second
    }
    ASSERT_EQ(q.size(), ref.size());
    ASSERT_EQ(q.empty(), ref.empty());
  }
  while (!ref.empty()) {
    Picos tq, tr;
    ASSERT_EQ(q.pop(tq), ref.pop(tr));
    ASSERT_EQ(tq, tr);
  }
  EXPECT_TRUE(q.empty());
}

TEST(TimeBucketQueue, NearEntriesComeOutInTimeThenOrderMade) {
  compare_with_heap(1, Mix{}, 200'000);
}

TEST(TimeBucketQueue, EntriesBeyondTheRingKeepTheirPlace) {
  compare_with_heap(2, Mix{0.2, 0.0, 0.0, 60}, 200'000);
}

TEST(TimeBucketQueue, EntriesDueInThePastComeOutFirst) {
  compare_with_heap(3, Mix{0.05, 0.2, 0.0, 40}, 200'000);
}

TEST(TimeBucketQueue, IdleGapsAndWrappingRoundTheRing) {
  compare_with_heap(4, Mix{0.1, 0.05, 0.01, 30}, 200'000);
  compare_with_heap(5, Mix{0.0, 0.0, 0.0, 2000}, 100'000);  // many pending at once
}

TEST(TimeBucketQueue, TiesAtOneTimeStayInTheOrderMade) {
  TimeBucketQueue<int> q;
  EXPECT_TRUE(q.push(100, 0));
  EXPECT_FALSE(q.push(100, 1));          // same time: after the first
  EXPECT_FALSE(q.push(10 * kReach, 2));  // far beyond the ring
  EXPECT_TRUE(q.push(50, 3));            // earlier: the new first
  EXPECT_FALSE(q.push(100, 4));
  Picos t;
  EXPECT_EQ(q.pop(t), 3);
  EXPECT_EQ(t, 50u);
  EXPECT_EQ(q.pop(t), 0);
  EXPECT_EQ(q.pop(t), 1);
  EXPECT_EQ(q.pop(t), 4);
  EXPECT_EQ(q.pop(t), 2);
  EXPECT_EQ(t, 10 * kReach);
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace hcasim
