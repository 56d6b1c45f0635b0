// Compiler diagnostics: every error code of docs/language.md ("Errors") is triggered by a small map and
// reported with its code and file:line:col; a file with several mistakes reports all of them in one run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crosswalk/compiler/compiler.h"
#include "diag/codes.h"

namespace crosswalk::compiler {
namespace {

std::string Codes(const CompileResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) {
    s += d.code + "@" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + " ";
  }
  return s;
}

struct Case {
  const char* name;
  const char* code;
  uint32_t line, col;
  std::string src;
};

// Each source has exactly one mistake, at line:col.
const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"InvalidUtf8", "E0004", 2, 8, "map M : json -> json {\n  a: \"x\xE9\"\n}\n"},
      {"NulByte", "E0005", 2, 8, std::string("map M : json -> json {\n  a: \"x\0\"\n}\n", 35)},
      {"LongAdditionChain", "E0003", 2, 4 + 4 * 598 /* the 598th `+` */, "map M : json -> json {\n  a: 1" + [] {
         std::string s;
         for (int i = 0; i < 30'000; ++i) s += " + 1";
         return s;
       }() + "\n}\n"},
      {"FoldedConstantTooLarge", "E0404", 2, 11, "const a = \"" + std::string(600'000, 'x') +
                                                     "\"\nconst b = \"${a}${a}\"\nmap M : json -> json { b: b }\n"},
      {"UnexpectedCharacter", "E0101", 2, 10, "map M : json -> json {\n  a: 1 + @\n}\n"},
      {"UnterminatedString", "E0102", 2, 6, "map M : json -> json {\n  a: \"abc\n}\n"},
      {"ExpectedToken", "E0103", 2, 5, "map M : json -> json {\n  a 1\n}\n"},
      {"MatchPatternIsAName", "E0105", 2, 22, "map M : json -> json {\n  a: match input.x { y => 1 }\n}\n"},
      {"IntegerTooLarge", "E0106", 2, 6, "map M : json -> json {\n  a: 99999999999999999999\n}\n"},
      {"DecimalTooLong", "E0106", 2, 6, "map M : json -> json {\n  a: 1.1234567890123456789\n}\n"},
      {"UnknownEscape", "E0107", 2, 8, "map M : json -> json {\n  a: \"x\\qy\"\n}\n"},
      {"BadUnicodeEscape", "E0107", 2, 7, "map M : json -> json {\n  a: \"\\u12\"\n}\n"},
      {"UnclosedInterpolation", "E0108", 2, 8, "map M : json -> json {\n  a: \"x${input.a\"\n}\n"},
      {"BraceNeverClosed", "E0109", 1, 22, "map M : json -> json {\n  a: 1\n"},
      {"ParenClosedByBrace", "E0109", 2, 6, "map M : json -> json {\n  a: (1 }\n"},
      {"InnerBraceNeverClosed", "E0109", 3, 8,
       "map M : json -> json {\n  a: {\n    b: {\n      c: 1\n    d: 2\n  }\n}\ndef F(x) = x\n"},
      {"CloserWithoutOpener", "E0110", 2, 1, "map M : json -> json { a: 1 }\n}\ndef F(x) = y\n"},
      {"WrongCloser", "E0110", 2, 11, "map M : json -> json {\n  a: [1, 2)\n}\n"},
      {"NoMap", "E0200", 1, 1, "def F(x) = x\n"},
      {"FunctionDefinedTwice", "E0202", 3, 5, "map M : json -> json { a: F(1) }\ndef F(x) = x\ndef F(y) = y\n"},
      {"BuiltinRedefined", "E0224", 2, 5, "map M : json -> json { a: 1 }\ndef trim(x) = x\n"},
      {"MapDefinedTwice", "E0203", 2, 5, "map M : json -> json { a: 1 }\nmap M : json -> json { a: 2 }\n"},
      {"UnknownFunction", "E0204", 2, 6, "map M : json -> json {\n  a: Nope(1)\n}\n"},
      {"UnknownQualifiedFunction", "E0204", 2, 10, "map M : json -> json {\n  a: mod.Nope(1)\n}\n"},
      {"WrongArityUser", "E0205", 2, 6, "map M : json -> json {\n  a: F(1, 2)\n}\ndef F(x) = x\n"},
      {"WrongArityBuiltin", "E0205", 2, 6, "map M : json -> json {\n  a: trim()\n}\n"},
      {"WrongArityTranslate", "E0205", 2, 6, "map M : json -> json {\n  a: translate(input.x)\n}\n"},
      {"DuplicateParameter", "E0206", 2, 10, "map M : json -> json { a: F(1, 2) }\ndef F(x, x) = x\n"},
      {"BadMessageType", "E0208", 1, 5, "map M : hl7v2 \"ADTA01\" -> json { a: 1 }\n"},
      {"ReturnInObjectLiteral", "E0209", 2, 8, "map M : json -> json {\n  o: { return 1 }\n}\n"},
      {"FieldSetTwice", "E0210", 3, 3, "map M : json -> json {\n  a: 1\n  a: 2\n}\n"},
      {"UndefinedName", "E0212", 2, 6, "map M : json -> json {\n  a: nothing\n}\n"},
      {"UnknownSegment", "E0213", 2, 6, "map M : hl7v2 \"ADT^A01\" -> json {\n  a: QQQ-1\n}\n"},
      {"UnknownGroup", "E0214", 2, 6, "map M : hl7v2 \"ORU^R01\" -> json {\n  a: NO_SUCH_GROUP\n}\n"},
      {"ComponentOutOfRange", "E0215", 2, 11, "map M : hl7v2 \"ADT^A01\" -> json {\n  a: PID-5.64\n}\n"},
      {"FieldBeyondSegment", "E0217", 2, 6, "map M : hl7v2 \"ADT^A01\" -> json {\n  a: PV1-99\n}\n"},
      {"RepetitionOutOfRange", "E0218", 2, 11, "map M : hl7v2 \"ADT^A01\" -> json {\n  a: PID-3[256]\n}\n"},
      {"TerminologyUrlNotLiteral", "E0220", 2, 31, "map M : json -> json {\n  a: translate(input.c, input.url)\n}\n"},
      {"ConstantNotLiteral", "E0222", 1, 11, "const A = [1, 2]\nmap M : json -> json { a: A }\n"},
      {"UnknownPolicy", "E0221", 2, 37, "map M : json -> json {\n  a: translate(input.c, \"http://x\", \"drop\")\n}\n"},
      {"PolicyNotLiteral", "E0220", 2, 55,
       "map M : json -> json {\n  a: translate(input.c, \"http://x\", { unmapped: input.p })\n}\n"},
      {"UnknownEquivalence", "E0226", 2, 62,
       "map M : json -> json {\n  a: translate(input.c, \"http://x\", { equivalence: [\"equal\", \"closest\"] })\n}\n"},
      {"ArithmeticOnText", "E0301", 2, 10, "map M : json -> json {\n  a: \"x\" * 2\n}\n"},
      {"NegateText", "E0301", 2, 6, "map M : json -> json {\n  a: -\"x\"\n}\n"},
      {"ArithmeticOnHl7Field", "E0301", 2, 6, "map M : hl7v2 \"ADT^A01\" -> json {\n  a: MSH-10 * 2\n}\n"},
      {"ArithmeticOnHl7Component", "E0301", 2, 15, "map M : hl7v2 \"ADT^A01\" -> json {\n  a: 1 + PID-3.1\n}\n"},
      {"NegatedHl7Field", "E0301", 2, 7, "map M : hl7v2 \"ORU^R01\" -> json {\n  a: -OBX-5\n}\n"},
      {"ArithmeticOnSegment", "E0301", 2, 6, "map M : hl7v2 \"ADT^A01\" -> json {\n  a: PID + 1\n}\n"},
      {"FieldBeyondZSegmentDeclaration", "E0217", 3, 6,
       "segment ZPI { 1: set_id, 2: vip_flag }\nmap M : hl7v2 \"ADT^A01\" -> json {\n  a: ZPI-44\n}\n"},
      {"DeclaredStandardSegment", "E0225", 1, 9, "segment PID { 1: x }\nmap M : json -> json { a: 1 }\n"},
      {"ZSegmentDeclaredTwice", "E0225", 2, 9,
       "segment ZPI { 1: a }\nsegment ZPI { 1: a }\nmap M : json -> json { a: 1 }\n"},
      {"ZSegmentFieldTwice", "E0225", 1, 27, "segment ZPI { 1: a, 2: b, 2: c }\nmap M : json -> json { a: 1 }\n"},
      {"ZSegmentFieldNameTwice", "E0225", 1, 27, "segment ZPI { 1: a, 2: b, 3: a }\nmap M : json -> json { a: 1 }\n"},
      {"ZSegmentFieldZero", "E0225", 1, 15, "segment ZPI { 0: a }\nmap M : json -> json { a: 1 }\n"},
      {"NotASegmentDeclaration", "E0104", 1, 1, "segmant ZPI { 1: a }\nmap M : json -> json { a: 1 }\n"},
      {"ArithmeticOnTemplate", "E0301", 2, 20, "map M : json -> json {\n  a: \"x${input.a}\" + 1\n}\n"},
      {"LoopOverNumber", "E0302", 2, 15, "map M : json -> json {\n  a: for x in 5 => x\n}\n"},
      // Builtin result types come from builtins.def (RESULT).
      {"LoopOverCount", "E0302", 2, 15, "map M : json -> json {\n  a: for x in count(input.a) => x\n}\n"},
      {"ArithmeticOnExists", "E0301", 2, 6, "map M : json -> json {\n  a: exists(input.a) + 1\n}\n"},
      {"DivisionByZeroConstant", "E0305", 2, 8, "map M : json -> json {\n  a: 1 / 0\n}\n"},
      {"MemberOfNumber", "E0303", 2, 10, "map M : json -> json {\n  a: (5).x\n}\n"},
      {"MemberOfString", "E0303", 2, 12, "map M : json -> json {\n  a: \"abc\".x\n}\n"},
      {"ComponentOfString", "E0303", 2, 11, "map M : json -> json {\n  a: \"abc\".2\n}\n"},
      {"LoopOverString", "E0302", 2, 15, "map M : json -> json {\n  a: for x in \"abc\" => x\n}\n"},
      {"SpreadOfNumber", "E0306", 2, 6, "map M : json -> json {\n  ...5\n}\n"},
      {"ObjectIndex", "E0304", 2, 12, "map M : json -> json {\n  a: input[{}]\n}\n"},
      {"BadIndexType", "E0304", 2, 12, "map M : json -> json {\n  a: input[true]\n}\n"},
      {"FhirUnknownElement", "E0230", 2, 33, "map M : json -> fhir {\n  p: { resourceType: \"Patient\", birthdate: \"x\" }\n}\n"},
      {"FhirObjectForPrimitive", "E0231", 2, 41, "map M : json -> fhir {\n  p: { resourceType: \"Patient\", gender: { code: \"m\" } }\n}\n"},
      {"FhirArrayForSingle", "E0232", 2, 44, "map M : json -> fhir {\n  p: { resourceType: \"Patient\", birthDate: [\"2000\"] }\n}\n"},
  };
  return cases;
}

