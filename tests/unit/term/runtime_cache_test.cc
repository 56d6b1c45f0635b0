// The terminology cache as a host sizes it (RuntimeOptions::terminology_cache_bytes, the C API's
// cw_runtime_options_set_terminology_cache_bytes) and as a running program sees it: with a bound far
// smaller than what one message asks, every answer a run read stays right (the VM copies answers into the
// run's arena, so evicting their cache entries later in the run changes nothing); and the store's own
// accounting stays within the bound over many distinct translations (an identity map echoes every code,
// the case that grew an unbounded cache to 578 MB at 600k distinct codes).
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/crosswalk.h"
#include "crosswalk/runtime.h"
#include "crosswalk/terminology.h"
#include "term_test_util.h"

namespace crosswalk {
namespace {

using term::testing::ImportInto;
using term::testing::TempDir;

constexpr int kCodes = 3000;

// A code system c0..c{kCodes-1} ("Display i"), a map c_i -> t_i ("Target i") and an identity map
// (`unmapped: provided`, no elements) that answers every code.
class RuntimeCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string cs = dir_->path() + "/cs.json", map = dir_->path() + "/map.json", id = dir_->path() + "/id.json";
    {
      std::ofstream out(cs);
      out << R"({"resourceType":"CodeSystem","url":"urn:cs","version":"1","concept":[)";
      for (int i = 0; i < kCodes; ++i) out << (i ? "," : "") << R"({"code":"c)" << i << R"(","display":"Display )" << i << R"("})";
      out << "]}";
    }
    {
      std::ofstream out(map);
      out << R"({"resourceType":"ConceptMap","url":"urn:map","group":[{"source":"urn:cs","target":"urn:t","element":[)";
      for (int i = 0; i < kCodes; ++i) {
        out << (i ? "," : "") << R"({"code":"c)" << i << R"(","target":[{"code":"t)" << i << R"(","display":"Target )"
            << i << R"(","equivalence":"equivalent"}]})";
      }
      out << "]}]}";
    }
    std::ofstream(id) << R"({"resourceType":"ConceptMap","url":"urn:identity","group":[{"source":"urn:a",)"
                      << R"("target":"urn:b","unmapped":{"mode":"provided"}}]})";
    Status s = ImportInto(dir_->db(), {cs, map, id});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() { delete dir_; }

  // A map that reads every code of the input array through translate (code and Coding), lookup and member.
  static std::string Program() {
    auto c = compiler::CompileSource("t.cw", R"~(
map M : json -> json {
  codes[]: for c in input.codes => translate(c, "urn:map")
  codings[]: for c in input.codes => translate_coding(c, "urn:map")
  displays[]: for c in input.codes => lookup(c, "urn:cs")
  same[]: for c in input.codes => translate(c, "urn:identity")
}
)~");
    EXPECT_TRUE(c.ok()) << compiler::FormatDiagnostics(c);
    return c.ok() ? *c.bytecode : std::string();
  }

  static std::string Input(int n) {
    std::string in = R"({"codes":[)";
    for (int i = 0; i < n; ++i) in += (i ? ",\"c" : "\"c") + std::to_string(i) + "\"";
    return in + "]}";
  }

  static std::string Expected(int n) {
    std::string codes, codings, displays, same;
    for (int i = 0; i < n; ++i) {
      std::string sep = i ? "," : "";
      codes += sep + "\"t" + std::to_string(i) + "\"";
      codings += sep + R"({"system":"urn:t","code":"t)" + std::to_string(i) + R"(","display":"Target )" +
                 std::to_string(i) + "\"}";
      displays += sep + "\"Display " + std::to_string(i) + "\"";
      same += sep + "\"c" + std::to_string(i) + "\"";
    }
    return R"({"codes":[)" + codes + R"(],"codings":[)" + codings + R"(],"displays":[)" + displays +
           R"(],"same":[)" + same + "]}";
  }

  static TempDir* dir_;
};
TempDir* RuntimeCacheTest::dir_ = nullptr;

TEST_F(RuntimeCacheTest, ARunKeepsEveryAnswerItReadWhenTheCacheEvictsIt) {
  // 4 KiB: a handful of answers per shard, so a message of 3,000 codes evicts its own early answers many
  // times over before the output is written.
  RuntimeOptions o;
  o.terminology_dir = dir_->db();
  o.terminology_cache_bytes = 4096;
  auto rt = Runtime::Create(o);
  ASSERT_TRUE(rt.ok()) << rt.status().ToString();
  auto p = (*rt)->Load(Program());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  RunContext ctx(**rt);
  for (int round = 0; round < 2; ++round) {
    RunOutput out;
    Status s = ctx.Run(**p, Input(kCodes), {}, &out);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(out.json, Expected(kCodes));
  }
}

