// Implementation of LogLinearHistogram (see histogram.hpp): the latency and contention
// distributions every report is built from, with bounded memory and bounded relative error.
//
// Layout with S = 2^sub_bits_: values below 2*S land in width-1 buckets (index = value). A larger
// value v with most significant bit msb is split at shift = msb - sub_bits_: its bucket is
// index = shift * S + (v >> shift), of width 2^shift, and its lower bound is at least S * 2^shift,
// so width <= low * 2^-sub_bits. The largest index (v = UINT64_MAX) is (65 - sub_bits) * S - 1.
// counts_ grows lazily up to the largest index seen, so small-valued histograms stay small and
// recording allocates only when a new largest bucket is reached (at most (65 - sub_bits) * S
// entries in all, ~60 KiB for 7 bits).
#include "models/core/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace hcasim {

namespace {
// Beyond this the counts array (65 - bits) * 2^bits entries stops being "a few KiB".
constexpr unsigned kMaxSubBucketBits = 16;
}  // namespace

LogLinearHistogram::LogLinearHistogram(unsigned sub_bucket_bits) : sub_bits_(sub_bucket_bits) {
  if (sub_bucket_bits > kMaxSubBucketBits) {
    throw std::invalid_argument("LogLinearHistogram: sub_bucket_bits " +
                                std::to_string(sub_bucket_bits) + " exceeds " +
                                std::to_string(kMaxSubBucketBits));
  }
}

LogLinearHistogram::Bucket LogLinearHistogram::bounds_of(std::size_t index) const {
  const std::uint64_t i = index;
  const std::uint64_t sub_count = std::uint64_t{1} << sub_bits_;
  if (i < 2 * sub_count) return {i, i + 1, 0};
  const unsigned shift = static_cast<unsigned>((i >> sub_bits_) - 1);
  const std::uint64_t mantissa = i - (std::uint64_t{shift} << sub_bits_);  // in [S, 2S)
  const std::uint64_t low = mantissa << shift;
  const std::uint64_t width = std::uint64_t{1} << shift;
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  // The topmost bucket would end at 2^64: saturate (it is the one bucket that includes `high`).
  const std::uint64_t high = low > max - width ? max : low + width;
  return {low, high, 0};
}

void LogLinearHistogram::grow(std::size_t index) { counts_.resize(index + 1, 0); }

void LogLinearHistogram::merge(const LogLinearHistogram& other) {
  if (other.sub_bits_ != sub_bits_) {
    throw std::invalid_argument("LogLinearHistogram::merge: sub_bucket_bits differ (" +
                                std::to_string(sub_bits_) + " vs " +
                                std::to_string(other.sub_bits_) + ")");
  }
  if (other.count_ == 0) return;
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  for (std::size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
}

void LogLinearHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);  // keeps the capacity: no allocation on reuse
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0.0;
}

std::uint64_t LogLinearHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0.0)) return min_;  // also NaN
  if (q >= 1.0) return max_;
  // rank = ceil(q * count) in [1, count]; compared in double before converting (no UB).
  const double target = std::ceil(q * static_cast<double>(count_));
  std::uint64_t rank = count_;
  if (target < static_cast<double>(count_)) rank = static_cast<std::uint64_t>(target);
  if (rank == 0) rank = 1;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    if (cumulative >= rank) {
      const Bucket b = bounds_of(i);
      const std::uint64_t mid = b.low + (b.high - b.low) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;  // unreachable while counts_ sums to count_
}

double LogLinearHistogram::max_relative_error() const {
  // A bucket of width w has low >= w * 2^sub_bits and its midpoint is at most w/2 from any value
  // in it (width-1 buckets are exact), so the exact bound is 2^-(sub_bits+1); clamping to
  // [min, max] only moves the estimate closer.
  return std::ldexp(1.0, -static_cast<int>(sub_bits_) - 1);
}

std::vector<LogLinearHistogram::Bucket> LogLinearHistogram::nonempty_buckets() const {
  std::vector<Bucket> out;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    Bucket b = bounds_of(i);
    b.count = counts_[i];
    out.push_back(b);
  }
  return out;
}

}  // namespace hcasim
