// FHIR R4 semantics of the terminology store (issue 15): value-set compose (filters, excludes, value-set
// imports, membership without a system, pinned versions), code system content and case, the current
// version, ConceptMap matches (equivalence order, dependsOn, product, unmapped vs unmatched, groups without
// source or elements, reverse), $expand, $subsumes, $validate-code, and the valid R4 inputs that were refused.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crosswalk/terminology.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::Fixture;
using testing::ImportInto;
using testing::OpenReadOnly;
using testing::TempDir;

constexpr const char* kCs = "urn:example:body";

// A small is-a hierarchy, by nesting and by `parent`/`child` properties:
//   body
//   ├─ limb ── arm ── hand
//   │        └ leg             (leg: parent property "limb")
//   └─ organ ─ heart           (heart: organ's child property)
//      └─ lung (inactive, property laterality=paired)
constexpr const char* kBodyCs = R"({"resourceType":"CodeSystem","url":"urn:example:body","version":"1",
  "content":"complete","property":[{"code":"parent","type":"code"},{"code":"child","type":"code"}],
  "concept":[
   {"code":"body","display":"Body","concept":[
     {"code":"limb","display":"Limb","concept":[
       {"code":"arm","display":"Arm","designation":[{"language":"de","value":"Arm-de"}],
        "property":[{"code":"laterality","valueCode":"paired"}],
        "concept":[{"code":"hand","display":"Hand","property":[{"code":"laterality","valueCode":"paired"}]}]}]},
     {"code":"organ","display":"Organ","property":[{"code":"child","valueCode":"heart"}],"concept":[
       {"code":"lung","display":"Lung","property":[{"code":"status","valueCode":"retired"},
                                                   {"code":"laterality","valueCode":"paired"}]}]}]},
   {"code":"leg","display":"Leg","property":[{"code":"parent","valueCode":"limb"}]},
   {"code":"heart","display":"Heart"}]})";

class SemanticsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = files_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  void Import(const std::vector<std::string>& paths, const ImportOptions& o = {}) {
    store_.reset();
    Status s = ImportInto(dir_.db(), paths, o);
    ASSERT_TRUE(s.ok()) << s.ToString();
    store_ = OpenReadOnly(dir_.db());
    ASSERT_NE(store_, nullptr);
  }
  bool Member(std::string_view system, std::string_view code, std::string_view vs) {
    auto r = store_->Validate(system, code, vs);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  }
  TempDir dir_, files_;
  std::unique_ptr<Store> store_;
};

TEST_F(SemanticsTest, HierarchyFromNestingAndParentChildProperties) {
  Import({Write("body.json", kBodyCs)});
  auto sub = [&](const char* a, const char* b) {
    auto r = store_->Subsumes(kCs, a, b);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::string(SubsumptionName(*r)) : std::string("error");
  };
  EXPECT_EQ(sub("body", "hand"), "subsumes");     // three levels of nesting
  EXPECT_EQ(sub("hand", "limb"), "subsumed-by");
  EXPECT_EQ(sub("limb", "leg"), "subsumes");      // `parent` property
  EXPECT_EQ(sub("organ", "heart"), "subsumes");   // `child` property of the parent
  EXPECT_EQ(sub("arm", "leg"), "not-subsumed");
  EXPECT_EQ(sub("arm", "arm"), "equivalent");
  EXPECT_EQ(store_->Subsumes(kCs, "arm", "nope").status().code(), StatusCode::kNotFound);
}

TEST_F(SemanticsTest, HierarchyCacheIsDroppedByAnImportThroughTheSameStore) {
  auto cs = [](const char* parent_of_b) {
    return std::string(R"({"resourceType":"CodeSystem","url":"urn:h","version":"1","concept":[{"code":"a"},{"code":"c"},
      {"code":"b","property":[{"code":"parent","valueCode":")") + parent_of_b + R"("}]}]})";
  };
  auto store = testing::OpenWritable(dir_.db());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Import({Write("h1.json", cs("a"))}).ok());
  EXPECT_EQ(*store->Subsumes("urn:h", "a", "b"), Subsumption::kSubsumes);  // walks and caches b's parents
  ASSERT_TRUE(store->Import({Write("h2.json", cs("c"))}).ok());           // same version, b moved under c
  EXPECT_EQ(*store->Subsumes("urn:h", "a", "b"), Subsumption::kNotSubsumed);
  EXPECT_EQ(*store->Subsumes("urn:h", "c", "b"), Subsumption::kSubsumes);
}

