// Built-in functions callable from maps (CALLB). The table order, names and arities come from
// runtime/bytecode/builtins.def (via bytecode/builtin_table.h); this file adds the implementations and the
// name lookup used by the compiler.
//
// Calling convention: kBuiltins[id](env, args, nargs, out). The VM has checked nargs against the arity
// range (the verifier did, at load). A builtin returns true with *out set (possibly Absent), or false after
// setting env.error to a short message that names the builtin and kinds, never argument values (no PHI).
// Results live in env.value.arena (or are views of the arguments, the message or the run's strings):
// builtins never allocate on the heap, except the error text on failure.
//
// Shared rules (see builtins.def for each function):
//   - kV2 arguments are read (Deref) first; the main argument empty (absent, null, "", empty array/object,
//     an HL7 node that reads empty or as "") gives absent, except for exists, is_null, count, length,
//     coalesce, now and var;
//   - string functions take strings and the string form of numbers and booleans; an array or object where a
//     string is expected is an error;
//   - number functions (round, abs) take kInt/kDecimal only: text must go through decimal() first.
//
// Dates and times (date, datetime, instant, hl7_dtm) accept HL7 v2 TS/DTM text
// YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ] and FHIR date/dateTime/instant text, validate every part
// (month 1-12, day within the month with leap years, hour 0-23, minute/second 0-59, zone -14:00..+14:00
// with minutes < 60) and give absent when the text is not a valid date. Precision is the source's:
//   date("20240229")            -> "2024-02-29"     date("202402") -> "2024-02"   date("20230229") -> absent
//   datetime("2024022913")      -> "2024-02-29T13:00:00"   (hours only: minutes and seconds padded ":00")
//   datetime("202402291330+0530") -> "2024-02-29T13:30:00+05:30"   (sign kept: "-0000" -> "-00:00")
//   datetime("20240229133005.12-0500") -> "2024-02-29T13:30:05.12-05:00"   (fraction kept as written)
//   datetime("20240229+0500")   -> "2024-02-29"     (no time: FHIR allows no zone on a date)
// A time without a zone: FHIR requires a zone whenever a time is present, and the converters whose outputs
// are in shared/data/expected always emit one, seconds padded, taking the zone from their configuration:
// Google HDH "199907010900" -> "1999-07-01T09:00:00+00:00" (datatypes-pairs dr_period), Microsoft
// FHIR-Converter the host's zone ("...T14:41:00+05:30" in every ADT expected output), ReportStream "Z". So the zone comes from BuiltinEnv::default_zone (the host's
// RunOptions, e.g. "-05:00" for the sending facility, or "Z"); when no default zone is configured the
// time is kept without a zone, as builtins.def says ("2024-02-29T13:30:00"), which FHIR validators reject:
// hosts that emit FHIR should set a default zone.
//   instant(x): needs seconds and a zone (the source's or default_zone), else absent.
//   hl7_dtm(x): "2024-02-29T13:30:05.123+05:30" -> "20240229133005.123+0530"; "Z" -> "+0000"; fractions
//   beyond HL7's 4 digits are truncated (not rounded, which could carry into the seconds).
#pragma once

#include <string>
#include <string_view>

#include "bytecode/builtin_table.h"
#include "value/value.h"

namespace crosswalk::vm {

using bytecode::BuiltinId;
using bytecode::kBuiltinCount;

struct BuiltinEnv {
  ValueEnv value;
  // The run's timestamp as a FHIR instant (RunOptions); empty when unset (now() is then absent).
  std::string_view now;
  // Zone used for HL7 times that carry none: "+HH:MM", "-HH:MM" or "Z"; empty = keep the time without a
  // zone (see above). An invalid value is treated as empty.
  std::string_view default_zone;
  // Host variables for var(name): returns the value, or an empty view when unset. May be null.
  std::string_view (*var)(void* ctx, std::string_view name) = nullptr;
  void* var_ctx = nullptr;
  // Set by a failing builtin: a message without values ("round: digits must be an integer 0..18").
  std::string error;

  // The run's limits, for builtins that loop over a collection or scan a long text (see Charge in
  // builtins_impl.h). A builtin charges one unit per item it visits and one per 64 bytes it scans, against
  // the instruction budget: set work_left to what is left of it before the call; the caller charges
  // what the call used (work_left before - after). When a charge does not fit, or the thread's CPU time
  // passes cpu_deadline_ns (0 = no deadline; checked every kCpuCheckUnits units), the builtin fails with
  // limit_exceeded set and an error naming the limit.
  uint64_t work_left = UINT64_MAX;
  int64_t cpu_deadline_ns = 0;
  uint64_t units_since_clock = 0;
  bool limit_exceeded = false;
};

// Work units between two reads of the CPU clock inside a builtin.
inline constexpr uint64_t kCpuCheckUnits = 65536;

using BuiltinFn = bool (*)(BuiltinEnv& env, const Value* args, int nargs, Value* out);

// Indexed by BuiltinId (builtins.def order); kBuiltinCount entries.
extern const BuiltinFn kBuiltins[];

struct BuiltinInfo {
  std::string_view name;
  int min_args;
  int max_args;
  BuiltinId id;
};

// Indexed by BuiltinId; kBuiltinCount entries.
extern const BuiltinInfo kBuiltinTable[];

// The builtin named `name`, or null. For the compiler (names -> ids) and tools.
const BuiltinInfo* FindBuiltin(std::string_view name);

// Calls builtin `id` (convenience for tests and the VM's slow path).
inline bool CallBuiltin(BuiltinId id, BuiltinEnv& env, const Value* args, int nargs, Value* out) {
  return kBuiltins[static_cast<int>(id)](env, args, nargs, out);
}

}  // namespace crosswalk::vm
