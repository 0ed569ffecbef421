// The .gtkw save file a user opens next to the trace: it must find the dump by relative name,
// show one group per component, and name enum values through filter files.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "trace_test_files.hpp"
#include "traces/gtkw_writer.hpp"
#include "traces/vcd_writer.hpp"

namespace hcasim {
namespace {

namespace fs = std::filesystem;

using trace_test::read_file;
using trace_test::test_dir;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::ptrdiff_t index_of(const std::vector<std::string>& lines, const std::string& line) {
  const auto it = std::find(lines.begin(), lines.end(), line);
  return it == lines.end() ? -1 : it - lines.begin();
}

const std::vector<std::string> kQueueStates = {"EMPTY", "ACTIVE", "FULL"};
const std::vector<std::string> kCpuStates = {"IDLE", "RUN", "WAIT in queue", "DONE"};

// A small system: two components on host0, one on host1, shared and distinct enum label sets.
void declare_system(VcdWriter& w) {
  w.declare_integer("host0.cpu0.outstanding", 16, 0);
  w.declare_enum("host0.cpu0.state", kCpuStates, 0);
  w.declare_integer("host0.hca0.sq0.depth", 32, 0);
  w.declare_enum("host0.hca0.sq0.state", kQueueStates, 0);
  w.declare_real("host0.hca0.latency_ns", 0.0);
  w.declare_integer("host0.hca0.busy", 1, 0);
  w.declare_enum("host1.hca0.sq0.state", kQueueStates, 0);
  w.declare_integer("host0.cpu0.retired", 64, 0);
}

TEST(GtkwWriter, ReferencesDumpByRelativeName) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  declare_system(w);
  w.finish(1000);
  write_gtkw(w, (dir / "trace.gtkw").string());
  const std::string text = read_file(dir / "trace.gtkw");
  const auto lines = lines_of(text);
  EXPECT_GE(index_of(lines, "[dumpfile] \"trace.vcd\""), 0);
  EXPECT_GE(index_of(lines, "[timestart] 0"), 0);
  // Nothing that ties the files to this machine or this moment.
  EXPECT_EQ(text.find(dir.string()), std::string::npos);
  EXPECT_EQ(text.find(" /"), std::string::npos);
  EXPECT_EQ(text.find("\"/"), std::string::npos);
  EXPECT_EQ(text.find("[dumpfile_mtime]"), std::string::npos);
  // An explicit name is used as given; an absolute one is refused.
  write_gtkw(w, (dir / "other.gtkw").string(), "run1/trace.vcd");
  EXPECT_GE(index_of(lines_of(read_file(dir / "other.gtkw")), "[dumpfile] \"run1/trace.vcd\""), 0);
  EXPECT_THROW(write_gtkw(w, (dir / "abs.gtkw").string(), (dir / "trace.vcd").string()),
               std::invalid_argument);
  EXPECT_FALSE(fs::exists(dir / "abs.gtkw"));
}

TEST(GtkwWriter, OneGroupPerComponentHoldingItsSignals) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  declare_system(w);
  write_gtkw(w, (dir / "trace.gtkw").string());  // before finish: declarations are enough
  const auto lines = lines_of(read_file(dir / "trace.gtkw"));

  struct Group {
    std::string name;
    std::vector<std::string> signals;
  };
  const std::vector<Group> groups = {
      {"host0.cpu0",
       {"host0.cpu0.outstanding[15:0]", "host0.cpu0.state[1:0]", "host0.cpu0.retired[63:0]"}},
      {"host0.hca0",
       {"host0.hca0.sq0.depth[31:0]", "host0.hca0.sq0.state[1:0]", "host0.hca0.latency_ns",
        "host0.hca0.busy"}},
      {"host1.hca0", {"host1.hca0.sq0.state[1:0]"}},
  };
  std::ptrdiff_t previous_close = -1;
  for (const Group& g : groups) {
    // Open: "@800200" then "-name"; close: "@1000200" then "-name".
    std::ptrdiff_t open = -1, close = -1;
    for (std::size_t i = 1; i < lines.size(); ++i) {
      if (lines[i] != "-" + g.name) continue;
      if (lines[i - 1] == "@800200") open = static_cast<std::ptrdiff_t>(i);
      if (lines[i - 1] == "@1000200") close = static_cast<std::ptrdiff_t>(i);
    }
    ASSERT_GE(open, 0) << g.name;
    ASSERT_GT(close, open) << g.name;
    EXPECT_GT(open, previous_close) << "groups in declaration order, not nested";
    previous_close = close;
    std::ptrdiff_t previous_signal = open;
    for (const std::string& s : g.signals) {
      const std::ptrdiff_t at = index_of(lines, s);
      EXPECT_GT(at, previous_signal) << s << " in group " << g.name << " in declaration order";
      EXPECT_LT(at, close) << s;
      previous_signal = at;
    }
  }
  // Integers in decimal, reals as analog steps (with stretch rows), enums translated.
  EXPECT_EQ(lines[static_cast<std::size_t>(index_of(lines, "host0.cpu0.outstanding[15:0]")) - 1],
            "@24");
  EXPECT_EQ(lines[static_cast<std::size_t>(index_of(lines, "host0.hca0.latency_ns")) - 1], "@8020");
  EXPECT_EQ(lines[static_cast<std::size_t>(index_of(lines, "host0.hca0.latency_ns")) + 1],
            "@20000");
}

