#pragma once
// The two QP state changes that touch the whole QP context: RESET (discard everything without
// completions) and ERR (flush every outstanding and later-posted work request with a flush
// completion). Firmware commands, the doorbell unit and the transport all use them.
#include "models/hca/adapter_core.hpp"
#include "models/hca/completion_engine.hpp"

namespace hcasim {

class QpLifecycle {
 public:
  QpLifecycle(AdapterCore& core, CompletionEngine& completions)
      : core_(core), completions_(completions) {}

  // Discards what the QP holds without completions: indices, PSNs, the transport's state and
  // the connection. Actions and fetches already under way belong to the old epoch.
  void reset(QpContext& qp);
  // Enters ERR and flushes. `adapter_error`: the adapter's own doing (raises QpFatal once), not
  // software's modify_qp or a doorbell to a QP already in error.
  void error(QpContext& qp, Picos at, bool adapter_error = true);

 private:
  AdapterCore& core_;
  CompletionEngine& completions_;
};

}  // namespace hcasim
