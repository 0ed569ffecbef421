#pragma once
// The `hcasim` command line (Boost.Program_options): run, params, list, --help, --version.
// Exit status: 0 success, 2 bad usage or bad input, 1 internal failure.
#include <filesystem>

namespace hcasim::cli {

int main(int argc, char* argv[]);
// Where the bundled scenarios are: $HCASIM_SCENARIOS, else the source tree's copy.
std::filesystem::path scenario_dir();

}  // namespace hcasim::cli
