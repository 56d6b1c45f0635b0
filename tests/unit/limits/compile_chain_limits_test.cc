// Issue 14: limits of the compiler's recursive walks and of constant folding, at N and N+1.
//  - CompileOptions::max_nesting counts each link of a left-associative chain (`a + b + c`, `a and b`,
//    `input.a.a`, `x.1.1`, `x[0][0]`) and each `else if`: the tree is that deep, and every pass walks it
//    recursively. 1e5- and 1e6-term chains are E0003 at their position, not a stack overflow.
//  - CompileOptions::max_constant_bytes (E0404) and ::max_constant_pool_bytes (E0405).
//  - A map source that is not UTF-8, or holds a NUL byte, is E0004/E0005 at the first bad byte.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"

namespace crosswalk {
namespace {

using compiler::CompileOptions;
using compiler::CompileResult;
using compiler::CompileSource;
using compiler::FormatDiagnostics;

Runtime& Rt() {
  static std::unique_ptr<Runtime> rt = std::move(Runtime::Create()).value();
  return *rt;
}

std::string Codes(const CompileResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) {
    s += d.code + "@" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + " ";
  }
  return s;
}

std::string RunJson(const CompileResult& r, const std::string& input) {
  auto p = Rt().Load(*r.bytecode);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return "";
  RunContext ctx(Rt());
  RunOutput out;
  Status s = ctx.Run(**p, input, {}, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out.json;
}

// `a: <first> <op> <term> <op> <term> ...` with `links` operators, on line 3; every operand is one level (a
// name), so the chain is exactly `links` + 1 levels deep.
struct Chain {
  const char* name;
  const char* first;
  const char* link;  // appended `links` times
  bool compiles;     // false: another rule rejects it after parsing (HL7 paths have at most 3 components)
};
const Chain kChains[] = {
    {"add", "n", " + n", true},
    {"and", "n", " and n", true},
    {"or", "n", " or n", true},
    {"member", "input", ".n", true},
    {"component", "n", ".1", false},
    {"index", "n", "[0]", true},
    {"equal", "n", " == n", true},
};

std::string ChainMap(const Chain& c, size_t links) {
  std::string s = "map M : json -> json {\n  let n = input.n\n  a: ";
  s += c.first;
  for (size_t i = 0; i < links; ++i) s += c.link;
  return s + "\n}\n";
}

TEST(ChainLimit, EveryChainAtNAndNPlusOne) {
  // The map body, the field and the chain's first operand take three levels; each link one more. So with
  // max_nesting = N, N - 3 links compile and N - 2 are E0003 — like N - 3 nested parentheses.
  for (const Chain& c : kChains) {
    for (uint32_t limit : {20u, 21u, 120u}) {
      SCOPED_TRACE(std::string(c.name) + " " + std::to_string(limit));
      CompileOptions o;
      o.max_nesting = limit;
      CompileResult at = CompileSource("t.cw", ChainMap(c, limit - 3), o);
      if (c.compiles) EXPECT_TRUE(at.ok()) << FormatDiagnostics(at).substr(0, 400);
      for (const auto& d : at.diagnostics) EXPECT_NE(d.code, "E0003") << Codes(at);
      CompileResult over = CompileSource("t.cw", ChainMap(c, limit - 2), o);
      ASSERT_FALSE(over.ok());
      ASSERT_EQ(over.diagnostics.size(), 1u) << Codes(over);
      EXPECT_EQ(over.diagnostics[0].code, "E0003");
      EXPECT_EQ(over.diagnostics[0].loc.line, 3u);
      EXPECT_NE(FormatDiagnostics(over).find("t.cw:3:"), std::string::npos);
    }
  }
}

TEST(ChainLimit, ChainAtTheLimitRuns) {
  // 117 additions of input.n: the program that compiles at the edge also computes the right value.
  CompileOptions o;
  o.max_nesting = 120;
  CompileResult at = CompileSource("t.cw", ChainMap(kChains[0], 117), o);
  ASSERT_TRUE(at.ok()) << FormatDiagnostics(at).substr(0, 400);
  EXPECT_EQ(RunJson(at, R"({"n":2})"), R"({"a":236})");
}

TEST(ChainLimit, HugeChainsAreAnErrorNotACrash) {
  // Reported: 30,000 terms overflowed the stack. 1e5 and 1e6 links, with the default limit: one E0003 on
  // line 2, in the chain, well before its end (the parser stops at the limit).
  for (const Chain& c : kChains) {
    for (size_t links : {30'000u, 100'000u, 1'000'000u}) {
      std::string src = ChainMap(c, links);
      if (src.size() > CompileOptions{}.max_source_bytes) continue;  // E0002 is tested elsewhere
      SCOPED_TRACE(std::string(c.name) + " " + std::to_string(links));
      CompileResult r = CompileSource("t.cw", src);
      ASSERT_FALSE(r.ok());
      ASSERT_EQ(r.diagnostics.size(), 1u) << Codes(r);
      EXPECT_EQ(r.diagnostics[0].code, "E0003");
      EXPECT_EQ(r.diagnostics[0].loc.line, 3u);
      EXPECT_LT(r.diagnostics[0].loc.col, 600u * 16) << "at the limit, not at the end of the chain";
    }
  }
}

TEST(ChainLimit, ChainOperatorIsTheCaret) {
  // A member chain has no right operands: the first link past the limit is reported at its `.`.
  CompileOptions o;
  o.max_nesting = 20;
  CompileResult r = CompileSource("t.cw", ChainMap(kChains[3], 18), o);
  ASSERT_EQ(r.diagnostics.size(), 1u) << Codes(r);
  // "  a: input" then ".n" per link: link k's dot is at column 11 + 2 (k - 1); link 18 is past the limit.
  EXPECT_EQ(Codes(r), "E0003@3:" + std::to_string(11 + 2 * 17) + " ");
}

std::string ElseIfs(int n) {
  std::string s = "map M : json -> json {\n  if input.a { k: 1 }";
  for (int i = 0; i < n; ++i) s += " else if input.a { k: 1 }";
  return s + "\n}\n";
}

TEST(ChainLimit, ElseIfChainsAtNAndNPlusOne) {
  // Each `else if` is a level (the parser recurses on it); the innermost `k: 1` sits five levels below the
  // map body's first, so N - 5 else-ifs compile and N - 4 are E0003.
  for (uint32_t limit : {20u, 21u, 120u}) {
    SCOPED_TRACE(limit);
    CompileOptions o;
    o.max_nesting = limit;
    CompileResult at = CompileSource("t.cw", ElseIfs(static_cast<int>(limit) - 5), o);
    EXPECT_TRUE(at.ok()) << FormatDiagnostics(at).substr(0, 400);
    CompileResult over = CompileSource("t.cw", ElseIfs(static_cast<int>(limit) - 4), o);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(Codes(over).substr(0, 8), "E0003@2:") << Codes(over);
  }
  CompileResult huge = CompileSource("t.cw", ElseIfs(100'000));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.diagnostics.size(), 1u);
  EXPECT_EQ(huge.diagnostics[0].code, "E0003");
}

TEST(ChainLimit, DeepOperandOfALongChainIsCountedWhole) {
  // The parser checks depth as the tree grows; a chain that grows after a deep right operand makes that
  // operand deeper still. The AST builder checks the finished tree: `input.n + (((...input.n...))) + ...`.
  auto src = [](int parens, int links) {
    std::string s = "map M : json -> json {\n  let n = input.n\n  a: n + " + std::string(parens, '(') + "n" +
                    std::string(parens, ')');
    for (int i = 1; i < links; ++i) s += " + n";
    return s + "\n}\n";
  };
  // Depth of the innermost operand: map body + field (2) + links + the operand's expression (1) + parens.
  auto depth = [](int parens, int links) { return 2 + links + 1 + parens; };
  CompileOptions o;
  o.max_nesting = static_cast<uint32_t>(depth(10, 10));
  CompileResult at = CompileSource("t.cw", src(10, 10), o);
  EXPECT_TRUE(at.ok()) << FormatDiagnostics(at);
  o.max_nesting -= 1;
  CompileResult over = CompileSource("t.cw", src(10, 10), o);
  ASSERT_FALSE(over.ok());
  ASSERT_EQ(over.diagnostics.size(), 1u) << Codes(over);
  EXPECT_EQ(over.diagnostics[0].code, "E0003");
}

TEST(ChainLimit, TemplatePartsCountFromTheirString) {
  // `a: "x${((n))}"`: the map body, the field and the string take three levels, each parenthesis one and
  // the name one: N - 4 parentheses compile, N - 3 are E0003, inside the string.
  auto src = [](int parens) {
    return "map M : json -> json {\n  let n = input.n\n  a: \"x${" + std::string(parens, '(') + "n" +
           std::string(parens, ')') + "}\"\n}\n";
  };
  for (uint32_t limit : {20u, 60u}) {
    SCOPED_TRACE(limit);
    CompileOptions o;
    o.max_nesting = limit;
    CompileResult at = CompileSource("t.cw", src(static_cast<int>(limit) - 4), o);
    EXPECT_TRUE(at.ok()) << FormatDiagnostics(at);
    CompileResult over = CompileSource("t.cw", src(static_cast<int>(limit) - 3), o);
    ASSERT_FALSE(over.ok());
    ASSERT_EQ(over.diagnostics.size(), 1u) << Codes(over);
    EXPECT_EQ(over.diagnostics[0].code, "E0003");
    EXPECT_GT(over.diagnostics[0].loc.col, 8u) << "inside the string";
  }
}

// ---- constant folding ---------------------------------------------------------------------------------------

std::string Doubling(int steps, size_t first_bytes = 1) {
  std::string s = "const c0 = \"" + std::string(first_bytes, 'x') + "\"\n";
  for (int i = 1; i <= steps; ++i) {
    s += "const c" + std::to_string(i) + " = \"${c" + std::to_string(i - 1) + "}${c" + std::to_string(i - 1) +
         "}\"\n";
  }
  return s + "map M : json -> json {\n  n: length(c" + std::to_string(steps) + ")\n}\n";
}

TEST(ConstantLimit, FoldedStringAtNAndNPlusOne) {
  // c1 = c0 + c0: 2 * 1000 bytes.
  CompileOptions o;
  o.max_constant_bytes = 2000;
  CompileResult at = CompileSource("t.cw", Doubling(1, 1000), o);
  ASSERT_TRUE(at.ok()) << FormatDiagnostics(at);
  EXPECT_EQ(RunJson(at, "{}"), R"({"n":2000})");
  o.max_constant_bytes = 1999;
  CompileResult over = CompileSource("t.cw", Doubling(1, 1000), o);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(Codes(over), "E0404@2:12 ") << "at the template, and nothing else";
  EXPECT_NE(FormatDiagnostics(over).find("max_constant_bytes"), std::string::npos);
}

TEST(ConstantLimit, FortyDoublingsAreOneErrorNotAnAllocationFailure) {
  // Reported: ran for minutes, then "internal error: std::bad_alloc". Now 2^21 > 1 MiB stops at c21, once.
  CompileResult r = CompileSource("t.cw", Doubling(40));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0404@22:13 ");
}

TEST(ConstantLimit, PoolBytesAtNAndNPlusOne) {
  // The pool holds "k" and the 100-byte value: 101 bytes.
  std::string src = "map M : json -> json {\n  k: \"" + std::string(100, 'v') + "\"\n}\n";
  CompileOptions o;
  o.max_constant_pool_bytes = 101;
  CompileResult at = CompileSource("t.cw", src, o);
  ASSERT_TRUE(at.ok()) << FormatDiagnostics(at);
  o.max_constant_pool_bytes = 100;
  CompileResult over = CompileSource("t.cw", src, o);
  ASSERT_FALSE(over.ok());
  ASSERT_EQ(over.diagnostics.size(), 1u) << Codes(over);
  EXPECT_EQ(over.diagnostics[0].code, "E0405");
  EXPECT_EQ(over.diagnostics[0].loc.line, 2u);
}

TEST(ConstantLimit, FoldingBudgetCountsEveryCopy) {
  // Each constant is below max_constant_bytes, but the copies add up: c0 (1000) twice, c1 (2000) built, c1
  // twice (4000) ... E0405 is reported once, where the budget runs out, and no constant after it reports.
  CompileOptions o;
  o.max_constant_pool_bytes = 10'000;
  CompileResult r = CompileSource("t.cw", Doubling(6, 1000), o);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u) << Codes(r);
  EXPECT_EQ(r.diagnostics[0].code, "E0405");
  o.max_constant_pool_bytes = 1'000'000;
  EXPECT_TRUE(CompileSource("t.cw", Doubling(6, 1000), o).ok());
}

TEST(ConstantLimit, FoldingBudgetAtNAndNPlusOne) {
  // c1 = "${c0}${c0}" with c0 1000 bytes: two copies of c0 (2000) and the folded c1 (2000) take 4000 bytes of
  // the folding budget; the program's pool then holds c1 and the key "n" (2001).
  CompileOptions o;
  o.max_constant_pool_bytes = 4000;
  CompileResult at = CompileSource("t.cw", Doubling(1, 1000), o);
  ASSERT_TRUE(at.ok()) << FormatDiagnostics(at);
  EXPECT_EQ(RunJson(at, "{}"), R"({"n":2000})");
  o.max_constant_pool_bytes = 3999;
  CompileResult over = CompileSource("t.cw", Doubling(1, 1000), o);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(Codes(over), "E0405@2:12 ") << "at the template whose folding runs out";
  EXPECT_NE(FormatDiagnostics(over).find("max_constant_pool_bytes"), std::string::npos);
}

// ---- source bytes ----------------------------------------------------------------------------------------

TEST(SourceBytes, InvalidUtf8IsAnErrorAtTheFirstBadByte) {
  // Reported: "internal error in the parser: wstring_convert::from_bytes [E0000]", no position.
  const std::string bad[] = {
      "\xE9",              // Latin-1 é
      "\xC3",              // truncated sequence
      "\xC0\xAF",          // overlong '/'
      "\xED\xA0\x80",      // surrogate
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xFF",
  };
  for (const std::string& b : bad) {
    SCOPED_TRACE(b.size());
    std::string src = "map M : json -> json {\n  a: \"caf" + b + "\" // \xC3\xA9 is fine\n}\n";
    CompileResult r = CompileSource("t.cw", src);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(Codes(r), "E0004@2:10 ");
    std::string text = FormatDiagnostics(r);
    EXPECT_NE(text.find("t.cw:2:10: error: invalid UTF-8"), std::string::npos) << text;
    EXPECT_EQ(text.find("internal error"), std::string::npos) << text;
    EXPECT_EQ(text.find("caf" + b), std::string::npos) << "the bad bytes are not echoed";
    EXPECT_NE(text.find("caf?"), std::string::npos) << text;
    EXPECT_NE(text.find("\xC3\xA9 is fine"), std::string::npos) << "valid text is shown as it is";
  }
  // Valid multi-byte text (2, 3 and 4 bytes) compiles and is kept.
  CompileResult ok = CompileSource("t.cw", "map M : json -> json {\n  a: \"M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x98\x80\"\n}\n");
  ASSERT_TRUE(ok.ok()) << FormatDiagnostics(ok);
  EXPECT_EQ(RunJson(ok, "{}"), "{\"a\":\"M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x98\x80\"}");
}

TEST(SourceBytes, NulByteIsAnError) {
  std::string src = "map M : json -> json {\n  a: \"x";
  src += '\0';
  src += "y\"\n}\n";
  CompileResult r = CompileSource("t.cw", src);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0005@2:8 ");
  EXPECT_EQ(FormatDiagnostics(r).find('\0'), std::string::npos) << "the caret line is safe for a terminal";
}

TEST(SourceBytes, VeryLongLineCompilesAndErrorsShowAWindow) {
  // A 3 MiB line (under the 4 MiB source limit) compiles; an error at its end shows a window of it.
  std::string big(3u << 20, 'x');
  CompileResult ok = CompileSource("t.cw", "map M : json -> json { a: \"" + big + "\" }\n");
  ASSERT_TRUE(ok.ok()) << FormatDiagnostics(ok).substr(0, 300);
  CompileResult r = CompileSource("t.cw", "map M : json -> json { a: \"" + big + "\" b: nope }\n");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u) << Codes(r);
  EXPECT_EQ(r.diagnostics[0].code, "E0212");
  std::string text = FormatDiagnostics(r);
  EXPECT_LT(text.size(), 600u) << "a window of the line, not 3 MiB";
  EXPECT_NE(text.find("b: nope }"), std::string::npos) << text;
  // The caret sits under `nope`.
  size_t line = text.find("  ...");
  ASSERT_NE(line, std::string::npos) << text;
  size_t caret_line = text.find('\n', line) + 1;
  size_t caret = text.find('^', caret_line) - caret_line;
  EXPECT_EQ(text.substr(line + caret, 4), "nope") << text;
}

}  // namespace
}  // namespace crosswalk
