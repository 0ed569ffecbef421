#pragma once
// Runs the trace's time ordering and its writer (VCD text, FST blocks) on a thread of their
// own: the simulation's thread only notes each change, with the simulated time it was made
// at, in a block; full blocks go to the worker, which hands every change to the
// TimeOrderingSink as if it were made then. The output is the same, byte for byte, as without
// this stage; on a machine with a free core the trace costs the simulation little more than
// the notes (four words each, written inline: TraceSink::note_integer). Errors of the stages behind
// (a misused signal, a failed write) come back at the next hand-over, flush_all() or declaration.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "models/core/trace_source.hpp"
#include "traces/host_cache_line.hpp"
#include "traces/time_ordering_sink.hpp"
#include "traces/worker_thread.hpp"

namespace hcasim {

// Its two threads' fields are on separate cache lines (kHostCacheLine).
class alignas(kHostCacheLine) BackgroundTraceSink : public TraceSink {
 public:
  static constexpr std::size_t kDefaultBlockChanges = std::size_t{1} << 14;  // 512 KiB of notes
  explicit BackgroundTraceSink(TimeOrderingSink& ordered,
                               std::size_t block_changes = kDefaultBlockChanges);
  ~BackgroundTraceSink() override = default;  // the worker finishes its block, then stops

  // Declarations reach the stages behind once the worker is idle (they happen while the
  // models are built; a change at time 0 before them is an initial value).
  SignalId declare_integer(const std::string& path, unsigned width, std::uint64_t init) override;
  SignalId declare_enum(const std::string& path, const std::vector<std::string>& labels,
                        std::uint64_t init) override;
  SignalId declare_real(const std::string& path, double init) override;

  // Changes made on the simulation's thread: four words each in the log (TracedInt writes them
  // inline through TraceSink::note_integer; these are for the callers that name the sink).
  void change_integer(SignalId id, std::uint64_t t, std::uint64_t v) override {
    log_note(t, now_ps(), id, v);
  }
  void change_real(SignalId id, std::uint64_t t, double v) override;
  void change_delta(SignalId id, std::uint64_t t, std::uint64_t delta) override {
    log_note(t, now_ps(), id | kLogDelta, delta);
  }

  // Hands over what is noted and waits until the worker has passed it all on.
  void drain();
  // drain(), then TimeOrderingSink::flush_all() (end of simulation).
  std::uint64_t flush_all();

 private:
  void log_full() override { hand_over(); }
  void hand_over();  // waits for the worker's block, swaps, starts the worker on this one
  void pass_on();    // on the worker: every note of its block to the TimeOrderingSink
  void log_into(std::vector<std::uint64_t>& block) {
    log_at_ = block.data();
    log_end_ = block.data() + block.size();
  }

  // The simulation thread's block (log_at_ points into it).
  std::vector<std::uint64_t> collecting_;
  // The worker's while it runs.
  alignas(kHostCacheLine) std::vector<std::uint64_t> passing_;
  std::size_t to_pass_ = 0;  // changes in passing_
  TimeOrderingSink& ordered_;
  // Last: started once the rest is in place, stopped first.
  alignas(kHostCacheLine) WorkerThread worker_;
};

}  // namespace hcasim
