// $lookup with displayLanguage (RFC 4647 lookup over the concept's designations), CodeSystem supplements
// merged into their base's designations and properties at read, the DSL's lookup by language, and binding
// of transitively reached resources (a value set's code systems and imported value sets, a map's
// other-map and target code system, a code system's supplements): a change in any of them changes what
// Bind records, so a compiled program notices it at load.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"
#include "crosswalk/terminology.h"
#include "cli_test_util.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::ImportInto;
using testing::RunCommand;
using testing::Write;
using testing::OpenReadOnly;
using testing::TempDir;

// Base: "heart" with a German designation and an English (use = FSN) one; "lung" with none.
constexpr const char* kBase = R"~({"resourceType":"CodeSystem","url":"urn:cs:organs","version":"2",
  "content":"complete","concept":[
   {"code":"heart","display":"Heart","designation":[
     {"language":"en","use":{"system":"http://snomed.info/sct","code":"900000000000003001"},"value":"Heart (body structure)"},
     {"language":"de","value":"Herz"}]},
   {"code":"lung","display":"Lung"}]})~";

// A supplement of version 2 of the base: French and Swiss German designations, a property.
constexpr const char* kSupplement = R"~({"resourceType":"CodeSystem","url":"urn:cs:organs-fr","version":"1",
  "content":"supplement","supplements":"urn:cs:organs|2","concept":[
   {"code":"heart","designation":[{"language":"fr-CA","value":"Coeur (CA)"},{"language":"fr","value":"Coeur"},
                                   {"language":"de-CH","value":"Härz"}],
    "property":[{"code":"system","valueString":"cardiovascular"}]},
   {"code":"lung","designation":[{"language":"fr","value":"Poumon"}]}]})~";

// A supplement of another base version: must not apply to version 2.
constexpr const char* kOtherSupplement = R"~({"resourceType":"CodeSystem","url":"urn:cs:organs-es","version":"1",
  "content":"supplement","supplements":"urn:cs:organs|1","concept":[
   {"code":"heart","designation":[{"language":"es","value":"Corazón"}]}]})~";

class SupplementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ImportInto(dir_.db(), {Write(dir_.path() + "/base.json", kBase),
                                       Write(dir_.path() + "/sup.json", kSupplement),
                                       Write(dir_.path() + "/sup-es.json", kOtherSupplement)})
                    .ok());
    store_ = OpenReadOnly(dir_.db());
    ASSERT_NE(store_, nullptr);
  }
  // The display of heart asked in `lang`, then "|" and the language that matched.
  std::string Display(const std::string& code, const std::string& lang) {
    auto c = store_->Lookup("urn:cs:organs", code, {}, lang);
    if (!c.ok()) return "ERROR: " + c.status().ToString();
    if (!c->has_value()) return "none";
    return std::string((*c)->display) + "|" + std::string((*c)->display_language);
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SupplementTest, LookupMergesTheSupplementsOfItsVersion) {
  auto c = store_->Lookup("urn:cs:organs", "heart");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->display, "Heart");
  EXPECT_EQ((*c)->display_language, "");
  ASSERT_EQ((*c)->designations.size(), 5u);  // 2 of the base, 3 of the supplement; not the Spanish one
  EXPECT_EQ((*c)->designations[1].value, "Herz");
  EXPECT_EQ((*c)->designations[3].value, "Coeur");
  ASSERT_EQ((*c)->properties.size(), 1u);
  EXPECT_EQ((*c)->properties[0].code, "system");
  EXPECT_EQ((*c)->properties[0].value, "cardiovascular");
  // A supplement adds no codes: its URL still answers for itself, the base does not learn new codes.
  auto none = store_->Lookup("urn:cs:organs", "kidney");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // $validate-code accepts a supplement's designation as a display.
  auto v = store_->ValidateCode("urn:cs:organs", "heart", "Coeur");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->valid) << v->message;
}

