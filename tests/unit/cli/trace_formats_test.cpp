// The trace a user opens in GTKWave, end to end: `--trace fst` writes GTKWave's compressed format
// itself (GTKWave's fst2vcd gives back the VCD run's signals and every change; the same seed
// gives the same bytes; an interruption leaves a readable trace.fst.partial), and
// `--trace-window START:END` keeps only that span with the values at START as initial values.
// Bad formats and windows exit 2.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/vcd_reader.hpp"
#include "tests/unit/cli/cli_support.hpp"

namespace {

using namespace hcasim_cli_test;
using hcasim_test::parse_vcd;
using hcasim_test::values_at;
using hcasim_test::Vcd;

const std::string kPingpong = (kScenarios / "pingpong.ini").string();

// hcasim writes FST without GTKWave; the tests read it back with GTKWave's fst2vcd.
bool have_gtkwave_tools() { return !find_on_path("fst2vcd").empty(); }

RunResult pingpong(const fs::path& dir, const std::string& out,
                   const std::vector<std::string>& extra) {
  std::vector<std::string> args{"run", kPingpong, "--set", "pingpong.count=200", "--out", out};
  args.insert(args.end(), extra.begin(), extra.end());
  return hcasim(args, dir);
}

Vcd fst_as_vcd(const fs::path& fst, const fs::path& dir) {
  const RunResult r = run_program(find_on_path("fst2vcd"),
                                  {"-f", fst.string(), "-o", (dir / "back.vcd").string()}, dir);
  EXPECT_EQ(r.status, 0) << describe(r);
  return parse_vcd(read_text(dir / "back.vcd"));
}

// Integer values as numbers (fst2vcd pads them with zeros), reals as written.
std::map<std::string, std::string> normalized(const Vcd& vcd,
                                              std::map<std::string, std::string> v) {
  for (auto& [path, value] : v)
    if (vcd.var(path)->type != "real") value = std::to_string(hcasim_test::from_binary(value));
  return v;
}

TEST(TraceFst, WritesFstThatGtkwaveReadsBackAsTheVcdRunsTrace) {
  if (!have_gtkwave_tools()) GTEST_SKIP() << "fst2vcd (Debian package gtkwave) missing";
  const fs::path dir = fresh_dir();
  RunResult r = pingpong(dir, "vcd", {"--trace", "vcd"});
  ASSERT_EQ(r.status, 0) << describe(r);
  r = pingpong(dir, "fst", {"--trace", "fst"});
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_NE(r.out.find("trace.fst trace.gtkw"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir / "fst" / "trace.fst"));
  EXPECT_FALSE(fs::exists(dir / "fst" / "trace.vcd"));
  // The save file opens the FST; otherwise it is the VCD run's.
  const std::string gtkw = read_text(dir / "fst" / "trace.gtkw");
  EXPECT_NE(gtkw.find("[dumpfile] \"trace.fst\""), std::string::npos) << gtkw;
  std::string vcd_gtkw = read_text(dir / "vcd" / "trace.gtkw");
  for (std::size_t at; (at = vcd_gtkw.find("trace.vcd")) != std::string::npos;)
    vcd_gtkw.replace(at, 9, "trace.fst");
  EXPECT_EQ(gtkw, vcd_gtkw);

  const Vcd vcd = parse_vcd(read_text(dir / "vcd" / "trace.vcd"));
  const Vcd back = fst_as_vcd(dir / "fst" / "trace.fst", dir);
  ASSERT_EQ(back.vars.size(), vcd.vars.size());
  for (const Vcd::Var& v : vcd.vars) ASSERT_NE(back.var(v.path), nullptr) << v.path;
  EXPECT_EQ(back.times, vcd.times);
  EXPECT_EQ(back.changes.size(), vcd.changes.size());
  for (std::uint64_t t : {vcd.times[vcd.times.size() / 3], vcd.times.back()})
    EXPECT_EQ(normalized(back, values_at(back, t)), normalized(vcd, values_at(vcd, t))) << t;
  // Every change, signal by signal (fst2vcd orders a timestamp's changes its own way).
  for (const Vcd::Var& v : vcd.vars) {
    const std::vector<Vcd::Change> want = vcd.changes_of(v.path);
    const std::vector<Vcd::Change> got = back.changes_of(v.path);
    ASSERT_EQ(got.size(), want.size()) << v.path;
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].time, want[i].time) << v.path;
      if (v.type == "real")  // fst2vcd prints 16 digits: the double itself is exact in the FST
        EXPECT_DOUBLE_EQ(std::stod(got[i].value), std::stod(want[i].value))
            << v.path << " at " << want[i].time;
      else
        EXPECT_EQ(hcasim_test::from_binary(got[i].value), hcasim_test::from_binary(want[i].value))
            << v.path << " at " << want[i].time;
    }
  }
}

