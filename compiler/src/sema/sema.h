// Sema: the checker between parse and lower. It resolves every name of a program (parameters, `let` and
// loop variables, module constants, functions across imports, built-ins and intrinsics from
// runtime/bytecode/builtins.def, HL7 v2 segments and groups against the v2.5.1 schema and the program's
// `segment` declarations, the input), computes each expression's static type, runs every check and
// annotates the AST (Expr::ref/slot/type/constant/bound/imm, Stmt::slot) so that lowering only reads the
// annotations and emits. The FHIR R4 element checks (fhir_check.h) run first, on the tree as parsed.
//
// Every diagnostic of a map comes from here, except the limits of the program format (registers, jump
// distance, constant pool: E0401-E0403, E0405), which lowering meets while it emits. Constant folding
// (opt/fold.h) runs inside sema, per constant and per function before its checks, because folding reports
// certain type errors (E0301, E0305) and its size limits (E0404, E0405).
//
// The walk visits each function in the order lowering emits it and each expression in evaluation order,
// so a diagnostic reported once (W0002, per Z-segment) names the first place lowering would reach.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "diag/sink.h"

namespace crosswalk::compiler {

struct SemaOptions {
  bool fold_constants = true;                    // CompileOptions::fold_constants
  uint64_t max_constant_bytes = 1u << 20;        // CompileOptions::max_constant_bytes
  uint64_t max_constant_pool_bytes = 16u << 20;  // CompileOptions::max_constant_pool_bytes
  bool warn_undeclared_z_segments = true;        // CompileOptions::warn_undeclared_z_segments
};

// One function of the program: a def of any unit or a map of a root unit. Its index in
// CheckedProgram::functions is its bytecode function index (Ref::kFunction's slot).
struct CheckedFunction {
  const DefDecl* def = nullptr;
  const MapDecl* map = nullptr;
  int unit = 0;
};

struct CheckedProgram {
  std::vector<CheckedFunction> functions;
};

// Checks and annotates every module of `units` (constants are folded in place) and lists the program's
// functions. Returns false when errors were reported; the annotations are then incomplete and the program
// must not be lowered.
bool Check(std::vector<ModuleUnit>& units, const SemaOptions& options, DiagnosticSink& sink, CheckedProgram* out);

// An HL7 v2 path as written: `PID-3[2].4.1` is field PID-3, repetition 2, components 4 and 1. A path whose
// parts are all constant becomes one V2FIELD; `field` is null when the chain does not start at a field
// with a constant repetition (lowering then uses the generic instructions).
struct V2PathParts {
  Expr* base = nullptr;         // the node below the components (`PID-3[2]`)
  Expr* field = nullptr;        // the kField when base is one or a constant repetition of one, else null
  int64_t rep = 0;              // the constant repetition, 0 = not given
  std::vector<int64_t> comps;   // component numbers, innermost first
};
V2PathParts SplitV2Path(Expr* e);

// The language value of a lookup options object `{ language: value }` (sema checked it has exactly that
// field).
inline Expr* LookupLanguage(const Expr* options) { return options->block->stmts[0]->value; }

}  // namespace crosswalk::compiler
