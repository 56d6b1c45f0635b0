// JSON reader for the per-message path: parses JSON text (RFC 8259) into Values in a run's Arena.
//
//   JsonReader reader;                    // keep one per RunContext: its scratch stacks are reused
//   Value root;
//   CW_RETURN_IF_ERROR(reader.Read(text, arena, &root));   // `text` must outlive the run
//
// What it builds:
//   - objects keep member order; a duplicate key in one object is an error (a smuggling vector: two
//     readers could see two different values); the check is linear (objects of more than kObjectIndexMin
//     members are checked through the hash index they keep, see value.h);
//   - strings without escapes are views into `text`; strings with escapes are decoded into the arena
//     (\uXXXX with surrogate pairs -> UTF-8; a lone or reversed surrogate is an error);
//   - raw string bytes must be valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF) and contain no
//     control characters below 0x20;
//   - numbers are kept exactly as written: an integer that fits int64 -> kInt; a number with a fraction
//     -> kDecimal {mantissa, scale} ("1.50" -> {150, 2}, written back as 1.50); an exponent is applied
//     exactly ("1.5e-3" -> 0.0015, "2E2" -> 200 as a decimal of scale 0); "-0" and "-0.0" keep their sign
//     (kFlagNegativeZero). A number whose digits do not fit an int64 mantissa, or whose scale would
//     exceed kMaxDecimalScale (FHIR's own example 1.000000000000000000E-245), is never rounded: it is
//     kept as a kString of its exact text with kFlagNumberText, which the writer writes back unquoted and
//     unchanged and arithmetic rejects ("number outside the exact decimal range");
//   - a leading UTF-8 byte order mark is skipped.
//
// Errors are kParseError (or kLimitExceeded for the limits) with "line L, column C" (1-based; columns
// count bytes) in the context's input_position, the byte offset in byte_offset, and a message that names
// what was expected and the byte offset, never the document's text. Status::ToString() reads like
// "line 3, column 7: JSON: expected ':' after an object key (byte 41)".
//
// Thread-safety: a JsonReader is used by one thread at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/status.h"
#include "value/value.h"

namespace crosswalk::vm {

struct JsonReadOptions {
  // Maximum nesting of arrays and objects (the top-level container is depth 1). Default 256;
  // deeper input is kLimitExceeded ("JSON nested deeper than max_depth").
  int max_depth = 256;
  // Maximum input size in bytes. Default 64 MiB; larger input is kLimitExceeded before parsing.
  size_t max_input_bytes = size_t{64} << 20;
};

class JsonReader {
 public:
  explicit JsonReader(const JsonReadOptions& options = {}) : options_(options) {}
  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  // Parses one JSON document. `text` must outlive the Values produced (strings may point into it).
  // On error *out is Absent; arena memory already used is not given back (Reset the arena).
  Status Read(std::string_view text, Arena& arena, Value* out);

 private:
  struct Parser;

  JsonReadOptions options_;
  std::vector<Value> values_;    // items of the arrays being parsed (a stack)
  std::vector<Member> members_;  // members of the objects being parsed (a stack)
  std::vector<const char*> key_at_;  // where each of members_ keys starts (for the duplicate-key error)
  std::string scratch_;          // escape decoding
};

// One-shot convenience (allocates its scratch stacks each call).
Status ReadJson(std::string_view text, Arena& arena, Value* out, const JsonReadOptions& options = {});

}  // namespace crosswalk::vm
