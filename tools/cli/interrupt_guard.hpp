#pragma once
// While a run simulates, SIGINT and SIGTERM keep the promise that no output file looks complete
// when it is not: the streamed trace (trace.vcd.tmp) is renamed to trace.vcd.partial, stderr
// says where it is and that no summary was written, and the process then dies of the signal as
// it would have, so a shell or a sweep sees the interruption (docs/bad-input.md). An FST trace is
// readable up to its last complete block of changes (traces/fst_writer.hpp), so
// trace.fst.partial holds the trace up to shortly before the interruption; interrupted before
// its first block, it is not a file a viewer opens and is removed instead.
#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <string>

#include "traces/trace_writer.hpp"

namespace hcasim::cli {

class InterruptGuard {
 public:
  static constexpr const char* kPartialTrace = "trace.vcd.partial";
  static constexpr const char* kPartialFstTrace = "trace.fst.partial";

  // Installs the handler for SIGINT and SIGTERM (unless the parent ignores them: nohup, a
  // background job). On a signal while `tracing`, `trace_temp` is renamed to `trace_partial`
  // when the writer given to trace_written_by() says the cut file is readable, else removed.
  InterruptGuard(std::string trace_temp, std::string trace_partial, bool tracing);
  ~InterruptGuard();  // restores the previous handlers
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // The outputs are being committed: a signal now waits until commit_ends(), when all of them
  // are in place, and then ends the process with its default action.
  void commit_begins();
  void commit_ends();

  // The writer of `trace_temp`, asked on a signal; it must outlive the guard (declare it
  // first) or be replaced by nullptr before it goes.
  void trace_written_by(const TraceWriter* writer) { writer_.store(writer); }

 private:
  static void on_signal(int sig);

  static InterruptGuard* instance_;
  std::string trace_temp_;
  std::string trace_partial_;
  bool tracing_;
  std::atomic<const TraceWriter*> writer_{nullptr};
  static_assert(std::atomic<const TraceWriter*>::is_always_lock_free, "read in the handler");
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  sigset_t blocked_before_{};
  bool committing_ = false;
};

}  // namespace hcasim::cli
