// The adapter's traced stage operations: each enum's labels come from its own table, a stage
// declares them with its "<stage>_op" signal and sets the signal from the enum, so the value in
// the VCD and the name GTKWave shows for it agree.
#include "models/hca/stage_ops.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "models/core/occupancy.hpp"

namespace hcasim {
namespace {

// Remembers what a stage declared and every value its op signal took.
struct RecordingSink : TraceSink {
  std::vector<std::string> paths;
  std::vector<std::vector<std::string>> labels;  // per signal (empty: not an enum)
  std::vector<std::pair<SignalId, std::uint64_t>> changes;
  SignalId declare_integer(const std::string& path, unsigned, std::uint64_t) override {
    paths.push_back(path);
    labels.emplace_back();
    return SignalId(paths.size() - 1);
  }
  SignalId declare_enum(const std::string& path, const std::vector<std::string>& l,
                        std::uint64_t) override {
    paths.push_back(path);
    labels.push_back(l);
    return SignalId(paths.size() - 1);
  }
  SignalId declare_real(const std::string& path, double) override {
    return declare_integer(path, 0, 0);
  }
  void change_integer(SignalId id, std::uint64_t, std::uint64_t value) override {
    changes.emplace_back(id, value);
  }
  void change_real(SignalId, std::uint64_t, double) override {}
};

TEST(StageOps, LabelListsFollowTheEnums) {
  EXPECT_EQ(label_list<PacketOp>(),
            (std::vector<std::string>{"idle", "send", "rdma_write", "read_request", "read_response",
                                      "ack", "nak"}));
  EXPECT_EQ(label_list<DoorbellOp>(),
            (std::vector<std::string>{"idle", "send_queue", "recv_queue", "cq_arm"}));
  EXPECT_EQ(label_list<CqeOp>(), (std::vector<std::string>{"idle", "send", "recv", "error"}));
}

TEST(StageOps, EveryPacketKindAndDoorbellKindHasItsOwnNamedOp) {
  const auto packet_labels = label_list<PacketOp>();
  const std::pair<PacketKind, const char*> kinds[] = {{PacketKind::kSend, "send"},
                                                      {PacketKind::kRdmaWrite, "rdma_write"},
                                                      {PacketKind::kReadRequest, "read_request"},
                                                      {PacketKind::kReadResponse, "read_response"},
                                                      {PacketKind::kAck, "ack"},
                                                      {PacketKind::kNak, "nak"}};
  for (const auto& [kind, name] : kinds)
    EXPECT_EQ(packet_labels.at(static_cast<std::size_t>(packet_op(kind))), name);
  const auto doorbell_labels = label_list<DoorbellOp>();
  EXPECT_EQ(doorbell_labels.at(std::size_t(doorbell_op(DoorbellKind::kSend))), "send_queue");
  EXPECT_EQ(doorbell_labels.at(std::size_t(doorbell_op(DoorbellKind::kRecv))), "recv_queue");
  EXPECT_EQ(doorbell_labels.at(std::size_t(doorbell_op(DoorbellKind::kCqArm))), "cq_arm");
}

TEST(StageOps, AStageTracesTheEnumValueItWorksOnThenIdle) {
  RecordingSink sink;
  TracedResource stage;
  stage.attach<PacketOp>(&sink, "hca.rx");
  // One signal: the op names the work and its idle value says the stage is free.
  ASSERT_EQ(sink.paths, (std::vector<std::string>{"hca.rx_op"}));
  EXPECT_EQ(sink.labels[0], label_list<PacketOp>());
  EXPECT_EQ(stage.reserve(100, 30, PacketOp::kNak), 100u);
  // op nak, then idle when the 30 ps are over
  const std::vector<std::pair<TraceSink::SignalId, std::uint64_t>> expected = {
      {0, std::uint64_t(PacketOp::kNak)}, {0, std::uint64_t(PacketOp::kIdle)}};
  EXPECT_EQ(sink.changes, expected);
}

TEST(StageOps, AStageWithoutOpLabelsTracesABusyBit) {
  RecordingSink sink;
  TracedResource stage;
  stage.attach(&sink, "hca.wqe_parse");
  ASSERT_EQ(sink.paths, (std::vector<std::string>{"hca.wqe_parse_busy"}));
  EXPECT_EQ(stage.reserve(100, 30), 100u);
  const std::vector<std::pair<TraceSink::SignalId, std::uint64_t>> expected = {{0, 1}, {0, 0}};
  EXPECT_EQ(sink.changes, expected);
}

}  // namespace
}  // namespace hcasim
