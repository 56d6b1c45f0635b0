// Lowering: checked AST → bytecode. See lower.h and compiler/README.md.
//
// Registers: each function has a register window; parameters take R0..Rn-1, `let` and loop variables take
// the next free register for the rest of their block, temporaries are allocated and freed LIFO above them.
// Every lowering function below draws the instruction sequence it emits. Names, types and arguments were
// resolved and checked by sema; here they are only read.
#include "lower/lower.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "bytecode/builtin_table.h"
#include "bytecode/format.h"

namespace crosswalk::compiler {
namespace {

using bytecode::Constant;
using bytecode::IntrinsicId;
using bytecode::Op;

class Lowerer {
 public:
  Lowerer(const CheckedProgram& checked, DiagnosticSink& sink, const LowerOptions& options,
          bytecode::Program* program)
      : checked_(checked), sink_(sink), program_(*program), max_pool_bytes_(options.max_constant_pool_bytes) {}

  bool Run() {
    program_.functions.resize(checked_.functions.size());
    for (uint32_t i = 0; i < checked_.functions.size(); ++i) {
      if (sink_.full()) break;
      LowerFunction(checked_.functions[i], i);
    }
    return !sink_.has_errors();
  }

 private:
  // ---------------------------------------------------------------------------------------------
  // Function state
  struct AppendSlot {
    std::string key;
    uint32_t reg;
  };
  struct FnState {
    std::string name;
    uint32_t next_reg = 0;
    uint32_t max_reg = 0;
    std::vector<uint32_t> binding_regs;  // sema's binding (Stmt::slot, Expr::slot) → its register
  };

  uint32_t AllocReg(SourceLocation loc) {
    uint32_t r = fn_.next_reg++;
    if (fn_.next_reg > fn_.max_reg) fn_.max_reg = fn_.next_reg;
    if (r >= bytecode::kMaxRegisters && !register_error_) {
      register_error_ = true;
      sink_.Error(loc, DiagCode::E0401,
                  "function '" + fn_.name + "' needs more than " + std::to_string(bytecode::kMaxRegisters) +
                      " registers; split it into smaller functions");
    }
    return r;
  }
  void FreeTo(uint32_t r) { fn_.next_reg = r; }

  void Bind(uint32_t slot, uint32_t reg) {
    if (slot >= fn_.binding_regs.size()) fn_.binding_regs.resize(slot + 1);
    fn_.binding_regs[slot] = reg;
  }
  uint32_t LocalReg(const Expr* e) const { return fn_.binding_regs[e->slot]; }
  static bool IsLocal(const Expr* e) { return e->kind == ExprKind::kName && e->ref == Ref::kLocal; }

  // ---------------------------------------------------------------------------------------------
  // Emission
  void MarkLine(SourceLocation loc) { cur_loc_ = loc; }

  uint32_t Emit(uint32_t word) {
    uint32_t pc = static_cast<uint32_t>(program_.code.size());
    if (cur_loc_.line != 0 && (program_.lines.empty() || program_.lines.back().line != cur_loc_.line ||
                               program_.lines.back().col != cur_loc_.col ||
                               program_.lines.back().file != cur_loc_.file)) {
      if (!program_.lines.empty() && program_.lines.back().pc == pc) {
        program_.lines.back() = {pc, cur_loc_.file, cur_loc_.line, cur_loc_.col};
      } else {
        program_.lines.push_back({pc, cur_loc_.file, cur_loc_.line, cur_loc_.col});
      }
    }
    program_.code.push_back(word);
    return pc;
  }
  uint32_t EmitABC(Op op, uint32_t a, uint32_t b = 0, uint32_t c = 0) {
    return Emit(bytecode::EncodeABC(op, a, b, c));
  }
  uint32_t EmitABCX(Op op, uint32_t a, uint32_t b, uint32_t c, uint32_t aux) {
    uint32_t pc = Emit(bytecode::EncodeABC(op, a, b, c));
    program_.code.push_back(aux);
    return pc;
  }
  uint32_t EmitAD(Op op, uint32_t a, int32_t d) { return Emit(bytecode::EncodeAD(op, a, d)); }
  uint32_t Here() const { return static_cast<uint32_t>(program_.code.size()); }

