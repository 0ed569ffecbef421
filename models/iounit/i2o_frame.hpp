#pragma once
// I2O-style message frames: the requests the host sends to an I/O unit's emulation service and
// the replies it gets back. The binary layout (32-bit little-endian words) is documented word by
// word in docs/i2o_frames.md; this file is its only encoder and decoder. No SystemC, no
// allocation: a frame is at most kMaxFrameWords words and a request holds a fixed-size SGL.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

namespace hcasim::i2o {

constexpr std::uint8_t kVersion = 0x01;  // I2O 1.5 (I2OVERSION_11)
constexpr std::size_t kMaxFrameWords = 128;
constexpr std::size_t kMaxFrameBytes = kMaxFrameWords * 4;
constexpr std::size_t kHeaderWords = 4;
// Block read/write: header, control word, byte count, 64-bit byte address, then the SGL.
constexpr std::size_t kBlockSglOffset = 8;
// design decision: an SGL entry is a flags/length word, a 64-bit address and a 32-bit key.
// I2O's simple address element has no key (its I/O processor reached host memory directly);
// our I/O unit reaches host buffers only by RDMA, which needs the key they were registered with.
constexpr std::size_t kSglEntryWords = 4;
// design decision: at most 16 entries per request (I2O bounds the SGL only by the frame size,
// which would allow 30 of ours). 16 covers a 64 KiB transfer of scattered 4 KiB pages plus a
// 4 KiB-unaligned start, keeps Request a fixed size with no allocation, and leaves room in the
// frame; larger transfers are split by the host into several requests.
constexpr std::size_t kMaxSglEntries = 16;
constexpr std::size_t kReplyWords = 6;

// Word 0 message flags (I2O MsgFlags).
namespace flag {
constexpr std::uint8_t kStatic = 0x01;
constexpr std::uint8_t kContext64 = 0x02;
constexpr std::uint8_t kMultiple = 0x10;
constexpr std::uint8_t kFail = 0x20;
constexpr std::uint8_t kLast = 0x40;
constexpr std::uint8_t kReply = 0x80;
}  // namespace flag

// SGL entry flags (top byte of an entry's first word, I2O simple address element flags).
namespace sgl_flag {
constexpr std::uint8_t kDirectionOut = 0x04;   // data moves host -> I/O unit (block write)
constexpr std::uint8_t kSimpleAddress = 0x10;  // required: the only element type we carry
constexpr std::uint8_t kEndOfBuffer = 0x40;
constexpr std::uint8_t kLastElement = 0x80;  // required on the last entry, and only there
}  // namespace sgl_flag

// Function codes (I2O block storage class).
enum class Function : std::uint8_t { kBlockRead = 0x30, kBlockWrite = 0x31 };

constexpr std::uint16_t kHostId = 1;  // I2O's host TID: the initiator of every host request

// Request status (I2O ReqStatus, the top byte of reply word 4).
enum class ReqStatus : std::uint8_t {
  kSuccess = 0x00,
  kAbortDirty = 0x01,
  kAbortNoDataTransfer = 0x02,
  kAbortPartialTransfer = 0x03,
  kErrorDirty = 0x04,
  kErrorNoDataTransfer = 0x05,
  kErrorPartialTransfer = 0x06,
  kProcessAbortDirty = 0x08,
  kProcessAbortNoDataTransfer = 0x09,
  kProcessAbortPartialTransfer = 0x0A,
  kTransactionError = 0x0B,
  kProgressReport = 0x80,
};

// Detailed status codes the I/O unit uses (low 16 bits of reply word 4). The common ones take
// I2O's detailed status values (I2O_DSC_*).
// design decision: I2O's block storage class has its own table (I2O_BSA_DSC_*) whose values
// overlap the common ones; the device errors are placed at 0x0100 + their BSA value so one
// table serves every reply of the I/O unit.
namespace dsc {
constexpr std::uint16_t kSuccess = 0x0000;
constexpr std::uint16_t kBadKey = 0x0002;           // a host buffer's key was rejected
constexpr std::uint16_t kInvalidOffset = 0x0010;    // block address/count outside the device
constexpr std::uint16_t kInvalidRequest = 0x0012;   // the frame does not parse (reject reply)
constexpr std::uint16_t kMessageTooLarge = 0x0014;  // transfer beyond the unit's limit
constexpr std::uint16_t kUnknownFunction = 0x0019;  // function code the unit does not serve
constexpr std::uint16_t kDeviceBusy = 0x001B;
constexpr std::uint16_t kMediaError = 0x0101;     // BSA media error
constexpr std::uint16_t kDeviceFailure = 0x0103;  // BSA device failure
constexpr std::uint16_t kTimeout = 0x010E;        // BSA timeout
}  // namespace dsc

// The addressing part of the header, common to requests and replies. Version, SGL offset and
// size are not here: the encoder derives them from the content and the decoder checks them.
struct Header {
  std::uint8_t flags = 0;
  std::uint16_t target_id = 0;     // 12 bits
  std::uint16_t initiator_id = 0;  // 12 bits
  std::uint8_t function = 0;
  std::uint32_t initiator_context = 0;
  std::uint32_t transaction_context = 0;
};

struct SglEntry {
  std::uint8_t flags = sgl_flag::kSimpleAddress;
  std::uint32_t length = 0;  // 24 bits, bytes
  std::uint64_t address = 0;
  std::uint32_t key = 0;  // the host buffer's registration key (remote key for RDMA)
};

// A request frame. For block read/write the body fields and the SGL are meaningful; any other
// function code is carried header-only (the I/O unit answers it with kUnknownFunction).
struct Request {
  Header header;
  std::uint32_t control = 0;  // I2O block control flags (caching hints); carried, not interpreted
  std::uint32_t byte_count = 0;
  std::uint64_t address = 0;  // byte address on the device
  std::uint8_t sgl_count = 0;
  std::array<SglEntry, kMaxSglEntries> sgl{};

