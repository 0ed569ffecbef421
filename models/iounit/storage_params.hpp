#pragma once
// Parameters of the block storage device behind an I/O unit (docs/storage.md). Defaults: a
// PCIe Gen3 x4 TLC NVMe SSD of the Samsung 970 EVO Plus class (8 flash channels, ~80 us 4 KiB
// random read, ~20 us write into its write cache, 3.5 GB/s sequential); the disk parameters
// describe a 3.5-inch 7200 rpm desktop drive.
#include <cstdint>
#include <string>

#include "models/core/params.hpp"
#include "models/core/sim_time.hpp"

namespace hcasim {

struct StorageParams {
  std::string kind;
  std::uint32_t capacity_gb;
  std::uint32_t block_bytes;
  std::uint32_t queue_depth;
  std::uint32_t channels;
  double ssd_read_us;
  double ssd_write_us;
  double ssd_read_mbps;
  double ssd_write_mbps;
  double disk_rpm;
  double disk_avg_seek_ms;
  double disk_track_to_track_ms;
  double disk_transfer_mbps;
  double bandwidth_mbps;
  double error_rate;

  template <class V>
  void visit(V& v) {
    v.choice(kind, "storage.kind", "ssd", {"ssd", "disk"},
             "latency model: ssd (fixed + per byte on one of `channels`) or disk (one head: "
             "seek + rotation + transfer)");
    v.integer(capacity_gb, "storage.capacity_gb", "GB", 1000, 1, 1000000,
              "capacity in 10^9 bytes (rounded down to whole blocks)");
    v.one_of(block_bytes, "storage.block_bytes", "B", 512, {512, 4096},
             "logical block size: every I/O starts and ends on a block boundary");
    v.integer(queue_depth, "storage.queue_depth", "ops", 128, 1, 65536,
              "operations outstanding at once; a submit beyond it is refused (queue_full)");
    v.integer(channels, "storage.channels", "channels", 8, 1, 256,
              "ssd: operations served in parallel (flash channels); a disk has one head");
    v.real(ssd_read_us, "storage.ssd.read_us", "us", 80.0, 0.0, 1e6,
           "ssd: fixed time of a read (flash array read, controller, ECC)");
    v.real(ssd_write_us, "storage.ssd.write_us", "us", 20.0, 0.0, 1e6,
           "ssd: fixed time of a write (into the drive's write cache)");
    v.real(ssd_read_mbps, "storage.ssd.read_mbps", "MB/s", 800.0, 1.0, 1e6,
           "ssd: rate one channel moves read data (10^6 B/s)");
    v.real(ssd_write_mbps, "storage.ssd.write_mbps", "MB/s", 800.0, 1.0, 1e6,
           "ssd: rate one channel takes write data (10^6 B/s)");
    v.real(disk_rpm, "storage.disk.rpm", "rpm", 7200.0, 1000.0, 30000.0, "disk: spindle speed");
    v.real(disk_avg_seek_ms, "storage.disk.avg_seek_ms", "ms", 8.5, 0.0, 100.0,
           "disk: average seek time (over uniformly random pairs of positions)");
    v.real(disk_track_to_track_ms, "storage.disk.track_to_track_ms", "ms", 1.0, 0.0, 100.0,
           "disk: seek time to the adjacent track (no greater than avg_seek_ms)");
    v.real(disk_transfer_mbps, "storage.disk.transfer_mbps", "MB/s", 200.0, 1.0, 1e5,
           "disk: media rate under the head (10^6 B/s); also sets the bytes per track");
    v.real(bandwidth_mbps, "storage.bandwidth_mbps", "MB/s", 3500.0, 1.0, 1e6,
           "rate of the device's host interface, shared by all operations (10^6 B/s)");
    v.real(error_rate, "storage.error_rate", "", 0.0, 0.0, 1.0,
           "probability that an operation completes with a device error");
  }

  bool is_disk() const { return kind == "disk"; }
  std::uint64_t capacity_bytes() const {
    return std::uint64_t{capacity_gb} * 1000000000ULL / block_bytes * block_bytes;
  }
  // Time to move `bytes` at `mbps` (10^6 B/s): 10^6 / mbps picoseconds per byte, rounded once.
  static Picos transfer_ps(std::uint64_t bytes, double mbps) {
    return static_cast<Picos>(static_cast<double>(bytes) * 1e6 / mbps + 0.5);
  }
  Picos rotation_ps() const { return static_cast<Picos>(60e12 / disk_rpm + 0.5); }
  // Bytes passing under the head in one revolution at the media rate: one track.
  std::uint64_t track_bytes() const {
    return static_cast<std::uint64_t>(disk_transfer_mbps * 1e6 * 60.0 / disk_rpm);
  }
};

}  // namespace hcasim