  // Conditional jump (AD) or JMP (E), target patched later.
  uint32_t EmitJump(Op op, uint32_t a = 0) {
    if (op == Op::JMP) return Emit(bytecode::EncodeE(Op::JMP, 0));
    return EmitAD(op, a, 0);
  }
  void PatchJump(uint32_t pc, uint32_t target) {
    uint32_t word = program_.code[pc];
    Op op = bytecode::GetOp(word);
    int64_t offset = static_cast<int64_t>(target) - static_cast<int64_t>(pc + bytecode::Length(op));
    if (op == Op::ITERNEXT) {
      program_.code[pc + 1] = static_cast<uint32_t>(static_cast<int32_t>(offset));
      return;
    }
    if (op == Op::JMP) {
      if (offset > bytecode::kMaxJumpE || offset < bytecode::kMinJumpE) return JumpTooFar();
      program_.code[pc] = bytecode::EncodeE(Op::JMP, static_cast<int32_t>(offset));
      return;
    }
    if (offset > bytecode::kMaxJumpD || offset < bytecode::kMinJumpD) return JumpTooFar();
    program_.code[pc] = bytecode::EncodeAD(op, bytecode::GetA(word), static_cast<int32_t>(offset));
  }
  void EmitJumpTo(uint32_t target) { PatchJump(EmitJump(Op::JMP), target); }
  void JumpTooFar() {
    if (jump_error_) return;
    jump_error_ = true;
    sink_.Error(cur_loc_, DiagCode::E0402, "function '" + fn_.name + "' is too large to jump over; split it");
  }

  uint32_t Const(const Constant& c) {
    std::string key = std::to_string(static_cast<int>(c.tag)) + ":" + std::to_string(c.i) + ":" +
                      std::to_string(c.scale) + ":" + c.s;
    auto it = const_index_.find(key);
    if (it != const_index_.end()) return it->second;
    if (c.s.size() > max_pool_bytes_ - pool_bytes_) {
      if (!pool_reported_) {
        pool_reported_ = true;
        sink_.Error(cur_loc_, DiagCode::E0405,
                    "the program's string constants exceed the limit of " + std::to_string(max_pool_bytes_) +
                        " bytes (CompileOptions::max_constant_pool_bytes)");
      }
    } else {
      pool_bytes_ += c.s.size();
    }
    uint32_t idx = static_cast<uint32_t>(program_.constants.size());
    program_.constants.push_back(c);
    const_index_.emplace(std::move(key), idx);
    return idx;
  }
  uint32_t StrConst(std::string_view s) {
    Constant c;
    c.tag = Constant::Tag::kString;
    c.s = std::string(s);
    return Const(c);
  }
  // A canonical "url|version" pins a version; a plain URL uses the store's current version.
  uint32_t TermRef(bytecode::TermRef::Type type, const std::string& canonical) {
    size_t bar = canonical.find('|');
    std::string url = bar == std::string::npos ? canonical : canonical.substr(0, bar);
    std::string version = bar == std::string::npos ? "" : canonical.substr(bar + 1);
    for (size_t i = 0; i < program_.term_refs.size(); ++i) {
      const auto& t = program_.term_refs[i];
      if (t.type == type && t.url == url && t.version == version) return static_cast<uint32_t>(i);
    }
    program_.term_refs.push_back({type, url, version});
    return static_cast<uint32_t>(program_.term_refs.size() - 1);
  }

  // LOADK for any constant (kConst operand D is 16 bits).
  void LoadConst(uint32_t dst, const Constant& c) {
    uint32_t k = Const(c);
    if (k > 0xFFFF) {
      sink_.Error(cur_loc_, DiagCode::E0403, "too many constants in one program (more than 65536)");
      return;
    }
    EmitAD(Op::LOADK, dst, static_cast<int32_t>(k));
  }
  uint32_t KeyOperand(std::string_view s) {
    return StrConst(s);  // AUX word: full 32 bits
  }

  // ---------------------------------------------------------------------------------------------
  void LowerFunction(const CheckedFunction& f, uint32_t index) {
    fn_ = FnState{};
    register_error_ = jump_error_ = false;
    bytecode::Function& out = program_.functions[index];
    out.code_begin = Here();
    if (f.def) {
      const DefDecl* d = f.def;
      fn_.name = d->name;
      MarkLine(d->loc);
      for (size_t i = 0; i < d->params.size(); ++i) Bind(static_cast<uint32_t>(i), AllocReg(d->param_locs[i]));
      out.name = d->name;
      out.num_params = static_cast<uint32_t>(d->params.size());
      if (d->expr) {
        uint32_t r = AllocReg(d->loc);
        EmitExpr(d->expr, r);
        MarkLine(d->loc);
        EmitABC(Op::RET, r);
      } else {
        uint32_t obj = AllocReg(d->loc);
        EmitABC(Op::NEWOBJ, obj);
        LowerObjectBody(d->body, obj);
        MarkLine(d->loc);
        EmitABC(Op::RET, obj);
      }
    } else {
      const MapDecl* m = f.map;
      fn_.name = m->name;
      out.name = m->name;
      out.num_params = 0;
      MarkLine(m->loc);
      uint32_t obj = AllocReg(m->loc);
      EmitABC(Op::NEWOBJ, obj);
      LowerObjectBody(m->body, obj);
      MarkLine(m->loc);
      EmitABC(Op::RET, obj);
      bytecode::MapEntry entry;
      entry.name = m->name;
      entry.source = static_cast<bytecode::Kind>(m->source);
      entry.target = static_cast<bytecode::Kind>(m->target);
      entry.message_type = m->source_type;
      entry.function = index;
      program_.maps.push_back(entry);
    }
    out.code_end = Here();
    out.num_registers = std::max<uint32_t>(fn_.max_reg, std::max<uint32_t>(out.num_params, 1));
    if (out.num_registers > bytecode::kMaxRegisters) out.num_registers = bytecode::kMaxRegisters;
  }

