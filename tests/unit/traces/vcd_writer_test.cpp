// What a user of the VCD trace relies on: a header GTKWave understands, value changes recorded
// exactly once per timestamp with the last value, byte-identical output for identical runs, no
// half-written file after a failure, loud errors on misuse, and GTKWave's own tools accepting it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/core/trace_source.hpp"
#include "tests/support/vcd_reader.hpp"
#include "trace_test_files.hpp"
#include "traces/vcd_writer.hpp"

namespace hcasim {
namespace {

namespace fs = std::filesystem;
using hcasim_test::from_binary;
using hcasim_test::parse_vcd;
using hcasim_test::Vcd;

using trace_test::read_file;
using trace_test::test_dir;

std::string binary(std::uint64_t v) {
  if (v == 0) return "0";
  std::string s;
  for (; v; v >>= 1) s.insert(s.begin(), static_cast<char>('0' + (v & 1)));
  return s;
}

// --- header ------------------------------------------------------------------------------------

TEST(VcdWriterHeader, ScopesNestFromDottedPaths) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  w.declare_integer("host0.cpu0.outstanding", 16, 0);
  w.declare_integer("host0.hca0.sq0.depth", 32, 0);
  w.declare_real("host0.cpu0.latency_ns", 0.0);
  w.declare_integer("host1.hca0.sq0.depth", 32, 0);
  w.declare_integer("host0.hca0.cq0.depth", 32, 0);
  w.finish(0);

  const Vcd vcd = parse_vcd(read_file(dir / "trace.vcd"));
  EXPECT_TRUE(vcd.balanced);
  EXPECT_EQ(vcd.max_depth, 3);
  // Each scope opened exactly once, children under their parents.
  const std::vector<std::string> expected = {"host0",          "host0.cpu0",     "host0.hca0",
                                             "host0.hca0.sq0", "host0.hca0.cq0", "host1",
                                             "host1.hca0",     "host1.hca0.sq0"};
  EXPECT_EQ(vcd.scope_paths, expected);
  ASSERT_EQ(vcd.vars.size(), 5u);
  for (const char* p : {"host0.cpu0.outstanding", "host0.hca0.sq0.depth", "host0.cpu0.latency_ns",
                        "host1.hca0.sq0.depth", "host0.hca0.cq0.depth"}) {
    EXPECT_NE(vcd.var(p), nullptr) << p;
  }
  EXPECT_EQ(vcd.var("host0.cpu0.outstanding")->type, "wire");
  EXPECT_EQ(vcd.var("host0.cpu0.outstanding")->width, 16u);
  EXPECT_EQ(vcd.var("host0.cpu0.latency_ns")->type, "real");
  EXPECT_EQ(vcd.var("host0.cpu0.latency_ns")->width, 64u);
  EXPECT_EQ(vcd.timescale, "1ps");
}

TEST(VcdWriterHeader, IdsUniquePrintableInDeclarationOrder) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const int n = 94 * 94 + 10;  // forces three-character codes
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(w.declare_integer("top.m" + std::to_string(i % 7) + ".s" + std::to_string(i), 8, 0),
              static_cast<TraceSink::SignalId>(i));
  }
  EXPECT_EQ(w.signal_count(), static_cast<std::size_t>(n));
  std::set<std::string> codes;
  for (const VcdWriter::Signal& s : w.signals()) {
    for (char c : s.code) {
      EXPECT_GE(c, 33);
      EXPECT_LE(c, 126);
    }
    EXPECT_TRUE(codes.insert(s.code).second) << "duplicate code " << s.code;
  }
  EXPECT_EQ(w.signal(0).code, "!");
  EXPECT_EQ(w.signal(1).code, "\"");
  EXPECT_EQ(w.signal(93).code, "~");
  EXPECT_EQ(w.signal(94).code.size(), 2u);
  w.finish(0);
  const Vcd vcd = parse_vcd(read_file(dir / "trace.vcd"));
  ASSERT_EQ(vcd.vars.size(), static_cast<std::size_t>(n));
  for (const Vcd::Var& v : vcd.vars) EXPECT_EQ(vcd.dumpvars.count(v.code), 1u) << v.path;
}