class DiagnosticCase : public testing::TestWithParam<Case> {};

TEST_P(DiagnosticCase, ReportsCodeAndPosition) {
  const Case& c = GetParam();
  CompileResult r = CompileSource("maps/bad.cw", c.src);
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.diagnostics.empty());
  const Diagnostic& d = r.diagnostics[0];
  EXPECT_EQ(d.code, c.code) << Codes(r) << "\n" << FormatDiagnostics(r);
  EXPECT_EQ(d.loc.line, c.line) << FormatDiagnostics(r);
  EXPECT_EQ(d.loc.col, c.col) << FormatDiagnostics(r);
  EXPECT_EQ(d.severity, Severity::kError);
  EXPECT_FALSE(d.message.empty());
  EXPECT_EQ(d.message.find('\n'), std::string::npos) << "one line";
  // The rendering starts with file:line:col and carries the code.
  std::string text = FormatDiagnostics(r);
  std::string head = "maps/bad.cw:" + std::to_string(c.line) + ":" + std::to_string(c.col) + ": error: ";
  EXPECT_EQ(text.rfind(head, 0), 0u) << text;
  EXPECT_NE(text.find(std::string("[") + c.code + "]"), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(AllCodes, DiagnosticCase, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(Diagnostics, EveryCatalogueCodeIsCovered) {
  // Codes triggered here or in the other test files of this folder (imports, limits).
  std::set<std::string> covered = {"E0000",  // a compiler bug: no source triggers it
                                   "E0001", "E0002", "E0003", "E0201", "E0207", "E0211", "E0219", "E0223",
                                   "E0401", "E0402", "E0403", "E0104", "E0216", "W0001", "W0002",
                                   "W0003",  // fhir_check_test.cc
                                   "W0004",
                                   "E0405"};  // tests/unit/limits/compile_chain_limits_test.cc
  for (const Case& c : Cases()) covered.insert(c.code);
  std::set<std::string> seen;
  for (const DiagCodeInfo& info : kDiagCodes) {
    std::string code(info.code);
    EXPECT_TRUE(seen.insert(code).second) << code << " is in the catalogue twice";
    EXPECT_TRUE(covered.count(code)) << code << " (" << info.summary << ") is not triggered by any test";
  }
  for (const std::string& c : covered) EXPECT_TRUE(seen.count(c)) << c << " is not in the catalogue";
}

// docs/language.md ("Compile time") lists the catalogue, one row per code, with the same meaning.
TEST(Diagnostics, DocsListTheCatalogue) {
  std::ifstream in(std::string(CW_SOURCE_DIR) + "/docs/language.md");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string docs = ss.str();
  auto plain = [](std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '`'), s.end());
    return s;
  };
  size_t rows = 0;
  for (size_t at = docs.find("\n| E"); at != std::string::npos; at = docs.find("\n| E", at + 1)) ++rows;
  size_t warnings = 0;
  for (const DiagCodeInfo& info : kDiagCodes) {
    std::string row = "\n| " + std::string(info.code) + " | ";
    size_t at = docs.find(row);
    ASSERT_NE(at, std::string::npos) << info.code << " is missing from docs/language.md";
    std::string meaning = docs.substr(at + row.size(), docs.find(" |\n", at + row.size()) - at - row.size());
    EXPECT_EQ(plain(meaning), std::string(info.summary)) << info.code;
    warnings += info.code[0] == 'W';
  }
  EXPECT_EQ(rows, std::size(kDiagCodes) - warnings) << "docs/language.md lists a code the catalogue lacks";
}

