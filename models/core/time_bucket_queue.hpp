#pragma once
// Entries in (time, order made) order, for the calendar of model actions: the same order as
// TimeOrderedSlots, at a fraction of the cost for the calendar's typical load (a few dozen
// actions pending, nearly all within a few microseconds of now).
//
// Entries due within the next kReachPs (about 4 us) of the earliest one wait in a ring of
// buckets, 1.024 ns wide, each a short list in (time, order made) order: putting one away is an
// index and (nearly always) an append, taking the earliest is unlinking a list's head, and
// finding the next non-empty bucket is two bit scans (a bit per bucket, a bit per 64 buckets).
// design decision: the buckets stay narrow. 16 ns and 65.5 ns buckets took 1-2 % fewer
// instructions per work request, but with 64 QPs they ran 5-6 % slower by the wall clock:
// their lists fill, and an entry made out of order walks one, a load waiting on the last.
// A heap (TimeOrderedSlots) holds the few entries made further ahead (timeouts); the earliest
// of the two fronts comes out first, so the order is exactly that of a single heap. Nothing
// allocates once the working size is reached.
#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "models/core/sim_time.hpp"
#include "models/core/time_ordered_slots.hpp"

namespace hcasim {

template <class T>
class TimeBucketQueue {
 public:
  TimeBucketQueue() { buckets_.fill(Bucket{kNone, kNone}); }
  void reserve(std::size_t n) { nodes_.reserve(n); }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // The earliest entry's time; kEmpty (later than any time) when the queue is empty, so that
  // "is anything due by t" is one comparison.
  Picos front_time() const { return front_t_; }
  static constexpr Picos kEmpty = ~Picos{0};
  static constexpr unsigned kBucketShift = 10;  // 1.024 ns per bucket
  static constexpr std::size_t kBuckets = 4096;
  // How far past the ring's first bucket an entry may be due and still go in the ring.
  static constexpr Picos kReachPs = Picos{kBuckets} << kBucketShift;

  // Adds `v`, due at `t`; true if it is now the earliest entry (an entry due at the same time
  // as the earliest one comes after it).
  bool push(Picos t, const T& v) { return emplace(t, v); }
  // The same for the entry T{a...}, from its fields. design decision: the calendar's hot path
  // passes an entry's fields, not an entry, so that they are stored from registers into the
  // node: an entry built by the caller and copied in was stored in four 8-byte pieces and read
  // back in two 16-byte ones, which the store buffer cannot forward (perf put half of
  // Calendar::schedule's time on that copy).
  template <class... A>
  bool emplace(Picos t, A... a) {
    const bool earliest = t < front_t_;
    if (earliest) front_t_ = t;
    std::uint64_t k = t >> kBucketShift;
    if (size_++ == 0) cursor_ = k;  // nothing else pending: the ring starts here
    // design decision: an entry due before the ring's first bucket (an action scheduled for a
    // time already past) joins that bucket, in time order: it still comes out first.
    if (k < cursor_) k = cursor_;
    if (k - cursor_ >= kBuckets) {
      far_.push(t, T{a...});
      far_t_ = far_.front_time();
      return earliest;
    }
    const std::uint32_t n = take_node();
    Node& node = nodes_[n];
    node.t = t;
    node.next = kNone;
    node.value = T{a...};
    const std::size_t b = k % kBuckets;
    Bucket& bucket = buckets_[b];
    if (bucket.head == kNone) {        // an empty bucket
      if (summary_ == 0) cursor_ = k;  // the ring's first bucket is the only non-empty one
      bucket.head = bucket.tail = n;
      mark(b);
    } else if (nodes_[bucket.tail].t <= t) {  // the usual case: after everything in the bucket
      nodes_[bucket.tail].next = n;
      bucket.tail = n;
    } else {
      insert_inside(b, n);
    }
    // The first bucket's head is the ring's earliest: a later bucket holds only later times.
    if (t < ring_t_) ring_t_ = t;
    return earliest;
  }

