// Constant folding (an AST pass run before lowering). Reports certain type errors (E0301, E0302).
#pragma once

#include "ast/ast.h"
#include "diag/sink.h"

namespace crosswalk::compiler {

void FoldConstants(Block* block, DiagnosticSink& sink);
void FoldConstants(Expr* expr, DiagnosticSink& sink);

}  // namespace crosswalk::compiler
