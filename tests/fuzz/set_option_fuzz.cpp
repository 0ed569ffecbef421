// libFuzzer entry point: see check_set_option in tests/fuzz/fuzz_harness.hpp.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hcasim::fuzz::check_set_option(data, size);
  return 0;
}
