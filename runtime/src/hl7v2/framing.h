// Framing around HL7 v2 messages: UTF-8 BOM, MLLP blocks and batch files.
//
// MLLP (minimal lower layer protocol) wraps each message as 0x0B <message> 0x1C 0x0D. A batch file is
//   [FHS] [BHS] MSH... MSH... [BTS] [FTS]   (or just messages one after another).
// SplitMessages() returns views of each message's bytes (from its MSH up to the next message or batch
// segment), ready for Message::Parse. It never copies message bytes.
#pragma once

#include <string_view>
#include <vector>

#include "crosswalk/status.h"

namespace crosswalk::hl7v2 {

inline constexpr char kMllpStart = '\x0b';
inline constexpr char kMllpEnd = '\x1c';

// Removes a leading UTF-8 BOM and, when the data starts with 0x0B, one MLLP frame (the trailing
// 0x1C and an optional 0x0D; blank bytes after the frame are allowed). kParseError when a frame is not
// closed or other data follows it.
Status StripFraming(std::string_view* bytes);

// The messages of a file or stream buffer and its batch envelope.
struct Batch {
  // Raw text (without terminator) of the last FHS, BHS, BTS and FTS seen; empty when absent.
  std::string_view fhs, bhs, bts, fts;
  std::vector<std::string_view> messages;
  void clear() {
    fhs = bhs = bts = fts = {};
    messages.clear();
  }
};

// Splits `data` into messages with crosswalk::MessageSplitter (crosswalk/hl7v2.h), which handles a UTF-8
// BOM, any number of MLLP frames, FHS/BHS/BTS/FTS envelopes and plain concatenated messages; segment
// terminators CR, LF or CRLF. `batch` is cleared first and its capacity reused; its views point into
// `data`. Strict: the splitter's first error item (data outside a message, an MLLP frame without its end,
// a message over 16 MiB; byte offset, never content) fails the call, as does finding no message at all.
// To keep the good messages around a bad part, use MessageSplitter directly.
Status SplitMessages(std::string_view data, Batch* batch);

}  // namespace crosswalk::hl7v2
