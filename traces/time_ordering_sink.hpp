#pragma once
// Puts value changes in time order before they reach a sink that needs it (VCD, FST). Models
// may report changes ahead of time (a stage knows when it will be idle again when it starts a
// piece of work); those wait here until simulated time reaches them. Changes at the same time
// keep the order in which they were made, so the last one made wins, as in the model.
//
// A counted signal (TracedCount) reports deltas instead of values, dated when they happen; they
// come out of the ordering summed, as the signal's value at each time.
//
// Held changes wait in a ring of buckets, each kBucketPs of simulated time wide, covering the
// next kBuckets * kBucketPs (about 4 us) from the bucket of "now": putting one away is an append,
// and a bucket is sorted (by time, then order made) only when it is taken out and something
// came into it out of order, which is rare (stages report their changes in time order). The
// few changes made further ahead wait in a heap and join their bucket when the ring reaches it.
// Time that passes with nothing held is skipped in one step, so idle gaps cost nothing.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "models/core/sim_time.hpp"
#include "models/core/time_ordered_slots.hpp"
#include "models/core/trace_source.hpp"
#include "traces/host_cache_line.hpp"
#include "traces/trace_writer.hpp"

namespace hcasim {

// On cache lines of its own: a background thread may run it (kHostCacheLine).
class alignas(kHostCacheLine) TimeOrderingSink : public TraceSink {
 public:
  // `out` is usually a TraceWriter (VCD, FST): its changes are then handed over without a
  // virtual call (TraceWriter::change, inlined here).
  explicit TimeOrderingSink(TraceSink& out)
      : out_(out), writer_(dynamic_cast<TraceWriter*>(&out)), ring_(kBuckets) {}

  // What a change carries: an integer's value, a real's bits, or an integer's delta (the
  // values are those of a logged note's kLogReal and kLogDelta bits, shifted down).
  enum class Kind : std::uint8_t { kInteger = 0, kReal = 1, kDelta = 2 };

  SignalId declare_integer(const std::string& path, unsigned width, std::uint64_t init) override {
    return starting_at(out_.declare_integer(path, width, init), init);
  }
  SignalId declare_enum(const std::string& path, const std::vector<std::string>& labels,
                        std::uint64_t init) override {
    return starting_at(out_.declare_enum(path, labels, init), init);
  }
  SignalId declare_real(const std::string& path, double init) override {
    return starting_at(out_.declare_real(path, init), 0);
  }
  void change_integer(SignalId id, std::uint64_t t, std::uint64_t v) override {
    route(id, t, v, Kind::kInteger, now_ps());
  }
  void change_real(SignalId id, std::uint64_t t, double v) override {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    route(id, t, bits, Kind::kReal, now_ps());
  }
  void change_delta(SignalId id, std::uint64_t t, std::uint64_t delta) override {
    route(id, t, delta, Kind::kDelta, now_ps());
  }
  // A change made when simulated time was `now`, for a stage that hands changes over later
  // (BackgroundTraceSink): the same as making it at `now`.
  void change_at(SignalId id, std::uint64_t t, std::uint64_t bits, Kind kind, std::uint64_t now) {
    route(id, t, bits, kind, now);
  }
  // Emits everything still held (end of simulation); returns the time of the last change
  // emitted so far (a trace must not end before it).
  std::uint64_t flush_all() {
    flush_until(UINT64_MAX);
    return last_time_;
  }

 private:
  static constexpr unsigned kBucketShift = 14;  // 16.384 ns per bucket
  static constexpr std::uint64_t kBuckets = 256;

  struct Held {
    std::uint64_t t;
    std::uint64_t order;  // made-before order among held changes
    SignalId id;
    Kind kind;
    std::uint64_t bits;  // the value; a real's bits; a delta
    bool before(const Held& o) const { return t != o.t ? t < o.t : order < o.order; }
  };
  struct alignas(kHostCacheLine) Bucket {
    std::vector<Held> items;  // capacity is kept between uses
    std::uint32_t head = 0;   // items before it are emitted
    bool sorted = true;       // items from head on are in (time, order) order
    bool empty() const { return head == items.size(); }
    void put(const Held& h) {
      if (!empty() && h.before(items.back())) sorted = false;
      items.push_back(h);
    }
    // A new change, made after everything held.
    void put_new(std::uint64_t t, std::uint64_t order, SignalId id, Kind kind, std::uint64_t bits) {
      if (!empty() && t < items.back().t) sorted = false;
      // Field by field into its place: a Held built aside and copied was read back with wider
      // loads than its stores, and such a load waits until the stores leave the store buffer.
      Held& h = items.emplace_back();
      h.t = t;
      h.order = order;
      h.id = id;
      h.kind = kind;
      h.bits = bits;
    }
  };

