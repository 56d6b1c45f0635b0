// DiagnosticSink: collects the diagnostics of one compilation, up to a cap.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "crosswalk/compiler/diagnostic.h"
#include "diag/codes.h"

namespace crosswalk::compiler {

class DiagnosticSink {
 public:
  explicit DiagnosticSink(size_t max_errors = 100) : max_errors_(max_errors) {}

  void Error(SourceLocation loc, DiagCode code, std::string message) {
    Add(Severity::kError, loc, code, std::move(message));
  }
  void Warning(SourceLocation loc, DiagCode code, std::string message) {
    Add(Severity::kWarning, loc, code, std::move(message));
  }

  // Drops every later diagnostic of `from.file` at or after `from` (line, then column). For a syntax error
  // that leaves the rest of the file unreliable (an unclosed bracket): what follows it would be noise.
  void SuppressFrom(SourceLocation from) { SuppressBetween(from, {from.file, UINT32_MAX, UINT32_MAX}); }
  // The same for the later diagnostics of `from.file` in [from, to): the text between an unclosed bracket
  // and the declaration where the parser picked up again.
  void SuppressBetween(SourceLocation from, SourceLocation to) { suppress_.push_back({from, to}); }

  bool has_errors() const { return errors_ > 0; }
  // True once the cap is reached; passes may stop early.
  bool full() const { return errors_ >= max_errors_; }
  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }

 private:
  void Add(Severity severity, SourceLocation loc, DiagCode code, std::string message) {
    auto before = [](SourceLocation a, SourceLocation b) { return a.line < b.line || (a.line == b.line && a.col < b.col); };
    for (const auto& [from, to] : suppress_) {
      if (loc.file == from.file && loc.line != 0 && !before(loc, from) && before(loc, to)) return;
    }
    if (severity == Severity::kError) {
      if (errors_ >= max_errors_) return;
      ++errors_;
    }
    diagnostics_.push_back({severity, loc, std::string(DiagCodeName(code)), std::move(message)});
  }

  size_t max_errors_;
  size_t errors_ = 0;
  std::vector<Diagnostic> diagnostics_;
  std::vector<std::pair<SourceLocation, SourceLocation>> suppress_;  // [from, to)
};

}  // namespace crosswalk::compiler
