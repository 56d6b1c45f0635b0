// Sema (compiler/src/sema/sema.h): what the checker resolves and records on the AST for lowering (Ref,
// binding slots, static types, bound terminology URLs and policies), the intrinsics described by
// builtins.def, and the rule that lowering runs only on a program sema accepted.
#include "sema/sema.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bytecode/builtin_table.h"
#include "bytecode/format.h"
#include "crosswalk/compiler/compiler.h"
#include "parse/parse_adapter.h"

namespace crosswalk::compiler {
namespace {

struct Checked {
  AstArena arena;
  std::vector<ModuleUnit> units;
  DiagnosticSink sink;
  CheckedProgram program;
  bool ok = false;

  explicit Checked(const std::string& src) {
    units.emplace_back();
    units[0].root = true;
    EXPECT_TRUE(ParseModule(0, src, ParseOptions{}, arena, sink, &units[0].module)) << src;
    ok = Check(units, SemaOptions{}, sink, &program);
  }
  // The statements of the first map's body.
  const std::vector<Stmt*>& body() const { return units[0].module.maps[0]->body->stmts; }
  std::string codes() const {
    std::string s;
    for (const auto& d : const_cast<DiagnosticSink&>(sink).diagnostics()) s += d.code + " ";
    return s;
  }
};

TEST(Sema, LocalsAreNumberedBindingsAndShadowingResolvesToTheInnermost) {
  Checked c("def F(a, b) = a\n"
            "map M : json -> json {\n"
            "  let x = 1\n"
            "  let y = x\n"
            "  out: for x in [y] => x\n"
            "  last: x\n"
            "}\n");
  ASSERT_TRUE(c.ok) << c.codes();
  const DefDecl* f = c.units[0].module.defs[0];
  EXPECT_EQ(f->expr->ref, Ref::kLocal);
  EXPECT_EQ(f->expr->slot, 0u);  // parameter a is binding 0
  const auto& s = c.body();
  EXPECT_EQ(s[0]->slot, 0u);                  // let x
  EXPECT_EQ(s[1]->slot, 1u);                  // let y
  EXPECT_EQ(s[1]->value->ref, Ref::kLocal);   // = x
  EXPECT_EQ(s[1]->value->slot, 0u);
  const Expr* loop = s[2]->value;
  EXPECT_EQ(loop->slot, 2u);                  // the loop's x: a new binding
  EXPECT_EQ(loop->kids[0]->kids[0]->slot, 1u);  // [y]
  EXPECT_EQ(loop->kids[1]->slot, 2u);         // => x: the loop's x, not the let
  EXPECT_EQ(s[3]->value->slot, 0u);           // after the loop: the let again
  EXPECT_EQ(c.program.functions.size(), 2u);
  EXPECT_EQ(c.program.functions[0].def, f);
}

TEST(Sema, NamesResolveToConstantsInputSegmentsAndGroups) {
  Checked c("const BASE = \"http://x/\"\n"
            "const MAP = \"${BASE}cm\"\n"
            "map M : hl7v2 \"ORU^R01\" -> json {\n"
            "  a: MAP\n"
            "  b: PID\n"
            "  n: count(OBX)\n"
            "  g: PATIENT_RESULT\n"
            "  i: input\n"
            "  s: PID.PV1\n"
            "}\n");
  ASSERT_TRUE(c.ok) << c.codes();
  const auto& s = c.body();
  EXPECT_EQ(s[0]->value->ref, Ref::kConst);
  ASSERT_NE(s[0]->value->constant, nullptr);
  EXPECT_EQ(s[0]->value->constant->text, "http://x/cm");  // folded from the other constant
  EXPECT_EQ(s[0]->value->type, StaticType::kString);
  EXPECT_EQ(s[1]->value->ref, Ref::kSegment);
  EXPECT_EQ(s[1]->value->type, StaticType::kV2Segment);
  // count's argument is read as a collection (builtins.def ITER): every OBX, not the first.
  const Expr* count = s[2]->value;
  EXPECT_EQ(count->ref, Ref::kBuiltin);
  EXPECT_EQ(count->slot, static_cast<uint32_t>(bytecode::BuiltinId::kCount));
  EXPECT_EQ(count->type, StaticType::kNumber);
  EXPECT_EQ(count->kids[0]->ref, Ref::kSegments);
  EXPECT_EQ(s[3]->value->ref, Ref::kGroups);
  EXPECT_EQ(s[4]->value->ref, Ref::kInput);
  EXPECT_EQ(s[4]->value->type, StaticType::kV2Scope);
  EXPECT_EQ(s[5]->value->ref, Ref::kSegment);  // a segment below a scope
}

TEST(Sema, IntrinsicsRecordTheirBindingAndPolicy) {
  Checked c("const SEX = \"http://x/cm|2\"\n"
            "map M : json -> json {\n"
            "  a: translate(input.c, SEX, \"warn\")\n"
            "  b: translate_coding(input.c, \"http://x/cm\", { unmapped: \"keep\", equivalence: \"equal\" })\n"
            "  c: member(input.c, \"http://x/vs\")\n"
            "  d: lookup(input.c, \"http://x/cs\", \"de\")\n"
            "  e: lookup(input.c, \"http://x/cs\", { language: input.lang })\n"
            "}\n");
  ASSERT_TRUE(c.ok) << c.codes();
  const auto& s = c.body();
  const Expr* t = s[0]->value;
  EXPECT_EQ(t->ref, Ref::kIntrinsic);
  EXPECT_EQ(t->slot, static_cast<uint32_t>(bytecode::IntrinsicId::kTranslate));
  EXPECT_EQ(t->bound, "http://x/cm|2");  // from the constant, version kept
  EXPECT_EQ(t->imm, static_cast<uint32_t>(bytecode::UnmappedPolicy::kWarn));
  const Expr* tc = s[1]->value;
  EXPECT_EQ(tc->imm, static_cast<uint32_t>(bytecode::UnmappedPolicy::kKeep) | bytecode::kTranslateWantCoding);
  EXPECT_EQ(tc->type, StaticType::kObject);  // builtins.def: Object
  EXPECT_EQ(s[2]->value->type, StaticType::kBool);
  EXPECT_EQ(s[2]->value->bound, "http://x/vs");
  EXPECT_EQ(s[3]->value->slot, static_cast<uint32_t>(bytecode::IntrinsicId::kLookup));
  EXPECT_EQ(s[3]->value->imm, 0u);  // a property name
  EXPECT_EQ(s[4]->value->imm, 1u);  // a display language (LOOKUPP's C)
  EXPECT_EQ(LookupLanguage(s[4]->value->kids[2])->ref, Ref::kObjectKey);  // input.lang, checked
}

// "CODE@line:col message" of a whole compilation.
std::string Diags(const std::string& src) {
  CompileResult r = CompileSource("m.cw", src);
  std::string s;
  for (const auto& d : r.diagnostics) {
    s += d.code + "@" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + " " + d.message + "\n";
  }
  return s;
}

TEST(Sema, IntrinsicArgumentsAreCheckedByTheirKind) {
  // Arity: the usage text of builtins.def.
  EXPECT_EQ(Diags("map M : json -> json { a: subsumes(1, 2) }"),
            "E0205@1:27 'subsumes' takes 3 arguments (code a, code b, code system URL), not 2\n");
  EXPECT_EQ(Diags("map M : json -> json { a: lookup(1) }"),
            "E0205@1:27 'lookup' takes 2 or 3 arguments (code, code system URL, [property or { language }]), not 1\n");
  // A segment argument (s) must name segments.
  EXPECT_EQ(Diags("map M : hl7v2 -> json { a: direct(input.x) }"),
            "E0205@1:28 'direct' takes one segment name, e.g. direct(NTE) or direct(order.NTE)\n");
  // A bound URL (M, C, V) must be a constant string; the value arguments are not checked after it.
  EXPECT_EQ(Diags("map M : json -> json { let u = \"x\"\n a: member(nope, u) }"),
            "E0220@2:18 the value set URL must be a string literal (it is bound when the program loads)\n");
  // A policy (P): a known string, or an options object of known keys.
  EXPECT_EQ(Diags("map M : json -> json { a: translate(1, \"u\", \"drop\") }"),
            "E0221@1:45 unknown unmapped-code policy 'drop' (use \"absent\", \"keep\", \"warn\" or \"error\")\n");
  EXPECT_EQ(Diags("map M : json -> json { a: translate(1, \"u\", { colour: 1 }) }"),
            "E0205@1:47 translate options take only the fields unmapped, equivalence, depends_on, source_system "
            "and target_system\n");
}

TEST(Sema, AFunctionCannotRedefineABuiltinOrAnIntrinsic) {
  EXPECT_EQ(Diags("def trim(x) = x\nmap M : json -> json { a: trim(1) }"),
            "E0224@1:5 'trim' is a built-in function and cannot be redefined\n");
  // A def named like an intrinsic would never be called (the call compiles to the instruction).
  EXPECT_EQ(Diags("def member(x) = x\nmap M : json -> json { a: 1 }"),
            "E0224@1:5 'member' is a built-in function and cannot be redefined\n");
}

TEST(Sema, LoweringRunsOnlyOnAnAcceptedProgram) {
  // 300 lets need more than 255 registers (E0401, met while emitting). With a checker error in the same
  // program, lowering does not run: only the checker's error is reported.
  std::string lets;
  for (int i = 0; i < 300; ++i) lets += "  let v" + std::to_string(i) + " = " + std::to_string(i) + "\n";
  std::string limit = Diags("map M : json -> json {\n" + lets + "  a: v1\n}\n");
  EXPECT_NE(limit.find("E0401@"), std::string::npos) << limit;
  EXPECT_EQ(Diags("map M : json -> json {\n" + lets + "  a: nope\n}\n"), "E0212@302:6 undefined name 'nope'\n");
}

}  // namespace
}  // namespace crosswalk::compiler