TEST_F(SupplementTest, DisplayLanguageFollowsRfc4647Lookup) {
  EXPECT_EQ(Display("heart", "de"), "Herz|de");
  EXPECT_EQ(Display("heart", "DE"), "Herz|de");             // case-insensitive
  EXPECT_EQ(Display("heart", "de-AT"), "Herz|de");          // truncated to de
  EXPECT_EQ(Display("heart", "de-CH"), "Härz|de-CH");       // exact, from the supplement
  EXPECT_EQ(Display("heart", "fr"), "Coeur|fr");            // exact beats fr-CA
  EXPECT_EQ(Display("heart", "fr-CA"), "Coeur (CA)|fr-CA");
  EXPECT_EQ(Display("heart", "it,fr;q=0.5"), "Coeur|fr");   // a preference list
  EXPECT_EQ(Display("heart", "en"), "Heart (body structure)|en");  // the only English one, though an FSN
  EXPECT_EQ(Display("heart", "es"), "Heart|");              // the Spanish supplement names base version 1
  EXPECT_EQ(Display("lung", "fr"), "Poumon|fr");
  EXPECT_EQ(Display("lung", "de"), "Lung|");                // no match: the concept's own display
  // A language-specific answer is cached apart from the plain one.
  EXPECT_EQ(Display("heart", ""), "Heart|");
}

TEST_F(SupplementTest, TermLookupLang) {
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunCommand("term", {"lookup", "--db", dir_.db(), "--lang", "de-AT", "urn:cs:organs", "heart"}), 0);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("display: Herz\nstatus: active\ndisplay_language: de\n"), std::string::npos) << out;
  EXPECT_NE(out.find("designation: [fr] Coeur\n"), std::string::npos) << out;  // from the supplement
  EXPECT_NE(out.find("property: system = cardiovascular\n"), std::string::npos) << out;
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunCommand("term", {"lookup", "--db", dir_.db(), "--lang", "it", "urn:cs:organs", "heart"}), 0);
  out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("display: Heart\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("display_language:"), std::string::npos) << out;
}

TEST_F(SupplementTest, ASupplementOfTheBoundVersionIsPartOfTheBinding) {
  uint64_t before = store_->Bind(ResourceKind::kCodeSystem, "urn:cs:organs")->content_hash;
  uint64_t own = 0;
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  for (const auto& r : *list) {
    if (r.url == "urn:cs:organs") own = r.content_hash;
  }
  EXPECT_NE(before, own);  // it reaches the French supplement
  std::string changed = kSupplement;
  changed.replace(changed.find("Poumon"), 6, "Poumons");
  ASSERT_TRUE(ImportInto(dir_.db(), {Write(dir_.path() + "/sup2.json", changed)}).ok());
  EXPECT_NE(OpenReadOnly(dir_.db())->Bind(ResourceKind::kCodeSystem, "urn:cs:organs")->content_hash, before);
}

TEST_F(SupplementTest, DslLookupByLanguage) {
  auto rt = Runtime::Create({.terminology_dir = dir_.db()});
  ASSERT_TRUE(rt.ok());
  auto c = compiler::CompileSource("t.cw", R"~(
map M : json -> json {
  de: lookup("heart", "urn:cs:organs", "de")
  ch: lookup("heart", "urn:cs:organs", "de-CH")
  at: lookup("heart", "urn:cs:organs", "de-AT")
  fr: lookup("lung", "urn:cs:organs", "fr")
  prop: lookup("heart", "urn:cs:organs", "system")
  none: lookup("lung", "urn:cs:organs", "it")
}
)~");
  ASSERT_TRUE(c.ok()) << compiler::FormatDiagnostics(c);
  auto p = (*rt)->Load(*c.bytecode);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  RunContext ctx(**rt);
  RunOutput out;
  ASSERT_TRUE(ctx.Run(**p, "{}", {}, &out).ok());
  EXPECT_EQ(out.json, R"({"de":"Herz","ch":"Härz","at":"Herz","fr":"Poumon","prop":"cardiovascular"})");
}

// A value set including a code system and importing another value set; a map with an other-map rule.
constexpr const char* kColors = R"~({"resourceType":"CodeSystem","url":"urn:cs:colors","version":"1",
  "concept":[{"code":"red","display":"Red"},{"code":"blue","display":"Blue"}]})~";
constexpr const char* kInner = R"~({"resourceType":"ValueSet","url":"urn:vs:inner","version":"1",
  "compose":{"include":[{"system":"urn:cs:colors","concept":[{"code":"red"},{"code":"blue"}]}]}})~";
constexpr const char* kOuter = R"~({"resourceType":"ValueSet","url":"urn:vs:outer","version":"1",
  "compose":{"include":[{"valueSet":["urn:vs:inner"]}]}})~";
constexpr const char* kFirst = R"~({"resourceType":"ConceptMap","url":"urn:map:first","version":"1",
  "group":[{"source":"urn:s","target":"urn:cs:colors","element":[{"code":"a","target":[{"code":"red"}]}],
  "unmapped":{"mode":"other-map","url":"urn:map:second"}}]})~";
