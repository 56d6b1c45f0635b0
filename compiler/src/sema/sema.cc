// Sema: name resolution, static types and checks. See sema.h and compiler/README.md.
#include "sema/sema.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "bytecode/builtin_table.h"
#include "bytecode/format.h"
#include "hl7v2/schema.h"
#include "opt/fold.h"

namespace crosswalk::compiler {

V2PathParts SplitV2Path(Expr* e) {
  V2PathParts p;
  Expr* cur = e;
  while (cur->kind == ExprKind::kComponent) {
    p.comps.insert(p.comps.begin(), cur->ival);
    cur = cur->kids[0];
  }
  p.base = cur;
  if (cur->kind == ExprKind::kIndex && cur->kids[1]->kind == ExprKind::kInt && cur->kids[0]->kind == ExprKind::kField) {
    p.rep = cur->kids[1]->ival;
    cur = cur->kids[0];
  }
  if (cur->kind == ExprKind::kField) p.field = cur;
  return p;
}

namespace {

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

size_t EditDistance(const std::string& a, const std::string& b) {
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

// "a string", "an object".
std::string TypeName(StaticType t) {
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
std::string A(StaticType t) {
  std::string n = TypeName(t);
  return (n[0] == 'a' || n[0] == 'o' ? "an " : "a ") + n;
}

// What builtins.def declares of a builtin's or intrinsic's result, as a static type.
StaticType ResultType(bytecode::BuiltinResult result) {
  switch (result) {
    case bytecode::BuiltinResult::kBool: return StaticType::kBool;
    case bytecode::BuiltinResult::kNumber: return StaticType::kNumber;
    case bytecode::BuiltinResult::kArray: return StaticType::kArray;
    case bytecode::BuiltinResult::kObject: return StaticType::kObject;
    case bytecode::BuiltinResult::kSegments: return StaticType::kV2Segments;
    case bytecode::BuiltinResult::kAny: break;
  }
  return StaticType::kUnknown;
}

// The static type of a literal (a folded constant).
StaticType LiteralType(const Expr* e) {
  switch (e->kind) {
    case ExprKind::kInt:
    case ExprKind::kDecimal: return StaticType::kNumber;
    case ExprKind::kString: return StaticType::kString;
    case ExprKind::kBool: return StaticType::kBool;
    case ExprKind::kNull: return StaticType::kNull;
    default: return StaticType::kUnknown;
  }
}

bool IsLiteral(const Expr* e) {
  ExprKind k = e->kind;
  return k == ExprKind::kString || k == ExprKind::kInt || k == ExprKind::kDecimal || k == ExprKind::kBool ||
         k == ExprKind::kNull;
}

int FindBuiltin(std::string_view name) {
  for (uint32_t i = 0; i < bytecode::kBuiltinCount; ++i) {
    if (bytecode::kBuiltinInfo[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int FindIntrinsic(std::string_view name) {
  for (uint32_t i = 0; i < bytecode::kIntrinsicCount; ++i) {
    if (bytecode::kIntrinsicInfo[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

class Checker {
 public:
  Checker(std::vector<ModuleUnit>& units, const SemaOptions& options, DiagnosticSink& sink, CheckedProgram* out)
      : units_(units), sink_(sink), out_(*out), fold_(options.fold_constants),
        warn_undeclared_z_(options.warn_undeclared_z_segments),
        budget_(options.max_constant_bytes, options.max_constant_pool_bytes) {}

  bool Run() {
    // 1. Every def and every root map is a function of the program; duplicates are errors.
    std::map<std::string, const MapDecl*> map_names;
    for (size_t u = 0; u < units_.size(); ++u) {
      for (const DefDecl* d : units_[u].module.defs) {
        auto& table = defs_by_unit_[static_cast<int>(u)];
        if (table.count(d->name)) {
          sink_.Error(d->loc, DiagCode::E0202, "function '" + d->name + "' is defined twice in this module");
          continue;
        }
        // An intrinsic too: a call by that name compiles to its instruction, so the def could never be called.
        if (FindBuiltin(d->name) >= 0 || FindIntrinsic(d->name) >= 0) {
          sink_.Error(d->loc, DiagCode::E0224, "'" + d->name + "' is a built-in function and cannot be redefined");
        }
        table[d->name] = static_cast<uint32_t>(out_.functions.size());
        out_.functions.push_back({d, nullptr, static_cast<int>(u)});
      }
      if (!units_[u].root) continue;
      for (const MapDecl* m : units_[u].module.maps) {
        out_.functions.push_back({nullptr, m, static_cast<int>(u)});
        if (map_names.count(m->name)) sink_.Error(m->loc, DiagCode::E0203, "map '" + m->name + "' is defined twice");
        map_names[m->name] = m;
      }
    }
    DeclareSegments();
    CheckConsts();
    // 2. Each function, in the order lowering emits them.
    for (const CheckedFunction& f : out_.functions) {
      if (sink_.full()) break;
      CheckFunction(f);
    }
    if (!sink_.has_errors()) WarnFirstSegmentArguments();
    return !sink_.has_errors();
  }

 private:
  struct Local {
    std::string name;
    uint32_t slot;
  };
  struct FnState {
    std::vector<Local> locals;
    uint32_t next_slot = 0;
    const MapDecl* map = nullptr;  // the map being checked (null in defs)
    int unit = 0;
    bool in_def_block = false;
  };

  // ---------------------------------------------------------------------------------------------
  // W0004. A segment path given as an argument is the first segment of that id (Ref::kSegment): only a
  // loop source, an ITER argument of a builtin and direct() read every one. A function that loops over
  // that parameter (for, count/last/distinct, or by passing it on to a function that loops over it) then
  // sees one segment, and the later segments are left out without a word: the pitfall behind the lost
  // notes of docs/language.md. Runs on the annotated tree, after every function is checked.
  using ExprVisit = std::function<void(const Expr*)>;

  // Every expression of a block, and each loop source: `on_source` gets the value of a `for` (statement
  // or comprehension) before it is visited like any expression.
  static void VisitBlock(const Block* b, const ExprVisit& on_expr, const ExprVisit& on_source) {
    if (b == nullptr) return;
    for (const Stmt* s : b->stmts) {
      if (s->kind == StmtKind::kFor && s->value) on_source(s->value);
      VisitExpr(s->value, on_expr, on_source);
      VisitExpr(s->cond, on_expr, on_source);
      VisitBlock(s->then_block, on_expr, on_source);
      VisitBlock(s->else_block, on_expr, on_source);
    }
  }
  static void VisitExpr(const Expr* e, const ExprVisit& on_expr, const ExprVisit& on_source) {
    if (e == nullptr) return;
    on_expr(e);
    if (e->kind == ExprKind::kFor && !e->kids.empty()) on_source(e->kids[0]);
    for (const Expr* k : e->kids) VisitExpr(k, on_expr, on_source);
    for (const MatchArm& arm : e->arms) {
      for (const Expr* p : arm.patterns) VisitExpr(p, on_expr, on_source);
      VisitExpr(arm.value, on_expr, on_source);
    }
    VisitBlock(e->block, on_expr, on_source);
  }
  static void VisitFunction(const CheckedFunction& f, const ExprVisit& on_expr, const ExprVisit& on_source) {
    if (f.def) {
      VisitExpr(f.def->expr, on_expr, on_source);
      VisitBlock(f.def->body, on_expr, on_source);
    } else {
      VisitBlock(f.map->body, on_expr, on_source);
    }
  }

  // The arguments of call `e` that the callee reads as a collection: a builtin's ITER bits, or the
  // parameters a user function loops over (`iterated`, one bit per parameter).
  static uint64_t CollectionArgs(const Expr* e, const std::vector<uint64_t>& iterated) {
    if (e->kind != ExprKind::kCall) return 0;
    if (e->ref == Ref::kBuiltin) return bytecode::kBuiltinInfo[e->slot].iterable_args;
    if (e->ref == Ref::kFunction) return iterated[e->slot];
    return 0;
  }

  static std::string PathText(const Expr* e) {
    if (e->kind == ExprKind::kName) return e->text;
    if (e->kind == ExprKind::kMember) {
      const Expr* base = e->kids[0];
      std::string b = base->kind == ExprKind::kName || base->kind == ExprKind::kMember ? PathText(base) : "";
      return b.empty() ? "" : b + "." + e->text;
    }
    return "";
  }

  // The fix W0004 proposes for a segment path (`verb` "pass" or "bind"), in the path's own words when it has them.
  static std::string EverySegmentFix(const std::string& verb, const Expr* segment_path) {
    std::string path = PathText(segment_path);
    if (path.empty()) {
      return verb + " `direct(...)` of the same path (the segments held there) or `for s in ... => s` (every one)";
    }
    return verb + " `direct(" + path + ")` (the segments held there) or `for s in " + path + " => s` (every one)";
  }

  void WarnFirstSegmentArguments() {
    const size_t n = out_.functions.size();
    // 1. Which parameters each def loops over, to a fixed point (a parameter passed on to a parameter that
    //    is looped over is looped over). A parameter is binding i < its count (sema binds them first).
    std::vector<uint64_t> iterated(n, 0);
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t f = 0; f < n; ++f) {
        const DefDecl* d = out_.functions[f].def;
        if (d == nullptr) continue;
        uint64_t bits = iterated[f];
        auto mark = [&](const Expr* src) {
          if (src->kind == ExprKind::kName && src->ref == Ref::kLocal && src->slot < d->params.size() &&
              src->slot < 64) {
            bits |= uint64_t{1} << src->slot;
          }
        };
        auto on_expr = [&](const Expr* e) {
          uint64_t args = CollectionArgs(e, iterated);
          for (size_t i = 0; i < e->kids.size() && i < 64; ++i) {
            if ((args >> i) & 1u) mark(e->kids[i]);
          }
        };
        VisitFunction(out_.functions[f], on_expr, mark);
        if (bits != iterated[f]) {
          iterated[f] = bits;
          changed = true;
        }
      }
    }
    // 2. Every call that gives such a parameter a segment path read as its first segment, and every loop over a
    //    `let` bound to one (`let ns = g.NTE` then `for n in ns`, `count(ns)` or a call that loops over it).
    for (const CheckedFunction& f : out_.functions) {
      std::map<uint32_t, const Stmt*> segment_lets;  // binding -> its let (bindings are unique in a function)
      auto collect = [&](const Block* b) { CollectSegmentLets(b, &segment_lets); };
      if (f.def) collect(f.def->body);
      if (f.map) collect(f.map->body);
      auto objects = [&](const Expr* e) {
        if (e->kind == ExprKind::kObject) collect(e->block);
      };
      VisitFunction(f, objects, [](const Expr*) {});
      auto looped_let = [&](const Expr* src) {
        if (src->kind != ExprKind::kName || src->ref != Ref::kLocal) return;
        auto it = segment_lets.find(src->slot);
        if (it == segment_lets.end()) return;
        const Stmt* let = it->second;
        sink_.Warning(src->loc, DiagCode::W0004,
                      "'" + src->text + "' is the first " + let->value->text + " segment only (bound on line " +
                          std::to_string(let->loc.line) + "), but is looped over here: " +
                          EverySegmentFix("bind", let->value));
      };
      auto on_expr = [&](const Expr* e) {
        if (e->kind != ExprKind::kCall) return;
        uint64_t args = CollectionArgs(e, iterated);
        for (size_t i = 0; i < e->kids.size() && i < 64; ++i) {
          if (((args >> i) & 1u) == 0) continue;
          const Expr* a = e->kids[i];
          looped_let(a);
          if (e->ref != Ref::kFunction || a->ref != Ref::kSegment) continue;
          const DefDecl* callee = out_.functions[e->slot].def;
          sink_.Warning(a->loc, DiagCode::W0004,
                        "this argument is the first " + a->text + " segment only, but '" + callee->name +
                            "' loops over its parameter '" + callee->params[i] + "': " + EverySegmentFix("pass", a));
        }
      };
      VisitFunction(f, on_expr, looped_let);
    }
  }

  // The `let`s of a block (and its nested blocks) whose value is a segment path read as its first segment.
  static void CollectSegmentLets(const Block* b, std::map<uint32_t, const Stmt*>* out) {
    if (b == nullptr) return;
    for (const Stmt* s : b->stmts) {
      if (s->kind == StmtKind::kLet && s->value != nullptr && s->value->ref == Ref::kSegment) (*out)[s->slot] = s;
      CollectSegmentLets(s->then_block, out);
      CollectSegmentLets(s->else_block, out);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Module constants: folded to literals, visible like functions (own module, then imports). Imported
  // modules' constants are done first, so that a constant may be built from imported ones.
  void CheckConsts() {
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
        if (!IsLiteral(c.value)) {
          // Already reported (a size limit, a type error): registered as a recovered null, no follow-on error.
          if (!uses_recovered && sink_.diagnostics().size() == reported) {
            sink_.Error(c.value->loc, DiagCode::E0222,
                        "the value of constant '" + c.name + "' must be known at compile time (a literal)");
          }
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

  // ---------------------------------------------------------------------------------------------
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

  // ---------------------------------------------------------------------------------------------
  // Functions and object bodies

  uint32_t Bind(const std::string& name) {
    uint32_t slot = fn_.next_slot++;
    fn_.locals.push_back({name, slot});
    return slot;
  }

  void CheckFunction(const CheckedFunction& f) {
    fn_ = FnState{};
    fn_.unit = f.unit;
    if (f.def) {
      const DefDecl* d = f.def;
      std::set<std::string> seen;
      for (size_t i = 0; i < d->params.size(); ++i) {
        if (!seen.insert(d->params[i]).second) {
          sink_.Error(d->param_locs[i], DiagCode::E0206, "parameter '" + d->params[i] + "' is listed twice");
        }
        Bind(d->params[i]);  // parameter i is binding i
      }
      if (d->params.size() > bytecode::kMaxParams) {
        sink_.Error(d->loc, DiagCode::E0207, "function '" + d->name + "' has more than 64 parameters");
      }
      if (d->expr) {
        FoldConstants(d->expr, sink_, budget_, fold_);
        CheckExpr(d->expr);
      } else {
        FoldConstants(d->body, sink_, budget_, fold_);
        fn_.in_def_block = true;
        CheckObjectBody(d->body);
      }
      return;
    }
    const MapDecl* m = f.map;
    fn_.map = m;
    FoldConstants(m->body, sink_, budget_, fold_);
    fn_.in_def_block = true;
    CheckObjectBody(m->body);
    if (m->source == DataKind::kHl7v2 && !m->source_type.empty()) CheckMessageType(m);
  }

  void CheckMessageType(const MapDecl* m) {
    // "ADT^A01", "ADT^A01^ADT_A01", "ADT", "ADT^*"
    std::string_view t = m->source_type;
    std::string_view code = t.substr(0, t.find('^'));
    if (code.size() != 3 || !IsSegmentName(code)) {
      sink_.Error(m->loc, DiagCode::E0208,
                  "message type '" + m->source_type + "' is not of the form CODE^TRIGGER (e.g. \"ADT^A01\")");
    }
  }

  void CheckObjectBody(Block* block) {
    if (block == nullptr) return;  // a body lost to a syntax error (already reported)
    std::map<std::string, SourceLocation> set_keys;
    CheckStmts(block, &set_keys);
  }

  // The statements of one block; `let` and loop variables are visible to the end of their block.
  void CheckStmts(Block* block, std::map<std::string, SourceLocation>* set_keys) {
    if (block == nullptr) return;
    size_t locals_mark = fn_.locals.size();
    bool returned = false;
    for (Stmt* s : block->stmts) {
      if (returned) {  // lowering emits none of what follows: one warning, no checks
        sink_.Warning(s->loc, DiagCode::W0001, "statement after `return` is never run");
        break;
      }
      switch (s->kind) {
        case StmtKind::kField: CheckField(s, set_keys); break;
        case StmtKind::kLet:
          CheckExpr(s->value);
          s->slot = Bind(s->name);  // visible after its definition only
          break;
        case StmtKind::kIf: {
          CheckExpr(s->cond);
          std::map<std::string, SourceLocation> branch_keys = *set_keys;
          CheckStmts(s->then_block, &branch_keys);
          if (s->else_block) {
            std::map<std::string, SourceLocation> else_keys = *set_keys;
            CheckStmts(s->else_block, &else_keys);
          }
          break;
        }
        case StmtKind::kFor: {
          CheckLoopSource(s->value);
          size_t mark = fn_.locals.size();
          s->slot = Bind(s->name);
          if (!s->index_name.empty()) s->index_slot = Bind(s->index_name);
          if (s->cond) CheckExpr(s->cond);
          std::map<std::string, SourceLocation> loop_keys = *set_keys;
          CheckStmts(s->then_block, &loop_keys);
          fn_.locals.resize(mark);
          break;
        }
        case StmtKind::kWarn:
        case StmtKind::kFail:
          if (s->cond) CheckExpr(s->cond);
          CheckExpr(s->value);
          break;
        case StmtKind::kSpread: {
          if (s->cond) CheckExpr(s->cond);
          StaticType vt = CheckExpr(s->value);
          if (vt != StaticType::kUnknown && vt != StaticType::kObject) {
            sink_.Error(s->value->loc, DiagCode::E0306, "`...` spreads the fields of an object, not " + A(vt));
          }
          break;
        }
        case StmtKind::kReturn:
          if (!fn_.in_def_block) {
            sink_.Error(s->loc, DiagCode::E0209, "`return` is only allowed in the body of a map or function");
            break;
          }
          CheckExpr(s->value);
          returned = true;
          break;
      }
    }
    fn_.locals.resize(locals_mark);
  }

  void CheckField(Stmt* s, std::map<std::string, SourceLocation>* set_keys) {
    if (!s->append && !s->cond) {
      auto [it, inserted] = set_keys->emplace(s->name, s->loc);
      if (!inserted) {
        sink_.Error(s->loc, DiagCode::E0210,
                    "field '" + s->name + "' is already set at line " + std::to_string(it->second.line) +
                        " (use `if` to choose between values, or `??`)");
      }
    }
    if (s->cond) CheckExpr(s->cond);
    CheckExpr(s->value);
  }

  // ---------------------------------------------------------------------------------------------
  // Names

  std::optional<uint32_t> FindLocal(const std::string& name) const {
    for (auto it = fn_.locals.rbegin(); it != fn_.locals.rend(); ++it) {
      if (it->name == name) return it->slot;
    }
    return std::nullopt;
  }

  bool IsInputName(const std::string& name) const {
    if (name == "input" || name == "msg") return true;
    return fn_.map && !fn_.map->source_type.empty() && fn_.map->source != DataKind::kHl7v2 &&
           name == fn_.map->source_type;
  }

  StaticType InputType() const {
    if (fn_.map == nullptr) return StaticType::kUnknown;
    return fn_.map->source == DataKind::kHl7v2 ? StaticType::kV2Scope : StaticType::kUnknown;
  }

  // A segment name (PID, or scope.PID) that is not a local, constant or the input.
  bool IsSegmentReference(const Expr* e) const {
    if (e->kind == ExprKind::kName) {
      return IsSegmentName(e->text) && !FindLocal(e->text) && !FindConst(e->text) && !IsInputName(e->text);
    }
    return e->kind == ExprKind::kMember && IsSegmentName(e->text);
  }

  std::string NameHint(const std::string& name) const {
    std::string best;
    size_t best_d = 3;
    for (const Local& l : fn_.locals) {
      size_t d = EditDistance(name, l.name);
      if (d < best_d && d > 0) best_d = d, best = l.name;
    }
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
  }

  // ---------------------------------------------------------------------------------------------
  // Expressions: CheckExpr(e) resolves e and its parts, records and returns what is known of its type.
  StaticType CheckExpr(Expr* e) {
    StaticType t = CheckExprInner(e);
    e->type = t;
    return t;
  }

  StaticType CheckExprInner(Expr* e) {
    switch (e->kind) {
      case ExprKind::kInt:
      case ExprKind::kDecimal:
      case ExprKind::kString:
      case ExprKind::kBool:
      case ExprKind::kNull: return LiteralType(e);
      case ExprKind::kTemplate:
        if (e->kids.size() > kMaxTemplateParts) {
          sink_.Error(e->loc, DiagCode::E0211, "string has more than " + std::to_string(kMaxTemplateParts) +
                                           " parts (text and ${} together); build it in steps with let");
          return StaticType::kString;
        }
        for (Expr* k : e->kids) CheckExpr(k);
        return StaticType::kString;
      case ExprKind::kName: return CheckName(e);
      case ExprKind::kMember: return CheckMember(e);
      case ExprKind::kField:
      case ExprKind::kComponent:
      case ExprKind::kIndex: return CheckPath(e);
      case ExprKind::kCall: return CheckCall(e);
      case ExprKind::kNeg:
        CheckExpr(e->kids[0]);
        CheckArithmeticOperand(e->kids[0], /*literal=*/true);  // literals: checked by folding
        return StaticType::kNumber;
      case ExprKind::kNot: CheckExpr(e->kids[0]); return StaticType::kBool;
      case ExprKind::kBinary: return CheckBinary(e);
      case ExprKind::kAnd:
      case ExprKind::kOr:
        CheckExpr(e->kids[0]);
        CheckExpr(e->kids[1]);
        return StaticType::kBool;
      case ExprKind::kCoalesce: {
        StaticType ta = CheckExpr(e->kids[0]);
        StaticType tb = CheckExpr(e->kids[1]);
        return ta == tb ? ta : StaticType::kUnknown;
      }
      case ExprKind::kCond: {
        CheckExpr(e->kids[0]);
        StaticType ta = CheckExpr(e->kids[1]);
        StaticType tb = CheckExpr(e->kids[2]);
        return ta == tb ? ta : StaticType::kUnknown;
      }
      case ExprKind::kFor: {
        CheckLoopSource(e->kids[0]);
        size_t mark = fn_.locals.size();
        e->slot = Bind(e->text);
        if (!e->ns.empty()) e->index_slot = Bind(e->ns);
        if (e->kids.size() > 2) CheckExpr(e->kids[2]);
        CheckExpr(e->kids[1]);
        fn_.locals.resize(mark);
        return StaticType::kArray;
      }
      case ExprKind::kMatch:
        CheckExpr(e->kids[0]);
        for (MatchArm& arm : e->arms) {
          if (arm.patterns.empty()) {  // `_`: the arms after it are never reached (lowering emits none)
            CheckExpr(arm.value);
            break;
          }
          for (Expr* p : arm.patterns) CheckExpr(p);
          CheckExpr(arm.value);
        }
        return StaticType::kUnknown;
      case ExprKind::kArray:
        for (Expr* k : e->kids) CheckExpr(k);
        return StaticType::kArray;
      case ExprKind::kObject: {
        bool saved = fn_.in_def_block;
        fn_.in_def_block = false;  // `return` inside an object literal is not a function return
        CheckObjectBody(e->block);
        fn_.in_def_block = saved;
        return StaticType::kObject;
      }
    }
    return StaticType::kUnknown;
  }

  // A value that is iterated (`for … in e`, an ITER argument of a builtin): a segment name then means every
  // segment of that id in the scope (Ref::kSegments), not the first one.
  StaticType CheckIterable(Expr* e) {
    if (!IsSegmentReference(e)) return CheckExpr(e);
    CheckSegment(e->text, e->loc);
    if (e->kind == ExprKind::kMember) CheckExpr(e->kids[0]);
    e->ref = Ref::kSegments;
    e->type = StaticType::kV2Segments;
    return StaticType::kV2Segments;
  }

  void CheckLoopSource(Expr* e) {
    StaticType t = CheckIterable(e);
    if (t == StaticType::kNumber || t == StaticType::kBool || t == StaticType::kString || t == StaticType::kObject) {
      sink_.Error(e->loc, DiagCode::E0302, "cannot loop over " + A(t) + " (a loop needs an array, "
                                   "a repeating HL7 v2 field, segments or groups)");
    }
  }

  StaticType CheckName(Expr* e) {
    if (auto slot = FindLocal(e->text)) {
      e->ref = Ref::kLocal;
      e->slot = *slot;
      return StaticType::kUnknown;
    }
    if (const Expr* c = FindConst(e->text)) {
      e->ref = Ref::kConst;
      e->constant = c;
      return LiteralType(c);
    }
    if (IsInputName(e->text)) {
      e->ref = Ref::kInput;
      return InputType();
    }
    if (IsSegmentName(e->text)) {
      CheckSegment(e->text, e->loc);
      e->ref = Ref::kSegment;
      return StaticType::kV2Segment;
    }
    if (IsGroupName(e->text)) {
      CheckGroup(e->text, e->loc);
      e->ref = Ref::kGroups;
      return StaticType::kV2Groups;
    }
    sink_.Error(e->loc, DiagCode::E0212, "undefined name '" + e->text + "'" + NameHint(e->text));
    return StaticType::kUnknown;
  }

  // base.name: a segment or group below an HL7 v2 scope, else an object's member.
  StaticType CheckMember(Expr* e) {
    Expr* base = e->kids[0];
    const std::string& name = e->text;
    CheckExpr(base);
    StaticType bt = base->type;
    if (bt == StaticType::kString || bt == StaticType::kNumber || bt == StaticType::kBool) {
      sink_.Error(e->loc, DiagCode::E0303, A(bt) + " has no member '" + name + "'");
    }
    if (IsSegmentName(name) && bt != StaticType::kObject) {
      CheckSegment(name, e->loc);
      e->ref = Ref::kSegment;
      return StaticType::kV2Segment;
    }
    if (IsGroupName(name) && bt != StaticType::kObject && KnownGroupNames().count(name)) {
      e->ref = Ref::kGroups;
      return StaticType::kV2Groups;
    }
    e->ref = Ref::kObjectKey;
    return StaticType::kUnknown;
  }

  // HL7 v2 paths: a field with constant repetition and components (one V2FIELD), or the generic forms
  // (a component of any value, an index).
  StaticType CheckPath(Expr* e) {
    V2PathParts p = SplitV2Path(e);
    bool at_field = p.base->kind == ExprKind::kField ||
                    (p.base->kind == ExprKind::kIndex && p.base->kids[0]->kind == ExprKind::kField);
    if (p.comps.size() > 2 && at_field) {
      sink_.Error(e->loc, DiagCode::E0216, "an HL7 v2 path has at most a component and a subcomponent (PID-3.4.1)");
      return StaticType::kUnknown;
    }
    if (p.comps.size() > 3) {
      sink_.Error(e->loc, DiagCode::E0216, "an HL7 v2 path goes at most three levels below a segment (seg.3.4.1)");
      return StaticType::kUnknown;
    }
    if (p.field) {
      CheckV2Field(p.field, p.rep, p.comps.size() > 0 ? p.comps[0] : 0, p.comps.size() > 1 ? p.comps[1] : 0, e->loc);
      return StaticType::kV2Node;
    }
    if (e->kind == ExprKind::kComponent) {
      CheckExpr(e->kids[0]);
      if (e->ival < 1 || e->ival > 255) {
        sink_.Error(e->loc, DiagCode::E0215, "component number must be between 1 and 255");
      }
      StaticType bt = e->kids[0]->type;
      if (bt == StaticType::kString || bt == StaticType::kNumber || bt == StaticType::kBool ||
          bt == StaticType::kObject || bt == StaticType::kArray) {
        sink_.Error(e->loc, DiagCode::E0303, A(bt) + " has no HL7 v2 component ." + std::to_string(e->ival));
      }
      return StaticType::kV2Node;
    }
    if (e->kind == ExprKind::kIndex && IsSegmentReference(e->kids[0])) {
      // NK1[2]: the second NK1 segment (HL7 counts from 1).
      CheckIterable(e->kids[0]);
      CheckExpr(e->kids[1]);
      return StaticType::kV2Segment;
    }
    if (e->kind == ExprKind::kIndex) {
      CheckExpr(e->kids[0]);
      CheckExpr(e->kids[1]);
      StaticType it = e->kids[1]->type;
      if (it == StaticType::kBool || it == StaticType::kObject || it == StaticType::kArray) {
        sink_.Error(e->kids[1]->loc, DiagCode::E0304, "an index must be a number or a string, not " + A(it));
      }
      return StaticType::kUnknown;
    }
    sink_.Error(e->loc, DiagCode::E0216, "an HL7 v2 path has at most a component and a subcomponent (PID-3.4.1)");
    return StaticType::kUnknown;
  }

  void CheckV2Field(Expr* f, int64_t rep, int64_t comp, int64_t sub, SourceLocation loc) {
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
    if (rep < 0 || rep > static_cast<int64_t>(bytecode::kMaxV2Rep)) {
      sink_.Error(loc, DiagCode::E0218, "repetition must be between 1 and 255 (use a loop for more)");
    }
    if (comp < 0 || comp > static_cast<int64_t>(bytecode::kMaxV2Comp) || sub < 0 ||
        sub > static_cast<int64_t>(bytecode::kMaxV2Sub)) {
      sink_.Error(loc, DiagCode::E0215, "component and subcomponent numbers must be between 1 and 63");
    }
    if (!f->kids.empty()) CheckExpr(f->kids[0]);
  }

  // E0301 for an operand of + - * / % or unary - that cannot be a number (literals were checked by
  // constant folding). HL7 v2 values are always text.
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

  StaticType CheckBinary(Expr* e) {
    Expr* a = e->kids[0];
    Expr* b = e->kids[1];
    BinOp op = e->op;
    // a > b is lowered as b < a: b is evaluated first.
    if (op == BinOp::kGt || op == BinOp::kGe) std::swap(a, b);
    CheckExpr(a);
    CheckExpr(b);
    if (op <= BinOp::kMod) {
      for (Expr* x : {a, b}) {
        // Literal operands were checked by constant folding; here only what the checker learned.
        bool literal = x->kind == ExprKind::kString || x->kind == ExprKind::kTemplate || x->kind == ExprKind::kBool ||
                       x->kind == ExprKind::kNull || x->kind == ExprKind::kObject || x->kind == ExprKind::kArray ||
                       x->kind == ExprKind::kAnd || x->kind == ExprKind::kOr || x->kind == ExprKind::kNot ||
                       x->kind == ExprKind::kFor || x->kind == ExprKind::kBinary;
        CheckArithmeticOperand(x, literal);
      }
      return StaticType::kNumber;
    }
    return StaticType::kBool;
  }

  // ---------------------------------------------------------------------------------------------
  // Calls: intrinsics, user functions (own module, then imports), built-ins.
  StaticType CheckCall(Expr* e) {
    const std::string& name = e->text;
    size_t n = e->kids.size();
    if (e->ns.empty()) {
      if (int id = FindIntrinsic(name); id >= 0) return CheckIntrinsic(e, static_cast<uint32_t>(id));
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
    uint32_t iterable_args = 0;
    if (fn) {
      const DefDecl* d = out_.functions[*fn].def;
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
      iterable_args = info.iterable_args;
    }
    // An argument a builtin reads as a collection (builtins.def, ITER) is checked as a loop source is.
    for (size_t i = 0; i < n; ++i) {
      if (i < 32 && ((iterable_args >> i) & 1u) != 0) {
        CheckIterable(e->kids[i]);
      } else {
        CheckExpr(e->kids[i]);
      }
    }
    if (fn) {
      e->ref = Ref::kFunction;
      e->slot = *fn;
      return out_.functions[*fn].def->body ? StaticType::kObject : StaticType::kUnknown;
    }
    e->ref = Ref::kBuiltin;
    e->slot = static_cast<uint32_t>(builtin);
    return ResultType(bytecode::kBuiltinInfo[builtin].result);
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
  std::optional<uint32_t> ResolveFunction(const Expr* e) {
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

  // ---------------------------------------------------------------------------------------------
  // Intrinsics (builtins.def, CW_INTRINSIC): each argument is checked by its kind.
  //   v value; s segment name; M/C/V ConceptMap/CodeSystem/ValueSet URL (a constant string, recorded in
  //   e->bound); P unmapped-code policy or translate options object (the policy bits in e->imm); L lookup
  //   property or options object { language } (e->imm = 1).
  StaticType CheckIntrinsic(Expr* e, uint32_t id) {
    const bytecode::IntrinsicInfo& info = bytecode::kIntrinsicInfo[id];
    size_t n = e->kids.size();
    std::string takes = "'" + e->text + "' takes " + std::string(info.usage);
    if (n < info.min_args || n > info.max_args) {
      bool segments = info.args.find('s') != std::string_view::npos;
      sink_.Error(e->loc, DiagCode::E0205, segments ? takes : takes + ", not " + std::to_string(n));
      return StaticType::kUnknown;
    }
    // Bound arguments first: when one is wrong, the call is not checked further (no follow-on errors).
    std::optional<std::string> url;
    bool ok = true;
    // The instruction's immediate: translate's unmapped policy and flags, lookup's language flag.
    uint32_t imm = static_cast<uint32_t>(bytecode::UnmappedPolicy::kAbsent);
    for (size_t i = 0; i < n; ++i) {
      char kind = info.args[i];
      if (kind == 'M' || kind == 'C' || kind == 'V') {
        url = StringLiteralArg(e->kids[i], kind == 'M'   ? "the concept map URL"
                                          : kind == 'C' ? "the code system URL"
                                                        : "the value set URL");
        ok &= url.has_value();
      } else if (kind == 'P') {
        Expr* a = e->kids[i];
        if (a->kind == ExprKind::kObject) {
          if (!CheckTranslateOptions(a, &imm)) return StaticType::kUnknown;
        } else if (auto p = StringLiteralArg(a, "the unmapped-code policy (or an options object)")) {
          ParsePolicy(*p, a->loc, &imm);
        }
      } else if (kind == 'L' && e->kids[i]->kind == ExprKind::kObject) {
        if (!CheckLookupOptions(e->kids[i])) return StaticType::kUnknown;
        imm = 1;  // LOOKUPP's C: R[B+1] is a display language
      } else if (kind == 's' && !IsSegmentReference(e->kids[i])) {
        sink_.Error(e->loc, DiagCode::E0205, takes);
        return StaticType::kUnknown;
      }
    }
    if (!ok) return StaticType::kUnknown;
    if (static_cast<bytecode::IntrinsicId>(id) == bytecode::IntrinsicId::kTranslateCoding) {
      imm |= bytecode::kTranslateWantCoding;
    }
    // Then the values, in the order lowering evaluates them.
    for (size_t i = 0; i < n; ++i) {
      Expr* a = e->kids[i];
      switch (info.args[i]) {
        case 'v': CheckExpr(a); break;
        case 's':
          CheckSegment(a->text, a->loc);
          if (a->kind == ExprKind::kMember) CheckExpr(a->kids[0]);
          break;
        case 'P':
          if (a->kind == ExprKind::kObject) CheckExpr(a);
          break;
        case 'L':  // options: only the language's value is evaluated (the object is never built)
          CheckExpr(a->kind == ExprKind::kObject ? LookupLanguage(a) : a);
          break;
        default: break;  // M, C, V: bound, no code
      }
    }
    if (url) e->bound = *url;
    e->imm = imm;
    e->ref = Ref::kIntrinsic;
    e->slot = id;
    return ResultType(info.result);
  }

  // The options object of lookup: exactly one plain field, `language: value`.
  bool CheckLookupOptions(Expr* options) {
    const std::vector<Stmt*>& stmts = options->block->stmts;
    for (const Stmt* st : stmts) {
      if (st->kind != StmtKind::kField || st->append || st->cond || st->name != "language") {
        sink_.Error(st->loc, DiagCode::E0205, "lookup options take only the field language (lookup(code, system, "
                                              "{ language: \"de\" }): the display in that language)");
        return false;
      }
    }
    if (stmts.size() != 1) {
      sink_.Error(options->loc, DiagCode::E0205,
                  stmts.empty() ? "lookup options need the field language (lookup(code, system, { language: \"de\" }))"
                                : "lookup options set language twice");
      return false;
    }
    return true;
  }

  std::optional<std::string> StringLiteralArg(Expr* a, const char* what) {
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

  std::vector<ModuleUnit>& units_;
  DiagnosticSink& sink_;
  CheckedProgram& out_;
  std::map<int, std::map<std::string, uint32_t>> defs_by_unit_;
  std::map<int, std::map<std::string, const Expr*>> consts_by_unit_;
  FnState fn_;
  bool fold_ = true;
  bool warn_undeclared_z_ = true;
  // Z-segments declared by `segment` declarations of any module (the whole program), and the undeclared
  // ones already warned about (once each).
  std::map<std::string, const SegmentDecl*> z_segments_;
  std::set<std::string> warned_z_;
  FoldBudget budget_;
};

}  // namespace

bool Check(std::vector<ModuleUnit>& units, const SemaOptions& options, DiagnosticSink& sink, CheckedProgram* out) {
  return Checker(units, options, sink, out).Run();
}

}  // namespace crosswalk::compiler