  // ---------------------------------------------------------------------------------------------
  // Blocks that build an object.
  //
  //   key: value [if cond]     cond → t; JMPIFNOT t skip; value → t; SETK obj t "key"; skip:
  //   key[]: value             value → t; APPEND arr(key) t; SETK obj arr(key) "key"
  //   let x = value            value → R(x)        (x lives until the end of the block)
  //   if c {..} else {..}      c → t; JMPIFNOT t else; ..; JMP end; else: ..; end:
  //   for x in xs where f {..} xs → t; ITERPREP it t; loop: ITERNEXT it R(x) exit; f → t; JMPIFNOT t loop;
  //                            ..; JMP loop; exit:
  void LowerObjectBody(const Block* block, uint32_t obj) {
    if (block == nullptr) return;
    std::vector<AppendSlot> slots;
    CollectAppendKeys(block, &slots);
    uint32_t mark = fn_.next_reg;
    for (AppendSlot& s : slots) {
      s.reg = AllocReg(block->loc);
      MarkLine(block->loc);
      EmitABC(Op::NEWARR, s.reg);
    }
    LowerStmts(block, obj, slots);
    FreeTo(mark);
  }

  static void CollectAppendKeys(const Block* block, std::vector<AppendSlot>* slots) {
    if (block == nullptr) return;
    for (const Stmt* s : block->stmts) {
      if (s->kind == StmtKind::kField && s->append) {
        bool found = false;
        for (const auto& slot : *slots) found |= slot.key == s->name;
        if (!found) slots->push_back({s->name, 0});
      }
      if (s->kind == StmtKind::kIf || s->kind == StmtKind::kFor) {
        CollectAppendKeys(s->then_block, slots);
        CollectAppendKeys(s->else_block, slots);
      }
    }
  }

  void LowerStmts(const Block* block, uint32_t obj, const std::vector<AppendSlot>& slots) {
    if (block == nullptr) return;
    uint32_t reg_mark = fn_.next_reg;
    for (const Stmt* s : block->stmts) {
      MarkLine(s->loc);
      switch (s->kind) {
        case StmtKind::kField: LowerField(s, obj, slots); break;
        case StmtKind::kLet: {
          uint32_t r = AllocReg(s->loc);
          EmitExpr(s->value, r);
          Bind(s->slot, r);
          reg_mark = fn_.next_reg;
          break;
        }
        case StmtKind::kIf: {
          uint32_t t = AllocReg(s->loc);
          EmitExpr(s->cond, t);
          uint32_t jf = EmitJump(Op::JMPIFNOT, t);
          FreeTo(t);
          LowerStmts(s->then_block, obj, slots);
          if (s->else_block) {
            uint32_t jend = EmitJump(Op::JMP);
            PatchJump(jf, Here());
            LowerStmts(s->else_block, obj, slots);
            PatchJump(jend, Here());
          } else {
            PatchJump(jf, Here());
          }
          break;
        }
        case StmtKind::kFor: {
          uint32_t it = AllocReg(s->loc);
          AllocReg(s->loc);  // it + 1: the position
          uint32_t var = AllocReg(s->loc);
          uint32_t src = AllocReg(s->loc);
          EmitIterable(s->value, src);
          MarkLine(s->loc);
          EmitABC(Op::ITERPREP, it, src);
          uint32_t loop = Here();
          uint32_t next = EmitABCX(Op::ITERNEXT, it, var, 0, 0);
          Bind(s->slot, var);
          if (!s->index_name.empty()) {
            uint32_t idx = AllocReg(s->loc);
            EmitABC(Op::ITERINDEX, idx, it);
            Bind(s->index_slot, idx);
          }
          if (s->cond) {
            uint32_t t = AllocReg(s->cond->loc);
            EmitExpr(s->cond, t);
            PatchJump(EmitJump(Op::JMPIFNOT, t), loop);
            FreeTo(t);
          }
          LowerStmts(s->then_block, obj, slots);
          MarkLine(s->loc);
          EmitJumpTo(loop);
          PatchJump(next, Here());
          FreeTo(it);
          break;
        }
        case StmtKind::kWarn:
        case StmtKind::kFail:
          // [cond → t; JMPIFNOT t skip;] message → t; WARN/FAIL t; skip:            (text known when compiled)
          // [cond → t; JMPIFNOT t skip;] message → t; WARNR/FAILR t K[shown]; skip:  (text holds values)
          Guarded(s, [&](uint32_t t) {
            EmitExpr(s->value, t);
            MarkLine(s->loc);
            bool warn = s->kind == StmtKind::kWarn;
            if (IsCompileTimeText(s->value)) {
              EmitABC(warn ? Op::WARN : Op::FAIL, t);
            } else {
              EmitABCX(warn ? Op::WARNR : Op::FAILR, t, 0, 0, StrConst(ShownMessage(s)));
            }
          });
          break;
        case StmtKind::kSpread:
          // [cond → t; JMPIFNOT t skip;] value → t; MERGE obj t; skip:
          Guarded(s, [&](uint32_t t) {
            EmitExpr(s->value, t);
            MarkLine(s->loc);
            EmitABC(Op::MERGE, obj, t);
          });
          break;
        case StmtKind::kReturn: {
          // value → t; RET t   (what follows in the block is never run: not emitted; sema warned, W0001)
          uint32_t t = AllocReg(s->loc);
          EmitExpr(s->value, t);
          MarkLine(s->loc);
          EmitABC(Op::RET, t);
          FreeTo(t);
          return;
        }
      }
      FreeTo(reg_mark);
    }
  }

