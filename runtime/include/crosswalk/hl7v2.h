// HL7 v2 helpers for hosts: split a byte stream into messages, read a message's header without running
// a map, read its fields and segment groups, and build an ACK.
//
//   crosswalk::MessageSplitter splitter;          // one per stream; not thread-safe
//   crosswalk::SplitItem item;
//   while (ReadSome(&chunk)) {                     // chunks of any size: a frame may span many reads
//     splitter.Feed(chunk);
//     while (splitter.Next(&item)) Handle(item);   // item.text is valid until the next call on splitter
//   }
//   splitter.Finish();                             // the last message has no successor to end it
//   while (splitter.Next(&item)) Handle(item);
//
// Every byte of the stream ends in at most one item: a message, a batch envelope segment, or an error
// item that names its byte offset and length (never its content); the bytes in none are blanks, MLLP
// framing bytes and BOMs (and the later lines of a message dropped for its length, whose error came
// first). So a host can count each bad part as one rejection and still process every good message.
//
// C++17; this header includes only the standard library and crosswalk/status.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crosswalk/status.h"

namespace crosswalk {

// What the HL7 v2 reader does with bytes that are not well-formed UTF-8 in a message whose MSH-18 says
// UTF-8 (or nothing, or ASCII). ISO-8859-1 messages (MSH-18 8859/1) are converted and never rejected.
enum class InvalidUtf8 : uint8_t {
  kReject,   // the message is rejected (kParseError with segment, field and byte offset; no content)
  kReplace,  // each bad byte reads as U+FFFD
};

// ---------------------------------------------------------------------------------------------------
// Splitting

// Limits of a MessageSplitter.
struct SplitterOptions {
  // Bytes of one message (default 16 MiB, as hl7v2 ParseOptions::max_message_bytes). A longer message
  // becomes one kError item (kLimitExceeded) and its bytes are dropped as they arrive, so the splitter's
  // memory stays bounded by this limit plus the caller's chunk size.
  size_t max_message_bytes = size_t{16} << 20;
};

struct SplitItem {
  enum class Kind : uint8_t {
    kMessage,   // one message: from its MSH to the end of its last segment, terminators included
    kEnvelope,  // an FHS, BHS, BTS or FTS segment (batch envelope), without its terminator
    kError,     // a part of the stream that is not a message (see `error`)
  };
  Kind kind = Kind::kMessage;
  // The bytes of a message or envelope segment (BOM and MLLP bytes removed); empty for errors. Valid
  // until the next call to any member of the splitter that produced it.
  std::string_view text;
  // Stream offset (bytes fed since construction or Reset) of the item's first byte, and its length
  // (for an error: the span of the bad part or of the message that was too long).
  uint64_t offset = 0;
  uint64_t length = 0;
  // Ok for messages and envelopes. For errors: kParseError (data outside a message, an MLLP frame
  // without its end block) or kLimitExceeded (SplitterOptions::max_message_bytes), with
  // context().byte_offset == offset and a message that holds no stream content.
  Status error;
};

// Splits a stream of HL7 v2 text into messages, incrementally. Understands, mixed in any order: MLLP
// frames (0x0B ... 0x1C [0x0D]), a UTF-8 BOM at the start of the stream or of a frame, batch files
// (FHS/BHS ... BTS/FTS, inside frames or not), and messages simply concatenated (each MSH starts a
// new message); segment terminators CR, LF or CRLF; blank lines between messages.
//
// A message ends at the next MSH or envelope segment, at the end of its MLLP frame, at an MLLP start
// byte, or at Finish(). Lines that are not in a message (no MSH before them) form one kError per
// contiguous run; a frame left open (its end byte missing before the next 0x0B or the end of the
// stream) makes the message it holds one kError. 0x0B always starts a frame; 0x1C ends one (outside a
// frame it is ordinary text). Content is not checked here: Message parsing does that.
//
// Feed() only stores bytes; Next() does the work, one item at a time, so memory stays bounded when the
// caller drains Next() after each Feed(). Splitting a stream at any byte boundaries gives the same items.
class MessageSplitter {
 public:
  MessageSplitter();
  explicit MessageSplitter(const SplitterOptions& options);
  ~MessageSplitter();
  MessageSplitter(MessageSplitter&&) noexcept;
  MessageSplitter& operator=(MessageSplitter&&) noexcept;
  MessageSplitter(const MessageSplitter&) = delete;
  MessageSplitter& operator=(const MessageSplitter&) = delete;

  // Appends bytes of the stream. Ignored after Finish() (call Reset() to start a new stream).
  void Feed(std::string_view chunk);
  // Marks the end of the stream: Next() then also returns the last message and any open bad part.
  void Finish();
  // The next complete item; false when more input (or Finish()) is needed, or after the last item.
  bool Next(SplitItem* item);
  // Forgets everything (capacity is kept); offsets start again at 0.
  void Reset();

