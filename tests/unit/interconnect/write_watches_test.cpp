// WriteWatches: a landing DMA write is told to exactly the watched ranges it touches, in the
// order they were added, whatever their addresses.
#include "models/interconnect/write_watches.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace hcasim {
namespace {

struct Named {
  int id;
};

// Enough ranges far above the others (at 1 GiB) that lookups go through the address index.
void add_far_ranges(WriteWatches<Named>& w, Named& far) {
  for (std::uint64_t i = 0; i < 16; ++i) w.add((1ull << 30) + i * 0x1000, 0x100, &far);
}

std::vector<int> touched(const WriteWatches<Named>& watches, std::uint64_t addr,
                         std::uint64_t len) {
  std::vector<int> ids;
  watches.for_each_touched(addr, len, [&](Named* n) { ids.push_back(n->id); });
  return ids;
}

TEST(WriteWatches, TellsOnlyTheRangesAWriteTouches) {
  Named a{1}, b{2}, c{3};
  Named far{99};
  WriteWatches<Named> w;
  add_far_ranges(w, far);
  w.add(0x1000, 0x100, &a);
  w.add(0x2000, 0x100, &b);
  w.add(0x3000, 0x1000, &c);
  EXPECT_EQ(touched(w, 0x1000, 64), (std::vector<int>{1}));
  EXPECT_EQ(touched(w, 0x10c0, 64), (std::vector<int>{1}));         // the range's last bytes
  EXPECT_EQ(touched(w, 0x1100, 64), (std::vector<int>{}));          // just after it
  EXPECT_EQ(touched(w, 0x0fc0, 64), (std::vector<int>{}));          // just before it
  EXPECT_EQ(touched(w, 0x0fc1, 64), (std::vector<int>{1}));         // its first byte
  EXPECT_EQ(touched(w, 0x3f00, 64), (std::vector<int>{3}));         // deep into the longest range
  EXPECT_EQ(touched(w, 0x10f0, 0x1000), (std::vector<int>{1, 2}));  // straddles two
  EXPECT_EQ(touched(w, 0x5000, 64), (std::vector<int>{}));
}

TEST(WriteWatches, AnEmptyRangeIsNeverTouched) {
  Named a{1};
  Named far{99};
  WriteWatches<Named> w;
  add_far_ranges(w, far);
  w.add(0x1000, 0, &a);
  EXPECT_EQ(touched(w, 0x1000, 64), (std::vector<int>{}));
  EXPECT_EQ(touched(w, 0x0fc0, 0x80), (std::vector<int>{}));
}

TEST(WriteWatches, OverlappingRangesAreToldInTheOrderAdded) {
  Named later_low{1}, early_high{2}, middle{3}, same_start{4};
  Named far{99};
  WriteWatches<Named> w;
  add_far_ranges(w, far);
  w.add(0x2000, 0x100, &early_high);   // added first
  w.add(0x1000, 0x2000, &later_low);   // starts lower, covers early_high
  w.add(0x2040, 0x10, &middle);        // inside both
  w.add(0x1000, 0x1100, &same_start);  // same start as later_low, added after it
  EXPECT_EQ(touched(w, 0x2040, 64), (std::vector<int>{2, 1, 3, 4}));
  EXPECT_EQ(touched(w, 0x2080, 64), (std::vector<int>{2, 1, 4}));
  EXPECT_EQ(touched(w, 0x1000, 8), (std::vector<int>{1, 4}));
  EXPECT_EQ(touched(w, 0x2100, 8), (std::vector<int>{1}));
}

TEST(WriteWatches, TouchesAgreesWithTheRangesTold) {
  // A write nobody watches needs no landing (PcieLink): touches() must say so exactly when no
  // range would be told, with few ranges (each looked at) and with many (the address index).
  Named a{1}, b{2};
  WriteWatches<Named> few, many;
  Named far{99};
  add_far_ranges(many, far);
  for (WriteWatches<Named>* w : {&few, &many}) {
    w->add(0x1000, 0x100, &a);
    w->add(0x3000, 0x1000, &b);
    for (std::uint64_t addr = 0x0f00; addr < 0x4200; addr += 0x20)
      for (std::uint64_t len : {1u, 64u, 0x200u})
        EXPECT_EQ(w->touches(addr, len), !touched(*w, addr, len).empty())
            << std::hex << addr << " +" << len;
  }
  EXPECT_TRUE(many.touches((1ull << 30) + 0xff, 1));
  EXPECT_FALSE(many.touches((1ull << 30) + 0x100, 0xf00));
  EXPECT_FALSE(few.touches(0x1100, 0x1f00));
  EXPECT_TRUE(few.touches(0x10ff, 1));
}

}  // namespace
}  // namespace hcasim
