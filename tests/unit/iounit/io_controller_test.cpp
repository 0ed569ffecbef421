// The I/O unit's controller CPUs: work goes to the CPU free first and queues when all are busy.
#include <gtest/gtest.h>

#include "models/iounit/io_controller.hpp"

namespace hcasim {
namespace {

TEST(IoController, OneCpuRunsWorkBackToBack) {
  IoController c("iou0", 1, nullptr);
  EXPECT_EQ(c.run(1000, 500, ControllerWork::kFrame), 1500u);
  EXPECT_EQ(c.run(1000, 100, ControllerWork::kRdmaOp), 1600u);  // waited 500 behind the frame
  EXPECT_EQ(c.run(5000, 100, ControllerWork::kRdmaOp), 5100u);  // idle meanwhile: no wait
  EXPECT_EQ(c.busy_ps(), 700u);
  EXPECT_EQ(c.waited_ps(), 500u);
}

TEST(IoController, SeveralCpusTakeWorkInParallelThenQueue) {
  IoController c("iou0", 2, nullptr);
  EXPECT_EQ(c.run(0, 1000, ControllerWork::kFrame), 1000u);
  EXPECT_EQ(c.run(0, 1000, ControllerWork::kFrame), 1000u);  // the second CPU
  EXPECT_EQ(c.run(0, 1000, ControllerWork::kFrame), 2000u);  // both busy: the first frees first
  EXPECT_EQ(c.cpus()[0].uses() + c.cpus()[1].uses(), 3u);
  EXPECT_EQ(c.waited_ps(), 1000u);
}

TEST(IoController, ZeroWorkCostsNothing) {
  IoController c("iou0", 1, nullptr);
  c.run(0, 1000, ControllerWork::kFrame);
  EXPECT_EQ(c.run(200, 0, ControllerWork::kRdmaOp), 200u);  // not held up by the busy CPU
  EXPECT_EQ(c.busy_ps(), 1000u);
}

}  // namespace
}  // namespace hcasim
