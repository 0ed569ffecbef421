#include "host_os/sync/sync_kind.hpp"

#include <gtest/gtest.h>

namespace hcasim::sync {
namespace {

TEST(SyncKind, NamesRoundTrip) {
  EXPECT_EQ(to_string(SyncKind::algorithm), "algorithm");
  EXPECT_EQ(to_string(SyncKind::global_lock), "global_lock");
  EXPECT_EQ(to_string(SyncKind::rwlock), "rwlock");
  EXPECT_EQ(to_string(SyncKind::algorithm_atomic), "algorithm_atomic");
  EXPECT_EQ(to_string(SyncKind::percpu), "percpu");
  for (SyncKind kind : kAllSyncKinds) EXPECT_EQ(sync_kind_from_string(to_string(kind)), kind);
}

TEST(SyncKind, RejectsOtherNames) {
  EXPECT_EQ(sync_kind_from_string(""), std::nullopt);
  EXPECT_EQ(sync_kind_from_string("Algorithm"), std::nullopt);
  EXPECT_EQ(sync_kind_from_string("rw_lock"), std::nullopt);
  EXPECT_EQ(sync_kind_from_string("per_cpu"), std::nullopt);
}

}  // namespace
}  // namespace hcasim::sync
