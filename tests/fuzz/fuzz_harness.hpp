#pragma once
// The properties the fuzz targets check, one function per target. Each takes the fuzzer's bytes
// and aborts (through fuzz_check) when a property fails; every other outcome is a pass. The same
// functions run under libFuzzer (tests/fuzz/*_fuzz.cpp, `make fuzz`) and, over the checked-in
// seeds and the inputs of past crashes, in the ordinary test suite (fuzz_replay_test.cpp).
#include <cstddef>
#include <cstdint>

namespace hcasim::fuzz {

// A scenario file's text: load_scenario_text either throws ConfigError with a message or gives
// values whose canonical text is a fixed point (setting it again gives the same text) and reads
// back through the typed accessors. Any other exception or a crash is a bug.
void check_scenario_file(const std::uint8_t* data, std::size_t size);

// One `--set KEY=VALUE` argument: the same properties as a scenario file.
void check_set_option(const std::uint8_t* data, std::size_t size);

// An I2O frame: decode, decode_request and decode_reply agree; what decodes encodes back to the
// same bytes (encode after decode is the identity); what does not decode gets a reject reply
// that itself encodes and decodes as a reply.
void check_i2o_frame(const std::uint8_t* data, std::size_t size);

}  // namespace hcasim::fuzz
