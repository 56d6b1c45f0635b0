// Binding a program to a store in-process (Runtime::BindTerminology, what `crosswalk compile --term` does) and
// the C API's runtime options: a store whose content drifted from the one the program was bound to is refused,
// or loads with a warning when cw_runtime_options_set_allow_terminology_drift allows it; the program's
// terminology list (cw_program_terminology) names what it was bound to.
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/crosswalk.h"
#include "crosswalk/runtime.h"
#include "crosswalk/terminology.h"

namespace {

namespace fs = std::filesystem;

// A ConceptMap urn:map:sex version `version` mapping "F" to `target`.
std::string SexMap(const std::string& version, const std::string& target) {
  return R"({"resourceType":"ConceptMap","url":"urn:map:sex","version":")" + version +
         R"(","group":[{"source":"urn:s","target":"urn:t","element":[{"code":"F","target":[{"code":")" + target +
         R"(","equivalence":"equivalent"}]}]}]})";
}

class BindingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cw-capi-binding-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "db").string();
    Import(SexMap("1", "female"));
    auto c = crosswalk::compiler::CompileSource("p.cw", "map M : json -> json { sex: translate(\"F\", \"urn:map:sex\") }\n");
    ASSERT_TRUE(c.ok()) << crosswalk::compiler::FormatDiagnostics(c);
    unbound_ = *c.bytecode;
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Import(const std::string& json) {
    std::string file = (dir_ / ("r" + std::to_string(imports_++) + ".json")).string();
    std::ofstream(file) << json;
    crosswalk::term::OpenOptions o;
    o.read_only = false;
    auto store = crosswalk::term::Store::Open(db_, o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Import({file}).ok());
  }

  // Loads `cwb` through the C API against the store; "LOAD <status>: <error>" or the output, then each
  // terminology warning on its own line.
  std::string LoadAndRun(const std::string& cwb, int allow_drift) {
    cw_runtime_options* ro = nullptr;
    EXPECT_EQ(cw_runtime_options_create(&ro), CW_OK);
    EXPECT_EQ(cw_runtime_options_set_terminology_dir(ro, db_.data(), db_.size()), CW_OK);
    EXPECT_EQ(cw_runtime_options_set_allow_terminology_drift(ro, allow_drift), CW_OK);
    cw_runtime* rt = nullptr;
    EXPECT_EQ(cw_runtime_create_with_options(ro, &rt), CW_OK) << cw_last_error();
    cw_runtime_options_destroy(ro);
    cw_program* prog = nullptr;
    cw_status s = cw_program_load(rt, cwb.data(), cwb.size(), &prog);
    std::string text;
    if (s != CW_OK) {
      text = std::string("LOAD ") + cw_status_name(s) + ": " + cw_last_error();
    } else {
      cw_context* ctx = nullptr;
      EXPECT_EQ(cw_context_create(rt, &ctx), CW_OK);
      const char* out = nullptr;
      size_t len = 0;
      EXPECT_EQ(cw_run(ctx, prog, "{}", 2, &out, &len), CW_OK) << cw_last_error();
      text.assign(out, len);
      for (size_t i = 0; i < cw_program_terminology_warning_count(prog); ++i) {
        const char* w = nullptr;
        size_t n = 0;
        EXPECT_EQ(cw_program_terminology_warning(prog, i, &w, &n), CW_OK);
        text += "\nwarning: " + std::string(w, n);
      }
      cw_context_destroy(ctx);
    }
    cw_program_destroy(prog);
    cw_runtime_destroy(rt);
    return text;
  }

  std::string Bind() {
    crosswalk::RuntimeOptions o;
    o.terminology_dir = db_;
    auto rt = crosswalk::Runtime::Create(o);
    EXPECT_TRUE(rt.ok()) << rt.status().ToString();
    auto bound = (*rt)->BindTerminology(unbound_);
    EXPECT_TRUE(bound.ok()) << bound.status().ToString();
    return bound.ok() ? *bound : std::string();
  }

  fs::path dir_;
  std::string db_, unbound_;
  int imports_ = 0;
};

