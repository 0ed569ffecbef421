#pragma once
// A block storage device: a timing model and the device's real bytes (docs/storage.md).
//
// The model computes when an operation completes at the moment it is submitted (busy-until
// resources, no events), so SystemC code calls it from a method or thread and schedules its
// own reaction at `complete_at`. Data moves at submit: a write's bytes are stored, a read's
// buffer is filled; the caller treats them as done only from `complete_at`.
#include <cstdint>
#include <string>
#include <vector>

#include "models/core/histogram.hpp"
#include "models/core/occupancy.hpp"
#include "models/core/random.hpp"
#include "models/core/sim_time.hpp"
#include "models/core/stats.hpp"
#include "models/iounit/sparse_block_store.hpp"
#include "models/iounit/storage_params.hpp"

namespace hcasim {

enum class StorageOpKind : std::uint8_t { kRead, kWrite };

struct StorageOp {
  StorageOpKind kind = StorageOpKind::kRead;
  std::uint64_t offset = 0;  // byte address on the device
  std::uint64_t length = 0;  // bytes
  // kRead: filled with the data; kWrite: the data to store. May be null: timing only (a read
  // then moves nothing, a write stores nothing).
  void* data = nullptr;
};

// Whether the device took the operation; anything but kAccepted changed nothing.
enum class StorageSubmit : std::uint8_t {
  kAccepted,
  kQueueFull,   // queue_depth operations still outstanding at `now`
  kOutOfRange,  // offset + length beyond the capacity
  kMisaligned,  // offset or length not a whole number of blocks (length 0 included)
};

// How an accepted operation ends.
enum class StorageStatus : std::uint8_t { kOk, kDeviceError };

struct StorageResult {
  StorageSubmit submit = StorageSubmit::kAccepted;
  StorageStatus status = StorageStatus::kOk;
  Picos complete_at = 0;  // accepted only
};

struct StorageStats {
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t queue_full = 0;  // submits refused
  std::uint64_t out_of_range = 0;
  std::uint64_t misaligned = 0;
  std::uint64_t device_errors = 0;
  Picos seek_ps = 0;              // disk: total seek time
  Picos rotation_ps = 0;          // disk: total rotational latency
  LogLinearHistogram latency_ps;  // submit to complete_at of accepted operations

  template <class V>
  void visit(V& v) const {
    v.counter(reads, "reads", "count", "device reads");
    v.counter(writes, "writes", "count", "device writes");
    v.counter(device_errors, "errors", "count", "device operations that completed with an error");
    v.counter(bytes_read, "bytes_read", "B", "bytes the device read");
    v.counter(bytes_written, "bytes_written", "B", "bytes the device wrote");
    v.counter(queue_full, "queue_full", "count", "submits refused: storage.queue_depth reached");
    v.counter(out_of_range, "out_of_range", "count", "submits refused: outside the capacity");
    v.counter(misaligned, "misaligned", "count", "submits refused: not whole blocks");
    v.time_ns(seek_ps, "seek_ns", "disk: total seek time");
    v.time_ns(rotation_ps, "rotation_ns", "disk: total rotational latency");
  }
};

constexpr const char* to_string(StorageSubmit s) {
  switch (s) {
    case StorageSubmit::kAccepted:
      return "accepted";
    case StorageSubmit::kQueueFull:
      return "queue_full";
    case StorageSubmit::kOutOfRange:
      return "out_of_range";
    case StorageSubmit::kMisaligned:
      return "misaligned";
  }
  return "unknown";
}

class StorageDevice {
 public:
  // Throws ConfigError when the parameters contradict each other. `seed` seeds the device's
  // error stream ("<name>.errors").
  StorageDevice(std::string name, const StorageParams& params, std::uint64_t seed);

  // Submits an operation at simulated time `now`; `now` never decreases between calls
  // (std::logic_error otherwise): operations count as outstanding until their complete_at.
  StorageResult submit(const StorageOp& op, Picos now);

  // Operations accepted and not complete at `now` (the same `now` rule as submit).
  std::uint32_t outstanding(Picos now);

  const std::string& name() const { return name_; }
  const StorageParams& params() const { return params_; }
  std::uint64_t capacity() const { return capacity_; }
  const StorageStats& stats() const { return stats_; }
  // Declares the device's statistics into `group` (its owner's, "iou0.device"). design
  // decision: the owner keeps the group, so a device alone (as the unit tests build several of
  // one name) declares nothing.
  void declare_stats(StatGroup& group) const;
  // Per channel (ssd) or the head (disk, one entry): busy time and operations.
  const std::vector<BusyResource>& channels() const { return channels_; }
  const BusyResource& interface() const { return interface_; }
  // Memory holding written data (whole pages).
  std::uint64_t stored_bytes() const { return store_.stored_bytes(); }

 private:
  // When the media (a channel or the head) finishes an operation that may start at `earliest`.
  Picos media_done(const StorageOp& op, Picos earliest);
  Picos disk_seek_ps(std::uint64_t from, std::uint64_t to) const;
  void retire_until(Picos now);

  std::string name_;
  StorageParams params_;
  bool disk_;
  std::uint64_t capacity_;
  std::vector<BusyResource> channels_;
  BusyResource interface_;
  // Completion times of outstanding operations, earliest on top (a min-heap in a vector
  // reserved to queue_depth: submitting never allocates).
  std::vector<Picos> pending_;
  Picos last_now_ = 0;
  std::uint64_t head_ = 0;  // disk: byte address under the head after the last transfer
  RandomStream errors_;
  SparseBlockStore store_;
  StorageStats stats_;
};

}  // namespace hcasim
