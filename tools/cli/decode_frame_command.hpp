#pragma once
// `hcasim decode-frame HEX... | --file F`: reads one I2O-style frame (docs/i2o_frames.md) and
// prints its fields one per line; a frame that does not parse prints why and exits 2.
namespace hcasim::cli {

int decode_frame_command(int argc, char* argv[]);

}  // namespace hcasim::cli