TEST(VcdWriterHeader, DumpvarsHoldsInitialValuesAndNoDate) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  w.declare_integer("a.count", 8, 5);
  w.declare_integer("a.flag", 1, 1);
  w.declare_enum("a.state", {"IDLE", "BUSY", "DONE"}, 2);
  w.declare_real("a.rate", 2.5);
  w.finish(1000);
  const std::string text = read_file(dir / "trace.vcd");
  EXPECT_EQ(text.find("$date"), std::string::npos);
  EXPECT_NE(text.find("$timescale 1ps $end"), std::string::npos);
  const Vcd vcd = parse_vcd(text);
  EXPECT_EQ(vcd.dumpvars.at(vcd.var("a.count")->code), "101");
  EXPECT_EQ(vcd.dumpvars.at(vcd.var("a.flag")->code), "1");
  EXPECT_EQ(vcd.dumpvars.at(vcd.var("a.state")->code), "10");
  EXPECT_EQ(vcd.dumpvars.at(vcd.var("a.rate")->code), "2.5");
  EXPECT_EQ(vcd.var("a.state")->width, 2u);
  // Header, then "#0", then $dumpvars: the initial values are the state at time 0.
  EXPECT_NE(text.find("$enddefinitions $end\n#0\n$dumpvars\n"), std::string::npos);
  EXPECT_EQ(vcd.times, (std::vector<std::uint64_t>{0, 1000}));
}

// --- value changes -----------------------------------------------------------------------------

TEST(VcdWriterChanges, TimestampWrittenOncePerTime) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 0);
  const auto b = w.declare_integer("m.b", 8, 0);
  const auto r = w.declare_real("m.r", 0.0);
  w.change_integer(a, 10, 1);
  w.change_integer(b, 10, 2);
  w.change_real(r, 10, 0.5);
  w.change_integer(a, 20, 3);
  w.change_integer(b, 35, 4);
  w.change_integer(a, 35, 5);
  w.finish(50);
  const Vcd vcd = parse_vcd(read_file(dir / "trace.vcd"));
  EXPECT_EQ(vcd.times, (std::vector<std::uint64_t>{0, 10, 20, 35, 50}));
  EXPECT_EQ(vcd.changes.size(), 6u);
  EXPECT_EQ(vcd.final_of("m.a"), "101");
  EXPECT_EQ(vcd.final_of("m.b"), "100");
  EXPECT_EQ(vcd.final_of("m.r"), "0.5");
}

TEST(VcdWriterChanges, SameTimeChangesKeepLastValue) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 0);
  const auto r = w.declare_real("m.r", 0.0);
  for (std::uint64_t v = 1; v <= 9; ++v) w.change_integer(a, 100, v);
  w.change_real(r, 100, 1.0);
  w.change_real(r, 100, 2.0);
  w.change_integer(a, 200, 4);
  w.change_integer(a, 200, 0);  // back to... 9 is in the file: 0 is a change
  w.finish(300);
  const Vcd vcd = parse_vcd(read_file(dir / "trace.vcd"));
  const auto ch = vcd.changes_of("m.a");
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_EQ(ch[0].time, 100u);
  EXPECT_EQ(ch[0].value, "1001");
  EXPECT_EQ(ch[1].time, 200u);
  EXPECT_EQ(ch[1].value, "0");
  const auto cr = vcd.changes_of("m.r");
  ASSERT_EQ(cr.size(), 1u);
  EXPECT_EQ(cr[0].value, "2");
}

TEST(VcdWriterChanges, UnchangedValuesAreNotRewritten) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 7);
  const auto b = w.declare_integer("m.b", 8, 0);
  w.change_integer(a, 10, 7);  // same as initial
  w.change_integer(b, 20, 1);
  w.change_integer(b, 20, 0);  // net: no change at 20
  w.change_integer(b, 30, 1);
  w.finish(40);
  const Vcd vcd = parse_vcd(read_file(dir / "trace.vcd"));
  EXPECT_TRUE(vcd.changes_of("m.a").empty());
  ASSERT_EQ(vcd.changes_of("m.b").size(), 1u);
  EXPECT_EQ(vcd.changes_of("m.b")[0].time, 30u);
  // Times with nothing to write do not appear.
  EXPECT_EQ(vcd.times, (std::vector<std::uint64_t>{0, 30, 40}));
}

