// Diagnostic codes: an enum generated from the one catalogue, codes.def.
#pragma once

#include <cstdint>
#include <string_view>

namespace crosswalk::compiler {

enum class DiagCode : uint16_t {
#define CW_DIAGNOSTIC(code, summary) code,
#include "diag/codes.def"
#undef CW_DIAGNOSTIC
};

struct DiagCodeInfo {
  std::string_view code;     // "E0302"
  std::string_view summary;  // "a loop over a value that is not an array"
};

// Every code of the catalogue, in order.
inline constexpr DiagCodeInfo kDiagCodes[] = {
#define CW_DIAGNOSTIC(code, summary) {#code, summary},
#include "diag/codes.def"
#undef CW_DIAGNOSTIC
};

constexpr std::string_view DiagCodeName(DiagCode c) { return kDiagCodes[static_cast<uint16_t>(c)].code; }

}  // namespace crosswalk::compiler