TEST(TraceFst, TheSameSeedGivesByteIdenticalFiles) {
  if (!have_gtkwave_tools()) GTEST_SKIP() << "fst2vcd (Debian package gtkwave) missing";
  const fs::path dir = fresh_dir();
  ASSERT_EQ(pingpong(dir, "a", {"--trace", "fst", "--seed", "5"}).status, 0);
  ASSERT_EQ(pingpong(dir, "b", {"--trace", "fst", "--seed", "5"}).status, 0);
  EXPECT_EQ(snapshot(dir / "a"), snapshot(dir / "b"));
}

// The value-change blocks the header of an FST file counts (0 when it is too short to say).
std::uint64_t fst_blocks_counted(const fs::path& fst) {
  // header block: type (1), length (8), start and end time, endianness double, memory, scopes,
  // variables, handles (8 each: 1 + 8 * 8), then the block count (8, big-endian)
  constexpr std::size_t kCountAt = 65;
  const std::string bytes = read_text(fst);
  if (bytes.size() < kCountAt + 8) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < 8; ++i) n = n << 8 | static_cast<unsigned char>(bytes[kCountAt + i]);
  return n;
}

Child endless_fst_run(const fs::path& dir) {
  return start_program(
      kExe,
      {"run", kPingpong, "--set", "pingpong.count=1000000000", "--trace", "fst", "--out", "res"},
      dir);
}

// Killed once the first block of changes is on disk (after a fixed time a fast build would
// leave hundreds of megabytes of changes for fst2vcd to convert back; 20 s covers a loaded
// machine or a sanitizer build elaborating).
TEST(TraceFst, AnInterruptedRunLeavesAReadablePartialTraceOnly) {
  if (!have_gtkwave_tools()) GTEST_SKIP() << "fst2vcd (Debian package gtkwave) missing";
  const fs::path dir = fresh_dir();
  const Child child = endless_fst_run(dir);
  const fs::path tmp = dir / "res" / "trace.fst.tmp";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && fst_blocks_counted(tmp) == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  kill(child.pid, SIGINT);
  const RunResult r = wait_program(child);
  EXPECT_EQ(r.signal, SIGINT) << describe(r);
  EXPECT_NE(r.err.find("partial output: res/trace.fst.partial"), std::string::npos) << r.err;
  EXPECT_EQ(outputs_under(dir / "res"), std::vector<std::string>{"trace.fst.partial"});
  const Vcd back = fst_as_vcd(dir / "res" / "trace.fst.partial", dir);
  EXPECT_FALSE(back.vars.empty());
  EXPECT_GT(back.times.size(), 1u);  // time went on past the initial values
}