TEST_F(SemanticsTest, ComposeFilters) {
  Import({Write("body.json", kBodyCs), Write("vs.json", R"({"resourceType":"Bundle","entry":[
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:is-a","compose":{"include":[{"system":"urn:example:body",
      "filter":[{"property":"concept","op":"is-a","value":"limb"}]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:descendent-of","compose":{"include":[{"system":"urn:example:body",
      "filter":[{"property":"concept","op":"descendent-of","value":"limb"}]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:is-not-a","compose":{"include":[{"system":"urn:example:body",
      "filter":[{"property":"concept","op":"is-not-a","value":"limb"}]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:eq","compose":{"include":[{"system":"urn:example:body",
      "filter":[{"property":"laterality","op":"=","value":"paired"},{"property":"concept","op":"is-a","value":"limb"}]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:in","compose":{"include":[{"system":"urn:example:body",
      "filter":[{"property":"concept","op":"in","value":"arm, heart"}]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:exists","compose":{"include":[{"system":"urn:example:body",
      "filter":[{"property":"laterality","op":"exists","value":"false"}]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:generalizes","compose":{"include":[{"system":"urn:example:body",
      "filter":[{"property":"concept","op":"generalizes","value":"hand"}]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:regex","compose":{"include":[{"system":"urn:example:body",
      "filter":[{"property":"code","op":"regex","value":"l[a-z]+"}]}]}}}]})")});
  EXPECT_TRUE(Member(kCs, "limb", "urn:vs:is-a"));
  EXPECT_TRUE(Member(kCs, "hand", "urn:vs:is-a"));
  EXPECT_TRUE(Member(kCs, "leg", "urn:vs:is-a"));
  EXPECT_FALSE(Member(kCs, "heart", "urn:vs:is-a"));
  EXPECT_FALSE(Member(kCs, "nope", "urn:vs:is-a"));  // not a concept at all
  EXPECT_FALSE(Member(kCs, "limb", "urn:vs:descendent-of"));
  EXPECT_TRUE(Member(kCs, "arm", "urn:vs:descendent-of"));
  EXPECT_TRUE(Member(kCs, "heart", "urn:vs:is-not-a"));
  EXPECT_FALSE(Member(kCs, "hand", "urn:vs:is-not-a"));
  EXPECT_TRUE(Member(kCs, "hand", "urn:vs:eq"));
  EXPECT_FALSE(Member(kCs, "lung", "urn:vs:eq"));  // paired but not a limb: every filter must hold
  EXPECT_TRUE(Member(kCs, "heart", "urn:vs:in"));
  EXPECT_FALSE(Member(kCs, "hand", "urn:vs:in"));
  EXPECT_TRUE(Member(kCs, "heart", "urn:vs:exists"));
  EXPECT_FALSE(Member(kCs, "arm", "urn:vs:exists"));
  EXPECT_TRUE(Member(kCs, "limb", "urn:vs:generalizes"));
  EXPECT_FALSE(Member(kCs, "leg", "urn:vs:generalizes"));
  auto regex = store_->Validate(kCs, "lung", "urn:vs:regex");
#ifdef CW_TEST_HAVE_RE2
  ASSERT_TRUE(regex.ok()) << regex.status().ToString();
  EXPECT_TRUE(*regex);
  EXPECT_TRUE(Member(kCs, "leg", "urn:vs:regex"));
  EXPECT_FALSE(Member(kCs, "arm", "urn:vs:regex"));
#else
  EXPECT_EQ(regex.status().code(), StatusCode::kUnimplemented);