  void LowerField(const Stmt* s, uint32_t obj, const std::vector<AppendSlot>& slots) {
    Guarded(s, [&](uint32_t t) {
      EmitExpr(s->value, t);
      MarkLine(s->loc);
      if (s->append) {
        for (const AppendSlot& slot : slots) {
          if (slot.key == s->name) {
            EmitABC(Op::APPEND, slot.reg, t);
            EmitABCX(Op::SETK, obj, slot.reg, 0, KeyOperand(s->name));
          }
        }
      } else {
        EmitABCX(Op::SETK, obj, t, 0, KeyOperand(s->name));
      }
    });
  }

  // A warn/fail message known when compiled (a string literal, folded template or constant): it holds no
  // input values, so the VM may show it as it is.
  static bool IsCompileTimeText(const Expr* e) {
    if (e->kind == ExprKind::kString || e->kind == ExprKind::kNull || e->kind == ExprKind::kInt ||
        e->kind == ExprKind::kDecimal || e->kind == ExprKind::kBool) {
      return true;
    }
    return e->kind == ExprKind::kName && e->ref == Ref::kConst &&
           (e->constant->kind == ExprKind::kString || e->constant->kind == ExprKind::kNull);
  }

  // What a warn/fail message whose text holds values shows by default: the map's template as written with
  // `${expr}` in place of each value ("bad name ${PID-5.1}"), or `${expr}` for any other expression.
  static std::string ShownMessage(const Stmt* s) {
    if (s->value->kind == ExprKind::kTemplate) return s->value->text;
    return "${" + s->source + "}";
  }

  // A statement with an optional trailing `if`: t is a fresh register; when s->cond is set it is
  // evaluated into t first and a false condition jumps over what `body(t)` emits.
  template <typename Body>
  void Guarded(const Stmt* s, Body&& body) {
    uint32_t t = AllocReg(s->loc);
    std::optional<uint32_t> skip;
    if (s->cond) {
      EmitExpr(s->cond, t);
      skip = EmitJump(Op::JMPIFNOT, t);
    }
    body(t);
    if (skip) PatchJump(*skip, Here());
    FreeTo(t);
  }

  // ---------------------------------------------------------------------------------------------
  // Expressions: EmitExpr(e, dst) leaves e's value in R[dst].
  void EmitExpr(const Expr* e, uint32_t dst) {
    MarkLine(e->loc);
    EmitExprInner(e, dst);
  }

  void EmitLiteral(const Expr* e, uint32_t dst) {
    switch (e->kind) {
      case ExprKind::kInt:
        if (e->ival >= INT16_MIN && e->ival <= INT16_MAX) {
          EmitAD(Op::LOADI, dst, static_cast<int32_t>(e->ival));
        } else {
          LoadConst(dst, Constant{Constant::Tag::kInt, e->ival, 0, {}});
        }
        return;
      case ExprKind::kDecimal: LoadConst(dst, Constant{Constant::Tag::kDecimal, e->ival, e->scale, {}}); return;
      case ExprKind::kString: LoadConst(dst, Constant{Constant::Tag::kString, 0, 0, e->text}); return;
      case ExprKind::kBool: EmitABC(Op::LOADB, dst, e->ival ? 1 : 0); return;
      default: LoadConst(dst, Constant{}); return;  // null
    }
  }

