// Lowering: checked AST → bytecode Program. It reads what sema resolved (sema/sema.h: Expr::ref, slot,
// type, constant, bound, imm; Stmt::slot) and emits: register allocation, jump patching, the constant
// pool, terminology bindings, the debug line table. It runs only on a program sema accepted, and reports
// only the limits of the program format it meets while emitting (E0401 registers, E0402 jump distance,
// E0403 constant count, E0405 constant pool bytes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "bytecode/program.h"
#include "diag/sink.h"
#include "sema/sema.h"

namespace crosswalk::compiler {

struct LowerOptions {
  uint64_t max_constant_pool_bytes = 16u << 20;  // CompileOptions::max_constant_pool_bytes
};

// Lowers every function of `checked` (a program sema accepted) into `program`. Returns false when errors
// were reported.
bool Lower(const CheckedProgram& checked, const std::vector<std::string>& files, const LowerOptions& options,
           DiagnosticSink& sink, bytecode::Program* program);

}  // namespace crosswalk::compiler
