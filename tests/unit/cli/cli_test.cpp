// End-to-end tests of the `hcasim` command line: each test runs the real executable as a child
// process (in a folder of its own under cli_test_out/) and checks what a user would see: the exit
// status, the messages, and the files a run leaves in its output folder.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "models/core/params.hpp"
#include "workloads/system.hpp"

#include "tests/unit/cli/cli_support.hpp"

namespace {

using namespace hcasim_cli_test;
using hcasim_cli_test::hcasim;  // the function, not the namespace of the same name

// ---------------------------------------------------------------------------------------------
// 1. Bad inputs: exit 2, a message naming the problem, and no output files.

struct BadInput {
  std::string name;
  std::vector<std::pair<std::string, std::string>> files;  // scenario files to write first
  std::vector<std::string> args;                           // "@DEFAULT@": the bundled default.ini
  std::vector<std::string> expect;                         // substrings of stderr
};

std::ostream& operator<<(std::ostream& os, const BadInput& b) { return os << b.name; }

std::vector<BadInput> bad_inputs() {
  const std::string d = "@DEFAULT@";
  const std::string count = "pingpong.count=5";
  return {
      {"UnknownKeyInFile",
       {{"unk.ini", "[pingpong]\ncount = 5\nbogus = 3\n"}},
       {"run", "unk.ini"},
       {"unk.ini:3", "pingpong.bogus", "unknown parameter"}},
      {"SqStrideNotInAllowedSet",
       {{"stride.ini", "[pingpong]\ncount = 5\n\n[hca]\nsq_stride = 100\n"}},
       {"run", "stride.ini"},
       {"stride.ini:5", "hca.sq_stride", "100", "one of 64, 128, 256, 512"}},
      {"PcieLanesZeroInFile",
       {{"lanes.ini", "[pcie]\nlanes = 0\n"}},
       {"run", "lanes.ini"},
       {"lanes.ini:2", "pcie.lanes", "1 .. 32"}},
      {"PcieLanesZeroBySet",
       {},
       {"run", d, "--set", count, "--set", "pcie.lanes=0"},
       {"--set pcie.lanes=0", "pcie.lanes", "out of range", "1 .. 32"}},
      {"WrongTypeInFile",
       {{"type.ini", "[pingpong]\ncount = abc\n"}},
       {"run", "type.ini"},
       {"type.ini:2", "pingpong.count", "'abc' is not an integer"}},
      {"WrongTypeBySet",
       {},
       {"run", d, "--set", "pingpong.count=abc"},
       {"pingpong.count", "'abc' is not an integer"}},
      {"RealNotANumber",
       {},
       {"run", d, "--set", count, "--set", "hca.clock_mhz=fast"},
       {"hca.clock_mhz", "'fast' is not a number", "10 .. 10000"}},
      {"BooleanNotABoolean",
       {},
       {"run", d, "--set", count, "--set", "pingpong.inline=maybe"},
       {"pingpong.inline", "'maybe'", "true or false"}},
      {"MalformedLineWithoutEquals",
       {{"mal.ini", "# a comment\n[pingpong]\ncount 5\n"}},
       {"run", "mal.ini"},
       {"mal.ini:3", "malformed line", "count 5"}},
      {"MalformedSectionHeader",
       {{"sec.ini", "[pingpong\ncount = 5\n"}},
       {"run", "sec.ini"},
       {"sec.ini:1", "section"}},
      {"KeyGivenTwiceInOneFile",
       {{"twice.ini", "[pingpong]\ncount = 5\nsize = 4\ncount = 6\n"}},
       {"run", "twice.ini"},
       {"twice.ini:4", "pingpong.count", "given twice", "line 2"}},
      {"MissingScenarioFile", {}, {"run", "nothere.ini"}, {"nothere.ini", "cannot open"}},
      {"MissingIncludeTarget",
       {{"inc.ini", "include = nothere_inc.ini\n[pingpong]\ncount = 5\n"}},
       {"run", "inc.ini"},
       {"inc.ini:1", "include", "nothere_inc.ini", "does not exist"}},
      {"BadKeyInIncludedFile",
       {{"top.ini", "include = preset.ini\n"}, {"preset.ini", "[pcie]\nlanes = 2\nlanez = 4\n"}},
       {"run", "top.ini"},
       {"preset.ini:3", "pcie.lanez", "unknown parameter"}},
      {"IncludeCycle",
       {{"loop.ini", "include = loop.ini\n"}},
       {"run", "loop.ini"},
       {"loop.ini", "nested"}},
      {"SetWithoutEquals",
       {},
       {"run", d, "--set", "pingpong.count"},
       {"--set pingpong.count", "KEY=VALUE"}},
      {"SetWithoutKey", {}, {"run", d, "--set", "=5"}, {"--set =5", "KEY=VALUE"}},
      {"UnknownSetKey",
       {},
       {"run", d, "--set", count, "--set", "pingpong.bogus=1"},
       {"--set pingpong.bogus=1", "pingpong.bogus", "unknown parameter"}},
      {"BadTraceValue",
       {},
       {"run", d, "--set", count, "--trace", "lxt"},
       {"--trace", "'lxt'", "one of vcd, fst, none"}},
      {"BadTraceWindow",
       {},
       {"run", d, "--set", count, "--trace-window", "10us-20us"},
       {"--trace-window", "'10us-20us'", "allowed: START:END"}},
      {"TraceWindowWithoutTrace",
       {},
       {"run", d, "--set", count, "--trace", "none", "--trace-window", "10us:20us"},
       {"--trace-window", "no trace"}},
      {"BadSeed", {}, {"run", d, "--set", count, "--seed", "x"}, {"--seed", "scenario.seed"}},
      {"MessagesLargerThanSimulatedMemory",
       {},
       {"run", d, "--set", count, "--set", "pingpong.size=16777216"},
       {"iou.memory_mb", "MiB"}},
      {"DirectCableWithThreeAdapters",
       {},
       {"run", d, "--set", count, "--set", "system.ious=2", "--set", "fabric.topology=direct"},
       {"fabric.topology", "switch"}},
      {"TimerTickLongerThanItsPeriod",
       {},
       {"run", d, "--set", count, "--set", "host.tick_hz=1000", "--set", "host.tick_ns=1000000"},
       {"host.tick_ns", "host.tick_hz", "not shorter than the tick period"}},
      {"NegativeSeed", {}, {"run", d, "--set", count, "--seed", "-1"}, {"--seed", "out of range"}},
      {"NameWithSlash",
       {},
       {"run", d, "--set", count, "--set", "scenario.name=a/b"},
       {"scenario.name", "'a/b'"}},
      {"ServiceTheWorkloadDoesNotDrive",
       {},
       {"run", d, "--set", count, "--set", "iou.service=storage"},
       {"iou.service", "'storage'", "allowed here: auto, echo"}},
      {"StorageIoNotWholeBlocks",
       {},
       {"run", d, "--set", "workload.kind=storage", "--set", "host.cpus=4", "--set", "fio.bs=1000"},
       {"fio.bs", "storage.block_bytes"}},
      {"UdWithAToolOtherThanSend",
       {},
       {"run", d, "--set", "workload.kind=perftest", "--set", "perftest.test=write_bw", "--set",
        "perftest.connection=UD"},
       {"perftest.connection", "allowed with this test: RC"}},
      {"UdMessageLargerThanTheMtu",
       {},
       {"run", d, "--set", "workload.kind=perftest", "--set", "perftest.test=send_bw", "--set",
        "perftest.connection=UD", "--set", "perftest.sizes=64,8192"},
       {"perftest.sizes", "fabric.mtu", "1 .. 4096"}},
      {"BidirectionalLatencyTool",
       {},
       {"run", d, "--set", "workload.kind=perftest", "--set", "perftest.test=send_lat", "--set",
        "perftest.bidirectional=true"},
       {"perftest.bidirectional", "allowed: false"}},
      {"UnknownCommand", {}, {"frob"}, {"unknown command 'frob'"}},
      {"UnknownRunOption", {}, {"run", d, "--set", count, "--bogus"}, {"--bogus"}},
      {"OptionMissingItsValue", {}, {"run", d, "--set"}, {"--set"}},
      {"NoScenarioGiven", {}, {"run", "--set", count}, {"no scenario file given"}},
      {"TwoScenariosGiven", {}, {"run", d, d, "--set", count}, {"positional"}},
      {"ParamsWithArgument", {}, {"params", "extra"}, {"takes no arguments"}},
      {"ListWithArgument", {}, {"list", "extra"}, {"takes no arguments"}},
  };
}

// Writes the case's files into `dir` and runs it with `--out res`, in `dir`.
RunResult run_bad_input(const BadInput& b, const fs::path& dir) {
  for (const auto& [name, text] : b.files) write_text(dir / name, text);
  std::vector<std::string> args;
  for (const auto& a : b.args) args.push_back(a == "@DEFAULT@" ? kDefaultIni : a);
  // Right after the command, so that a trailing option of the case stays without its value.
  args.insert(args.begin() + (args.empty() ? 0 : 1), {"--out", "res"});
  return hcasim(args, dir);
}

class CliBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(CliBadInput, ExitsTwoWithMessageAndWritesNothing) {
  const BadInput& b = GetParam();
  const fs::path dir = fresh_dir();
  const RunResult r = run_bad_input(b, dir);
  EXPECT_EQ(r.status, 2) << describe(r);
  for (const auto& s : b.expect) EXPECT_NE(r.err.find(s), std::string::npos) << s << "\n" << r.err;
  EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "") << "errors go to stderr only";
  // Neither the --out folder nor a default out/<name> folder got any output.
  EXPECT_EQ(outputs_under(dir), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(dir / "out"));
}

