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
  // Deepest nesting accepted, in levels (default 600); deeper is an error E0003 at the first token past the
  // limit. Each expression, block and statement is a level, so a nested object literal costs 3 levels, an
  // `if` block 2, an `else if` 1 more and a parenthesis 1: the default admits 200 nested objects. Each
  // operator of a left-associative chain is a level too (`a + b + c` is as deep as `(a + b) + c`; the
  // same for `and`, `or`, `.name`, `.1` and `[i]` chains), since the syntax tree is that deep. It bounds
  // the stack of the parser and of every pass that walks the tree, not style.
  uint32_t max_nesting = 600;
  // Largest string constant folding may build, in bytes (default 1 MiB): `const b = "${a}${a}"` doubles a
  // string per line. Larger is an error E0404 at the template.
  uint64_t max_constant_bytes = 1u << 20;
  // Most bytes of string constants (default 16 MiB), counted twice over: the strings folding builds or
  // copies in one compilation (each use of a string constant inside another constant's value is a copy),
  // and the strings of the program's constant pool. More is an error E0405, reported once.
  uint64_t max_constant_pool_bytes = 16u << 20;
  // Most diagnostics reported before the compiler stops (default 100).
  uint32_t max_errors = 100;
  // Run constant folding (default on).
  bool fold_constants = true;
  // Run the peephole pass over the emitted bytecode (default on): jump threading, inverted branches, jumps
  // to the next instruction, self moves and unreachable code removed, adjacent pairs fused into the format-6
  // instructions (compiler/src/opt/peephole.h).
  bool peephole = true;
  // Warn (W0002) where a map reads a Z-segment that no `segment` declaration of the program declares
  // (default on): a misspelt segment id reads nothing. Off for maps that use undeclared Z-segments on purpose.
  bool warn_undeclared_z_segments = true;
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
// The same for diagnostics whose locations index `files`.
std::string FormatDiagnostics(const std::vector<Diagnostic>& diagnostics, const std::vector<SourceFileInfo>& files);

struct FormatResult {
  std::optional<std::string> formatted;  // the canonical text, when the source parses
  std::vector<Diagnostic> diagnostics;   // its syntax errors otherwise
  std::vector<SourceFileInfo> files;     // the one file, for FormatDiagnostics
  bool ok() const { return formatted.has_value(); }
};

// The canonical layout of one source file (`crosswalk fmt`; the rules are in docs/language.md, "Layout").
// Only white space changes: the result has the same tokens and the same comments, checked before it is
// returned, and formatting it again gives it unchanged. A file that does not parse is not formatted.
// Imports are not followed. Never throws.
FormatResult FormatSource(const std::string& path, const std::string& text, const CompileOptions& options = {});

}  // namespace crosswalk::compiler
