#pragma once
// An FST writer (GTKWave's compressed trace format), written by hcasim itself: no VCD text is
// formatted, piped or parsed, so a traced run costs little more than an untraced one and the
// file is far smaller than the VCD of the same changes. docs/user-guide.md describes the file.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "traces/atomic_file.hpp"
#include "traces/deflate_compressor.hpp"
#include "traces/host_cache_line.hpp"
#include "traces/trace_writer.hpp"
#include "traces/worker_thread.hpp"

namespace hcasim {

// Writes "<path>.tmp" and renames it to `path` when finish() succeeds (AtomicFile); destroyed
// before that, it leaves nothing behind. The declarations, coalescing, window and misuse checks
// are the TraceWriter's (trace_writer.hpp), as for the VCD, so both files hold the same changes.
//
// The file: a header block, the hierarchy (gzip) and geometry blocks, then value-change blocks.
// Changes are kept in memory per signal (the block's "chains") and written as one block when
// they reach the block size, so memory stays flat however long the run. After each block the
// header is rewritten to count it: the ".tmp" file is a readable FST of every block written so
// far (an interrupted run keeps it as trace.fst.partial). Integers are written as bit vectors of
// their width (enums too: the .gtkw filters name their values), reals as IEEE doubles.
class FstWriter final : public TraceWriter {
 public:
  // design decision: 1 MiB of encoded changes per block keeps the writer's memory small against
  // the model's while a block still holds about fifty thousand changes (compression works well
  // on it: the file is 2-3 % larger than with 2 MiB blocks). On two cores the trace's thread
  // compresses each block itself, and the simulation waits once the notes queued for it run
  // out: halving the block halves that pause (FST runs 6-14 % faster, docs/performance.md).
  // Blocks start at kFirstBlockBytes and double up to the block size, so that a short or
  // interrupted run has its first changes on disk soon.
  static constexpr std::size_t kDefaultBlockBytes = std::size_t{1} << 20;
  static constexpr std::size_t kFirstBlockBytes = std::size_t{64} << 10;

  // Where a full block is compressed and written: on a thread of its own, or by the thread
  // that fills the blocks, which then waits for it.
  enum class EncodeOn { kOwnThread, kCallerThread };
  // design decision: on its own thread only when the process may use three cores or more. The
  // simulation's thread and the trace's thread (BackgroundTraceSink) keep two cores busy; a
  // third thread on two cores cost FST runs 7 % of their wall time (it preempts one of the
  // other two, docs/performance.md). The bytes written are the same either way.
  static EncodeOn default_encode_on();

  // Opens "<path>.tmp"; throws std::runtime_error if it cannot be created (the directory must
  // exist). `block_bytes` (>= 1) bounds the encoded changes held before a block is written.
  explicit FstWriter(std::string path, std::size_t block_bytes = kDefaultBlockBytes,
                     EncodeOn encode_on = default_encode_on());
  ~FstWriter() override;
  FstWriter(const FstWriter&) = delete;
  FstWriter& operator=(const FstWriter&) = delete;

  // Value-change blocks complete on disk so far.
  std::uint64_t blocks_written() const { return blocks_.load(); }
  // GTKWave's readers refuse an FST without a block of changes.
  bool cut_file_is_readable() const noexcept override { return blocks_.load() != 0; }

 private:
  void write_header() override;
  void write_time(std::uint64_t time_ps) override;
  void write_initial_values(const std::vector<std::uint64_t>& values) override;
  void write_end() override;
  void write_pending() override;  // with append_time and append_value inlined
  // The time and a value, appended; inlined where they run for every change.
  [[gnu::always_inline]] inline void append_time(std::uint64_t time_ps);
  [[gnu::always_inline]] inline void append_value(SignalId id, std::uint64_t bits);

