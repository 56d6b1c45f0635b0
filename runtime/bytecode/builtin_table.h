// Built-in function ids, names, arity ranges, result types and collection arguments generated from
// builtins.def. Used by the verifier (CALLB's AUX and C operands), the disassembler and the compiler's
// checks. Not installed for integrators.
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
enum class BuiltinResult : uint8_t { kAny, kBool, kNumber, kArray };

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

}  // namespace crosswalk::bytecode
