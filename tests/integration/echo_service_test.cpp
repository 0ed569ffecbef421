// The I/O unit's message service (EchoService) has no thread: calendar actions run it when
// completions land. It must still answer every request in each of its modes, also when its
// send queue is full, and its firmware time must delay each reply by exactly iou.service_ns.
// Each TEST runs in its own process (SystemC elaborates once per process).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "models/core/lookahead.hpp"
#include "models/iounit/echo_service.hpp"
#include "tests/integration/hca_test_bench.hpp"

namespace hcasim {
namespace {

using hca_test::Bench;

// A reliable connection between the host (driven by the bench thread) and an EchoService.
struct Connection {
  CompletionQueue* hcq = nullptr;
  QueuePair* hqp = nullptr;
  std::unique_ptr<EchoService> echo;
};

// Opens a connection whose I/O unit send queue holds `iou_sq` WQEs and serves it (elaboration).
Connection serve(Bench& b, const char* name, const IouParams& params, const EchoConfig& config,
                 std::uint32_t iou_sq = 64) {
  Connection c;
  c.hcq = &b.host().create_cq(256);
  CompletionQueue& icq = b.iou().create_cq(256);
  c.hqp = &b.host().create_qp(*c.hcq, *c.hcq, 64, 64);
  QueuePair& iqp = b.iou().create_qp(icq, icq, iou_sq, 64);
  b.sys->host.hca->connect(c.hqp->qpn, b.sys->iou.hca->port_address(), iqp.qpn);
  b.sys->iou.hca->connect(iqp.qpn, b.sys->host.hca->port_address(), c.hqp->qpn);
  c.echo = std::make_unique<EchoService>(name, params, b.iou(), iqp, icq, config);
  return c;
}

// What the host saw of a burst of requests.
struct Burst {
  std::uint64_t sent = 0, send_errors = 0;
  std::vector<std::uint32_t> reply_lengths;  // in the order the replies landed
  Picos first_reply_landed = 0;
};

// Posts a receive for every expected reply, then `lengths.size()` SENDs back to back, and
// waits until each has completed and `replies` replies have come back.
Burst send_burst(Bench& b, Connection& c, const std::vector<std::uint32_t>& lengths,
                 std::uint64_t replies) {
  const Sge out = b.host_buffer(256);
  const Sge in = b.host_buffer(256);
  for (std::uint64_t i = 0; i < replies; ++i) EXPECT_TRUE(b.host().post_recv(*c.hqp, i, in));
  SendRequest wr;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    wr.wr_id = i;
    wr.sges = {Sge{out.addr, lengths[i], out.lkey}};
    EXPECT_TRUE(b.host().post_send(*c.hqp, wr));
  }
  Burst seen;
  while (seen.sent < lengths.size() || seen.reply_lengths.size() < replies) {
    const WorkCompletion wc = b.next(*c.hcq, b.host());
    if (!wc.is_recv) {
      ++seen.sent;
      if (wc.status != WcStatus::kSuccess) ++seen.send_errors;
      continue;
    }
    EXPECT_EQ(wc.status, WcStatus::kSuccess);
    if (seen.reply_lengths.empty()) seen.first_reply_landed = wc.landed_ps;
    seen.reply_lengths.push_back(wc.byte_len);
  }
  return seen;
}

std::vector<std::uint32_t> varied_lengths(std::size_t n) {
  std::vector<std::uint32_t> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(static_cast<std::uint32_t>(8 * (i % 7 + 1)));
  return v;
}

TEST(EchoService, AnswersEveryRequestWithTheRequestsLengthInOrder) {
  Burst seen;
  const std::vector<std::uint32_t> lengths = varied_lengths(40);
  Connection c;
  Bench b([&](Bench& bench) { seen = send_burst(bench, c, lengths, lengths.size()); });
  EchoConfig config;
  config.max_request = 256;
  config.reply = EchoConfig::Reply::kSameLength;
  c = serve(b, "echo", b.sys->iou_params, config);
  hca_test::run_bench(b);
  EXPECT_EQ(seen.send_errors, 0u);
  EXPECT_EQ(seen.reply_lengths, lengths);
  EXPECT_EQ(c.echo->messages(), 40u);
  EXPECT_EQ(c.echo->requests(), 40u);
  EXPECT_EQ(c.echo->errors(), 0u);
}

TEST(EchoService, FixedRepliesWaitForRoomInAFullSendQueue) {
  // Two send WQEs and no firmware time: the burst's replies outrun their acknowledgements, so
  // the service must wait for the landing of a reply's completion again and again.
  Burst seen;
  Connection c;
  Bench b([&](Bench& bench) { seen = send_burst(bench, c, varied_lengths(40), 40); },
          {{"iou.service_ns", "0"}});
  EchoConfig config;
  config.max_request = 256;
  config.reply_size = 24;
  c = serve(b, "echo", b.sys->iou_params, config, /*iou_sq=*/2);
  hca_test::run_bench(b);
  EXPECT_EQ(seen.send_errors, 0u);
  EXPECT_EQ(seen.reply_lengths, std::vector<std::uint32_t>(40, 24));
  EXPECT_EQ(c.echo->messages(), 40u);
  EXPECT_EQ(c.echo->requests(), 40u);
  EXPECT_EQ(c.echo->errors(), 0u);
}

// A sink fed `messages` SENDs of varied lengths, with `sets` on top of the defaults.
struct SinkRun {
  Burst seen;
  std::uint64_t messages = 0, errors = 0;
  // The doorbells the unit's adapter decoded: receive doorbells only (a sink sends nothing and
  // never arms its CQ).
  std::uint64_t doorbells = 0;
};
SinkRun run_sink(std::uint64_t messages, std::vector<std::pair<std::string, std::string>> sets) {
  SinkRun run;
  Connection c;
  Bench b([&](Bench& bench) { run.seen = send_burst(bench, c, varied_lengths(messages), 0); },
          std::move(sets));
  EchoConfig config;
  config.max_request = 256;
  config.reply = EchoConfig::Reply::kNone;
  config.shared_buffer = true;
  c = serve(b, "sink", b.sys->iou_params, config);
  hca_test::run_bench(b);
  run.messages = c.echo->messages();
  run.errors = c.echo->errors();
  run.doorbells = b.sys->iou.hca->counters().doorbells;
  return run;
}

TEST(EchoService, SinkRepostsEveryReceiveAndAnswersNothing) {
  // Eight receives for forty messages: each must go back soon after its message is taken, or
  // the sender's (finite) retries for want of a receive (RNR) would run out.
  const SinkRun run = run_sink(40, {{"iou.recv_depth", "8"}, {"hca.rnr_retry", "6"}});
  EXPECT_EQ(run.seen.sent, 40u);
  EXPECT_EQ(run.seen.send_errors, 0u);
  EXPECT_TRUE(run.seen.reply_lengths.empty());
  EXPECT_EQ(run.messages, 40u);
  EXPECT_EQ(run.errors, 0u);
}

// The receive doorbells of a sink fed `messages` SENDs, all of which it must take.
std::uint64_t sink_doorbells(std::uint64_t messages,
                             std::vector<std::pair<std::string, std::string>> sets) {
  const SinkRun run = run_sink(messages, std::move(sets));
  EXPECT_EQ(run.seen.sent, messages);
  EXPECT_EQ(run.seen.send_errors, 0u);
  EXPECT_EQ(run.messages, messages);
  return run.doorbells;
}

TEST(EchoService, RepostsReceivesInBatchesWithOneDoorbellEach) {
  // 64 receives go as one list (one doorbell); then one doorbell per 16 reposts: 40 messages
  // ring two more, and the last 8 reposts wait for the next batch.
  EXPECT_EQ(sink_doorbells(40, {}), 1u + 40 / 16);
}

TEST(EchoService, RecvBatchOfOneRingsForEveryRepost) {
  EXPECT_EQ(sink_doorbells(40, {{"iou.recv_batch", "1"}}), 1u + 40);
}

TEST(EchoService, RecvBatchIsCappedAtAQuarterOfTheDepth) {
  // Eight receives: batches of two, so that six stay posted while a batch fills.
  EXPECT_EQ(sink_doorbells(
                40, {{"iou.recv_depth", "8"}, {"iou.recv_batch", "16"}, {"hca.rnr_retry", "6"}}),
            1u + 40 / 2);
}

TEST(EchoService, FirmwareTimeDelaysTheReplyByExactlyServiceNs) {
  // Two services, one without firmware time and one with 2 us of it; one request each, sent
  // at the same phase of every clock (50 us and 100 us) on an otherwise idle system.
  Burst fast, slow;
  Connection quick, busy;
  Bench b([&](Bench& bench) {
    Lookahead::wait_until(50'000'000);
    fast = send_burst(bench, quick, {8}, 1);
    fast.first_reply_landed -= 50'000'000;
    Lookahead::wait_until(100'000'000);
    slow = send_burst(bench, busy, {8}, 1);
    slow.first_reply_landed -= 100'000'000;
  });
  EchoConfig config;
  config.max_request = 64;
  config.reply_size = 8;
  IouParams none = b.sys->iou_params, two_us = b.sys->iou_params;
  none.service_ns = 0;
  two_us.service_ns = 2000;
  quick = serve(b, "quick", none, config);
  busy = serve(b, "busy", two_us, config);
  hca_test::run_bench(b);
  EXPECT_GT(fast.first_reply_landed, 0u);
  EXPECT_EQ(slow.first_reply_landed - fast.first_reply_landed, 2'000'000u);
  EXPECT_EQ(quick.echo->requests(), 1u);
  EXPECT_EQ(busy.echo->requests(), 1u);
}

}  // namespace
}  // namespace hcasim