  // The declared signal `id`, whose running value (if it is counted) starts at `init`. A
  // counted signal takes deltas only: a value set in between would not enter the sum.
  SignalId starting_at(SignalId id, std::uint64_t init) {
    if (value_.size() <= id) value_.resize(id + 1, 0);
    value_[id] = init;
    return id;
  }

  void route(SignalId id, std::uint64_t t, std::uint64_t bits, Kind kind, std::uint64_t now) {
    // Changes made since the last flush at this time are all later than it: nothing is due.
    if (now != flushed_to_) flush_until(now);
    if (t <= now) {
      emit(id, t, bits, kind);  // everything held is later than now
      return;
    }
    const std::uint64_t order = order_++;
    const std::uint64_t k = t >> kBucketShift;
    if (k < first_ + kBuckets) {
      ring_[k % kBuckets].put_new(t, order, id, kind, bits);
      ++in_ring_;
    } else {
      far_.push(t, Held{t, order, id, kind, bits});
    }
  }

  // Emits every held change at or before `now`; afterwards the ring starts at now's bucket.
  void flush_until(std::uint64_t now) {
    flushed_to_ = now;
    const std::uint64_t last = now >> kBucketShift;
    for (;;) {
      if (in_ring_ == 0) {  // skip the empty stretch, to now or to the first far change
        std::uint64_t next = last;
        if (!far_.empty()) next = std::min(next, far_.front_time() >> kBucketShift);
        first_ = std::max(first_, next);
      }
      Bucket& b = ring_[first_ % kBuckets];
      while (!far_.empty() && (far_.front_time() >> kBucketShift) == first_) {
        Picos t;
        b.put(far_.pop(t));  // made before the bucket's later entries: sorting puts it right
        ++in_ring_;
      }
      if (!b.sorted) {
        std::sort(b.items.begin() + b.head, b.items.end(),
                  [](const Held& x, const Held& y) { return x.before(y); });
        b.sorted = true;
      }
      while (!b.empty() && b.items[b.head].t <= now) {
        const Held& h = b.items[b.head++];
        emit(h.id, h.t, h.bits, h.kind);
        --in_ring_;
      }
      if (b.empty()) {
        b.items.clear();
        b.head = 0;
      }
      if (first_ >= last) return;  // now's bucket: what is left in it is later than now
      ++first_;                    // this bucket is done; its slot now holds the ring's last
    }
  }

  void emit(SignalId id, std::uint64_t t, std::uint64_t bits, Kind kind) {
    last_time_ = t;
    // Deltas come out in time order, so their sum is the signal's value at `t`.
    if (kind == Kind::kDelta) bits = value_.at(id) += bits;
    const bool real = kind == Kind::kReal;
    if (writer_ != nullptr) {
      writer_->change(id, t, bits, real);
    } else if (real) {
      double d;
      std::memcpy(&d, &bits, sizeof d);
      out_.change_real(id, t, d);
    } else {
      out_.change_integer(id, t, bits);
    }
  }

  TraceSink& out_;
  TraceWriter* const writer_;         // out_ when it is a TraceWriter, else null
  std::vector<Bucket> ring_;          // bucket k (time >> kBucketShift) in slot k % kBuckets
  std::uint64_t first_ = 0;           // the ring's first bucket (now's, once flushed)
  std::uint64_t in_ring_ = 0;         // changes held in the ring
  TimeOrderedSlots<Held> far_;        // changes beyond the ring, in time order
  std::uint64_t order_ = 0;           // the next change's made-before order
  std::vector<std::uint64_t> value_;  // by signal: the running value of a counted signal
  std::uint64_t last_time_ = 0;
  std::uint64_t flushed_to_ = UINT64_MAX;  // the time of the last flush (none yet)
};

}  // namespace hcasim
