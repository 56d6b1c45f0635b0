// DiagnosticSink: collects the diagnostics of one compilation, up to a cap.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "crosswalk/compiler/diagnostic.h"

namespace crosswalk::compiler {

class DiagnosticSink {
 public:
  explicit DiagnosticSink(size_t max_errors = 100) : max_errors_(max_errors) {}

  void Error(SourceLocation loc, std::string code, std::string message) {
    Add(Severity::kError, loc, std::move(code), std::move(message));
  }
  void Warning(SourceLocation loc, std::string code, std::string message) {
    Add(Severity::kWarning, loc, std::move(code), std::move(message));
  }

  bool has_errors() const { return errors_ > 0; }
  // True once the cap is reached; passes may stop early.
  bool full() const { return errors_ >= max_errors_; }
  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }

 private:
  void Add(Severity severity, SourceLocation loc, std::string code, std::string message) {
    if (severity == Severity::kError) {
      if (errors_ >= max_errors_) return;
      ++errors_;
    }
    diagnostics_.push_back({severity, loc, std::move(code), std::move(message)});
  }

  size_t max_errors_;
  size_t errors_ = 0;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace crosswalk::compiler