  void EmitExprInner(const Expr* e, uint32_t dst) {
    switch (e->kind) {
      case ExprKind::kInt:
      case ExprKind::kDecimal:
      case ExprKind::kString:
      case ExprKind::kBool:
      case ExprKind::kNull: return EmitLiteral(e, dst);
      case ExprKind::kTemplate: {
        // parts → R[base..base+n-1]; CONCAT dst base n
        uint32_t base = fn_.next_reg;
        for (const Expr* k : e->kids) EmitExpr(k, AllocReg(k->loc));
        MarkLine(e->loc);
        EmitABC(Op::CONCAT, dst, base, static_cast<uint32_t>(e->kids.size()));
        FreeTo(base);
        return;
      }
      case ExprKind::kName: return EmitName(e, dst);
      case ExprKind::kMember: return EmitMember(e, dst);
      case ExprKind::kField:
      case ExprKind::kComponent:
      case ExprKind::kIndex: return EmitPath(e, dst);
      case ExprKind::kCall: return EmitCall(e, dst);
      case ExprKind::kNeg:
      case ExprKind::kNot: {
        // a → t; NEG/NOT dst t
        uint32_t mark = fn_.next_reg;
        uint32_t t = ExprToReg(e->kids[0]);
        if (e->kind == ExprKind::kNeg) MarkLine(e->loc);
        EmitABC(e->kind == ExprKind::kNeg ? Op::NEG : Op::NOT, dst, t);
        FreeTo(mark);
        return;
      }
      case ExprKind::kBinary: return EmitBinary(e, dst);
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        // TRUTHY dst a; JMPIFNOT/JMPIF dst end; TRUTHY dst b; end:
        uint32_t mark = fn_.next_reg;
        uint32_t a = ExprToReg(e->kids[0]);
        EmitABC(Op::TRUTHY, dst, a);
        FreeTo(mark);
        uint32_t j = EmitJump(e->kind == ExprKind::kAnd ? Op::JMPIFNOT : Op::JMPIF, dst);
        uint32_t b = ExprToReg(e->kids[1]);
        EmitABC(Op::TRUTHY, dst, b);
        FreeTo(mark);
        PatchJump(j, Here());
        return;
      }
      case ExprKind::kCoalesce: {
        // a → dst; JMPPRESENT dst end; b → dst; end:
        EmitExpr(e->kids[0], dst);
        uint32_t j = EmitJump(Op::JMPPRESENT, dst);
        EmitExpr(e->kids[1], dst);
        PatchJump(j, Here());
        return;
      }
      case ExprKind::kCond: {
        // c → dst; JMPIFNOT dst else; a → dst; JMP end; else: b → dst; end:
        EmitExpr(e->kids[0], dst);
        uint32_t jf = EmitJump(Op::JMPIFNOT, dst);
        EmitExpr(e->kids[1], dst);
        uint32_t jend = EmitJump(Op::JMP);
        PatchJump(jf, Here());
        EmitExpr(e->kids[2], dst);
        PatchJump(jend, Here());
        return;
      }
      case ExprKind::kFor: {
        // NEWARR dst; xs → src; ITERPREP it src; loop: ITERNEXT it x exit; [f → t; JMPIFNOT t loop;]
        // body → t; APPENDP dst t; JMP loop; exit:
        // (APPENDP: an item that is an HL7 v2 place stays one, as in an array literal)
        uint32_t mark = fn_.next_reg;
        uint32_t it = AllocReg(e->loc);
        AllocReg(e->loc);
        uint32_t var = AllocReg(e->loc);
        uint32_t src = AllocReg(e->loc);
        EmitIterable(e->kids[0], src);
        MarkLine(e->loc);
        EmitABC(Op::NEWARR, dst);
        EmitABC(Op::ITERPREP, it, src);
        uint32_t loop = Here();
        uint32_t next = EmitABCX(Op::ITERNEXT, it, var, 0, 0);
        Bind(e->slot, var);
        if (!e->ns.empty()) {
          uint32_t idx = AllocReg(e->loc);
          EmitABC(Op::ITERINDEX, idx, it);
          Bind(e->index_slot, idx);
        }
        uint32_t t = AllocReg(e->loc);
        if (e->kids.size() > 2) {
          EmitExpr(e->kids[2], t);
          PatchJump(EmitJump(Op::JMPIFNOT, t), loop);
        }
        EmitExpr(e->kids[1], t);
        MarkLine(e->loc);
        EmitABC(Op::APPENDP, dst, t);
        EmitJumpTo(loop);
        PatchJump(next, Here());
        FreeTo(mark);
        return;
      }
      case ExprKind::kMatch: {
        // s → S; for each arm: EQ t S K; JMPIF t body; ...; JMP next; body: v → dst; JMP end; next: ...
        // no `_` arm: LOADNIL dst.  end:
        uint32_t mark = fn_.next_reg;
        uint32_t subject = ExprToReg(e->kids[0]);
        uint32_t t = AllocReg(e->loc);
        std::vector<uint32_t> to_end;
        bool has_default = false;
        for (const MatchArm& arm : e->arms) {
          MarkLine(arm.loc);
          if (arm.patterns.empty()) {
            has_default = true;
            EmitExpr(arm.value, dst);
            break;
          }
          std::vector<uint32_t> to_body;
          for (const Expr* p : arm.patterns) {
            EmitExpr(p, t);
            EmitABC(Op::EQ, t, subject, t);
            to_body.push_back(EmitJump(Op::JMPIF, t));
          }
          uint32_t to_next = EmitJump(Op::JMP);
          for (uint32_t j : to_body) PatchJump(j, Here());
          EmitExpr(arm.value, dst);
          to_end.push_back(EmitJump(Op::JMP));
          PatchJump(to_next, Here());
        }
        if (!has_default) EmitABC(Op::LOADNIL, dst);
        for (uint32_t j : to_end) PatchJump(j, Here());
        FreeTo(mark);
        return;
      }
      case ExprKind::kArray: {
        // NEWARR dst; item → t; APPENDP dst t; ...
        // APPENDP keeps an HL7 v2 field or component as a place in the message (`[pl.4, pl.1]`: `hd.1` of
        // an item reads the component), where APPEND (`key[]:`, building output) reads it as text.
        EmitABC(Op::NEWARR, dst);
        uint32_t t = AllocReg(e->loc);
        for (const Expr* k : e->kids) {
          EmitExpr(k, t);
          EmitABC(Op::APPENDP, dst, t);
        }
        FreeTo(t);
        return;
      }
      case ExprKind::kObject:
        // NEWOBJ dst; statements into dst
        EmitABC(Op::NEWOBJ, dst);
        LowerObjectBody(e->block, dst);
        return;
    }
  }