#endif

  // $expand from the filters, sorted, paged.
  auto e = store_->Expand("urn:vs:is-a");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->total, 4u);
  std::vector<std::string> codes;
  for (const auto& item : e->items) codes.push_back(item.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"arm", "hand", "leg", "limb"}));
  EXPECT_EQ(e->items[0].display, "Arm");
  ExpandOptions page;
  page.offset = 1;
  page.count = 2;
  auto p = store_->Expand("urn:vs:is-a", page);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->total, 4u);
  ASSERT_EQ(p->items.size(), 2u);
  EXPECT_EQ(p->items[0].code, "hand");
  ExpandOptions small;
  small.max_members = 3;
  EXPECT_EQ(store_->Expand("urn:vs:is-a", small).status().code(), StatusCode::kLimitExceeded);
}

TEST_F(SemanticsTest, ExcludeByFilterAndByValueSetWinsOverInclude) {
  Import({Write("body.json", kBodyCs), Write("vs.json", R"({"resourceType":"Bundle","entry":[
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:limbs","compose":{"include":[{"system":"urn:example:body",
      "filter":[{"property":"concept","op":"is-a","value":"limb"}]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:no-limbs-filter","compose":{
      "include":[{"system":"urn:example:body"}],
      "exclude":[{"system":"urn:example:body","filter":[{"property":"concept","op":"is-a","value":"limb"}]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:no-limbs-vs","compose":{
      "include":[{"system":"urn:example:body"}],
      "exclude":[{"valueSet":["urn:vs:limbs"]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:limbs-imported","compose":{
      "include":[{"valueSet":["urn:vs:limbs"]}]}}}]})")});
  for (const char* vs : {"urn:vs:no-limbs-filter", "urn:vs:no-limbs-vs"}) {
    EXPECT_FALSE(Member(kCs, "hand", vs)) << vs;  // the include matches, the exclude removes it
    EXPECT_FALSE(Member(kCs, "limb", vs)) << vs;
    EXPECT_TRUE(Member(kCs, "heart", vs)) << vs;
  }
  EXPECT_TRUE(Member(kCs, "hand", "urn:vs:limbs-imported"));
  EXPECT_FALSE(Member(kCs, "heart", "urn:vs:limbs-imported"));
  auto e = store_->Expand("urn:vs:no-limbs-vs");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->total, 4u);  // body, organ, lung, heart
}

