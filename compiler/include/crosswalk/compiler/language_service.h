// Source analysis for editors: what `crosswalk lsp` answers (diagnostics as you type, hover, go to
// definition, completion), as plain functions over a document's text. The language server (tools/crosswalk/
// lsp/) speaks the protocol; this file knows the language.
//
// Every function takes the document's path (used to resolve its imports: the document's folder, then
// `EditorOptions::include_dirs`, then each folder above the document's) and its current text, which may be
// unsaved and need not parse. Imported modules are read from disk. Nothing is cached: each call parses the
// document again (a few milliseconds for a map of a thousand lines).
//
// Positions are 1-based lines and 1-based columns counted in code points, as in `Diagnostic`. Never
// throws. Thread-compatible: distinct calls may run on distinct threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/compiler/diagnostic.h"

namespace crosswalk::compiler {

struct TextPoint {
  uint32_t line = 1;  // 1-based
  uint32_t col = 1;   // 1-based, in code points
};

// [begin, end): `end` is the point after the last character.
struct TextSpan {
  TextPoint begin;
  TextPoint end;
};

struct EditorOptions {
  // Folders searched for `import a.b` after the document's own folder (as CompileOptions::include_dirs).
  std::vector<std::string> include_dirs;
  // Also search each folder above the document's, nearest first (default on): a map in maps/hl7v2/ that
  // imports `hl7v2.datatypes` finds maps/hl7v2/datatypes.cw without configuration.
  bool search_parent_folders = true;
  // Warn about Z-segments read without a `segment` declaration (CompileOptions::warn_undeclared_z_segments).
  bool warn_undeclared_z_segments = true;
};

// A diagnostic of the document, with the span of the token it points at (one character when it points at
// none, an empty span at the end of a line).
struct SpannedDiagnostic {
  Diagnostic diagnostic;
  TextSpan span;
};

// Compiles the document as `crosswalk check` would, with its imports. Returns the diagnostics that belong
// to the document itself, in source order; an error inside an imported module is reported once, at the
// `import` line that leads to it ("in imported module 'x.cw': ..."), so that the document shows why it
// does not compile. A document without a `map` is a module: E0200 ("no map declared") is not reported.
std::vector<SpannedDiagnostic> CheckDocument(const std::string& path, const std::string& text,
                                             const EditorOptions& options = {});

struct HoverInfo {
  TextSpan span;         // the word hovered
  std::string markdown;  // what to show
};

// What the word at `at` is, when the language knows:
//   - an HL7 v2 field or component (`PID-5`, `PID-5.1`, `ZPI-2` of a declared Z-segment): its name, datatype,
//     repetition and table;
//   - a field key inside an object the FHIR checker types (a map body `-> fhir "Patient"`, an object with
//     a `resourceType`, an object written into a typed element): the R4 element's path, type and
//     cardinality;
//   - a call: a built-in's signature and what it does, or a user function's signature, its comment and where
//     it is defined (across imports).
std::optional<HoverInfo> Hover(const std::string& path, const std::string& text, TextPoint at,
                               const EditorOptions& options = {});

struct DefinitionTarget {
  std::string path;  // the file, as found (absolute when the document's path is)
  TextSpan span;     // the name of the definition
};

// Where the name at `at` is defined: a user function (`F(...)`, `alias.F(...)`, in the document or a module
// it imports), a constant, a declared Z-segment or its field (`ZPI-2`), or the module an `import` names.
std::optional<DefinitionTarget> Definition(const std::string& path, const std::string& text, TextPoint at,
                                           const EditorOptions& options = {});

enum class CompletionKind : uint8_t { kField, kElement, kFunction, kBuiltin, kConstant, kKeyword, kModule };

struct CompletionItem {
  std::string label;          // what is inserted ("5", "birthDate", "trim")
  CompletionKind kind;
  std::string detail;         // one line: "Patient Name (XPN, repeats)", "date 0..1", "trim(s)"
  std::string documentation;  // markdown, or empty
};

// What may be typed at `at`:
//   - after `PID-`: the segment's fields; after `PID-5.`: the components of the field's datatype;
//   - at the start of a field inside an object the FHIR checker types: the type's elements;
//   - after `alias.`: the functions of that imported module;
//   - elsewhere: built-ins, the functions and constants of the document and its imports, and keywords.
std::vector<CompletionItem> Complete(const std::string& path, const std::string& text, TextPoint at,
                                     const EditorOptions& options = {});

}  // namespace crosswalk::compiler
