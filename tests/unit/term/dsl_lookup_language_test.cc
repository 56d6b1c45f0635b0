// lookup with a language argument, from a map (issue 12): `lookup(code, system, { language: L })` is R4
// $lookup with displayLanguage L (the store's Lookup(..., display_language)): the display in that language
// with RFC 4647 fallback (de-CH -> de, de -> de-CH), else the concept's display; the language may come from
// the message. Each answer is checked against what the store's own API says.
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

// heart: designations in de-CH, fr and fr-CA, and one whose use code is "de" (not a language); a property
// named "fr" (not a language either). lung: no designation.
constexpr const char* kOrgans = R"~({"resourceType":"CodeSystem","url":"urn:example:organs","version":"1",
  "content":"complete","property":[{"code":"fr","type":"string"}],
  "concept":[
    {"code":"heart","display":"Heart",
     "designation":[{"language":"de-CH","value":"Härz"},{"language":"fr","value":"Coeur"},
                    {"language":"fr-CA","value":"Coeur (CA)"},
                    {"use":{"system":"urn:uses","code":"de"},"value":"by use"}],
     "property":[{"code":"fr","valueString":"a property"}]},
    {"code":"lung","display":"Lung"}]})~";

class DslLookupLanguageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string file = dir_->path() + "/organs.json";
    std::ofstream(file) << kOrgans;
    Status s = ImportInto(dir_->db(), {file});
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto rt = Runtime::Create({.terminology_dir = dir_->db()});
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    runtime_ = rt->release();
    auto store = term::Store::Open(dir_->db());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store->release();
  }
  static void TearDownTestSuite() {
    delete store_;
    delete runtime_;
    delete dir_;
  }

  static std::string Eval(const std::string& body, const std::string& input = "{}") {
    return term::testing::EvalJsonMap(*runtime_, body, input);
  }
  // The store's own answer: Lookup's display with that display language.
  static std::string StoreDisplay(const std::string& code, const std::string& language) {
    auto c = store_->Lookup("urn:example:organs", code, "", language);
    EXPECT_TRUE(c.ok() && c->has_value());
    return c.ok() && c->has_value() ? std::string((*c)->display) : "";
  }

  static TempDir* dir_;
  static Runtime* runtime_;
  static term::Store* store_;
};
TempDir* DslLookupLanguageTest::dir_ = nullptr;
Runtime* DslLookupLanguageTest::runtime_ = nullptr;
term::Store* DslLookupLanguageTest::store_ = nullptr;

TEST_F(DslLookupLanguageTest, TheDisplayInALanguageFallsBackAsRfc4647) {
  const char* kCall = R"~(a: lookup("heart", "urn:example:organs", { language: "%s" }))~";
  auto with = [&](const char* lang) {
    std::string body(kCall);
    body.replace(body.find("%s"), 2, lang);
    return Eval(body);
  };
  EXPECT_EQ(with("de-CH"), R"~({"a":"Härz"})~");
  EXPECT_EQ(with("de"), R"~({"a":"Härz"})~");          // de takes de-CH
  EXPECT_EQ(with("fr-CA"), R"~({"a":"Coeur (CA)"})~");
  EXPECT_EQ(with("fr-BE"), R"~({"a":"Coeur"})~");      // fr-BE falls back to fr
  EXPECT_EQ(with("it"), R"~({"a":"Heart"})~");         // no Italian: the concept's display
  for (const char* lang : {"de-CH", "de", "fr-CA", "fr-BE", "it"}) {
    EXPECT_EQ(with(lang), "{\"a\":\"" + StoreDisplay("heart", lang) + "\"}") << lang;
  }
}

TEST_F(DslLookupLanguageTest, TheLanguageIsALanguageNotAPropertyOrUseCode) {
  // As a property name, "fr" is the property and "de" the designation whose use code is "de"; as a
  // language they are designations in that language.
  EXPECT_EQ(Eval(R"~(a: lookup("heart", "urn:example:organs", "fr"))~"), R"~({"a":"a property"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("heart", "urn:example:organs", { language: "fr" }))~"), R"~({"a":"Coeur"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("heart", "urn:example:organs", "de"))~"), R"~({"a":"by use"})~");
  EXPECT_EQ(Eval(R"~(a: lookup("heart", "urn:example:organs", { language: "de" }))~"), R"~({"a":"Härz"})~");
}

TEST_F(DslLookupLanguageTest, TheLanguageMayComeFromTheMessage) {
  const char* kBody = R"~(a: lookup(input.code, "urn:example:organs", { language: input.lang }))~";
  EXPECT_EQ(Eval(kBody, R"~({"code":"heart","lang":"fr-CA"})~"), R"~({"a":"Coeur (CA)"})~");
  // No language: the concept's display, as $lookup without displayLanguage.
  EXPECT_EQ(Eval(kBody, R"~({"code":"heart"})~"), R"~({"a":"Heart"})~");
  EXPECT_EQ(Eval(kBody, R"~({"code":"lung","lang":"de"})~"), R"~({"a":"Lung"})~");
  // An unknown code or no code: absent.
  EXPECT_EQ(Eval(kBody, R"~({"code":"liver","lang":"de"})~"), "{}");
  EXPECT_EQ(Eval(kBody, R"~({"lang":"de"})~"), "{}");
}

TEST_F(DslLookupLanguageTest, OptionsAreCheckedWhenCompiled) {
  std::string d = Eval(R"~(a: lookup("heart", "urn:example:organs", { lang: "de" }))~");
  EXPECT_NE(d.find("t.cw:2:44: error: lookup options take only the field language"), std::string::npos) << d;
  EXPECT_NE(d.find("[E0205]"), std::string::npos) << d;
  d = Eval(R"~(a: lookup("heart", "urn:example:organs", {}))~");
  EXPECT_NE(d.find("lookup options need the field language"), std::string::npos) << d;
}

}  // namespace
}  // namespace crosswalk