// $expand displayLanguage, activeOnly and the text filter, with the parameters reported.
TEST_F(SemanticsTest, ExpandDisplayLanguageActiveOnlyAndTextFilter) {
  Import({Write("body.json", kBodyCs), Write("vs.json", R"({"resourceType":"Bundle","entry":[
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:body","compose":{"include":[{"system":"urn:example:body"}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:stored","expansion":{"contains":[
      {"system":"urn:example:absent","code":"x1","display":"Xylophone"},
      {"system":"urn:example:absent","code":"x2","display":"Zither"}]}}}]})")});
  auto codes = [](const Expansion& e) {
    std::vector<std::string> out;
    for (const auto& item : e.items) out.push_back(item.code);
    return out;
  };
  auto plain = store_->Expand("urn:vs:body");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->total, 8u);
  EXPECT_TRUE(plain->parameters.empty());

  ExpandOptions de;
  de.display_language = "de";
  auto e = store_->Expand("urn:vs:body", de);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->total, 8u);
  EXPECT_EQ(e->items[0].code, "arm");
  EXPECT_EQ(e->items[0].display, "Arm-de");  // its German designation
  EXPECT_EQ(e->items[1].display, "Body");    // no German designation: its own display
  ASSERT_EQ(e->parameters.size(), 1u);
  EXPECT_EQ(e->parameters[0], (std::pair<std::string, std::string>{"displayLanguage", "de"}));

  ExpandOptions active;
  active.active_only = true;
  e = store_->Expand("urn:vs:body", active);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->total, 7u);  // lung is retired
  EXPECT_EQ(codes(*e), (std::vector<std::string>{"arm", "body", "hand", "heart", "leg", "limb", "organ"}));
  ASSERT_EQ(e->parameters.size(), 1u);
  EXPECT_EQ(e->parameters[0].first, "activeOnly");
  // A paged, filtered expansion counts what the filters keep.
  active.offset = 2;
  active.count = 2;
  e = store_->Expand("urn:vs:body", active);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->total, 7u);
  EXPECT_EQ(codes(*e), (std::vector<std::string>{"hand", "heart"}));

  // Every word, in the code or the display, ignoring case.
  ExpandOptions text;
  text.filter = "AR";
  e = store_->Expand("urn:vs:body", text);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(codes(*e), (std::vector<std::string>{"arm", "heart"}));
  text.filter = " ar  HE ";
  e = store_->Expand("urn:vs:body", text);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(codes(*e), (std::vector<std::string>{"heart"}));
  EXPECT_EQ(e->parameters[0], (std::pair<std::string, std::string>{"filter", " ar  HE "}));
  text.filter = "-de";  // matches the display in the asked language only
  text.display_language = "de";
  e = store_->Expand("urn:vs:body", text);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(codes(*e), (std::vector<std::string>{"arm"}));
  ASSERT_EQ(e->parameters.size(), 2u);

  // A stored expansion whose code system is not in the store: the text filter and displayLanguage work on
  // what the expansion says; activeOnly cannot tell and is refused.
  ExpandOptions stored;
  stored.filter = "zith";
  stored.display_language = "de";
  e = store_->Expand("urn:vs:stored", stored);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(codes(*e), (std::vector<std::string>{"x2"}));
  EXPECT_EQ(e->items[0].display, "Zither");
  ExpandOptions stored_active;
  stored_active.active_only = true;
  EXPECT_EQ(store_->Expand("urn:vs:stored", stored_active).status().code(), StatusCode::kFailedPrecondition);
}

// Group sourceVersion / targetVersion: a caller's source version picks the groups; the target version picks
// the code system version that fills an empty display (none when the store lacks it).
TEST_F(SemanticsTest, GroupSourceAndTargetVersions) {
  Import({Write("body.json", kBodyCs), Write("map.json", R"({"resourceType":"ConceptMap","url":"urn:map:versions",
    "group":[
      {"source":"urn:src","sourceVersion":"1","target":"urn:example:body","targetVersion":"1",
       "element":[{"code":"x","target":[{"code":"arm","equivalence":"equivalent"}]}]},
      {"source":"urn:src","sourceVersion":"2","target":"urn:example:body","targetVersion":"9",
       "element":[{"code":"x","target":[{"code":"leg","equivalence":"equivalent"}]}]},
      {"source":"urn:src","target":"urn:example:body",
       "element":[{"code":"x","target":[{"code":"hand","equivalence":"narrower"}]}]}]})")});
  auto codes = [&](const std::string& source_version) {
    TranslateOptions o;
    o.source_version = source_version;
    auto r = store_->TranslateAll("urn:map:versions", "urn:src", "x", o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& m : *r) out.push_back(m.code + "@" + m.version + ":" + m.display);
    }
    return out;
  };
  // No source version given: every group. Version 9 of the target system is not in the store: no display.
  EXPECT_EQ(codes(""), (std::vector<std::string>{"arm@1:Arm", "leg@9:", "hand@:Hand"}));
  EXPECT_EQ(codes("1"), (std::vector<std::string>{"arm@1:Arm", "hand@:Hand"}));
  EXPECT_EQ(codes("2"), (std::vector<std::string>{"leg@9:", "hand@:Hand"}));
  EXPECT_EQ(codes("3"), (std::vector<std::string>{"hand@:Hand"}));
  // Reverse: the given code is of the target system, so its version is compared with targetVersion, and
  // the source match carries the group's sourceVersion.
  auto sources = [&](const char* target, const std::string& target_version) {
    TranslateOptions o;
    o.reverse = true;
    o.source_version = target_version;
    auto r = store_->TranslateAll("urn:map:versions", "urn:example:body", target, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& m : *r) out.push_back(m.system + "|" + m.code + "@" + m.version + ":" + m.equivalence);
    }
    return out;
  };
  EXPECT_EQ(sources("arm", ""), (std::vector<std::string>{"urn:src|x@1:equivalent"}));
  EXPECT_EQ(sources("arm", "1"), (std::vector<std::string>{"urn:src|x@1:equivalent"}));
  EXPECT_EQ(sources("arm", "9"), (std::vector<std::string>{}));
  EXPECT_EQ(sources("leg", "9"), (std::vector<std::string>{"urn:src|x@2:equivalent"}));
  EXPECT_EQ(sources("leg", "1"), (std::vector<std::string>{}));
  EXPECT_EQ(sources("hand", "5"), (std::vector<std::string>{"urn:src|x@:narrower"}));
}