  // A segment name read as a collection (Ref::kSegments: `for … in OBX`, count(OBX)): every segment of that
  // id in the scope.   [scope → s;] V2SEGS dst s "OBX"     (no scope: INPUT dst)
  void EmitIterable(const Expr* e, uint32_t dst) {
    if (e->ref != Ref::kSegments) return EmitExpr(e, dst);
    MarkLine(e->loc);
    uint32_t mark = fn_.next_reg;
    uint32_t scope = dst;
    if (e->kind == ExprKind::kName) {
      EmitABC(Op::INPUT, dst);
    } else {
      scope = ExprToReg(e->kids[0]);
    }
    MarkLine(e->loc);
    EmitABCX(Op::V2SEGS, dst, scope, 0, KeyOperand(e->text));
    FreeTo(mark);
  }

  // Evaluates e into a register: a local's own register when e is a local name, else a new temporary
  // (the caller frees with FreeTo).
  uint32_t ExprToReg(const Expr* e) {
    if (IsLocal(e)) return LocalReg(e);
    uint32_t r = AllocReg(e->loc);
    EmitExpr(e, r);
    return r;
  }

  //   local: MOVE dst R(x)     constant: its literal     input: INPUT dst
  //   segment: INPUT dst; V2SEG dst dst "PID"          group: INPUT dst; V2GROUPS dst dst "VISIT"
  void EmitName(const Expr* e, uint32_t dst) {
    switch (e->ref) {
      case Ref::kLocal:
        if (LocalReg(e) != dst) EmitABC(Op::MOVE, dst, LocalReg(e));
        return;
      case Ref::kConst: return EmitLiteral(e->constant, dst);
      case Ref::kInput: EmitABC(Op::INPUT, dst); return;
      case Ref::kSegment:
        EmitABC(Op::INPUT, dst);
        EmitABCX(Op::V2SEG, dst, dst, 0, KeyOperand(e->text));
        return;
      case Ref::kGroups:
        EmitABC(Op::INPUT, dst);
        EmitABCX(Op::V2GROUPS, dst, dst, 0, KeyOperand(e->text));
        return;
      default: assert(false && "sema resolves every name of a program it accepts"); return;
    }
  }

  // base → b; V2SEG / V2GROUPS / GETK dst b "name"
  void EmitMember(const Expr* e, uint32_t dst) {
    uint32_t mark = fn_.next_reg;
    uint32_t b = ExprToReg(e->kids[0]);
    Op op = e->ref == Ref::kSegment ? Op::V2SEG : e->ref == Ref::kGroups ? Op::V2GROUPS : Op::GETK;
    EmitABCX(op, dst, b, 0, KeyOperand(e->text));
    FreeTo(mark);
  }

