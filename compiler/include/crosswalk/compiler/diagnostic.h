// Diagnostics: the map author's mistakes, collected (never thrown) and reported all at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace crosswalk::compiler {

struct SourceLocation {
  uint32_t file = 0;  // index into the compilation's file list
  uint32_t line = 0;  // 1-based; 0 = unknown
  uint32_t col = 0;   // 1-based, in bytes
};

enum class Severity : uint8_t { kError, kWarning, kNote };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation loc;
  std::string code;     // stable short code, e.g. "E0201" (see docs/language.md, "Diagnostics")
  std::string message;  // one line, no trailing period
};

}  // namespace crosswalk::compiler