INSTANTIATE_TEST_SUITE_P(Cli, CliBadInput, ::testing::ValuesIn(bad_inputs()),
                         [](const ::testing::TestParamInfo<BadInput>& i) { return i.param.name; });

// Validation happens before the output folder is touched, so results of an earlier good run
// stay exactly as they were when a later run is refused.
TEST(CliRun, BadInputLeavesEarlierResultsUntouched) {
  const fs::path dir = fresh_dir();
  const RunResult good =
      hcasim({"run", kDefaultIni, "--set", "pingpong.count=50", "--out", "res"}, dir);
  ASSERT_EQ(good.status, 0) << describe(good);
  const auto before = snapshot(dir / "res");
  for (const char* o : kOutputs) ASSERT_EQ(before.count(o), 1u) << o;
  for (const auto& b : bad_inputs()) {
    const RunResult r = run_bad_input(b, dir);
    EXPECT_EQ(r.status, 2) << b.name << "\n" << describe(r);
    EXPECT_EQ(snapshot(dir / "res"), before) << b.name << " changed the earlier results";
  }
}

// docs/bad-input.md holds the table of these cases, generated from them, so that it cannot drift
// from what hcasim does. HCASIM_UPDATE_DOCS=1 rewrites the table in place.
const char* const kTableBegin =
    "<!-- bad-input table: generated by tests/unit/cli/cli_test.cpp -->";
