// The push VCD writer (see vcd_writer.hpp): header from the dotted signal paths, then value
// changes coalesced per timestamp and formatted into a fixed buffer.
#include "traces/vcd_writer.hpp"

#include "traces/atomic_file.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

namespace hcasim {

namespace {

// VCD identifier codes: base 94 over the printable characters '!'..'~', least significant digit
// first. The most significant digit of a multi-character code is never '!', so codes are unique.
std::string id_code(std::size_t n) {
  std::string code;
  do {
    code += static_cast<char>(33 + n % 94);
    n /= 94;
  } while (n != 0);
  return code;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t dot = path.find('.', begin);
    parts.push_back(path.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin));
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  for (const std::string& p : parts) {
    bool ok = !p.empty();
    for (char c : p) ok = ok && c > ' ' && c != '\x7f';
    if (!ok) {
      throw std::invalid_argument("trace signal path '" + path +
                                  "': components must be non-empty, without whitespace");
    }
  }
  return parts;
}

unsigned bits_for(std::size_t values) {
  unsigned bits = 1;
  while (bits < 64 && (std::uint64_t{1} << bits) < values) ++bits;
  return bits;
}

std::uint64_t real_bits(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

double bits_real(std::uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// The scope tree of the header, in order of first appearance.
struct Scope {
  std::string name;
  std::vector<std::size_t> vars;
  std::vector<std::unique_ptr<Scope>> children;

  Scope& child(const std::string& n) {
    for (auto& c : children) {
      if (c->name == n) return *c;
    }
    children.push_back(std::make_unique<Scope>());
    children.back()->name = n;
    return *children.back();
  }
};

}  // namespace

VcdWriter::VcdWriter(std::string path) : file_(std::make_unique<AtomicFile>(std::move(path))) {}

VcdWriter::VcdWriter(std::unique_ptr<TraceFile> file) : file_(std::move(file)) {}

void VcdWriter::set_window(std::uint64_t start_ps, std::uint64_t end_ps) {
  if (started_) throw std::logic_error("VCD trace '" + path() + "': window set after the start");
  if (start_ps > end_ps)
    throw std::logic_error("VCD trace '" + path() + "': window ends before it starts");
  window_start_ = start_ps;
  window_end_ = end_ps;
  pending_time_ = start_ps;  // the $dumpvars go at the window's start
}

VcdWriter::~VcdWriter() = default;

TraceSink::SignalId VcdWriter::declare_integer(const std::string& path, unsigned width_bits,
                                               std::uint64_t initial) {
  if (width_bits < 1 || width_bits > 64) {
    throw std::invalid_argument("trace signal '" + path + "': width " + std::to_string(width_bits) +
                                " is outside 1..64 bits");
  }
  return add_signal(path, Kind::Integer, width_bits, {}, initial);
}

TraceSink::SignalId VcdWriter::declare_enum(const std::string& path,
                                            const std::vector<std::string>& labels,
                                            std::uint64_t initial) {
  if (labels.empty()) {
    throw std::invalid_argument("trace signal '" + path + "': an enum needs at least one label");
  }
  const unsigned width = std::max(2u, bits_for(labels.size()));
  return add_signal(path, Kind::Enum, width, labels, initial);
}

TraceSink::SignalId VcdWriter::declare_real(const std::string& path, double initial) {
  return add_signal(path, Kind::Real, 64, {}, real_bits(initial));
}

TraceSink::SignalId VcdWriter::add_signal(const std::string& path, Kind kind, unsigned width,
                                          std::vector<std::string> labels,
                                          std::uint64_t initial_bits) {
  if (started_) {
    throw std::logic_error("trace signal '" + path +
                           "' declared after the trace started (declare during elaboration)");
  }
  split_path(path);  // validates
  if (!paths_.insert(path).second) {
    throw std::logic_error("trace signal '" + path + "' declared twice");
  }
  const std::uint64_t mask =
      (kind == Kind::Real || width == 64) ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
  Signal s;
  s.path = path;
  s.kind = kind;
  s.width = width;
  s.labels = std::move(labels);
  s.code = id_code(signals_.size());
  signals_.push_back(std::move(s));
  masks_.push_back(mask);
  current_.push_back(initial_bits & mask);
  return static_cast<SignalId>(signals_.size() - 1);
}

const VcdWriter::Signal& VcdWriter::signal(SignalId id) const { return signals_.at(id); }

void VcdWriter::start() {
  if (started_) return;
  written_ = current_;
  is_pending_.assign(signals_.size(), 0);
  pending_.clear();
  pending_.reserve(signals_.size());
  write_header();
  started_ = true;
}

void VcdWriter::write_header() {
  Scope root;
  for (std::size_t i = 0; i < signals_.size(); ++i) {
    const std::vector<std::string> parts = split_path(signals_[i].path);
    Scope* scope = &root;
    for (std::size_t p = 0; p + 1 < parts.size(); ++p) scope = &scope->child(parts[p]);
    scope->vars.push_back(i);
  }

  std::string out;
  out += "$version hcasim $end\n";
  out += "$comment timescale 1ps: one tick is one picosecond of simulated time $end\n";
  out += "$timescale 1ps $end\n";
  // Variables of a scope first, then its sub-scopes; both in order of declaration.
  struct Emit {
    const std::vector<Signal>& signals;
    std::string& out;
    void vars(const Scope& s) {
      for (std::size_t i : s.vars) {
        const Signal& sig = signals[i];
        const std::size_t dot = sig.path.rfind('.');
        const std::string name = dot == std::string::npos ? sig.path : sig.path.substr(dot + 1);
        out += sig.kind == Kind::Real ? "$var real 64 "
                                      : "$var wire " + std::to_string(sig.width) + ' ';
        out += sig.code + ' ' + name + " $end\n";
      }
    }
    void scope(const Scope& s) {
      out += "$scope module " + s.name + " $end\n";
      vars(s);
      for (const auto& c : s.children) scope(*c);
      out += "$upscope $end\n";
    }
  } emit{signals_, out};
  emit.vars(root);
  for (const auto& c : root.children) emit.scope(*c);
  out += "$enddefinitions $end\n";
  std::fwrite(out.data(), 1, out.size(), file_->handle());
}

void VcdWriter::change_integer(SignalId id, std::uint64_t time_ps, std::uint64_t value) {
  record(id, time_ps, value, false);
}

void VcdWriter::change_real(SignalId id, std::uint64_t time_ps, double value) {
  record(id, time_ps, real_bits(value), true);
}

void VcdWriter::record(SignalId id, std::uint64_t time_ps, std::uint64_t bits, bool real) {
  if (id >= signals_.size()) {
    throw std::logic_error("VCD trace '" + path() + "': unknown signal id " + std::to_string(id));
  }
  if (finished_) {
    throw std::logic_error("trace signal '" + signals_[id].path + "' changed after finish");
  }
  if ((signals_[id].kind == Kind::Real) != real) {
    throw std::logic_error("trace signal '" + signals_[id].path + "' changed as " +
                           (real ? "a real" : "an integer") + " but declared otherwise");
  }
  if (!started_) {
    // A change at time 0 before the trace started (a model setting its value during
    // elaboration) is the signal's initial value, so signals may still be declared after it.
    if (time_ps == 0) {
      current_[id] = bits & masks_[id];
      return;
    }
    start();
  }
  if (time_ps < last_time_) {
    throw std::logic_error("trace signal '" + signals_[id].path + "' changed at " +
                           std::to_string(time_ps) + " ps, before the last change at " +
                           std::to_string(last_time_) + " ps");
  }
  last_time_ = time_ps;
  if (time_ps < window_start_) {  // before the window: it only sets the values at its start
    current_[id] = bits & masks_[id];
    return;
  }
  if (time_ps > window_end_) return;  // after the window
  if (time_ps > pending_time_) {
    flush_pending();
    pending_time_ = time_ps;
  }
  current_[id] = bits & masks_[id];
  if (!is_pending_[id]) {
    is_pending_[id] = 1;
    pending_.push_back(id);  // capacity reserved in start(): no allocation
  }
}

void VcdWriter::flush_pending() {
  if (!dumpvars_written_) {
    // The values at the first timestamp (normally 0): initial values plus the changes there.
    write_time(pending_time_);
    put("$dumpvars\n", 10);
    for (std::size_t i = 0; i < signals_.size(); ++i) {
      written_[i] = current_[i];
      write_value(i);
    }
    put("$end\n", 5);
    dumpvars_written_ = true;
  } else {
    for (SignalId id : pending_) {
      if (current_[id] == written_[id]) continue;
      if (!time_written_ || last_written_time_ != pending_time_) write_time(pending_time_);
      written_[id] = current_[id];
      write_value(id);
    }
  }
  for (SignalId id : pending_) is_pending_[id] = 0;
  pending_.clear();
}

void VcdWriter::write_time(std::uint64_t time_ps) {
  char* p = line_;
  *p++ = '#';
  p = std::to_chars(p, line_ + sizeof line_, time_ps).ptr;
  *p++ = '\n';
  put(line_, static_cast<std::size_t>(p - line_));
  last_written_time_ = time_ps;
  time_written_ = true;
}

void VcdWriter::write_value(std::size_t index) {
  const Signal& sig = signals_[index];
  const std::uint64_t v = written_[index];
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

void VcdWriter::finish(std::uint64_t end_time_ps) {
  if (finished_) throw std::logic_error("VCD trace '" + path() + "' finished twice");
  if (!started_) start();
  if (end_time_ps < last_time_) {
    throw std::logic_error("VCD trace '" + path() + "' finished at " + std::to_string(end_time_ps) +
                           " ps, before the last change at " + std::to_string(last_time_) + " ps");
  }
  flush_pending();
  const std::uint64_t end = end_in_window(end_time_ps);
  if (!time_written_ || last_written_time_ != end) write_time(end);
  drain_out();
  finished_ = true;
  file_->commit();
}

}  // namespace hcasim