TEST(VcdWriterChanges, IntegersInBinaryTruncatedToWidth) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto w8 = w.declare_integer("m.w8", 8, 0);
  const auto w64 = w.declare_integer("m.w64", 64, 0);
  const auto w1 = w.declare_integer("m.w1", 1, 0);
  const std::vector<std::uint64_t> values = {1, 2, 5, 0x80, 0xff, 0x1a5, 0};
  std::uint64_t t = 0;
  for (std::uint64_t v : values) {
    t += 10;
    w.change_integer(w8, t, v);
    w.change_integer(w64, t, v * 0x0123456789abcdefULL);
    w.change_integer(w1, t, v);
  }
  w.change_integer(w64, t + 10, ~std::uint64_t{0});
  w.finish(t + 10);
  const Vcd vcd = parse_vcd(read_file(dir / "trace.vcd"));
  std::vector<std::string> got8, expected8;
  for (const auto& c : vcd.changes_of("m.w8")) got8.push_back(c.value);
  std::uint64_t last = 0;
  for (std::uint64_t v : values) {
    if ((v & 0xff) != last) expected8.push_back(binary(v & 0xff));
    last = v & 0xff;
  }
  EXPECT_EQ(got8, expected8);  // "1", "10", "101", "10000000", "11111111", "10100101", "0"
  EXPECT_EQ(vcd.final_of("m.w64"), std::string(64, '1'));
  for (const auto& c : vcd.changes_of("m.w64")) EXPECT_LE(c.value.size(), 64u);
  std::vector<std::string> got64, expected64;
  for (const auto& c : vcd.changes_of("m.w64")) got64.push_back(c.value);
  for (std::uint64_t v : values) expected64.push_back(binary(v * 0x0123456789abcdefULL));
  expected64.push_back(std::string(64, '1'));
  EXPECT_EQ(got64, expected64);  // every digit, no leading zeros, across byte boundaries
  // One-bit signals use the scalar form ("1!"), which the reader stores as "0"/"1".
  for (const auto& c : vcd.changes_of("m.w1")) EXPECT_TRUE(c.value == "0" || c.value == "1");
  EXPECT_EQ(from_binary(vcd.changes_of("m.w8")[5].value), 0xa5u);
}

TEST(VcdWriterChanges, RealsRoundTripThroughText) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto r = w.declare_real("m.r", 0.0);
  const std::vector<double> values = {
      0.1, 1.0 / 3.0, -2.5, 6.02214076e23, 1e-300, 5e-324, 1e308, 123456789.123456789, -0.0, 42.0};
  std::uint64_t t = 0;
  for (double v : values) w.change_real(r, t += 7, v);
  w.finish(t);
  const Vcd vcd = parse_vcd(read_file(dir / "trace.vcd"));
  const auto ch = vcd.changes_of("m.r");
  ASSERT_EQ(ch.size(), values.size());  // -0.0 differs from 0.0 in bits, so it is a change
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double back = std::strtod(ch[i].value.c_str(), nullptr);
    EXPECT_EQ(std::memcmp(&back, &values[i], sizeof back), 0) << ch[i].value << " != " << values[i];
  }
}

TEST(VcdWriterChanges, ChangesAtTimeZeroEnterDumpvars) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 1);
  w.change_integer(a, 0, 2);
  w.change_integer(a, 0, 3);
  w.change_integer(a, 5, 4);
  w.finish(5);
  const Vcd vcd = parse_vcd(read_file(dir / "trace.vcd"));
  EXPECT_EQ(vcd.dumpvars.at(vcd.var("m.a")->code), "11");
  EXPECT_EQ(vcd.times, (std::vector<std::uint64_t>{0, 5}));  // end time equals the last change
  EXPECT_EQ(vcd.changes_of("m.a").size(), 1u);
}

// A model that sets a value during elaboration (time 0) must not stop later models from
// declaring their signals: the set is the initial value.
TEST(VcdWriterChanges, ASetAtTimeZeroStillAllowsLaterDeclarations) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 1);
  w.change_integer(a, 0, 7);
  const auto b =
      w.declare_integer("m.b", 8, 2);  // threw before: "declared after the trace started"
  w.change_integer(b, 5, 3);
  w.finish(5);
  const Vcd vcd = parse_vcd(read_file(dir / "trace.vcd"));
  EXPECT_EQ(vcd.dumpvars.at(vcd.var("m.a")->code), "111");
  EXPECT_EQ(vcd.dumpvars.at(vcd.var("m.b")->code), "10");
  EXPECT_EQ(vcd.changes_of("m.b").size(), 1u);
}

