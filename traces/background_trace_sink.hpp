#pragma once
// Runs the trace's time ordering and its writer (VCD text, FST blocks) on a thread of their
// own: the simulation's thread only notes each change, with the simulated time it was made
// at, in a block; full blocks go to the worker, which hands every change to the
// TimeOrderingSink as if it were made then. The output is the same, byte for byte, as without
// this stage; on a machine with a free core the trace costs the simulation little more than
// the notes. Errors of the stages behind (a misused signal, a failed write) come back at the
// next hand-over, flush_all() or declaration.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

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

  // Hot path: a 32-byte note, no allocation.
  void change_integer(SignalId id, std::uint64_t t, std::uint64_t v) override {
    note(t, now_ps(), id, false, v);
  }
  void change_real(SignalId id, std::uint64_t t, double v) override;

  // Hands over what is noted and waits until the worker has passed it all on.
  void drain();
  // drain(), then TimeOrderingSink::flush_all() (end of simulation).
  std::uint64_t flush_all();

 private:
  struct Note {         // four words (note() streams them)
    std::uint64_t t;    // when the change takes effect
    std::uint64_t now;  // simulated time when it was made
    SignalId id;
    bool real;
    std::uint64_t bits;
  };
  static_assert(sizeof(Note) == 32, "note() streams a note as four words");
  void note(std::uint64_t t, std::uint64_t now, SignalId id, bool real, std::uint64_t bits) {
    Note* const to = &collecting_[collected_++];
#if defined(__SSE2__) && defined(__x86_64__)
    // Streamed past the cache: the block's lines were last read by the worker's core, and
    // ordinary stores would each wait to take a line back from it, holding up the stores
    // behind them (hand_over() fences before the worker reads them). The words are made in
    // registers (x86 is little-endian: id, then real, in the third).
    static_assert(offsetof(Note, id) == 16 && offsetof(Note, real) == 20);
    auto* p = reinterpret_cast<long long*>(to);
    _mm_stream_si64(p, static_cast<long long>(t));
    _mm_stream_si64(p + 1, static_cast<long long>(now));
    _mm_stream_si64(p + 2, static_cast<long long>(id | std::uint64_t{real} << 32));
    _mm_stream_si64(p + 3, static_cast<long long>(bits));
#else
    *to = Note{t, now, id, real, bits};
#endif
    if (collected_ == collecting_.size()) hand_over();
  }
  void hand_over();  // waits for the worker's block, swaps, starts the worker on this one
  void pass_on();    // on the worker: every note of its block to the TimeOrderingSink

  // The simulation thread's, written at every note.
  std::vector<Note> collecting_;
  std::size_t collected_ = 0;
  // The worker's while it runs.
  alignas(kHostCacheLine) std::vector<Note> passing_;
  std::size_t to_pass_ = 0;
  TimeOrderingSink& ordered_;
  // Last: started once the rest is in place, stopped first.
  alignas(kHostCacheLine) WorkerThread worker_;
};

}  // namespace hcasim
