#include "traces/background_trace_sink.hpp"

#include <cstring>
#include <utility>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace hcasim {

BackgroundTraceSink::BackgroundTraceSink(TimeOrderingSink& ordered, std::size_t block_changes)
    : ordered_(ordered), worker_([this] { pass_on(); }, kBlocks - 1) {
  for (auto& block : blocks_) block.resize((block_changes ? block_changes : 1) * kLogWords);
  log_into(blocks_[collecting_]);
}

TraceSink::SignalId BackgroundTraceSink::declare_integer(const std::string& path, unsigned width,
                                                         std::uint64_t init) {
  drain();
  return ordered_.declare_integer(path, width, init);
}

TraceSink::SignalId BackgroundTraceSink::declare_enum(const std::string& path,
                                                      const std::vector<std::string>& labels,
                                                      std::uint64_t init) {
  drain();
  return ordered_.declare_enum(path, labels, init);
}

TraceSink::SignalId BackgroundTraceSink::declare_real(const std::string& path, double init) {
  drain();
  return ordered_.declare_real(path, init);
}

void BackgroundTraceSink::change_real(SignalId id, std::uint64_t t, double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  log_note(t, now_ps(), id | kLogReal, bits);
}

void BackgroundTraceSink::hand_over() {
#if defined(__SSE2__) && defined(__x86_64__)
  _mm_sfence();  // the streamed notes are visible before the worker is told of them
#endif
  std::vector<std::uint64_t>& block = blocks_[collecting_];
  const auto noted = static_cast<std::size_t>(log_at_ - block.data()) / kLogWords;
  if (noted == 0) return;
  noted_[collecting_] = noted;
  // Waits while kBlocks - 1 blocks are queued: the next block in turn is then the one the
  // worker finished last.
  try {
    worker_.submit();
  } catch (...) {
    log_into(block);  // a stage behind failed: the notes are dropped, the block is usable
    throw;
  }
  collecting_ = (collecting_ + 1) % kBlocks;
  log_into(blocks_[collecting_]);
}

void BackgroundTraceSink::drain() {
  hand_over();
  worker_.wait();
}

std::uint64_t BackgroundTraceSink::flush_all() {
  drain();
  return ordered_.flush_all();
}

// A note's kind is the two bits above its signal id: no branch to tell them apart.
static_assert(TraceSink::kLogReal >> 32 == static_cast<unsigned>(TimeOrderingSink::Kind::kReal));
static_assert(TraceSink::kLogDelta >> 32 == static_cast<unsigned>(TimeOrderingSink::Kind::kDelta));
static_assert(static_cast<unsigned>(TimeOrderingSink::Kind::kInteger) == 0);

void BackgroundTraceSink::pass_on() {
  TimeOrderingSink& ordered = ordered_;
  const std::size_t block = passing_;
  passing_ = (passing_ + 1) % kBlocks;  // the next run takes the next block, whatever this one does
  const std::uint64_t* n = blocks_[block].data();
  for (const std::uint64_t* const end = n + noted_[block] * kLogWords; n != end; n += kLogWords) {
    const auto id = static_cast<SignalId>(n[2]);
    const auto kind = static_cast<TimeOrderingSink::Kind>((n[2] >> 32) & 3);
    ordered.change_at(id, n[0], n[3], kind, n[1]);
  }
}

}  // namespace hcasim
