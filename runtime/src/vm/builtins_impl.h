// Internal to the builtins: one function per builtins.def entry (Builtin_<ID>) and shared helpers.
#pragma once

#include <string_view>

#include "value/arena.h"
#include "vm/builtins.h"

namespace crosswalk::vm::builtins {

#define CW_BUILTIN(id, name, min, max, result, iterable) bool Builtin_##id(BuiltinEnv& env, const Value* args, int nargs, Value* out);
#include "bytecode/builtins.def"
#undef CW_BUILTIN

// Sets env.error to "<fn>: <what>" and returns false.
bool Fail(BuiltinEnv& env, std::string_view fn, std::string_view what);

// The dereferenced argument i.
inline Value Arg(const BuiltinEnv& env, const Value* args, int i) { return Deref(env.value, args[i]); }

// True for absent, null, "", an empty array or object (after Deref).
inline bool EmptyValue(const BuiltinEnv& env, const Value& v) { return IsEmpty(env.value, v); }

// The string form of a scalar argument (already dereferenced). Arrays, objects and groups are an error.
// A string (the usual case) is answered inline; the rest goes through StringArgSlow.
bool StringArgSlow(BuiltinEnv& env, std::string_view fn, const Value& v, std::string_view* s);
inline bool StringArg(BuiltinEnv& env, std::string_view fn, const Value& v, std::string_view* s) {
  if (v.kind == ValueKind::kString) {
    *s = v.string();
    return true;
  }
  return StringArgSlow(env, fn, v, s);
}

// An integer argument (kInt, or a decimal with a zero fraction). Error otherwise. kInt is answered inline.
bool IntArgSlow(BuiltinEnv& env, std::string_view fn, std::string_view what, const Value& v, int64_t* i);
inline bool IntArg(BuiltinEnv& env, std::string_view fn, std::string_view what, const Value& v, int64_t* i) {
  if (v.kind == ValueKind::kInt) {
    *i = v.i;
    return true;
  }
  return IntArgSlow(env, fn, what, v, i);
}

// Charges `units` of work to the run (see BuiltinEnv::work_left). False, with env.error and
// env.limit_exceeded set, when the instruction budget or the CPU-time limit is exhausted.
bool ChargeSlow(BuiltinEnv& env, std::string_view fn, uint64_t units);
inline bool Charge(BuiltinEnv& env, std::string_view fn, uint64_t units) {
  if (units < env.work_left && env.units_since_clock + units < kCpuCheckUnits) {
    env.work_left -= units;
    env.units_since_clock += units;
    return true;
  }
  return ChargeSlow(env, fn, units);
}
// Units for scanning n bytes of text.
inline uint64_t TextUnits(size_t n) { return 1 + n / 64; }

// Position of x in s at or after `from`, or npos; linear in |s| + |x| whatever the text (glibc's memmem is
// the two-way algorithm; std::string_view::find is quadratic on inputs such as "aaa...ab").
size_t FindText(std::string_view s, std::string_view x, size_t from = 0);

// Arena storage for n chars.
inline char* AllocChars(BuiltinEnv& env, size_t n) { return static_cast<char*>(env.value.arena->Allocate(n, 1)); }

}  // namespace crosswalk::vm::builtins
