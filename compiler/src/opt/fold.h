// Constant folding (an AST pass run before lowering). Reports certain type errors (E0301, E0302).
#pragma once

#include "ast/ast.h"
#include "diag/sink.h"

namespace crosswalk::compiler {

// With rewrite = false (CompileOptions::fold_constants off) nothing is rewritten; the errors are still
// reported.
void FoldConstants(Block* block, DiagnosticSink& sink, bool rewrite = true);
void FoldConstants(Expr* expr, DiagnosticSink& sink, bool rewrite = true);

}  // namespace crosswalk::compiler
