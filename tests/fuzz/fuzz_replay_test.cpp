// Replays the fuzz targets' checked-in inputs through the same checks libFuzzer runs (see
// fuzz_harness.hpp): the seed corpora and, in regressions/<target>/, every input that once made
// a target fail. A failing property aborts the test's process, after the file's name is printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_harness.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kFuzzDir = fs::path(HCASIM_SOURCE_DIR) / "tests" / "fuzz";

std::vector<fs::path> inputs_of(const std::vector<fs::path>& dirs) {
  std::vector<fs::path> files;
  for (const auto& d : dirs) {
    if (!fs::is_directory(d)) continue;
    for (const auto& e : fs::recursive_directory_iterator(d))
      if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::size_t replay(const std::string& target, std::vector<fs::path> dirs,
                   void (*check)(const std::uint8_t*, std::size_t)) {
  dirs.push_back(kFuzzDir / "corpus" / target);
  dirs.push_back(kFuzzDir / "regressions" / target);
  const auto files = inputs_of(dirs);
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
    std::cerr << "replaying " << f.string() << std::endl;
    check(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  return files.size();
}

TEST(FuzzReplay, ScenarioFiles) {
  // The bundled scenarios are this target's seeds too (make fuzz passes their folder).
  const std::size_t n =
      replay("scenario_file", {fs::path(HCASIM_SOURCE_DIR) / "workloads" / "scenarios"},
             hcasim::fuzz::check_scenario_file);
  EXPECT_GE(n, 10u);
}

TEST(FuzzReplay, SetOptions) {
  EXPECT_GE(replay("set_option", {}, hcasim::fuzz::check_set_option), 5u);
}

TEST(FuzzReplay, I2oFrames) {
  EXPECT_GE(replay("i2o_frame", {}, hcasim::fuzz::check_i2o_frame), 4u);
}

}  // namespace
