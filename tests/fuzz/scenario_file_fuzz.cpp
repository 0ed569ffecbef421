// libFuzzer entry point: see check_scenario_file in tests/fuzz/fuzz_harness.hpp.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hcasim::fuzz::check_scenario_file(data, size);
  return 0;
}
