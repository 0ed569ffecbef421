// LogLinearHistogram against exact statistics: every percentile the reports print comes from
// it, so its error bound, its edge values (0, 2^64-1) and merge are checked here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/core/histogram.hpp"

namespace hcasim {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
const double kQuantiles[] = {0.0, 0.5, 0.9, 0.99, 0.999, 1.0};

// The order statistic the histogram promises to approximate: the ceil(q*n)-th smallest sample.
std::uint64_t exact_quantile(const std::vector<std::uint64_t>& sorted, double q) {
  if (q <= 0.0) return sorted.front();
  if (q >= 1.0) return sorted.back();
  const double target = std::ceil(q * static_cast<double>(sorted.size()));
  std::size_t rank = static_cast<std::size_t>(std::min(target, double(sorted.size())));
  return sorted[std::max<std::size_t>(rank, 1) - 1];
}

// Uniform double in (0, 1] from the raw 64-bit engine output (standardized, unlike distributions).
double unit_open(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 1.0) * 0x1.0p-53;
}

std::uint64_t to_u64(double v) {
  if (!(v < 18446744073709551616.0)) return kMax;
  return v < 0 ? 0 : static_cast<std::uint64_t>(v);
}

struct Distribution {
  const char* name;
  std::function<std::uint64_t(std::mt19937_64&)> draw;
};

std::vector<Distribution> distributions() {
  return {
      {"uniform_small", [](std::mt19937_64& r) { return r() % 100; }},
      {"uniform_wide", [](std::mt19937_64& r) { return r() % 1000000000000ull; }},
      {"exponential_ps",
       [](std::mt19937_64& r) {
         return std::min<std::uint64_t>(to_u64(-std::log(unit_open(r)) * 5e10), 1000000000000ull);
       }},
      {"constant", [](std::mt19937_64&) { return std::uint64_t{123456789}; }},
      {"pareto_heavy_tail",
       [](std::mt19937_64& r) { return to_u64(1000.0 / std::pow(unit_open(r), 1.0 / 1.1)); }},
      {"log_uniform_full_range", [](std::mt19937_64& r) { return r() >> (r() % 64); }},
  };
}

void expect_within_bound(std::uint64_t estimate, std::uint64_t exact, double bound) {
  const long double diff = std::fabs(static_cast<long double>(estimate) - exact);
  EXPECT_LE(diff, static_cast<long double>(bound) * exact)
      << "estimate " << estimate << " exact " << exact;
}

TEST(Histogram, QuantilesWithinBoundOfExactOrderStatistics) {
  for (unsigned bits : {0u, 3u, 7u, 10u}) {
    for (const Distribution& dist : distributions()) {
      SCOPED_TRACE(std::string(dist.name) + " sub_bits=" + std::to_string(bits));
      std::mt19937_64 rng(0xC0FFEEu + bits);
      LogLinearHistogram h(bits);
      std::vector<std::uint64_t> samples(50000);
      long double sum = 0;
      for (auto& s : samples) {
        s = dist.draw(rng);
        h.record(s);
        sum += s;
      }
      std::sort(samples.begin(), samples.end());
      EXPECT_EQ(h.count(), samples.size());
      EXPECT_EQ(h.min(), samples.front());
      EXPECT_EQ(h.max(), samples.back());
      const long double mean = sum / samples.size();
      EXPECT_LE(std::fabs(h.mean() - mean), 1e-12L * std::max(mean, 1.0L));
      for (double q : kQuantiles) {
        SCOPED_TRACE("q=" + std::to_string(q));
        expect_within_bound(h.quantile(q), exact_quantile(samples, q), h.max_relative_error());
      }
      EXPECT_EQ(h.quantile(0.0), samples.front());
      EXPECT_EQ(h.quantile(1.0), samples.back());
    }
  }
}

TEST(Histogram, MaxRelativeErrorIsHalfABucket) {
  EXPECT_DOUBLE_EQ(LogLinearHistogram(7).max_relative_error(), 1.0 / 256);
  EXPECT_DOUBLE_EQ(LogLinearHistogram(0).max_relative_error(), 0.5);
  EXPECT_LT(LogLinearHistogram().max_relative_error(), 0.008);  // the header's promise
}