TEST(Diagnostics, StatementAfterReturnIsAWarning) {
  CompileResult r = CompileSource("t.cw", "map M : json -> json { a: F(1) }\ndef F(x) {\n  return x\n  b: 2\n}\n");
  EXPECT_TRUE(r.ok()) << FormatDiagnostics(r);
  ASSERT_EQ(r.diagnostics.size(), 1u) << FormatDiagnostics(r);
  EXPECT_EQ(r.diagnostics[0].code, "W0001");
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kWarning);
}

TEST(Diagnostics, HL7ValuesReadAsNumbersCompile) {
  CompileResult r = CompileSource("t.cw",
                                  "map M : hl7v2 \"ORU^R01\" -> json {\n  a: decimal(OBX-5) * 1000\n"
                                  "  b: integer(MSH-10) + 1\n  c: -decimal(OBX-5)\n  d: for o in OBX => decimal(o.5) / 2\n}\n");
  EXPECT_TRUE(r.ok()) << FormatDiagnostics(r);
  EXPECT_TRUE(r.diagnostics.empty()) << FormatDiagnostics(r);
}

// A segment path given as an argument is its first segment. When the function loops over that parameter
// (a for, an ITER builtin, or through another function), the later segments would be left out silently: a
// warning at the argument. Looping over direct(...) or a comprehension, or reading one segment, is silent.
TEST(Diagnostics, FirstSegmentGivenToALoopIsAWarning) {
  const char* src =
      "map M : hl7v2 \"ORU^R01\" -> json {\n"
      "  a: Notes(NTE)\n"
      "  b: Notes(direct(NTE))\n"
      "  c: Outer(ORDER_OBSERVATION[0].OBR)\n"
      "  d: for g in ORDER_OBSERVATION => Notes(g.NTE)\n"
      "  e: Text(NTE)\n"
      "  f: Notes(for n in NTE => n)\n"
      "  g: for g in ORDER_OBSERVATION => Counted(g.OBX, g.NTE)\n"
      "}\n"
      "def Notes(ns) = for n in ns => n.3\n"
      "def Outer(x) = Inner(x)\n"
      "def Inner(y) = count(y)\n"
      "def Text(s) = s.3\n"
      "def Counted(one, many) {\n  let ns = 1\n  first: one.2\n  for n in many { text[]: n.3 }\n}\n";
  CompileResult r = CompileSource("t.cw", src);
  EXPECT_TRUE(r.ok()) << FormatDiagnostics(r);
  EXPECT_EQ(Codes(r), "W0004@2:12 W0004@4:33 W0004@5:44 W0004@8:53 ") << FormatDiagnostics(r);
  std::string text = FormatDiagnostics(r);
  EXPECT_NE(text.find("t.cw:5:44: warning: this argument is the first NTE segment only, but 'Notes' loops over its "
                      "parameter 'ns': pass `direct(g.NTE)`"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("'Outer' loops over its parameter 'x': pass `direct(...)` of the same path"), std::string::npos)
      << text;
}

// The same pitfall through a `let`: `let ns = NTE` binds the first NTE; looping over it (for, an ITER builtin, a
// function that loops over its parameter) warns where it is looped over. A let of direct(...) or of a
// comprehension, and a let of one segment that is only read, are silent.
TEST(Diagnostics, LoopOverALetOfTheFirstSegmentIsAWarning) {
  const char* src =
      "map M : hl7v2 \"ORU^R01\" -> json {\n"
      "  let ns = NTE\n"
      "  a: for n in ns => n.3\n"
      "  b: count(ns)\n"
      "  c: Notes(ns)\n"
      "  let all = direct(NTE)\n"
      "  d: for n in all => n.3\n"
      "  let obr = OBR\n"
      "  e: obr.4.1\n"
      "}\n"
      "def Notes(xs) = for x in xs => x.3\n";
  CompileResult r = CompileSource("t.cw", src);
  EXPECT_TRUE(r.ok()) << FormatDiagnostics(r);
  EXPECT_EQ(Codes(r), "W0004@3:15 W0004@4:12 W0004@5:12 ") << FormatDiagnostics(r);
  EXPECT_NE(FormatDiagnostics(r).find("'ns' is the first NTE segment only (bound on line 2), but is looped over here: "
                                      "bind `direct(NTE)`"),
            std::string::npos)
      << FormatDiagnostics(r);
}

// A Z-segment read without a declaration is a warning, once per segment, unless turned off; declared ones
// compile cleanly up to their last declared field, from any module of the program.
TEST(Diagnostics, UndeclaredZSegmentIsAWarning) {
  const char* src = "map M : hl7v2 \"ADT^A01\" -> json {\n  a: ZIP-2\n  b: ZIP-3\n  c: for z in ZQA => z.1\n}\n";
  CompileResult r = CompileSource("t.cw", src);
  EXPECT_TRUE(r.ok()) << FormatDiagnostics(r);
  EXPECT_EQ(Codes(r), "W0002@2:6 W0002@4:15 ") << FormatDiagnostics(r);
  EXPECT_NE(FormatDiagnostics(r).find("t.cw:2:6: warning: Z-segment ZIP is not declared"), std::string::npos)
      << FormatDiagnostics(r);
  CompileOptions quiet;
  quiet.warn_undeclared_z_segments = false;
  CompileResult q = CompileSource("t.cw", src, quiet);
  EXPECT_TRUE(q.ok());
  EXPECT_TRUE(q.diagnostics.empty()) << FormatDiagnostics(q);

  CompileResult declared = CompileSource(
      "t.cw", "segment ZIP { 1: set_id, 3: flag }\nsegment ZQA {\n  1: code\n}\n" + std::string(src));
  EXPECT_TRUE(declared.ok()) << FormatDiagnostics(declared);
  EXPECT_TRUE(declared.diagnostics.empty()) << FormatDiagnostics(declared);
  // `segment` stays usable as a name.
  CompileResult name = CompileSource("t.cw", "map M : json -> json {\n  let segment = input.segment\n  segment: segment\n}\n");
  EXPECT_TRUE(name.ok()) << FormatDiagnostics(name);
}

// One missing `}` in a function: one error, at the `{` that lacks it (found by indentation, not the
// function's own `{` that a stack would blame), and nothing about the code after it, which is fine.
TEST(Diagnostics, MissingBraceIsOneErrorAtItsOpener) {
  const char* src =
      "map ADT_A01 : hl7v2 \"ADT^A01\" -> fhir \"Bundle\" {\n"
      "  entry[]: { resource: Patient(PID) }\n"
      "}\n"
      "\n"
      "def Patient(pid) {\n"
      "  resourceType: \"Patient\"\n"
      "  name[]: for xpn in pid.5 => { family: xpn.1, given[]: xpn.2\n"
      "  birthDate: date(pid.7)\n"
      "}\n"
      "\n"
      "def MRN(pid) = pid.3.1\n"
      "\n"
      "def Other(x) {\n"
      "  a: MRN(x)\n"
      "}\n";
  CompileResult r = CompileSource("t.cw", src);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0109@7:31 ") << FormatDiagnostics(r);
  EXPECT_NE(FormatDiagnostics(r).find("t.cw:7:31: error: '{' is not closed (the '}' at 9:1 is indented to close the "
                                      "block around it) [E0109]\n"
                                      "    name[]: for xpn in pid.5 => { family: xpn.1, given[]: xpn.2\n"
                                      "                                ^\n"),
            std::string::npos)
      << FormatDiagnostics(r);
  // Errors before the bracket are still reported.
  std::string before = std::string("map X : json -> json { q: nope }\n") + src;
  CompileResult r2 = CompileSource("t.cw", before);
  EXPECT_EQ(Codes(r2), "E0212@1:27 E0109@8:31 ") << FormatDiagnostics(r2);
}

// A function missing its last `}`, followed by more declarations: the declaration that starts its line
// shows where the function had to end, so the parse resumes there. One error, naming the opener and the
// declaration; the calls (before the fault) to functions declared after it resolve.
TEST(Diagnostics, UnclosedFunctionResumesAtTheNextDeclaration) {
  const char* src =
      "map A : hl7v2 \"ADT^A01\" -> fhir \"Patient\" {\n"
      "  resourceType: \"Patient\"\n"
      "  identifier[]: MRN(PID-3)\n"
      "  gender: Gender(PID-8)\n"
      "}\n"
      "def Gender(g) {\n"
      "  let x = { a: [g\n"
      "  return x\n"
      "// the identifier\n"
      "def MRN(cx) = { value: cx.1 }\n"
      "const C = 1\n";
  CompileResult r = CompileSource("t.cw", src);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0109@7:16 ") << FormatDiagnostics(r);
  EXPECT_NE(FormatDiagnostics(r).find("t.cw:7:16: error: '[' is not closed before 'def' at 10:1 [E0109]"), std::string::npos)
      << FormatDiagnostics(r);
  // A mistake after the resumption point is a mistake of its own, reported.
  CompileResult later = CompileSource("t.cw", std::string(src) + "def Other(x) = nope\n");
  EXPECT_EQ(Codes(later), "E0109@7:16 E0212@12:16 ") << FormatDiagnostics(later);
  // So is a second unclosed function.
  CompileResult two = CompileSource("t.cw", std::string(src) + "def Other(x) {\n  a: 1\nmap B : json -> json { a: 1 }\n");
  EXPECT_EQ(Codes(two), "E0109@7:16 E0109@12:14 ") << FormatDiagnostics(two);
  // Without a declaration after it, the opener is blamed at the end of the file, as before.
  CompileResult last = CompileSource("t.cw", "map M : json -> json { a: F(1) }\ndef F(x) {\n  a: x\n");
  EXPECT_EQ(Codes(last), "E0109@2:10 ") << FormatDiagnostics(last);
  // `def` as a field name inside a block is not a declaration.
  CompileResult field = CompileSource("t.cw", "map M : json -> json {\n  a: 1\ndef: 1\n");
  EXPECT_EQ(Codes(field), "E0109@1:22 ") << FormatDiagnostics(field);
  EXPECT_NE(FormatDiagnostics(field).find("'{' is not closed before the end of the file"), std::string::npos);
}

// An unterminated string swallows brackets: its own error is what is reported, not a bracket error.
TEST(Diagnostics, UnterminatedStringIsNotABracketError) {
  CompileResult r = CompileSource("t.cw", "map M : json -> json {\n  a: { b: \"x }\n}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].code, "E0102") << Codes(r);
  EXPECT_EQ(Codes(r).find("E0109"), std::string::npos) << Codes(r);
}

TEST(Diagnostics, UnexpectedToken) {
  CompileResult r = CompileSource("t.cw", "map M : json -> json { a: 1 }\n}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0110@2:1 ");
  r = CompileSource("t.cw", "map M : json -> json { a: 1 }\nmap\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].code, "E0103") << Codes(r);
}

TEST(Diagnostics, ManyParameters) {
  std::string params;
  for (int i = 0; i < 65; ++i) params += (i ? ", p" : "p") + std::to_string(i);
  CompileResult ok64 = CompileSource("t.cw", "map M : json -> json { a: 1 }\ndef F(" + params.substr(0, params.rfind(',')) + ") = p0\n");
  EXPECT_TRUE(ok64.ok()) << FormatDiagnostics(ok64);
  CompileResult r = CompileSource("t.cw", "map M : json -> json { a: 1 }\ndef F(" + params + ") = p0\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].code, "E0207") << Codes(r);
  EXPECT_EQ(r.diagnostics[0].loc.line, 2u);
}

TEST(Diagnostics, TemplateParts) {
  auto tmpl = [](int parts) {
    // Each `${input.a}-` is two parts; a final ${} adds one.
    std::string s = "\"";
    int n = 0;
    while (n + 2 <= parts) {
      s += "${input.a}-";
      n += 2;
    }
    if (n < parts) s += "${input.a}";
    return s + "\"";
  };
  // The limit is 128 parts (kMaxTemplateParts): at 128 it compiles, at 129 it is E0211.
  CompileResult ok = CompileSource("t.cw", "map M : json -> json {\n  a: " + tmpl(128) + "\n}\n");
  EXPECT_TRUE(ok.ok()) << FormatDiagnostics(ok);
  CompileResult r = CompileSource("t.cw", "map M : json -> json {\n  a: " + tmpl(129) + "\n}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].code, "E0211") << Codes(r);
  EXPECT_EQ(r.diagnostics[0].loc.line, 2u);
  EXPECT_EQ(r.diagnostics[0].loc.col, 6u);
}

TEST(Diagnostics, TemplateAtTheLimitIsAccepted) {
  // E0211's limit (128 parts) stays below the register limit, so it is reachable: 128 parts compile even in a
  // function that already holds registers.
  std::string s = "\"";
  for (int i = 0; i < 63; ++i) s += "${input.a}-";
  s += "${input.a}\"";
  CompileResult ok = CompileSource("t.cw", "map M : json -> json {\n  a: " + s + "\n}\n");
  EXPECT_TRUE(ok.ok()) << FormatDiagnostics(ok).substr(0, 300);
}

TEST(Diagnostics, PathWithTooManyLevels) {
  // docs/language.md: a path has at most a component and a subcomponent; E0216 exists for this, but
  // PID-3.4.1.2 compiles and reads as absent at run time.
  CompileResult r = CompileSource("t.cw", "map M : hl7v2 \"ADT^A01\" -> json {\n  a: PID-3.4.1.2\n}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].code, "E0216") << Codes(r);
}

TEST(Diagnostics, UnreadableFile) {
  CompileResult r = Compile({"/nonexistent/dir/x.cw"});
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u) << Codes(r);
  EXPECT_EQ(r.diagnostics[0].code, "E0001");
  EXPECT_NE(FormatDiagnostics(r).find("/nonexistent/dir/x.cw"), std::string::npos) << FormatDiagnostics(r);
}

// ---- several mistakes: all reported, in source order, with the caret lines --------------------------------

constexpr const char* kManyMistakes = R"(map M : hl7v2 "ADT^A01" -> json {
  a: Nope(1)
  b: PID-999
  c: nothing
  d: "x" * 2
  e: trim(1, 2, 3)
  e: 5
}
def F(x, x) = x
def G() {
  q: QQQ-1
}
)";

TEST(Diagnostics, AllErrorsReportedInOneRun) {
  CompileResult r = CompileSource("maps/many.cw", kManyMistakes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0204@2:6 E0217@3:6 E0212@4:6 E0301@5:10 E0205@6:6 E0210@7:3 E0206@9:10 E0213@11:6 ")
      << FormatDiagnostics(r);
}

TEST(Diagnostics, FormattedWithSourceLineAndCaret) {
  CompileResult r = CompileSource("maps/many.cw", kManyMistakes);
  std::string text = FormatDiagnostics(r);
  EXPECT_NE(text.find("maps/many.cw:2:6: error: unknown function 'Nope'"), std::string::npos) << text;
  EXPECT_NE(text.find("[E0204]\n    a: Nope(1)\n       ^\n"), std::string::npos) << text;
  EXPECT_NE(text.find("maps/many.cw:7:3: error: field 'e' is already set at line 6"), std::string::npos) << text;
  EXPECT_NE(text.find("\n    e: 5\n    ^\n"), std::string::npos) << text;
  EXPECT_NE(text.find("maps/many.cw:9:10: error: parameter 'x' is listed twice [E0206]\n  def F(x, x) = x\n           ^\n"),
            std::string::npos)
      << text;
}

TEST(Diagnostics, SyntaxErrorsDoNotHideLaterOnes) {
  CompileResult r = CompileSource("t.cw",
                                  "map M : json -> json {\n  a: 1 +\n  b: \"x\\q\"\n  c: Nope()\n}\nmap N : json -> json { z: @ }\n");
  ASSERT_FALSE(r.ok());
  std::string codes = Codes(r);
  EXPECT_NE(codes.find("E0107@3:"), std::string::npos) << codes;
  EXPECT_NE(codes.find("E0101@6:"), std::string::npos) << codes;
  EXPECT_GE(r.diagnostics.size(), 3u) << codes;
}

TEST(Diagnostics, MaxErrorsCapsTheReport) {
  std::string src = "map M : json -> json {\n";
  for (int i = 0; i < 20; ++i) src += "  a" + std::to_string(i) + ": Nope" + std::to_string(i) + "()\n";
  src += "}\n";
  CompileOptions o;
  o.max_errors = 5;
  CompileResult r = CompileSource("t.cw", src, o);
  ASSERT_FALSE(r.ok());
  size_t errors = 0;
  for (const auto& d : r.diagnostics) errors += d.severity == Severity::kError;
  EXPECT_EQ(errors, 5u);
  o.max_errors = 20;
  r = CompileSource("t.cw", src, o);
  errors = 0;
  for (const auto& d : r.diagnostics) errors += d.severity == Severity::kError;
  EXPECT_EQ(errors, 20u);
  o.max_errors = 100;
  r = CompileSource("t.cw", src, o);
  errors = 0;
  for (const auto& d : r.diagnostics) errors += d.severity == Severity::kError;
  EXPECT_EQ(errors, 20u);
}

TEST(Diagnostics, CleanMapHasNoDiagnostics) {
  CompileResult r = CompileSource("t.cw", "map M : hl7v2 \"ADT^A01\" -> fhir \"Patient\" {\n  resourceType: \"Patient\"\n  id: PID-3.1\n}\n");
  EXPECT_TRUE(r.ok()) << FormatDiagnostics(r);
  EXPECT_TRUE(r.diagnostics.empty()) << FormatDiagnostics(r);
  EXPECT_FALSE(r.bytecode->empty());
}

}  // namespace
}  // namespace crosswalk::compiler
