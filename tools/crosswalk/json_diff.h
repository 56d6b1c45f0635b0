// Differences between two JSON documents, compared as values: what `crosswalk test` prints when an output
// is not the expected one.
//
//   objects   compared by key, in any order: a key only in `expected` is "missing", a key only in `actual`
//             is "unexpected";
//   arrays    compared item by item, in order; extra items are "missing" / "unexpected";
//   numbers   compared exactly as written (1.50 and 1.5 differ: FHIR keeps a decimal's precision; an
//             integer and a decimal never equal);
//   strings   bytewise; null, true, false as such; a number and a string never equal.
//
// Each difference names its path in the document, `$.entry[0].resource.gender` (keys that are not
// identifiers as `$["value[x]"]`), with both values as compact JSON (cut to kMaxShownBytes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crosswalk::cli {

// One JSON value as the document wrote it (the tool's own tree: numbers keep their text).
struct JsonNode {
  enum class Kind : unsigned char { kNull, kBool, kInteger, kDecimal, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // a string's value, or a number as written (integers as their decimal digits)
  std::vector<JsonNode> items;
  std::vector<std::pair<std::string, JsonNode>> members;  // in document order
};

// Deepest nesting of arrays and objects ParseJson accepts.
inline constexpr size_t kMaxJsonDepth = 512;

// Parses `text` as one JSON document (RFC 8259, nothing after it but blanks). On error returns false and
// sets *error to "byte N: what" (no content of the document).
bool ParseJson(std::string_view text, JsonNode* out, std::string* error);

struct JsonDifference {
  std::string path;      // "$.entry[0].resource.gender"
  std::string expected;  // compact JSON; empty when the value is missing from `expected`
  std::string actual;    // compact JSON; empty when the value is missing from `actual`
};

// Longest value shown in a difference, in bytes, before it is cut with "...".
inline constexpr size_t kMaxShownBytes = 120;

// Appends to *out the differences between two parsed documents, in document order of `expected` then of
// `actual`, at most `max` of them; returns how many there are in all.
size_t DiffJson(const JsonNode& expected, const JsonNode& actual, size_t max, std::vector<JsonDifference>* out);

// One difference as a line: `$.a.b: expected "x", got "y"`, `$.a.c: missing (expected 1)`,
// `$.a.d: unexpected "z"`.
std::string DescribeDifference(const JsonDifference& d);

}  // namespace crosswalk::cli
