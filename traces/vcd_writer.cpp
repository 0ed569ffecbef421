// The push VCD writer (see vcd_writer.hpp): header from the dotted signal paths, then value
// changes formatted into a fixed buffer.
#include "traces/vcd_writer.hpp"

#include "traces/atomic_file.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
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
  for (std::size_t i = 0; i < values.size(); ++i) write_value(static_cast<SignalId>(i), values[i]);
  put("$end\n", 5);
}

void VcdWriter::write_time(std::uint64_t time_ps) {
  char* p = line_;
  *p++ = '#';
  p = std::to_chars(p, line_ + sizeof line_, time_ps).ptr;
  *p++ = '\n';
  put(line_, static_cast<std::size_t>(p - line_));
}

void VcdWriter::write_value(SignalId id, std::uint64_t v) {
  const Signal& sig = signals()[id];
  char* p = line_;
  if (sig.kind == Kind::Real) {
    *p++ = 'r';
    p = std::to_chars(p, line_ + 64, bits_real(v)).ptr;  // shortest text that round-trips
    *p++ = ' ';
  } else if (sig.width == 1) {
    *p++ = static_cast<char>('0' + (v & 1));
  } else {
    *p++ = 'b';
    if (v == 0) {
      *p++ = '0';
    } else {
      for (int b = 63 - __builtin_clzll(v); b >= 0; --b)
        *p++ = static_cast<char>('0' + ((v >> b) & 1));
    }
    *p++ = ' ';
  }
  std::memcpy(p, sig.code.data(), sig.code.size());
  p += sig.code.size();
  *p++ = '\n';
  put(line_, static_cast<std::size_t>(p - line_));
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
