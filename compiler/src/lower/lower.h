// Lowering: checked AST → bytecode Program. Name resolution, arity and path checks happen here, in the
// same walk that emits code (as in Lua's and Wren's single-pass compilers); every error is reported and
// lowering goes on, so one run reports all it can.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "bytecode/program.h"
#include "diag/sink.h"

namespace crosswalk::compiler {

struct ModuleUnit {
  Module module;
  std::string path;                  // file path, for messages
  std::vector<int> imports;          // indices of imported units (resolved by the driver)
  std::vector<std::string> aliases;  // per import: alias (or last path part) for qualified calls
  bool root = false;                 // maps of root units become entry points
};

struct LowerOptions {
  bool fold_constants = true;               // CompileOptions::fold_constants
  uint64_t max_constant_bytes = 1u << 20;   // CompileOptions::max_constant_bytes
  uint64_t max_constant_pool_bytes = 16u << 20;  // CompileOptions::max_constant_pool_bytes
  bool warn_undeclared_z_segments = true;   // CompileOptions::warn_undeclared_z_segments
};

// Lowers every function and map of `units` into `program`, folding constants first unless
// `options.fold_constants` is false. Returns false when errors were reported.
bool Lower(std::vector<ModuleUnit>& units, const std::vector<std::string>& files, const LowerOptions& options,
           DiagnosticSink& sink, bytecode::Program* program);

}  // namespace crosswalk::compiler
