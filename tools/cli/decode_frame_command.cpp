#include "tools/cli/decode_frame_command.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "models/core/config_error.hpp"
#include "models/iounit/i2o_frame.hpp"

namespace hcasim::cli {

namespace {

constexpr const char* kUsage =
    "usage: hcasim decode-frame HEX...\n"
    "       hcasim decode-frame --file FRAME.bin\n"
    "  HEX: the frame's bytes in order (as a hex dump shows them), two hex digits a byte;\n"
    "       spaces, ':' and a leading 0x are ignored, arguments are joined\n"
    "  --file: the frame as raw bytes\n"
    "  prints one field per line (name: value); a frame that does not parse prints the parse\n"
    "  error and exits 2. Layout: docs/i2o_frames.md\n";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::uint8_t> parse_hex(int argc, char* argv[]) {
  std::string digits;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("0x", 0) == 0 || arg.rfind("0X", 0) == 0) arg.erase(0, 2);
    for (char c : arg) {
      if (c == ' ' || c == ':' || c == '\t' || c == '\n') continue;
      if (hex_digit(c) < 0)
        throw ConfigError("decode-frame: '" + std::string(argv[i]) +
                          "' is not hex (allowed: 0-9, a-f, spaces and ':')");
      digits += c;
    }
  }
  if (digits.size() % 2 != 0)
    throw ConfigError("decode-frame: odd number of hex digits (" + std::to_string(digits.size()) +
                      "); each byte takes two");
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < digits.size(); i += 2)
    bytes.push_back(std::uint8_t(hex_digit(digits[i]) << 4 | hex_digit(digits[i + 1])));
  return bytes;
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!std::filesystem::is_regular_file(path) || !in)
    throw ConfigError("decode-frame: cannot read '" + path + "' (not a readable file)");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  // All of it, even past the largest frame, so that the decoder reports a too-large frame.
  return bytes;
}

std::string hex(std::uint64_t value, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(value));
  return buf;
}

std::string flag_names(std::uint8_t flags) {
  using namespace i2o::flag;
  const std::pair<std::uint8_t, const char*> names[] = {
      {kStatic, "static"}, {kContext64, "context64"}, {kMultiple, "multiple"},
      {kFail, "fail"},     {kLast, "last"},           {kReply, "reply"}};
  std::string s;
  for (const auto& [bit, name] : names)
    if (flags & bit) s += (s.empty() ? "" : ",") + std::string(name);
  return s.empty() ? "none" : s;
}

std::string sgl_flag_names(std::uint8_t flags) {
  using namespace i2o::sgl_flag;
  const std::pair<std::uint8_t, const char*> names[] = {{kDirectionOut, "direction_out"},
                                                        {kSimpleAddress, "simple"},
                                                        {kEndOfBuffer, "end_of_buffer"},
                                                        {kLastElement, "last_element"}};
  std::string s;
  for (const auto& [bit, name] : names)
    if (flags & bit) s += (s.empty() ? "" : ",") + std::string(name);
  return s.empty() ? "none" : s;
}

void print_header(std::ostream& out, const i2o::Header& h, std::size_t sgl_offset,
                  std::size_t size_words) {
  out << "version: " << unsigned(i2o::kVersion) << "\n"
      << "sgl_offset: " << sgl_offset << "\n"
      << "flags: " << hex(h.flags, 2) << " (" << flag_names(h.flags) << ")\n"
      << "size_words: " << size_words << "\n"
      << "target_id: " << h.target_id << "\n"
      << "initiator_id: " << h.initiator_id << "\n"
      << "function: " << hex(h.function, 2) << " (" << i2o::function_name(h.function) << ")\n"
      << "initiator_context: " << hex(h.initiator_context, 8) << "\n"
      << "transaction_context: " << hex(h.transaction_context, 8) << "\n";
}

void print_request(std::ostream& out, const i2o::Request& r) {
  out << "kind: request\n";
  print_header(out, r.header, r.is_block() ? i2o::kBlockSglOffset : 0, r.size_words());
  if (!r.is_block()) return;
  out << "control: " << hex(r.control, 8) << "\n"
      << "byte_count: " << r.byte_count << "\n"
      << "address: " << hex(r.address, 16) << "\n"
      << "sgl_entries: " << unsigned(r.sgl_count) << "\n";
  for (std::size_t i = 0; i < r.sgl_count; ++i) {
    const i2o::SglEntry& e = r.sgl[i];
    const std::string p = "sgl[" + std::to_string(i) + "].";
    out << p << "flags: " << hex(e.flags, 2) << " (" << sgl_flag_names(e.flags) << ")\n"
        << p << "length: " << e.length << "\n"
        << p << "address: " << hex(e.address, 16) << "\n"
        << p << "key: " << hex(e.key, 8) << "\n";
  }
}

void print_reply(std::ostream& out, const i2o::Reply& r) {
  out << "kind: reply\n";
  print_header(out, r.header, 0, i2o::kReplyWords);
  out << "status: " << hex(std::uint8_t(r.status), 2) << " (" << i2o::status_name(r.status) << ")\n"
      << "detailed_status: " << hex(r.detailed_status, 4) << " ("
      << i2o::detailed_status_name(r.detailed_status) << ")\n"
      << "bytes_transferred: " << r.bytes_transferred << "\n";
}

}  // namespace

int decode_frame_command(int argc, char* argv[]) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
  }
  try {
    std::vector<std::uint8_t> frame;
    if (argc >= 2 && std::string(argv[1]) == "--file") {
      if (argc != 3) throw ConfigError("decode-frame: --file takes exactly one file name");
      frame = read_file(argv[2]);
    } else {
      frame = parse_hex(argc, argv);
    }
    if (frame.empty())
      throw ConfigError("decode-frame: no frame given (hex bytes or --file FRAME.bin)");
    const i2o::FrameResult result = i2o::decode(frame.data(), frame.size());
    if (const auto* e = std::get_if<i2o::ParseError>(&result)) {
      std::cerr << "hcasim: error: decode-frame: frame of " << frame.size()
                << " bytes does not parse: " << i2o::describe(*e) << "\n";
      return 2;
    }
    std::ostringstream out;
    if (const auto* r = std::get_if<i2o::Request>(&result))
      print_request(out, *r);
    else
      print_reply(out, std::get<i2o::Reply>(result));
    std::cout << out.str();
    return 0;
  } catch (const ConfigError& e) {
    std::cerr << "hcasim: error: " << e.what() << "\n(try `hcasim decode-frame --help`)\n";
    return 2;
  }
}

}  // namespace hcasim::cli