const char* const kTableEnd = "<!-- end of bad-input table -->";

std::string markdown_cell(std::string text) {
  const std::string source = kSourceDir.string() + "/";
  for (auto at = text.find(source); at != std::string::npos; at = text.find(source))
    text.erase(at, source.size());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::string cell;
  for (char c : text) {
    if (c == '\n')
      cell += "<br>";
    else if (c == '|')
      cell += "\\|";
    else
      cell += c;
  }
  return cell;
}

std::string bad_input_table(const fs::path& dir) {
  std::string table = "| case | input | exit | what hcasim says (stderr) |\n|---|---|---|---|\n";
  for (const auto& b : bad_inputs()) {
    const RunResult r = run_bad_input(b, dir);
    std::string input;
    for (const auto& [name, text] : b.files)
      input += "`" + name + "`: `" + markdown_cell(text) + "`<br>";
    input += "`hcasim";
    for (std::size_t i = 0; i < b.args.size(); ++i) {
      input += " " + (b.args[i] == "@DEFAULT@" ? "workloads/scenarios/default.ini" : b.args[i]);
      if (i == 0) input += " --out res";
    }
    input += "`";
    table += "| " + b.name + " | " + markdown_cell(input) + " | " + std::to_string(r.status) +
             " | " + markdown_cell(r.err) + " |\n";
  }
  return table;
}

TEST(CliDocs, BadInputTableMatchesWhatHcasimSays) {
  const fs::path dir = fresh_dir();
  const std::string table = bad_input_table(dir);
  const fs::path doc = kSourceDir / "docs" / "bad-input.md";
  std::string text = read_text(doc);
  const auto begin = text.find(kTableBegin);
  const auto end = text.find(kTableEnd);
  ASSERT_NE(begin, std::string::npos) << doc << " lacks the line " << kTableBegin;
  ASSERT_NE(end, std::string::npos) << doc << " lacks the line " << kTableEnd;
  const auto from = begin + std::string(kTableBegin).size() + 1;
  const char* update = std::getenv("HCASIM_UPDATE_DOCS");
  if (update && std::string(update) == "1") {
    text.replace(from, end - from, table);
    write_text(doc, text);
    return;
  }
  EXPECT_EQ(text.substr(from, end - from), table)
      << doc
      << " is out of date; regenerate it with\n  HCASIM_UPDATE_DOCS=1 ctest --test-dir build "
      << "-R CliDocs.BadInputTableMatchesWhatHcasimSays";
}

TEST(CliRun, UnusableOutFolderIsBadInput) {
  const fs::path dir = fresh_dir();
  write_text(dir / "afile", "x");
  const RunResult r =
      hcasim({"run", kDefaultIni, "--set", "pingpong.count=5", "--out", "afile/sub"}, dir);
  EXPECT_EQ(r.status, 2) << describe(r);
  EXPECT_NE(r.err.find("--out"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("afile/sub"), std::string::npos) << r.err;
  EXPECT_EQ(outputs_under(dir), std::vector<std::string>{});
}

TEST(CliRun, FolderGivenAsScenarioIsBadInput) {
  const fs::path dir = fresh_dir();
  fs::create_directories(dir / "scen.ini");
  const RunResult r = hcasim({"run", "scen.ini", "--set", "pingpong.count=5", "--out", "res"}, dir);
  EXPECT_EQ(r.status, 2) << describe(r);
  EXPECT_NE(r.err.find("scen.ini"), std::string::npos) << r.err;
  EXPECT_EQ(outputs_under(dir), std::vector<std::string>{});
}

// ---------------------------------------------------------------------------------------------
// 2. params, list, --help, --version.

struct ParamRow {
  std::string unit, def, allowed, help;
};

// Parses `hcasim params` by the column positions of its header.
std::map<std::string, ParamRow> parse_params(const std::string& out) {
  std::map<std::string, ParamRow> rows;
  const auto lines = lines_of(out);
  if (lines.empty()) {
    ADD_FAILURE() << "no output";
    return rows;
  }
  const std::string& h = lines[0];
  const auto p_unit = h.find("  unit") + 2, p_def = h.find("  default") + 2,
             p_allowed = h.find("  allowed") + 2, p_help = h.find("  help") + 2;
  if (h.rfind("name", 0) != 0 || p_unit == 1 || p_def == 1 || p_allowed == 1 || p_help == 1 ||
      !(p_unit < p_def && p_def < p_allowed && p_allowed < p_help)) {
    ADD_FAILURE() << "unexpected header: " << h;
    return rows;
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.size() < p_help) {
      ADD_FAILURE() << "short line: " << l;
      continue;
    }
    const std::string name = trim(l.substr(0, p_unit));
    EXPECT_EQ(rows.count(name), 0u) << "listed twice: " << name;
    rows[name] =
        ParamRow{trim(l.substr(p_unit, p_def - p_unit)), trim(l.substr(p_def, p_allowed - p_def)),
                 trim(l.substr(p_allowed, p_help - p_allowed)), l.substr(p_help)};
  }
  return rows;
}

