// I2O-style frames: requests and replies round-trip through encode/decode byte for byte against
// frames written out by hand from docs/i2o_frames.md (so the layout is pinned independently of
// the encoder), every malformed frame is named by its parse error, and the reject reply echoes
// what can be recovered of a frame that does not parse.
#include "models/iounit/i2o_frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace hcasim::i2o;
using Bytes = std::vector<std::uint8_t>;

Bytes from_hex(const std::string& text) {
  Bytes out;
  std::string digits;
  for (char c : text)
    if (c != ' ') digits += c;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(std::uint8_t(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return out;
}

// Block write of 6144 bytes to device byte 0x123456000 from two host buffers (docs example).
const std::string kWriteHex =
    "81 00 10 00  05 10 00 31  44 33 22 11  0d f0 fe ca "  // header
    "10 00 00 00  00 18 00 00  00 60 45 23  01 00 00 00 "  // control, count, address
    "00 10 00 14  00 10 00 00  00 7f 00 00  cd ab 00 00 "  // 4096 B at 0x7f0000001000
    "00 08 00 d4  00 00 a0 00  00 7f 00 00  ce ab 00 00";  // 2048 B at 0x7f0000a00000, last

// Block read of 2048 bytes at device byte 0x1000000000 into three host buffers.
const std::string kReadHex =
    "81 00 14 00  23 11 00 30  01 00 00 00  02 00 00 00 "
    "00 00 00 00  00 08 00 00  00 00 00 00  10 00 00 00 "
    "00 02 00 10  00 00 00 80  00 00 00 00  04 03 02 01 "
    "00 04 00 10  00 10 00 80  00 00 00 00  04 03 02 01 "
    "00 02 00 d0  00 00 00 00  ff ff ff ff  ff ff ff ff";

const std::string kReplyHex =
    "01 80 06 00  05 10 00 31  44 33 22 11  0d f0 fe ca "
    "00 00 00 00  00 18 00 00";
const std::string kErrorReplyHex =
    "01 80 06 00  23 11 00 30  01 00 00 00  02 00 00 00 "
    "02 00 00 05  00 00 00 00";

Request write_request() {
  Request r;
  r.header.target_id = 5;
  r.header.initiator_id = kHostId;
  r.header.function = std::uint8_t(Function::kBlockWrite);
  r.header.initiator_context = 0x11223344;
  r.header.transaction_context = 0xCAFEF00D;
  r.control = 0x10;
  r.byte_count = 6144;
  r.address = 0x123456000;
  r.sgl_count = 2;
  r.sgl[0] = {sgl_flag::kSimpleAddress | sgl_flag::kDirectionOut, 4096, 0x7F0000001000, 0xABCD};
  r.sgl[1] = {sgl_flag::kSimpleAddress | sgl_flag::kDirectionOut | sgl_flag::kEndOfBuffer |
                  sgl_flag::kLastElement,
              2048, 0x7F0000A00000, 0xABCE};
  return r;
}

Request read_request() {
  Request r;
  r.header.target_id = 0x123;
  r.header.initiator_id = kHostId;
  r.header.function = std::uint8_t(Function::kBlockRead);
  r.header.initiator_context = 1;
  r.header.transaction_context = 2;
  r.byte_count = 2048;
  r.address = 0x1000000000;
  r.sgl_count = 3;
  r.sgl[0] = {sgl_flag::kSimpleAddress, 512, 0x80000000, 0x01020304};
  r.sgl[1] = {sgl_flag::kSimpleAddress, 1024, 0x80001000, 0x01020304};
  r.sgl[2] = {sgl_flag::kSimpleAddress | sgl_flag::kEndOfBuffer | sgl_flag::kLastElement, 512,
              0xFFFFFFFF00000000, 0xFFFFFFFF};
  return r;
}

void expect_same(const Request& a, const Request& b) {
  EXPECT_EQ(a.header.flags, b.header.flags);
  EXPECT_EQ(a.header.target_id, b.header.target_id);
  EXPECT_EQ(a.header.initiator_id, b.header.initiator_id);
  EXPECT_EQ(a.header.function, b.header.function);
  EXPECT_EQ(a.header.initiator_context, b.header.initiator_context);
  EXPECT_EQ(a.header.transaction_context, b.header.transaction_context);
  EXPECT_EQ(a.control, b.control);
  EXPECT_EQ(a.byte_count, b.byte_count);
  EXPECT_EQ(a.address, b.address);
  ASSERT_EQ(a.sgl_count, b.sgl_count);
  for (std::size_t i = 0; i < a.sgl_count; ++i) {
    EXPECT_EQ(a.sgl[i].flags, b.sgl[i].flags) << i;
    EXPECT_EQ(a.sgl[i].length, b.sgl[i].length) << i;
    EXPECT_EQ(a.sgl[i].address, b.sgl[i].address) << i;
    EXPECT_EQ(a.sgl[i].key, b.sgl[i].key) << i;
  }
}

void expect_same(const Reply& a, const Reply& b) {
  EXPECT_EQ(a.header.flags, b.header.flags);
  EXPECT_EQ(a.header.target_id, b.header.target_id);
  EXPECT_EQ(a.header.initiator_id, b.header.initiator_id);
  EXPECT_EQ(a.header.function, b.header.function);
  EXPECT_EQ(a.header.initiator_context, b.header.initiator_context);
  EXPECT_EQ(a.header.transaction_context, b.header.transaction_context);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.detailed_status, b.detailed_status);
  EXPECT_EQ(a.bytes_transferred, b.bytes_transferred);
}

Bytes encoded(const Request& r) {
  Bytes out(kMaxFrameBytes);
  out.resize(encode(r, out.data(), out.size()));
  return out;
}

Bytes encoded(const Reply& r) {
  Bytes out(kMaxFrameBytes);
  out.resize(encode(r, out.data(), out.size()));
  return out;
}

ParseError request_error(const Bytes& frame) {
  const RequestResult r = decode_request(frame.data(), frame.size());
  const auto* e = std::get_if<ParseError>(&r);
  if (!e) {
    ADD_FAILURE() << "frame parsed as a request";
    return {};
  }
  return *e;
}

// The frame with its size field set to its real length in words (after cutting or growing it).
Bytes resized(Bytes frame, std::size_t words) {
  frame.resize(words * 4, 0);
  frame[2] = std::uint8_t(words);
  frame[3] = std::uint8_t(words >> 8);
  return frame;
}

TEST(I2oFrame, BlockWriteEncodesToTheDocumentedBytes) {
  EXPECT_EQ(encoded(write_request()), from_hex(kWriteHex));
  EXPECT_EQ(write_request().size_words(), 16u);
}

TEST(I2oFrame, BlockReadEncodesToTheDocumentedBytes) {
  EXPECT_EQ(encoded(read_request()), from_hex(kReadHex));
}

TEST(I2oFrame, BlockRequestsDecodeFromTheDocumentedBytes) {
  for (const auto& [hex, want] :
       {std::pair{kWriteHex, write_request()}, {kReadHex, read_request()}}) {
    const Bytes frame = from_hex(hex);
    const RequestResult r = decode_request(frame.data(), frame.size());
    ASSERT_TRUE(std::holds_alternative<Request>(r)) << describe(std::get<ParseError>(r));
    expect_same(std::get<Request>(r), want);
    EXPECT_EQ(encoded(std::get<Request>(r)), frame);
  }
}

TEST(I2oFrame, FullSglRoundTrips) {
  Request r = write_request();
  r.sgl_count = kMaxSglEntries;
  r.byte_count = 0;
  for (std::size_t i = 0; i < kMaxSglEntries; ++i) {
    r.sgl[i] = {sgl_flag::kSimpleAddress, std::uint32_t(512 * (i + 1)), 0x1000 * i,
                std::uint32_t(100 + i)};
    r.byte_count += r.sgl[i].length;
  }
  r.sgl[kMaxSglEntries - 1].flags |= sgl_flag::kLastElement;
  const Bytes frame = encoded(r);
  ASSERT_EQ(frame.size(), (8 + 4 * kMaxSglEntries) * 4);
  const RequestResult back = decode_request(frame.data(), frame.size());
  ASSERT_TRUE(std::holds_alternative<Request>(back)) << describe(std::get<ParseError>(back));
  expect_same(std::get<Request>(back), r);
}

TEST(I2oFrame, OtherFunctionsAreHeaderOnly) {
  Request r;
  r.header = {0, 7, kHostId, 0x0A, 9, 10};
  const Bytes frame = encoded(r);
  EXPECT_EQ(frame, from_hex("01 00 04 00  07 10 00 0a  09 00 00 00  0a 00 00 00"));
  const RequestResult back = decode_request(frame.data(), frame.size());
  ASSERT_TRUE(std::holds_alternative<Request>(back));
  EXPECT_EQ(std::get<Request>(back).header.function, 0x0A);
  EXPECT_FALSE(std::get<Request>(back).is_block());
  EXPECT_STREQ(function_name(0x0A), "unknown");
}

TEST(I2oFrame, EncodeRefusesWhatDoesNotFit) {
  Request r = write_request();
  std::uint8_t small[63];
  EXPECT_EQ(encode(r, small, sizeof small), 0u);
  r.sgl_count = 0;
  std::uint8_t big[kMaxFrameBytes];
  EXPECT_EQ(encode(r, big, sizeof big), 0u);
  r.sgl_count = kMaxSglEntries + 1;
  EXPECT_EQ(encode(r, big, sizeof big), 0u);
  std::uint8_t reply[23];
  EXPECT_EQ(encode(Reply{}, reply, sizeof reply), 0u);
}

TEST(I2oFrame, RepliesRoundTripAgainstTheDocumentedBytes) {
  Reply ok;
  ok.header = write_request().header;
  ok.bytes_transferred = 6144;
  Reply bad;
  bad.header = read_request().header;
  bad.status = ReqStatus::kErrorNoDataTransfer;
  bad.detailed_status = dsc::kBadKey;
  for (auto& [reply, hex] : {std::pair{ok, kReplyHex}, {bad, kErrorReplyHex}}) {
    EXPECT_EQ(encoded(reply), from_hex(hex));
    const Bytes frame = from_hex(hex);
    const ReplyResult back = decode_reply(frame.data(), frame.size());
    ASSERT_TRUE(std::holds_alternative<Reply>(back)) << describe(std::get<ParseError>(back));
    Reply want = reply;
    want.header.flags |= flag::kReply;  // the encoder marks every reply
    expect_same(std::get<Reply>(back), want);
  }
}

TEST(I2oFrame, DecodeChoosesTheKindByTheReplyFlag) {
  const Bytes request = from_hex(kWriteHex), reply = from_hex(kReplyHex);
  EXPECT_TRUE(std::holds_alternative<Request>(decode(request.data(), request.size())));
  EXPECT_TRUE(std::holds_alternative<Reply>(decode(reply.data(), reply.size())));
}

struct BadFrame {
  const char* name;
  Bytes frame;
  ParseErrorCode code;
  std::uint32_t word;
};

std::vector<BadFrame> bad_frames() {
  const Bytes w = from_hex(kWriteHex);
  std::vector<BadFrame> cases;
  cases.push_back({"twelve bytes", Bytes(w.begin(), w.begin() + 12), ParseErrorCode::kTooShort, 0});
  Bytes odd = w;
  odd.push_back(0);
  odd.push_back(0);
  cases.push_back({"66 bytes", odd, ParseErrorCode::kNotWordMultiple, 0});
  cases.push_back({"129 words", resized(w, 129), ParseErrorCode::kTooLarge, 0});
  Bytes version = w;
  version[0] = 0x82;
  cases.push_back({"version 2", version, ParseErrorCode::kUnknownVersion, 0});
  Bytes size = w;
  size[2] = 17;
  cases.push_back({"size 17 of 16", size, ParseErrorCode::kSizeMismatch, 0});
  Bytes reply_flag = w;
  reply_flag[1] = flag::kReply;
  cases.push_back({"reply flag", reply_flag, ParseErrorCode::kReplyFlagMismatch, 0});
  cases.push_back({"block of 6 words", resized(w, 6), ParseErrorCode::kBlockTooShort, 0});
  Bytes low_offset = w;
  low_offset[0] = 0x41;
  cases.push_back({"SGL offset 4", low_offset, ParseErrorCode::kSglOffsetOutOfRange, 0});
  Bytes high_offset = resized(w, 12);
  high_offset[0] = 0xD1;
  cases.push_back({"SGL offset 13 of 12", high_offset, ParseErrorCode::kSglOffsetOutOfRange, 0});
  cases.push_back({"no SGL", resized(w, 8), ParseErrorCode::kNoSglEntries, 8});
  cases.push_back({"half an entry", resized(w, 14), ParseErrorCode::kSglTruncated, 12});
  Bytes no_last = w;
  no_last[51] = 0x54;
  cases.push_back({"no last flag", no_last, ParseErrorCode::kSglTruncated, 16});
  Bytes early_last = w;
  early_last[35] |= sgl_flag::kLastElement;
  cases.push_back({"last flag on entry 0", early_last, ParseErrorCode::kSglAfterLast, 12});
  Bytes chain = w;
  chain[35] = 0x34;
  cases.push_back({"chain element", chain, ParseErrorCode::kSglBadElement, 8});
  Bytes zero = w;
  zero[48] = zero[49] = zero[50] = 0;
  cases.push_back({"zero length", zero, ParseErrorCode::kSglZeroLength, 12});
  Bytes count = w;
  count[20] = 1;
  cases.push_back({"byte count 6145", count, ParseErrorCode::kByteCountMismatch, 5});
  // 17 entries: the 16 allowed plus one, none flagged last.
  Bytes many = resized(w, 8 + 4 * (kMaxSglEntries + 1));
  for (std::size_t i = 0; i <= kMaxSglEntries; ++i)
    std::copy(w.begin() + 32, w.begin() + 48, many.begin() + 32 + 16 * std::ptrdiff_t(i));
  cases.push_back({"17 entries", many, ParseErrorCode::kTooManySglEntries,
                   std::uint32_t(8 + 4 * kMaxSglEntries)});
  return cases;
}

TEST(I2oFrame, EveryMalformedRequestIsNamed) {
  for (const BadFrame& c : bad_frames()) {
    const ParseError e = request_error(c.frame);
    EXPECT_EQ(e.code, c.code) << c.name << ": " << describe(e);
    EXPECT_EQ(e.word, c.word) << c.name << ": " << describe(e);
    EXPECT_EQ(describe(e).rfind(parse_error_name(c.code), 0), 0u) << describe(e);
  }
}

TEST(I2oFrame, ParseErrorsSayWhatIsWrong) {
  Bytes size = from_hex(kWriteHex);
  size[2] = 17;
  EXPECT_EQ(describe(request_error(size)),
            "size_mismatch: word 0: size field says 17 words but the frame has 16");
  Bytes count = from_hex(kWriteHex);
  count[20] = 1;
  EXPECT_EQ(describe(request_error(count)),
            "byte_count_mismatch: word 5: byte count 6145 but the SGL describes 6144 bytes");
}

TEST(I2oFrame, MalformedRepliesAreNamed) {
  const Bytes request = from_hex(kWriteHex);
  const ReplyResult not_reply = decode_reply(request.data(), request.size());
  ASSERT_TRUE(std::holds_alternative<ParseError>(not_reply));
  EXPECT_EQ(std::get<ParseError>(not_reply).code, ParseErrorCode::kReplyFlagMismatch);
  const Bytes long_reply = resized(from_hex(kReplyHex), 7);
  const ReplyResult r = decode_reply(long_reply.data(), long_reply.size());
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).code, ParseErrorCode::kReplySize);
  EXPECT_EQ(std::get<ParseError>(r).found, 7u);
}