TEST(VcdWriterChanges, FinishWritesFinalTimestampLast) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 0);
  w.change_integer(a, 100, 1);
  w.finish(123456789);
  const std::string text = read_file(dir / "trace.vcd");
  const std::string tail = "#123456789\n";
  ASSERT_GE(text.size(), tail.size());
  EXPECT_EQ(text.substr(text.size() - tail.size()), tail);
}

TEST(VcdWriterChanges, TimeStampsAreExactAcrossMicrosecondsAndDigitCounts) {
  // The writer reuses the digits above the microsecond: every stamp must still be exact.
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 0);
  const std::uint64_t times[] = {
      7,         999'999,       1'000'000,      1'000'001,      1'999'999,
      2'000'000, 9'999'999'999, 10'000'000'000, 10'000'000'005, 18'446'744'073'709'551'615ull};
  std::uint64_t v = 0;
  for (std::uint64_t t : times) w.change_integer(a, t, ++v);
  w.finish(times[9]);
  const std::string text = read_file(dir / "trace.vcd");
  std::string expected;
  for (std::uint64_t t : times) expected += "#" + std::to_string(t) + "\n";
  std::string stamps;
  std::size_t at = text.find("$end\n#7\n");
  ASSERT_NE(at, std::string::npos);
  for (std::size_t p = at + 5; p < text.size();) {
    const std::size_t eol = text.find('\n', p);
    if (text[p] == '#') stamps += text.substr(p, eol - p + 1);
    p = eol + 1;
  }
  EXPECT_EQ(stamps, expected);
}

TEST(VcdWriterChanges, TracedSourcesReportThroughTheSink) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  TracedInt depth;
  TracedInt state;
  TracedReal rate;
  depth.attach(&w, "host0.hca0.sq0.depth", 16);
  state.attach_enum(&w, "host0.hca0.sq0.state", {"EMPTY", "ACTIVE", "FULL"});
  rate.attach(&w, "host0.hca0.sq0.rate");
  depth.inc(3);  // no simulation running: time 0
  state.set(2);
  rate.set(0.75);
  w.finish(0);
  const Vcd vcd = parse_vcd(read_file(dir / "trace.vcd"));
  EXPECT_EQ(vcd.final_of("host0.hca0.sq0.depth"), "11");
  EXPECT_EQ(vcd.final_of("host0.hca0.sq0.state"), "10");
  EXPECT_EQ(vcd.final_of("host0.hca0.sq0.rate"), "0.75");
}

// --- determinism and atomicity -----------------------------------------------------------------

void write_sample(const std::string& path) {
  VcdWriter w(path);
  const auto a = w.declare_integer("host0.cpu0.a", 32, 0);
  const auto e = w.declare_enum("host0.hca0.state", {"IDLE", "RX", "TX"}, 0);
  const auto r = w.declare_real("host0.hca0.lat", 0.0);
  for (std::uint64_t t = 1; t <= 2000; ++t) {
    w.change_integer(a, t * 1000, t * 7919 % 1000);
    w.change_integer(e, t * 1000, t % 3);
    w.change_real(r, t * 1000 + 500, static_cast<double>(t) / 7.0);
  }
  w.finish(3000000);
}

TEST(VcdWriterDeterminism, SameSequenceGivesIdenticalBytes) {
  const fs::path dir = test_dir();
  write_sample((dir / "one.vcd").string());
  write_sample((dir / "two.vcd").string());
  const std::string one = read_file(dir / "one.vcd");
  EXPECT_GT(one.size(), 10000u);
  EXPECT_EQ(one, read_file(dir / "two.vcd"));
}

TEST(VcdWriterAtomicity, FileAppearsOnlyAfterFinish) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 0);
  w.change_integer(a, 10, 1);
  EXPECT_FALSE(fs::exists(dir / "trace.vcd"));
  EXPECT_TRUE(fs::exists(dir / "trace.vcd.tmp"));
  w.finish(20);
  EXPECT_TRUE(w.finished());
  EXPECT_TRUE(fs::exists(dir / "trace.vcd"));
  EXPECT_FALSE(fs::exists(dir / "trace.vcd.tmp"));
  EXPECT_EQ(w.path(), (dir / "trace.vcd").string());
}

