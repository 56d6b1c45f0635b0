// Imports: resolution via the importing file's folder and then the include dirs, aliases, qualified calls,
// ambiguity, cycles and unknown modules. Each test writes its modules into a fresh temporary folder.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"

namespace crosswalk::compiler {
namespace {

namespace fs = std::filesystem;

class ImportsTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    dir_ = fs::temp_directory_path() / ("cw_imports_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& rel, const std::string& text) {
    fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  static std::string Codes(const CompileResult& r) {
    std::string s;
    for (const auto& d : r.diagnostics) s += d.code + "@" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + " ";
    return s;
  }
  // Runs the compiled program on "{}" and returns the JSON.
  static std::string RunJson(const CompileResult& r) {
    if (!r.ok()) return "COMPILE ERROR " + FormatDiagnostics(r);
    auto rt = Runtime::Create();
    auto p = (*rt)->Load(*r.bytecode);
    if (!p.ok()) return "LOAD ERROR " + p.status().ToString();
    RunContext ctx(**rt);
    RunOutput out;
    Status s = ctx.Run(**p, "{}", {}, &out);
    return s.ok() ? out.json : "RUN ERROR " + s.ToString();
  }

  fs::path dir_;
};

// A missing `}` in an imported module: one error, in that module, at the opener; the importer's calls to
// the module's later functions resolve (the module's parse resumes at its next declaration).
TEST_F(ImportsTest, UnclosedBraceInAModuleIsOneError) {
  Write("maps/lib/people.cw",
        "def Id(cx) {\n  value: cx.1\n\ndef Name(xpn) = { family: xpn.1 }\ndef Names(xs) = for x in xs => Name(x)\n");
  std::string root = Write("maps/main.cw",
                           "import lib.people\nmap M : hl7v2 \"ADT^A01\" -> json {\n  id: Id(PID-3)\n  name[]: Names(PID-5)\n}\n");
  CompileResult r = Compile({root});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0109@1:12 ") << FormatDiagnostics(r);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_NE(r.files[r.diagnostics[0].loc.file].path.find("people.cw"), std::string::npos);
}

TEST_F(ImportsTest, ResolvesFromTheFilesFolder) {
  Write("maps/lib/names.cw", "def Greet(x) = \"hi ${x}\"\n");
  std::string root = Write("maps/main.cw", "import lib.names\nmap M : json -> json { a: Greet(\"bob\") }\n");
  CompileResult r = Compile({root});
  EXPECT_EQ(RunJson(r), R"({"a":"hi bob"})");
  EXPECT_EQ(r.files.size(), 2u);
}

TEST_F(ImportsTest, ResolvesFromIncludeDirsInOrder) {
  Write("inc1/shared/util.cw", "def Which() = \"inc1\"\n");
  Write("inc2/shared/util.cw", "def Which() = \"inc2\"\ndef Only2() = 2\n");
  Write("inc2/shared/other.cw", "def Other() = \"other\"\n");
  std::string root = Write("maps/main.cw",
                           "import shared.util\nimport shared.other\nmap M : json -> json { a: Which(), b: Other() }\n");
  CompileOptions o;
  o.include_dirs = {(dir_ / "inc1").string(), (dir_ / "inc2").string()};
  EXPECT_EQ(RunJson(Compile({root}, o)), R"({"a":"inc1","b":"other"})");
  o.include_dirs = {(dir_ / "inc2").string(), (dir_ / "inc1").string()};
  EXPECT_EQ(RunJson(Compile({root}, o)), R"({"a":"inc2","b":"other"})");
}

TEST_F(ImportsTest, OwnFolderBeforeIncludeDirs) {
  Write("inc/lib/x.cw", "def Which() = \"include\"\n");
  Write("maps/lib/x.cw", "def Which() = \"local\"\n");
  std::string root = Write("maps/main.cw", "import lib.x\nmap M : json -> json { a: Which() }\n");
  CompileOptions o;
  o.include_dirs = {(dir_ / "inc").string()};
  EXPECT_EQ(RunJson(Compile({root}, o)), R"({"a":"local"})");
}

TEST_F(ImportsTest, NestedImportsResolveFromTheirOwnFolder) {
  Write("maps/a/one.cw", "import b.two\ndef One() = Two() + 1\n");
  Write("maps/a/b/two.cw", "def Two() = 2\n");
  std::string root = Write("maps/main.cw", "import a.one\nmap M : json -> json { a: One() }\n");
  EXPECT_EQ(RunJson(Compile({root})), R"({"a":3})");
}

TEST_F(ImportsTest, QualifiedByLastPartAndByAlias) {
  Write("maps/hl7/datatypes.cw", "def Name(x) = \"n:${x}\"\n");
  std::string root = Write("maps/main.cw",
                           "import hl7.datatypes\nimport hl7.datatypes as dt\n"
                           "map M : json -> json { a: datatypes.Name(1), b: dt.Name(2), c: Name(3) }\n");
  EXPECT_EQ(RunJson(Compile({root})), R"({"a":"n:1","b":"n:2","c":"n:3"})");
}

TEST_F(ImportsTest, AliasOnly) {
  Write("maps/hl7/datatypes.cw", "def Name(x) = \"n:${x}\"\n");
  std::string root = Write("maps/main.cw", "import hl7.datatypes as x\nmap M : json -> json { a: x.Name(1) }\n");
  EXPECT_EQ(RunJson(Compile({root})), R"({"a":"n:1"})");
}

TEST_F(ImportsTest, AmbiguousNameMustBeQualified) {
  Write("maps/m/a.cw", "def Same() = \"a\"\n");
  Write("maps/m/b.cw", "def Same() = \"b\"\n");
  std::string bad = Write("maps/bad.cw", "import m.a\nimport m.b\nmap M : json -> json {\n  x: Same()\n}\n");
  CompileResult r = Compile({bad});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0219@4:6 ") << FormatDiagnostics(r);
  std::string good = Write("maps/good.cw", "import m.a\nimport m.b\nmap M : json -> json { x: a.Same(), y: b.Same() }\n");
  EXPECT_EQ(RunJson(Compile({good})), R"({"x":"a","y":"b"})");
}

TEST_F(ImportsTest, LocalDefinitionIsNotAmbiguous) {
  Write("maps/m/a.cw", "def Same() = \"a\"\n");
  std::string root = Write("maps/main.cw", "import m.a\nmap M : json -> json { x: Same(), y: a.Same() }\ndef Same() = \"local\"\n");
  CompileResult r = Compile({root});
  EXPECT_EQ(RunJson(r), R"({"x":"local","y":"a"})");
}

TEST_F(ImportsTest, UnknownModule) {
  std::string root = Write("maps/main.cw", "map M : json -> json { a: 1 }\nimport no.such\n");
  root = Write("maps/main.cw", "import no.such\nmap M : json -> json { a: 1 }\n");
  CompileResult r = Compile({root});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0201@1:1 ") << FormatDiagnostics(r);
  EXPECT_NE(FormatDiagnostics(r).find("no/such.cw"), std::string::npos) << FormatDiagnostics(r);
}

TEST_F(ImportsTest, CycleIsAnError) {
  Write("maps/c/one.cw", "import two\ndef One() = 1\n");  // imports resolve from the importing file's folder
  Write("maps/c/two.cw", "import one\ndef Two() = 2\n");
  std::string root = Write("maps/main.cw", "import c.one\nmap M : json -> json { a: One() }\n");
  CompileResult r = Compile({root});
  ASSERT_FALSE(r.ok());
  std::string codes = Codes(r);
  EXPECT_NE(codes.find("E0223"), std::string::npos) << FormatDiagnostics(r);
  EXPECT_NE(FormatDiagnostics(r).find("cycle"), std::string::npos) << FormatDiagnostics(r);
}

TEST_F(ImportsTest, SelfImportIsACycle) {
  std::string root = Write("maps/main.cw", "import main\nmap M : json -> json { a: 1 }\n");
  CompileResult r = Compile({root});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Codes(r), "E0223@1:1 ") << FormatDiagnostics(r);
}

TEST_F(ImportsTest, DiamondIsNotACycle) {
  Write("maps/d/base.cw", "def Base() = 1\n");
  Write("maps/d/left.cw", "import base\ndef Left() = Base() + 10\n");
  Write("maps/d/right.cw", "import base\ndef Right() = Base() + 20\n");
  std::string root = Write("maps/main.cw", "import d.left\nimport d.right\nmap M : json -> json { l: Left(), r: Right() }\n");
  CompileResult r = Compile({root});
  EXPECT_EQ(RunJson(r), R"({"l":11,"r":21})");
  EXPECT_EQ(r.files.size(), 4u);
}

TEST_F(ImportsTest, MapsInImportedFilesAreNotEntryPoints) {
  Write("maps/lib/withmap.cw", "map Hidden : json -> json { h: 1 }\ndef F() = 1\n");
  std::string root = Write("maps/main.cw", "import lib.withmap\nmap M : json -> json { a: F() }\n");
  CompileResult r = Compile({root});
  ASSERT_TRUE(r.ok()) << FormatDiagnostics(r);
  auto rt = Runtime::Create();
  auto p = (*rt)->Load(*r.bytecode);
  ASSERT_TRUE(p.ok());
  auto maps = (*p)->maps();
  ASSERT_EQ(maps.size(), 1u);
  EXPECT_EQ(maps[0].name, "M");
}

TEST_F(ImportsTest, ErrorsInImportedFileNameThatFile) {
  Write("maps/lib/broken.cw", "def F() = Nope()\n");
  std::string root = Write("maps/main.cw", "import lib.broken\nmap M : json -> json { a: F() }\n");
  CompileResult r = Compile({root});
  ASSERT_FALSE(r.ok());
  std::string text = FormatDiagnostics(r);
  EXPECT_NE(text.find("lib/broken.cw:1:11: error: unknown function 'Nope'"), std::string::npos) << text;
}

TEST_F(ImportsTest, CompileSourceResolvesRelativeToPath) {
  Write("maps/lib/names.cw", "def Greet() = \"hi\"\n");
  CompileResult r = CompileSource((dir_ / "maps/inmem.cw").string(), "import lib.names\nmap M : json -> json { a: Greet() }\n");
  EXPECT_EQ(RunJson(r), R"({"a":"hi"})");
}

}  // namespace
}  // namespace crosswalk::compiler
