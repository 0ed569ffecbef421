#include "models/iounit/i2o_frame.hpp"

#include <cstdio>

namespace hcasim::i2o {

namespace {

// Explicit byte order, so the layout is little-endian on any host.
std::uint32_t load_word(const std::uint8_t* frame, std::size_t word) {
  const std::uint8_t* p = frame + word * 4;
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
         std::uint32_t(p[3]) << 24;
}

void store_word(std::uint8_t* frame, std::size_t word, std::uint32_t value) {
  std::uint8_t* p = frame + word * 4;
  p[0] = std::uint8_t(value);
  p[1] = std::uint8_t(value >> 8);
  p[2] = std::uint8_t(value >> 16);
  p[3] = std::uint8_t(value >> 24);
}

constexpr std::uint32_t kIdMask = 0xFFF;

void store_header(std::uint8_t* out, const Header& h, std::uint8_t flags, std::size_t sgl_offset,
                  std::size_t size_words) {
  store_word(out, 0,
             std::uint32_t(kVersion) | std::uint32_t(sgl_offset) << 4 | std::uint32_t(flags) << 8 |
                 std::uint32_t(size_words) << 16);
  store_word(
      out, 1,
      (h.target_id & kIdMask) | (h.initiator_id & kIdMask) << 12 | std::uint32_t(h.function) << 24);
  store_word(out, 2, h.initiator_context);
  store_word(out, 3, h.transaction_context);
}

Header load_header(const std::uint8_t* frame) {
  const std::uint32_t w0 = load_word(frame, 0), w1 = load_word(frame, 1);
  Header h;
  h.flags = std::uint8_t(w0 >> 8);
  h.target_id = std::uint16_t(w1 & kIdMask);
  h.initiator_id = std::uint16_t(w1 >> 12 & kIdMask);
  h.function = std::uint8_t(w1 >> 24);
  h.initiator_context = load_word(frame, 2);
  h.transaction_context = load_word(frame, 3);
  return h;
}

ParseError error(ParseErrorCode code, std::uint32_t word, std::uint64_t found,
                 std::uint64_t limit) {
  return ParseError{code, word, found, limit};
}

// The checks every frame passes before its kind matters: length, version, size field.
bool check_frame(const std::uint8_t* frame, std::size_t length, ParseError& err) {
  if (length < kHeaderWords * 4) {
    err = error(ParseErrorCode::kTooShort, 0, length, kHeaderWords * 4);
    return false;
  }
  if (length % 4 != 0) {
    err = error(ParseErrorCode::kNotWordMultiple, 0, length, 4);
    return false;
  }
  if (length > kMaxFrameBytes) {
    err = error(ParseErrorCode::kTooLarge, 0, length / 4, kMaxFrameWords);
    return false;
  }
  const std::uint32_t w0 = load_word(frame, 0);
  if ((w0 & 0xF) != kVersion) {
    err = error(ParseErrorCode::kUnknownVersion, 0, w0 & 0xF, kVersion);
    return false;
  }
  if ((w0 >> 16) != length / 4) {
    err = error(ParseErrorCode::kSizeMismatch, 0, w0 >> 16, length / 4);
    return false;
  }
  return true;
}

bool is_reply(const std::uint8_t* frame) { return (load_word(frame, 0) >> 8 & flag::kReply) != 0; }

RequestResult parse_request(const std::uint8_t* frame, std::size_t length) {
  Request r;
  r.header = load_header(frame);
  const std::size_t size = length / 4;
  const std::size_t offset = load_word(frame, 0) >> 4 & 0xF;
  if (!r.is_block()) {
    if (offset > size) return error(ParseErrorCode::kSglOffsetOutOfRange, 0, offset, size);
    return r;
  }
  if (size < kBlockSglOffset)
    return error(ParseErrorCode::kBlockTooShort, 0, size, kBlockSglOffset);
  if (offset < kBlockSglOffset || offset > size)
    return error(ParseErrorCode::kSglOffsetOutOfRange, 0, offset, size);
  if (offset == size) return error(ParseErrorCode::kNoSglEntries, std::uint32_t(offset), 0, 1);
  r.control = load_word(frame, 4);
  r.byte_count = load_word(frame, 5);
  r.address = std::uint64_t(load_word(frame, 6)) | std::uint64_t(load_word(frame, 7)) << 32;
  std::uint64_t total = 0;
  for (std::size_t w = offset;;) {
    if (w + kSglEntryWords > size)
      return error(ParseErrorCode::kSglTruncated, std::uint32_t(w), size - w, kSglEntryWords);
    if (r.sgl_count == kMaxSglEntries)
      return error(ParseErrorCode::kTooManySglEntries, std::uint32_t(w), kMaxSglEntries + 1,
                   kMaxSglEntries);
    const std::uint32_t head = load_word(frame, w);
    SglEntry& e = r.sgl[r.sgl_count];
    e.flags = std::uint8_t(head >> 24);
    e.length = head & 0xFFFFFF;
    e.address = std::uint64_t(load_word(frame, w + 1)) | std::uint64_t(load_word(frame, w + 2))
                                                             << 32;
    e.key = load_word(frame, w + 3);
    if ((e.flags & 0x30) != sgl_flag::kSimpleAddress)
      return error(ParseErrorCode::kSglBadElement, std::uint32_t(w), e.flags,
                   sgl_flag::kSimpleAddress);
    if (e.length == 0) return error(ParseErrorCode::kSglZeroLength, std::uint32_t(w), 0, 1);
    total += e.length;
    ++r.sgl_count;
    w += kSglEntryWords;
    if (e.flags & sgl_flag::kLastElement) {
      if (w != size) return error(ParseErrorCode::kSglAfterLast, std::uint32_t(w), size - w, 0);
      break;
    }
  }
  if (total != r.byte_count)
    return error(ParseErrorCode::kByteCountMismatch, 5, r.byte_count, total);
  return r;
}

ReplyResult parse_reply(const std::uint8_t* frame, std::size_t length) {
  if (length / 4 != kReplyWords)
    return error(ParseErrorCode::kReplySize, 0, length / 4, kReplyWords);
  Reply r;
  r.header = load_header(frame);
  const std::uint32_t w4 = load_word(frame, 4);
  r.detailed_status = std::uint16_t(w4);
  r.status = ReqStatus(w4 >> 24);
  r.bytes_transferred = load_word(frame, 5);
  return r;
}

}  // namespace

bool Request::is_block() const {
  return header.function == std::uint8_t(Function::kBlockRead) ||
         header.function == std::uint8_t(Function::kBlockWrite);
}

std::size_t Request::size_words() const {
  return is_block() ? kBlockSglOffset + kSglEntryWords * sgl_count : kHeaderWords;
}

std::size_t encode(const Request& request, std::uint8_t* out, std::size_t capacity) {
  const bool block = request.is_block();
  if (block && (request.sgl_count == 0 || request.sgl_count > kMaxSglEntries)) return 0;
  const std::size_t words = request.size_words();
  if (capacity < words * 4) return 0;
  // The reply flag belongs to replies only; a request never carries it.
  const std::uint8_t flags = request.header.flags & std::uint8_t(~flag::kReply);
  store_header(out, request.header, flags, block ? kBlockSglOffset : 0, words);
  if (!block) return words * 4;
  store_word(out, 4, request.control);
  store_word(out, 5, request.byte_count);
  store_word(out, 6, std::uint32_t(request.address));
  store_word(out, 7, std::uint32_t(request.address >> 32));
  for (std::size_t i = 0; i < request.sgl_count; ++i) {
    const SglEntry& e = request.sgl[i];
    const std::size_t w = kBlockSglOffset + i * kSglEntryWords;
    store_word(out, w, (e.length & 0xFFFFFF) | std::uint32_t(e.flags) << 24);
    store_word(out, w + 1, std::uint32_t(e.address));
    store_word(out, w + 2, std::uint32_t(e.address >> 32));
    store_word(out, w + 3, e.key);
  }
  return words * 4;
}

std::size_t encode(const Reply& reply, std::uint8_t* out, std::size_t capacity) {
  if (capacity < kReplyWords * 4) return 0;
  store_header(out, reply.header, reply.header.flags | flag::kReply, 0, kReplyWords);
  store_word(out, 4, reply.detailed_status | std::uint32_t(reply.status) << 24);
  store_word(out, 5, reply.bytes_transferred);
  return kReplyWords * 4;
}

RequestResult decode_request(const std::uint8_t* frame, std::size_t length) {
  ParseError err;
  if (!check_frame(frame, length, err)) return err;
  if (is_reply(frame)) return error(ParseErrorCode::kReplyFlagMismatch, 0, 1, 0);
  return parse_request(frame, length);
}

ReplyResult decode_reply(const std::uint8_t* frame, std::size_t length) {
  ParseError err;
  if (!check_frame(frame, length, err)) return err;
  if (!is_reply(frame)) return error(ParseErrorCode::kReplyFlagMismatch, 0, 0, 1);
  return parse_reply(frame, length);
}

FrameResult decode(const std::uint8_t* frame, std::size_t length) {
  ParseError err;
  if (!check_frame(frame, length, err)) return err;
  if (is_reply(frame)) {
    ReplyResult r = parse_reply(frame, length);
    if (auto* e = std::get_if<ParseError>(&r)) return *e;
    return std::get<Reply>(r);
  }
  RequestResult r = parse_request(frame, length);
  if (auto* e = std::get_if<ParseError>(&r)) return *e;
  return std::get<Request>(r);
}

Reply make_reject_reply(const std::uint8_t* frame, std::size_t length, const ParseError&) {
  Reply r;
  // Whole words only: a context cut short by the frame's end is not recoverable.
  const std::size_t words = length / 4;
  if (words >= 2) {
    const std::uint32_t w1 = load_word(frame, 1);
    r.header.target_id = std::uint16_t(w1 & kIdMask);
    r.header.initiator_id = std::uint16_t(w1 >> 12 & kIdMask);
    r.header.function = std::uint8_t(w1 >> 24);
  }
  if (words >= 3) r.header.initiator_context = load_word(frame, 2);
  if (words >= 4) r.header.transaction_context = load_word(frame, 3);
  r.header.flags = flag::kReply | flag::kFail;
  r.status = ReqStatus::kTransactionError;
  r.detailed_status = dsc::kInvalidRequest;
  r.bytes_transferred = 0;
  return r;
}

const char* function_name(std::uint8_t function) {
  switch (Function(function)) {
    case Function::kBlockRead:
      return "block_read";
    case Function::kBlockWrite:
      return "block_write";
  }
  return "unknown";
}

const char* status_name(ReqStatus status) {
  switch (status) {
    case ReqStatus::kSuccess:
      return "success";
    case ReqStatus::kAbortDirty:
      return "abort_dirty";
    case ReqStatus::kAbortNoDataTransfer:
      return "abort_no_data_transfer";
    case ReqStatus::kAbortPartialTransfer:
      return "abort_partial_transfer";
    case ReqStatus::kErrorDirty:
      return "error_dirty";
    case ReqStatus::kErrorNoDataTransfer:
      return "error_no_data_transfer";
    case ReqStatus::kErrorPartialTransfer:
      return "error_partial_transfer";
    case ReqStatus::kProcessAbortDirty:
      return "process_abort_dirty";
    case ReqStatus::kProcessAbortNoDataTransfer:
      return "process_abort_no_data_transfer";
    case ReqStatus::kProcessAbortPartialTransfer:
      return "process_abort_partial_transfer";
    case ReqStatus::kTransactionError:
      return "transaction_error";
    case ReqStatus::kProgressReport:
      return "progress_report";
  }
  return "unknown";
}

const char* detailed_status_name(std::uint16_t detailed) {
  switch (detailed) {
    case dsc::kSuccess:
      return "success";
    case dsc::kBadKey:
      return "bad_key";
    case dsc::kInvalidOffset:
      return "invalid_offset";
    case dsc::kInvalidRequest:
      return "invalid_request";
    case dsc::kUnknownFunction:
      return "unknown_function";
    case dsc::kDeviceBusy:
      return "device_busy";
    case dsc::kMessageTooLarge:
      return "message_too_large";
    case dsc::kMediaError:
      return "media_error";
    case dsc::kDeviceFailure:
      return "device_failure";
    case dsc::kTimeout:
      return "timeout";
  }
  return "unknown";
}

const char* parse_error_name(ParseErrorCode code) {
  switch (code) {
    case ParseErrorCode::kTooShort:
      return "too_short";
    case ParseErrorCode::kNotWordMultiple:
      return "not_word_multiple";
    case ParseErrorCode::kTooLarge:
      return "too_large";
    case ParseErrorCode::kUnknownVersion:
      return "unknown_version";
    case ParseErrorCode::kSizeMismatch:
      return "size_mismatch";
    case ParseErrorCode::kReplyFlagMismatch:
      return "reply_flag_mismatch";
    case ParseErrorCode::kBlockTooShort:
      return "block_too_short";
    case ParseErrorCode::kSglOffsetOutOfRange:
      return "sgl_offset_out_of_range";
    case ParseErrorCode::kNoSglEntries:
      return "no_sgl_entries";
    case ParseErrorCode::kSglTruncated:
      return "sgl_truncated";
    case ParseErrorCode::kSglAfterLast:
      return "sgl_after_last";
    case ParseErrorCode::kTooManySglEntries:
      return "too_many_sgl_entries";
    case ParseErrorCode::kSglBadElement:
      return "sgl_bad_element";
    case ParseErrorCode::kSglZeroLength:
      return "sgl_zero_length";
    case ParseErrorCode::kByteCountMismatch:
      return "byte_count_mismatch";
    case ParseErrorCode::kReplySize:
      return "reply_size";
  }
  return "unknown";
}

std::string describe(const ParseError& e) {
  using std::to_string;
  const std::string at = "word " + to_string(e.word) + ": ";
  std::string what;
  switch (e.code) {
    case ParseErrorCode::kTooShort:
      what = "frame of " + to_string(e.found) + " bytes; the header alone is " + to_string(e.limit);
      break;
    case ParseErrorCode::kNotWordMultiple:
      what = "frame of " + to_string(e.found) + " bytes is not a whole number of 32-bit words";
      break;
    case ParseErrorCode::kTooLarge:
      what = "frame of " + to_string(e.found) + " words; frames are at most " + to_string(e.limit);
      break;
    case ParseErrorCode::kUnknownVersion:
      what = at + "version " + to_string(e.found) + ", expected " + to_string(e.limit);
      break;
    case ParseErrorCode::kSizeMismatch:
      what = at + "size field says " + to_string(e.found) + " words but the frame has " +
             to_string(e.limit);
      break;
    case ParseErrorCode::kReplyFlagMismatch:
      what = at + (e.found ? "reply flag set on a frame read as a request"
                           : "reply flag not set on a frame read as a reply");
      break;
    case ParseErrorCode::kBlockTooShort:
      what = "block read/write frame of " + to_string(e.found) + " words; its body needs " +
             to_string(e.limit);
      break;
    case ParseErrorCode::kSglOffsetOutOfRange:
      what = at + "SGL offset " + to_string(e.found) + " words is outside the frame's SGL area (" +
             to_string(kBlockSglOffset) + " to " + to_string(e.limit) + ")";
      break;
    case ParseErrorCode::kNoSglEntries:
      what = at + "block read/write with no SGL entries";
      break;
    case ParseErrorCode::kSglTruncated:
      what = at + "SGL runs past the end of the frame: " + to_string(e.found) +
             " words left for an entry of " + to_string(e.limit) + " and no entry flagged last";
      break;
    case ParseErrorCode::kSglAfterLast:
      what = at + to_string(e.found) + " words follow the SGL entry flagged last";
      break;
    case ParseErrorCode::kTooManySglEntries:
      what = at + "more than " + to_string(e.limit) + " SGL entries";
      break;
    case ParseErrorCode::kSglBadElement: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", unsigned(e.found));
      what = at + "SGL entry flags " + hex + " are not a simple address element (0x10)";
      break;
    }
    case ParseErrorCode::kSglZeroLength:
      what = at + "SGL entry of length 0";
      break;
    case ParseErrorCode::kByteCountMismatch:
      what = at + "byte count " + to_string(e.found) + " but the SGL describes " +
             to_string(e.limit) + " bytes";
      break;
    case ParseErrorCode::kReplySize:
      what = "reply of " + to_string(e.found) + " words; replies are " + to_string(e.limit);
      break;
  }
  return std::string(parse_error_name(e.code)) + ": " + what;
}

}  // namespace hcasim::i2o
