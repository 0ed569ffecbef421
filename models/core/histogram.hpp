#pragma once
// Log-linear histogram (HDR-style) for latencies and other non-negative integer samples.
// Memory is bounded (a few KiB whatever the sample count) and every recorded value lands in a
// bucket whose width is at most 2^-sub_bucket_bits of its lower bound, so percentiles carry a
// bounded relative error instead of needing per-op arrays.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hcasim {

class LogLinearHistogram {
 public:
  // sub_bucket_bits = 7 -> 128 linear sub-buckets per power of two -> relative error < 0.8 %.
  // At most 16 (std::invalid_argument otherwise): the counts array has (65 - bits) * 2^bits slots.
  explicit LogLinearHistogram(unsigned sub_bucket_bits = 7);

  void record(std::uint64_t value) { record_n(value, 1); }
  // Inline: several latency and contention samples are recorded per simulated work request.
  void record_n(std::uint64_t value, std::uint64_t n) {
    if (n == 0) return;
    const std::size_t index = index_of(value);
    if (index >= counts_.size()) grow(index);
    counts_[index] += n;
    if (count_ == 0) {
      min_ = value;
      max_ = value;
    } else {
      min_ = std::min(min_, value);
      max_ = std::max(max_, value);
    }
    count_ += n;
    sum_ += static_cast<double>(value) * static_cast<double>(n);
  }
  void merge(const LogLinearHistogram& other);  // same sub_bucket_bits required
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }  // exact
  std::uint64_t max() const { return max_; }               // exact
  double sum() const { return sum_; }                      // exact up to double rounding
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }

  // The q-quantile (q in [0,1]): the smallest bucket whose cumulative count reaches
  // ceil(q*count) samples, reported as the midpoint of that bucket clamped to [min, max].
  // Within max_relative_error() of the exact order statistic. 0 when empty. q is clamped to
  // [0,1] (NaN counts as 0): q = 0 gives min() and q = 1 gives max(), exactly.
  std::uint64_t quantile(double q) const;
  double max_relative_error() const;  // 2^-(sub_bucket_bits + 1): half a bucket's relative width

  struct Bucket {
    std::uint64_t low;   // inclusive
    std::uint64_t high;  // exclusive, except the topmost bucket: saturates at (and holds) 2^64-1
    std::uint64_t count;
  };
  std::vector<Bucket> nonempty_buckets() const;

 private:
  std::size_t index_of(std::uint64_t value) const {
    const std::uint64_t sub_count = std::uint64_t{1} << sub_bits_;
    if (value < sub_count) return static_cast<std::size_t>(value);
    // value >= 1 here, so __builtin_clzll is defined.
    const unsigned msb = 63u - static_cast<unsigned>(__builtin_clzll(value));
    const unsigned shift = msb - sub_bits_;
    return static_cast<std::size_t>((std::uint64_t{shift} << sub_bits_) + (value >> shift));
  }
  // Makes room up to `index` (geometric capacity growth): only when a new largest bucket is hit.
  void grow(std::size_t index);
  Bucket bounds_of(std::size_t index) const;

  unsigned sub_bits_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  double sum_ = 0.0;
};

}  // namespace hcasim
