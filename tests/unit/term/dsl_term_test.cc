// The terminology operations as a map sees them (issue 15): translate with an equivalence filter, dependsOn
// values and source/target systems; subsumes(a, b, system); lookup of a property or designation; member
// with and without a system. Each answer is checked against what the store's own API (and FHIR R4) says.
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"
#include "crosswalk/terminology.h"
#include "dsl_eval.h"
#include "term_test_util.h"

namespace crosswalk {
namespace {

using term::testing::ImportInto;
using term::testing::TempDir;

// is-a: body > limb > arm > hand; body > organ > lung (retired); designations and properties on arm.
constexpr const char* kBody = R"~({"resourceType":"CodeSystem","url":"urn:example:body","version":"1",
  "content":"complete","property":[{"code":"laterality","type":"code"}],
  "concept":[{"code":"body","display":"Body","concept":[
    {"code":"limb","display":"Limb","concept":[
      {"code":"arm","display":"Arm","designation":[{"language":"de","value":"Arm (de)"},
        {"use":{"system":"http://snomed.info/sct","code":"900000000000013009"},"value":"Upper limb"}],
       "property":[{"code":"laterality","valueCode":"paired"}],
       "concept":[{"code":"hand","display":"Hand"}]}]},
    {"code":"organ","display":"Organ","concept":[
      {"code":"lung","display":"Lung","property":[{"code":"status","valueCode":"retired"}]}]}]}]})~";

// x: narrower "narrow", equivalent "same", equal "cond" when the specimen is blood; u: unmatched;
// group unmapped = provided. A second group (urn:s2 -> urn:t2) maps x to "other", wider.
constexpr const char* kMap = R"~({"resourceType":"ConceptMap","url":"urn:map:order","group":[
  {"source":"urn:s","target":"urn:t",
   "element":[{"code":"x","target":[{"code":"narrow","display":"Narrow","equivalence":"narrower"},
                                    {"code":"same","display":"Same","equivalence":"equivalent"},
                                    {"code":"cond","equivalence":"equal",
                                     "dependsOn":[{"property":"urn:p:specimen","system":"urn:spec","value":"blood"}]}]},
              {"code":"u","target":[{"equivalence":"unmatched"}]}],
   "unmapped":{"mode":"provided"}},
  {"source":"urn:s2","target":"urn:t2","element":[{"code":"x","target":[{"code":"other","equivalence":"wider"}]}]}]})~";

constexpr const char* kVs = R"~({"resourceType":"ValueSet","url":"urn:vs:limbs","compose":{"include":[
  {"system":"urn:example:body","filter":[{"property":"concept","op":"is-a","value":"limb"}]}]}})~";

class DslTermTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string files[3];
    const char* texts[3] = {kBody, kMap, kVs};
    for (int i = 0; i < 3; ++i) {
      files[i] = dir_->path() + "/r" + std::to_string(i) + ".json";
      std::ofstream(files[i]) << texts[i];
    }
    Status s = ImportInto(dir_->db(), {files[0], files[1], files[2]});
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto rt = Runtime::Create({.terminology_dir = dir_->db()});
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    runtime_ = rt->release();
  }
  static void TearDownTestSuite() {
    delete runtime_;
    delete dir_;
  }

  static std::string Eval(const std::string& body, const std::string& input = "{}") {
    return term::testing::EvalJsonMap(*runtime_, body, input);
  }

  static TempDir* dir_;
  static Runtime* runtime_;
};
TempDir* DslTermTest::dir_ = nullptr;
Runtime* DslTermTest::runtime_ = nullptr;

TEST_F(DslTermTest, TranslateWithoutOptionsTakesTheBestUnconditionalMatch) {
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order"))~"), R"~({"a":"same"})~");
}

TEST_F(DslTermTest, EquivalenceFilter) {
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order", { equivalence: "narrower" }))~"), R"~({"a":"narrow"})~");
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order", { equivalence: ["equal", "narrower"] }))~"), R"~({"a":"narrow"})~");
  // Only exact answers: the equivalent one qualifies, nothing wider or narrower.
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order", { equivalence: ["equal", "equivalent"] }))~"), R"~({"a":"same"})~");
  // No target of that equivalence: unmapped, and the policy applies.
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order", { equivalence: "inexact" }))~"), "{}");
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order", { equivalence: "inexact", unmapped: "keep" }))~"), R"~({"a":"x"})~");
  // The equivalence list may come from the message (checked at run time).
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order", { equivalence: input.eq }))~", R"~({"eq":["narrower"]})~"),
            R"~({"a":"narrow"})~");
  EXPECT_NE(Eval(R"~(a: translate("x", "urn:map:order", { equivalence: input.eq }))~", R"~({"eq":["closest"]})~")
                .find("ERROR: "),
            std::string::npos);
}

