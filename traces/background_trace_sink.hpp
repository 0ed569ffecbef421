#pragma once
// Runs the trace's time ordering and its writer (VCD text, FST blocks) on a thread of their
// own: the simulation's thread only notes each change, with the simulated time it was made
// at, in a block; full blocks queue for the worker (up to kBlocks - 1 of them), which hands
// every change to the TimeOrderingSink as if it were made then. The output is the same, byte for
// byte, as without this stage; on a machine with a free core the trace costs the simulation little
// more than the notes (four words each, written inline: TraceSink::note_integer). Errors of the
// stages behind (a misused signal, a failed write) come back at the next hand-over, flush_all() or
// declaration.
#include <array>
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
  // design decision: six blocks of 512 KiB of notes, so that the simulation's thread fills
  // one while up to five wait for the worker or are being passed on. Whichever thread sets the
  // pace then never waits for the other to wake up (traces/worker_thread.hpp), and a long run
  // of the worker's (compressing an FST block) does not stop the simulation at once. Smaller
  // blocks cost the simulation's thread a wake-up of the worker more often; more of them made
  // the worker slower per note (docs/performance.md).
  static constexpr std::size_t kBlocks = 6;
  static constexpr std::size_t kDefaultBlockChanges = std::size_t{1} << 14;
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
  void hand_over();  // queues this block for the worker (waiting for room) and takes the next
  void pass_on();    // on the worker: every note of its oldest block to the TimeOrderingSink
  void log_into(std::vector<std::uint64_t>& block) {
    log_at_ = block.data();
    log_end_ = block.data() + block.size();
  }

  // The blocks, used in turn; their buffers are set up once.
  std::array<std::vector<std::uint64_t>, kBlocks> blocks_;
  // Per block, the changes it holds: written by the simulation's thread before it queues the
  // block, read by the worker after (the queue's lock orders the two).
  std::array<std::size_t, kBlocks> noted_{};
  std::size_t collecting_ = 0;  // the simulation thread's block (log_at_ points into it)
  // The worker's: the oldest block queued.
  alignas(kHostCacheLine) std::size_t passing_ = 0;
  TimeOrderingSink& ordered_;
  // Last: started once the rest is in place, stopped first.
  alignas(kHostCacheLine) WorkerThread worker_;
};

}  // namespace hcasim
