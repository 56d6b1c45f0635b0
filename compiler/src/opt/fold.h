// Constant folding (an AST pass run before lowering). Reports certain type errors (E0301, E0305) and the
// size limits of the strings it builds (E0404, E0405).
#pragma once

#include <cstdint>

#include "ast/ast.h"
#include "diag/sink.h"

namespace crosswalk::compiler {

// What folding may build in one compilation (CompileOptions::max_constant_bytes and
// ::max_constant_pool_bytes). Folding a template of constants doubles a string per step
// (`const b = "${a}${a}"`), so without a bound 40 lines exhaust memory.
class FoldBudget {
 public:
  FoldBudget(uint64_t max_string_bytes, uint64_t max_total_bytes)
      : max_string_bytes_(max_string_bytes), max_total_bytes_(max_total_bytes) {}

  uint64_t max_string_bytes() const { return max_string_bytes_; }
  uint64_t max_total_bytes() const { return max_total_bytes_; }
  // Takes `n` bytes of string built or copied by folding; false (and nothing taken) past the total.
  [[nodiscard]] bool Take(uint64_t n) {
    if (n > max_total_bytes_ - used_) return false;
    used_ += n;
    return true;
  }
  // E0405 is reported once per compilation.
  bool total_reported = false;

 private:
  uint64_t max_string_bytes_;
  uint64_t max_total_bytes_;
  uint64_t used_ = 0;
};

// With rewrite = false (CompileOptions::fold_constants off) nothing is rewritten; the errors are still
// reported.
void FoldConstants(Block* block, DiagnosticSink& sink, FoldBudget& budget, bool rewrite = true);
void FoldConstants(Expr* expr, DiagnosticSink& sink, FoldBudget& budget, bool rewrite = true);

// Reports E0405 (once) at `loc`: the string bytes folding builds exceed the budget.
void ReportFoldBudgetExceeded(SourceLocation loc, DiagnosticSink& sink, FoldBudget& budget);

}  // namespace crosswalk::compiler
