// crosswalk fmt's layout (compiler/src/layout/layout.cc through FormatSource): the rules on small inputs, and the
// properties on every source file of the tree: idempotent, only white space changes (the same program).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bytecode/disassembler.h"
#include "bytecode/reader.h"
#include "crosswalk/compiler/compiler.h"

namespace crosswalk::compiler {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Fmt(const std::string& text) {
  FormatResult r = FormatSource("t.cw", text);
  if (!r.ok()) return "NOT FORMATTED\n" + FormatDiagnostics(r.diagnostics, r.files);
  return *r.formatted;
}

// The disassembly without its source locations and file table: what the program does, not where.
std::string Code(const std::string& path, const std::string& text, const CompileOptions& options) {
  CompileResult r = CompileSource(path, text, options);
  if (!r.ok()) return "COMPILE ERROR\n" + FormatDiagnostics(r);
  auto program = bytecode::ReadProgram(*r.bytecode);
  if (!program.ok()) return "READ ERROR " + program.status().ToString();
  std::istringstream in(bytecode::Disassemble(*program));
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind("        ; ", 0) == 0) continue;  // "; file:line:col" above each instruction
    out += line + "\n";
  }
  return out;
}

TEST(Format, SpacingInsideALine) {
  EXPECT_EQ(Fmt("map   M:json->json{a :1}"), "map M : json -> json { a: 1 }\n");
  EXPECT_EQ(Fmt("def F( a , b )= a+b*-c"), "def F(a, b) = a + b * -c\n");
  EXPECT_EQ(Fmt("def F(x) = [ 1,2 , -3 ][ 0 ]"), "def F(x) = [1, 2, -3][0]\n");
  EXPECT_EQ(Fmt("def F(x) = x . a . b .1"), "def F(x) = x.a.b.1\n");
  EXPECT_EQ(Fmt("def F(x) = PID-3 [2] .4 .1 ?? x.PID-4"), "def F(x) = PID-3[2].4.1 ?? x.PID-4\n");
  EXPECT_EQ(Fmt("def F(x) = { }"), "def F(x) = {}\n");
  EXPECT_EQ(Fmt("def F(x) = [ ...x , ...[ 1 ] ]"), "def F(x) = [...x, ...[1]]\n");
  EXPECT_EQ(Fmt("def F(x) = if(x)then - 1 else not(x)"), "def F(x) = if (x) then -1 else not (x)\n");
  EXPECT_EQ(Fmt("def F(x) = match x{\"a\"|\"b\"=>1 _=>2}"), "def F(x) = match x { \"a\" | \"b\" => 1 _ => 2 }\n");
  EXPECT_EQ(Fmt("map M : json -> json { k [ ] : for v , i in xs where v>=1=>v }"),
            "map M : json -> json { k[]: for v, i in xs where v >= 1 => v }\n");
  // Strings and templates are copied as they are.
  EXPECT_EQ(Fmt("const A = \"a  ${ x +1 }  b\""), "const A = \"a  ${ x +1 }  b\"\n");
}

TEST(Format, IndentationFollowsBracketsLeftOpen) {
  EXPECT_EQ(Fmt("map M : json -> json {\na: 1\n      b: {\n c: [\n1,\n2\n]\n}\n    }\n"),
            "map M : json -> json {\n  a: 1\n  b: {\n    c: [\n      1,\n      2\n    ]\n  }\n}\n");
  EXPECT_EQ(Fmt("map M : json -> json {\nif x {\na: 1\n} else {\nb: F(\n1)\n}\n}\n"),
            "map M : json -> json {\n  if x {\n    a: 1\n  } else {\n    b: F(\n      1)\n  }\n}\n");
}

TEST(Format, ContinuationLinesKeepTheirAlignment) {
  // A ?? chain and the arguments of a call opened on the line before keep their offset from the
  // statement's first line, which moves to its indentation.
  EXPECT_EQ(Fmt("map M : json -> json {\n      a: x\n         ?? y\n      b: f(1,\n           2)\n}\n"),
            "map M : json -> json {\n  a: x\n     ?? y\n  b: f(1,\n       2)\n}\n");
  // After a line that ends with `=` (or an operator, `then`, `else`...), and before one starting with else.
  EXPECT_EQ(Fmt("def F(x) =\n    if x then 1\n    else 2\n"), "def F(x) =\n    if x then 1\n    else 2\n");
  // A line that closes a bracket goes back to the indentation of the line that opened it; what follows
  // is relative to the statement, not to the lines inside the bracket.
  EXPECT_EQ(Fmt("map M : json -> json {\n a: for x in xs => {\n      v: x\n   }\n      ?? []\n}\n"),
            "map M : json -> json {\n  a: for x in xs => {\n    v: x\n  }\n       ?? []\n}\n");
}