TEST_F(DslTermTest, DependsOnValuesFromTheMap) {
  // With the condition's value, the equal target answers first; with another value it never does.
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order", { depends_on: { "urn:p:specimen": input.spec } }))~",
                 R"~({"spec":"blood"})~"),
            R"~({"a":"cond"})~");
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order", { depends_on: { "urn:p:specimen": input.spec } }))~",
                 R"~({"spec":"urine"})~"),
            R"~({"a":"same"})~");
  // The list form names the condition's system too; a different system does not hold.
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order",
                     { depends_on: [{ property: "urn:p:specimen", system: "urn:spec", value: "blood" }] }))~"),
            R"~({"a":"cond"})~");
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order",
                     { depends_on: [{ property: "urn:p:specimen", system: "urn:other", value: "blood" }] }))~"),
            R"~({"a":"same"})~");
}

TEST_F(DslTermTest, SourceAndTargetSystemsAndCodings) {
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order", { source_system: "urn:s2" }))~"), R"~({"a":"other"})~");
  EXPECT_EQ(Eval(R"~(a: translate("x", "urn:map:order", { target_system: "urn:t2" }))~"), R"~({"a":"other"})~");
  EXPECT_EQ(Eval(R"~(a: translate_coding("x", "urn:map:order", { equivalence: "narrower" }))~"),
            R"~({"a":{"system":"urn:t","code":"narrow","display":"Narrow"}})~");
  // An element marked unmatched is not unmapped: the group's `provided` rule does not answer for it...
  EXPECT_EQ(Eval(R"~(a: translate("u", "urn:map:order", { source_system: "urn:s" }))~"), "{}");
  // ...but a code the group does not list gets the provided answer, which the filter can leave out.
  EXPECT_EQ(Eval(R"~(a: translate("zz", "urn:map:order", { source_system: "urn:s" }))~"), R"~({"a":"zz"})~");
  EXPECT_EQ(Eval(R"~(a: translate("zz", "urn:map:order", { source_system: "urn:s", equivalence: "equal" }))~"), "{}");
}

TEST_F(DslTermTest, BadOptionsAreCompileErrorsWhenLiteral) {
  EXPECT_NE(Eval(R"~(a: translate("x", "urn:map:order", { equivalence: "closest" }))~").find("E0226"), std::string::npos);
  EXPECT_NE(Eval(R"~(a: translate("x", "urn:map:order", { unmapped: "drop" }))~").find("E0221"), std::string::npos);
  EXPECT_NE(Eval(R"~(a: translate("x", "urn:map:order", { source: "urn:s" }))~").find("E0205"), std::string::npos);
  EXPECT_NE(Eval(R"~(a: translate("x", "urn:map:order", { depends_on: "blood" }))~", "{}").find("ERROR: "),
            std::string::npos);
}

TEST_F(DslTermTest, Subsumes) {
  EXPECT_EQ(Eval(R"~(a: subsumes("limb", "hand", "urn:example:body"))~"), R"~({"a":"subsumes"})~");
  EXPECT_EQ(Eval(R"~(a: subsumes("hand", "body", "urn:example:body"))~"), R"~({"a":"subsumed-by"})~");
  EXPECT_EQ(Eval(R"~(a: subsumes("arm", "arm", "urn:example:body"))~"), R"~({"a":"equivalent"})~");
  EXPECT_EQ(Eval(R"~(a: subsumes("arm", "lung", "urn:example:body"))~"), R"~({"a":"not-subsumed"})~");
  // An empty or unknown code gives no answer (absent), never a wrong one.
  EXPECT_EQ(Eval(R"~(a: subsumes("arm", "nope", "urn:example:body") ?? "?")~"), R"~({"a":"?"})~");
  EXPECT_EQ(Eval(R"~(a: subsumes(input.none, "arm", "urn:example:body") ?? "?")~"), R"~({"a":"?"})~");
  EXPECT_NE(Eval(R"~(a: subsumes("arm", "hand"))~").find("E0205"), std::string::npos);
  // The code system must be in the store when the program loads.
  EXPECT_NE(Eval(R"~(a: subsumes("arm", "hand", "urn:example:none"))~").find("LOAD: "), std::string::npos);
}

TEST_F(DslTermTest, LookupOfPropertiesAndDesignations) {
  EXPECT_EQ(Eval(R"~(a: lookup("arm", "urn:example:body"))~"), R"~({"a":"Arm"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("arm", "urn:example:body", "display"))~"), R"~({"a":"Arm"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("arm", "urn:example:body", "laterality"))~"), R"~({"a":"paired"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("arm", "urn:example:body", "de"))~"), R"~({"a":"Arm (de)"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("arm", "urn:example:body", "900000000000013009"))~"), R"~({"a":"Upper limb"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("lung", "urn:example:body", "status"))~"), R"~({"a":"retired"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("arm", "urn:example:body", "status"))~"), R"~({"a":"active"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("arm", "urn:example:body", "fr") ?? "-")~"), R"~({"a":"-"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("nope", "urn:example:body", "display") ?? "-")~"), R"~({"a":"-"})~");
}

TEST_F(DslTermTest, MemberWithAndWithoutASystem) {
  EXPECT_EQ(Eval(R"~(a: member("hand", "urn:vs:limbs"), b: member("hand", "urn:vs:limbs", "urn:example:body"),
                    c: member("hand", "urn:vs:limbs", "urn:other"), d: member("lung", "urn:vs:limbs"))~"),
            R"~({"a":true,"b":true,"c":false,"d":false})~");
}

}  // namespace
}  // namespace crosswalk