TEST(Histogram, SmallValuesAreExact) {
  LogLinearHistogram h(7);
  for (std::uint64_t v = 0; v < 256; ++v) h.record_n(v, v + 1);
  for (const auto& b : h.nonempty_buckets()) {
    EXPECT_EQ(b.high, b.low + 1);
    EXPECT_EQ(b.count, b.low + 1);
  }
  LogLinearHistogram one(7);
  for (std::uint64_t v : {0ull, 1ull, 5ull, 127ull, 200ull, 255ull}) {
    one.reset();
    one.record(v);
    one.record(v);
    for (double q : kQuantiles) EXPECT_EQ(one.quantile(q), v);
  }
}

TEST(Histogram, QuantileIsClampedBucketMidpoint) {
  LogLinearHistogram h(7);  // 1000 lies in [1000, 1004)
  h.record(1000);
  EXPECT_EQ(h.quantile(0.5), 1000u);  // midpoint 1002 clamped to max
  h.record(1003);
  EXPECT_EQ(h.quantile(0.5), 1002u);
  EXPECT_EQ(h.quantile(-3.0), 1000u);
  EXPECT_EQ(h.quantile(std::nan("")), 1000u);
  EXPECT_EQ(h.quantile(7.0), 1003u);
}

TEST(Histogram, EmptyHistogramReportsZeros) {
  LogLinearHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.quantile(0.5), 0u);
  EXPECT_TRUE(h.nonempty_buckets().empty());
  h.record_n(42, 0);  // recording nothing changes nothing
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(Histogram, RecordsUint64Max) {
  LogLinearHistogram h(7);
  h.record(kMax);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.min(), kMax);
  EXPECT_EQ(h.max(), kMax);
  EXPECT_EQ(h.quantile(0.5), kMax);
  EXPECT_DOUBLE_EQ(h.mean(), 18446744073709551616.0);
  const auto buckets = h.nonempty_buckets();
  ASSERT_EQ(buckets.size(), 1u);
  EXPECT_EQ(buckets[0].high, kMax);  // the top bucket saturates
  EXPECT_LT(buckets[0].low, kMax);
  h.record_n(0, 3);
  EXPECT_EQ(h.quantile(0.0), 0u);
  EXPECT_EQ(h.quantile(0.75), 0u);
  const std::uint64_t top = h.quantile(0.76);  // the top bucket's midpoint
  EXPECT_GE(top, buckets[0].low);
  expect_within_bound(top, kMax, h.max_relative_error());
  for (unsigned bits : {0u, 1u, 16u}) {
    LogLinearHistogram b(bits);
    b.record(kMax);
    b.record(kMax - 1);
    EXPECT_EQ(b.quantile(1.0), kMax);
    EXPECT_EQ(b.nonempty_buckets().back().high, kMax);
  }
}

// Records the first and last value of every bucket there is; the buckets must tile [0, 2^64)
// contiguously, each no wider than max(1, low * 2^-bits), with exactly (65 - bits) * 2^bits.
TEST(Histogram, BucketsTileTheFullRangeWithBoundedWidth) {
  for (unsigned bits : {0u, 2u, 7u}) {
    SCOPED_TRACE("sub_bits=" + std::to_string(bits));
    LogLinearHistogram h(bits);
    const std::uint64_t sub = std::uint64_t{1} << bits;
    for (std::uint64_t v = 0; v < 2 * sub; ++v) h.record_n(v, 2);
    for (unsigned shift = 1; shift + bits < 64; ++shift) {
      for (std::uint64_t m = sub; m < 2 * sub; ++m) {
        const std::uint64_t low = m << shift;
        h.record(low);
        h.record(low + ((std::uint64_t{1} << shift) - 1));
      }
    }
    const auto buckets = h.nonempty_buckets();
    ASSERT_EQ(buckets.size(), (65 - bits) * sub);
    EXPECT_EQ(buckets.front().low, 0u);
    EXPECT_EQ(buckets.back().high, kMax);
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      const auto& b = buckets[i];
      ASSERT_LT(b.low, b.high);
      EXPECT_EQ(b.count, 2u) << "bucket " << b.low;
      EXPECT_LE(b.high - b.low, std::max<std::uint64_t>(1, b.low >> bits)) << "bucket " << b.low;
      if (i + 1 < buckets.size()) {
        ASSERT_EQ(b.high, buckets[i + 1].low);
      }
    }
  }
}