  bool is_block() const;
  std::size_t size_words() const;
};

struct Reply {
  Header header;  // flags include flag::kReply; kFail marks a reject reply
  ReqStatus status = ReqStatus::kSuccess;
  std::uint16_t detailed_status = dsc::kSuccess;
  std::uint32_t bytes_transferred = 0;
};

enum class ParseErrorCode : std::uint8_t {
  kTooShort,             // fewer than the 4 header words
  kNotWordMultiple,      // length is not a whole number of 32-bit words
  kTooLarge,             // more than kMaxFrameWords words
  kUnknownVersion,       // version nibble is not kVersion
  kSizeMismatch,         // size field disagrees with the frame's length
  kReplyFlagMismatch,    // a reply where a request was expected, or the other way round
  kBlockTooShort,        // block read/write with fewer than kBlockSglOffset words
  kSglOffsetOutOfRange,  // SGL offset inside the block body or past the end of the frame
  kNoSglEntries,         // block read/write with an empty SGL
  kSglTruncated,         // the SGL runs past the end of the frame (partial entry or no last flag)
  kSglAfterLast,         // words follow the entry flagged last
  kTooManySglEntries,    // more than kMaxSglEntries entries
  kSglBadElement,        // an entry that is not a simple address element
  kSglZeroLength,        // an entry of length 0
  kByteCountMismatch,    // byte count differs from the sum of the SGL lengths
  kReplySize,            // a reply frame that is not kReplyWords long
};

struct ParseError {
  ParseErrorCode code = ParseErrorCode::kTooShort;
  std::uint32_t word = 0;   // the word where the problem was found
  std::uint64_t found = 0;  // the offending value
  std::uint64_t limit = 0;  // what was expected or allowed
};

using RequestResult = std::variant<Request, ParseError>;
using ReplyResult = std::variant<Reply, ParseError>;
using FrameResult = std::variant<Request, Reply, ParseError>;

// Writes the frame into out[0, capacity); returns the bytes written, 0 when it does not fit or
// the request cannot be encoded (a block request with 0 or more than kMaxSglEntries entries).
std::size_t encode(const Request& request, std::uint8_t* out, std::size_t capacity);
std::size_t encode(const Reply& reply, std::uint8_t* out, std::size_t capacity);

RequestResult decode_request(const std::uint8_t* frame, std::size_t length);
ReplyResult decode_reply(const std::uint8_t* frame, std::size_t length);
// Either kind, chosen by the reply flag (for tools that read frames of both kinds).
FrameResult decode(const std::uint8_t* frame, std::size_t length);

// design decision: the reject reply has the normal reply layout (I2O's failure reply has its
// own), so the host matches it by its transaction context like any other reply.
// The reply to a frame that does not parse: reply and fail flags, kTransactionError,
// dsc::kInvalidRequest, no bytes transferred. It echoes word 1 (target, initiator, function)
// and the contexts as far as the frame holds them; missing ones are 0.
Reply make_reject_reply(const std::uint8_t* frame, std::size_t length, const ParseError& error);

// Names for tools and messages (not for hot paths).
const char* function_name(std::uint8_t function);          // "block_read", ... or "unknown"
const char* status_name(ReqStatus status);                 // "success", ... or "unknown"
const char* detailed_status_name(std::uint16_t detailed);  // "bad_key", ... or "unknown"
const char* parse_error_name(ParseErrorCode code);
std::string describe(const ParseError& error);  // "word 0: size field says 9 words, ..."

}  // namespace hcasim::i2o
