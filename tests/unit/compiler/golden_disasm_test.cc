// Codegen golden tests: every tests/golden/disasm/NAME.cw is compiled and its disassembly compared, whole,
// with NAME.disasm. With CW_UPDATE_GOLDENS=1 the .disasm files are rewritten instead (review the diff).
// Also: constant folding, checked on the disassembly and on a run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bytecode/disassembler.h"
#include "bytecode/reader.h"
#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"

namespace crosswalk::compiler {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compiles `text` under the file name `name` (so listings do not depend on where the tree is checked out).
std::string Disasm(const std::string& name, const std::string& text, const CompileOptions& options = {}) {
  CompileResult r = CompileSource(name, text, options);
  if (!r.ok()) return "COMPILE ERROR\n" + FormatDiagnostics(r);
  auto program = bytecode::ReadProgram(*r.bytecode);
  if (!program.ok()) return "READ ERROR " + program.status().ToString();
  return bytecode::Disassemble(*program);
}

std::vector<fs::path> GoldenSources() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(CW_TEST_DIR) / "golden" / "disasm")) {
    if (e.path().extension() == ".cw") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(GoldenDisasm, ListingsMatch) {
  const char* update = std::getenv("CW_UPDATE_GOLDENS");
  bool updating = update && std::string(update) == "1";
  auto sources = GoldenSources();
  ASSERT_GE(sources.size(), 8u) << "golden sources missing from tests/golden/disasm";
  for (const fs::path& src : sources) {
    SCOPED_TRACE(src.filename().string());
    std::string got = Disasm(src.filename().string(), ReadAll(src));
    EXPECT_EQ(got.rfind("COMPILE ERROR", 0), std::string::npos) << got;
    fs::path expected_path = fs::path(src).replace_extension(".disasm");
    if (updating) {
      std::ofstream(expected_path, std::ios::binary) << got;
      continue;
    }
    ASSERT_TRUE(fs::exists(expected_path)) << expected_path << " missing; run with CW_UPDATE_GOLDENS=1";
    std::string want = ReadAll(expected_path);
    EXPECT_EQ(got, want) << "listing of " << src.filename() << " changed; if intended, rerun with CW_UPDATE_GOLDENS=1 "
                         << "and review the diff";
  }
}

TEST(GoldenDisasm, CompilationIsDeterministic) {
  for (const fs::path& src : GoldenSources()) {
    std::string text = ReadAll(src);
    CompileResult a = CompileSource(src.filename().string(), text);
    CompileResult b = CompileSource(src.filename().string(), text);
    ASSERT_TRUE(a.ok() && b.ok()) << src;
    EXPECT_EQ(*a.bytecode, *b.bytecode) << src;
  }
}

// ---- constant folding -----------------------------------------------------------------------------------

bool HasOp(const std::string& listing, const std::string& op) {
  std::istringstream in(listing);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string pc, name;
    if (words >> pc >> name && name == op && std::all_of(pc.begin(), pc.end(), ::isdigit)) return true;
  }
  return false;
}

std::string RunJson(const std::string& src, const CompileOptions& options) {
  CompileResult r = CompileSource("t.cw", src, options);
  if (!r.ok()) return "COMPILE ERROR " + FormatDiagnostics(r);
  auto rt = Runtime::Create();
  auto p = (*rt)->Load(*r.bytecode);
  if (!p.ok()) return "LOAD ERROR " + p.status().ToString();
  RunContext ctx(**rt);
  RunOutput out;
  Status s = ctx.Run(**p, "{}", {}, &out);
  return s.ok() ? out.json : "RUN ERROR " + s.ToString();
}

TEST(ConstantFolding, ArithmeticFoldsToOneConstant) {
  const std::string src = "map M : json -> json {\n  a: 1 + 2 * 3 - 4 % 3\n  b: 1.50 * 2\n  c: -(2 + 3)\n}\n";
  std::string folded = Disasm("t.cw", src);
  for (const char* op : {"ADD", "SUB", "MUL", "MOD", "NEG"}) EXPECT_FALSE(HasOp(folded, op)) << op << "\n" << folded;
  EXPECT_NE(folded.find("LOADI      R1 6"), std::string::npos) << folded;
  EXPECT_NE(folded.find("decimal  3.00"), std::string::npos) << folded;
  EXPECT_NE(folded.find("LOADI      R1 -5"), std::string::npos) << folded;
  // Decimals keep their scale through folding.
  EXPECT_EQ(RunJson(src, {}), R"({"a":6,"b":3.00,"c":-5})");
}

TEST(ConstantFolding, OptionOffKeepsTheArithmetic) {
  const std::string src = "map M : json -> json {\n  a: 1 + 2 * 3 - 4 % 3\n  b: 1.50 * 2\n  c: -(2 + 3)\n}\n";
  CompileOptions off;
  off.fold_constants = false;
  EXPECT_EQ(RunJson(src, off), R"({"a":6,"b":3.00,"c":-5})");
  std::string unfolded = Disasm("t.cw", src, off);
  EXPECT_TRUE(HasOp(unfolded, "MUL")) << unfolded;
  EXPECT_TRUE(HasOp(unfolded, "ADD")) << unfolded;
}

TEST(ConstantFolding, ComparisonsLogicAndConditionals) {
  const std::string src =
      "map M : json -> json {\n  a: 2 < 3 and not false\n  b: if 1 == 1 then \"y\" else \"n\"\n  c: \"ab\" == \"ab\"\n}\n";
  std::string folded = Disasm("t.cw", src);
  EXPECT_FALSE(HasOp(folded, "LT")) << folded;
  EXPECT_FALSE(HasOp(folded, "EQ")) << folded;
  EXPECT_EQ(RunJson(src, {}), R"({"a":true,"b":"y","c":true})");
  CompileOptions off;
  off.fold_constants = false;
  EXPECT_EQ(RunJson(src, off), R"({"a":true,"b":"y","c":true})");
}

TEST(ConstantFolding, OverflowIsNotFoldedAway) {
  // An overflowing constant expression must not fold to a wrapped value.
  const std::string src = "map M : json -> json {\n  a: 9223372036854775807 + 1\n}\n";
  CompileResult r = CompileSource("t.cw", src);
  if (!r.ok()) return;  // a compile-time error is fine
  std::string got = RunJson(src, {});
  EXPECT_EQ(got.rfind("RUN ERROR", 0), 0u) << got;
  EXPECT_EQ(got.find("-9223372036854775808"), std::string::npos) << got;
}

TEST(ConstantFolding, TemplateOfConstants) {
  const std::string src = "map M : json -> json {\n  a: \"x${1 + 1}y${'z'}\"\n}\n";
  EXPECT_EQ(RunJson(src, {}), R"({"a":"x2yz"})");
  std::string folded = Disasm("t.cw", src);
  EXPECT_FALSE(HasOp(folded, "ADD")) << folded;
}

}  // namespace
}  // namespace crosswalk::compiler