TEST_F(SemanticsTest, MemberWithoutSystemAndPinnedValueSetVersion) {
  Import({Write("body.json", kBodyCs), Write("vs.json", R"({"resourceType":"Bundle","entry":[
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:v","version":"1","compose":{"include":[
      {"system":"urn:example:body","concept":[{"code":"arm"}]}]}}},
    {"resource":{"resourceType":"ValueSet","url":"urn:vs:v","version":"2","compose":{"include":[
      {"system":"urn:example:body","concept":[{"code":"leg"}]}]}}}]})")});
  // No system: any system of the value set (member(code, "vs") in a map).
  EXPECT_TRUE(Member("", "leg", "urn:vs:v"));
  EXPECT_FALSE(Member("", "arm", "urn:vs:v"));
  // "url|version" evaluates that version, not the current one (2).
  EXPECT_TRUE(Member(kCs, "arm", "urn:vs:v|1"));
  EXPECT_FALSE(Member(kCs, "leg", "urn:vs:v|1"));
  EXPECT_TRUE(Member("", "arm", "urn:vs:v|1"));
  EXPECT_EQ(store_->Validate(kCs, "arm", "urn:vs:v|9").status().code(), StatusCode::kNotFound);
}

TEST_F(SemanticsTest, ContentNotPresentAndCaseInsensitive) {
  Import({Write("cs.json", R"({"resourceType":"Bundle","entry":[
    {"resource":{"resourceType":"CodeSystem","url":"urn:example:loinc-stub","content":"not-present"}},
    {"resource":{"resourceType":"CodeSystem","url":"urn:example:fragment","content":"fragment",
      "concept":[{"code":"a"}]}},
    {"resource":{"resourceType":"CodeSystem","url":"urn:example:ci","caseSensitive":false,
      "concept":[{"code":"mg/dL","display":"milligram per decilitre"}]}}]})")});
  EXPECT_EQ(store_->Validate("urn:example:loinc-stub", "8867-4").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Lookup("urn:example:loinc-stub", "8867-4").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Member("urn:example:fragment", "a", ""));
  EXPECT_EQ(store_->Validate("urn:example:fragment", "b").status().code(), StatusCode::kFailedPrecondition);
  auto c = store_->Lookup("urn:example:ci", "MG/DL");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->code, "mg/dL");  // the stored spelling
  EXPECT_TRUE(Member("urn:example:ci", "Mg/dl", ""));
  EXPECT_FALSE(Member("urn:example:ci", "mg/L", ""));
}

TEST_F(SemanticsTest, ValidateCodeDisplayAndInactive) {
  Import({Write("body.json", kBodyCs)});
  auto ok = store_->ValidateCode(kCs, "arm", "Arm-de");  // a designation counts
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->valid);
  EXPECT_FALSE(ok->inactive);
  auto wrong = store_->ValidateCode(kCs, "arm", "Leg");
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(wrong->valid);
  EXPECT_EQ(wrong->display, "Arm");
  EXPECT_FALSE(wrong->message.empty());
  auto retired = store_->ValidateCode(kCs, "lung", "");
  ASSERT_TRUE(retired.ok());
  EXPECT_TRUE(retired->valid);
  EXPECT_TRUE(retired->inactive);
}