TEST(VcdWriterAtomicity, DestroyedWithoutFinishLeavesNothing) {
  const fs::path dir = test_dir();
  {
    VcdWriter w((dir / "trace.vcd").string());
    const auto a = w.declare_integer("m.a", 8, 0);
    for (std::uint64_t t = 0; t < 100000; ++t) w.change_integer(a, t, t);  // > stdio buffer
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(VcdWriterAtomicity, ExceptionDuringRunLeavesNothing) {
  const fs::path dir = test_dir();
  EXPECT_THROW(
      {
        VcdWriter w((dir / "trace.vcd").string());
        const auto a = w.declare_integer("m.a", 8, 0);
        w.change_integer(a, 10, 1);
        throw std::runtime_error("simulation failed");
      },
      std::runtime_error);
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(VcdWriterAtomicity, UnwritableDirectoryThrowsRuntimeError) {
  const fs::path dir = test_dir();
  EXPECT_THROW(VcdWriter((dir / "missing" / "trace.vcd").string()), std::runtime_error);
}

// --- a window of simulated time ---------------------------------------------------------------

// Signal a changes every 10 ps (value t/10), b only at 35 and 95; window [40, 80].
void write_windowed(const fs::path& file, std::uint64_t start, std::uint64_t end,
                    std::uint64_t run_end) {
  VcdWriter w(file.string());
  if (end != 0) w.set_window(start, end);
  const auto a = w.declare_integer("m.a", 8, 0);
  const auto b = w.declare_real("m.b", 0.0);
  for (std::uint64_t t = 10; t <= run_end; t += 10) {
    w.change_integer(a, t, t / 10);
    if (t == 40) w.change_integer(a, t, 77);  // the last change at the window's start wins
    if (t == 30) w.change_real(b, t + 5, 2.5);
    if (t == 90) w.change_real(b, t + 5, -1.0);
  }
  w.finish(run_end);
}

TEST(VcdWriterWindow, KeepsOnlyTheWindowWithItsStartStateAsInitialValues) {
  const fs::path dir = test_dir();
  write_windowed(dir / "full.vcd", 0, 0, 120);
  write_windowed(dir / "window.vcd", 40, 80, 120);
  const Vcd full = parse_vcd(read_file(dir / "full.vcd"));
  const Vcd win = parse_vcd(read_file(dir / "window.vcd"));
  for (std::uint64_t t : win.times) {
    EXPECT_GE(t, 40u);
    EXPECT_LE(t, 80u);
  }
  EXPECT_EQ(win.times.front(), 40u);  // $dumpvars at the start
  EXPECT_EQ(win.times.back(), 80u);   // the run went on: the trace ends with the window
  // The values at the start are the full trace's values at that time.
  EXPECT_EQ(hcasim_test::values_at(win, 40), hcasim_test::values_at(full, 40));
  EXPECT_EQ(win.dumpvars.at(win.var("m.a")->code), binary(77));
  EXPECT_EQ(win.dumpvars.at(win.var("m.b")->code), "2.5");
  // Inside, every change of the full trace, and nothing after the window.
  std::vector<std::uint64_t> inside;
  for (const auto& c : win.changes_of("m.a")) inside.push_back(c.time);
  EXPECT_EQ(inside, (std::vector<std::uint64_t>{50, 60, 70, 80}));
  EXPECT_TRUE(win.changes_of("m.b").empty());  // 95 is after the window
  EXPECT_EQ(hcasim_test::values_at(win, 80), hcasim_test::values_at(full, 80));
}

TEST(VcdWriterWindow, ARunEndingBeforeTheWindowGivesItsFinalValuesAtTheStart) {
  const fs::path dir = test_dir();
  write_windowed(dir / "full.vcd", 0, 0, 60);
  write_windowed(dir / "late.vcd", 100, 200, 60);
  const Vcd full = parse_vcd(read_file(dir / "full.vcd"));
  const Vcd late = parse_vcd(read_file(dir / "late.vcd"));
  EXPECT_EQ(late.times, (std::vector<std::uint64_t>{100}));
  EXPECT_EQ(hcasim_test::values_at(late, 100), hcasim_test::values_at(full, 60));
}

TEST(VcdWriterWindow, ARunEndingInsideTheWindowEndsThere) {
  const fs::path dir = test_dir();
  write_windowed(dir / "w.vcd", 40, 1000, 120);
  const Vcd w = parse_vcd(read_file(dir / "w.vcd"));
  EXPECT_EQ(w.times.back(), 120u);
}

TEST(VcdWriterWindow, MisuseThrows) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  EXPECT_THROW(w.set_window(20, 10), std::logic_error);
  w.declare_integer("m.a", 8, 0);
  w.start();
  EXPECT_THROW(w.set_window(0, 10), std::logic_error);
}

// --- errors ------------------------------------------------------------------------------------

template <typename F>
std::string logic_error_message(F&& f) {
  try {
    f();
  } catch (const std::logic_error& e) {
    return e.what();
  }
  return "<no std::logic_error>";
}

TEST(VcdWriterErrors, DeclareAfterStartThrowsNamingSignal) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  w.declare_integer("m.a", 8, 0);
  w.start();
  EXPECT_TRUE(w.started());
  EXPECT_NE(logic_error_message([&] { w.declare_integer("m.late", 8, 0); }).find("m.late"),
            std::string::npos);
  EXPECT_NE(logic_error_message([&] { w.declare_real("m.late_r", 0); }).find("m.late_r"),
            std::string::npos);
  EXPECT_NE(logic_error_message([&] { w.declare_enum("m.late_e", {"A"}, 0); }).find("m.late_e"),
            std::string::npos);
}

TEST(VcdWriterErrors, DeclareAfterTheFirstTimedChangeThrows) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 0);
  w.change_integer(a, 10, 1);  // after time 0: the trace has started
  EXPECT_THROW(w.declare_integer("m.b", 8, 0), std::logic_error);
}

