// The parse adapter: the ONLY code that touches ANTLR-generated classes. Source text in, AST out.
// Never throws: syntax errors become diagnostics; anything unexpected from ANTLR becomes an internal
// diagnostic (E0000).
#pragma once

#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>

#include "ast/ast.h"
#include "diag/sink.h"

namespace crosswalk::compiler {

struct ParseOptions {
  uint32_t max_nesting = 600;  // parse levels (expressions, blocks, statements); deeper is error E0003
};

// Parses `text` (file index `file` for locations) into `out`. Returns false when there were syntax
// errors (they are in `sink`); `out` then holds what could be recovered.
bool ParseModule(uint32_t file, const std::string& text, const ParseOptions& options, AstArena& arena,
                 DiagnosticSink& sink, Module* out);

// Length of the UTF-8 sequence starting at s[i] (strict RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF), or 0 when it is not valid. Requires i < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

}  // namespace crosswalk::compiler
