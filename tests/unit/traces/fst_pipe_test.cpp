// The FST trace: the VCD writer's text streamed through GTKWave's vcd2fst gives a file that
// fst2vcd reads back with the same signals and changes, identical runs give identical files,
// and a trace that is not finished leaves nothing behind.
#include "traces/fst_pipe.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "tests/support/vcd_reader.hpp"
#include "traces/vcd_writer.hpp"

namespace hcasim {
namespace {

namespace fs = std::filesystem;
using hcasim_test::from_binary;
using hcasim_test::parse_vcd;
using hcasim_test::Vcd;

fs::path test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path dir = fs::current_path() / "traces_test_out" /
                       (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The same changes into any writer: a counter, a flag, an enum and a real over 20000 steps.
void write_sample(VcdWriter& w) {
  const auto depth = w.declare_integer("host0.hca0.sq0.depth", 16, 0);
  const auto busy = w.declare_integer("host0.hca0.busy", 1, 0);
  const auto state = w.declare_enum("host0.cpu0.state", {"IDLE", "RUN", "IRQ"}, 0);
  const auto lat = w.declare_real("host0.lat_ns", 0.0);
  for (std::uint64_t i = 1; i <= 20000; ++i) {
    const std::uint64_t t = i * 1000 + (i % 3) * 100;
    w.change_integer(depth, t, (i * 7) % 129);
    w.change_integer(busy, t, i % 2);
    if (i % 5 == 0) w.change_integer(state, t, i % 3);
    if (i % 11 == 0) w.change_real(lat, t, 0.25 * static_cast<double>(i));
  }
  w.finish(20001 * 1000);
}

class FstPipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FstPipe::converter_available() || std::system("command -v fst2vcd >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "vcd2fst/fst2vcd (Debian package gtkwave) not on PATH";
  }
};

TEST_F(FstPipeTest, RoundTripsThroughFst2vcdWithTheSameSignalsAndChanges) {
  const fs::path dir = test_dir();
  {
    VcdWriter vcd((dir / "trace.vcd").string());
    write_sample(vcd);
    VcdWriter fst(std::make_unique<FstPipe>((dir / "trace.fst").string()));
    EXPECT_EQ(fst.path(), (dir / "trace.fst").string());
    write_sample(fst);
  }
  ASSERT_TRUE(fs::exists(dir / "trace.fst"));
  EXPECT_FALSE(fs::exists(dir / "trace.fst.tmp"));
  EXPECT_LT(fs::file_size(dir / "trace.fst"), fs::file_size(dir / "trace.vcd") / 4);
  const std::string back = (dir / "back.vcd").string();
  ASSERT_EQ(std::system(("fst2vcd -f '" + (dir / "trace.fst").string() + "' -o '" + back +
                         "' >/dev/null 2>&1")
                            .c_str()),
            0);
  const Vcd original = parse_vcd(read_file(dir / "trace.vcd"));
  const Vcd round = parse_vcd(read_file(back));
  ASSERT_EQ(round.vars.size(), original.vars.size());
  for (const Vcd::Var& v : original.vars) ASSERT_NE(round.var(v.path), nullptr) << v.path;
  EXPECT_EQ(round.times, original.times);
  // Every change: the same signal, time and value. Within one timestamp fst2vcd lists signals
  // in its own order, and it pads integers with zeros: compare by (time, signal), as numbers.
  auto by_time_and_path = [](const Vcd& vcd) {
    std::map<std::pair<std::uint64_t, std::string>, double> out;
    for (const Vcd::Var& v : vcd.vars)
      for (const Vcd::Change& c : vcd.changes_of(v.path))
        out[{c.time, v.path}] = v.type == "real" ? std::strtod(c.value.c_str(), nullptr)
                                                 : static_cast<double>(from_binary(c.value));
    return out;
  };
  EXPECT_EQ(round.changes.size(), original.changes.size());
  EXPECT_EQ(by_time_and_path(round), by_time_and_path(original));
}

TEST_F(FstPipeTest, IdenticalRunsGiveIdenticalFiles) {
  const fs::path dir = test_dir();
  for (const char* name : {"one.fst", "two.fst"}) {
    VcdWriter w(std::make_unique<FstPipe>((dir / name).string()));
    write_sample(w);
  }
  const std::string one = read_file(dir / "one.fst");
  EXPECT_GT(one.size(), 1000u);
  EXPECT_EQ(one, read_file(dir / "two.fst"));  // no wall-clock date inside
}

TEST_F(FstPipeTest, DestroyedWithoutFinishLeavesNothing) {
  const fs::path dir = test_dir();
  {
    VcdWriter w(std::make_unique<FstPipe>((dir / "trace.fst").string()));
    const auto a = w.declare_integer("m.a", 8, 0);
    for (std::uint64_t t = 1; t < 200000; ++t) w.change_integer(a, t, t);  // > the pipe's buffer
  }
  EXPECT_TRUE(fs::is_empty(dir));
}

}  // namespace
}  // namespace hcasim