  // The header counting `blocks` value-change blocks, at the start of the file; then back to
  // its end.
  void write_file_header_counting(std::uint64_t blocks);
  void write_hierarchy_and_geometry();
  // Hands the block collected to the encoding thread (after it is done with the one before),
  // or encodes it here (EncodeOn::kCallerThread), and starts the next.
  void flush_block();
  struct Block;
  void encode_block(const Block& b);  // on the encoding thread (or the caller's)
  void wait_for_encoder();            // rethrows what the encoding failed with
  void put_block(std::uint8_t type, const std::vector<std::uint8_t>& body);
  // zlib's format of n bytes at `in` into deflater_: its size when smaller than n, else 0
  // (store the bytes as they are).
  std::size_t compress(const std::uint8_t* in, std::size_t n);
  std::size_t compress(const std::vector<std::uint8_t>& in) {
    return compress(in.data(), in.size());
  }
  // Appends n bytes at `raw`, or their compressed form when `zipped` (compress()'s result) is
  // not 0.
  void put_section(const std::uint8_t* raw, std::size_t n, std::size_t zipped);
  void put_section(const std::vector<std::uint8_t>& raw, std::size_t zipped) {
    put_section(raw.data(), raw.size(), zipped);
  }
  void check_io(const char* what);

  AtomicFile file_;
  std::size_t max_block_bytes_;
  std::size_t block_limit_ = kFirstBlockBytes;  // this block's size, doubling up to the max
  std::uint64_t scopes_ = 0;
  std::atomic<std::uint64_t> blocks_{0};
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
                "cut_file_is_readable() reads it in a signal handler");
  std::uint64_t first_time_ = 0;  // of the trace (the initial values)
  std::uint64_t last_time_ = 0;   // the latest timestamp in a written block
  // The signals in the order the hierarchy lists them: readers number the variables (their
  // "handles") in that order, and the geometry, starting values and chains follow it.
  std::vector<SignalId> order_;

  // A signal's changes in the block being collected. An entry is written in place at the end
  // (room(), then added()): built in a buffer of its own and copied, its bytes were read back
  // wider than they were stored, and such a load waits until the stores leave the store buffer.
  // Growth doubles.
  struct Chain {
    static constexpr std::size_t kMaxEntry = 20;  // a varint of up to 10 bytes, 8 value bytes
    std::unique_ptr<std::uint8_t[]> bytes;
    std::size_t size = 0;
    std::size_t capacity = 0;
    // Where the next entry goes, with room for kMaxEntry bytes.
    std::uint8_t* room() {
      if (capacity - size < kMaxEntry) grow();
      return bytes.get() + size;
    }
    void added(std::size_t n) { size += n; }
    void grow();
  };

  // How a signal's values are encoded: a real, one bit, or `bytes` bytes holding the value
  // packed from the most significant bit: the first `bytes` bytes, big-endian, of the value
  // shifted left by `lift` (64 - its width) to the top of a 64-bit word.
  struct Encoding {
    bool real = false;
    std::uint8_t bytes = 0;  // 0 for one bit
    std::uint8_t lift = 0;
  };
  std::vector<Encoding> encodings_;  // per signal

  // A block of changes: collected by the trace's thread, then encoded and written by the
  // encoding thread while the next one is collected (two of them swap roles), or by the trace's
  // thread before it collects the next (EncodeOn::kCallerThread).
  struct Block {
    std::vector<Chain> chains;         // per signal: its changes in this block
    std::vector<std::uint64_t> frame;  // per signal: its value when the block starts
    Chain times;                       // the block's timestamps, as varint deltas
    std::uint64_t time_count = 0;      // entries in times
    std::uint64_t first_time = 0;
    std::uint64_t last_time = 0;
  };
  // The two threads' fields on cache lines of their own (kHostCacheLine).
  Block collecting_;
  alignas(kHostCacheLine) Block writing_;  // owned by the encoding thread while it works
  // Per signal: the time index of its last change in this block.
  alignas(kHostCacheLine) std::vector<std::uint64_t> last_index_;
  std::vector<std::uint64_t> values_;  // per signal: its latest value
  std::size_t block_used_ = 0;         // bytes in collecting_'s chains and times

  // Compression and the disk write run on a thread of their own when a core is free for them
  // (default_encode_on()), so that a traced run's wall time does not include them.
  const EncodeOn encode_on_;
  // With EncodeOn::kOwnThread, started with the header; encodes writing_
  // (traces/worker_thread.hpp). Null otherwise.
  std::unique_ptr<WorkerThread> encoder_;

  // The encoding thread's.
  alignas(kHostCacheLine) std::vector<std::uint8_t> body_;  // scratch: a block's bytes
  std::vector<std::uint8_t> scratch_;                       // scratch: an uncompressed section
  std::vector<std::uint8_t> header_;                        // scratch: the header block
  std::vector<std::int64_t> positions_;                     // scratch: where each chain starts
  DeflateCompressor deflater_;                              // holds a compressed section
};

}  // namespace hcasim
