// Constant folding on the AST: operators whose operands are literals are computed at compile time, and
// type errors that are certain (arithmetic on a string literal, ...) are reported here.
#include "opt/fold.h"

#include <cstdint>
#include <string>

namespace crosswalk::compiler {
namespace {

bool IsNumber(const Expr* e) { return e->kind == ExprKind::kInt || e->kind == ExprKind::kDecimal; }
bool IsLiteral(const Expr* e) {
  return IsNumber(e) || e->kind == ExprKind::kString || e->kind == ExprKind::kBool || e->kind == ExprKind::kNull;
}

const char* LiteralTypeName(const Expr* e) {
  switch (e->kind) {
    case ExprKind::kInt:
    case ExprKind::kDecimal: return "number";
    case ExprKind::kString:
    case ExprKind::kTemplate: return "string";
    case ExprKind::kBool: return "boolean";
    case ExprKind::kNull: return "null";
    case ExprKind::kObject: return "object";
    case ExprKind::kArray: return "array";
    default: return "value";
  }
}

// Kinds that can never be numbers: operands of arithmetic with these are an error.
bool NeverNumber(const Expr* e) {
  switch (e->kind) {
    case ExprKind::kString:
    case ExprKind::kTemplate:
    case ExprKind::kBool:
    case ExprKind::kNull:
    case ExprKind::kObject:
    case ExprKind::kArray:
    case ExprKind::kAnd:
    case ExprKind::kOr:
    case ExprKind::kNot:
    case ExprKind::kFor: return true;
    case ExprKind::kBinary: return e->op >= BinOp::kEq;
    default: return false;
  }
}

// Exact decimal as (mantissa, scale); false on overflow.
bool Align(int64_t am, int as, int64_t bm, int bs, int64_t* a, int64_t* b, int* scale) {
  while (as < bs) {
    if (__builtin_mul_overflow(am, 10, &am)) return false;
    ++as;
  }
  while (bs < as) {
    if (__builtin_mul_overflow(bm, 10, &bm)) return false;
    ++bs;
  }
  *a = am;
  *b = bm;
  *scale = as;
  return true;
}

bool Truthy(const Expr* e) {
  switch (e->kind) {
    case ExprKind::kNull: return false;
    case ExprKind::kBool: return e->ival != 0;
    case ExprKind::kString: return !e->text.empty();
    default: return true;
  }
}

class Folder {
 public:
  Folder(DiagnosticSink& sink, FoldBudget& budget, bool rewrite) : sink_(sink), budget_(budget), rewrite_(rewrite) {}

  void FoldBlock(Block* b) {
    if (b == nullptr) return;
    for (Stmt* s : b->stmts) {
      if (s->value) FoldExpr(s->value);
      if (s->cond) FoldExpr(s->cond);
      FoldBlock(s->then_block);
      FoldBlock(s->else_block);
    }
  }

  void FoldExpr(Expr* e) {
    for (Expr* k : e->kids) FoldExpr(k);
    for (MatchArm& arm : e->arms) {
      for (Expr* p : arm.patterns) FoldExpr(p);
      FoldExpr(arm.value);
    }
    if (e->block) FoldBlock(e->block);

    if (!rewrite_) {
      // Folding is off: only the certain type errors are reported.
      if (e->kind == ExprKind::kBinary) FoldBinary(e);
      if (e->kind == ExprKind::kNeg && NeverNumber(e->kids[0])) {
        sink_.Error(e->loc, DiagCode::E0301, std::string("cannot negate a ") + LiteralTypeName(e->kids[0]));
      }
      return;
    }
    switch (e->kind) {
      case ExprKind::kBinary: FoldBinary(e); break;
      case ExprKind::kNeg: {
        Expr* a = e->kids[0];
        if (NeverNumber(a)) {
          sink_.Error(e->loc, DiagCode::E0301, std::string("cannot negate a ") + LiteralTypeName(a));
        } else if (IsNumber(a) && a->ival != INT64_MIN) {
          Replace(e, a);
          e->ival = -e->ival;
        }
        break;
      }
      case ExprKind::kNot:
        if (IsLiteral(e->kids[0])) MakeBool(e, !Truthy(e->kids[0]));
        break;
      case ExprKind::kAnd:
        if (IsLiteral(e->kids[0]) && IsLiteral(e->kids[1])) {
          MakeBool(e, Truthy(e->kids[0]) && Truthy(e->kids[1]));
        }
        break;
      case ExprKind::kOr:
        if (IsLiteral(e->kids[0]) && IsLiteral(e->kids[1])) {
          MakeBool(e, Truthy(e->kids[0]) || Truthy(e->kids[1]));
        }
        break;
      case ExprKind::kCoalesce: {
        Expr* a = e->kids[0];
        if (IsLiteral(a)) {
          bool empty = a->kind == ExprKind::kNull || (a->kind == ExprKind::kString && a->text.empty());
          Replace(e, empty ? e->kids[1] : a);
        }
        break;
      }
      case ExprKind::kCond:
        if (IsLiteral(e->kids[0])) Replace(e, Truthy(e->kids[0]) ? e->kids[1] : e->kids[2]);
        break;
      case ExprKind::kTemplate: {
        bool all = true;
        uint64_t size = 0;
        for (Expr* k : e->kids) {
          all &= k->kind == ExprKind::kString;
          size += k->text.size();
        }
        if (!all) break;
        // Measured before anything is built: a template of constants may double a string per step.
        if (size > budget_.max_string_bytes()) {
          sink_.Error(e->loc, DiagCode::E0404,
                      "this string constant would be " + std::to_string(size) + " bytes, more than the limit of " +
                          std::to_string(budget_.max_string_bytes()) + " (CompileOptions::max_constant_bytes)");
          MakeRecoveredNull(e);
          break;
        }
        if (!budget_.Take(size)) {
          ReportFoldBudgetExceeded(e->loc, sink_, budget_);
          MakeRecoveredNull(e);
          break;
        }
        std::string s;
        s.reserve(size);
        for (Expr* k : e->kids) s += k->text;
        e->kind = ExprKind::kString;
        e->text = std::move(s);
        e->kids.clear();
        break;
      }
      default: break;
    }
  }

