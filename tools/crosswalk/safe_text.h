// Lines the tool prints about messages: control characters escaped, invalid UTF-8 replaced, length bounded.
//
// Every line `crosswalk` prints to stderr goes through PrintSafe, so that nothing read from a file (a
// file name, a reason that quotes a map) can forge extra log lines, drive the terminal with escape
// sequences, or flood a log. What may appear in those lines at all is docs/security.md's policy.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace crosswalk::cli {

// Longest line printed, in bytes, before it is cut with "... (N bytes cut)".
inline constexpr size_t kMaxPrintedLine = 4096;

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
size_t Utf8Length(std::string_view s, size_t i);

// `text` with bytes below 0x20, 0x7F and bytes of invalid UTF-8 sequences written as \xNN, cut to `max_bytes`.
std::string SafeText(std::string_view text, size_t max_bytes = kMaxPrintedLine);

// Prints SafeText(line) and a newline to `f`.
void PrintSafe(std::FILE* f, std::string_view line);

}  // namespace crosswalk::cli
