// JSON writer for the per-message path: serialises a Value tree into a caller-owned std::string.
//
//   std::string out;                      // keep one per RunContext; clear() it between messages
//   CW_RETURN_IF_ERROR(WriteJson(env, root, &out));
//
// Appends only, so a reused string costs no allocation once it has grown to the usual message size.
// Output is deterministic: object members in insertion order, numbers exactly as held (ints as integers,
// decimals as mantissa/scale: {150,2} -> 1.50, {-5,1} -> -0.5), kV2 references decoded, strings escaped
// per RFC 8259 (", \, and control characters; \b \f \n \r \t short forms, others \u00XX; UTF-8 passed
// through unchanged, "/" not escaped).
//
// FHIR's absent-value rules (JsonWriteOptions::fhir_absent_rules, default on): absent, null, "", kV2
// values that read empty or as HL7's explicit null, and arrays/objects with nothing left to write are
// skipped, both as object members and as array items. The check is deep: {"a": {"b": ""}} writes
// nothing for "a". It is done by writing and rolling back, so the cost stays linear.
// With the rules off only kAbsent is skipped (null, "", [] and {} are written).
//
// Thread-safety: stateless; distinct outputs may be written from distinct threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crosswalk/status.h"
#include "value/value.h"

namespace crosswalk::vm {

struct JsonWriteOptions {
  // Two-space indentation, "key": value, one member or item per line (like JSON.stringify(v, null, 2)).
  bool pretty = false;
  // Skip empty values as described above. Off: only kAbsent is skipped.
  bool fhir_absent_rules = true;
  // Maximum bytes this call may append; exceeding it is kLimitExceeded ("output too large"), and what was
  // appended is removed. Checked as containers close, so a write may overshoot by one scalar before failing.
  size_t max_output_bytes = SIZE_MAX;
  // Work bound: each array or object written counts 1 + its number of items or members, and the write
  // fails with kLimitExceeded when the count reaches max_work. A value that shares its parts
  // ({a: x, b: x} nested 40 times, x reading as empty) is written along every path, and with the absent-
  // value rules rolling back the empty parts the output never grows: only this bounds it. The VM passes
  // what is left of RunLimits::max_instructions.
  uint64_t max_work = UINT64_MAX;
  // Thread CPU-time deadline (common/cpu_clock.h), 0 = none; read every 65,536 units of work.
  int64_t cpu_deadline_ns = 0;
  // Strings already in JSON form: a buffer of `"text"` items, each text needing no escape (no '"', '\\'
  // or byte below 0x20; valid UTF-8). A string or key that is exactly one such text (it lies in the buffer
  // between two quotes) is copied with its quotes in one memcpy instead of being scanned. The VM passes
  // its program's string constants (object keys and constant values), quoted once at load.
  std::string_view quoted = {};
};

// Appends `"s"` for each string of `strings` that needs no JSON escaping to *buffer (reserved first, so
// that views stay valid) and returns, for each string, a view of its text inside *buffer, or the string
// itself when it needs escaping. For JsonWriteOptions::quoted.
std::vector<std::string_view> QuoteConstants(const std::vector<std::string_view>& strings, std::string* buffer);

// Appends the JSON text of `v` to *out. When the whole value is empty under the rules (or absent), nothing
// is appended and *written (if given) is false.
// Errors: kInvalidArgument for values that have no JSON form (an HL7 v2 group), kLimitExceeded for
// max_output_bytes, max_work and cpu_deadline_ns. On error *out is restored to its size at entry.
Status WriteJson(const ValueEnv& env, const Value& v, std::string* out, const JsonWriteOptions& options = {},
                 bool* written = nullptr);

// Appends `s` as a JSON string literal (quotes included).
void AppendJsonString(std::string_view s, std::string* out);

// String form used by string building and output of scalars: strings as they are, integers and decimals
// as written (1.50 stays "1.50"), true/false, kV2 decoded. Absent and null give "". Arrays and objects
// give their compact JSON. Returns a view valid for the run. (Here rather than in value/: it writes JSON,
// and value/ does not depend on json/.)
std::string_view ToString(const ValueEnv& env, const Value& v);

}  // namespace crosswalk::vm
