// Built-in function ids, names and arity ranges generated from builtins.def. Used by the verifier
// (CALLB's AUX and C operands) and the disassembler. Not installed for integrators.
#pragma once

#include <cstdint>
#include <string_view>

namespace crosswalk::bytecode {

enum class BuiltinId : uint8_t {
#define CW_BUILTIN(id, name, min, max) id,
#include "bytecode/builtins.def"
#undef CW_BUILTIN
  kCount_
};

inline constexpr uint32_t kBuiltinCount = static_cast<uint32_t>(BuiltinId::kCount_);

struct BuiltinInfo {
  std::string_view name;
  uint32_t min_args;
  uint32_t max_args;
};

inline constexpr BuiltinInfo kBuiltinInfo[] = {
#define CW_BUILTIN(id, name, min, max) {name, min, max},
#include "bytecode/builtins.def"
#undef CW_BUILTIN
};
static_assert(sizeof(kBuiltinInfo) / sizeof(kBuiltinInfo[0]) == kBuiltinCount);

}  // namespace crosswalk::bytecode
