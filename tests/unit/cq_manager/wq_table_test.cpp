// The monitored-WQ table: lookups, duplicates, deletion inside probe runs, growth; checked
// against std::map over a random sequence of inserts and erases.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "host_os/cq_manager/wq_table.hpp"

namespace hcasim::cq {
namespace {

TEST(WqTable, FindsWhatWasInsertedAndRefusesDuplicates) {
  WqTable<int> t(4);
  EXPECT_EQ(t.find(7), nullptr);
  EXPECT_TRUE(t.insert(7, 70));
  EXPECT_FALSE(t.insert(7, 71));
  ASSERT_NE(t.find(7), nullptr);
  EXPECT_EQ(*t.find(7), 70);
  EXPECT_TRUE(t.erase(7));
  EXPECT_FALSE(t.erase(7));
  EXPECT_EQ(t.find(7), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

TEST(WqTable, GrowsPastItsInitialSizeAndStaysAtMostHalfFull) {
  WqTable<std::uint32_t> t(2);
  const std::size_t first = t.capacity();
  for (std::uint32_t w = 0; w < 1000; ++w) ASSERT_TRUE(t.insert(w * 3, w));
  EXPECT_GT(t.capacity(), first);
  EXPECT_LE(t.size() * 2, t.capacity());
  for (std::uint32_t w = 0; w < 1000; ++w) {
    ASSERT_NE(t.find(w * 3), nullptr);
    EXPECT_EQ(*t.find(w * 3), w);
    EXPECT_EQ(t.find(w * 3 + 1), nullptr);
  }
}

TEST(WqTable, MatchesAMapOverRandomInsertsAndErases) {
  WqTable<std::uint64_t> t(8);
  std::map<std::uint32_t, std::uint64_t> ref;
  std::mt19937 rng(5);
  for (int step = 0; step < 200000; ++step) {
    const std::uint32_t wq = rng() % 300;  // few keys: long probe runs, many shifts
    if (rng() % 2) {
      EXPECT_EQ(t.insert(wq, step), ref.emplace(wq, step).second);
    } else {
      EXPECT_EQ(t.erase(wq), ref.erase(wq) == 1);
    }
    if (step % 997 == 0) {
      for (std::uint32_t k = 0; k < 300; ++k) {
        const auto it = ref.find(k);
        const std::uint64_t* v = t.find(k);
        ASSERT_EQ(v != nullptr, it != ref.end()) << "key " << k << " step " << step;
        if (v) {
          ASSERT_EQ(*v, it->second);
        }
      }
    }
  }
  EXPECT_EQ(t.size(), ref.size());
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.find(ref.begin()->first), nullptr);
}

}  // namespace
}  // namespace hcasim::cq
