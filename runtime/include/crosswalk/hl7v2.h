// HL7 v2 options for hosts.
// C++17; this header includes only the standard library.
#pragma once

#include <cstddef>
#include <cstdint>

namespace crosswalk {

// What the HL7 v2 reader does with bytes that are not well-formed UTF-8 in a message whose MSH-18 says
// UTF-8 (or nothing, or ASCII). ISO-8859-1 messages (MSH-18 8859/1) are converted and never rejected.
enum class InvalidUtf8 : uint8_t {
  kReject,   // the message is rejected (kParseError with segment, field and byte offset; no content)
  kReplace,  // each bad byte reads as U+FFFD
};

// Longest MSA-3 / ERR-8 text written by default (ERR-8 "user message" is TX 250 in v2.5+).
inline constexpr size_t kDefaultAckTextBytes = 250;

}  // namespace crosswalk
