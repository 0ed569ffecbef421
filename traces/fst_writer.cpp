// The FST writer (see fst_writer.hpp). The layout follows GTKWave's format as its readers
// (fst2vcd, gtkwave) expect it:
//   block      = type (1 byte), length (8 bytes big-endian, counting itself), contents
//   header     = type 0: start and end time, an endianness test double, counts, timescale,
//                version and date strings
//   hierarchy  = type 4: uncompressed length, then a gzip stream of scope and variable records
//   geometry   = type 3: uncompressed length, handle count, then (zlib) one varint per signal:
//                its width in bits, 0 for a real
//   changes    = type 8: first and last time, memory a reader needs, the values at the block's
//                start ("bits"), one chain of changes per signal, the table of chain positions,
//                the time table (varint deltas) with its lengths at the end
// Varints are little-endian base-128 (LEB128). Chains and time tables are zlib streams when that
// is smaller, else stored as they are (DEFLATE by libdeflate: deflate_compressor.hpp).
#include "traces/fst_writer.hpp"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

namespace hcasim {

namespace {

constexpr std::uint8_t kBlockHeader = 0;
constexpr std::uint8_t kBlockGeometry = 3;
constexpr std::uint8_t kBlockHierarchyGzip = 4;
constexpr std::uint8_t kBlockChanges = 8;  // value changes with dynamic aliases, version 2
constexpr std::uint8_t kBlockSkip = 255;   // a block being written: readers stop there

constexpr std::uint8_t kScope = 254;
constexpr std::uint8_t kUpscope = 255;
constexpr std::uint8_t kScopeModule = 0;
constexpr std::uint8_t kVarReal = 3;
constexpr std::uint8_t kVarWire = 16;
constexpr std::uint8_t kDirImplicit = 0;
constexpr std::uint8_t kPackZlib = 'Z';

constexpr std::uint64_t kHeaderLength = 329;  // counting the length field, not the type
constexpr std::size_t kVersionSize = 128;
constexpr std::size_t kDateSize = 119;
constexpr char kVersion[] = "hcasim";
// design decision: no wall-clock date, so identical runs give identical files.
constexpr char kDate[] = "none (identical runs give identical files)";

// design decision: libdeflate's fastest level. The chains are regular (small time deltas, few
// distinct values), so even it makes the file 13-30x smaller than the VCD (docs/performance.md)
// at a fraction of the higher levels' time; chains of a few bytes are stored as they are.
constexpr int kDeflateLevel = 1;
constexpr std::size_t kCompressFrom = 32;

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

void put_signed_varint(std::vector<std::uint8_t>& out, std::int64_t v) {
  for (;;) {
    const auto byte = static_cast<std::uint8_t>(v & 0x7f);
    v >>= 7;  // arithmetic shift: the sign extends
    const bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    out.push_back(done ? byte : static_cast<std::uint8_t>(byte | 0x80));
    if (done) return;
  }
}

void put_bytes(std::vector<std::uint8_t>& out, const void* p, std::size_t n) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}

// The 8 bytes of `v` at `p`, most significant first.
void store_big_endian(std::uint8_t* p, std::uint64_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  std::memcpy(p, &v, sizeof v);
}

// A varint into `p`; returns the end.
std::uint8_t* varint_at(std::uint8_t* p, std::uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<std::uint8_t>(v);
  return p;
}

}  // namespace

FstWriter::EncodeOn FstWriter::default_encode_on() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  const int usable =
      sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 0;  // taskset, cpusets
  const int cores = usable > 0 ? usable : static_cast<int>(std::thread::hardware_concurrency());
  return cores >= 3 ? EncodeOn::kOwnThread : EncodeOn::kCallerThread;
}

FstWriter::FstWriter(std::string path, std::size_t block_bytes, EncodeOn encode_on)
    : TraceWriter(path),
      file_(std::move(path)),
      max_block_bytes_(block_bytes == 0 ? 1 : block_bytes),
      encode_on_(encode_on),
      deflater_(kDeflateLevel) {
  block_limit_ = std::min(kFirstBlockBytes, max_block_bytes_);
}

FstWriter::~FstWriter() {
  encoder_.reset();  // after the block it may be writing; the AtomicFile then removes the file
}

