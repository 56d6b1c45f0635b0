// HL7 v2 ER7 reader: a reusable one-pass index over one message's bytes.
//
//   crosswalk::hl7v2::Message msg;            // keep one per thread and reuse it
//   std::string scratch;
//   CW_RETURN_IF_ERROR(msg.Parse(bytes));     // `bytes` must outlive every view msg hands out
//   int pid = msg.FindSegment("PID");
//   std::string_view family = msg.Value(pid, 5, 1, 1, 1, &scratch);   // PID-5[1].1.1
//
// Numbering is the one HL7 people write: fields, repetitions, components and subcomponents are 1-based.
// For MSH, MSH-1 is the field separator itself and MSH-2 the encoding characters, so MSH-3 is the first
// item after the encoding characters; for every other segment SEG-1 is the first item after the id.
// A 0 for rep / comp / sub means "the whole" field / repetition / component (still delimited text).
//
// The index is lazy. Parse() finds the segment boundaries in one vectorised pass (and checks what must see
// the whole message: MSH and its encoding characters, segment ids, NUL bytes, the limits, the UTF-8
// policy); a segment's field boundaries are found on the first read of one of its fields and kept until
// the next Parse(). MSH is always split, and so is any segment long enough that a limit could apply to
// it, so every error Parse() reports is the one an eager index would report. The vectors keep their
// capacity, so parsing and reading in a steady state allocate nothing. Repetitions, components and
// subcomponents are found by scanning the (short) field text on each lookup. Raw() returns text still
// escaped; Value() returns a view into the message when there is nothing to decode, otherwise decodes
// escape sequences (and ISO-8859-1 → UTF-8 when MSH-18 says so) into the caller's scratch string.
//
// Thread-safety: reads split segments on first use (the index is `mutable`), so a Message must not be
// read from two threads at once; keep one per thread, as RunContext does. Parse() needs exclusive access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/hl7v2.h"
#include "crosswalk/status.h"