TEST_F(RuntimeCacheTest, DefaultAndUnboundedRuntimesGiveTheSameAnswers) {
  for (size_t bound : {size_t{0}, SIZE_MAX}) {
    RuntimeOptions o;
    o.terminology_dir = dir_->db();
    o.terminology_cache_bytes = bound;
    auto rt = Runtime::Create(o);
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    auto p = (*rt)->Load(Program());
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    RunContext ctx(**rt);
    RunOutput out;
    ASSERT_TRUE(ctx.Run(**p, Input(50), {}, &out).ok());
    EXPECT_EQ(out.json, Expected(50));
  }
}

TEST_F(RuntimeCacheTest, StoreAccountingStaysWithinTheBoundOverManyDistinctTranslations) {
  constexpr size_t kBound = 128 << 10;
  term::OpenOptions o;
  o.max_cache_bytes = kBound;
  auto store = term::Store::Open(dir_->db(), o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  uint64_t peak = 0;
  // Distinct codes through the identity map: every answer is new and owns its code.
  for (int i = 0; i < 40000; ++i) {
    std::string code = "code-" + std::to_string(i) + "-with-some-length";
    auto t = (*store)->Translate("urn:identity", "urn:a", code);
    ASSERT_TRUE(t.ok() && t->found) << i;
    ASSERT_EQ(t->target_code, code);
    if (i % 1000 == 999) peak = std::max(peak, (*store)->stats().cache_bytes);
  }
  term::Stats st = (*store)->stats();
  EXPECT_GT(st.cache_evictions, 30000u);
  // Each of the 64 shards may overshoot its share by the one entry just inserted (well under 1 KiB).
  EXPECT_LE(peak, kBound + 64 * 1024);
  EXPECT_LE(st.cache_bytes, kBound + 64 * 1024);
  EXPECT_GT(st.cache_bytes, kBound / 2);
  EXPECT_LT(st.cache_entries, 40000u / 8);
}

TEST_F(RuntimeCacheTest, CApiSetsTheBoundAndTheDriftOption) {
  cw_runtime_options* ro = nullptr;
  ASSERT_EQ(cw_runtime_options_create(&ro), CW_OK);
  ASSERT_EQ(cw_runtime_options_set_terminology_dir(ro, dir_->db().data(), dir_->db().size()), CW_OK);
  ASSERT_EQ(cw_runtime_options_set_terminology_cache_bytes(ro, 4096), CW_OK);
  ASSERT_EQ(cw_runtime_options_set_allow_terminology_drift(ro, 1), CW_OK);
  EXPECT_EQ(cw_runtime_options_set_terminology_cache_bytes(nullptr, 1), CW_INVALID_ARGUMENT);
  cw_runtime* rt = nullptr;
  ASSERT_EQ(cw_runtime_create_with_options(ro, &rt), CW_OK) << cw_last_error();
  cw_runtime_options_destroy(ro);
  std::string cwb = Program();
  cw_program* prog = nullptr;
  ASSERT_EQ(cw_program_load(rt, cwb.data(), cwb.size(), &prog), CW_OK) << cw_last_error();
  EXPECT_EQ(cw_program_terminology_warning_count(prog), 0u);
  const char* line = nullptr;
  size_t len = 0;
  EXPECT_EQ(cw_program_terminology_warning(prog, 0, &line, &len), CW_INVALID_ARGUMENT);
  cw_context* ctx = nullptr;
  ASSERT_EQ(cw_context_create(rt, &ctx), CW_OK);
  std::string in = Input(kCodes);
  const char* out = nullptr;
  size_t out_len = 0;
  ASSERT_EQ(cw_run(ctx, prog, in.data(), in.size(), &out, &out_len), CW_OK) << cw_last_error();
  EXPECT_EQ(std::string(out, out_len), Expected(kCodes));
  cw_context_destroy(ctx);
  cw_program_destroy(prog);
  cw_runtime_destroy(rt);

  // NULL options: the defaults (no store), so a program that uses terminology does not load.
  ASSERT_EQ(cw_runtime_create_with_options(nullptr, &rt), CW_OK);
  EXPECT_EQ(cw_program_load(rt, cwb.data(), cwb.size(), &prog), CW_FAILED_PRECONDITION);
  cw_runtime_destroy(rt);
}

}  // namespace
}  // namespace crosswalk