TEST(VcdWriterErrors, TimeGoingBackwardsThrows) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 0);
  const auto r = w.declare_real("m.r", 0);
  w.change_integer(a, 100, 1);
  EXPECT_NE(logic_error_message([&] { w.change_integer(a, 99, 2); }).find("m.a"),
            std::string::npos);
  EXPECT_THROW(w.change_real(r, 50, 1.0), std::logic_error);
  EXPECT_THROW(w.finish(99), std::logic_error);
  w.change_integer(a, 100, 3);  // same time is fine
  w.finish(100);
  EXPECT_THROW(w.change_integer(a, 200, 4), std::logic_error);
  EXPECT_THROW(w.finish(300), std::logic_error);
}

TEST(VcdWriterErrors, EachMisusedChangeSaysWhatWentWrong) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 0);
  auto says = [](std::string message, const char* what) {
    EXPECT_NE(message.find(what), std::string::npos) << message;
  };
  says(logic_error_message([&] { w.change_integer(a + 7, 10, 1); }), "unknown signal id 7");
  says(logic_error_message([&] { w.change_real(a, 10, 1.0); }),
       "'m.a' changed as a real but declared otherwise");
  w.change_integer(a, 100, 1);
  says(logic_error_message([&] { w.change_integer(a, 99, 2); }),
       "'m.a' changed at 99 ps, before the last change at 100 ps");
  w.finish(100);
  says(logic_error_message([&] { w.change_integer(a, 200, 4); }), "'m.a' changed after finish");
}

TEST(VcdWriterErrors, DuplicatePathThrows) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  w.declare_integer("m.a", 8, 0);
  EXPECT_NE(logic_error_message([&] { w.declare_real("m.a", 0); }).find("m.a"), std::string::npos);
  EXPECT_EQ(w.signal_count(), 1u);
}

TEST(VcdWriterErrors, BadDeclarationsRejected) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  EXPECT_THROW(w.declare_integer("m.w0", 0, 0), std::invalid_argument);
  EXPECT_THROW(w.declare_integer("m.w65", 65, 0), std::invalid_argument);
  EXPECT_THROW(w.declare_enum("m.e", {}, 0), std::invalid_argument);
  for (const char* bad : {"", "m..a", ".a", "a.", "m.a b", "m.\ta"}) {
    EXPECT_THROW(w.declare_integer(bad, 8, 0), std::invalid_argument) << '"' << bad << '"';
  }
  EXPECT_EQ(w.signal_count(), 0u);
}

TEST(VcdWriterErrors, WrongKindOrUnknownIdThrows) {
  const fs::path dir = test_dir();
  VcdWriter w((dir / "trace.vcd").string());
  const auto a = w.declare_integer("m.a", 8, 0);
  const auto r = w.declare_real("m.r", 0);
  EXPECT_THROW(w.change_real(a, 1, 1.0), std::logic_error);
  EXPECT_THROW(w.change_integer(r, 1, 1), std::logic_error);
  EXPECT_THROW(w.change_integer(7, 1, 1), std::logic_error);
  EXPECT_THROW(w.signal(7), std::out_of_range);
}

// --- GTKWave's own tools -----------------------------------------------------------------------