  // HL7 v2 paths. A chain Field[rep].comp.sub with constant parts becomes one V2FIELD; anything else
  // uses the generic instructions (GETI, V2COMP).
  void EmitPath(const Expr* e, uint32_t dst) {
    V2PathParts p = SplitV2Path(const_cast<Expr*>(e));
    if (p.field) {
      return EmitField(p.field, p.rep, p.comps.size() > 0 ? p.comps[0] : 0, p.comps.size() > 1 ? p.comps[1] : 0,
                       e->loc, dst);
    }
    uint32_t mark = fn_.next_reg;
    if (e->kind == ExprKind::kComponent) {
      // base → b; V2COMP dst b comp
      uint32_t b = ExprToReg(e->kids[0]);
      MarkLine(e->loc);
      EmitABC(Op::V2COMP, dst, b, static_cast<uint32_t>(e->ival & 0xFF));
      FreeTo(mark);
      return;
    }
    if (e->kids[0]->ref == Ref::kSegments) {
      // NK1[2]: the second NK1 segment (HL7 counts from 1): V2SEGS a; i - 1 → t; GETI dst a t
      uint32_t a = AllocReg(e->loc);
      EmitIterable(e->kids[0], a);
      uint32_t i = AllocReg(e->loc);
      EmitExpr(e->kids[1], i);
      uint32_t one = AllocReg(e->loc);
      MarkLine(e->loc);
      EmitAD(Op::LOADI, one, 1);
      EmitABC(Op::SUB, i, i, one);
      EmitABC(Op::GETI, dst, a, i);
      FreeTo(mark);
      return;
    }
    // a[i]: a → ra; i → ri; GETI dst ra ri
    uint32_t a = ExprToReg(e->kids[0]);
    uint32_t i = ExprToReg(e->kids[1]);
    MarkLine(e->loc);
    EmitABC(Op::GETI, dst, a, i);
    FreeTo(mark);
  }

  // scope → s; V2SEG s s "PID"; V2FIELD dst s path
  void EmitField(const Expr* f, int64_t rep, int64_t comp, int64_t sub, SourceLocation loc, uint32_t dst) {
    uint32_t mark = fn_.next_reg;
    uint32_t s = AllocReg(f->loc);
    if (f->kids.empty()) {
      EmitABC(Op::INPUT, s);
    } else {
      uint32_t b = ExprToReg(f->kids[0]);
      if (b != s) EmitABC(Op::MOVE, s, b);
    }
    MarkLine(f->loc);
    EmitABCX(Op::V2SEG, s, s, 0, KeyOperand(f->text));
    bytecode::V2Path path{static_cast<uint32_t>(f->ival) & 0xFFF, static_cast<uint32_t>(rep) & 0xFF,
                          static_cast<uint32_t>(comp) & 0x3F, static_cast<uint32_t>(sub) & 0x3F};
    MarkLine(loc);
    EmitABCX(Op::V2FIELD, dst, s, 0, bytecode::PackV2Path(path));
    FreeTo(mark);
  }

  // a → ra; b → rb; OP dst ra rb     (a > b is b < a; a >= b is b <= a)
  void EmitBinary(const Expr* e, uint32_t dst) {
    uint32_t mark = fn_.next_reg;
    const Expr* a = e->kids[0];
    const Expr* b = e->kids[1];
    BinOp op = e->op;
    if (op == BinOp::kGt || op == BinOp::kGe) {
      std::swap(a, b);
      op = op == BinOp::kGt ? BinOp::kLt : BinOp::kLe;
    }
    uint32_t ra = ExprToReg(a);
    uint32_t rb = ExprToReg(b);
    MarkLine(e->loc);
    Op code = Op::ADD;
    switch (op) {
      case BinOp::kAdd: code = Op::ADD; break;
      case BinOp::kSub: code = Op::SUB; break;
      case BinOp::kMul: code = Op::MUL; break;
      case BinOp::kDiv: code = Op::DIV; break;
      case BinOp::kMod: code = Op::MOD; break;
      case BinOp::kEq: code = Op::EQ; break;
      case BinOp::kNe: code = Op::NE; break;
      case BinOp::kLt: code = Op::LT; break;
      default: code = Op::LE; break;
    }
    EmitABC(code, dst, ra, rb);
    FreeTo(mark);
  }

  // ---------------------------------------------------------------------------------------------
  // Calls.  args → R[base..base+n-1]; CALL/CALLB dst base n F
  // An argument a builtin reads as a collection (builtins.def, ITER) is evaluated as a loop source is.
  void EmitCall(const Expr* e, uint32_t dst) {
    if (e->ref == Ref::kIntrinsic) return EmitIntrinsic(e, dst);
    size_t n = e->kids.size();
    uint32_t base = fn_.next_reg;
    for (size_t i = 0; i < n; ++i) {
      const Expr* k = e->kids[i];
      EmitIterable(k, AllocReg(k->loc));
    }
    MarkLine(e->loc);
    EmitABCX(e->ref == Ref::kFunction ? Op::CALL : Op::CALLB, dst, base, static_cast<uint32_t>(n), e->slot);
    FreeTo(base);
  }