void FstWriter::wait_for_encoder() {
  if (encoder_) encoder_->wait();
}

std::size_t FstWriter::compress(const std::uint8_t* in, std::size_t n) {
  if (n < kCompressFrom) return 0;
  const std::size_t size = deflater_.zlib(in, n);
  return size < n ? size : 0;
}

void FstWriter::put_section(const std::uint8_t* raw, std::size_t n, std::size_t zipped) {
  if (zipped != 0)
    put_bytes(body_, deflater_.data(), zipped);
  else
    put_bytes(body_, raw, n);
}

void FstWriter::Chain::grow() {
  const std::size_t wanted = std::max<std::size_t>(64, capacity * 2);
  std::unique_ptr<std::uint8_t[]> more(new std::uint8_t[wanted]);
  if (size != 0) std::memcpy(more.get(), bytes.get(), size);
  bytes = std::move(more);
  capacity = wanted;
}

void FstWriter::check_io(const char* what) {
  if (std::ferror(file_.handle()))
    throw std::runtime_error("error while writing '" + path() + ".tmp' (" + what +
                             "): " + std::strerror(errno));
}

void FstWriter::write_header() {
  const std::size_t n = signals().size();
  collecting_.chains.resize(n);
  writing_.chains.resize(n);
  encodings_.clear();
  for (const Signal& s : signals()) {
    Encoding e;
    e.real = s.kind == Kind::Real;
    if (!e.real && s.width > 1) {
      e.bytes = static_cast<std::uint8_t>((s.width + 7) / 8);
      e.lift = static_cast<std::uint8_t>(64 - s.width);
    }
    encodings_.push_back(e);
  }
  last_index_.assign(n, 0);
  collecting_.frame.assign(n, 0);
  values_.assign(n, 0);
  write_file_header_counting(0);
  write_hierarchy_and_geometry();
  check_io("header");
  if (encode_on_ == EncodeOn::kOwnThread)
    encoder_ = std::make_unique<WorkerThread>([this] { encode_block(writing_); });
}

void FstWriter::write_file_header_counting(std::uint64_t blocks) {
  std::vector<std::uint8_t>& h = header_;  // kept: no allocation per block
  h.clear();
  h.push_back(kBlockHeader);
  put_u64(h, kHeaderLength);
  put_u64(h, first_time_);
  put_u64(h, last_time_);
  const double e = 2.7182818284590452354;  // in this machine's byte order: readers check it
  put_bytes(h, &e, sizeof e);
  put_u64(h, max_block_bytes_);  // the writer's memory for changes
  put_u64(h, scopes_);
  put_u64(h, signals().size());  // variables
  put_u64(h, signals().size());  // handles: one per variable, no aliases
  put_u64(h, blocks);
  h.push_back(static_cast<std::uint8_t>(-12));  // timescale 10^-12 s: one tick is one ps
  char version[kVersionSize] = {};
  std::memcpy(version, kVersion, sizeof kVersion);
  put_bytes(h, version, sizeof version);
  char date[kDateSize] = {};
  std::memcpy(date, kDate, sizeof kDate);
  put_bytes(h, date, sizeof date);
  h.push_back(0);  // file type: Verilog
  put_u64(h, 0);   // time zero
  std::FILE* f = file_.handle();
  std::fseek(f, 0, SEEK_SET);
  std::fwrite(h.data(), 1, h.size(), f);
  std::fseek(f, 0, SEEK_END);
}

