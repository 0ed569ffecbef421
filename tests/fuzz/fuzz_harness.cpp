#include "tests/fuzz/fuzz_harness.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "host_os/host_params.hpp"
#include "host_os/host_stack_params.hpp"
#include "models/core/params.hpp"
#include "models/core/scenario_file.hpp"
#include "models/hca/hca_params.hpp"
#include "models/iounit/i2o_frame.hpp"
#include "workloads/scenario_params.hpp"

namespace hcasim::fuzz {

namespace {

void fuzz_check(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property failed: %s\n", what.c_str());
  std::abort();
}

// design decision: the registry is that of the parameter groups whose headers need no SystemC
// (scenario, ping-pong, host, host stack, adapter), so the fuzz build compiles three source
// files instead of the simulator. Between them they declare every parameter type (integer,
// integer from a set, real, boolean, text, choice) and the widest integer range (scenario.seed,
// 0 .. INT64_MAX); the parser does not depend on which names exist.
const ParamRegistry& registry() {
  static const ParamRegistry r = [] {
    ParamRegistry reg;
    reg.declare<ScenarioParams>();
    reg.declare<PingPongParams>();
    reg.declare<HostParams>();
    reg.declare<HostStackParams>();
    reg.declare<HcaParams>();
    return reg;
  }();
  return r;
}

// Includes are resolved next to the bundled scenarios, so `include = presets/...` and
// `include = default.ini` reach real files.
const std::string kScenarioPath = std::string(HCASIM_SOURCE_DIR) + "/workloads/scenarios/fuzz.ini";

void check_canonical(const ParamValues& values) {
  for (const std::string& name : values.set_names()) {
    const std::string text = values.text(name);
    ParamValues again(registry());
    try {
      again.set(name, text, ValueOrigin{"canonical"});
    } catch (const ConfigError& e) {
      fuzz_check(false, "canonical text '" + text + "' of " + name + " is refused: " + e.what());
    }
    fuzz_check(again.text(name) == text, "canonical text of " + name + " is not a fixed point: '" +
                                             text + "' -> '" + again.text(name) + "'");
    switch (registry().find(name)->type) {
      case ParamType::Integer:
        values.integer(name);  // throws std::logic_error if the text does not read back
        break;
      case ParamType::Real:
        values.real(name);
        break;
      default:
        break;
    }
  }
}

void check_config_error(const ConfigError& e) {
  fuzz_check(std::strlen(e.what()) > 0, "a ConfigError without a message");
}

template <class T>
bool same_encoding(const T& a, const T& b) {
  std::uint8_t x[i2o::kMaxFrameBytes], y[i2o::kMaxFrameBytes];
  const std::size_t nx = i2o::encode(a, x, sizeof x), ny = i2o::encode(b, y, sizeof y);
  return nx == ny && std::memcmp(x, y, nx) == 0;
}

bool same_error(const i2o::ParseError& a, const i2o::ParseError& b) {
  return a.code == b.code && a.word == b.word && a.found == b.found && a.limit == b.limit;
}

std::uint32_t word_at(const std::uint8_t* p, std::size_t word) {
  return std::uint32_t(p[word * 4]) | std::uint32_t(p[word * 4 + 1]) << 8 |
         std::uint32_t(p[word * 4 + 2]) << 16 | std::uint32_t(p[word * 4 + 3]) << 24;
}

// The bytes encode must give back for a frame that decoded: the frame itself, except where the
// decoder accepts content it does not keep. Each such leniency is listed here, so that any
// other difference fails:
//  - a request with a function other than block read/write is carried header only, as
//    docs/i2o_frames.md says: its SGL offset and any words after the header are not kept;
//  - a block request whose SGL offset is above 8: the words between 8 and the offset are
//    skipped (docs/i2o_frames.md gives block frames as 8 + 4 x entries words, offset 8);
//  - a reply's SGL offset (0 in the docs) and the reserved bits 16-23 of word 4 (0 in the docs)
//    are not checked and come back as 0.
std::vector<std::uint32_t> canonical_words(const std::uint8_t* data, std::size_t size, bool reply,
                                           bool block) {
  std::vector<std::uint32_t> w(size / 4);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = word_at(data, i);
  const std::uint32_t offset = w[0] >> 4 & 0xF;
  auto set_layout = [&](std::uint32_t new_offset) {
    w[0] = (w[0] & 0xFF0Fu) | new_offset << 4 | std::uint32_t(w.size()) << 16;
  };
  if (reply) {
    set_layout(0);
    w[4] &= 0xFF00FFFFu;
  } else if (!block) {
    w.resize(i2o::kHeaderWords);
    set_layout(0);
  } else if (offset > i2o::kBlockSglOffset) {
    w.erase(w.begin() + i2o::kBlockSglOffset, w.begin() + offset);
    set_layout(i2o::kBlockSglOffset);
  }
  return w;
}

template <class T>
void check_round_trip(const T& decoded, const std::uint8_t* data, std::size_t size, bool reply,
                      bool block) {
  std::uint8_t out[i2o::kMaxFrameBytes];
  const std::size_t n = i2o::encode(decoded, out, sizeof out);
  const std::vector<std::uint32_t> expected = canonical_words(data, size, reply, block);
  fuzz_check(n == expected.size() * 4, "a frame of " + std::to_string(size) +
                                           " bytes decodes but encodes to " + std::to_string(n));
  for (std::size_t i = 0; i < expected.size(); ++i)
    fuzz_check(word_at(out, i) == expected[i],
               "encode after decode differs in word " + std::to_string(i));
}

}  // namespace

void check_scenario_file(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // An include of a kernel file such as /proc/kmsg would block the fuzzer on a read that a
  // user's scenario would never make; such inputs are not tried.
  if (text.find("/proc") != std::string::npos || text.find("/sys") != std::string::npos) return;
  ParamValues values(registry());
  try {
    load_scenario_text(text, kScenarioPath, values);
  } catch (const ConfigError& e) {
    check_config_error(e);
    return;
  }
  check_canonical(values);
}

void check_set_option(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ParamValues values(registry());
  try {
    apply_set_option(text, values);
  } catch (const ConfigError& e) {
    check_config_error(e);
    return;
  }
  check_canonical(values);
}

void check_i2o_frame(const std::uint8_t* data, std::size_t size) {
  const i2o::FrameResult any = i2o::decode(data, size);
  const i2o::RequestResult request = i2o::decode_request(data, size);
  const i2o::ReplyResult reply = i2o::decode_reply(data, size);

  if (const auto* r = std::get_if<i2o::Request>(&any)) {
    const auto* q = std::get_if<i2o::Request>(&request);
    fuzz_check(q && same_encoding(*q, *r), "decode gives a request that decode_request does not");
    fuzz_check(std::holds_alternative<i2o::ParseError>(reply), "a request decodes as a reply");
    check_round_trip(*r, data, size, false, r->is_block());
  } else if (const auto* p = std::get_if<i2o::Reply>(&any)) {
    const auto* q = std::get_if<i2o::Reply>(&reply);
    fuzz_check(q && same_encoding(*q, *p), "decode gives a reply that decode_reply does not");
    fuzz_check(std::holds_alternative<i2o::ParseError>(request), "a reply decodes as a request");
    check_round_trip(*p, data, size, true, false);
  } else {
    const auto& e = std::get<i2o::ParseError>(any);
    fuzz_check(!std::holds_alternative<i2o::Request>(request) &&
                   !std::holds_alternative<i2o::Reply>(reply),
               "decode refuses a frame that decode_request or decode_reply accepts");
    const auto* eq = std::get_if<i2o::ParseError>(&request);
    const auto* ep = std::get_if<i2o::ParseError>(&reply);
    fuzz_check((eq && same_error(*eq, e)) || (ep && same_error(*ep, e)),
               "decode's error is neither decode_request's nor decode_reply's");
    fuzz_check(!i2o::describe(e).empty(), "a parse error without a description");
    const i2o::Reply reject = i2o::make_reject_reply(data, size, e);
    fuzz_check((reject.header.flags & (i2o::flag::kReply | i2o::flag::kFail)) ==
                   (i2o::flag::kReply | i2o::flag::kFail),
               "a reject reply without the reply and fail flags");
    fuzz_check(reject.status == i2o::ReqStatus::kTransactionError &&
                   reject.detailed_status == i2o::dsc::kInvalidRequest &&
                   reject.bytes_transferred == 0,
               "a reject reply with the wrong status");
    std::uint8_t out[i2o::kMaxFrameBytes];
    const std::size_t n = i2o::encode(reject, out, sizeof out);
    const i2o::ReplyResult back = i2o::decode_reply(out, n);
    const auto* b = std::get_if<i2o::Reply>(&back);
    fuzz_check(b && same_encoding(*b, reject), "a reject reply does not decode as itself");
  }
}

}  // namespace hcasim::fuzz