namespace crosswalk::hl7v2 {

// Named limits. Each one is checked while indexing and reported as kLimitExceeded naming the limit, the
// segment ordinal/id and the field (never the data). Structural problems are kParseError.
struct ParseOptions {
  size_t max_message_bytes = 16u << 20;  // after MLLP/BOM removal
  int max_segments = 50'000;
  int max_fields_per_segment = 1'000;    // HL7 numbering (MSH counts MSH-1 and MSH-2)
  int max_repetitions = 5'000;           // per field
  size_t max_field_bytes = 8u << 20;     // one field's text, all repetitions
  // What to do with bytes that are not well-formed UTF-8 in a UTF-8 message (MSH-18 empty, ASCII,
  // UTF-8), including bytes written as \X..\ escapes: kReject (the default) fails Parse with
  // kParseError naming the segment, field and byte offset; kReplace reads each bad byte as U+FFFD.
  // ISO-8859-1 and -15 messages are always converted and never rejected.
  InvalidUtf8 invalid_utf8 = InvalidUtf8::kReject;
};

// Delimiters from MSH-1 / MSH-2. `truncation` is '\0' unless MSH-2 has the v2.7+ 5th character.
struct Encoding {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
  char truncation = '\0';
};

// Character sets named in MSH-18 that the reader understands.
enum class Charset : uint8_t {
  kUtf8,    // empty MSH-18, ASCII, UNICODE UTF-8, UTF-8: bytes passed through
  kLatin1,  // 8859/1, ISO-8859-1, ISO_8859-1: converted to UTF-8 by Value()
  kLatin9,  // 8859/15, ISO-8859-15 (Latin-9: Latin-1 with the euro sign and 7 other letters): likewise
};

// True for the one-byte character sets (ISO-8859-1, -15) whose bytes >= 0x80 Value() converts to UTF-8.
inline bool IsSingleByte(Charset charset) { return charset == Charset::kLatin1 || charset == Charset::kLatin9; }

// `v` without the spaces and tabs around it: blanks around a code or an id are padding (fixed-width senders
// write `ADT^A01   `, `AL   `), never part of it.
inline std::string_view TrimBlanks(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

class Message {
 public:
  Message() = default;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  Message(Message&&) = default;
  Message& operator=(Message&&) = default;

  // Indexes one message. Accepts a leading UTF-8 BOM, one MLLP frame (0x0B ... 0x1C 0x0D), segment
  // terminators CR, LF or CRLF (mixed too) and blank lines. The first segment must be MSH. Batch
  // files and concatenated messages are rejected here: split them first with SplitMessages()
  // (framing.h). On error the Message is empty (segment_count() == 0).
  Status Parse(std::string_view bytes, const ParseOptions& options = {});

  // The message text that the index refers to (BOM and MLLP framing removed).
  std::string_view text() const { return text_; }
  const Encoding& encoding() const { return encoding_; }
  Charset charset() const { return charset_; }

  int segment_count() const { return static_cast<int>(segments_.size()); }
  // "PID"; empty when seg is out of range.
  std::string_view segment_id(int seg) const;
  // The whole segment text without its terminator.
  std::string_view segment_text(int seg) const;
  // Highest field number present (HL7 numbering: an "MSH|^~\&" segment has 2 fields).
  int field_count(int seg) const;

  // Raw (still escaped) text at a position; 0 = whole for rep/comp/sub. Empty view when absent.
  // MSH-1 and MSH-2 are never split (MSH-2 contains the delimiters).
  std::string_view Raw(int seg, int field, int rep = 0, int comp = 0, int sub = 0) const;
  // Number of repetitions of a field: 0 when the field is empty or absent.
  int repetition_count(int seg, int field) const;
  // Number of components of a repetition: 0 when empty/absent.
  int component_count(int seg, int field, int rep) const;
  // Number of subcomponents of a component: 0 when empty/absent.
  int subcomponent_count(int seg, int field, int rep, int comp) const;

  // Decoded value. Returns a view into the message when nothing needs decoding, otherwise decodes
  // into *scratch (overwritten) and returns a view of it. The result is always well-formed UTF-8 (bad
  // bytes are U+FFFD when the message was parsed with InvalidUtf8::kReplace). Meant for leaves: with a 0 index the
  // delimiters inside the returned text are kept as they are while escapes are decoded. The explicit
  // null "" is returned unchanged (test it with IsExplicitNull on Raw()).
  std::string_view Value(int seg, int field, int rep, int comp, int sub, std::string* scratch) const;

  // Decode(Raw(seg, f, r, c, s), scratch) == Value(seg, f, r, c, s, scratch) for every position except
  // MSH-1 and MSH-2. Lets a caller that walks a field's pieces itself (the inspect tool) decode each
  // piece without finding it again.
  std::string_view Decode(std::string_view raw, std::string* scratch) const {
    if (plain_) {  // most values: a view of the message (see Parse)
      const uintptr_t b = reinterpret_cast<uintptr_t>(raw.data()) - reinterpret_cast<uintptr_t>(text_.data());
      if (b >= plain_from_ && b <= text_.size() && raw.size() <= text_.size() - b &&
          (b + raw.size() <= escapes_begin_ || b >= escapes_end_)) {
        return raw;
      }
    }
    return DecodeSlow(raw, scratch);
  }

  // True when Parse found bytes that are not UTF-8 and replaced them (InvalidUtf8::kReplace).
  bool replaced_invalid_utf8() const { return replace_utf8_; }

  static bool IsExplicitNull(std::string_view raw) { return raw.size() == 2 && raw[0] == '"' && raw[1] == '"'; }

  // First segment index in [from, to) whose id is `id`, or -1. `to` < 0 means segment_count().
  int FindSegment(std::string_view id, int from = 0, int to = -1) const;

  // Decodes escape sequences in `raw` (written with `enc`) into *out (appended). Exposed for the writer,
  // tests and tools. See README.md for the escapes understood.
  static void Unescape(std::string_view raw, const Encoding& enc, Charset charset, std::string* out);

 private:
  static constexpr uint32_t kUnsplit = UINT32_MAX;
  struct Segment {
    uint32_t begin;        // offset of the segment id in text_
    uint32_t end;          // offset of the terminator (or text end)
    uint32_t first_bound;  // index into bounds_; kUnsplit until the segment's fields are split
    uint32_t bound_count;  // field separators + 1 (the segment end)
  };

  // The segment with its field boundaries (split now if it was not yet). seg must be in range.
  const Segment& Split(int seg) const {
    Segment& s = segments_[static_cast<size_t>(seg)];
    if (s.first_bound == kUnsplit) SplitFields(&s);
    return s;
  }
  // Records the field separators of a segment that Parse() checked but did not split.
  void SplitFields(Segment* s) const;
  // Indexes segment `seg` (begin at offset i) field by field, checking the limits and NUL bytes: for MSH,
  // and for the segments the fast pass cannot clear. Returns the segment end offset in *end.
  Status IndexChecked(const ParseOptions& options, std::string_view t, int ordinal, size_t i, size_t msh2_end,
                      Segment* seg);

  // The field's text [begin, end) in text_; false when absent.
  bool FieldSpan(int seg, int field, uint32_t* begin, uint32_t* end) const;
  bool IsMsh(int seg) const { return seg == 0; }
  void Clear();
  // Segment index and HL7 field number holding byte `offset` of text_ (field 0: the segment id).
  void Locate(size_t offset, int* seg, int* field) const;
  std::string_view DecodeSlow(std::string_view raw, std::string* scratch) const;
  // Checks a UTF-8 message's bytes and its \X..\ escapes, which start at or after first_escape (the first
  // escape character after MSH-2, npos for none); sets replace_utf8_ or returns the error.
  Status CheckUtf8(const ParseOptions& options, size_t first_escape);

  std::string_view text_;
  Encoding encoding_;
  Charset charset_ = Charset::kUtf8;
  bool replace_utf8_ = false;  // values may hold bad UTF-8: Value() repairs them
  // Values in [plain_from_, escapes_begin_) and [escapes_end_, end) need no decoding when plain_ (see Parse).
  bool plain_ = false;
  uint32_t plain_from_ = 0, escapes_begin_ = 0, escapes_end_ = 0;
  // Mutable: reads split segments on first use (see Split).
  mutable std::vector<Segment> segments_;
  // For each split segment: offsets of its field separators, then the segment end.
  mutable std::vector<uint32_t> bounds_;
  // The last component Raw() found (a read with rep and comp): maps read a field's components in order
  // (XPN.1, XPN.2, ... or CWE.1-3), so a read of the same or a later component of the same repetition
  // scans on from there instead of finding the field, the repetition and every earlier component again.
  struct ComponentMemo {
    int seg = -1;  // -1: none
    int field = 0;
    int rep = 0;
    int comp = 0;
    uint32_t begin = 0;  // offset of component `comp` in text_
    uint32_t end = 0;    // offset of the end of repetition `rep` in text_
  };
  mutable ComponentMemo last_comp_;
};

}  // namespace crosswalk::hl7v2