void FstWriter::write_hierarchy_and_geometry() {
  std::vector<std::uint8_t> hier;
  walk_scopes(
      [&](const std::string& name) {
        hier.push_back(kScope);
        hier.push_back(kScopeModule);
        put_bytes(hier, name.c_str(), name.size() + 1);
        hier.push_back(0);  // no component name
        ++scopes_;
      },
      [&](std::size_t i) {
        order_.push_back(static_cast<SignalId>(i));  // handle order_.size(), from 1
        const Signal& s = signals()[i];
        const std::size_t dot = s.path.rfind('.');
        const std::string name = dot == std::string::npos ? s.path : s.path.substr(dot + 1);
        const bool real = s.kind == Kind::Real;
        hier.push_back(real ? kVarReal : kVarWire);
        hier.push_back(kDirImplicit);
        put_bytes(hier, name.c_str(), name.size() + 1);
        put_varint(hier, real ? 8 : s.width);
        put_varint(hier, 0);  // not an alias of another variable
      },
      [&] { hier.push_back(kUpscope); });
  body_.clear();
  put_u64(body_, hier.size());
  const std::size_t zipped = deflater_.gzip(hier.data(), hier.size());
  put_bytes(body_, deflater_.data(), zipped);
  put_block(kBlockHierarchyGzip, body_);

  scratch_.clear();
  for (SignalId id : order_) {
    const Signal& s = signals()[id];
    put_varint(scratch_, s.kind == Kind::Real ? 0 : s.width);
  }
  body_.clear();
  put_u64(body_, scratch_.size());
  put_u64(body_, signals().size());
  put_section(scratch_, compress(scratch_));
  put_block(kBlockGeometry, body_);
  // The header counts the scopes now known (the blocks are counted as they are written).
  write_file_header_counting(0);
}

void FstWriter::put_block(std::uint8_t type, const std::vector<std::uint8_t>& body) {
  std::uint8_t head[9] = {type};
  const std::uint64_t length = body.size() + 8;
  for (int i = 0; i < 8; ++i) head[1 + i] = static_cast<std::uint8_t>(length >> (56 - 8 * i));
  std::FILE* f = file_.handle();
  std::fwrite(head, 1, sizeof head, f);
  std::fwrite(body.data(), 1, body.size(), f);
}

inline void FstWriter::append_time(std::uint64_t time_ps) {
  Block& b = collecting_;
  if (block_used_ >= block_limit_ && b.time_count != 0) flush_block();
  // The first entry of a block is absolute, the others are deltas.
  std::uint8_t* const entry = b.times.room();
  std::uint8_t* end = varint_at(entry, b.time_count == 0 ? time_ps : time_ps - b.last_time);
  b.times.added(static_cast<std::size_t>(end - entry));
  if (b.time_count == 0) b.first_time = time_ps;
  b.last_time = time_ps;
  ++b.time_count;
  block_used_ += static_cast<std::size_t>(end - entry);
}

void FstWriter::write_initial_values(const std::vector<std::uint64_t>& values) {
  // Readers print a block's starting values only when they begin reading past it, so the
  // trace's first values are changes at the first timestamp, as GTKWave's own writer has them.
  first_time_ = collecting_.first_time;
  collecting_.frame = values;
  for (std::size_t i = 0; i < values.size(); ++i) append_value(static_cast<SignalId>(i), values[i]);
}

inline void FstWriter::append_value(SignalId id, std::uint64_t bits) {
  const Encoding& e = encodings_[id];
  const std::uint64_t index = collecting_.time_count - 1;
  const std::uint64_t delta = index - last_index_[id];
  last_index_[id] = index;
  values_[id] = bits;
  Chain& chain = collecting_.chains[id];
  std::uint8_t* const entry = chain.room();
  std::uint8_t* p = entry;
  if (e.real) {
    p = varint_at(p, (delta << 1) | 1);
    std::memcpy(p, &bits, sizeof bits);  // the double in this machine's byte order
    p += sizeof bits;
  } else if (e.bytes == 0) {
    p = varint_at(p, (delta << 2) | ((bits & 1) << 1));  // bit 0 clear: the value is 0 or 1
  } else {
    p = varint_at(p, delta << 1);  // bit 0 clear: the bits are packed, most significant first
    // All eight bytes of the word are stored (the entry's room holds them), its first
    // e.bytes are the value's; the next entry writes over the others.
    store_big_endian(p, bits << e.lift);
    p += e.bytes;
  }
  chain.added(static_cast<std::size_t>(p - entry));
  block_used_ += static_cast<std::size_t>(p - entry);
}

void FstWriter::write_time(std::uint64_t time_ps) { append_time(time_ps); }

void FstWriter::write_pending() {
  drain_pending([this](std::uint64_t t) { append_time(t); },
                [this](SignalId id, std::uint64_t bits) { append_value(id, bits); });
}