// GTKWave's readers refuse an FST without a block of changes, so a run interrupted before its
// first one keeps no trace at all rather than a file that will not open. Killed as soon as the
// file exists: whichever side of the first block the signal lands, what is left opens.
TEST(TraceFst, AnEarlyInterruptionLeavesNoTraceOrAReadableOne) {
  if (!have_gtkwave_tools()) GTEST_SKIP() << "fst2vcd (Debian package gtkwave) missing";
  const fs::path dir = fresh_dir();
  const Child child = endless_fst_run(dir);
  const fs::path tmp = dir / "res" / "trace.fst.tmp";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::error_code ec;
  while (std::chrono::steady_clock::now() < deadline && !fs::exists(tmp, ec))
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  kill(child.pid, SIGINT);
  const RunResult r = wait_program(child);
  EXPECT_EQ(r.signal, SIGINT) << describe(r);
  EXPECT_FALSE(fs::exists(tmp));
  if (fs::exists(dir / "res" / "trace.fst.partial")) {
    EXPECT_NE(r.err.find("partial output: res/trace.fst.partial"), std::string::npos) << r.err;
    EXPECT_FALSE(fst_as_vcd(dir / "res" / "trace.fst.partial", dir).vars.empty());
  } else {
    EXPECT_NE(r.err.find("; no trace kept: the interruption came before its first block was "
                         "written"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(outputs_under(dir / "res"), std::vector<std::string>{});
  }
}

// trace.fst.tmp.hier is what GTKWave's vcd2fst left when it was killed (hcasim used it to write
// FST before it had its own writer): still cleaned up.
TEST(TraceFst, LeftoversOfAKilledRunAndConverterAreRemovedOthersKept) {
  if (!have_gtkwave_tools()) GTEST_SKIP() << "fst2vcd (Debian package gtkwave) missing";
  const fs::path dir = fresh_dir();
  fs::create_directories(dir / "res");
  for (const char* f : {"trace.fst.tmp", "trace.fst.tmp.hier", "notes.hier", "notes.tmp"})
    write_text(dir / "res" / f, "x");
  const RunResult r = pingpong(dir, "res", {"--trace", "fst"});
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_FALSE(fs::exists(dir / "res" / "trace.fst.tmp.hier"));
  EXPECT_FALSE(fs::exists(dir / "res" / "trace.fst.tmp"));
  EXPECT_TRUE(fs::exists(dir / "res" / "notes.hier"));  // the user's own files stay
  EXPECT_TRUE(fs::exists(dir / "res" / "notes.tmp"));
  EXPECT_TRUE(fs::exists(dir / "res" / "trace.fst"));
}

TEST(TraceFormat, AnUnknownFormatIsRefusedBeforeAnythingIsWritten) {
  const fs::path dir = fresh_dir();
  const RunResult r = pingpong(dir, "res", {"--trace", "lxt"});
  EXPECT_EQ(r.status, 2) << describe(r);
  EXPECT_NE(
      r.err.find("key 'scenario.trace': 'lxt' is not allowed; allowed: one of vcd, fst, none"),
      std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir / "res"));
}

// The window's trace against the whole run's: no time outside [START, END], the same values at
// START, and the same changes inside.
void check_window(const Vcd& full, const Vcd& win, std::uint64_t start, std::uint64_t end) {
  ASSERT_FALSE(win.times.empty());
  for (std::uint64_t t : win.times) {
    EXPECT_GE(t, start);
    EXPECT_LE(t, end);
  }
  EXPECT_EQ(win.times.front(), start);
  EXPECT_EQ(win.times.back(), end);
  EXPECT_EQ(values_at(win, start), values_at(full, start));
  EXPECT_FALSE(win.dumpvars.empty());
  std::size_t inside = 0;
  for (const Vcd::Change& c : full.changes) inside += c.time > start && c.time <= end;
  EXPECT_EQ(win.changes.size(), inside);
  EXPECT_GT(inside, 100u);  // the window is not trivially empty
  EXPECT_EQ(values_at(win, end), values_at(full, end));
  const std::uint64_t middle = start + (end - start) / 2;
  EXPECT_EQ(values_at(win, middle), values_at(full, middle));
}

TEST(TraceWindow, KeepsOnlyTheWindowStartingFromTheFullTracesValues) {
  const fs::path dir = fresh_dir();
  ASSERT_EQ(pingpong(dir, "full", {"--trace", "vcd"}).status, 0);
  RunResult r = pingpong(dir, "win", {"--trace", "vcd", "--trace-window", "20us:40.5us"});
  ASSERT_EQ(r.status, 0) << describe(r);
  const Vcd full = parse_vcd(read_text(dir / "full" / "trace.vcd"));
  const Vcd win = parse_vcd(read_text(dir / "win" / "trace.vcd"));
  ASSERT_GT(full.times.back(), 40500000u);  // the run goes on after the window
  check_window(full, win, 20000000, 40500000);
  // The save file opens on the window.
  EXPECT_NE(read_text(dir / "win" / "trace.gtkw").find("[timestart] 20000000\n"),
            std::string::npos);
}

TEST(TraceWindow, WorksWithFst) {
  if (!have_gtkwave_tools()) GTEST_SKIP() << "fst2vcd (Debian package gtkwave) missing";
  const fs::path dir = fresh_dir();
  ASSERT_EQ(pingpong(dir, "full", {"--trace", "vcd"}).status, 0);
  const RunResult r = pingpong(dir, "win", {"--trace", "fst", "--trace-window", "10000ns:0.02ms"});
  ASSERT_EQ(r.status, 0) << describe(r);
  const Vcd full = parse_vcd(read_text(dir / "full" / "trace.vcd"));
  const Vcd win = fst_as_vcd(dir / "win" / "trace.fst", dir);
  for (std::uint64_t t : win.times) {
    EXPECT_GE(t, 10000000u);
    EXPECT_LE(t, 20000000u);
  }
  EXPECT_EQ(normalized(win, values_at(win, 10000000)), normalized(full, values_at(full, 10000000)));
}

TEST(TraceWindow, MalformedWindowsExitTwoNamingTheOptionAndTheForm) {
  const fs::path dir = fresh_dir();
  for (const char* bad : {"10us", "20us:10us", "5us:5us", "1xs:2us", ":3us", "1us:2us:3us",
                          "1us:us", "-1us:2us", "1e3us:2ms", "10:20"}) {
    const RunResult r = pingpong(dir, "res", {"--trace-window", bad});
    EXPECT_EQ(r.status, 2) << bad << "\n" << describe(r);
    EXPECT_NE(r.err.find("--trace-window: '" + std::string(bad) + "'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("allowed: START:END"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "res")) << bad;
  }
  const RunResult r = pingpong(dir, "res", {"--trace", "none", "--trace-window", "1us:2us"});
  EXPECT_EQ(r.status, 2) << describe(r);
  EXPECT_NE(r.err.find("--trace-window: the run writes no trace"), std::string::npos) << r.err;
}

}  // namespace
