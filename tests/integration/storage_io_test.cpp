// The I/O unit's emulation service end to end: the host's block driver sends I2O frames, the
// unit moves the data by RDMA against a storage device, and every request ends in a reply.
// Figures are computed here from the parameters (line arithmetic), not from the model's code.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>

#include "models/core/lookahead.hpp"
#include "workloads/scenario_params.hpp"
#include "workloads/storage_io.hpp"
#include "workloads/system.hpp"

namespace hcasim {
namespace {

using Sets = std::vector<std::pair<std::string, std::string>>;

struct FioRun {
  ParamRegistry registry;
  std::unique_ptr<ParamValues> values;
  std::unique_ptr<System> system;
  std::unique_ptr<StorageIo> workload;

  explicit FioRun(const Sets& sets) {
    declare_all_params(registry);
    values = std::make_unique<ParamValues>(registry);
    auto set = [&](const std::string& k, const std::string& v) {
      values->set(k, v, ValueOrigin{"test"});
    };
    set("workload.kind", "storage");
    set("host.cpus", "4");
    for (auto& [k, v] : sets) set(k, v);
    system = std::make_unique<System>(*values, nullptr);
    workload = std::make_unique<StorageIo>("fio", *system, values->load<StorageIoParams>(),
                                           values->load<HostStackParams>(),
                                           values->load<ScenarioParams>().seed, nullptr);
    hcasim::Lookahead::run();
  }
  const EmulationService::Stats& iou() const { return system->iou.emulation().stats(); }
};

// Picoseconds to move `bytes` at `mbps` (10^6 B/s), rounded to the picosecond.
Picos transfer(std::uint64_t bytes, double mbps) {
  return static_cast<Picos>(static_cast<double>(bytes) * 1e6 / mbps + 0.5);
}

// Sequential writes of 16 KiB through scattered 4 KiB segments and 2 KiB RDMA READs, then the
// verify pass reads every block back (RDMA WRITEs) and compares it byte by byte.
TEST(StorageIo, WrittenPatternsReadBackByteForByte) {
  FioRun run({{"fio.rw", "write"},
              {"fio.bs", "16384"},
              {"fio.numjobs", "2"},
              {"fio.iodepth", "4"},
              {"fio.ops", "64"},
              {"fio.size_mb", "1"},
              {"fio.verify", "true"},
              {"iou.emulation.max_rdma_bytes", "2048"}});
  const StorageIo& w = *run.workload;
  ASSERT_TRUE(w.finished());
  EXPECT_EQ(w.errors(), 0u);
  EXPECT_EQ(w.verify_mismatches(), 0u);
  EXPECT_EQ(w.verified_bytes(), 2u * 64 * 16384);  // every block each job wrote
  EXPECT_EQ(w.writes().ios, 2u * 64);
  // 16 KiB in 2 KiB pieces: 8 RDMA operations each way per I/O.
  EXPECT_EQ(run.iou().rdma_reads, 2u * 64 * 8);
  EXPECT_EQ(run.iou().rdma_writes, 2u * 64 * 8);
  EXPECT_EQ(run.iou().error_replies, 0u);
}

// One 4 KiB read on an idle system: the I/O unit's share is exactly the controller's frame and
// operation times and the SSD's read (fixed + channel transfer + interface transfer), and the
// parts add up to the latency the job measured.
TEST(StorageIo, UnloadedReadLatencyIsTheSumOfItsParts) {
  FioRun run({{"fio.rw", "randread"}, {"fio.engine", "sync"}, {"fio.ops", "1"}});
  const StorageIo::Direction& r = run.workload->reads();
  ASSERT_EQ(r.ios, 1u);
  const Picos device =
      80'000'000 + transfer(4096, 800.0) + transfer(4096, 3500.0);  // ssd read_us, mbps, bw
  EXPECT_EQ(r.device, device);
  EXPECT_EQ(r.controller,
            500'000u + 100'000u);  // iou.emulation.frame_ns + iou.emulation.op_ns (device submit)
  EXPECT_EQ(r.rdma, 100'000u);     // iou.emulation.op_ns: start the one RDMA WRITE
  const auto total = static_cast<Picos>(r.lat_ps.sum());
  EXPECT_EQ(r.host + r.fabric + r.rdma + r.device + r.controller, total);
  // Host and fabric: a frame there and a 4 KiB WRITE plus a reply back cost microseconds.
  EXPECT_GT(r.fabric, 1'000'000u);
  EXPECT_LT(r.fabric + r.host, 15'000'000u);
}

// With many I/Os in flight the SSD's channels are the bottleneck: 8 channels, each busy
// read_us + 4096 B / read_mbps per read.
TEST(StorageIo, RandomReadIopsSaturateAtTheChannelBound) {
  FioRun run({{"fio.rw", "randread"},
              {"fio.numjobs", "2"},
              {"fio.iodepth", "32"},
              {"fio.ops", "3000"},
              {"fio.ramp_us", "1000"}});
  const double per_read_s = 80e-6 + 4096.0 / 800e6;
  const double bound = 8.0 / per_read_s;  // about 93,985 IOPS
  const double iops = static_cast<double>(run.workload->reads().ios) / run.workload->window_s();
  EXPECT_NEAR(iops, bound, 0.02 * bound);
  EXPECT_EQ(run.workload->errors(), 0u);
}

// A slow controller becomes the bound: each read costs it one frame and two operations.
TEST(StorageIo, RandomReadIopsSaturateAtTheControllerBound) {
  FioRun run({{"fio.rw", "randread"},
              {"fio.numjobs", "2"},
              {"fio.iodepth", "32"},
              {"fio.ops", "2000"},
              {"fio.ramp_us", "2000"},
              {"iou.emulation.frame_ns", "20000"}});
  const double bound = 1.0 / (20000e-9 + 2 * 100e-9);  // about 49,505 IOPS
  const double iops = static_cast<double>(run.workload->reads().ios) / run.workload->window_s();
  EXPECT_NEAR(iops, bound, 0.02 * bound);
}

// Packets lost on the links while the unit RDMA-READs the data of writes: a READ whose
// responses were lost is resent and executed again by the host's adapter, so every write
// completes and reads back intact (this hung when duplicate READs were dropped).
TEST(StorageIo, WritesSurvivePacketLossAndReadBackIntact) {
  FioRun run({{"fio.rw", "randwrite"},
              {"fio.bs", "16384"},
              {"fio.numjobs", "2"},
              {"fio.iodepth", "4"},
              {"fio.ops", "300"},
              {"fio.size_mb", "2"},
              {"fio.verify", "true"},
              {"fault.packet_error_rate", "0.005"}});
  const StorageIo& w = *run.workload;
  ASSERT_TRUE(w.finished());
  EXPECT_EQ(w.errors(), 0u);
  EXPECT_EQ(w.writes().ios, 600u);
  EXPECT_EQ(w.verify_mismatches(), 0u);
  EXPECT_GT(w.verified_bytes(), 0u);
  EXPECT_GT(run.system->iou.hca->counters().timeouts, 0u);  // some READ had to be resent
}

TEST(StorageIo, DeviceErrorsReachTheJobAsMediaErrors) {
  FioRun run({{"fio.rw", "randrw"}, {"fio.ops", "50"}, {"storage.error_rate", "1"}});
  const StorageIo& w = *run.workload;
  ASSERT_TRUE(w.finished());
  ASSERT_EQ(w.error_statuses().size(), 1u);
  EXPECT_EQ(w.error_statuses()[0].first, i2o::dsc::kMediaError);
  EXPECT_EQ(w.error_statuses()[0].second, 50u);
  EXPECT_EQ(w.reads().ios + w.writes().ios, 0u);
  EXPECT_EQ(run.iou().device_errors, 50u);
}

// Frames written by hand on a raw connection to the emulation service: each bad request gets
// its documented reply, and the connection keeps serving.
struct FrameBench : sc_core::sc_module {
  SC_HAS_PROCESS(FrameBench);
  ParamRegistry registry;
  std::unique_ptr<ParamValues> values;
  std::unique_ptr<System> sys;
  verbs::VerbsDevice* dev = nullptr;
  verbs::Cq* cq = nullptr;
  verbs::Qp* qp = nullptr;
  std::unique_ptr<SimContext> ctx;
  std::function<void(FrameBench&)> body;
  verbs::Mr data{}, frames{};
  std::uint64_t data_addr = 0, frame_addr = 0, reply_addr = 0;
  bool done = false;

  FrameBench(std::function<void(FrameBench&)> b, const Sets& sets = {})
      : sc_module("bench"), body(std::move(b)) {
    declare_all_params(registry);
    values = std::make_unique<ParamValues>(registry);
    values->set("iou.service", "storage", ValueOrigin{"test"});
    for (auto& [k, v] : sets) values->set(k, v, ValueOrigin{"test"});
    sys = std::make_unique<System>(*values, nullptr);
    dev = &sys->verbs();
    cq = &dev->create_cq(64);
    verbs::QpCaps caps;
    caps.max_send_wr = 8;
    caps.max_recv_wr = 8;
    qp = &dev->create_qp(*cq, *cq, caps);
    sys->connect(*dev, *qp, 0, sys->iou.open_storage_connection());
    HostMemory& m = *sys->host.memory;
    data_addr = m.allocate(65536, 4096);
    data = dev->reg_mr(data_addr, 65536, kLocalWrite | kRemoteWrite | kRemoteRead);
    frame_addr = m.allocate(4096, 4096);
    reply_addr = frame_addr + 2048;
    frames = dev->reg_mr(frame_addr, 4096, kLocalWrite);
    ctx = std::make_unique<SimContext>(*sys->cpus[0]);
    SC_THREAD(run);
  }
  void run() {
    body(*this);
    done = true;
    hcasim::Lookahead::stop();
  }
  // Sends `len` bytes of frame (already at frame_addr) and returns the reply it gets.
  i2o::Reply exchange(std::size_t len) {
    Sge rsge{reply_addr, 64, frames.lkey};
    const verbs::RecvWr rwr{2, &rsge, 1};
    EXPECT_EQ(dev->post_recv(*ctx, *qp, &rwr, 1), 0);
    Sge ssge{frame_addr, static_cast<std::uint32_t>(len), frames.lkey};
    verbs::SendWr wr;
    wr.wr_id = 1;
    wr.sg_list = &ssge;
    wr.num_sge = 1;
    EXPECT_EQ(dev->post_send(*ctx, *qp, &wr, 1), 0);
    i2o::Reply reply;
    for (int seen = 0; seen < 2;) {
      WorkCompletion wc;
      EXPECT_EQ(dev->spin_poll_cq(*ctx, *cq, &wc, 1), 1);
      EXPECT_EQ(wc.status, WcStatus::kSuccess);
      ++seen;
      if (!wc.is_recv) continue;
      const i2o::ReplyResult r =
          i2o::decode_reply(sys->host.memory->at(reply_addr, 64), wc.byte_len);
      EXPECT_TRUE(std::holds_alternative<i2o::Reply>(r));
      if (const auto* ok = std::get_if<i2o::Reply>(&r)) reply = *ok;
    }
    return reply;
  }
  i2o::Reply block(i2o::Function f, std::uint64_t address, std::uint32_t bytes, std::uint32_t key,
                   std::uint32_t context) {
    i2o::Request q;
    q.header.initiator_id = i2o::kHostId;
    q.header.target_id = 0x10;
    q.header.function = static_cast<std::uint8_t>(f);
    q.header.transaction_context = context;
    q.byte_count = bytes;
    q.address = address;
    q.sgl_count = 1;
    q.sgl[0].flags = i2o::sgl_flag::kSimpleAddress | i2o::sgl_flag::kLastElement;
    q.sgl[0].length = bytes;
    q.sgl[0].address = data_addr;
    q.sgl[0].key = key;
    const std::size_t len = i2o::encode(q, sys->host.memory->at(frame_addr, 512), 512);
    EXPECT_GT(len, 0u);
    return exchange(len);
  }
  std::uint8_t* bytes() { return sys->host.memory->at(data_addr, 65536); }
};

void run_bench(const std::function<void(FrameBench&)>& body, const Sets& sets = {}) {
  FrameBench b(body, sets);
  hcasim::Lookahead::run();
  ASSERT_TRUE(b.done) << "the exchange hung";
}

TEST(EmulationService, RequestsOutsideTheDeviceGetInvalidOffset) {
  run_bench([](FrameBench& b) {
    const std::uint64_t capacity = 1000ull * 1000000000ull / 512 * 512;
    i2o::Reply r = b.block(i2o::Function::kBlockRead, capacity, 4096, b.data.rkey, 7);
    EXPECT_EQ(r.header.transaction_context, 7u);
    EXPECT_EQ(r.status, i2o::ReqStatus::kErrorNoDataTransfer);
    EXPECT_EQ(r.detailed_status, i2o::dsc::kInvalidOffset);
    r = b.block(i2o::Function::kBlockRead, 100, 4096, b.data.rkey, 8);  // not block aligned
    EXPECT_EQ(r.detailed_status, i2o::dsc::kInvalidOffset);
    EXPECT_EQ(r.bytes_transferred, 0u);
  });
}

TEST(EmulationService, TransfersBeyondTheUnitsLimitGetMessageTooLarge) {
  run_bench(
      [](FrameBench& b) {
        const i2o::Reply r = b.block(i2o::Function::kBlockWrite, 0, 8192, b.data.rkey, 3);
        EXPECT_EQ(r.status, i2o::ReqStatus::kErrorNoDataTransfer);
        EXPECT_EQ(r.detailed_status, i2o::dsc::kMessageTooLarge);
      },
      {{"iou.emulation.max_transfer_kb", "4"}});
}

TEST(EmulationService, UnknownFunctionsAndCorruptFramesAreAnswered) {
  run_bench([](FrameBench& b) {
    i2o::Request q;
    q.header.function = 0x05;  // not a block function: carried header-only
    q.header.transaction_context = 11;
    std::size_t len = i2o::encode(q, b.sys->host.memory->at(b.frame_addr, 512), 512);
    i2o::Reply r = b.exchange(len);
    EXPECT_EQ(r.header.transaction_context, 11u);
    EXPECT_EQ(r.detailed_status, i2o::dsc::kUnknownFunction);
    // A valid read frame whose version nibble is broken: the reject reply, context echoed.
    i2o::Request read;
    read.header.function = static_cast<std::uint8_t>(i2o::Function::kBlockRead);
    read.header.transaction_context = 12;
    read.byte_count = 512;
    read.sgl_count = 1;
    read.sgl[0].flags = i2o::sgl_flag::kSimpleAddress | i2o::sgl_flag::kLastElement;
    read.sgl[0].length = 512;
    read.sgl[0].address = b.data_addr;
    read.sgl[0].key = b.data.rkey;
    std::uint8_t* frame = b.sys->host.memory->at(b.frame_addr, 512);
    len = i2o::encode(read, frame, 512);
    frame[0] ^= 0x0f;
    r = b.exchange(len);
    EXPECT_EQ(r.header.flags & (i2o::flag::kReply | i2o::flag::kFail),
              i2o::flag::kReply | i2o::flag::kFail);
    EXPECT_EQ(r.status, i2o::ReqStatus::kTransactionError);
    EXPECT_EQ(r.detailed_status, i2o::dsc::kInvalidRequest);
    EXPECT_EQ(r.header.transaction_context, 12u);
  });
}

// A wrong key makes the host refuse the unit's RDMA READ; the write gets kBadKey, the unit
// recovers its connection, and the next requests on it move the right bytes.
TEST(EmulationService, ABadKeyGetsBadKeyAndTheConnectionRecovers) {
  run_bench([](FrameBench& b) {
    for (std::uint32_t i = 0; i < 4096; ++i) b.bytes()[i] = static_cast<std::uint8_t>(i * 13 + 5);
    i2o::Reply r = b.block(i2o::Function::kBlockWrite, 8192, 4096, b.data.rkey + 1000, 21);
    EXPECT_EQ(r.header.transaction_context, 21u);
    EXPECT_EQ(r.status, i2o::ReqStatus::kErrorNoDataTransfer);
    EXPECT_EQ(r.detailed_status, i2o::dsc::kBadKey);
    EXPECT_EQ(b.sys->iou.emulation().stats().recoveries, 1u);
    r = b.block(i2o::Function::kBlockWrite, 8192, 4096, b.data.rkey, 22);
    EXPECT_EQ(r.status, i2o::ReqStatus::kSuccess);
    EXPECT_EQ(r.bytes_transferred, 4096u);
    std::memset(b.bytes(), 0, 4096);
    r = b.block(i2o::Function::kBlockRead, 8192, 4096, b.data.rkey, 23);
    EXPECT_EQ(r.status, i2o::ReqStatus::kSuccess);
    for (std::uint32_t i = 0; i < 4096; ++i)
      ASSERT_EQ(b.bytes()[i], static_cast<std::uint8_t>(i * 13 + 5)) << "byte " << i;
    EXPECT_EQ(b.qp->state(), QpState::kRts);
  });
}

// Requests in flight on the connection when a bad key fails one of them: the others' flushed
// operations are posted again after the recovery, so each still gets its data and a success
// reply, and the failed one its kBadKey reply -- one reply each, none lost or doubled.
TEST(EmulationService, ABadKeyAmongRequestsInFlightFailsOnlyItsOwn) {
  run_bench(
      [](FrameBench& b) {
        HostMemory& m = *b.sys->host.memory;
        // Device blocks 0..3 hold a pattern: written first, one request at a time.
        for (std::uint32_t i = 0; i < 65536; ++i)
          b.bytes()[i] = static_cast<std::uint8_t>(i * 7 + 3);
        for (std::uint32_t k = 0; k < 4; ++k) {
          i2o::Request q;
          q.header.function = static_cast<std::uint8_t>(i2o::Function::kBlockWrite);
          q.header.transaction_context = 100 + k;
          q.byte_count = 16384;
          q.address = std::uint64_t{k} * 16384;
          q.sgl_count = 1;
          q.sgl[0].flags = i2o::sgl_flag::kSimpleAddress | i2o::sgl_flag::kLastElement;
          q.sgl[0].length = 16384;
          q.sgl[0].address = b.data_addr + std::uint64_t{k} * 16384;
          q.sgl[0].key = b.data.rkey;
          const std::size_t len = i2o::encode(q, m.at(b.frame_addr, 512), 512);
          ASSERT_EQ(b.exchange(len).status, i2o::ReqStatus::kSuccess);
        }
        std::memset(b.bytes(), 0, 65536);
        // Now, at once: reads of blocks 0..3 (4 KiB RDMA pieces) and, second, a write whose
        // key the host refuses.
        const std::uint32_t order[5] = {0, 4, 1, 2, 3};  // 4: the bad write
        for (std::uint32_t n = 0; n < 5; ++n) {
          Sge rsge{b.reply_addr + n * 64, 64, b.frames.lkey};
          const verbs::RecvWr rwr{10 + n, &rsge, 1};
          ASSERT_EQ(b.dev->post_recv(*b.ctx, *b.qp, &rwr, 1), 0);
        }
        for (std::uint32_t n = 0; n < 5; ++n) {
          const std::uint32_t k = order[n];
          i2o::Request q;
          q.header.function = static_cast<std::uint8_t>(k == 4 ? i2o::Function::kBlockWrite
                                                               : i2o::Function::kBlockRead);
          q.header.transaction_context = 200 + k;
          q.byte_count = 16384;
          q.address = std::uint64_t{k % 4} * 16384;
          q.sgl_count = 1;
          q.sgl[0].flags = i2o::sgl_flag::kSimpleAddress | i2o::sgl_flag::kLastElement;
          q.sgl[0].length = 16384;
          q.sgl[0].address = b.data_addr + std::uint64_t{k % 4} * 16384;
          q.sgl[0].key = k == 4 ? b.data.rkey + 77 : b.data.rkey;
          const std::uint64_t at = b.frame_addr + 512 + n * 256;
          const std::size_t len = i2o::encode(q, m.at(at, 256), 256);
          Sge ssge{at, static_cast<std::uint32_t>(len), b.frames.lkey};
          verbs::SendWr wr;
          wr.wr_id = n;
          wr.sg_list = &ssge;
          wr.num_sge = 1;
          ASSERT_EQ(b.dev->post_send(*b.ctx, *b.qp, &wr, 1), 0);
        }
        std::map<std::uint32_t, i2o::Reply> replies;
        for (int seen = 0; seen < 10;) {
          WorkCompletion wc;
          ASSERT_EQ(b.dev->spin_poll_cq(*b.ctx, *b.cq, &wc, 1), 1);
          ASSERT_EQ(wc.status, WcStatus::kSuccess);
          ++seen;
          if (!wc.is_recv) continue;
          const auto r =
              i2o::decode_reply(m.at(b.reply_addr + (wc.wr_id - 10) * 64, 64), wc.byte_len);
          ASSERT_TRUE(std::holds_alternative<i2o::Reply>(r));
          const i2o::Reply& reply = std::get<i2o::Reply>(r);
          EXPECT_TRUE(replies.emplace(reply.header.transaction_context, reply).second)
              << "two replies for " << reply.header.transaction_context;
        }
        ASSERT_EQ(replies.size(), 5u);
        EXPECT_EQ(replies[204].detailed_status, i2o::dsc::kBadKey);
        for (std::uint32_t k = 0; k < 4; ++k) {
          EXPECT_EQ(replies[200 + k].status, i2o::ReqStatus::kSuccess) << k;
          EXPECT_EQ(replies[200 + k].bytes_transferred, 16384u) << k;
        }
        for (std::uint32_t i = 0; i < 65536; ++i)
          ASSERT_EQ(b.bytes()[i], static_cast<std::uint8_t>(i * 7 + 3)) << "byte " << i;
        EXPECT_EQ(b.sys->iou.emulation().stats().recoveries, 1u);
        EXPECT_GT(b.sys->iou.emulation().stats().reissued_ops, 0u);  // others were in flight
      },
      // A fast device and small RDMA pieces: the reads are moving data when the write fails.
      {{"iou.emulation.max_rdma_bytes", "1024"},
       {"storage.ssd.read_us", "0"},
       {"storage.ssd.read_mbps", "100000"},
       {"storage.bandwidth_mbps", "100000"}});
}

}  // namespace
}  // namespace hcasim