TEST_F(BindingTest, BoundProgramNamesTheVersionItWasBoundTo) {
  std::string bound = Bind();
  ASSERT_NE(bound, unbound_);
  cw_runtime* rt = nullptr;
  ASSERT_EQ(cw_runtime_create(db_.data(), db_.size(), &rt), CW_OK);
  cw_program* prog = nullptr;
  for (const std::string* cwb : {&unbound_, &bound}) {
    ASSERT_EQ(cw_program_load(rt, cwb->data(), cwb->size(), &prog), CW_OK) << cw_last_error();
    ASSERT_EQ(cw_program_terminology_count(prog), 1u);
    const char* ref = nullptr;
    size_t n = 0;
    ASSERT_EQ(cw_program_terminology(prog, 0, &ref, &n), CW_OK);
    // Unbound: the reference as written; bound: pinned to the version it was bound to.
    EXPECT_EQ(std::string(ref, n), cwb == &bound ? "urn:map:sex|1" : "urn:map:sex");
    EXPECT_EQ(cw_program_terminology(prog, 1, &ref, &n), CW_INVALID_ARGUMENT);
    cw_program_destroy(prog);
  }
  cw_runtime_destroy(rt);
  // Binding again replaces the bindings: the same bytes come out.
  crosswalk::RuntimeOptions o;
  o.terminology_dir = db_;
  auto runtime = crosswalk::Runtime::Create(o);
  ASSERT_TRUE(runtime.ok());
  auto again = (*runtime)->BindTerminology(bound);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, bound);
}

TEST_F(BindingTest, DriftIsRefusedOrAllowedByTheRuntimeOptions) {
  std::string bound = Bind();
  EXPECT_EQ(LoadAndRun(bound, 0), R"({"sex":"female"})");
  Import(SexMap("1", "F-changed"));  // version 1 replaced with other content
  std::string refused = LoadAndRun(bound, 0);
  EXPECT_EQ(refused.rfind("LOAD failed precondition: ", 0), 0u) << refused;
  EXPECT_NE(refused.find("ConceptMap 'urn:map:sex|1' (or a resource it reaches) differs from what the program was "
                         "compiled against"),
            std::string::npos)
      << refused;
  std::string allowed = LoadAndRun(bound, 1);
  EXPECT_EQ(allowed.rfind("{\"sex\":\"F-changed\"}\nwarning: terminology drift: ConceptMap 'urn:map:sex|1' "
                          "(or a resource it reaches) differs",
                          0),
            0u)
      << allowed;
  // An unbound program is checked for presence only.
  EXPECT_EQ(LoadAndRun(unbound_, 0), R"({"sex":"F-changed"})");
}

TEST_F(BindingTest, BindingNamesEveryMissingResource) {
  auto c = crosswalk::compiler::CompileSource(
      "q.cw",
      "map M : json -> json {\n  a: translate(\"F\", \"urn:map:none\")\n  b: lookup(\"x\", \"urn:cs:none\")\n"
      "  c: translate(\"F\", \"urn:map:sex\")\n}\n");
  ASSERT_TRUE(c.ok()) << crosswalk::compiler::FormatDiagnostics(c);
  crosswalk::RuntimeOptions o;
  o.terminology_dir = db_;
  auto rt = crosswalk::Runtime::Create(o);
  ASSERT_TRUE(rt.ok());
  auto bound = (*rt)->BindTerminology(*c.bytecode);
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.status().code(), crosswalk::StatusCode::kFailedPrecondition);
  const std::string msg(bound.status().message());
  EXPECT_NE(msg.find("urn:map:none"), std::string::npos) << msg;
  EXPECT_NE(msg.find("urn:cs:none"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("urn:map:sex"), std::string::npos) << msg;
  // No store: refused; no terminology: returned as it is; not a program: kCorrupt.
  auto bare = crosswalk::Runtime::Create();
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ((*bare)->BindTerminology(unbound_).status().code(), crosswalk::StatusCode::kFailedPrecondition);
  auto plain = crosswalk::compiler::CompileSource("r.cw", "map M : json -> json { a: 1 }\n");
  ASSERT_TRUE(plain.ok());
  auto same = (*bare)->BindTerminology(*plain.bytecode);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, *plain.bytecode);
  EXPECT_EQ((*bare)->BindTerminology("not a program").status().code(), crosswalk::StatusCode::kCorrupt);
}

}  // namespace