TEST(GtkwWriter, EnumsUseFilterFilesWithTheirLabels) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  declare_system(w);
  w.finish(0);
  write_gtkw(w, (dir / "trace.gtkw").string());
  const auto lines = lines_of(read_file(dir / "trace.gtkw"));

  // Each enum signal: "@2024", then "^<n> <filter file>", then the signal.
  auto filter_before = [&](const std::string& signal) -> std::string {
    const std::ptrdiff_t at = index_of(lines, signal);
    if (at < 2) return "<" + signal + " not found>";
    const std::string& filter = lines[static_cast<std::size_t>(at) - 1];
    EXPECT_EQ(filter[0], '^') << signal;
    EXPECT_NE(index_of(lines, "@2024"), -1);
    return filter;
  };
  EXPECT_EQ(filter_before("host0.cpu0.state[1:0]"), "^1 trace_enum_0.txt");
  EXPECT_EQ(filter_before("host0.hca0.sq0.state[1:0]"), "^2 trace_enum_1.txt");
  EXPECT_EQ(filter_before("host1.hca0.sq0.state[1:0]"), "^2 trace_enum_1.txt");  // shared set

  EXPECT_EQ(read_file(dir / "trace_enum_0.txt"), "0 IDLE\n1 RUN\n2 WAIT in queue\n3 DONE\n");
  EXPECT_EQ(read_file(dir / "trace_enum_1.txt"), "0 EMPTY\n1 ACTIVE\n2 FULL\n");
  EXPECT_FALSE(fs::exists(dir / "trace_enum_2.txt"));
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
  }
}

TEST(GtkwWriter, SameDeclarationsGiveIdenticalFiles) {
  const fs::path dir = test_dir();
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  for (const char* sub : {"a", "b"}) {
    VcdWriter w((dir / sub / "trace.vcd").string());
    declare_system(w);
    w.finish(0);
    write_gtkw(w, (dir / sub / "trace.gtkw").string());
  }
  for (const char* f : {"trace.gtkw", "trace_enum_0.txt", "trace_enum_1.txt", "trace.vcd"}) {
    EXPECT_EQ(read_file(dir / "a" / f), read_file(dir / "b" / f)) << f;
  }
}

TEST(GtkwWriter, SignalNamesFollowGtkwaveVectorSyntax) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto d = w.declare_integer("host0.hca0.sq0.depth", 32, 0);
  const auto b = w.declare_integer("host0.hca0.busy", 1, 0);
  const auto r = w.declare_real("host0.hca0.rate", 0.0);
  const auto e = w.declare_enum("host0.hca0.state", {"A", "B", "C", "D", "E"}, 0);
  EXPECT_EQ(gtkwave_signal_name(w.signal(d)), "host0.hca0.sq0.depth[31:0]");
  EXPECT_EQ(gtkwave_signal_name(w.signal(b)), "host0.hca0.busy");
  EXPECT_EQ(gtkwave_signal_name(w.signal(r)), "host0.hca0.rate");
  EXPECT_EQ(gtkwave_signal_name(w.signal(e)), "host0.hca0.state[2:0]");
}

TEST(GtkwWriter, SignalsWithoutComponentComeFirstUngrouped) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  w.declare_integer("host0.cpu0.x", 8, 0);
  w.declare_integer("sim.events", 32, 0);
  w.declare_integer("ticks", 32, 0);
  write_gtkw(w, (dir / "trace.gtkw").string());
  const auto lines = lines_of(read_file(dir / "trace.gtkw"));
  const std::ptrdiff_t ticks = index_of(lines, "ticks[31:0]");
  ASSERT_GE(ticks, 0);
  EXPECT_LT(ticks, index_of(lines, "-host0.cpu0"));
  EXPECT_GE(index_of(lines, "-sim"), 0);  // one scope level: grouped under it
  EXPECT_GT(index_of(lines, "sim.events[31:0]"), index_of(lines, "-sim"));
}

}  // namespace
}  // namespace hcasim