TEST(Histogram, NonemptyBucketsCoverEverySample) {
  std::mt19937_64 rng(7);
  LogLinearHistogram h(5);
  std::vector<std::uint64_t> samples(20000);
  for (auto& s : samples) {
    s = rng() >> (rng() % 64);
    h.record(s);
  }
  const auto buckets = h.nonempty_buckets();
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    EXPECT_LT(buckets[i].low, buckets[i].high);
    EXPECT_GT(buckets[i].count, 0u);
    if (i > 0) {
      EXPECT_LE(buckets[i - 1].high, buckets[i].low);
    }
    total += buckets[i].count;
  }
  EXPECT_EQ(total, h.count());
  std::sort(samples.begin(), samples.end());
  std::size_t b = 0;
  std::uint64_t in_bucket = 0;
  for (std::uint64_t s : samples) {
    while (b < buckets.size() && !(s < buckets[b].high || buckets[b].high == kMax)) {
      EXPECT_EQ(in_bucket, buckets[b].count) << "bucket " << buckets[b].low;
      ++b;
      in_bucket = 0;
    }
    ASSERT_LT(b, buckets.size());
    ASSERT_GE(s, buckets[b].low);
    ++in_bucket;
  }
  ASSERT_EQ(b + 1, buckets.size());
  EXPECT_EQ(in_bucket, buckets[b].count);
}

TEST(Histogram, MergeEqualsRecordingTheUnion) {
  std::mt19937_64 rng(11);
  LogLinearHistogram a(7), b(7), all(7);
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t v = rng() % 5000000;
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  b.record(kMax);
  all.record(kMax);
  LogLinearHistogram merged = a;
  merged.merge(b);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  EXPECT_DOUBLE_EQ(merged.sum(), all.sum());
  const auto mb = merged.nonempty_buckets();
  const auto ab = all.nonempty_buckets();
  ASSERT_EQ(mb.size(), ab.size());
  for (std::size_t i = 0; i < mb.size(); ++i) {
    EXPECT_EQ(mb[i].low, ab[i].low);
    EXPECT_EQ(mb[i].high, ab[i].high);
    EXPECT_EQ(mb[i].count, ab[i].count);
  }
  for (double q = 0; q <= 1.0; q += 0.01) EXPECT_EQ(merged.quantile(q), all.quantile(q));

  LogLinearHistogram empty(7);
  empty.merge(a);  // into empty: takes min/max from the other side
  EXPECT_EQ(empty.min(), a.min());
  EXPECT_EQ(empty.max(), a.max());
  const LogLinearHistogram before = a;
  a.merge(LogLinearHistogram(7));  // empty into non-empty: unchanged
  EXPECT_EQ(a.count(), before.count());
  EXPECT_EQ(a.min(), before.min());
}

TEST(Histogram, MergeRequiresEqualSubBucketBits) {
  LogLinearHistogram a(7), b(6);
  b.record(5);
  EXPECT_THROW(a.merge(b), std::invalid_argument);
  EXPECT_EQ(a.count(), 0u);
}

TEST(Histogram, RejectsTooManySubBucketBits) {
  EXPECT_THROW(LogLinearHistogram(17), std::invalid_argument);
  EXPECT_NO_THROW(LogLinearHistogram(16));
}

TEST(Histogram, ResetForgetsEverything) {
  LogLinearHistogram h;
  h.record(1u << 30);
  h.record(3);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.sum(), 0.0);
  EXPECT_TRUE(h.nonempty_buckets().empty());
  h.record(9);
  EXPECT_EQ(h.min(), 9u);
  EXPECT_EQ(h.max(), 9u);
  EXPECT_EQ(h.quantile(0.5), 9u);
}

}  // namespace
}  // namespace hcasim
