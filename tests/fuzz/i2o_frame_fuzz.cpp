// libFuzzer entry point: see check_i2o_frame in tests/fuzz/fuzz_harness.hpp.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hcasim::fuzz::check_i2o_frame(data, size);
  return 0;
}