std::string Second(const std::string& target) {
  return R"({"resourceType":"ConceptMap","url":"urn:map:second","version":"1","group":[{"source":"urn:s",)"
         R"("target":"urn:cs:colors","element":[{"code":"b","target":[{"code":")" + target + R"("}]}]}]})";
}

class ClosureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ImportInto(dir_.db(), {Write(dir_.path() + "/c.json", kColors), Write(dir_.path() + "/i.json", kInner),
                                       Write(dir_.path() + "/o.json", kOuter), Write(dir_.path() + "/f.json", kFirst),
                                       Write(dir_.path() + "/s.json", Second("blue"))})
                    .ok());
  }
  uint64_t Bound(ResourceKind kind, const std::string& url) {
    auto b = OpenReadOnly(dir_.db())->Bind(kind, url);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? b->content_hash : 0;
  }
  TempDir dir_;
};

TEST_F(ClosureTest, AChangeInAReachedResourceChangesTheBinding) {
  uint64_t outer = Bound(ResourceKind::kValueSet, "urn:vs:outer");
  uint64_t inner = Bound(ResourceKind::kValueSet, "urn:vs:inner");
  uint64_t first = Bound(ResourceKind::kConceptMap, "urn:map:first");
  // The code system two levels down changes: both value sets and the map (its target system) notice.
  std::string colors = kColors;
  colors.replace(colors.find("Blue"), 4, "Navy");
  ASSERT_TRUE(ImportInto(dir_.db(), {Write(dir_.path() + "/c2.json", colors)}).ok());
  EXPECT_NE(Bound(ResourceKind::kValueSet, "urn:vs:outer"), outer);
  EXPECT_NE(Bound(ResourceKind::kValueSet, "urn:vs:inner"), inner);
  uint64_t first2 = Bound(ResourceKind::kConceptMap, "urn:map:first");
  EXPECT_NE(first2, first);
  // The other-map changes: the first map notices; the value sets do not.
  uint64_t outer2 = Bound(ResourceKind::kValueSet, "urn:vs:outer");
  ASSERT_TRUE(ImportInto(dir_.db(), {Write(dir_.path() + "/s2.json", Second("red"))}).ok());
  EXPECT_NE(Bound(ResourceKind::kConceptMap, "urn:map:first"), first2);
  EXPECT_EQ(Bound(ResourceKind::kValueSet, "urn:vs:outer"), outer2);
}

TEST_F(ClosureTest, AProgramNamingOnlyTheOuterValueSetIsRefusedAfterTheInnerOneChanges) {
  std::string map = Write(dir_.path() + "/p.cw", "map M : json -> json {\n  in: member(\"red\", \"urn:vs:outer\")\n}\n");
  std::string cwb = dir_.path() + "/p.cwb";
  ASSERT_EQ(RunCommand("compile", {map, "-o", cwb, "--term", dir_.db()}), 0);
  auto run = [&](bool allow_drift) -> std::string {
    auto rt = Runtime::Create({.terminology_dir = dir_.db(), .allow_terminology_drift = allow_drift});
    if (!rt.ok()) return "RUNTIME: " + rt.status().ToString();
    std::ifstream f(cwb, std::ios::binary);
    auto p = (*rt)->Load(std::string(std::istreambuf_iterator<char>(f), {}));
    if (!p.ok()) return "LOAD: " + p.status().ToString();
    RunContext ctx(**rt);
    RunOutput out;
    Status s = ctx.Run(**p, "{}", {}, &out);
    std::string text = s.ok() ? out.json : "RUN: " + s.ToString();
    for (const auto& w : (*p)->terminology_warnings()) text += "\nwarning: " + w;
    return text;
  };
  EXPECT_EQ(run(false), R"({"in":true})");
  // The inner value set (which the program does not name) drops red.
  std::string inner = kInner;
  inner.replace(inner.find(R"({"code":"red"},)"), 15, "");
  ASSERT_TRUE(ImportInto(dir_.db(), {Write(dir_.path() + "/i2.json", inner)}).ok());
  std::string refused = run(false);
  EXPECT_EQ(refused.rfind("LOAD: ", 0), 0u) << refused;
  EXPECT_NE(refused.find("ValueSet 'urn:vs:outer|1' (or a resource it reaches) differs"), std::string::npos) << refused;
  std::string warned = run(true);
  EXPECT_EQ(warned.rfind(R"({"in":false})", 0), 0u) << warned;
  EXPECT_NE(warned.find("\nwarning: terminology drift: ValueSet 'urn:vs:outer|1'"), std::string::npos) << warned;
}

}  // namespace
}  // namespace crosswalk::term
