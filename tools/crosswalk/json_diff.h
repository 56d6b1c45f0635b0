// Differences between two JSON documents, compared as values: what `crosswalk test` prints when an output
// is not the expected one.
//
//   objects   compared by key, in any order: a key only in `expected` is "missing", a key only in `actual`
//             is "unexpected";
//   arrays    compared item by item, in order; extra items are "missing" / "unexpected";
//   numbers   compared exactly as written (1.50 and 1.5 differ: FHIR keeps a decimal's precision);
//   strings   bytewise; null, true, false as such; a number and a string never equal.
//
// Each difference names its path in the document, `$.entry[0].resource.gender` (keys that are not
// identifiers as `$["value[x]"]`), with both values as compact JSON (cut to kMaxShownBytes).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "value/value.h"

namespace crosswalk::cli {

struct JsonDifference {
  std::string path;      // "$.entry[0].resource.gender"
  std::string expected;  // compact JSON; empty when the value is missing from `expected`
  std::string actual;    // compact JSON; empty when the value is missing from `actual`
};

// Longest value shown in a difference, in bytes, before it is cut with "...".
inline constexpr size_t kMaxShownBytes = 120;

// Appends to *out the differences between two parsed documents (vm::JsonReader values: no kV2), in
// document order of `expected` then of `actual`, at most `max` of them; returns how many there are in all.
size_t DiffJson(const vm::Value& expected, const vm::Value& actual, size_t max, std::vector<JsonDifference>* out);

// One difference as a line: `$.a.b: expected "x", got "y"`, `$.a.c: missing (expected 1)`,
// `$.a.d: unexpected "z"`.
std::string DescribeDifference(const JsonDifference& d);

}  // namespace crosswalk::cli