void FstWriter::flush_block() {
  wait_for_encoder();  // done with writing_
  std::swap(collecting_, writing_);
  if (encoder_)
    encoder_->submit();
  else
    encode_block(writing_);

  // The next block starts from the values this one leaves (buffers keep their size).
  for (Chain& c : collecting_.chains) c.size = 0;
  collecting_.times.size = 0;
  collecting_.time_count = 0;
  collecting_.frame = values_;
  std::fill(last_index_.begin(), last_index_.end(), 0);
  block_used_ = 0;
  block_limit_ = std::min(block_limit_ * 2, max_block_bytes_);
}

void FstWriter::encode_block(const Block& b) {
  const std::size_t n = signals().size();
  body_.clear();
  put_u64(body_, b.first_time);
  put_u64(body_, b.last_time);
  std::uint64_t memory = 0;  // what a reader needs for the uncompressed chains
  for (const Chain& c : b.chains) memory += c.size;
  put_u64(body_, memory);

  // The values at the block's start: integers as '0'/'1' text, reals as their 8 bytes.
  scratch_.clear();
  for (SignalId i : order_) {
    const Signal& s = signals()[i];
    if (s.kind == Kind::Real) {
      put_bytes(scratch_, &b.frame[i], sizeof b.frame[i]);
    } else {
      for (unsigned bit = s.width; bit-- > 0;)
        scratch_.push_back(static_cast<std::uint8_t>('0' + ((b.frame[i] >> bit) & 1)));
    }
  }
  const std::size_t zipped_frame = compress(scratch_);
  put_varint(body_, scratch_.size());
  put_varint(body_, zipped_frame != 0 ? zipped_frame : scratch_.size());  // equal: stored as is
  put_varint(body_, n);
  put_section(scratch_, zipped_frame);

  // The chains, then where each starts: a signal's entry is the length of the chain written
  // before it (1 for the first), signals without changes come as runs of zeros.
  put_varint(body_, n);
  body_.push_back(kPackZlib);
  std::vector<std::int64_t>& pos = positions_;  // by handle - 1
  pos.assign(n, 0);
  std::int64_t previous = 1;
  for (std::size_t i = 0; i < n; ++i) {
    const Chain& raw = b.chains[order_[i]];
    if (raw.size == 0) continue;
    const std::size_t start = body_.size();
    const std::size_t zipped = compress(raw.bytes.get(), raw.size);
    put_varint(body_, zipped != 0 ? raw.size : 0);  // 0: stored as it is
    put_section(raw.bytes.get(), raw.size, zipped);
    pos[i] = previous;
    previous = static_cast<std::int64_t>(body_.size() - start);
  }
  const std::size_t table_start = body_.size();
  for (std::size_t i = 0; i < n;) {
    if (pos[i] == 0) {
      std::uint64_t run = 0;
      while (i < n && pos[i] == 0) ++run, ++i;
      put_varint(body_, run << 1);
    } else {
      put_signed_varint(body_, (pos[i] << 1) | 1);
      ++i;
    }
  }
  put_u64(body_, body_.size() - table_start);

  // The time table, its lengths and entry count last.
  const std::size_t zipped_times = compress(b.times.bytes.get(), b.times.size);
  put_section(b.times.bytes.get(), b.times.size, zipped_times);
  put_u64(body_, b.times.size);
  put_u64(body_, zipped_times != 0 ? zipped_times : b.times.size);
  put_u64(body_, b.time_count);

  // Written as a skipped block first and then marked complete, and counted in the header: a
  // reader of a file cut short (an interrupted run) sees every block before this one.
  std::FILE* f = file_.handle();
  const long at = std::ftell(f);
  put_block(kBlockSkip, body_);
  std::fseek(f, at, SEEK_SET);
  std::fputc(kBlockChanges, f);
  std::fseek(f, 0, SEEK_END);
  last_time_ = b.last_time;
  write_file_header_counting(blocks_.load() + 1);
  check_io("value changes");
  ++blocks_;  // complete on disk
}

void FstWriter::write_end() {
  if (collecting_.time_count != 0) flush_block();
  wait_for_encoder();
  file_.commit();
}

}  // namespace hcasim
