#pragma once
// Shared by the sweep tests (local backend in tests/unit/cli, Slurm in tests/integration): run
// the real hcasim executable as a child process, read what it wrote, and look inside the PNGs
// it drew.
#include <gtest/gtest.h>
#include <png.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tools/cli/child_process.hpp"

namespace sweep_test {

namespace fs = std::filesystem;

inline const std::string kExe = HCASIM_EXE;
inline const fs::path kScenarios = fs::path(HCASIM_SOURCE_DIR) / "workloads" / "scenarios";

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << p;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

inline std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> cells;
  std::istringstream in(line);
  for (std::string c; std::getline(in, c, ',');) cells.push_back(c);
  if (!line.empty() && line.back() == ',') cells.push_back("");
  return cells;
}

// A fresh, empty folder for the running test: sweep_test_out/<suite>_<test>.
inline fs::path fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "_" + info->name();
  for (char& c : name)
    if (c == '/') c = '_';
  const fs::path dir = fs::absolute("sweep_test_out") / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline hcasim::cli::ChildResult run_hcasim(const std::vector<std::string>& args,
                                           const fs::path& cwd) {
  std::vector<std::string> argv{kExe};
  argv.insert(argv.end(), args.begin(), args.end());
  return hcasim::cli::capture(argv, cwd);
}

inline std::string describe(const hcasim::cli::ChildResult& r) {
  return "exit " + std::to_string(r.status) + "\n--- stdout:\n" + r.out + "--- stderr:\n" + r.err;
}

// What a PNG holds, decoded with libpng.
struct PngInfo {
  bool ok = false;
  std::string error;
  std::uint32_t width = 0, height = 0;
  std::size_t colours = 0;      // distinct RGB colours
  double non_background = 0.0;  // share of pixels that differ from the top-left one
};

inline PngInfo inspect_png(const fs::path& file) {
  PngInfo info;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, file.c_str())) {
    info.error = image.message;
    return info;
  }
  image.format = PNG_FORMAT_RGB;
  std::vector<png_byte> pixels(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr)) {
    info.error = image.message;
    png_image_free(&image);
    return info;
  }
  info.ok = true;
  info.width = image.width;
  info.height = image.height;
  std::set<std::uint32_t> colours;
  std::size_t differ = 0;
  const std::uint32_t background = (pixels[0] << 16) | (pixels[1] << 8) | pixels[2];
  for (std::size_t i = 0; i + 2 < pixels.size(); i += 3) {
    const std::uint32_t c = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
    colours.insert(c);
    differ += c != background;
  }
  info.colours = colours.size();
  info.non_background = double(differ) / double(pixels.size() / 3);
  return info;
}

// A plot a person can read: the size hcasim draws, several colours (axes, text, lines) and a
// fair amount of ink, but not a flooded picture.
inline void expect_real_plot(const fs::path& png) {
  ASSERT_TRUE(fs::exists(png)) << png;
  EXPECT_GT(fs::file_size(png), 8000u) << png;
  const PngInfo info = inspect_png(png);
  ASSERT_TRUE(info.ok) << png << ": " << info.error;
  EXPECT_EQ(info.width, 960u);
  EXPECT_EQ(info.height, 640u);
  EXPECT_GE(info.colours, 4u) << png << " looks blank";
  EXPECT_GT(info.non_background, 0.01) << png << " looks blank";
  EXPECT_LT(info.non_background, 0.6) << png;
}

}  // namespace sweep_test
