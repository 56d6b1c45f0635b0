// Character-set and text helpers shared by the HL7 v2 reader, writer and tools.
#pragma once

#include <string_view>

#include "hl7v2/message.h"

namespace crosswalk::hl7v2 {

// Upper bound for the count argument of the \.sp N\ and \.sk N\ formatting escapes.
inline constexpr int kMaxFormatRepeat = 100;

// Maps an MSH-18 value to a Charset. Empty, "ASCII", "UNICODE UTF-8", "UTF-8" → kUtf8;
// "8859/1", "ISO-8859-1", "ISO_8859-1", "ISO8859-1", "LATIN1" → kLatin1 (case-insensitive, blanks
// trimmed). Returns false for every other set (UTF-16, ISO IR87, 8859/2, ...).
bool ParseCharset(std::string_view msh18, Charset* charset);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace crosswalk::hl7v2