 private:
  static void Replace(Expr* e, const Expr* with) {
    SourceLocation loc = e->loc;
    *e = *with;
    e->loc = loc;
  }
  // After a size error: a null that no later pass reports on again.
  static void MakeRecoveredNull(Expr* e) {
    e->kind = ExprKind::kNull;
    e->text.clear();
    e->kids.clear();
    e->recovered = true;
  }
  static void MakeBool(Expr* e, bool v) {
    e->kind = ExprKind::kBool;
    e->ival = v ? 1 : 0;
    e->kids.clear();
  }

  void FoldBinary(Expr* e) {
    Expr* a = e->kids[0];
    Expr* b = e->kids[1];
    bool arithmetic = e->op <= BinOp::kMod;
    bool ordering = e->op >= BinOp::kLt;
    if (a->recovered || b->recovered) return;
    if (arithmetic || ordering) {
      Expr* bad = NeverNumber(a) ? a : NeverNumber(b) ? b : nullptr;
      // Strings may be ordered (dates as text); everything else must be a number.
      if (ordering && bad && (bad->kind == ExprKind::kString || bad->kind == ExprKind::kTemplate)) bad = nullptr;
      if (bad) {
        sink_.Error(e->loc, DiagCode::E0301,
                    std::string(arithmetic ? "arithmetic" : "ordering comparison") + " on a " +
                        LiteralTypeName(bad) + (arithmetic ? " (use decimal() to read a number from text)" : ""));
        return;
      }
    }
    if (!rewrite_) {
      if (arithmetic && (e->op == BinOp::kDiv || e->op == BinOp::kMod) && IsNumber(b) && b->ival == 0) {
        sink_.Error(e->loc, DiagCode::E0305, "division by zero");
      }
      return;
    }
    if (e->op == BinOp::kEq || e->op == BinOp::kNe) {
      if (IsLiteral(a) && IsLiteral(b)) {
        bool eq;
        if (IsNumber(a) && IsNumber(b)) {
          int64_t x = 0, y = 0;
          int s = 0;
          eq = Align(a->ival, a->scale, b->ival, b->scale, &x, &y, &s) && x == y;
        } else {
          eq = a->kind == b->kind && a->text == b->text && a->ival == b->ival;
        }
        MakeBool(e, e->op == BinOp::kEq ? eq : !eq);
      }
      return;
    }
    if (!IsNumber(a) || !IsNumber(b)) return;
    int64_t x = 0, y = 0;
    int scale = 0;
    if (!Align(a->ival, a->scale, b->ival, b->scale, &x, &y, &scale)) return;
    bool dec = a->kind == ExprKind::kDecimal || b->kind == ExprKind::kDecimal;
    int64_t r = 0;
    switch (e->op) {
      case BinOp::kAdd:
        if (__builtin_add_overflow(x, y, &r)) return;
        break;
      case BinOp::kSub:
        if (__builtin_sub_overflow(x, y, &r)) return;
        break;
      case BinOp::kMul:
        // Multiply the unaligned mantissas: scales add.
        if (__builtin_mul_overflow(a->ival, b->ival, &r)) return;
        scale = a->scale + b->scale;
        break;
      case BinOp::kDiv:
      case BinOp::kMod:
        if (y == 0) {
          sink_.Error(e->loc, DiagCode::E0305, "division by zero");
          return;
        }
        if (e->op == BinOp::kMod) {
          r = x % y;
          break;
        }
        return;  // division may not be exact: leave it to the VM's decimal rules
      case BinOp::kLt: MakeBool(e, x < y); return;
      case BinOp::kLe: MakeBool(e, x <= y); return;
      case BinOp::kGt: MakeBool(e, x > y); return;
      case BinOp::kGe: MakeBool(e, x >= y); return;
      default: return;
    }
    e->kind = dec ? ExprKind::kDecimal : ExprKind::kInt;
    e->ival = r;
    e->scale = dec ? static_cast<uint16_t>(scale) : 0;
    e->kids.clear();
  }

  DiagnosticSink& sink_;
  FoldBudget& budget_;
  bool rewrite_;
};

}  // namespace

void FoldConstants(Block* block, DiagnosticSink& sink, FoldBudget& budget, bool rewrite) {
  Folder(sink, budget, rewrite).FoldBlock(block);
}
void FoldConstants(Expr* expr, DiagnosticSink& sink, FoldBudget& budget, bool rewrite) {
  Folder(sink, budget, rewrite).FoldExpr(expr);
}

void ReportFoldBudgetExceeded(SourceLocation loc, DiagnosticSink& sink, FoldBudget& budget) {
  if (budget.total_reported) return;
  budget.total_reported = true;
  sink.Error(loc, DiagCode::E0405,
             "string constants built at compile time exceed the limit of " + std::to_string(budget.max_total_bytes()) +
                 " bytes (CompileOptions::max_constant_pool_bytes)");
}

}  // namespace crosswalk::compiler