TEST(I2oFrame, RejectReplyEchoesTheContextsOfACorruptedFrame) {
  Bytes frame = from_hex(kWriteHex);
  frame[2] = 17;  // size field no longer matches
  const ParseError e = request_error(frame);
  const Reply reject = make_reject_reply(frame.data(), frame.size(), e);
  EXPECT_EQ(reject.header.flags, flag::kReply | flag::kFail);
  EXPECT_EQ(reject.header.target_id, 5);
  EXPECT_EQ(reject.header.initiator_id, kHostId);
  EXPECT_EQ(reject.header.function, std::uint8_t(Function::kBlockWrite));
  EXPECT_EQ(reject.header.initiator_context, 0x11223344u);
  EXPECT_EQ(reject.header.transaction_context, 0xCAFEF00Du);
  EXPECT_EQ(reject.status, ReqStatus::kTransactionError);
  EXPECT_EQ(reject.detailed_status, dsc::kInvalidRequest);
  EXPECT_EQ(reject.bytes_transferred, 0u);
  // On the wire, as the host will read it.
  EXPECT_EQ(encoded(reject), from_hex("01 a0 06 00  05 10 00 31  44 33 22 11  0d f0 fe ca "
                                      "12 00 00 0b  00 00 00 00"));
}

TEST(I2oFrame, RejectReplyOfATruncatedFrameKeepsOnlyWholeWords) {
  const Bytes w = from_hex(kWriteHex);
  const Bytes ten(w.begin(), w.begin() + 10);  // word 1 whole, word 2 cut
  const Reply r = make_reject_reply(ten.data(), ten.size(), request_error(ten));
  EXPECT_EQ(r.header.target_id, 5);
  EXPECT_EQ(r.header.function, std::uint8_t(Function::kBlockWrite));
  EXPECT_EQ(r.header.initiator_context, 0u);
  EXPECT_EQ(r.header.transaction_context, 0u);
  const Bytes three(w.begin(), w.begin() + 3);
  const Reply nothing = make_reject_reply(three.data(), three.size(), request_error(three));
  EXPECT_EQ(nothing.header.target_id, 0);
  EXPECT_EQ(nothing.header.function, 0);
  EXPECT_EQ(nothing.status, ReqStatus::kTransactionError);
}

TEST(I2oFrame, StatusNamesFollowI2o) {
  EXPECT_STREQ(status_name(ReqStatus::kSuccess), "success");
  EXPECT_STREQ(status_name(ReqStatus::kTransactionError), "transaction_error");
  EXPECT_STREQ(status_name(ReqStatus::kProgressReport), "progress_report");
  EXPECT_STREQ(detailed_status_name(dsc::kUnknownFunction), "unknown_function");
  EXPECT_STREQ(detailed_status_name(dsc::kDeviceFailure), "device_failure");
  EXPECT_STREQ(detailed_status_name(0x7777), "unknown");
}

}  // namespace
