#pragma once
// The QP state changes that touch the whole QP context: RESET (discard everything without
// completions), ERR (flush every outstanding and later-posted work request with a flush
// completion) and SQE (the same for the send queue only). Firmware commands, the doorbell
// unit and the transports use them.
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
  // Enters SQE (an unreliable-datagram QP's send failed locally) and flushes every outstanding
  // and later-posted send; receives go on. Software moves the QP back to RTS.
  void send_queue_error(QpContext& qp, Picos at);

 private:
  void flush_sends(QpContext& qp, Picos at);

  AdapterCore& core_;
  CompletionEngine& completions_;
};

}  // namespace hcasim