TEST(CliInfo, ParamsListsEveryParameterWithUnitDefaultRangeAndHelp) {
  const fs::path dir = fresh_dir();
  const RunResult r = hcasim({"params"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.err, "");
  const auto rows = parse_params(r.out);

  hcasim::ParamRegistry registry;
  hcasim::declare_all_params(registry);
  EXPECT_EQ(rows.size(), registry.all().size());
  for (const auto& [name, spec] : registry.all()) {
    auto it = rows.find(name);
    if (it == rows.end()) {
      ADD_FAILURE() << "not listed: " << name;
      continue;
    }
    EXPECT_EQ(it->second.unit, spec.unit) << name;
    EXPECT_EQ(it->second.def, spec.default_text.empty() ? "\"\"" : spec.default_text) << name;
    EXPECT_EQ(it->second.allowed, spec.allowed_text()) << name;
    EXPECT_EQ(it->second.help, spec.help) << name;
    EXPECT_FALSE(it->second.help.empty()) << name;
  }

  // A few well-known ones, as a user reads them.
  ASSERT_TRUE(rows.count("hca.clock_mhz") && rows.count("fabric.mtu") &&
              rows.count("pcie.max_payload") && rows.count("scenario.seed") &&
              rows.count("pingpong.count"));
  EXPECT_EQ(rows.at("hca.clock_mhz").unit, "MHz");
  EXPECT_NE(rows.at("hca.clock_mhz").allowed.find(" .. "), std::string::npos);
  EXPECT_EQ(rows.at("fabric.mtu").unit, "B");
  EXPECT_EQ(rows.at("fabric.mtu").allowed.rfind("one of ", 0), 0u);
  EXPECT_NE(rows.at("fabric.mtu").allowed.find("4096"), std::string::npos);
  EXPECT_EQ(rows.at("pcie.max_payload").unit, "B");
  EXPECT_EQ(rows.at("pcie.max_payload").allowed.rfind("one of ", 0), 0u);
  EXPECT_EQ(rows.at("scenario.seed").def, "1");
  EXPECT_EQ(rows.at("pingpong.count").allowed.rfind("1 .. ", 0), 0u);
}

// Every "LOW .. HIGH" range that `hcasim params` prints has LOW <= HIGH.
TEST(CliInfo, ParamsRangesAreOrdered) {
  const fs::path dir = fresh_dir();
  const RunResult r = hcasim({"params"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  int ranges = 0;
  for (const auto& [name, row] : parse_params(r.out)) {
    const auto dots = row.allowed.find(" .. ");
    if (dots == std::string::npos) continue;
    ++ranges;
    const long double lo = std::strtold(row.allowed.substr(0, dots).c_str(), nullptr);
    const long double hi = std::strtold(row.allowed.substr(dots + 4).c_str(), nullptr);
    EXPECT_LE(lo, hi) << name << ": allowed " << row.allowed;
  }
  EXPECT_GT(ranges, 0);
}

TEST(CliInfo, ListShowsBundledScenariosWithDescriptions) {
  const fs::path dir = fresh_dir();
  const RunResult r = hcasim({"list"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out.find("does not load"), std::string::npos) << r.out;
  const std::regex desc_line(R"(^\s*description\s*=\s*(.*?)\s*$)");
  int checked = 0;
  for (const auto& e : fs::directory_iterator(kScenarios)) {
    if (e.path().extension() != ".ini") continue;
    std::string desc;
    for (const auto& l : lines_of(read_text(e.path()))) {
      std::smatch m;
      if (std::regex_match(l, m, desc_line)) desc = m[1];
    }
    const std::string stem = e.path().stem().string();
    bool found = false;
    for (const auto& l : lines_of(r.out))
      if (trim(l).rfind(stem + " ", 0) == 0 && (desc.empty() || l.find(desc) != std::string::npos))
        found = true;
    EXPECT_TRUE(found) << stem << " with '" << desc << "' not in:\n" << r.out;
    ++checked;
  }
  EXPECT_GE(checked, 2);
  for (const char* must : {"  pingpong ", "  default "})
    EXPECT_NE(r.out.find(must), std::string::npos) << must << "\n" << r.out;
  EXPECT_NE(r.out.find("small-message round trip"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the scenario `make run` uses"), std::string::npos) << r.out;
}

TEST(CliInfo, HelpExitsZero) {
  const fs::path dir = fresh_dir();
  for (const char* flag : {"--help", "-h", "help"}) {
    const RunResult r = hcasim({flag}, dir);
    EXPECT_EQ(r.status, 0) << flag << "\n" << describe(r);
    for (const char* s : {"usage: hcasim", "run SCENARIO.ini", "params", "list", "exit status"})
      EXPECT_NE(r.out.find(s), std::string::npos) << flag << ": " << s;
  }
}

TEST(CliInfo, RunHelpExitsZero) {
  const fs::path dir = fresh_dir();
  for (const char* flag : {"--help", "-h"}) {
    const RunResult r = hcasim({"run", flag}, dir);
    EXPECT_EQ(r.status, 0) << describe(r);
    for (const char* s : {"usage: hcasim run", "--set", "--out", "--seed", "--trace"})
      EXPECT_NE(r.out.find(s), std::string::npos) << flag << ": " << s << "\n" << r.out;
  }
  EXPECT_EQ(outputs_under(dir), std::vector<std::string>{});
}

TEST(CliInfo, VersionPrintsSemver) {
  const fs::path dir = fresh_dir();
  const RunResult r = hcasim({"--version"}, dir);
  EXPECT_EQ(r.status, 0) << describe(r);
  EXPECT_TRUE(std::regex_match(r.out, std::regex(R"(hcasim \d+\.\d+\.\d+\n)"))) << r.out;
}

TEST(CliInfo, NoArgumentsPrintsUsageAndExitsTwo) {
  const fs::path dir = fresh_dir();
  const RunResult r = hcasim({}, dir);
  EXPECT_EQ(r.status, 2) << describe(r);
  EXPECT_NE(r.err.find("usage: hcasim"), std::string::npos) << r.err;
}

// ---------------------------------------------------------------------------------------------
// 3.-7. Real runs.

TEST(CliRun, GoodRunWritesAllOutputs) {
  const fs::path dir = fresh_dir();
  const RunResult r =
      hcasim({"run", kDefaultIni, "--set", "pingpong.count=200", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
  for (const char* o : kOutputs) EXPECT_GT(fs::file_size(dir / "res" / o), 0u) << o;
  for (const auto& e : fs::directory_iterator(dir / "res"))
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();

  const json s = load_json(dir / "res" / "summary.json");
  EXPECT_EQ(s.value("scenario", ""), "default");
  EXPECT_EQ(s.value("seed", -1), 1);
  ASSERT_TRUE(s.contains("sim_time_ns") && s["sim_time_ns"].is_number());
  EXPECT_GT(s["sim_time_ns"].get<double>(), 0.0);
  ASSERT_TRUE(s.contains("ops") && s["ops"].contains("rtt")) << s.dump(2);
  const json& rtt = s["ops"]["rtt"];
  EXPECT_EQ(rtt.value("count", -1), 200);
  ASSERT_TRUE(rtt.contains("latency_ns")) << rtt.dump(2);
  const json& lat = rtt["latency_ns"];
  for (const char* k : {"min", "p50", "p99", "max"}) ASSERT_TRUE(lat[k].is_number()) << k;
  EXPECT_GT(lat["min"].get<double>(), 0.0);
  EXPECT_LE(lat["min"].get<double>(), lat["p50"].get<double>());
  EXPECT_LE(lat["p50"].get<double>(), lat["p99"].get<double>());
  EXPECT_LE(lat["p99"].get<double>(), lat["max"].get<double>());
  // Every rtt takes a slice of simulated time, one after the other.
  EXPECT_GE(s["sim_time_ns"].get<double>(), 200 * lat["min"].get<double>());
  ASSERT_TRUE(s.contains("contention") && s["contention"].is_object());
  EXPECT_FALSE(s["contention"].empty());

  // latency.csv: a header and buckets whose counts add up to the measured operations.
  const auto csv = lines_of(read_text(dir / "res" / "latency.csv"));
  ASSERT_GE(csv.size(), 2u);
  EXPECT_EQ(csv[0], "class,bucket_low_ns,bucket_high_ns,count");
  long total = 0;
  for (std::size_t i = 1; i < csv.size(); ++i) {
    if (csv[i].rfind("rtt,", 0) != 0) continue;
    total += std::stol(csv[i].substr(csv[i].rfind(',') + 1));
  }
  EXPECT_EQ(total, 200);

  // The .gtkw opens trace.vcd of the same folder, and the enum files it names are there.
  const std::string gtkw = read_text(dir / "res" / "trace.gtkw");
  EXPECT_NE(gtkw.find("[dumpfile] \"trace.vcd\""), std::string::npos) << gtkw;
  const std::regex enum_ref(R"(\^\d+ (\S+))");
  for (std::sregex_iterator it(gtkw.begin(), gtkw.end(), enum_ref), end; it != end; ++it)
    EXPECT_TRUE(fs::exists(dir / "res" / (*it)[1].str())) << (*it)[1].str();

  // stdout: the table and where the outputs went.
  for (const char* s_ : {"Operations", "rtt", "Contention", "count", "p50", "p99"})
    EXPECT_NE(r.out.find(s_), std::string::npos) << s_ << "\n" << r.out;
  EXPECT_NE(r.out.find("outputs in res/: summary.json latency.csv trace.vcd trace.gtkw"),
            std::string::npos)
      << r.out;
}

TEST(CliRun, SameSeedGivesIdenticalOutputs) {
  const fs::path dir = fresh_dir();
  for (const char* out : {"a", "b"}) {
    const RunResult r = hcasim(
        {"run", kDefaultIni, "--set", "pingpong.count=200", "--seed", "3", "--out", out}, dir);
    ASSERT_EQ(r.status, 0) << describe(r);
  }
  const auto a = snapshot(dir / "a");
  const auto b = snapshot(dir / "b");
  for (const char* o : kOutputs) {
    ASSERT_EQ(a.count(o), 1u) << o;
    ASSERT_EQ(b.count(o), 1u) << o;
    EXPECT_TRUE(a.at(o) == b.at(o)) << o << " differs between two runs with the same seed";
  }
  std::set<std::string> names_a, names_b;
  for (const auto& [n, _] : a) names_a.insert(n);
  for (const auto& [n, _] : b) names_b.insert(n);
  EXPECT_EQ(names_a, names_b);
  EXPECT_TRUE(a == b) << "some file differs";
}

TEST(CliRun, StorageRunsWithTheSameSeedAreIdentical) {
  const fs::path dir = fresh_dir();
  for (const char* out : {"a", "b"}) {
    const RunResult r = hcasim({"run", kDefaultIni, "--set", "workload.kind=storage", "--set",
                                "host.cpus=4", "--set", "fio.rw=randrw", "--set", "fio.iodepth=4",
                                "--set", "fio.ops=300", "--seed", "5", "--out", out},
                               dir);
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_NE(r.out.find("IOPS="), std::string::npos) << r.out;  // the fio-shaped table
  }
  EXPECT_TRUE(snapshot(dir / "a") == snapshot(dir / "b")) << "some file differs";
}

TEST(CliRun, TracingDoesNotChangeTheResults) {
  // A trace only looks: with it on, every action that runs is the one that runs without it
  // (counted signals date their ends ahead instead of scheduling them), so even the update
  // storm, whose same-picosecond ties follow the order of the kernel's events, gives the same
  // results.
  const fs::path dir = fresh_dir();
  const std::string ini = (kScenarios / "update_storm_short.ini").string();
  for (const char* trace : {"none", "vcd", "fst"}) {
    const RunResult r = hcasim({"run", ini, "--trace", trace, "--out", trace}, dir);
    ASSERT_EQ(r.status, 0) << describe(r);
  }
  for (const char* file : {"summary.json", "latency.csv"}) {
    const std::string untraced = read_text(dir / "none" / file);
    EXPECT_EQ(read_text(dir / "vcd" / file), untraced) << file;
    EXPECT_EQ(read_text(dir / "fst" / file), untraced) << file;
  }
}

TEST(CliRun, LookaheadOffGivesTheSameOutputs) {
  // docs/lookahead.md: running ahead of the kernel changes how many kernel events a run takes,
  // not what it simulates: ping-pong, block I/O and streamed SENDs, traces included.
  const fs::path dir = fresh_dir();
  const std::vector<std::vector<std::string>> runs = {
      {"--set", "pingpong.count=200"},
      {"--set", "workload.kind=storage", "--set", "host.cpus=4", "--set", "fio.rw=randrw", "--set",
       "fio.iodepth=4", "--set", "fio.ops=300"},
      {"--set", "workload.kind=perftest", "--set", "perftest.test=send_bw", "--set",
       "perftest.sizes=64,4096", "--set", "perftest.iterations=500"}};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (const char* la : {"on", "off"}) {
      std::vector<std::string> args = {"run", kDefaultIni, "--lookahead",
                                       la,    "--out",     std::to_string(i) + la};
      args.insert(args.end(), runs[i].begin(), runs[i].end());
      const RunResult r = hcasim(args, dir);
      ASSERT_EQ(r.status, 0) << describe(r);
    }
    EXPECT_TRUE(snapshot(dir / (std::to_string(i) + "on")) ==
                snapshot(dir / (std::to_string(i) + "off")))
        << "run " << i << ": some file differs with lookahead off";
  }
}

TEST(CliRun, SetOverridesFileAndSeedShowsInSummary) {
  const fs::path dir = fresh_dir();
  write_text(dir / "mine.ini", "include = " + kDefaultIni + "\n\n[pingpong]\ncount = 30\n");

  RunResult r = hcasim({"run", "mine.ini", "--out", "file"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  json s = load_json(dir / "file" / "summary.json");
  EXPECT_EQ(s["ops"]["rtt"].value("count", -1), 30) << "the file overrides what it includes";
  EXPECT_EQ(s.value("seed", -1), 1);

  r = hcasim({"run", "mine.ini", "--set", "pingpong.count=40", "--seed", "7", "--out", "set"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  s = load_json(dir / "set" / "summary.json");
  EXPECT_EQ(s["ops"]["rtt"].value("count", -1), 40) << "--set overrides the file";
  EXPECT_EQ(s.value("seed", -1), 7);
  EXPECT_NE(r.out.find("seed 7"), std::string::npos) << r.out;

  r = hcasim({"run", "mine.ini", "--set", "scenario.seed=9", "--set", "pingpong.count = 20",
              "--out", "set2"},
             dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  s = load_json(dir / "set2" / "summary.json");
  EXPECT_EQ(s.value("seed", -1), 9);
  EXPECT_EQ(s["ops"]["rtt"].value("count", -1), 20);
}

TEST(CliRun, DefaultOutFolderIsNamedAfterScenario) {
  const fs::path dir = fresh_dir();
  const RunResult r =
      hcasim({"run", (kScenarios / "pingpong.ini").string(), "--set", "pingpong.count=50"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  for (const char* o : kOutputs) EXPECT_TRUE(fs::exists(dir / "out" / "pingpong" / o)) << o;
  // pingpong.ini sets no scenario.name: the file's name is used.
  EXPECT_EQ(load_json(dir / "out" / "pingpong" / "summary.json").value("scenario", ""), "pingpong");
}

TEST(CliRun, TraceNoneWritesNoTrace) {
  const fs::path dir = fresh_dir();
  RunResult r = hcasim(
      {"run", kDefaultIni, "--set", "pingpong.count=50", "--trace", "none", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_TRUE(fs::exists(dir / "res" / "summary.json"));
  EXPECT_TRUE(fs::exists(dir / "res" / "latency.csv"));
  EXPECT_FALSE(fs::exists(dir / "res" / "trace.vcd"));
  EXPECT_FALSE(fs::exists(dir / "res" / "trace.gtkw"));
  EXPECT_EQ(r.out.find("trace.vcd"), std::string::npos) << r.out;
  EXPECT_EQ(load_json(dir / "res" / "summary.json")["ops"]["rtt"].value("count", -1), 50);

  // Into a folder holding an earlier traced run: the old trace does not stay next to the new
  // summary (it would look like this run's).
  r = hcasim({"run", kDefaultIni, "--set", "pingpong.count=50", "--out", "res2"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  ASSERT_TRUE(fs::exists(dir / "res2" / "trace.vcd"));
  r = hcasim({"run", kDefaultIni, "--set", "pingpong.count=60", "--trace", "none", "--out", "res2"},
             dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(load_json(dir / "res2" / "summary.json")["ops"]["rtt"].value("count", -1), 60);
  EXPECT_EQ(outputs_under(dir / "res2"), (std::vector<std::string>{"latency.csv", "summary.json"}));
}

// Full scope path ("host0.hca0.cq0_depth") -> VCD id, from a VCD header.
std::map<std::string, std::string> vcd_vars(const std::string& vcd) {
  std::map<std::string, std::string> vars;
  std::vector<std::string> scope;
  std::istringstream in(vcd);
  for (std::string tok; in >> tok;) {
    if (tok == "$scope") {
      std::string kind, name;
      in >> kind >> name;
      scope.push_back(name);
    } else if (tok == "$upscope") {
      if (!scope.empty()) scope.pop_back();
    } else if (tok == "$var") {
      std::string type, width, id, name;
      in >> type >> width >> id >> name;
      std::string path;
      for (const auto& s : scope) path += s + ".";
      vars[path + name] = id;
    } else if (tok == "$enddefinitions") {
      break;
    }
  }
  return vars;
}

TEST(CliTrace, GtkwaveConvertsTheTraceOfARun) {
  const std::string vcd2fst = find_on_path("vcd2fst");
  const std::string fst2vcd = find_on_path("fst2vcd");
  if (vcd2fst.empty() || fst2vcd.empty()) GTEST_SKIP() << "vcd2fst/fst2vcd (GTKWave) not on PATH";
  const fs::path dir = fresh_dir();
  RunResult r = hcasim({"run", kDefaultIni, "--set", "pingpong.count=50", "--out", "res"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);

  r = run_program(vcd2fst, {"res/trace.vcd", "res/trace.fst"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  ASSERT_GT(fs::file_size(dir / "res" / "trace.fst"), 0u);
  r = run_program(fst2vcd, {"res/trace.fst"}, dir);
  ASSERT_EQ(r.status, 0) << "exit " << r.status << "\n" << r.err;

  const auto vars = vcd_vars(r.out);
  for (const char* name :
       {"pingpong.rtt_ns", "host0.hca0.qp0_sq_depth", "host0.hca0.cq0_depth", "iou0.hca0.cq0_depth",
        "host0.cpu0.state", "link0.busy_0to1", "link0.busy_1to0"})
    EXPECT_EQ(vars.count(name), 1u) << name << " not in the converted trace";
  // GTKWave sees the same signals hcasim declared.
  EXPECT_EQ(vars.size(), vcd_vars(read_text(dir / "res" / "trace.vcd")).size());

  // The round-trip times in the converted trace are those of summary.json.
  ASSERT_EQ(vars.count("pingpong.rtt_ns"), 1u);
  const json lat = load_json(dir / "res" / "summary.json")["ops"]["rtt"]["latency_ns"];
  const std::string id = vars.at("pingpong.rtt_ns");
  int nonzero = 0;
  for (const auto& l : lines_of(r.out)) {
    if (l.size() < 2 || l[0] != 'r' || l.substr(l.find(' ') + 1) != id) continue;
    const double v = std::stod(l.substr(1, l.find(' ') - 1));
    if (v == 0.0) continue;
    ++nonzero;
    EXPECT_GE(v, lat["min"].get<double>() - 1.0);
    EXPECT_LE(v, lat["max"].get<double>() + 1.0);
  }
  // The value only changes when a round trip differs from the one before.
  EXPECT_GE(nonzero, 1);
}

// `hcasim decode-frame`: the block write of docs/i2o_frames.md, its fields one per line.
const char* const kWriteFrameHex[] = {
    "81001000", "05100031", "44332211", "0df0feca", "10000000", "00180000", "00604523", "01000000",
    "00100014", "00100000", "007f0000", "cdab0000", "000800d4", "0000a000", "007f0000", "ceab0000"};

TEST(CliDecodeFrame, PrintsEveryFieldOfABlockWrite) {
  const fs::path dir = fresh_dir();
  const RunResult r =
      hcasim({"decode-frame", "0x81 00 10 00", "05:10:00:31", "44332211 0df0feca 10000000",
              "00180000", "00604523", "01000000", "00100014", "00100000", "007f0000", "cdab0000",
              "000800d4", "0000a000", "007f0000", "ceab0000"},
             dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(r.out,
            "kind: request\n"
            "version: 1\n"
            "sgl_offset: 8\n"
            "flags: 0x00 (none)\n"
            "size_words: 16\n"
            "target_id: 5\n"
            "initiator_id: 1\n"
            "function: 0x31 (block_write)\n"
            "initiator_context: 0x11223344\n"
            "transaction_context: 0xcafef00d\n"
            "control: 0x00000010\n"
            "byte_count: 6144\n"
            "address: 0x0000000123456000\n"
            "sgl_entries: 2\n"
            "sgl[0].flags: 0x14 (direction_out,simple)\n"
            "sgl[0].length: 4096\n"
            "sgl[0].address: 0x00007f0000001000\n"
            "sgl[0].key: 0x0000abcd\n"
            "sgl[1].flags: 0xd4 (direction_out,simple,end_of_buffer,last_element)\n"
            "sgl[1].length: 2048\n"
            "sgl[1].address: 0x00007f0000a00000\n"
            "sgl[1].key: 0x0000abce\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliDecodeFrame, ReadsARawFileAndPrintsAReply) {
  const fs::path dir = fresh_dir();
  // The reject reply of a frame that does not parse (docs/i2o_frames.md).
  const unsigned char reply[] = {0x01, 0xa0, 0x06, 0x00, 0x05, 0x10, 0x00, 0x31,
                                 0x44, 0x33, 0x22, 0x11, 0x0d, 0xf0, 0xfe, 0xca,
                                 0x12, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00};
  write_text(dir / "reply.bin", std::string(reinterpret_cast<const char*>(reply), sizeof reply));
  const RunResult r = hcasim({"decode-frame", "--file", "reply.bin"}, dir);
  ASSERT_EQ(r.status, 0) << describe(r);
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 13u) << r.out;
  EXPECT_EQ(lines[0], "kind: reply");
  EXPECT_EQ(lines[3], "flags: 0xa0 (fail,reply)");
  EXPECT_EQ(lines[4], "size_words: 6");
  EXPECT_EQ(lines[10], "status: 0x0b (transaction_error)");
  EXPECT_EQ(lines[11], "detailed_status: 0x0012 (invalid_request)");
  EXPECT_EQ(lines[12], "bytes_transferred: 0");
}

TEST(CliDecodeFrame, FrameThatDoesNotParseExitsTwoNamingTheError) {
  const fs::path dir = fresh_dir();
  std::vector<std::string> args{"decode-frame"};
  args.insert(args.end(), std::begin(kWriteFrameHex), std::end(kWriteFrameHex));
  args[1] = "81001100";  // size field 17 on a 16-word frame
  const RunResult r = hcasim(args, dir);
  EXPECT_EQ(r.status, 2) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "hcasim: error: decode-frame: frame of 64 bytes does not parse: size_mismatch: word 0: "
            "size field says 17 words but the frame has 16\n");
}

TEST(CliDecodeFrame, BadInputExitsTwo) {
  const fs::path dir = fresh_dir();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"decode-frame"}, "no frame given"},
      {{"decode-frame", "81 0g"}, "'81 0g' is not hex"},
      {{"decode-frame", "810"}, "odd number of hex digits (3)"},
      {{"decode-frame", "--file", "missing.bin"}, "cannot read 'missing.bin'"},
      {{"decode-frame", "--file"}, "--file takes exactly one file name"},
  };
  for (const auto& [args, message] : cases) {
    const RunResult r = hcasim(args, dir);
    EXPECT_EQ(r.status, 2) << args.back() << "\n" << describe(r);
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliDecodeFrame, ListedInHelp) {
  const fs::path dir = fresh_dir();
  const RunResult r = hcasim({"--help"}, dir);
  EXPECT_NE(r.out.find("decode-frame HEX..."), std::string::npos) << r.out;
  const RunResult own = hcasim({"decode-frame", "--help"}, dir);
  EXPECT_EQ(own.status, 0) << describe(own);
  EXPECT_NE(own.out.find("usage: hcasim decode-frame"), std::string::npos) << own.out;
}

}  // namespace
