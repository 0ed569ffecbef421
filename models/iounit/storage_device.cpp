#include "models/iounit/storage_device.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include "models/core/config_error.hpp"
#include "models/core/params.hpp"

namespace hcasim {

namespace {
constexpr Picos kReachedWithin = 1000;  // ps
}  // namespace

StorageDevice::StorageDevice(std::string name, const StorageParams& params, std::uint64_t seed)
    : name_(std::move(name)),
      params_(params),
      disk_(params.is_disk()),
      capacity_(params.capacity_bytes()),
      // design decision: a disk has one head (one actuator), whatever storage.channels says.
      channels_(disk_ ? 1 : params.channels),
      errors_(seed, name_ + ".errors") {
  if (disk_ && params_.disk_track_to_track_ms > params_.disk_avg_seek_ms)
    throw ConfigError(name_ + ": key 'storage.disk.track_to_track_ms' (" +
                      detail::format_real(params_.disk_track_to_track_ms) +
                      " ms) exceeds key 'storage.disk.avg_seek_ms' (" +
                      detail::format_real(params_.disk_avg_seek_ms) +
                      " ms); allowed: at most avg_seek_ms");
  pending_.reserve(params_.queue_depth);
}

void StorageDevice::declare_stats(StatGroup& group) const {
  group.declare(stats_);
  group.formula("channel_utilization", "ratio", "mean share of time the channels (or head) worked",
                [this](const StatContext& c) {
                  Picos busy = 0;
                  for (const BusyResource& ch : channels_) busy += ch.busy_ps();
                  return static_cast<double>(busy) / c.run_ps() /
                         static_cast<double>(channels_.size());
                });
  group.busy_share(interface_, "interface_utilization",
                   "share of time the device's interface was busy");
  // design decision: with no operation the mean is not a number (null in summary.json), not a 0
  // that would read as a measurement.
  group.formula("latency_mean_ns", "ns", "submit to completion, mean", [this](const StatContext&) {
    return stats_.latency_ps.count() ? stats_.latency_ps.mean() / 1000.0
                                     : std::numeric_limits<double>::quiet_NaN();
  });
}

void StorageDevice::retire_until(Picos now) {
  if (now < last_now_)
    throw std::logic_error(name_ + ": time went back (" + std::to_string(now) + " ps after " +
                           std::to_string(last_now_) + " ps)");
  last_now_ = now;
  while (!pending_.empty() && pending_.front() <= now) {
    std::pop_heap(pending_.begin(), pending_.end(), std::greater<Picos>());
    pending_.pop_back();
  }
}

std::uint32_t StorageDevice::outstanding(Picos now) {
  retire_until(now);
  return static_cast<std::uint32_t>(pending_.size());
}

StorageResult StorageDevice::submit(const StorageOp& op, Picos now) {
  retire_until(now);
  StorageResult r;
  const std::uint64_t block = params_.block_bytes;
  if (op.length == 0 || op.offset % block != 0 || op.length % block != 0) {
    r.submit = StorageSubmit::kMisaligned;
    ++stats_.misaligned;
    return r;
  }
  if (op.offset > capacity_ || op.length > capacity_ - op.offset) {
    r.submit = StorageSubmit::kOutOfRange;
    ++stats_.out_of_range;
    return r;
  }
  if (pending_.size() >= params_.queue_depth) {
    r.submit = StorageSubmit::kQueueFull;
    ++stats_.queue_full;
    return r;
  }

  // A read leaves the media, then crosses the host interface; a write crosses the interface
  // first, then goes to the media. The interface is one shared busy-until resource.
  const Picos on_interface = StorageParams::transfer_ps(op.length, params_.bandwidth_mbps);
  if (op.kind == StorageOpKind::kRead) {
    const Picos read_out = media_done(op, now);
    r.complete_at = interface_.reserve(read_out, on_interface) + on_interface;
    ++stats_.reads;
    stats_.bytes_read += op.length;
  } else {
    const Picos arrived = interface_.reserve(now, on_interface) + on_interface;
    r.complete_at = media_done(op, arrived);
    ++stats_.writes;
    stats_.bytes_written += op.length;
  }

  // The error decision is drawn for every accepted operation, so the stream's sequence does not
  // depend on the rate. design decision: a failed write leaves the stored bytes as they were,
  // a failed read leaves the caller's buffer untouched; both take their full time.
  const bool failed = errors_.uniform01() < params_.error_rate;
  if (failed) {
    r.status = StorageStatus::kDeviceError;
    ++stats_.device_errors;
  } else if (op.data) {
    if (op.kind == StorageOpKind::kRead)
      store_.read(op.offset, op.data, op.length);
    else
      store_.write(op.offset, op.data, op.length);
  }

  pending_.push_back(r.complete_at);
  std::push_heap(pending_.begin(), pending_.end(), std::greater<Picos>());
  stats_.latency_ps.record(r.complete_at - now);
  return r;
}

Picos StorageDevice::media_done(const StorageOp& op, Picos earliest) {
  const bool read = op.kind == StorageOpKind::kRead;
  if (!disk_) {
    // The earliest-free channel (the lowest-numbered among equals) serves the whole operation.
    auto channel = std::min_element(channels_.begin(), channels_.end(),
                                    [](const BusyResource& a, const BusyResource& b) {
                                      return a.busy_until() < b.busy_until();
                                    });
    const Picos service = us_to_ps(read ? params_.ssd_read_us : params_.ssd_write_us) +
                          StorageParams::transfer_ps(
                              op.length, read ? params_.ssd_read_mbps : params_.ssd_write_mbps);
    return channel->reserve(earliest, service) + service;
  }

  // Disk: seek from where the last transfer left the head, wait for the first sector to come
  // round, transfer at the media rate.
  BusyResource& head = channels_.front();
  const Picos start = std::max(earliest, head.busy_until());
  const Picos seek = disk_seek_ps(head_, op.offset);
  const Picos rotation = params_.rotation_ps();
  const std::uint64_t track = params_.track_bytes();
  // design decision: the platter's angle follows from time (angle 0 at t = 0) and a sector's
  // angle is the time its track's bytes before it take to pass the head, so rotational latency
  // is deterministic: zero for the sector after the last one read, half a rotation on average
  // over random targets. A sector the head passed less than 1 ns ago counts as reached, so
  // sub-nanosecond rounding never costs a whole rotation.
  const Picos target_angle =
      StorageParams::transfer_ps(op.offset % track, params_.disk_transfer_mbps);
  const Picos angle_after_seek = (start + seek) % rotation;
  Picos wait = (target_angle + rotation - angle_after_seek) % rotation;
  if (wait + kReachedWithin >= rotation) wait = 0;
  const Picos transfer = StorageParams::transfer_ps(op.length, params_.disk_transfer_mbps);
  stats_.seek_ps += seek;
  stats_.rotation_ps += wait;
  head_ = op.offset + op.length;
  return head.reserve(start, seek + wait + transfer) + seek + wait + transfer;
}

// Seek time over a distance d (a fraction of the capacity) between different tracks:
//   track_to_track + (avg_seek - track_to_track) * 15/8 * sqrt(d)
// sqrt: short seeks are dominated by the arm's acceleration. 15/8 makes the mean over uniformly
// random pairs of positions (E[sqrt(d)] = 8/15) equal avg_seek. The same track seeks nothing.
Picos StorageDevice::disk_seek_ps(std::uint64_t from, std::uint64_t to) const {
  const std::uint64_t track = params_.track_bytes();
  if (from / track == to / track) return 0;
  const double d =
      static_cast<double>(from > to ? from - to : to - from) / static_cast<double>(capacity_);
  const double ms =
      params_.disk_track_to_track_ms +
      (params_.disk_avg_seek_ms - params_.disk_track_to_track_ms) * 15.0 / 8.0 * std::sqrt(d);
  return static_cast<Picos>(ms * 1e9 + 0.5);
}

}  // namespace hcasim
