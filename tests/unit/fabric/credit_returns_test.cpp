// The credit returns in flight to a fabric port: taken in arrival order, however they were made,
// and through the ring's growth.
#include <gtest/gtest.h>

#include <cstdint>

#include "models/fabric/credit_returns.hpp"

namespace hcasim {
namespace {

TEST(CreditReturns, TakesOnlyWhatHasArrived) {
  CreditReturns r;
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(r.add(100, 1));
  EXPECT_FALSE(r.add(200, 2));
  EXPECT_FALSE(r.due(99));
  EXPECT_TRUE(r.due(100));
  EXPECT_EQ(r.due_blocks(150), 1u);
  std::uint64_t count = 0;
  EXPECT_EQ(r.take_due(99, count), 0u);
  EXPECT_EQ(r.take_due(150, count), 1u);
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(r.earliest(), 200u);
  EXPECT_EQ(r.take_due(200, count), 2u);
  EXPECT_EQ(count, 2u);
  EXPECT_TRUE(r.empty());
}

TEST(CreditReturns, AReturnDatedAheadOvertakesLaterOnes) {
  CreditReturns r;
  r.add(300, 1);
  r.add(500, 2);
  EXPECT_TRUE(r.add(200, 4));    // now the earliest: a waiting packet must wake for it
  EXPECT_FALSE(r.add(400, 8));   // between the two
  EXPECT_FALSE(r.add(500, 16));  // ties keep the order they were made in
  EXPECT_EQ(r.earliest(), 200u);
  EXPECT_EQ(r.latest(), 500u);
  std::uint64_t count = 0;
  EXPECT_EQ(r.take_due(300, count), 5u);
  EXPECT_EQ(r.take_due(400, count), 8u);
  EXPECT_EQ(r.take_due(500, count), 18u);
  EXPECT_EQ(count, 5u);
}

TEST(CreditReturns, KeepsOrderWhileTheRingWrapsAndGrows) {
  CreditReturns r;
  std::uint64_t count = 0;
  Picos t = 0;
  // Wrap the ring a few times with two in flight, then hold many more than its first size.
  for (int i = 0; i < 20; ++i) {
    r.add(t + 10, 1);
    r.add(t + 20, 1);
    EXPECT_EQ(r.take_due(t + 20, count), 2u);
    t += 20;
  }
  for (int i = 1; i <= 100; ++i) r.add(t + 10 * i, static_cast<std::uint32_t>(i));
  EXPECT_TRUE(r.add(t + 5, 1000));
  EXPECT_EQ(r.due_blocks(t + 10), 1001u);
  EXPECT_EQ(r.take_due(t + 500, count), 1000u + 50u * 51u / 2u);
  EXPECT_EQ(r.earliest(), t + 510);
  EXPECT_EQ(r.take_due(t + 1000, count), 100u * 101u / 2u - 50u * 51u / 2u);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(count, 40u + 101u);
}

}  // namespace
}  // namespace hcasim
