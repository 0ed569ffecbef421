// The block storage device: real bytes kept sparsely, exact service times from the latency
// model, channel parallelism, the shared bandwidth limit, queue depth, rejected requests, the
// disk's seek and rotation, and seeded error injection.
#include "models/iounit/storage_device.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/core/config_error.hpp"
#include "models/core/params.hpp"

namespace hcasim {
namespace {

// The parameters as a run loads them: registry defaults, then the given overrides.
StorageParams params(const std::vector<std::pair<std::string, std::string>>& set = {}) {
  static ParamRegistry registry = [] {
    ParamRegistry r;
    r.declare<StorageParams>();
    return r;
  }();
  ParamValues values(registry);
  for (const auto& [key, value] : set) values.set(key, value, ValueOrigin{"test"});
  return values.load<StorageParams>();
}

StorageOp read_op(std::uint64_t offset, std::uint64_t length, void* data = nullptr) {
  return StorageOp{StorageOpKind::kRead, offset, length, data};
}
StorageOp write_op(std::uint64_t offset, std::uint64_t length, const void* data = nullptr) {
  return StorageOp{StorageOpKind::kWrite, offset, length, const_cast<void*>(data)};
}

constexpr std::uint64_t kGB = 1000000000ULL;

TEST(StorageDevice, DefaultsDescribeAnNvmeSsd) {
  const StorageParams p = params();
  EXPECT_EQ(p.kind, "ssd");
  EXPECT_EQ(p.capacity_bytes(), 1000 * kGB);
  EXPECT_EQ(p.block_bytes, 512u);
  EXPECT_EQ(p.channels, 8u);
  EXPECT_DOUBLE_EQ(p.ssd_read_us, 80.0);
  EXPECT_DOUBLE_EQ(p.ssd_write_us, 20.0);
  EXPECT_DOUBLE_EQ(p.bandwidth_mbps, 3500.0);
  EXPECT_DOUBLE_EQ(p.error_rate, 0.0);
}

TEST(StorageDevice, WrittenDataReadsBackByteExactAcrossPages) {
  StorageDevice dev("dev", params(), 1);
  // 12 KiB starting one block before a page boundary: touches four 4 KiB pages.
  std::vector<std::uint8_t> out(12288);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const std::uint64_t at = 4096 - 512;
  ASSERT_EQ(dev.submit(write_op(at, out.size(), out.data()), 0).submit, StorageSubmit::kAccepted);

  // Read a wider range: a block of never-written space on each side reads as zeros.
  std::vector<std::uint8_t> in(out.size() + 1024, 0xAA);
  ASSERT_EQ(dev.submit(read_op(at - 512, in.size(), in.data()), 0).submit,
            StorageSubmit::kAccepted);
  for (std::size_t i = 0; i < 512; ++i) ASSERT_EQ(in[i], 0) << i;
  EXPECT_EQ(std::memcmp(in.data() + 512, out.data(), out.size()), 0);
  for (std::size_t i = 512 + out.size(); i < in.size(); ++i) ASSERT_EQ(in[i], 0) << i;

  // A later write over part of it replaces exactly those bytes.
  std::vector<std::uint8_t> patch(512, 0x5C);
  dev.submit(write_op(4096, patch.size(), patch.data()), 0);
  std::vector<std::uint8_t> again(out.size());
  dev.submit(read_op(at, again.size(), again.data()), 0);
  std::memcpy(out.data() + 512, patch.data(), patch.size());
  EXPECT_EQ(again, out);
}

TEST(StorageDevice, UnwrittenSpaceReadsAsZeros) {
  StorageDevice dev("dev", params(), 1);
  std::vector<std::uint8_t> in(8192, 0xAA);
  ASSERT_EQ(dev.submit(read_op(500 * kGB, in.size(), in.data()), 0).submit,
            StorageSubmit::kAccepted);
  EXPECT_EQ(in, std::vector<std::uint8_t>(8192, 0));
  EXPECT_EQ(dev.stored_bytes(), 0u);
}

TEST(StorageDevice, StoresOnlyWhatIsWritten) {
  StorageDevice dev("dev", params(), 1);
  std::vector<std::uint8_t> block(512, 0x42);
  ASSERT_EQ(dev.submit(write_op(900 * kGB, block.size(), block.data()), 0).submit,
            StorageSubmit::kAccepted);
  EXPECT_EQ(dev.stored_bytes(), 4096u);  // one page of a 1 TB device
  std::vector<std::uint8_t> in(512);
  dev.submit(read_op(900 * kGB, in.size(), in.data()), 0);
  EXPECT_EQ(in, block);
}

TEST(StorageDevice, SsdServiceTimeIsFixedPlusPerByteThenTheInterface) {
  const StorageParams p = params();
  StorageDevice dev("dev", p, 1);
  // Read 4 KiB: 80 us + 4096 B at 800 MB/s on a channel, then 4096 B at 3500 MB/s.
  const Picos now = 1000;
  const Picos read_media = 80'000'000 + 5'120'000;
  const Picos read_bus = 1'170'286;  // 4096e6 / 3500 = 1170285.7 ps
  EXPECT_EQ(StorageParams::transfer_ps(4096, p.ssd_read_mbps) + us_to_ps(p.ssd_read_us),
            read_media);
  EXPECT_EQ(dev.submit(read_op(0, 4096), now).complete_at, now + read_media + read_bus);

  // Write 4 KiB on a fresh device: the interface first, then 20 us + 4096 B at 800 MB/s.
  StorageDevice dev2("dev", p, 1);
  EXPECT_EQ(dev2.submit(write_op(0, 4096), now).complete_at,
            now + read_bus + 20'000'000 + 5'120'000);
  EXPECT_EQ(dev2.stats().writes, 1u);
  EXPECT_EQ(dev2.stats().bytes_written, 4096u);
  EXPECT_EQ(dev2.stats().latency_ps.count(), 1u);
  EXPECT_EQ(dev2.stats().latency_ps.max(), read_bus + 25'120'000);
}

TEST(StorageDevice, ChannelsServeOperationsInParallel) {
  // 4 channels, an interface fast enough to cost 4096 ps per 4 KiB.
  StorageDevice dev("dev",
                    params({{"storage.channels", "4"}, {"storage.bandwidth_mbps", "1000000"}}), 1);
  const Picos service = 85'120'000;  // 80 us + 4096 B at 800 MB/s
  const Picos bus = 4096;
  std::vector<Picos> done;
  for (int i = 0; i < 8; ++i) done.push_back(dev.submit(read_op(i * 4096, 4096), 0).complete_at);
  // The first four share the channels and finish together, then queue on the interface one
  // after the other; the next four start when the channels free.
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(done[k], service + (k + 1) * bus) << k;
    EXPECT_EQ(done[4 + k], 2 * service + (k + 1) * bus) << k;
  }
  for (const BusyResource& channel : dev.channels()) {
    EXPECT_EQ(channel.uses(), 2u);
    EXPECT_EQ(channel.busy_ps(), 2 * service);
  }
}

TEST(StorageDevice, LargeTransfersSaturateAtTheConfiguredBandwidth) {
  const StorageParams p = params();
  StorageDevice dev("dev", p, 1);
  const std::uint64_t mib = 1 << 20;
  // 8 channels at 800 MB/s feed 6400 MB/s, more than the 3500 MB/s interface: the interface
  // stays busy from the first channel's finish on.
  const Picos media = 80'000'000 + mib * 1'250;  // 1250 ps per byte at 800 MB/s
  const Picos bus = 299'593'143;                 // 1 MiB at 3500 MB/s, rounded
  const int n = 32;
  std::vector<Picos> done;
  for (int i = 0; i < n; ++i) done.push_back(dev.submit(read_op(i * mib, mib), 0).complete_at);
  for (int k = 0; k < n; ++k) EXPECT_EQ(done[k], media + (k + 1) * bus) << k;
  const double mbps =
      static_cast<double>((n - 1) * mib) / static_cast<double>(done[n - 1] - done[0]) * 1e6;
  EXPECT_NEAR(mbps, 3500.0, 1e-3);
  EXPECT_EQ(dev.interface().busy_ps(), n * bus);
  EXPECT_EQ(dev.stats().bytes_read, n * mib);
}

TEST(StorageDevice, RefusesBeyondQueueDepthUntilOperationsComplete) {
  StorageDevice dev("dev", params({{"storage.queue_depth", "4"}}), 1);
  std::vector<Picos> done;
  for (int i = 0; i < 4; ++i) {
    const StorageResult r = dev.submit(read_op(0, 512), 0);
    ASSERT_EQ(r.submit, StorageSubmit::kAccepted);
    done.push_back(r.complete_at);
  }
  EXPECT_EQ(dev.submit(read_op(0, 512), 0).submit, StorageSubmit::kQueueFull);
  EXPECT_EQ(dev.stats().queue_full, 1u);
  EXPECT_EQ(dev.outstanding(done[0] - 1), 4u);
  EXPECT_EQ(dev.submit(read_op(0, 512), done[0] - 1).submit, StorageSubmit::kQueueFull);
  // At its completion time the first operation no longer counts.
  EXPECT_EQ(dev.outstanding(done[0]), 3u);
  EXPECT_EQ(dev.submit(read_op(0, 512), done[0]).submit, StorageSubmit::kAccepted);
  EXPECT_EQ(dev.stats().queue_full, 2u);
  EXPECT_EQ(dev.stats().reads, 5u);
}

TEST(StorageDevice, RejectsMisalignedAndOutOfRangeRequestsWithoutEffect) {
  StorageDevice dev("dev", params({{"storage.capacity_gb", "1"}}), 1);
  const std::uint64_t cap = dev.capacity();
  ASSERT_EQ(cap, kGB);  // 10^9 is a whole number of 512 B blocks
  std::vector<std::uint8_t> data(1024, 0x11);
  EXPECT_EQ(dev.submit(write_op(100, 512, data.data()), 0).submit, StorageSubmit::kMisaligned);
  EXPECT_EQ(dev.submit(write_op(512, 1000, data.data()), 0).submit, StorageSubmit::kMisaligned);
  EXPECT_EQ(dev.submit(write_op(512, 0, data.data()), 0).submit, StorageSubmit::kMisaligned);
  EXPECT_EQ(dev.submit(write_op(cap - 512, 1024, data.data()), 0).submit,
            StorageSubmit::kOutOfRange);
  EXPECT_EQ(dev.submit(write_op(cap, 512, data.data()), 0).submit, StorageSubmit::kOutOfRange);
  EXPECT_EQ(dev.submit(read_op(~0ULL - 511, 512), 0).submit, StorageSubmit::kOutOfRange);
  EXPECT_EQ(dev.stats().misaligned, 3u);
  EXPECT_EQ(dev.stats().out_of_range, 3u);
  EXPECT_EQ(dev.stats().writes + dev.stats().reads, 0u);
  EXPECT_EQ(dev.stored_bytes(), 0u);
  EXPECT_EQ(dev.outstanding(0), 0u);
  // The last block is in range.
  EXPECT_EQ(dev.submit(write_op(cap - 512, 512, data.data()), 0).submit, StorageSubmit::kAccepted);

  StorageDevice dev4k("dev",
                      params({{"storage.block_bytes", "4096"}, {"storage.capacity_gb", "1"}}), 1);
  EXPECT_EQ(dev4k.capacity(), kGB / 4096 * 4096);  // rounded down to whole blocks
  EXPECT_EQ(dev4k.submit(read_op(512, 4096), 0).submit, StorageSubmit::kMisaligned);
  EXPECT_EQ(dev4k.submit(read_op(4096, 4096), 0).submit, StorageSubmit::kAccepted);
}

TEST(StorageDevice, DiskSeekGrowsWithDistance) {
  const StorageParams p = params({{"storage.kind", "disk"}});
  const std::uint64_t track = p.track_bytes();  // 200 MB/s x 60/7200 s
  EXPECT_EQ(track, 1'666'666u);
  // From the head's start (offset 0), each read on a fresh disk: the seek alone.
  auto seek_to = [&](std::uint64_t offset) {
    StorageDevice dev("disk", p, 1);
    EXPECT_EQ(dev.submit(read_op(offset, 512), 0).submit, StorageSubmit::kAccepted);
    return dev.stats().seek_ps;
  };
  EXPECT_EQ(seek_to(track / 512 * 512 - 512), 0u);  // the same track
  // The adjacent track: track to track (1 ms) plus 7.5 ms x 15/8 x sqrt(d), d = 1.67 MB / 1 TB.
  const std::uint64_t next_track = (track / 512 + 1) * 512;
  const Picos adjacent = seek_to(next_track);
  EXPECT_NEAR(static_cast<double>(adjacent),
              (1.0 + 7.5 * 15.0 / 8.0 * std::sqrt(next_track / 1e12)) * 1e9, 1.0);
  EXPECT_LT(adjacent, 1'020'000'000u);
  // Full stroke: 1 ms + (8.5 - 1) ms x 15/8 = 15.0625 ms.
  const Picos full = seek_to(p.capacity_bytes() - 512);
  EXPECT_NEAR(static_cast<double>(full), 15.0625e9, 1e3);
  Picos previous = adjacent;
  for (std::uint64_t gb : {1, 10, 100, 500}) {
    const Picos s = seek_to(gb * kGB);
    EXPECT_GT(s, previous) << gb;
    EXPECT_LT(s, full) << gb;
    previous = s;
  }
  // A quarter of the stroke: 1 + 7.5 x 15/8 x sqrt(1/4) ms.
  EXPECT_NEAR(static_cast<double>(seek_to(250 * kGB)), (1.0 + 7.5 * 15.0 / 8.0 * 0.5) * 1e9, 1e3);
}

TEST(StorageDevice, DiskWaitsForTheSectorToComeRound) {
  const StorageParams p = params({{"storage.kind", "disk"}});
  const Picos rotation = p.rotation_ps();
  EXPECT_EQ(rotation, 8'333'333'333u);  // 7200 rpm
  const Picos transfer = 2'560'000;     // 512 B at 200 MB/s
  const Picos bus = 146'286;            // 512 B at 3500 MB/s
  {
    // Sector 0 is under the head at t = 0: no wait.
    StorageDevice dev("disk", p, 1);
    EXPECT_EQ(dev.submit(read_op(0, 512), 0).complete_at, transfer + bus);
    EXPECT_EQ(dev.stats().rotation_ps, 0u);
  }
  {
    // Half-way round the first track: half a rotation (to within the rounding of the angle).
    StorageDevice dev("disk", p, 1);
    const std::uint64_t half = p.track_bytes() / 2 / 512 * 512;
    const Picos done = dev.submit(read_op(half, 512), 0).complete_at;
    EXPECT_EQ(dev.stats().seek_ps, 0u);
    EXPECT_NEAR(static_cast<double>(dev.stats().rotation_ps), rotation / 2.0, rotation * 1e-3);
    EXPECT_EQ(done, dev.stats().rotation_ps + transfer + bus);
    // The head serves one operation at a time: the next one starts after this transfer.
    EXPECT_EQ(dev.channels().size(), 1u);
    const Picos next = dev.submit(read_op(half + 512, 512), 0).complete_at;
    EXPECT_EQ(next, done + transfer);  // the following sector, no wait; interface then free
  }
}

TEST(StorageDevice, InjectsDeviceErrorsAtTheConfiguredRate) {
  std::vector<std::uint8_t> data(512, 0x77);
  StorageDevice always("dev", params({{"storage.error_rate", "1"}}), 1);
  StorageDevice never("dev", params({{"storage.error_rate", "0"}}), 1);
  for (int i = 0; i < 100; ++i) {
    const StorageResult a =
        always.submit(write_op(i * 512, 512, data.data()), i * 1'000'000'000ULL);
    ASSERT_EQ(a.submit, StorageSubmit::kAccepted);
    EXPECT_EQ(a.status, StorageStatus::kDeviceError);
    const StorageResult b = never.submit(write_op(i * 512, 512, data.data()), i * 1'000'000'000ULL);
    EXPECT_EQ(b.status, StorageStatus::kOk);
    EXPECT_EQ(a.complete_at, b.complete_at);  // a failed operation takes its full time
  }
  EXPECT_EQ(always.stats().device_errors, 100u);
  EXPECT_EQ(never.stats().device_errors, 0u);
  EXPECT_EQ(always.stored_bytes(), 0u);         // failed writes store nothing
  EXPECT_EQ(never.stored_bytes(), 13u * 4096);  // 51200 B in whole 4 KiB pages
}

std::vector<StorageStatus> statuses(std::uint64_t seed) {
  StorageDevice dev("iou0.storage", params({{"storage.error_rate", "0.5"}}), seed);
  std::vector<StorageStatus> out;
  for (int i = 0; i < 200; ++i)
    out.push_back(dev.submit(read_op(0, 512), i * 1'000'000'000ULL).status);
  return out;
}

TEST(StorageDevice, ErrorsAreDeterministicPerSeed) {
  const auto a = statuses(7);
  EXPECT_EQ(a, statuses(7));
  EXPECT_NE(a, statuses(8));
  const auto errors = std::count(a.begin(), a.end(), StorageStatus::kDeviceError);
  EXPECT_GT(errors, 0);
  EXPECT_LT(errors, 200);
}

TEST(StorageDevice, RejectsContradictoryDiskParameters) {
  const StorageParams p = params({{"storage.kind", "disk"},
                                  {"storage.disk.avg_seek_ms", "2"},
                                  {"storage.disk.track_to_track_ms", "3"}});
  try {
    StorageDevice dev("iou0.storage", p, 1);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("storage.disk.track_to_track_ms"), std::string::npos);
  }
}

TEST(StorageDevice, TimeMustNotGoBack) {
  StorageDevice dev("dev", params(), 1);
  dev.submit(read_op(0, 512), 1000);
  EXPECT_THROW(dev.submit(read_op(0, 512), 999), std::logic_error);
}

}  // namespace
}  // namespace hcasim
