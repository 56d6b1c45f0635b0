// The Crosswalk compiler: map source files in, a verified program (.cwb bytes) out.
//
//   CompileOptions opts; opts.include_dirs = {"maps"};
//   CompileResult r = Compile({"maps/adt.cw"}, opts);
//   if (!r.ok()) std::cerr << FormatDiagnostics(r);   // file:line:col: error: ... + source line + caret
//
// Never throws. Thread-compatible: distinct calls may run on distinct threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crosswalk/compiler/diagnostic.h"

namespace crosswalk::compiler {

struct CompileOptions {
  // Folders searched, in order, for `import a.b` (as a/b.cw) after the importing file's own folder.
  std::vector<std::string> include_dirs;
  // Largest source file accepted, in bytes (default 4 MiB); larger files are an error E0002.
  uint64_t max_source_bytes = 4u << 20;
  // Deepest nesting accepted, in parse levels (default 600); deeper is an error E0003. Each expression,
  // block and statement is a level, so a nested object literal costs 3 levels, an `if` block 2 and a
  // parenthesis 1: the default admits 200 nested objects. It bounds the parser's stack, not style.
  uint32_t max_nesting = 600;
  // Most diagnostics reported before the compiler stops (default 100).
  uint32_t max_errors = 100;
  // Run constant folding (default on).
  bool fold_constants = true;
};

struct SourceFileInfo {
  std::string path;
  std::string text;
};

struct CompileResult {
  std::optional<std::string> bytecode;   // the .cwb bytes, when there were no errors
  std::vector<Diagnostic> diagnostics;   // errors and warnings, in source order per file
  std::vector<SourceFileInfo> files;     // every file read (roots and imports), indexed by SourceLocation::file
  bool ok() const { return bytecode.has_value(); }
};

// Compiles the given root files (and what they import) into one program. Each `map` of the root files
// becomes an entry point; the runtime picks the entry by the input's message type.
CompileResult Compile(const std::vector<std::string>& root_files, const CompileOptions& options = {});

// Compiles source text held in memory (tests, tools). `path` is used in diagnostics and to resolve imports.
CompileResult CompileSource(const std::string& path, const std::string& text, const CompileOptions& options = {});

// Renders diagnostics as `file:line:col: error: message [E0201]`, the source line and a caret.
std::string FormatDiagnostics(const CompileResult& result);

}  // namespace crosswalk::compiler
