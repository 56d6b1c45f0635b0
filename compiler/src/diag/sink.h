// DiagnosticSink: collects the diagnostics of one compilation, up to a cap.
#pragma once

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
  void SuppressFrom(SourceLocation from) { suppress_.push_back(from); }

  bool has_errors() const { return errors_ > 0; }
  // True once the cap is reached; passes may stop early.
  bool full() const { return errors_ >= max_errors_; }
  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }

 private:
  void Add(Severity severity, SourceLocation loc, DiagCode code, std::string message) {
    for (const SourceLocation& s : suppress_) {
      if (loc.file == s.file && loc.line != 0 && (loc.line > s.line || (loc.line == s.line && loc.col >= s.col))) {
        return;
      }
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
  std::vector<SourceLocation> suppress_;
};

}  // namespace crosswalk::compiler
