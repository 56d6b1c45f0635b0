// Character-set and text helpers shared by the HL7 v2 reader, writer and tools.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hl7v2/message.h"

namespace crosswalk::hl7v2 {

// Upper bound for the count argument of the \.sp N\ and \.sk N\ formatting escapes.
inline constexpr int kMaxFormatRepeat = 100;

// Maps an MSH-18 value to a Charset. Empty, "ASCII", "UNICODE UTF-8", "UTF-8" → kUtf8;
// "8859/1", "ISO-8859-1", "ISO_8859-1", "ISO8859-1", "LATIN1", "ISO IR100" → kLatin1; "8859/15",
// "ISO-8859-15", "ISO_8859-15", "ISO8859-15", "LATIN9" → kLatin9 (case-insensitive, blanks trimmed).
// Returns false for every other set (UTF-16, ISO IR87, 8859/2, ...).
bool ParseCharset(std::string_view msh18, Charset* charset);

// Length of the well-formed UTF-8 sequence starting at text[at] (1 for ASCII), or 0 when the bytes there
// do not start one (a stray continuation byte, an overlong form, a surrogate, > U+10FFFF, a truncated
// sequence). `at` < text.size().
size_t Utf8SequenceAt(std::string_view text, size_t at);

// Offset of the first byte of `text` that does not start a well-formed UTF-8 sequence, or npos.
// ASCII runs are skipped 64 bytes at a time (SSE2), else 8.
size_t FindInvalidUtf8(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
inline bool IsValidUtf8(std::string_view text) { return FindInvalidUtf8(text) == std::string_view::npos; }

// Appends `text` to *out with every byte that does not start a well-formed sequence replaced by U+FFFD
// (one replacement character per bad byte).
void AppendUtf8Replacing(std::string_view text, std::string* out);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view text, size_t max_bytes);

}  // namespace crosswalk::hl7v2
