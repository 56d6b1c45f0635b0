// Signatures and one-line descriptions of the calls the language provides, for editors (hover and
// completion). The arity the compiler checks lives in runtime/bytecode/builtins.def (and, for the
// terminology calls and `direct`, in lowering); a test keeps this table in step with both. A built-in that
// this table does not describe is still offered, with the arity builtins.def gives it.
#pragma once

#include <string_view>

namespace crosswalk::compiler {

struct BuiltinDoc {
  std::string_view name;
  std::string_view signature;  // "substring(s, start[, length])"
  std::string_view doc;        // one line
};

inline constexpr BuiltinDoc kBuiltinDocs[] = {
    {"trim", "trim(s)", "Leading and trailing white space removed."},
    {"upper", "upper(s)", "ASCII upper case."},
    {"lower", "lower(s)", "ASCII lower case."},
    {"substring", "substring(s, start[, length])", "Substring from `start` (0-based, in bytes), clamped to the text."},
    {"split", "split(s, sep)", "An array of the parts of `s` between each `sep` (empty parts kept as \"\")."},
    {"join", "join(array[, sep])", "The items joined by `sep` (default \"\"), empty items skipped."},
    {"replace", "replace(s, from, to)", "Every occurrence of `from` replaced by `to`."},
    {"starts_with", "starts_with(s, prefix)", "Whether `s` starts with `prefix` (a boolean)."},
    {"ends_with", "ends_with(s, suffix)", "Whether `s` ends with `suffix` (a boolean)."},
    {"contains", "contains(s|array, x)", "Whether the string contains the substring, or the array the value."},
    {"length", "length(s|array)", "The length of a string in bytes or the size of an array; absent gives 0."},
    {"pad_left", "pad_left(s, width, char)", "`s` padded on the left with `char` to `width`."},
    {"decimal", "decimal(s)", "The number written in `s`, exact, scale kept (`\"12.50\"` stays 12.50); not a number gives absent."},
    {"integer", "integer(s)", "The integer written in `s`; not an integer gives absent."},
    {"is_number", "is_number(s)", "Whether the trimmed text is a number (`-?digits(.digits)?`)."},
    {"round", "round(x[, digits])", "Rounded half away from zero to `digits` decimals (default 0)."},
    {"abs", "abs(x)", "The absolute value."},
    {"string", "string(x)", "The string form of a value."},
    {"date", "date(ts)", "HL7 v2 TS/DTM to a FHIR date at the source's precision (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`); invalid gives absent."},
    {"datetime", "datetime(ts)", "HL7 v2 TS/DTM to a FHIR dateTime at the source's precision, zone kept (`+0530` becomes `+05:30`)."},
    {"instant", "instant(ts)", "HL7 v2 DTM with seconds and a zone to a FHIR instant; otherwise absent."},
    {"hl7_dtm", "hl7_dtm(fhir)", "A FHIR date, dateTime or instant to an HL7 v2 DTM (`YYYYMMDDHHMMSS[.S][+ZZZZ]`)."},
    {"count", "count(x)", "The size of an array, the repetitions of an HL7 v2 field or the segments read; absent gives 0."},
    {"first", "first(x)", "The first item of an array, or the value itself."},
    {"last", "last(x)", "The last item of an array, or the value itself."},
    {"exists", "exists(x)", "Whether `x` is not empty (a boolean, never absent)."},
    {"is_null", "is_null(x)", "Whether `x` is null or the HL7 v2 explicit null `\"\"`."},
    {"coalesce", "coalesce(a[, b, ...])", "The first argument that is not empty (as `a ?? b ?? ...`)."},
    {"distinct", "distinct(array)", "The array with duplicates removed (the first of each kept)."},
    {"uuid5", "uuid5(namespace, name)", "A deterministic UUID v5 (RFC 4122, SHA-1) of `name` in `namespace`."},
    {"sha256", "sha256(s)", "The lower-case hex SHA-256 of the string form."},
    {"now", "now()", "The run's timestamp given by the host (a FHIR instant), never the clock; absent when unset."},
    {"var", "var(name)", "A run variable set by the host (RunOptions::variables)."},
    {"base64", "base64(s)", "Standard base64 (RFC 4648, padded) of the string's UTF-8 bytes."},
    {"translate", "translate(code, \"conceptmap-url\"[, policy | { options }])",
     "The target code of `code` in the ConceptMap; unmapped codes follow the policy: \"absent\" (default), \"keep\", \"warn\" or \"error\"."},
    {"translate_coding", "translate_coding(code, \"conceptmap-url\"[, policy | { options }])",
     "As `translate`, giving `{ system, code, display }` of the target."},
    {"lookup", "lookup(code, \"system-url\"[, name | { language }])",
     "The display of a code in a code system, or the value of its property or designation `name`; with "
     "`{ language: \"de\" }`, the display in that language (R4 $lookup displayLanguage), else the display."},
    {"member", "member(code, \"valueset-url\"[, system])", "Whether the code is in the value set (a boolean)."},
    {"subsumes", "subsumes(a, b, \"system-url\")",
     "R4 `$subsumes`: \"equivalent\", \"subsumes\", \"subsumed-by\" or \"not-subsumed\"."},
    {"direct", "direct(SEGMENT)", "Only the segments the message (or group) holds itself, not those of its child groups."},
};

}  // namespace crosswalk::compiler
