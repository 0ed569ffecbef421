// The push VCD writer (see vcd_writer.hpp): header from the dotted signal paths, then value
// changes formatted into a fixed buffer.
#include "traces/vcd_writer.hpp"

#include "traces/atomic_file.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

namespace hcasim {

namespace {

double bits_real(std::uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace

VcdWriter::VcdWriter(std::string path)
    : TraceWriter(path), file_(std::make_unique<AtomicFile>(std::move(path))) {}

VcdWriter::VcdWriter(std::unique_ptr<TraceFile> file)
    : TraceWriter(file->final_path()), file_(std::move(file)) {}

VcdWriter::~VcdWriter() = default;

void VcdWriter::write_header() {
  codes_.resize(signals().size());
  for (std::size_t i = 0; i < codes_.size(); ++i) {
    const std::string& c = signals()[i].code;
    if (c.size() > sizeof codes_[i].text)
      throw std::logic_error("VCD identifier code longer than 8 characters: " + c);
    std::memset(codes_[i].text, 0, sizeof codes_[i].text);
    std::memcpy(codes_[i].text, c.data(), c.size());
    codes_[i].len = static_cast<std::uint8_t>(c.size());
    codes_[i].real = signals()[i].kind == Kind::Real;
    codes_[i].one_bit = !codes_[i].real && signals()[i].width == 1;
  }
  std::string out;
  out += "$version hcasim $end\n";
  out += "$comment timescale 1ps: one tick is one picosecond of simulated time $end\n";
  out += "$timescale 1ps $end\n";
  walk_scopes([&](const std::string& name) { out += "$scope module " + name + " $end\n"; },
              [&](std::size_t i) {
                const Signal& sig = signals()[i];
                const std::size_t dot = sig.path.rfind('.');
                const std::string name =
                    dot == std::string::npos ? sig.path : sig.path.substr(dot + 1);
                out += sig.kind == Kind::Real ? "$var real 64 "
                                              : "$var wire " + std::to_string(sig.width) + ' ';
                out += sig.code + ' ' + name + " $end\n";
              },
              [&] { out += "$upscope $end\n"; });
  out += "$enddefinitions $end\n";
  std::fwrite(out.data(), 1, out.size(), file_->handle());
}

void VcdWriter::write_initial_values(const std::vector<std::uint64_t>& values) {
  put("$dumpvars\n", 10);
  for (std::size_t i = 0; i < values.size(); ++i) append_value(static_cast<SignalId>(i), values[i]);
  put("$end\n", 5);
}

namespace {

// Decimal digits, two at a time (time stamps are long: picoseconds).
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

unsigned decimal_digits(std::uint64_t v) {
  unsigned n = 1;
  for (;;) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v /= 10000;
    n += 4;
  }
}

char* write_decimal(char* p, std::uint64_t v) {
  char* end = p + decimal_digits(v);
  char* q = end;
  while (v >= 100) {
    const unsigned pair = static_cast<unsigned>(v % 100) * 2;
    v /= 100;
    *--q = kDigitPairs[pair + 1];
    *--q = kDigitPairs[pair];
  }
  if (v >= 10) {
    *--q = kDigitPairs[v * 2 + 1];
    *--q = kDigitPairs[v * 2];
  } else {
    *--q = static_cast<char>('0' + v);
  }
  return end;
}

// Each byte's eight binary digits, most significant first (and eight more bytes of slack, so
// that the digits of a partial byte can be copied eight at a time).
struct ByteDigits {
  char text[256 * 8 + 8];
  constexpr ByteDigits() : text() {
    for (int b = 0; b < 256; ++b)
      for (int i = 0; i < 8; ++i) text[b * 8 + i] = static_cast<char>('0' + ((b >> (7 - i)) & 1));
  }
};
constexpr ByteDigits kByteDigits;

// Writes `v` in binary without leading zeros ("0" for 0), a byte at a time; the caller's room
// has at least eight bytes of slack after the digits.
char* write_binary(char* p, std::uint64_t v) {
  const int bits = v ? 64 - __builtin_clzll(v) : 1;
  int low = (bits - 1) / 8 * 8;  // the lowest bit of the top (partial) byte
  const int top_bits = bits - low;
  std::memcpy(p, kByteDigits.text + (v >> low) * 8 + (8 - top_bits), 8);
  p += top_bits;
  while (low > 0) {
    low -= 8;
    std::memcpy(p, kByteDigits.text + ((v >> low) & 0xff) * 8, 8);
    p += 8;
  }
  return p;
}

}  // namespace

inline void VcdWriter::append_time(std::uint64_t time_ps) {
  char* const start = room();
  char* p = start;
  *p++ = '#';
  // Time stamps grow in small steps: the digits above the microsecond are formatted once per
  // microsecond and copied, the six below always written (two at a time).
  const std::uint64_t us = time_ps / 1'000'000;
  if (us == 0) {
    p = write_decimal(p, time_ps);
  } else {
    if (us != cached_us_) {
      cached_us_ = us;
      cached_us_len_ = static_cast<unsigned>(write_decimal(cached_us_text_, us) - cached_us_text_);
    }
    std::memcpy(p, cached_us_text_, sizeof cached_us_text_);  // the record's room has the slack
    p += cached_us_len_;
    auto low = static_cast<unsigned>(time_ps - us * 1'000'000);
    for (int i = 4; i >= 0; i -= 2) {
      const unsigned pair = (low % 100) * 2;
      low /= 100;
      p[i] = kDigitPairs[pair];
      p[i + 1] = kDigitPairs[pair + 1];
    }
    p += 6;
  }
  *p++ = '\n';
  out_used_ += static_cast<std::size_t>(p - start);
}

inline void VcdWriter::append_value(SignalId id, std::uint64_t v) {
  const Code& code = codes_[id];
  char* const start = room();
  char* p = start;
  if (code.real) {
    *p++ = 'r';
    p = std::to_chars(p, p + 64, bits_real(v)).ptr;  // shortest text that round-trips
    *p++ = ' ';
  } else if (code.one_bit) {
    *p++ = static_cast<char>('0' + (v & 1));
  } else {
    *p++ = 'b';
    p = write_binary(p, v);
    *p++ = ' ';
  }
  std::memcpy(p, code.text, sizeof code.text);  // the record's room has the slack
  p += code.len;
  *p++ = '\n';
  out_used_ += static_cast<std::size_t>(p - start);
}

void VcdWriter::write_time(std::uint64_t time_ps) { append_time(time_ps); }

void VcdWriter::write_pending() {
  drain_pending([this](std::uint64_t t) { append_time(t); },
                [this](SignalId id, std::uint64_t bits) { append_value(id, bits); });
}

void VcdWriter::drain_out() {
  std::fwrite(out_.data(), 1, out_used_, file_->handle());
  out_used_ = 0;
}

void VcdWriter::write_end() {
  drain_out();
  file_->commit();
}

}  // namespace hcasim
