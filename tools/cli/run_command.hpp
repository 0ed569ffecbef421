#pragma once
// `hcasim run SCENARIO.ini ...`: validate everything, simulate, write the outputs atomically.
namespace hcasim::cli {

int run_command(int argc, char* argv[]);

}  // namespace hcasim::cli