  // Bytes fed since construction or Reset().
  uint64_t bytes_fed() const;
  // Bytes held now (the open message and line, items not yet returned): when Next() is drained after
  // each Feed(), at most SplitterOptions::max_message_bytes plus the last chunk.
  size_t buffered_bytes() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------------
// Header of one message

struct MessageHeader {
  std::string message_code;   // MSH-9.1, e.g. "ADT"
  std::string trigger_event;  // MSH-9.2, e.g. "A01"; may be empty (ACK)
  // MSH-9.3 when it names a structure Crosswalk knows, else the structure of the event from HL7's
  // tables ("ADT", "A04" → "ADT_A01"); else MSH-9.3 as written; may be empty.
  std::string structure;
  std::string control_id;   // MSH-10
  std::string version;      // MSH-12.1, e.g. "2.5.1"
  std::string processing_id;  // MSH-11.1, e.g. "P"
};

// Reads the MSH segment of one message (as a SplitItem's text, optionally MLLP-framed) without running
// a map and without reading the rest of the message, so it works on messages whose body is broken.
// Values are unescaped; bad UTF-8 reads as U+FFFD. kParseError (position, no content) when the text does
// not start with a readable MSH segment.
[[nodiscard]] Status ReadMessageHeader(std::string_view message, MessageHeader* out);

// ---------------------------------------------------------------------------------------------------
// Reading a message by hand

// One parsed message, for hosts and tools that read fields themselves (routing, logging, inspection),
// with the segment groups of its structure. Fields are returned raw (repetitions, components and escapes
// as written); Decode gives a piece's value. One view can be reused for many messages (Parse keeps its
// buffers). Not thread-safe. The text given to Parse must outlive every read of the parsed message.
class MessageView {
 public:
  MessageView();
  ~MessageView();
  MessageView(MessageView&&) noexcept;
  MessageView& operator=(MessageView&&) noexcept;
  MessageView(const MessageView&) = delete;
  MessageView& operator=(const MessageView&) = delete;

  // Parses one message (a SplitItem's text, optionally MLLP-framed) with the reader's default limits.
  // kParseError / kLimitExceeded with the position (segment, field, byte offset; never content) when it is
  // not a readable message; the view is then empty.
  [[nodiscard]] Status Parse(std::string_view message, InvalidUtf8 invalid_utf8 = InvalidUtf8::kReject);

  int segment_count() const;                           // 0 when empty
  std::string_view segment_id(int segment) const;      // "PID"; `segment` is 0-based (0 is MSH)
  int field_count(int segment) const;                  // the highest field number present
  // The raw text of a field (1-based, HL7 numbering: MSH-1 is the field separator, MSH-2 the encoding
  // characters); empty when absent or out of range.
  std::string_view field(int segment, int field) const;

  struct Delimiters {
    char field = '|', component = '^', repetition = '~', escape = '\\', subcomponent = '&';
  };
  Delimiters delimiters() const;
  // The value of a raw piece (field, repetition, component or subcomponent): escapes decoded, converted to
  // UTF-8 from the message's character set (MSH-18). Uses *scratch when it has to; the result is valid
  // until the next use of *scratch or of this view.
  std::string_view Decode(std::string_view raw, std::string* scratch) const;
  // `""`, HL7's explicit null ("delete the value held for this field").
  static bool IsExplicitNull(std::string_view raw) { return raw.size() == 2 && raw[0] == '"' && raw[1] == '"'; }

  // The structure the segments were matched against ("ORU_R01"); empty when Crosswalk has none for
  // MSH-9, and every segment is then at the top level.
  std::string_view structure() const;
  // The group of a segment as a path of group names ("PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION"), or
  // the structure's name (or "MESSAGE") for a segment at the top level; and whether the segment has a
  // place in the structure (false for a segment out of order or unknown to it, such as most Z-segments).
  std::string group_path(int segment) const;
  bool in_structure(int segment) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------------
// ACK builder

enum class AckCode : uint8_t {
  kAccept,  // AA: application accept
  kError,   // AE: application error (the message was understood but not processed)
  kReject,  // AR: application reject (the message could not be read, or is not accepted here)
};

// Longest MSA-3 / ERR-8 text written by default (ERR-8 "user message" is TX 250 in v2.5+).
inline constexpr size_t kDefaultAckTextBytes = 250;

struct AckOptions {
  AckCode code = AckCode::kAccept;
  std::string control_id;  // MSH-10 of the ACK (required)
  std::string timestamp;   // MSH-7 of the ACK, HL7 DTM such as "20240501120000+0000" (required)
  // MSA-3 and ERR-8; escaped (control characters included, so it can never break framing or add
  // segments) and cut to max_text_bytes on a UTF-8 character boundary. Must hold no PHI.
  std::string text;
  size_t max_text_bytes = kDefaultAckTextBytes;
  // ERR-2 error location (segment id, its 1-based sequence among segments with that id, field), and
  // ERR-3 error code from HL7 table 0357 (default 207 "Application internal error" when not AA).
  std::string error_segment;
  int error_segment_sequence = 1;
  int error_field = 0;
  std::string error_code;
  char severity = 'E';  // ERR-4: E, W or I
};

// Builds the ACK to `inbound` (one message, as a SplitItem's text): MSH with sending and receiving
// application/facility swapped and the inbound encoding characters, MSH-9 ACK^<trigger>^ACK, MSA with
// the inbound MSH-10, and ERR (v2.5+ layout) unless the code is AA with no error location. Works when
// only the inbound MSH segment is readable (so a broken message can be rejected with AR). Every byte of
// the ACK outside its segment terminators is printable or escaped. *out is replaced. Errors:
// kInvalidArgument (empty control id or timestamp, bad severity), kParseError (no readable MSH).
[[nodiscard]] Status BuildAck(std::string_view inbound, const AckOptions& options, std::string* out);

}  // namespace crosswalk
