// Writes the GTKWave save file and its enum translate filters (see gtkw_writer.hpp). Trace flag
// values are GTKWave's TraceEntFlagBits (analyzer.h), which its save files store in hex.
#include "traces/gtkw_writer.hpp"

#include <cmath>
#include <cstdio>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

#include "traces/atomic_file.hpp"

namespace hcasim {

namespace {

constexpr std::uint32_t kDec = 0x4;
constexpr std::uint32_t kRightJustify = 0x20;
constexpr std::uint32_t kBlank = 0x200;
constexpr std::uint32_t kFileTranslated = 0x2000;
constexpr std::uint32_t kAnalogStep = 0x8000;
constexpr std::uint32_t kAnalogBlankStretch = 0x20000;
constexpr std::uint32_t kGroupBegin = 0x800000;
constexpr std::uint32_t kGroupEnd = 0x1000000;

constexpr std::uint32_t kIntegerFlags = kRightJustify | kDec;                 // @24
constexpr std::uint32_t kEnumFlags = kRightJustify | kDec | kFileTranslated;  // @2024
constexpr std::uint32_t kRealFlags = kRightJustify | kAnalogStep;             // @8020
constexpr std::uint32_t kGroupBeginFlags = kBlank | kGroupBegin;              // @800200
constexpr std::uint32_t kGroupEndFlags = kBlank | kGroupEnd;                  // @1000200
constexpr int kRealExtraRows = 2;  // analog traces get 3 rows of height

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

std::string file_name_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string stem_of(const std::string& file_name) {
  const std::size_t dot = file_name.rfind('.');
  return dot == std::string::npos || dot == 0 ? file_name : file_name.substr(0, dot);
}

// The component a signal belongs to: its first two scope levels.
std::string group_of(const std::string& path) {
  const std::size_t last = path.rfind('.');
  if (last == std::string::npos) return std::string();
  const std::size_t first = path.find('.');
  if (first == last) return path.substr(0, first);
  const std::size_t second = path.find('.', first + 1);
  return path.substr(0, second);
}

// A label as one line of a filter file (GTKWave takes the rest of the line as the text).
std::string filter_label(const std::string& label) {
  std::string out;
  for (char c : label) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  const std::size_t begin = out.find_first_not_of(' ');
  return begin == std::string::npos ? std::string() : out.substr(begin);
}

class SaveFileText {
 public:
  void flags(std::uint32_t f) {
    if (f == flags_) return;
    char buf[16];
    std::snprintf(buf, sizeof buf, "@%x\n", static_cast<unsigned>(f));
    text_ += buf;
    flags_ = f;
  }
  void line(const std::string& s) { text_ += s + '\n'; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::uint32_t flags_ = 0xffffffffu;
};

}  // namespace

std::string gtkwave_signal_name(const TraceWriter::Signal& signal) {
  if (signal.kind == TraceWriter::Kind::Real || signal.width <= 1) return signal.path;
  return signal.path + '[' + std::to_string(signal.width - 1) + ":0]";
}

void write_gtkw(const TraceWriter& trace, const std::string& gtkw_path,
                const std::string& vcd_file_name_relative, std::uint64_t end_time_ps,
                std::uint64_t start_time_ps) {
  const std::string dump =
      vcd_file_name_relative.empty() ? file_name_of(trace.path()) : vcd_file_name_relative;
  if (!dump.empty() && dump.front() == '/') {
    throw std::invalid_argument("GTKWave save file '" + gtkw_path + "': dump file name '" + dump +
                                "' must be relative so the folder can move");
  }
  const std::string dir = directory_of(gtkw_path);
  const std::string stem = stem_of(file_name_of(gtkw_path));
  const std::vector<TraceWriter::Signal>& signals = trace.signals();

  // One filter file per distinct label set, numbered in order of first use.
  std::map<std::vector<std::string>, std::size_t> filter_index;
  std::vector<const std::vector<std::string>*> filters;
  for (const TraceWriter::Signal& s : signals) {
    if (s.kind != TraceWriter::Kind::Enum) continue;
    if (filter_index.emplace(s.labels, filters.size()).second) filters.push_back(&s.labels);
  }
  auto filter_name = [&](std::size_t n) { return stem + "_enum_" + std::to_string(n) + ".txt"; };

  // Groups in order of first appearance; ungrouped signals first.
  std::vector<std::string> group_names;
  std::map<std::string, std::vector<std::size_t>> members;
  std::vector<std::size_t> ungrouped;
  for (std::size_t i = 0; i < signals.size(); ++i) {
    const std::string g = group_of(signals[i].path);
    if (g.empty()) {
      ungrouped.push_back(i);
      continue;
    }
    auto [it, inserted] = members.try_emplace(g);
    if (inserted) group_names.push_back(g);
    it->second.push_back(i);
  }

  SaveFileText gtkw;
  gtkw.line("[*] GTKWave save file written by hcasim for " + dump);
  gtkw.line("[dumpfile] \"" + dump + "\"");
  // A relative [savefile] lets GTKWave resolve the dump and filter names against the folder
  // the save file is opened from.
  gtkw.line("[savefile] \"" + file_name_of(gtkw_path) + "\"");
  gtkw.line("[timestart] " + std::to_string(start_time_ps));
  gtkw.line("[size] 1400 900");
  gtkw.line("[signals_width] 320");
  gtkw.line("[sst_expanded] 1");
  if (end_time_ps > start_time_ps) {
    // GTKWave's zoom is a log2 scale; measured on GTKWave 3.3 with a 1 ps timescale, a zoom
    // of -log2(t * 250) fits about t picoseconds into the wave pane of this window size.
    char zoom[64];
    std::snprintf(zoom, sizeof zoom, "*%.6f 0",
                  -std::log2(static_cast<double>(end_time_ps - start_time_ps) * 250.0 / 1000.0));
    std::string z = zoom;
    for (int i = 0; i < 26; ++i) z += " -1";  // no named markers
    gtkw.line(z);
  }
  auto add_signal = [&](std::size_t i) {
    const TraceWriter::Signal& s = signals[i];
    switch (s.kind) {
      case TraceWriter::Kind::Integer:
        gtkw.flags(kIntegerFlags);
        gtkw.line(gtkwave_signal_name(s));
        break;
      case TraceWriter::Kind::Enum: {
        const std::size_t n = filter_index.at(s.labels);
        gtkw.flags(kEnumFlags);
        gtkw.line('^' + std::to_string(n + 1) + ' ' + filter_name(n));
        gtkw.line(gtkwave_signal_name(s));
        break;
      }
      case TraceWriter::Kind::Real:
        gtkw.flags(kRealFlags);
        gtkw.line(gtkwave_signal_name(s));
        gtkw.flags(kAnalogBlankStretch);
        for (int r = 0; r < kRealExtraRows; ++r) gtkw.line("-");
        break;
    }
  };
  for (std::size_t i : ungrouped) add_signal(i);
  for (const std::string& g : group_names) {
    gtkw.flags(kGroupBeginFlags);
    gtkw.line('-' + g);
    for (std::size_t i : members.at(g)) add_signal(i);
    gtkw.flags(kGroupEndFlags);
    gtkw.line('-' + g);
  }

  // Filters first, so a committed save file never refers to a missing filter.
  for (std::size_t n = 0; n < filters.size(); ++n) {
    AtomicFile f(dir + filter_name(n));
    const std::vector<std::string>& labels = *filters[n];
    for (std::size_t v = 0; v < labels.size(); ++v) {
      const std::string label = filter_label(labels[v]);
      if (!label.empty()) f.write(std::to_string(v) + ' ' + label + '\n');
    }
    f.commit();
  }
  AtomicFile out(gtkw_path);
  out.write(gtkw.text());
  out.commit();
}

}  // namespace hcasim
