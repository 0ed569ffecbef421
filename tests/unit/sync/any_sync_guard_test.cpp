// The runtime-chosen guard runs the kind it was asked for, through the common interface.
#include "host_os/sync/any_sync_guard.hpp"

#include <gtest/gtest.h>

#include "tests/unit/sync/recording_platform.hpp"

namespace hcasim::sync {
namespace {

using testing::RecordingPlatform;
using Ctx = RecordingPlatform::Context;

class AnySyncGuardTest : public ::testing::TestWithParam<SyncKind> {};

TEST_P(AnySyncGuardTest, RunsTheChosenKind) {
  RecordingPlatform p;
  AnySyncGuard<RecordingPlatform> g(p, GetParam());
  EXPECT_EQ(g.kind(), GetParam());
  Ctx w{1}, u{2};
  ASSERT_TRUE(g.enter(w));
  EXPECT_EQ(g.state(), GuardState::working);
  EXPECT_EQ(g.active(), 1u);
  g.exit(w);
  ASSERT_TRUE(g.try_enter(w));
  g.exit(w);
  int updates = 0;
  ASSERT_TRUE(g.update(u, [&] { ++updates; }));
  ASSERT_TRUE(g.begin_update(u));
  EXPECT_TRUE(g.update_pending());
  EXPECT_EQ(g.end_update(u), 0u);
  ASSERT_TRUE(g.destroy(u, [&] { ++updates; }));
  EXPECT_EQ(updates, 2);
  EXPECT_TRUE(g.destroyed());
  EXPECT_FALSE(g.enter(w));
  const SyncStats s = g.stats();
  EXPECT_EQ(s.enters, 2u);
  EXPECT_EQ(s.exits, 2u);
  EXPECT_EQ(s.updates, 3u);
}

TEST_P(AnySyncGuardTest, OnlyTheGlobalLockHoldsALockWhileWorking) {
  RecordingPlatform p;
  AnySyncGuard<RecordingPlatform> g(p, GetParam());
  Ctx w{1};
  ASSERT_TRUE(g.enter(w));
  EXPECT_EQ(p.locks_held(), GetParam() == SyncKind::global_lock ? 1 : 0);
  g.exit(w);
}

INSTANTIATE_TEST_SUITE_P(Kinds, AnySyncGuardTest, ::testing::ValuesIn(kAllSyncKinds),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace hcasim::sync
