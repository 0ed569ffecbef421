// The trace front end (see trace_writer.hpp): declarations, values coalesced per timestamp, the
// window; the encoder turns what comes out into its file format.
#include "traces/trace_writer.hpp"

#include <cstring>
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

}  // namespace

TraceWriter::Scope& TraceWriter::Scope::child(const std::string& n) {
  for (Scope& c : children) {
    if (c.name == n) return c;
  }
  children.emplace_back();
  children.back().name = n;
  return children.back();
}

TraceWriter::Scope TraceWriter::Scope::tree_of(const std::vector<Signal>& signals) {
  Scope root;
  for (std::size_t i = 0; i < signals.size(); ++i) {
    const std::vector<std::string> parts = split_path(signals[i].path);
    Scope* scope = &root;
    for (std::size_t p = 0; p + 1 < parts.size(); ++p) scope = &scope->child(parts[p]);
    scope->signals.push_back(i);
  }
  return root;
}

TraceWriter::TraceWriter(std::string path) : path_(std::move(path)) {}

TraceWriter::~TraceWriter() = default;

void TraceWriter::set_window(std::uint64_t start_ps, std::uint64_t end_ps) {
  if (started_) throw std::logic_error("trace '" + path() + "': window set after the start");
  if (start_ps > end_ps)
    throw std::logic_error("trace '" + path() + "': window ends before it starts");
  window_start_ = start_ps;
  window_end_ = end_ps;
  pending_time_ = start_ps;  // the initial values go at the window's start
}

TraceSink::SignalId TraceWriter::declare_integer(const std::string& path, unsigned width_bits,
                                                 std::uint64_t initial) {
  if (width_bits < 1 || width_bits > 64) {
    throw std::invalid_argument("trace signal '" + path + "': width " + std::to_string(width_bits) +
                                " is outside 1..64 bits");
  }
  return add_signal(path, Kind::Integer, width_bits, {}, initial);
}

TraceSink::SignalId TraceWriter::declare_enum(const std::string& path,
                                              const std::vector<std::string>& labels,
                                              std::uint64_t initial) {
  if (labels.empty()) {
    throw std::invalid_argument("trace signal '" + path + "': an enum needs at least one label");
  }
  const unsigned width = std::max(2u, bits_for(labels.size()));
  return add_signal(path, Kind::Enum, width, labels, initial);
}

TraceSink::SignalId TraceWriter::declare_real(const std::string& path, double initial) {
  return add_signal(path, Kind::Real, 64, {}, real_bits(initial));
}

TraceSink::SignalId TraceWriter::add_signal(const std::string& path, Kind kind, unsigned width,
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
  State st;
  st.current = initial_bits & mask;
  st.mask = mask;
  st.real = kind == Kind::Real;
  state_.push_back(st);
  return static_cast<SignalId>(signals_.size() - 1);
}

const TraceWriter::Signal& TraceWriter::signal(SignalId id) const { return signals_.at(id); }

void TraceWriter::start() {
  if (started_) return;
  for (State& st : state_) st.written = st.current;
  pending_.clear();
  pending_.reserve(signals_.size());
  write_header();
  started_ = true;
  accepting_ = true;
}

bool TraceWriter::admit_before_start(SignalId id, std::uint64_t time_ps, std::uint64_t bits,
                                     bool real) {
  if (id >= state_.size() || finished_) misuse(id, time_ps, real);
  State& st = state_[id];
  if (st.real != real || time_ps < last_time_) misuse(id, time_ps, real);
  // A change at time 0 before the trace started (a model setting its value during
  // elaboration) is the signal's initial value, so signals may still be declared after it.
  if (time_ps == 0) {
    st.current = bits & st.mask;
    return false;
  }
  start();
  return true;
}

void TraceWriter::change_real(SignalId id, std::uint64_t time_ps, double value) {
  change(id, time_ps, real_bits(value), true);
}

void TraceWriter::misuse(SignalId id, std::uint64_t time_ps, bool real) const {
  if (id >= state_.size()) {
    throw std::logic_error("trace '" + path() + "': unknown signal id " + std::to_string(id));
  }
  if (finished_) {
    throw std::logic_error("trace signal '" + signals_[id].path + "' changed after finish");
  }
  if (state_[id].real != real) {
    throw std::logic_error("trace signal '" + signals_[id].path + "' changed as " +
                           (real ? "a real" : "an integer") + " but declared otherwise");
  }
  throw std::logic_error("trace signal '" + signals_[id].path + "' changed at " +
                         std::to_string(time_ps) + " ps, before the last change at " +
                         std::to_string(last_time_) + " ps");
}

void TraceWriter::time_for_value() {
  if (time_written_ && last_written_time_ == pending_time_) return;
  write_time(pending_time_);
  last_written_time_ = pending_time_;
  time_written_ = true;
}

void TraceWriter::write_initial() {
  // The values at the first timestamp (normally 0): initial values plus the changes there.
  time_for_value();
  std::vector<std::uint64_t> values;
  values.reserve(state_.size());
  for (State& st : state_) values.push_back(st.written = st.current);
  write_initial_values(values);
  initial_written_ = true;
  for (SignalId id : pending_) state_[id].pending = false;
  pending_.clear();
}

void TraceWriter::finish(std::uint64_t end_time_ps) {
  if (finished_) throw std::logic_error("trace '" + path() + "' finished twice");
  if (!started_) start();
  if (end_time_ps < last_time_) {
    throw std::logic_error("trace '" + path() + "' finished at " + std::to_string(end_time_ps) +
                           " ps, before the last change at " + std::to_string(last_time_) + " ps");
  }
  flush_pending();
  const std::uint64_t end = end_in_window(end_time_ps);
  if (!time_written_ || last_written_time_ != end) {
    write_time(end);
    last_written_time_ = end;
    time_written_ = true;
  }
  finished_ = true;
  accepting_ = false;
  write_end();
}

}  // namespace hcasim
