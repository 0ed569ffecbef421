// The QP state machine against rdma-core's table, written out here by hand (not derived from
// the code under test): RESET->INIT, INIT->RTR, RTR->RTS, RTS<->SQD, SQE->RTS, any state to
// RESET or ERR, and each state to itself. Everything else is refused.
#include <gtest/gtest.h>

#include "models/hca/qp_state.hpp"

namespace hcasim {
namespace {

constexpr QpState kAllQpStates[] = {QpState::kReset, QpState::kInit, QpState::kRtr,  QpState::kRts,
                                    QpState::kSqd,   QpState::kSqe,  QpState::kError};

TEST(QpState, TransitionsFollowTheVerbsTable) {
  // Rows: from; columns: to, in the order RESET INIT RTR RTS SQD SQE ERR.
  const bool allowed[7][7] = {
      /* RESET */ {1, 1, 0, 0, 0, 0, 1},
      /* INIT  */ {1, 1, 1, 0, 0, 0, 1},
      /* RTR   */ {1, 0, 1, 1, 0, 0, 1},
      /* RTS   */ {1, 0, 0, 1, 1, 0, 1},
      /* SQD   */ {1, 0, 0, 1, 1, 0, 1},
      /* SQE   */ {1, 0, 0, 1, 0, 1, 1},
      /* ERR   */ {1, 0, 0, 0, 0, 0, 1},
  };
  for (int f = 0; f < 7; ++f)
    for (int t = 0; t < 7; ++t)
      EXPECT_EQ(qp_transition_allowed(kAllQpStates[f], kAllQpStates[t]), allowed[f][t] != 0)
          << to_string(kAllQpStates[f]) << " -> " << to_string(kAllQpStates[t]);
}

TEST(QpState, WhereWorkRequestsMayBePosted) {
  EXPECT_FALSE(qp_accepts_sends(QpState::kReset));
  EXPECT_FALSE(qp_accepts_sends(QpState::kInit));
  EXPECT_FALSE(qp_accepts_sends(QpState::kRtr));
  EXPECT_TRUE(qp_accepts_sends(QpState::kRts));
  EXPECT_TRUE(qp_accepts_sends(QpState::kError));  // they complete with a flush error
  EXPECT_FALSE(qp_accepts_receives(QpState::kReset));
  EXPECT_TRUE(qp_accepts_receives(QpState::kInit));
  EXPECT_TRUE(qp_accepts_receives(QpState::kRtr));
  EXPECT_TRUE(qp_accepts_receives(QpState::kError));
}

}  // namespace
}  // namespace hcasim