TEST_F(SemanticsTest, CurrentVersionIsTheHighestNotTheLastImported) {
  auto cs = [](const char* version, const char* display) {
    return std::string(R"({"resourceType":"CodeSystem","url":"urn:example:v","version":")") + version +
           R"(","concept":[{"code":"a","display":")" + display + R"("}]})";
  };
  Import({Write("v10.json", cs("1.10", "ten"))});
  Import({Write("v9.json", cs("1.9", "nine"))});  // older by version order, imported later
  EXPECT_EQ((*store_->Lookup("urn:example:v", "a"))->display, "ten");
  EXPECT_LT(CompareVersions("1.9", "1.10"), 0);
  EXPECT_LT(CompareVersions("2019-03", "2020-01"), 0);
  EXPECT_LT(CompareVersions("", "0"), 0);
  EXPECT_EQ(CompareVersions("1.01", "1.1"), 0);
  EXPECT_GT(CompareVersions("2.0.0", "2.0"), 0);
}

constexpr const char* kMaps = R"({"resourceType":"Bundle","entry":[
  {"resource":{"resourceType":"ConceptMap","url":"urn:map:order","group":[{"source":"urn:s","target":"urn:t",
    "element":[{"code":"x","target":[{"code":"narrow","equivalence":"narrower"},
                                     {"code":"same","equivalence":"equivalent",
                                      "product":[{"property":"urn:p:site","system":"urn:t","value":"left"}]},
                                     {"code":"cond","equivalence":"equal",
                                      "dependsOn":[{"property":"urn:p:specimen","system":"urn:spec","value":"blood"}]}]},
               {"code":"u","target":[{"equivalence":"unmatched"}]},
               {"code":"d","target":[{"code":"no","equivalence":"disjoint"}]}],
    "unmapped":{"mode":"provided"}}]}},
  {"resource":{"resourceType":"ConceptMap","url":"urn:map:identity","group":[{"source":"urn:s","target":"urn:t",
    "unmapped":{"mode":"provided"}}]}}]})";

TEST_F(SemanticsTest, TranslateBestMatchAllMatchesDependsOnAndProduct) {
  Import({Write("maps.json", kMaps)});
  auto best = store_->Translate("urn:map:order", "urn:s", "x");
  ASSERT_TRUE(best.ok()) << best.status().ToString();
  ASSERT_TRUE(best->found);
  EXPECT_EQ(best->target_code, "same");  // equivalent beats an earlier narrower; `cond` has no condition value
  EXPECT_EQ(best->equivalence, "equivalent");
  ASSERT_EQ(best->product.size(), 1u);
  EXPECT_EQ(best->product[0].property, "urn:p:site");
  EXPECT_EQ(best->product[0].value, "left");

  auto all = store_->TranslateAll("urn:map:order", "urn:s", "x");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].code, "same");
  EXPECT_EQ((*all)[1].code, "narrow");

  TranslateOptions with;
  with.depends_on.push_back({"urn:p:specimen", "urn:spec", "blood"});
  auto cond = store_->TranslateAll("urn:map:order", "urn:s", "x", with);
  ASSERT_TRUE(cond.ok());
  ASSERT_EQ(cond->size(), 3u);
  EXPECT_EQ((*cond)[0].code, "cond");  // equal ranks first once its condition holds
  TranslateOptions other_value;
  other_value.depends_on.push_back({"urn:p:specimen", "", "urine"});
  EXPECT_EQ(store_->TranslateAll("urn:map:order", "urn:s", "x", other_value)->size(), 2u);

  TranslateOptions narrow_only;
  narrow_only.equivalences = kEquivalenceNarrower;
  auto n = store_->TranslateAll("urn:map:order", "urn:s", "x", narrow_only);
  ASSERT_EQ(n->size(), 1u);
  EXPECT_EQ((*n)[0].code, "narrow");

  TranslateOptions reverse;
  reverse.reverse = true;
  auto r = store_->TranslateAll("urn:map:order", "urn:t", "same", reverse);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].system, "urn:s");
  EXPECT_EQ((*r)[0].code, "x");
}