TEST(Format, CommentsAndBlankLines) {
  EXPECT_EQ(Fmt("\n\n// head\nmap M : json -> json {   // trailing\n\n\n\n     // before a\n  a: 1       // aligned\n"
                "  /* b */ b: 2\n    // last\n}\n\n\n"),
            "// head\nmap M : json -> json {   // trailing\n\n  // before a\n  a: 1       // aligned\n"
            "  /* b */ b: 2\n  // last\n}\n");
  // A block comment over several lines is copied; CRLF line ends become LF; tabs and trailing spaces go.
  EXPECT_EQ(Fmt("/* one\n   two */\r\nconst A = 1  \r\n\tconst B = 2\r\n"), "/* one\n   two */\nconst A = 1\nconst B = 2\n");
}

TEST(Format, SourcesThatDoNotParseAreNotFormatted) {
  FormatResult r = FormatSource("bad.cw", "map M : json -> json {\n  a: (1\n}\n");
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kError);
  EXPECT_NE(FormatDiagnostics(r.diagnostics, r.files).find("bad.cw:2:6: error: '(' is not closed before '}' at 3:1 [E0109]"), std::string::npos)
      << FormatDiagnostics(r.diagnostics, r.files);
  EXPECT_FALSE(FormatSource("bad.cw", "const A = \"open\n").ok());
  EXPECT_FALSE(FormatSource("bad.cw", std::string("const A = 1\0", 12)).ok());
}

// Every .cw file of the shipped maps and of the tests: formatting is idempotent, keeps every comment, and
// gives the same program (the disassembly without source positions).
TEST(Format, EverySourceOfTheTreeRoundTrips) {
  std::vector<fs::path> files;
  for (const char* root : {"maps", "tests", "examples"}) {
    fs::path dir = fs::path(CW_SOURCE_DIR) / root;
    if (!fs::exists(dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file() && e.path().extension() == ".cw") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 25u);
  CompileOptions options;
  options.include_dirs = {std::string(CW_SOURCE_DIR) + "/maps"};
  size_t formatted = 0, compiled = 0, not_compiled = 0;
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    std::string text = ReadAll(f);
    FormatResult r = FormatSource(f.string(), text);
    // Deliberately broken sources: fuzz reproducers, and the language server's test workspace (documents
    // with mistakes, imports resolved the editor's way from the folders above: docs/editors.md).
    bool broken_on_purpose = f.string().find("/fuzz/") != std::string::npos ||
                             f.string().find("/lsp/workspace/") != std::string::npos;
    if (!r.ok()) {
      // Only deliberately broken sources may fail, and with a syntax error.
      EXPECT_TRUE(broken_on_purpose) << FormatDiagnostics(r.diagnostics, r.files);
      continue;
    }
    ++formatted;
    EXPECT_EQ(Fmt(*r.formatted), *r.formatted) << "not idempotent";
    size_t comments = 0;
    for (size_t at = text.find("//"); at != std::string::npos; at = text.find("//", at + 2)) ++comments;
    size_t kept = 0;
    for (size_t at = r.formatted->find("//"); at != std::string::npos; at = r.formatted->find("//", at + 2)) ++kept;
    EXPECT_EQ(kept, comments);
    // A module of defs alone (maps/hl7v2/datatypes.cw) is compiled with a map added to both texts.
    std::string suffix;
    std::string before = Code(f.string(), text, options);
    if (before.rfind("COMPILE ERROR", 0) == 0) {
      suffix = "\nmap FormatTestEntry : json -> json { a: 1 }\n";
      before = Code(f.string(), text + suffix, options);
    }
    if (before.rfind("COMPILE ERROR", 0) == 0) {
      EXPECT_TRUE(broken_on_purpose) << before;
      ++not_compiled;
      continue;
    }
    ++compiled;
    EXPECT_EQ(Code(f.string(), *r.formatted + suffix, options), before);
  }
  EXPECT_GE(formatted, 25u);
  EXPECT_EQ(compiled + not_compiled, formatted);
  EXPECT_LE(not_compiled, 3u);  // the language server's workspace: adt.cw, broken.cw (not found imports, mistakes)
}

}  // namespace
}  // namespace crosswalk::compiler