  // The intrinsics of builtins.def (CW_INTRINSIC), each its own instruction; T[...] is the terminology
  // binding sema recorded (e->bound), the policy its immediate (e->imm).
  //   translate(code, M [, policy])       code → c; TRANSLATE dst c policy T[map]
  //   translate(code, M, { options })     (code, options) → R[p], R[p+1]; TRANSLATEX dst p policy T[map]
  //   lookup(code, C)                     code → c; LOOKUP dst c T[system]
  //   lookup(code, C, property)           (code, property) → R[p], R[p+1]; LOOKUPP dst p 0 T[system]
  //   lookup(code, C, { language: L })    (code, L) → R[p], R[p+1]; LOOKUPP dst p 1 T[system]
  //   member(code, V [, system])          code → c; system (or nil) → s; MEMBER dst c s T[valueset]
  //   subsumes(a, b, C)                   (a, b) → R[p], R[p+1]; SUBSUMES dst p T[system]
  //   direct(seg)                         [scope → s;] V2DIRECT dst s "NTE"   (no scope: INPUT dst)
  void EmitIntrinsic(const Expr* e, uint32_t dst) {
    using Type = bytecode::TermRef::Type;
    size_t n = e->kids.size();
    uint32_t mark = fn_.next_reg;
    switch (static_cast<IntrinsicId>(e->slot)) {
      case IntrinsicId::kTranslate:
      case IntrinsicId::kTranslateCoding: {
        uint32_t ref = TermRef(Type::kConceptMap, e->bound);
        if (n == 3 && e->kids[2]->kind == ExprKind::kObject) {
          uint32_t code = AllocReg(e->loc);
          uint32_t opts = AllocReg(e->loc);
          EmitExpr(e->kids[0], code);
          EmitExpr(e->kids[2], opts);
          MarkLine(e->loc);
          EmitABCX(Op::TRANSLATEX, dst, code, e->imm, ref);
        } else {
          uint32_t code = ExprToReg(e->kids[0]);
          MarkLine(e->loc);
          EmitABCX(Op::TRANSLATE, dst, code, e->imm, ref);
        }
        break;
      }
      case IntrinsicId::kLookup:
        if (n == 3) {
          // The property name, or the language of `{ language: L }` with C = 1 (e->imm).
          const Expr* arg = e->kids[2]->kind == ExprKind::kObject ? LookupLanguage(e->kids[2]) : e->kids[2];
          uint32_t pair = AllocReg(e->loc);
          uint32_t name = AllocReg(e->loc);
          EmitExpr(e->kids[0], pair);
          EmitExpr(arg, name);
          MarkLine(e->loc);
          EmitABCX(Op::LOOKUPP, dst, pair, e->imm, TermRef(Type::kCodeSystem, e->bound));
        } else {
          uint32_t code = ExprToReg(e->kids[0]);
          MarkLine(e->loc);
          EmitABCX(Op::LOOKUP, dst, code, 0, TermRef(Type::kCodeSystem, e->bound));
        }
        break;
      case IntrinsicId::kMember: {
        uint32_t code = ExprToReg(e->kids[0]);
        MarkLine(e->loc);
        uint32_t sys = AllocReg(e->loc);
        if (n == 3) {
          EmitExpr(e->kids[2], sys);
        } else {
          EmitABC(Op::LOADNIL, sys);
        }
        MarkLine(e->loc);
        EmitABCX(Op::MEMBER, dst, code, sys, TermRef(Type::kValueSet, e->bound));
        break;
      }
      case IntrinsicId::kSubsumes: {
        uint32_t a = AllocReg(e->loc);
        uint32_t b = AllocReg(e->loc);
        EmitExpr(e->kids[0], a);
        EmitExpr(e->kids[1], b);
        MarkLine(e->loc);
        EmitABCX(Op::SUBSUMES, dst, a, 0, TermRef(Type::kCodeSystem, e->bound));
        break;
      }
      case IntrinsicId::kDirect: {
        const Expr* seg = e->kids[0];
        uint32_t scope = dst;
        if (seg->kind == ExprKind::kName) {
          EmitABC(Op::INPUT, dst);
        } else {
          scope = ExprToReg(seg->kids[0]);
        }
        MarkLine(e->loc);
        EmitABCX(Op::V2DIRECT, dst, scope, 0, KeyOperand(seg->text));
        break;
      }
      case IntrinsicId::kCount_: break;
    }
    FreeTo(mark);
  }

  const CheckedProgram& checked_;
  DiagnosticSink& sink_;
  bytecode::Program& program_;
  std::unordered_map<std::string, uint32_t> const_index_;
  FnState fn_;
  SourceLocation cur_loc_;
  bool register_error_ = false;
  bool jump_error_ = false;
  uint64_t max_pool_bytes_;
  uint64_t pool_bytes_ = 0;  // string bytes in program_.constants
  bool pool_reported_ = false;
};

}  // namespace

bool Lower(const CheckedProgram& checked, const std::vector<std::string>& files, const LowerOptions& options,
           DiagnosticSink& sink, bytecode::Program* program) {
  program->files = files;
  Lowerer lowerer(checked, sink, options, program);
  return lowerer.Run();
}

}  // namespace crosswalk::compiler