  // Takes the earliest entry out; its time goes to `t`.
  T pop(Picos& t) {
    t = front_t_;
    --size_;
    if (far_t_ <= ring_t_) {
      // design decision: a far entry comes before a ring entry due at the same time: it went
      // far because it was made when the ring's first bucket was further back, i.e. earlier.
      const std::uint64_t k = t >> kBucketShift;
      const T v = far_.pop(t);
      far_t_ = far_.empty() ? kEmpty : far_.front_time();
      // The ring follows time forward when it has nothing of its own (after an idle gap).
      if (summary_ == 0 && k > cursor_) cursor_ = k;
      front_t_ = std::min(ring_t_, far_t_);
      return v;
    }
    const std::size_t b = cursor_ % kBuckets;
    const std::uint32_t n = buckets_[b].head;
    Node& node = nodes_[n];
    const std::uint32_t next = node.next;
    buckets_[b].head = next;
    node.next = free_;
    free_ = n;
    if (next != kNone) {
      ring_t_ = nodes_[next].t;
    } else {
      unmark(b);
      if (summary_ != 0) {
        cursor_ += next_marked(b);  // the next non-empty bucket becomes the first
        ring_t_ = nodes_[buckets_[cursor_ % kBuckets].head].t;
      } else {
        ring_t_ = kEmpty;  // the ring stays where it is: nothing later can be due before it
      }
    }
    front_t_ = std::min(ring_t_, far_t_);
    return node.value;
  }

 private:
  static constexpr std::size_t kWords = kBuckets / 64;
  static_assert(kWords == 64, "one summary word covers the bitmap");
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};
  struct Node {
    Picos t;
    std::uint32_t next;  // in the bucket's list, or in the free list
    T value;
  };

  // Node `n` goes before the bucket's last entry: after the last one due at or before it.
  void insert_inside(std::size_t b, std::uint32_t n) {
    Node& node = nodes_[n];
    std::uint32_t& head = buckets_[b].head;
    if (node.t < nodes_[head].t) {
      node.next = head;
      head = n;
      return;
    }
    std::uint32_t p = head;
    while (nodes_[nodes_[p].next].t <= node.t) p = nodes_[p].next;
    node.next = nodes_[p].next;
    nodes_[p].next = n;
  }
  std::uint32_t take_node() {
    if (free_ != kNone) {  // taken nodes are chained through `next`: no vector to push or pop
      const std::uint32_t n = free_;
      free_ = nodes_[n].next;
      return n;
    }
    if (nodes_.size() >= kNone) throw std::length_error("more than 2^32 actions pending");
    nodes_.emplace_back();
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }
  void mark(std::size_t b) {
    words_[b / 64] |= std::uint64_t{1} << (b % 64);
    summary_ |= std::uint64_t{1} << (b / 64);
  }
  void unmark(std::size_t b) {
    words_[b / 64] &= ~(std::uint64_t{1} << (b % 64));
    if (words_[b / 64] == 0) summary_ &= ~(std::uint64_t{1} << (b / 64));
  }
  // How many buckets after slot `b` (1..kBuckets-1, going round) the next non-empty one is.
  // Some bucket other than `b` is non-empty.
  std::size_t next_marked(std::size_t b) const {
    const std::size_t w = b / 64;
    const unsigned bit = b % 64;
    // The rest of b's word first.
    const std::uint64_t rest = bit == 63 ? 0 : words_[w] >> (bit + 1) << (bit + 1);
    if (rest) return ctz(rest) - bit;
    // Then the next non-empty word, going round (b's own word again last, for bits below b).
    const std::uint64_t later = w == 63 ? 0 : summary_ >> (w + 1) << (w + 1);
    const std::size_t nw = later ? ctz(later) : ctz(summary_);
    const std::size_t slot = nw * 64 + ctz(words_[nw]);
    return (slot + kBuckets - b) % kBuckets;
  }

  static std::size_t ctz(std::uint64_t x) { return std::size_t(__builtin_ctzll(x)); }

  std::vector<Node> nodes_;
  std::uint32_t free_ = kNone;  // the first node of the free list
  // A bucket's list: its first and last node. Head and tail side by side, so that putting an
  // entry away touches one cache line of the ring, not two.
  struct Bucket {
    std::uint32_t head;
    std::uint32_t tail;
  };
  std::array<Bucket, kBuckets> buckets_;
  std::array<std::uint64_t, kWords> words_{};  // a bit per non-empty bucket slot
  std::uint64_t summary_ = 0;                  // a bit per non-zero word
  // The ring's first bucket (time >> kBucketShift, in slot cursor_ % kBuckets): the earliest
  // non-empty one while the ring holds entries, which all lie within kBuckets of it.
  std::uint64_t cursor_ = 0;
  std::size_t size_ = 0;
  Picos front_t_ = kEmpty;   // the earliest entry's time: min(ring_t_, far_t_)
  Picos ring_t_ = kEmpty;    // the ring's earliest (the first bucket's head), kEmpty if none
  Picos far_t_ = kEmpty;     // far_'s earliest, kEmpty if none
  TimeOrderedSlots<T> far_;  // entries beyond the ring's reach
};

}  // namespace hcasim
