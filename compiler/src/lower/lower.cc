// Lowering: AST → bytecode. See lower.h and compiler/README.md.
//
// Registers: each function has a register window; parameters take R0..Rn-1, `let` and loop variables take
// the next free register for the rest of their block, temporaries are allocated and freed LIFO above them.
// Every lowering function below draws the instruction sequence it emits.
#include "lower/lower.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "bytecode/builtin_table.h"
#include "bytecode/format.h"
#include "hl7v2/schema.h"
#include "opt/fold.h"

namespace crosswalk::compiler {
namespace {

using bytecode::Constant;
using bytecode::Op;

bool IsSegmentName(std::string_view s) {
  if (s.size() != 3 || !std::isupper(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isupper(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Group names are upper case with at least one underscore or longer than 3 characters
// (PATIENT_RESULT, ORDER_OBSERVATION, PATIENT, VISIT, INSURANCE).
bool IsGroupName(std::string_view s) {
  if (s.size() <= 3) return false;
  for (char c : s) {
    if (!std::isupper(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

void CollectGroupNames(const hl7v2::StructureNode& node, std::set<std::string, std::less<>>* out) {
  if (!node.is_group) return;
  out->insert(std::string(node.name));
  for (const auto& c : node.children) CollectGroupNames(c, out);
}

const std::set<std::string, std::less<>>& KnownGroupNames() {
  static const std::set<std::string, std::less<>> names = [] {
    std::set<std::string, std::less<>> s;
    for (const auto& st : hl7v2::AllStructures()) {
      for (const auto& c : st.root.children) CollectGroupNames(c, &s);
    }
    return s;
  }();
  return names;
}

// Parts of one string template: each takes a register for the CONCAT (a function has 255), so the limit
// leaves room for the registers a function already holds.
constexpr size_t kMaxTemplateParts = 128;

struct FunctionInfo {
  const DefDecl* def = nullptr;
  const MapDecl* map = nullptr;
  int unit = 0;
  uint32_t index = 0;
};

class Lowerer {
 public:
  Lowerer(std::vector<ModuleUnit>& units, DiagnosticSink& sink, const LowerOptions& options,
          bytecode::Program* program)
      : units_(units), sink_(sink), program_(*program), fold_(options.fold_constants),
        warn_undeclared_z_(options.warn_undeclared_z_segments),
        budget_(options.max_constant_bytes, options.max_constant_pool_bytes),
        max_pool_bytes_(options.max_constant_pool_bytes) {}

  bool Run() {
    // 1. Assign a function index to every def and every root map, and check for duplicates.
    std::map<std::string, const FunctionInfo*> map_names;
    for (size_t u = 0; u < units_.size(); ++u) {
      for (const DefDecl* d : units_[u].module.defs) {
        auto& table = defs_by_unit_[static_cast<int>(u)];
        if (table.count(d->name)) {
          sink_.Error(d->loc, DiagCode::E0202, "function '" + d->name + "' is defined twice in this module");
          continue;
        }
        if (bytecode::kBuiltinCount && FindBuiltin(d->name) >= 0) {
          sink_.Error(d->loc, DiagCode::E0224, "'" + d->name + "' is a built-in function and cannot be redefined");
        }
        FunctionInfo& f = functions_.emplace_back();
        f.def = d;
        f.unit = static_cast<int>(u);
        f.index = static_cast<uint32_t>(functions_.size() - 1);
        table[d->name] = f.index;
      }
      if (!units_[u].root) continue;
      for (const MapDecl* m : units_[u].module.maps) {
        FunctionInfo& f = functions_.emplace_back();
        f.map = m;
        f.unit = static_cast<int>(u);
        f.index = static_cast<uint32_t>(functions_.size() - 1);
        if (map_names.count(m->name)) {
          sink_.Error(m->loc, DiagCode::E0203, "map '" + m->name + "' is defined twice");
        }
        map_names[m->name] = &f;
      }
    }
    DeclareSegments();
    // Module constants: folded to literals, visible like functions (own module, then imports). Imported
    // modules' constants are done first, so that a constant may be built from imported ones.
    std::vector<size_t> order;
    std::vector<char> seen(units_.size(), 0);
    std::function<void(size_t)> visit = [&](size_t u) {
      if (seen[u]) return;
      seen[u] = 1;
      for (int imp : units_[u].imports) visit(static_cast<size_t>(imp));
      order.push_back(u);
    };
    for (size_t u = 0; u < units_.size(); ++u) visit(u);
    for (size_t u : order) {
      for (ConstDecl& c : units_[u].module.consts) {
        fn_.unit = static_cast<int>(u);  // FindConst looks from this unit
        size_t reported = sink_.diagnostics().size();
        bool uses_recovered = SubstituteConsts(c.value);
        FoldConstants(c.value, sink_, budget_);
        ExprKind k = c.value->kind;
        if ((uses_recovered || sink_.diagnostics().size() > reported) && k != ExprKind::kString && k != ExprKind::kInt &&
            k != ExprKind::kDecimal && k != ExprKind::kBool && k != ExprKind::kNull) {
          // Already reported (a size limit, a type error): registered as a recovered null, no follow-on error.
          c.value->kind = ExprKind::kNull;
          c.value->kids.clear();
          c.value->recovered = true;
        } else if (k != ExprKind::kString && k != ExprKind::kInt && k != ExprKind::kDecimal &&
                   k != ExprKind::kBool && k != ExprKind::kNull) {
          sink_.Error(c.value->loc, DiagCode::E0222,
                      "the value of constant '" + c.name + "' must be known at compile time (a literal)");
          // Registered as a recovered null so that its uses do not report again.
          c.value->kind = ExprKind::kNull;
          c.value->kids.clear();
          c.value->recovered = true;
        }
        auto& table = consts_by_unit_[static_cast<int>(u)];
        if (table.count(c.name) || defs_by_unit_[static_cast<int>(u)].count(c.name)) {
          sink_.Error(c.loc, DiagCode::E0202, "'" + c.name + "' is defined twice in this module");
          continue;
        }
        table[c.name] = c.value;
      }
    }
    program_.functions.resize(functions_.size());
    // 2. Lower each function.
    for (FunctionInfo& f : functions_) {
      if (sink_.full()) break;
      LowerFunction(f);
    }
    return !sink_.has_errors();
  }

 private:
  // ---------------------------------------------------------------------------------------------
  // Function state
  struct Local {
    std::string name;
    uint32_t reg;
  };
  struct AppendSlot {
    std::string key;
    uint32_t reg;
  };
  struct FnState {
    std::string name;
    uint32_t next_reg = 0;
    uint32_t max_reg = 0;
    std::vector<Local> locals;
    const MapDecl* map = nullptr;  // the map being lowered (null in defs)
    int unit = 0;
    bool in_def_block = false;
  };

  static int FindBuiltin(std::string_view name) {
    for (uint32_t i = 0; i < bytecode::kBuiltinCount; ++i) {
      if (bytecode::kBuiltinInfo[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

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
    if (bar == std::string::npos) return TermRef(type, canonical, "");
    return TermRef(type, canonical.substr(0, bar), canonical.substr(bar + 1));
  }
  uint32_t TermRef(bytecode::TermRef::Type type, const std::string& url, const std::string& version) {
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
  void LowerFunction(const FunctionInfo& f) {
    fn_ = FnState{};
    fn_.unit = f.unit;
    register_error_ = jump_error_ = false;
    bytecode::Function& out = program_.functions[f.index];
    out.code_begin = Here();
    if (f.def) {
      const DefDecl* d = f.def;
      fn_.name = d->name;
      MarkLine(d->loc);
      std::set<std::string> seen;
      for (size_t i = 0; i < d->params.size(); ++i) {
        if (!seen.insert(d->params[i]).second) {
          sink_.Error(d->param_locs[i], DiagCode::E0206, "parameter '" + d->params[i] + "' is listed twice");
        }
        fn_.locals.push_back({d->params[i], AllocReg(d->param_locs[i])});
      }
      if (d->params.size() > bytecode::kMaxParams) {
        sink_.Error(d->loc, DiagCode::E0207, "function '" + d->name + "' has more than 64 parameters");
      }
      out.name = d->name;
      out.num_params = static_cast<uint32_t>(d->params.size());
      if (d->expr) {
        FoldConstants(d->expr, sink_, budget_, fold_);
        uint32_t r = AllocReg(d->loc);
        EmitExpr(d->expr, r);
        MarkLine(d->loc);
        EmitABC(Op::RET, r);
      } else {
        FoldConstants(d->body, sink_, budget_, fold_);
        fn_.in_def_block = true;
        uint32_t obj = AllocReg(d->loc);
        EmitABC(Op::NEWOBJ, obj);
        LowerObjectBody(d->body, obj);
        MarkLine(d->loc);
        EmitABC(Op::RET, obj);
      }
    } else {
      const MapDecl* m = f.map;
      fn_.name = m->name;
      fn_.map = m;
      out.name = m->name;
      out.num_params = 0;
      MarkLine(m->loc);
      FoldConstants(m->body, sink_, budget_, fold_);
      fn_.in_def_block = true;
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
      entry.function = f.index;
      if (m->source == DataKind::kHl7v2 && !m->source_type.empty()) CheckMessageType(m);
      program_.maps.push_back(entry);
    }
    out.code_end = Here();
    out.num_registers = std::max<uint32_t>(fn_.max_reg, std::max<uint32_t>(out.num_params, 1));
    if (out.num_registers > bytecode::kMaxRegisters) out.num_registers = bytecode::kMaxRegisters;
  }

  void CheckMessageType(const MapDecl* m) {
    // "ADT^A01", "ADT^A01^ADT_A01", "ADT", "ADT^*"
    std::string_view t = m->source_type;
    size_t caret = t.find('^');
    std::string_view code = t.substr(0, caret);
    if (code.size() != 3 || !IsSegmentName(code)) {
      sink_.Error(m->loc, DiagCode::E0208,
                  "message type '" + m->source_type + "' is not of the form CODE^TRIGGER (e.g. \"ADT^A01\")");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Names

  std::optional<uint32_t> FindLocal(const std::string& name) const {
    for (auto it = fn_.locals.rbegin(); it != fn_.locals.rend(); ++it) {
      if (it->name == name) return it->reg;
    }
    return std::nullopt;
  }

  bool IsInputName(const std::string& name) const {
    if (name == "input" || name == "msg") return true;
    if (fn_.map && !fn_.map->source_type.empty() && fn_.map->source != DataKind::kHl7v2 &&
        name == fn_.map->source_type) {
      return true;
    }
    return false;
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
  void LowerObjectBody(Block* block, uint32_t obj) {
    if (block == nullptr) return;  // a body lost to a syntax error (already reported): nothing to emit
    std::vector<AppendSlot> slots;
    CollectAppendKeys(block, &slots);
    uint32_t mark = fn_.next_reg;
    for (AppendSlot& s : slots) {
      s.reg = AllocReg(block->loc);
      MarkLine(block->loc);
      EmitABC(Op::NEWARR, s.reg);
    }
    size_t locals_mark = fn_.locals.size();
    std::map<std::string, SourceLocation> set_keys;
    LowerStmts(block, obj, slots, &set_keys);
    fn_.locals.resize(locals_mark);
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

  void LowerStmts(Block* block, uint32_t obj, const std::vector<AppendSlot>& slots,
                  std::map<std::string, SourceLocation>* set_keys) {
    if (block == nullptr) return;  // a body lost to a syntax error (already reported): nothing to emit
    size_t locals_mark = fn_.locals.size();
    uint32_t reg_mark = fn_.next_reg;
    bool returned = false;
    for (Stmt* s : block->stmts) {
      if (returned) {
        sink_.Warning(s->loc, DiagCode::W0001, "statement after `return` is never run");
        break;
      }
      MarkLine(s->loc);
      switch (s->kind) {
        case StmtKind::kField: LowerField(s, obj, slots, set_keys); break;
        case StmtKind::kLet: {
          uint32_t r = AllocReg(s->loc);
          EmitExpr(s->value, r);
          fn_.locals.push_back({s->name, r});  // visible after its definition only
          reg_mark = fn_.next_reg;
          break;
        }
        case StmtKind::kIf: {
          uint32_t t = AllocReg(s->loc);
          EmitExpr(s->cond, t);
          uint32_t jf = EmitJump(Op::JMPIFNOT, t);
          FreeTo(t);
          std::map<std::string, SourceLocation> branch_keys = *set_keys;
          LowerStmts(s->then_block, obj, slots, &branch_keys);
          if (s->else_block) {
            uint32_t jend = EmitJump(Op::JMP);
            PatchJump(jf, Here());
            std::map<std::string, SourceLocation> else_keys = *set_keys;
            LowerStmts(s->else_block, obj, slots, &else_keys);
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
          CheckIterable(EmitIterable(s->value, src), s->value);
          MarkLine(s->loc);
          EmitABC(Op::ITERPREP, it, src);
          uint32_t loop = Here();
          uint32_t next = EmitABCX(Op::ITERNEXT, it, var, 0, 0);
          fn_.locals.push_back({s->name, var});
          if (!s->index_name.empty()) {
            uint32_t idx = AllocReg(s->loc);
            EmitABC(Op::ITERINDEX, idx, it);
            fn_.locals.push_back({s->index_name, idx});
          }
          if (s->cond) {
            uint32_t t = AllocReg(s->cond->loc);
            EmitExpr(s->cond, t);
            PatchJump(EmitJump(Op::JMPIFNOT, t), loop);
            FreeTo(t);
          }
          std::map<std::string, SourceLocation> loop_keys = *set_keys;
          LowerStmts(s->then_block, obj, slots, &loop_keys);
          fn_.locals.pop_back();
          if (!s->index_name.empty()) fn_.locals.pop_back();
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
            StaticType vt = EmitExpr(s->value, t);
            if (vt != StaticType::kUnknown && vt != StaticType::kObject) {
              sink_.Error(s->value->loc, DiagCode::E0306, "`...` spreads the fields of an object, not " + A(vt));
            }
            MarkLine(s->loc);
            EmitABC(Op::MERGE, obj, t);
          });
          break;
        case StmtKind::kReturn: {
          if (!fn_.in_def_block) {
            sink_.Error(s->loc, DiagCode::E0209, "`return` is only allowed in the body of a map or function");
            break;
          }
          uint32_t t = AllocReg(s->loc);
          EmitExpr(s->value, t);
          MarkLine(s->loc);
          EmitABC(Op::RET, t);
          FreeTo(t);
          returned = true;
          break;
        }
      }
      FreeTo(reg_mark);
    }
    fn_.locals.resize(locals_mark);
  }

  void LowerField(Stmt* s, uint32_t obj, const std::vector<AppendSlot>& slots,
                  std::map<std::string, SourceLocation>* set_keys) {
    if (!s->append && !s->cond) {
      auto [it, inserted] = set_keys->emplace(s->name, s->loc);
      if (!inserted) {
        sink_.Error(s->loc, DiagCode::E0210,
                    "field '" + s->name + "' is already set at line " + std::to_string(it->second.line) +
                        " (use `if` to choose between values, or `??`)");
      }
    }
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
  bool IsCompileTimeText(const Expr* e) const {
    if (e->kind == ExprKind::kString || e->kind == ExprKind::kNull || e->kind == ExprKind::kInt ||
        e->kind == ExprKind::kDecimal || e->kind == ExprKind::kBool) {
      return true;
    }
    if (e->kind == ExprKind::kName && !FindLocal(e->text)) {
      const Expr* c = FindConst(e->text);
      return c != nullptr && (c->kind == ExprKind::kString || c->kind == ExprKind::kNull);
    }
    return false;
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

  void CheckIterable(StaticType t, const Expr* e) {
    if (t == StaticType::kNumber || t == StaticType::kBool || t == StaticType::kString ||
        t == StaticType::kObject) {
      sink_.Error(e->loc, DiagCode::E0302, "cannot loop over " + A(t) + " (a loop needs an array, "
                                   "a repeating HL7 v2 field, segments or groups)");
    }
  }

  // "a string", "an object".
  static std::string A(StaticType t) {
    std::string n = TypeName(t);
    return (n[0] == 'a' || n[0] == 'o' ? "an " : "a ") + n;
  }
  static std::string TypeName(StaticType t) {
    switch (t) {
      case StaticType::kString: return "string";
      case StaticType::kNumber: return "number";
      case StaticType::kBool: return "boolean";
      case StaticType::kNull: return "null";
      case StaticType::kObject: return "object";
      case StaticType::kArray: return "array";
      default: return "value";
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Expressions: EmitExpr(e, dst) leaves e's value in R[dst] and returns what is known of its type.
  StaticType EmitExpr(Expr* e, uint32_t dst) {
    MarkLine(e->loc);
    StaticType t = EmitExprInner(e, dst);
    e->type = t;
    return t;
  }

  StaticType EmitExprInner(Expr* e, uint32_t dst) {
    switch (e->kind) {
      case ExprKind::kInt:
        if (e->ival >= INT16_MIN && e->ival <= INT16_MAX) {
          EmitAD(Op::LOADI, dst, static_cast<int32_t>(e->ival));
        } else {
          LoadConst(dst, Constant{Constant::Tag::kInt, e->ival, 0, {}});
        }
        return StaticType::kNumber;
      case ExprKind::kDecimal:
        LoadConst(dst, Constant{Constant::Tag::kDecimal, e->ival, e->scale, {}});
        return StaticType::kNumber;
      case ExprKind::kString:
        LoadConst(dst, Constant{Constant::Tag::kString, 0, 0, e->text});
        return StaticType::kString;
      case ExprKind::kBool: EmitABC(Op::LOADB, dst, e->ival ? 1 : 0); return StaticType::kBool;
      case ExprKind::kNull: {
        Constant c;
        LoadConst(dst, c);
        return StaticType::kNull;
      }
      case ExprKind::kTemplate: {
        // parts → R[base..base+n-1]; CONCAT dst base n
        uint32_t base = fn_.next_reg;
        if (e->kids.size() > kMaxTemplateParts) {
          sink_.Error(e->loc, DiagCode::E0211, "string has more than " + std::to_string(kMaxTemplateParts) +
                                           " parts (text and ${} together); build it in steps with let");
          return StaticType::kString;
        }
        for (Expr* k : e->kids) EmitExpr(k, AllocReg(k->loc));
        MarkLine(e->loc);
        EmitABC(Op::CONCAT, dst, base, static_cast<uint32_t>(e->kids.size()));
        FreeTo(base);
        return StaticType::kString;
      }
      case ExprKind::kName: return EmitName(e, dst);
      case ExprKind::kMember: return EmitMember(e, dst);
      case ExprKind::kField:
      case ExprKind::kComponent:
      case ExprKind::kIndex: return EmitPath(e, dst);
      case ExprKind::kCall: return EmitCall(e, dst);
      case ExprKind::kNeg: {
        uint32_t mark = fn_.next_reg;
        uint32_t t = ExprToReg(e->kids[0]);
        CheckArithmeticOperand(e->kids[0], /*literal=*/true);  // literals: checked by folding
        MarkLine(e->loc);
        EmitABC(Op::NEG, dst, t);
        FreeTo(mark);
        return StaticType::kNumber;
      }
      case ExprKind::kNot: {
        uint32_t mark = fn_.next_reg;
        uint32_t t = ExprToReg(e->kids[0]);
        EmitABC(Op::NOT, dst, t);
        FreeTo(mark);
        return StaticType::kBool;
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
        return StaticType::kBool;
      }
      case ExprKind::kCoalesce: {
        // a → dst; JMPPRESENT dst end; b → dst; end:
        StaticType ta = EmitExpr(e->kids[0], dst);
        uint32_t j = EmitJump(Op::JMPPRESENT, dst);
        StaticType tb = EmitExpr(e->kids[1], dst);
        PatchJump(j, Here());
        return ta == tb ? ta : StaticType::kUnknown;
      }
      case ExprKind::kCond: {
        // c → dst; JMPIFNOT dst else; a → dst; JMP end; else: b → dst; end:
        EmitExpr(e->kids[0], dst);
        uint32_t jf = EmitJump(Op::JMPIFNOT, dst);
        StaticType ta = EmitExpr(e->kids[1], dst);
        uint32_t jend = EmitJump(Op::JMP);
        PatchJump(jf, Here());
        StaticType tb = EmitExpr(e->kids[2], dst);
        PatchJump(jend, Here());
        return ta == tb ? ta : StaticType::kUnknown;
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
        CheckIterable(EmitIterable(e->kids[0], src), e->kids[0]);
        MarkLine(e->loc);
        EmitABC(Op::NEWARR, dst);
        EmitABC(Op::ITERPREP, it, src);
        uint32_t loop = Here();
        uint32_t next = EmitABCX(Op::ITERNEXT, it, var, 0, 0);
        fn_.locals.push_back({e->text, var});
        if (!e->ns.empty()) {
          uint32_t idx = AllocReg(e->loc);
          EmitABC(Op::ITERINDEX, idx, it);
          fn_.locals.push_back({e->ns, idx});
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
        fn_.locals.pop_back();
        if (!e->ns.empty()) fn_.locals.pop_back();
        FreeTo(mark);
        return StaticType::kArray;
      }
      case ExprKind::kMatch: {
        // s → S; for each arm: EQ t S K; JMPIF t body; ...; JMP next; body: v → dst; JMP end; next: ...
        // no `_` arm: LOADNIL dst.  end:
        uint32_t mark = fn_.next_reg;
        uint32_t subject = ExprToReg(e->kids[0]);
        uint32_t t = AllocReg(e->loc);
        std::vector<uint32_t> to_end;
        bool has_default = false;
        for (MatchArm& arm : e->arms) {
          MarkLine(arm.loc);
          if (arm.patterns.empty()) {
            has_default = true;
            EmitExpr(arm.value, dst);
            break;
          }
          std::vector<uint32_t> to_body;
          for (Expr* p : arm.patterns) {
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
        return StaticType::kUnknown;
      }
      case ExprKind::kArray: {
        // NEWARR dst; item → t; APPENDP dst t; ...
        // APPENDP keeps an HL7 v2 field or component as a place in the message (`[pl.4, pl.1]`: `hd.1` of
        // an item reads the component), where APPEND (`key[]:`, building output) reads it as text.
        EmitABC(Op::NEWARR, dst);
        uint32_t t = AllocReg(e->loc);
        for (Expr* k : e->kids) {
          EmitExpr(k, t);
          EmitABC(Op::APPENDP, dst, t);
        }
        FreeTo(t);
        return StaticType::kArray;
      }
      case ExprKind::kObject: {
        // NEWOBJ dst; statements into dst
        EmitABC(Op::NEWOBJ, dst);
        bool saved = fn_.in_def_block;
        fn_.in_def_block = false;  // `return` inside an object literal is not a function return
        LowerObjectBody(e->block, dst);
        fn_.in_def_block = saved;
        return StaticType::kObject;
      }
    }
    return StaticType::kUnknown;
  }

  // Like EmitExpr, for a value that is iterated (`for … in e`, count(e), last(e)): a segment name then means
  // every segment of that id in the scope (V2SEGS), not the first one (V2SEG).
  // A segment name (PID, or scope.PID) that is not a local, constant or the input.
  bool IsSegmentReference(const Expr* e) const {
    if (e->kind == ExprKind::kName) {
      return IsSegmentName(e->text) && !FindLocal(e->text) && !FindConst(e->text) && !IsInputName(e->text);
    }
    return e->kind == ExprKind::kMember && IsSegmentName(e->text);
  }

  StaticType EmitIterable(Expr* e, uint32_t dst) {
    if (!IsSegmentReference(e)) return EmitExpr(e, dst);
    bool bare = e->kind == ExprKind::kName;
    MarkLine(e->loc);
    CheckSegment(e->text, e->loc);
    uint32_t mark = fn_.next_reg;
    uint32_t scope = dst;
    if (bare) {
      EmitABC(Op::INPUT, dst);
    } else {
      scope = ExprToReg(e->kids[0]);
    }
    MarkLine(e->loc);
    EmitABCX(Op::V2SEGS, dst, scope, 0, KeyOperand(e->text));
    FreeTo(mark);
    e->type = StaticType::kV2Segments;
    return StaticType::kV2Segments;
  }

  // Evaluates e into a register: a local's own register when e is a local name, else a new temporary
  // (the caller frees with FreeTo).
  uint32_t ExprToReg(Expr* e) {
    if (e->kind == ExprKind::kName) {
      if (auto r = FindLocal(e->text)) {
        e->type = StaticType::kUnknown;
        return *r;
      }
    }
    uint32_t r = AllocReg(e->loc);
    EmitExpr(e, r);
    return r;
  }

  // Replaces names of constants already defined (in this module or its imports) by their values, so that a
  // constant can be built from others: const BASE = "http://x/"; const MAP = "${BASE}cm".
  // Each copy of a string counts against the folding budget (a template may name one constant many times).
  // Returns true when a constant used was itself in error (so its user is not reported again).
  bool SubstituteConsts(Expr* e) {
    bool recovered = false;
    for (Expr* k : e->kids) recovered |= SubstituteConsts(k);
    if (e->kind == ExprKind::kName) {
      if (const Expr* c = FindConst(e->text)) {
        SourceLocation loc = e->loc;
        if (!budget_.Take(c->text.size())) {
          ReportFoldBudgetExceeded(loc, sink_, budget_);
          e->kind = ExprKind::kNull;
          e->recovered = true;
          return true;
        }
        *e = *c;
        e->loc = loc;
        recovered |= c->recovered;
      }
    }
    return recovered;
  }

  // A module constant visible from the current unit (its own, then its imports'), or null.
  const Expr* FindConst(const std::string& name) const {
    auto own = consts_by_unit_.find(fn_.unit);
    if (own != consts_by_unit_.end()) {
      auto it = own->second.find(name);
      if (it != own->second.end()) return it->second;
    }
    for (int imp : units_[fn_.unit].imports) {
      auto jt = consts_by_unit_.find(imp);
      if (jt == consts_by_unit_.end()) continue;
      auto it = jt->second.find(name);
      if (it != jt->second.end()) return it->second;
    }
    return nullptr;
  }

  StaticType EmitName(Expr* e, uint32_t dst) {
    if (auto r = FindLocal(e->text)) {
      if (*r != dst) EmitABC(Op::MOVE, dst, *r);
      return StaticType::kUnknown;
    }
    if (const Expr* c = FindConst(e->text)) {
      Expr copy = *c;
      copy.loc = e->loc;
      return EmitExprInner(&copy, dst);
    }
    if (IsInputName(e->text)) {
      EmitABC(Op::INPUT, dst);
      return InputType();
    }
    if (IsSegmentName(e->text)) {
      CheckSegment(e->text, e->loc);
      EmitABC(Op::INPUT, dst);
      EmitABCX(Op::V2SEG, dst, dst, 0, KeyOperand(e->text));
      return StaticType::kV2Segment;
    }
    if (IsGroupName(e->text)) {
      CheckGroup(e->text, e->loc);
      EmitABC(Op::INPUT, dst);
      EmitABCX(Op::V2GROUPS, dst, dst, 0, KeyOperand(e->text));
      return StaticType::kV2Groups;
    }
    sink_.Error(e->loc, DiagCode::E0212, "undefined name '" + e->text + "'" + NameHint(e->text));
    return StaticType::kUnknown;
  }

  std::string NameHint(const std::string& name) const {
    std::string best;
    size_t best_d = 3;
    auto consider = [&](const std::string& cand) {
      size_t d = EditDistance(name, cand);
      if (d < best_d && d > 0) {
        best_d = d;
        best = cand;
      }
    };
    for (const Local& l : fn_.locals) consider(l.name);
    if (!best.empty()) return " (did you mean '" + best + "'?)";
    return "";
  }

  static size_t EditDistance(const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  }

  StaticType InputType() const {
    if (fn_.map == nullptr) return StaticType::kUnknown;
    return fn_.map->source == DataKind::kHl7v2 ? StaticType::kV2Scope : StaticType::kUnknown;
  }

  // `segment ZPI { 1: a, 2: b }` of every module: checked and recorded for the whole program.
  void DeclareSegments() {
    std::map<std::string, const SegmentDecl*> declared;
    for (const ModuleUnit& unit : units_) {
      for (const SegmentDecl& d : unit.module.segments) {
        if (d.word != "segment") {
          sink_.Error(d.word_loc, DiagCode::E0104,
                      "unexpected '" + d.word + "' (a declaration starts with import, map, def, const or segment)");
          continue;
        }
        if (!hl7v2::IsZSegment(d.name)) {
          sink_.Error(d.loc, DiagCode::E0225,
                      "only Z-segments can be declared ('" + d.name + "' is not Z followed by two letters or digits;"
                      " standard segments come from the HL7 v2.5.1 schema)");
          continue;
        }
        if (auto it = declared.find(d.name); it != declared.end()) {
          sink_.Error(d.loc, DiagCode::E0225,
                      "segment " + d.name + " is declared twice (first at line " + std::to_string(it->second->loc.line) + ")");
          continue;
        }
        std::set<int64_t> numbers;
        std::set<std::string> names;
        bool ok = true;
        for (const SegmentDecl::Field& f : d.fields) {
          if (f.number < 1 || f.number > static_cast<int64_t>(bytecode::kMaxV2Field)) {
            sink_.Error(f.loc, DiagCode::E0225, "field number must be between 1 and 4095");
            ok = false;
          } else if (!numbers.insert(f.number).second) {
            sink_.Error(f.loc, DiagCode::E0225, d.name + " field " + std::to_string(f.number) + " is declared twice");
            ok = false;
          } else if (!names.insert(f.name).second) {
            sink_.Error(f.loc, DiagCode::E0225, d.name + " field name '" + f.name + "' is used twice");
            ok = false;
          }
        }
        declared[d.name] = &d;
        if (ok) z_segments_[d.name] = &d;
      }
    }
    // A declaration with errors still counts as declared: no W0002 or E0217 on top of its own errors.
    for (const auto& [name, decl] : declared) z_segments_.emplace(name, nullptr);
  }

  // The highest field number a declared Z-segment has; 0 when undeclared (or declared with errors).
  int64_t DeclaredFieldCount(const std::string& id) const {
    auto it = z_segments_.find(id);
    if (it == z_segments_.end() || it->second == nullptr) return 0;
    int64_t n = 0;
    for (const SegmentDecl::Field& f : it->second->fields) n = std::max(n, f.number);
    return n;
  }

  void CheckSegment(const std::string& id, SourceLocation loc) {
    if (hl7v2::IsZSegment(id)) {
      if (warn_undeclared_z_ && !z_segments_.count(id) && warned_z_.insert(id).second) {
        sink_.Warning(loc, DiagCode::W0002,
                      "Z-segment " + id + " is not declared (declare its fields: segment " + id +
                          " { 1: name, ... }); a misspelt segment reads nothing");
      }
      return;
    }
    if (hl7v2::FindSegment(id) != nullptr) return;
    sink_.Error(loc, DiagCode::E0213, "unknown HL7 v2 segment '" + id + "' (Z-segments start with Z)");
  }

  void CheckGroup(const std::string& name, SourceLocation loc) {
    if (KnownGroupNames().count(name)) return;
    sink_.Error(loc, DiagCode::E0214, "unknown HL7 v2 segment group '" + name + "'");
  }

  StaticType EmitMember(Expr* e, uint32_t dst) {
    Expr* base = e->kids[0];
    const std::string& name = e->text;
    uint32_t mark = fn_.next_reg;
    uint32_t b = ExprToReg(base);
    StaticType bt = base->type;
    if (bt == StaticType::kString || bt == StaticType::kNumber || bt == StaticType::kBool) {
      sink_.Error(e->loc, DiagCode::E0303, A(bt) + " has no member '" + name + "'");
    }
    StaticType result = StaticType::kUnknown;
    if (IsSegmentName(name) && bt != StaticType::kObject) {
      CheckSegment(name, e->loc);
      EmitABCX(Op::V2SEG, dst, b, 0, KeyOperand(name));
      result = StaticType::kV2Segment;
    } else if (IsGroupName(name) && bt != StaticType::kObject && KnownGroupNames().count(name)) {
      EmitABCX(Op::V2GROUPS, dst, b, 0, KeyOperand(name));
      result = StaticType::kV2Groups;
    } else {
      EmitABCX(Op::GETK, dst, b, 0, KeyOperand(name));
    }
    FreeTo(mark);
    return result;
  }

  // HL7 v2 paths. A chain Field[rep].comp.sub with constant parts becomes one V2FIELD; anything else
  // uses the generic instructions (GETI, V2COMP).
  StaticType EmitPath(Expr* e, uint32_t dst) {
    // Unwind the chain: components (outermost first), an optional constant index, a field.
    std::vector<int64_t> comps;
    Expr* cur = e;
    while (cur->kind == ExprKind::kComponent) {
      comps.insert(comps.begin(), cur->ival);
      cur = cur->kids[0];
    }
    if (comps.size() > 2 && (cur->kind == ExprKind::kField ||
                             (cur->kind == ExprKind::kIndex && cur->kids[0]->kind == ExprKind::kField))) {
      sink_.Error(e->loc, DiagCode::E0216, "an HL7 v2 path has at most a component and a subcomponent (PID-3.4.1)");
      return StaticType::kUnknown;
    }
    if (comps.size() > 3) {
      sink_.Error(e->loc, DiagCode::E0216, "an HL7 v2 path goes at most three levels below a segment (seg.3.4.1)");
      return StaticType::kUnknown;
    }
    int64_t rep = 0;
    if (cur->kind == ExprKind::kIndex && cur->kids[1]->kind == ExprKind::kInt && cur->kids[0]->kind == ExprKind::kField) {
      rep = cur->kids[1]->ival;
      cur = cur->kids[0];
    }
    if (cur->kind == ExprKind::kField) {
      return EmitField(cur, rep, comps.size() > 0 ? comps[0] : 0, comps.size() > 1 ? comps[1] : 0, e->loc, dst);
    }
    // Generic forms.
    uint32_t mark = fn_.next_reg;
    if (e->kind == ExprKind::kComponent) {
      uint32_t b = ExprToReg(e->kids[0]);
      if (e->ival < 1 || e->ival > 255) {
        sink_.Error(e->loc, DiagCode::E0215, "component number must be between 1 and 255");
      }
      StaticType bt = e->kids[0]->type;
      if (bt == StaticType::kString || bt == StaticType::kNumber || bt == StaticType::kBool ||
          bt == StaticType::kObject || bt == StaticType::kArray) {
        sink_.Error(e->loc, DiagCode::E0303, A(bt) + " has no HL7 v2 component ." + std::to_string(e->ival));
      }
      MarkLine(e->loc);
      EmitABC(Op::V2COMP, dst, b, static_cast<uint32_t>(e->ival & 0xFF));
      FreeTo(mark);
      return StaticType::kV2Node;
    }
    if (e->kind == ExprKind::kIndex && IsSegmentReference(e->kids[0])) {
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
      return StaticType::kV2Segment;
    }
    if (e->kind == ExprKind::kIndex) {
      uint32_t a = ExprToReg(e->kids[0]);
      uint32_t i = ExprToReg(e->kids[1]);
      StaticType it = e->kids[1]->type;
      if (it == StaticType::kBool || it == StaticType::kObject || it == StaticType::kArray) {
        sink_.Error(e->kids[1]->loc, DiagCode::E0304, "an index must be a number or a string, not " + A(it));
      }
      MarkLine(e->loc);
      EmitABC(Op::GETI, dst, a, i);
      FreeTo(mark);
      return StaticType::kUnknown;
    }
    // kField with more than two components.
    sink_.Error(e->loc, DiagCode::E0216, "an HL7 v2 path has at most a component and a subcomponent (PID-3.4.1)");
    return StaticType::kUnknown;
  }

  // scope → s; V2SEG s s "PID"; V2FIELD dst s path
  StaticType EmitField(Expr* f, int64_t rep, int64_t comp, int64_t sub, SourceLocation loc, uint32_t dst) {
    const std::string& seg = f->text;
    CheckSegment(seg, f->loc);
    if (int64_t declared = DeclaredFieldCount(seg); declared > 0 && f->ival > declared) {
      const SegmentDecl* d = z_segments_.at(seg);
      sink_.Error(f->loc, DiagCode::E0217,
                  seg + " has no field " + std::to_string(f->ival) + " (its declaration at line " +
                      std::to_string(d->loc.line) + " has fields up to " + std::to_string(declared) + ")");
    }
    if (const hl7v2::SegmentDef* def = hl7v2::FindSegment(seg)) {
      if (f->ival > def->field_count() && !hl7v2::IsZSegment(seg)) {
        sink_.Error(f->loc, DiagCode::E0217,
                    seg + " has no field " + std::to_string(f->ival) + " (it has " +
                        std::to_string(def->field_count()) + " fields)");
      }
    }
    if (f->ival < 1 || f->ival > static_cast<int64_t>(bytecode::kMaxV2Field)) {
      sink_.Error(f->loc, DiagCode::E0217, "field number must be between 1 and 4095");
    }
    if (rep < 0 || rep > static_cast<int64_t>(bytecode::kMaxV2Rep) || (rep == 0 && false)) {
      sink_.Error(loc, DiagCode::E0218, "repetition must be between 1 and 255 (use a loop for more)");
    }
    if (comp < 0 || comp > static_cast<int64_t>(bytecode::kMaxV2Comp) || sub < 0 ||
        sub > static_cast<int64_t>(bytecode::kMaxV2Sub)) {
      sink_.Error(loc, DiagCode::E0215, "component and subcomponent numbers must be between 1 and 63");
    }
    uint32_t mark = fn_.next_reg;
    uint32_t s = AllocReg(f->loc);
    if (f->kids.empty()) {
      EmitABC(Op::INPUT, s);
    } else {
      uint32_t b = ExprToReg(f->kids[0]);
      if (b != s) EmitABC(Op::MOVE, s, b);
    }
    MarkLine(f->loc);
    EmitABCX(Op::V2SEG, s, s, 0, KeyOperand(seg));
    bytecode::V2Path path{static_cast<uint32_t>(f->ival) & 0xFFF, static_cast<uint32_t>(rep) & 0xFF,
                          static_cast<uint32_t>(comp) & 0x3F, static_cast<uint32_t>(sub) & 0x3F};
    MarkLine(loc);
    EmitABCX(Op::V2FIELD, dst, s, 0, bytecode::PackV2Path(path));
    FreeTo(mark);
    return StaticType::kV2Node;
  }

  // E0301 for an operand of + - * / % or unary - that cannot be a number: what lowering learned of its type
  // (literals were checked by constant folding). HL7 v2 values are always text.
  void CheckArithmeticOperand(const Expr* x, bool literal) {
    if (x->type == StaticType::kV2Node || x->type == StaticType::kV2Segment) {
      sink_.Error(x->loc, DiagCode::E0301,
                  std::string("arithmetic on an HL7 v2 ") + (x->type == StaticType::kV2Segment ? "segment" : "value") +
                      ", which is text (read the number with decimal() or integer())");
    } else if (!literal && (x->type == StaticType::kString || x->type == StaticType::kBool ||
                            x->type == StaticType::kObject || x->type == StaticType::kArray)) {
      sink_.Error(x->loc, DiagCode::E0301, "arithmetic on " + A(x->type) + " (use decimal() to read a number from text)");
    }
  }

  StaticType EmitBinary(Expr* e, uint32_t dst) {
    uint32_t mark = fn_.next_reg;
    Expr* a = e->kids[0];
    Expr* b = e->kids[1];
    BinOp op = e->op;
    // a > b is b < a; a >= b is b <= a.
    if (op == BinOp::kGt || op == BinOp::kGe) {
      std::swap(a, b);
      op = op == BinOp::kGt ? BinOp::kLt : BinOp::kLe;
    }
    uint32_t ra = ExprToReg(a);
    uint32_t rb = ExprToReg(b);
    for (Expr* x : {a, b}) {
      bool arithmetic = op <= BinOp::kMod;
      // Literal operands were checked by constant folding; here only what lowering learned.
      bool literal = x->kind == ExprKind::kString || x->kind == ExprKind::kTemplate || x->kind == ExprKind::kBool ||
                     x->kind == ExprKind::kNull || x->kind == ExprKind::kObject || x->kind == ExprKind::kArray ||
                     x->kind == ExprKind::kAnd || x->kind == ExprKind::kOr || x->kind == ExprKind::kNot ||
                     x->kind == ExprKind::kFor || x->kind == ExprKind::kBinary;
      if (arithmetic) CheckArithmeticOperand(x, literal);
    }
    MarkLine(e->loc);
    Op code = Op::ADD;
    StaticType result = StaticType::kNumber;
    switch (op) {
      case BinOp::kAdd: code = Op::ADD; break;
      case BinOp::kSub: code = Op::SUB; break;
      case BinOp::kMul: code = Op::MUL; break;
      case BinOp::kDiv: code = Op::DIV; break;
      case BinOp::kMod: code = Op::MOD; break;
      case BinOp::kEq: code = Op::EQ; result = StaticType::kBool; break;
      case BinOp::kNe: code = Op::NE; result = StaticType::kBool; break;
      case BinOp::kLt: code = Op::LT; result = StaticType::kBool; break;
      default: code = Op::LE; result = StaticType::kBool; break;
    }
    EmitABC(code, dst, ra, rb);
    FreeTo(mark);
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Calls: user functions, built-ins, and the terminology intrinsics.
  StaticType EmitCall(Expr* e, uint32_t dst) {
    const std::string& name = e->text;
    size_t n = e->kids.size();
    if (e->ns.empty()) {
      if (name == "translate" || name == "translate_coding") return EmitTranslate(e, dst);
      if (name == "lookup" || name == "member") return EmitTermCall(e, dst);
      if (name == "subsumes") return EmitSubsumes(e, dst);
      if (name == "direct") return EmitDirect(e, dst);
    }
    std::optional<uint32_t> fn = ResolveFunction(e);
    int builtin = e->ns.empty() && !fn ? FindBuiltin(name) : -1;
    if (!fn && builtin < 0) {
      if (!e->ns.empty()) {
        sink_.Error(e->loc, DiagCode::E0204, "module '" + e->ns + "' has no function '" + name + "' (or is not imported)");
      } else {
        sink_.Error(e->loc, DiagCode::E0204, "unknown function '" + name + "'" + FunctionHint(name));
      }
      return StaticType::kUnknown;
    }
    if (fn) {
      const DefDecl* d = functions_[*fn].def;
      if (d->params.size() != n) {
        sink_.Error(e->loc, DiagCode::E0205,
                    "'" + name + "' takes " + std::to_string(d->params.size()) + " argument" +
                        (d->params.size() == 1 ? "" : "s") + ", not " + std::to_string(n));
        return StaticType::kUnknown;
      }
    } else {
      const auto& info = bytecode::kBuiltinInfo[builtin];
      if (n < info.min_args || n > info.max_args) {
        std::string want = info.min_args == info.max_args
                               ? std::to_string(info.min_args)
                               : std::to_string(info.min_args) + " to " + std::to_string(info.max_args);
        sink_.Error(e->loc, DiagCode::E0205, "'" + name + "' takes " + want + " argument" +
                                         (info.max_args == 1 ? "" : "s") + ", not " + std::to_string(n));
        return StaticType::kUnknown;
      }
    }
    // args → R[base..base+n-1]; CALL/CALLB dst base n F
    // An argument a builtin reads as a collection (builtins.def, ITER) is evaluated as a loop source is.
    uint32_t base = fn_.next_reg;
    uint32_t iterable_args = fn ? 0 : bytecode::kBuiltinInfo[builtin].iterable_args;
    for (size_t i = 0; i < n; ++i) {
      Expr* k = e->kids[i];
      uint32_t r = AllocReg(k->loc);
      if (i < 32 && ((iterable_args >> i) & 1u) != 0) {
        EmitIterable(k, r);
      } else {
        EmitExpr(k, r);
      }
    }
    MarkLine(e->loc);
    if (fn) {
      EmitABCX(Op::CALL, dst, base, static_cast<uint32_t>(n), *fn);
    } else {
      EmitABCX(Op::CALLB, dst, base, static_cast<uint32_t>(n), static_cast<uint32_t>(builtin));
    }
    FreeTo(base);
    if (fn) return functions_[*fn].def->body ? StaticType::kObject : StaticType::kUnknown;
    return BuiltinType(bytecode::kBuiltinInfo[builtin].result);
  }

  // What builtins.def declares of a builtin's result, as the checker's static type.
  static StaticType BuiltinType(bytecode::BuiltinResult result) {
    switch (result) {
      case bytecode::BuiltinResult::kBool: return StaticType::kBool;
      case bytecode::BuiltinResult::kNumber: return StaticType::kNumber;
      case bytecode::BuiltinResult::kArray: return StaticType::kArray;
      case bytecode::BuiltinResult::kAny: break;
    }
    return StaticType::kUnknown;
  }

  std::string FunctionHint(const std::string& name) const {
    std::string best;
    size_t best_d = 3;
    auto consider = [&](std::string_view cand) {
      size_t d = EditDistance(name, std::string(cand));
      if (d < best_d && d > 0) {
        best_d = d;
        best = std::string(cand);
      }
    };
    for (uint32_t i = 0; i < bytecode::kBuiltinCount; ++i) consider(bytecode::kBuiltinInfo[i].name);
    auto it = defs_by_unit_.find(fn_.unit);
    if (it != defs_by_unit_.end()) {
      for (const auto& [n, idx] : it->second) consider(n);
    }
    for (int imp : units_[fn_.unit].imports) {
      auto jt = defs_by_unit_.find(imp);
      if (jt == defs_by_unit_.end()) continue;
      for (const auto& [n, idx] : jt->second) consider(n);
    }
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
  }

  // Visible functions: the unit's own defs, then those of its imports (unqualified), or of the import
  // named by the call's namespace.
  std::optional<uint32_t> ResolveFunction(const Expr* e) const {
    const ModuleUnit& unit = units_[fn_.unit];
    auto lookup = [&](int u) -> std::optional<uint32_t> {
      auto it = defs_by_unit_.find(u);
      if (it == defs_by_unit_.end()) return std::nullopt;
      auto jt = it->second.find(e->text);
      if (jt == it->second.end()) return std::nullopt;
      return jt->second;
    };
    if (!e->ns.empty()) {
      for (size_t i = 0; i < unit.imports.size(); ++i) {
        if (unit.aliases[i] == e->ns) return lookup(unit.imports[i]);
      }
      return std::nullopt;
    }
    if (auto f = lookup(fn_.unit)) return f;
    std::optional<uint32_t> found;
    for (int imp : unit.imports) {
      if (auto f = lookup(imp)) {
        if (found && *found != *f) {
          sink_.Error(e->loc, DiagCode::E0219,
                      "'" + e->text + "' is defined in more than one imported module; qualify it (module.name)");
          return found;
        }
        found = f;
      }
    }
    return found;
  }

  std::optional<std::string> StringLiteralArg(Expr* e, size_t i, const char* what) {
    if (i >= e->kids.size()) return std::nullopt;
    Expr* a = e->kids[i];
    if (a->kind == ExprKind::kName && !FindLocal(a->text)) {
      if (const Expr* c = FindConst(a->text)) {
        if (c->kind == ExprKind::kString) return c->text;
        if (c->recovered) return std::nullopt;  // its definition was already reported
      }
    }
    if (a->kind != ExprKind::kString) {
      sink_.Error(a->loc, DiagCode::E0220, std::string(what) + " must be a string literal (it is bound when the program loads)");
      return std::nullopt;
    }
    return a->text;
  }

  // direct(NTE), direct(group.NTE): the segments held by the group itself, not by its child groups.
  //   scope → s; V2DIRECT dst s "NTE"
  StaticType EmitDirect(Expr* e, uint32_t dst) {
    if (e->kids.size() != 1 || !IsSegmentReference(e->kids[0])) {
      sink_.Error(e->loc, DiagCode::E0205, "'direct' takes one segment name, e.g. direct(NTE) or direct(order.NTE)");
      return StaticType::kUnknown;
    }
    Expr* seg = e->kids[0];
    CheckSegment(seg->text, seg->loc);
    uint32_t mark = fn_.next_reg;
    uint32_t scope = dst;
    if (seg->kind == ExprKind::kName) {
      EmitABC(Op::INPUT, dst);
    } else {
      scope = ExprToReg(seg->kids[0]);
    }
    MarkLine(e->loc);
    EmitABCX(Op::V2DIRECT, dst, scope, 0, KeyOperand(seg->text));
    FreeTo(mark);
    return StaticType::kV2Segments;
  }

  // translate(code, "map-url" [, "policy"]) → TRANSLATE dst code C=policy T[map]
  StaticType EmitTranslate(Expr* e, uint32_t dst) {
    size_t n = e->kids.size();
    if (n < 2 || n > 3) {
      sink_.Error(e->loc, DiagCode::E0205, "'" + e->text + "' takes 2 or 3 arguments (code, concept map URL, [policy]), not " +
                                       std::to_string(n));
      return StaticType::kUnknown;
    }
    auto url = StringLiteralArg(e, 1, "the concept map URL");
    uint32_t policy = static_cast<uint32_t>(bytecode::UnmappedPolicy::kAbsent);
    // The third argument: the policy, or an options object { unmapped, equivalence, depends_on,
    // source_system, target_system } (TRANSLATEX).
    Expr* options = n == 3 && e->kids[2]->kind == ExprKind::kObject ? e->kids[2] : nullptr;
    if (options) {
      if (!CheckTranslateOptions(options, &policy)) return StaticType::kUnknown;
    } else if (n == 3) {
      auto p = StringLiteralArg(e, 2, "the unmapped-code policy (or an options object)");
      if (p) ParsePolicy(*p, e->kids[2]->loc, &policy);
    }
    if (!url) return StaticType::kUnknown;
    if (e->text == "translate_coding") policy |= bytecode::kTranslateWantCoding;
    uint32_t mark = fn_.next_reg;
    uint32_t ref = TermRef(bytecode::TermRef::Type::kConceptMap, *url);
    if (options) {
      uint32_t code = AllocReg(e->loc);  // the pair R[code], R[code + 1]
      uint32_t opts = AllocReg(e->loc);
      EmitExpr(e->kids[0], code);
      EmitExpr(options, opts);
      MarkLine(e->loc);
      EmitABCX(Op::TRANSLATEX, dst, code, policy, ref);
    } else {
      uint32_t code = ExprToReg(e->kids[0]);
      MarkLine(e->loc);
      EmitABCX(Op::TRANSLATE, dst, code, policy, ref);
    }
    FreeTo(mark);
    return e->text == "translate_coding" ? StaticType::kObject : StaticType::kUnknown;
  }

  void ParsePolicy(const std::string& p, SourceLocation loc, uint32_t* policy) {
    if (p == "absent") *policy = static_cast<uint32_t>(bytecode::UnmappedPolicy::kAbsent);
    else if (p == "keep") *policy = static_cast<uint32_t>(bytecode::UnmappedPolicy::kKeep);
    else if (p == "warn") *policy = static_cast<uint32_t>(bytecode::UnmappedPolicy::kWarn);
    else if (p == "error") *policy = static_cast<uint32_t>(bytecode::UnmappedPolicy::kError);
    else {
      sink_.Error(loc, DiagCode::E0221,
                  "unknown unmapped-code policy '" + p + "' (use \"absent\", \"keep\", \"warn\" or \"error\")");
    }
  }

  // The options object of translate: plain `key: value` fields of known keys; `unmapped` a policy literal
  // (compiled into the instruction; the runtime skips the member); `equivalence` codes checked when literal.
  bool CheckTranslateOptions(Expr* options, uint32_t* policy) {
    static constexpr std::string_view kKeys[] = {"unmapped", "equivalence", "depends_on", "source_system",
                                                 "target_system"};
    bool ok = true;
    for (Stmt* st : options->block->stmts) {
      bool known = std::find(std::begin(kKeys), std::end(kKeys), st->name) != std::end(kKeys);
      if (st->kind != StmtKind::kField || st->append || st->cond || !known) {
        sink_.Error(st->loc, DiagCode::E0205,
                    "translate options take only the fields unmapped, equivalence, depends_on, source_system and "
                    "target_system");
        ok = false;
        continue;
      }
      if (st->name == "unmapped") {
        if (st->value->kind != ExprKind::kString) {
          sink_.Error(st->value->loc, DiagCode::E0220,
                      "'unmapped' must be a string literal (absent, keep, warn or error; it is compiled into the call)");
          ok = false;
        } else {
          ParsePolicy(st->value->text, st->value->loc, policy);
        }
      } else if (st->name == "equivalence") {
        std::vector<Expr*> codes;
        if (st->value->kind == ExprKind::kString) codes.push_back(st->value);
        if (st->value->kind == ExprKind::kArray) codes = st->value->kids;
        for (Expr* c : codes) {
          if (c->kind == ExprKind::kString && !bytecode::IsEquivalenceCode(c->text)) {
            sink_.Error(c->loc, DiagCode::E0226,
                        "unknown ConceptMap equivalence '" + c->text +
                            "' (R4: equal, equivalent, wider, subsumes, narrower, specializes, inexact, relatedto, "
                            "unmapped; or an R5 relationship)");
            ok = false;
          }
        }
      }
    }
    return ok;
  }

  // subsumes(a, b, "system-url") → SUBSUMES dst (a, b) T[system]
  StaticType EmitSubsumes(Expr* e, uint32_t dst) {
    if (e->kids.size() != 3) {
      sink_.Error(e->loc, DiagCode::E0205,
                  "'subsumes' takes 3 arguments (code a, code b, code system URL), not " + std::to_string(e->kids.size()));
      return StaticType::kUnknown;
    }
    auto url = StringLiteralArg(e, 2, "the code system URL");
    if (!url) return StaticType::kUnknown;
    uint32_t mark = fn_.next_reg;
    uint32_t a = AllocReg(e->loc);
    uint32_t b = AllocReg(e->loc);
    EmitExpr(e->kids[0], a);
    EmitExpr(e->kids[1], b);
    MarkLine(e->loc);
    EmitABCX(Op::SUBSUMES, dst, a, 0, TermRef(bytecode::TermRef::Type::kCodeSystem, *url));
    FreeTo(mark);
    return StaticType::kUnknown;
  }

  // lookup(code, "system") → LOOKUP;  member(code, "valueset" [, system]) → MEMBER
  StaticType EmitTermCall(Expr* e, uint32_t dst) {
    size_t n = e->kids.size();
    bool is_lookup = e->text == "lookup";
    if (n < 2 || n > 3) {
      sink_.Error(e->loc, DiagCode::E0205,
                  is_lookup ? "'lookup' takes 2 or 3 arguments (code, code system URL, [property]), not " + std::to_string(n)
                            : "'member' takes 2 or 3 arguments (code, value set URL, [system]), not " +
                                  std::to_string(n));
      return StaticType::kUnknown;
    }
    auto url = StringLiteralArg(e, 1, is_lookup ? "the code system URL" : "the value set URL");
    if (!url) return StaticType::kUnknown;
    uint32_t mark = fn_.next_reg;
    if (is_lookup && n == 3) {  // lookup(code, system, property) → LOOKUPP dst (code, property) T[system]
      uint32_t pair = AllocReg(e->loc);
      uint32_t name = AllocReg(e->loc);
      EmitExpr(e->kids[0], pair);
      EmitExpr(e->kids[2], name);
      MarkLine(e->loc);
      EmitABCX(Op::LOOKUPP, dst, pair, 0, TermRef(bytecode::TermRef::Type::kCodeSystem, *url));
      FreeTo(mark);
      return StaticType::kUnknown;
    }
    uint32_t code = ExprToReg(e->kids[0]);
    MarkLine(e->loc);
    if (is_lookup) {
      uint32_t ref = TermRef(bytecode::TermRef::Type::kCodeSystem, *url);
      EmitABCX(Op::LOOKUP, dst, code, 0, ref);
      FreeTo(mark);
      return StaticType::kUnknown;
    }
    uint32_t sys = AllocReg(e->loc);
    if (n == 3) {
      EmitExpr(e->kids[2], sys);
    } else {
      EmitABC(Op::LOADNIL, sys);
    }
    MarkLine(e->loc);
    uint32_t ref = TermRef(bytecode::TermRef::Type::kValueSet, *url);
    EmitABCX(Op::MEMBER, dst, code, sys, ref);
    FreeTo(mark);
    return StaticType::kBool;
  }

  std::vector<ModuleUnit>& units_;
  DiagnosticSink& sink_;
  bytecode::Program& program_;
  std::vector<FunctionInfo> functions_;
  std::map<int, std::map<std::string, uint32_t>> defs_by_unit_;
  std::map<int, std::map<std::string, const Expr*>> consts_by_unit_;
  std::unordered_map<std::string, uint32_t> const_index_;
  FnState fn_;
  SourceLocation cur_loc_;
  bool register_error_ = false;
  bool jump_error_ = false;
  bool fold_ = true;
  bool warn_undeclared_z_ = true;
  // Z-segments declared by `segment` declarations of any module (the whole program), and the undeclared
  // ones already warned about (once each).
  std::map<std::string, const SegmentDecl*> z_segments_;
  std::set<std::string> warned_z_;
  FoldBudget budget_;
  uint64_t max_pool_bytes_;
  uint64_t pool_bytes_ = 0;  // string bytes in program_.constants
  bool pool_reported_ = false;
};

}  // namespace

bool Lower(std::vector<ModuleUnit>& units, const std::vector<std::string>& files, const LowerOptions& options,
           DiagnosticSink& sink, bytecode::Program* program) {
  program->files = files;
  Lowerer lowerer(units, sink, options, program);
  return lowerer.Run();
}

}  // namespace crosswalk::compiler
