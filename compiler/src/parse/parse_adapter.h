// The parse adapter: the ONLY code that touches ANTLR-generated classes. Source text in, AST out.
// Never throws: syntax errors become diagnostics; anything unexpected from ANTLR becomes an internal
// diagnostic (E0000).
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace crosswalk::compiler