TEST_F(SemanticsTest, UnmappedIsNotAppliedToUnmatchedAndIdentityMapsWork) {
  Import({Write("maps.json", kMaps)});
  for (const char* code : {"u", "d"}) {
    auto t = store_->Translate("urn:map:order", "urn:s", code);
    ASSERT_TRUE(t.ok());
    EXPECT_FALSE(t->found) << code;  // R4: unmapped is ignored for an element marked unmatched/disjoint
    EXPECT_EQ(t->equivalence, std::string(code) == "u" ? "unmatched" : "disjoint");
  }
  auto absent = store_->Translate("urn:map:order", "urn:s", "zz");
  ASSERT_TRUE(absent.ok());
  EXPECT_TRUE(absent->found);
  EXPECT_EQ(absent->equivalence, "unmapped-provided");
  // A map with a group and no elements, asked without a source system (as a program does).
  auto id = store_->Translate("urn:map:identity", "", "abc");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(id->found);
  EXPECT_EQ(id->target_code, "abc");
  EXPECT_EQ(id->target_system, "urn:t");
}

TEST_F(SemanticsTest, AllR4CoreConceptMapsImportInOneRun) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(Fixture("r4-core-conceptmaps"))) {
    files.push_back(e.path().string());
  }
  ASSERT_EQ(files.size(), 80u);
  ImportReport report;
  Status s = ImportInto(dir_.db(), files, {}, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.items.size(), 80u);
  store_ = OpenReadOnly(dir_.db());
  // ConceptMap-103: an element without code is accepted (and maps nothing); the others still map.
  auto t = store_->Translate("http://hl7.org/fhir/ConceptMap/103", "http://snomed.info/sct", "263204007");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->found);
  // cdshooks-indicator: a group without source (and target) answers for any source system.
  auto g = store_->Translate("http://cds-hooks.hl7.org/ConceptMap/indicator-to-request-priority", "urn:any",
                             "critical");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_TRUE(g->found);
  EXPECT_EQ(g->target_code, "stat");
  // ConceptMap-102 keeps products.
  auto p = store_->Translate("http://hl7.org/fhir/ConceptMap/102", "", "ACNFLD");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(p->found);
  EXPECT_EQ(p->target_code, "119323008");
  ASSERT_EQ(p->product.size(), 1u);
  EXPECT_EQ(p->product[0].property, "TypeModifier");
  EXPECT_EQ(p->product[0].value, "47002008");
}

TEST_F(SemanticsTest, CsvWithTwoHeaderRows) {
  ImportOptions o;
  o.csv_header_rows = 2;
  o.csv_map_url = "urn:map:additive";
  for (const char* a : {"source_code=HL7 v2/Code", "source_system=HL7 v2/Code System", "target_code=HL7 FHIR/Code",
                        "target_system=HL7 FHIR/Code System", "target_display=Display"}) {
    ASSERT_TRUE(o.csv_columns.Set(a).ok());
  }
  Import({Fixture("ig-sheet-additive-preservative.csv")}, o);
  auto t = store_->Translate("urn:map:additive", "HL70371", "F10");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(t->found);
  EXPECT_EQ(t->target_code, "F10");
  EXPECT_EQ(t->target_system, "http://terminology.hl7.org/CodeSystem/v2-0371");
  EXPECT_EQ(t->target_display, "10% Formalin");

  // "Code" alone is ambiguous with two header rows: a clear error.
  ImportOptions ambiguous = o;
  ASSERT_TRUE(ambiguous.csv_columns.Set("source_code=Code").ok());
  Status s = ImportInto(dir_.db(), {Fixture("ig-sheet-additive-preservative.csv")}, ambiguous);
  EXPECT_EQ(s.code(), StatusCode::kParseError);
  EXPECT_NE(s.message().find("several columns"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace crosswalk::term