bool have_tool(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

TEST(VcdWriterGtkwaveTools, Vcd2fstAndBackKeepsSignalsAndValues) {
  if (!have_tool("vcd2fst") || !have_tool("fst2vcd")) {
    GTEST_SKIP() << "vcd2fst/fst2vcd (Debian package gtkwave) not on PATH";
  }
  const fs::path dir = test_dir();
  const std::vector<std::string> labels = {"IDLE", "FETCH", "EXEC", "WAIT", "DONE"};
  std::map<std::string, std::string> expected;  // path -> final value text in the VCD
  {
    VcdWriter w((dir / "trace.vcd").string());
    std::vector<TraceSink::SignalId> ints, enums, reals;
    std::vector<std::string> int_paths, enum_paths, real_paths;
    for (int h = 0; h < 2; ++h) {
      for (const char* comp : {"cpu0", "hca0", "hca0.sq0", "hca0.cq0"}) {
        const std::string base = "host" + std::to_string(h) + "." + comp + ".";
        int_paths.push_back(base + "depth");
        ints.push_back(w.declare_integer(int_paths.back(), 32, 0));
        int_paths.push_back(base + "busy");
        ints.push_back(w.declare_integer(int_paths.back(), 1, 0));
        enum_paths.push_back(base + "state");
        enums.push_back(w.declare_enum(enum_paths.back(), labels, 0));
        real_paths.push_back(base + "latency_ns");
        reals.push_back(w.declare_real(real_paths.back(), 0.0));
      }
    }
    std::vector<std::uint64_t> ival(ints.size(), 0), eval(enums.size(), 0);
    std::vector<double> rval(reals.size(), 0.0);
    std::uint64_t t = 0;
    for (int step = 1; step <= 5000; ++step) {
      t += 1000 + static_cast<std::uint64_t>(step % 7) * 250;
      const std::size_t i = static_cast<std::size_t>(step) % ints.size();
      ival[i] = (static_cast<std::uint64_t>(step) * 2654435761u) &
                (w.signal(ints[i]).width == 1 ? 1u : 0xffffffffu);
      w.change_integer(ints[i], t, ival[i]);
      const std::size_t e = static_cast<std::size_t>(step) % enums.size();
      eval[e] = static_cast<std::uint64_t>(step) % labels.size();
      w.change_integer(enums[e], t, eval[e]);
      const std::size_t r = static_cast<std::size_t>(step) % reals.size();
      rval[r] = step * 0.125 + 1.0 / (step + 1);
      w.change_real(reals[r], t, rval[r]);
    }
    w.finish(t + 1000);
    for (std::size_t i = 0; i < ints.size(); ++i) expected[int_paths[i]] = std::to_string(ival[i]);
    for (std::size_t i = 0; i < enums.size(); ++i)
      expected[enum_paths[i]] = std::to_string(eval[i]);
    for (std::size_t i = 0; i < reals.size(); ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", rval[i]);
      expected[real_paths[i]] = buf;
    }
  }
  const std::string vcd = (dir / "trace.vcd").string();
  const std::string fst = (dir / "trace.fst").string();
  const std::string back = (dir / "back.vcd").string();
  ASSERT_EQ(std::system(("vcd2fst '" + vcd + "' '" + fst + "' >/dev/null 2>&1").c_str()), 0);
  ASSERT_EQ(std::system(("fst2vcd -f '" + fst + "' -o '" + back + "' >/dev/null 2>&1").c_str()), 0);

  const Vcd parsed = parse_vcd(read_file(back));
  EXPECT_TRUE(parsed.balanced);
  EXPECT_EQ(parsed.vars.size(), expected.size());
  for (const auto& [path, value] : expected) {
    const Vcd::Var* v = parsed.var(path);
    ASSERT_NE(v, nullptr) << path << " missing after vcd2fst/fst2vcd";
    const std::string got = parsed.final_of(path);
    if (v->type == "real") {
      EXPECT_NEAR(std::strtod(got.c_str(), nullptr), std::strtod(value.c_str(), nullptr),
                  1e-12 * std::fabs(std::strtod(value.c_str(), nullptr)))
          << path;
    } else {
      EXPECT_EQ(from_binary(got), std::stoull(value)) << path;
    }
  }
  ASSERT_FALSE(parsed.times.empty());
  const Vcd original = parse_vcd(read_file(vcd));
  EXPECT_EQ(parsed.changes.size(), original.changes.size());
}

}  // namespace
}  // namespace hcasim
