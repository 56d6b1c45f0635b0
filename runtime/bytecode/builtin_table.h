// Built-in function ids, names, arity ranges, result types and collection arguments, and the intrinsics
// (calls with an instruction of their own) with their argument kinds, generated from builtins.def. Used by
// the verifier (CALLB's AUX and C operands), the disassembler and the compiler's checker. Not installed for
// integrators.
#pragma once

#include <cstdint>
#include <string_view>

namespace crosswalk::bytecode {

enum class BuiltinId : uint8_t {
#define CW_BUILTIN(id, name, min, max, result, iterable) id,
#include "bytecode/builtins.def"
#undef CW_BUILTIN
  kCount_
};

inline constexpr uint32_t kBuiltinCount = static_cast<uint32_t>(BuiltinId::kCount_);

// What the compiler may assume of a builtin's result (builtins.def, RESULT).
enum class BuiltinResult : uint8_t { kAny, kBool, kNumber, kArray, kObject, kSegments };

struct BuiltinInfo {
  std::string_view name;
  uint32_t min_args;
  uint32_t max_args;
  BuiltinResult result;
  uint32_t iterable_args;  // bit i: argument i is read as a collection (builtins.def, ITER)
};

inline constexpr BuiltinInfo kBuiltinInfo[] = {
#define CW_BUILTIN(id, name, min, max, result, iterable) {name, min, max, BuiltinResult::k##result, iterable},
#include "bytecode/builtins.def"
#undef CW_BUILTIN
};
static_assert(sizeof(kBuiltinInfo) / sizeof(kBuiltinInfo[0]) == kBuiltinCount);

// Intrinsics (builtins.def, CW_INTRINSIC): calls the compiler turns into their own instruction.
enum class IntrinsicId : uint8_t {
#define CW_BUILTIN(id, name, min, max, result, iterable)
#define CW_INTRINSIC(id, name, min, max, result, args, usage) id,
#include "bytecode/builtins.def"
#undef CW_INTRINSIC
#undef CW_BUILTIN
  kCount_
};

inline constexpr uint32_t kIntrinsicCount = static_cast<uint32_t>(IntrinsicId::kCount_);

struct IntrinsicInfo {
  std::string_view name;
  uint32_t min_args;
  uint32_t max_args;
  BuiltinResult result;
  std::string_view args;   // one kind letter per argument (builtins.def, ARGS)
  std::string_view usage;  // "2 or 3 arguments (code, concept map URL, [policy])"
};

inline constexpr IntrinsicInfo kIntrinsicInfo[] = {
#define CW_BUILTIN(id, name, min, max, result, iterable)
#define CW_INTRINSIC(id, name, min, max, result, args, usage) {name, min, max, BuiltinResult::k##result, args, usage},
#include "bytecode/builtins.def"
#undef CW_INTRINSIC
#undef CW_BUILTIN
};
static_assert(sizeof(kIntrinsicInfo) / sizeof(kIntrinsicInfo[0]) == kIntrinsicCount);

}  // namespace crosswalk::bytecode
