// "Current version" by the version ordering a resource declares (issue 15): versionAlgorithm (R5) or the
// R4 artifact-versionAlgorithm extension, with semver precedence, integer and alpha orders; never by import
// order.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crosswalk/terminology.h"
#include "term/model.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::ImportInto;
using testing::OpenReadOnly;
using testing::TempDir;

TEST(VersionOrder, SemverPrecedenceAsSemverOrgDefinesIt) {
  // semver.org 2.0.0, item 11: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2 <
  // 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0.
  std::vector<std::string> ordered = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                                      "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",      "1.0.0",
                                      "1.0.1",        "1.2.0",         "1.10.0",          "2.0.0"};
  for (size_t i = 0; i < ordered.size(); ++i) {
    for (size_t j = 0; j < ordered.size(); ++j) {
      int want = i < j ? -1 : i > j ? 1 : 0;
      EXPECT_EQ(CompareVersionsBy("semver", ordered[i], ordered[j]), want) << ordered[i] << " vs " << ordered[j];
    }
  }
  EXPECT_EQ(CompareVersionsBy("semver", "1.0.0+build.5", "1.0.0+build.7"), 0);  // build metadata ignored
  // Natural order reads the pre-release as a suffix, hence a declared algorithm matters.
  EXPECT_GT(CompareVersions("1.0.0-rc.1", "1.0.0"), 0);
  // A version that is not semver falls back to natural order.
  EXPECT_LT(CompareVersionsBy("semver", "1.0", "1.0.1"), 0);
}

TEST(VersionOrder, IntegerAlphaAndNatural) {
  EXPECT_GT(CompareVersionsBy("integer", "10", "9"), 0);
  EXPECT_EQ(CompareVersionsBy("integer", "007", "7"), 0);
  EXPECT_LT(CompareVersionsBy("alpha", "10", "9"), 0);  // byte-wise
  EXPECT_GT(CompareVersionsBy("natural", "10", "9"), 0);
  EXPECT_GT(CompareVersionsBy("date", "2024-01-15", "2024-01"), 0);
  EXPECT_GT(CompareVersionsBy("", "1.10", "1.9"), 0);
  EXPECT_GT(CompareVersionsBy("a FHIRPath expression we do not evaluate", "1.10", "1.9"), 0);
}

std::string CodeSystem(const std::string& version, const std::string& algorithm_json, const std::string& display) {
  return R"({"resourceType":"CodeSystem","url":"urn:cs:v","version":")" + version + "\"" + algorithm_json +
         R"(,"content":"complete","concept":[{"code":"a","display":")" + display + R"("}]})";
}

// Imports each (version, display) in order into a fresh store; returns the current version and the
// unversioned display of "a" after each import.
std::vector<std::string> ImportInOrder(const std::string& algorithm_json,
                                       const std::vector<std::pair<std::string, std::string>>& versions) {
  TempDir dir;
  std::vector<std::string> seen;
  for (size_t i = 0; i < versions.size(); ++i) {
    std::string file = dir.path() + "/cs" + std::to_string(i) + ".json";
    std::ofstream(file) << CodeSystem(versions[i].first, algorithm_json, versions[i].second);
    Status s = ImportInto(dir.db(), {file});
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto store = OpenReadOnly(dir.db());
    auto b = store->Bind(ResourceKind::kCodeSystem, "urn:cs:v");
    auto c = store->Lookup("urn:cs:v", "a");
    seen.push_back((b.ok() ? b->version : "?") + " " +
                   (c.ok() && c->has_value() ? std::string((*c)->display) : std::string("?")));
  }
  return seen;
}

TEST(VersionOrder, DeclaredSemverPicksTheCurrentVersionWhateverTheImportOrder) {
  const std::string semver = R"(,"versionAlgorithmString":"semver")";
  EXPECT_EQ(ImportInOrder(semver, {{"2.0.0", "release"}, {"2.0.0-rc.1", "candidate"}}),
            (std::vector<std::string>{"2.0.0 release", "2.0.0 release"}));
  EXPECT_EQ(ImportInOrder(semver, {{"2.0.0-rc.1", "candidate"}, {"2.0.0", "release"}}),
            (std::vector<std::string>{"2.0.0-rc.1 candidate", "2.0.0 release"}));
  // R5's Coding form and R4's extension say the same.
  const std::string coding =
      R"(,"versionAlgorithmCoding":{"system":"http://hl7.org/fhir/version-algorithm","code":"semver"})";
  EXPECT_EQ(ImportInOrder(coding, {{"2.0.0", "release"}, {"2.0.0-rc.1", "candidate"}}),
            (std::vector<std::string>{"2.0.0 release", "2.0.0 release"}));
  const std::string extension =
      R"(,"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/artifact-versionAlgorithm",)"
      R"("valueCoding":{"system":"http://hl7.org/fhir/version-algorithm","code":"semver"}}])";
  EXPECT_EQ(ImportInOrder(extension, {{"2.0.0", "release"}, {"2.0.0-rc.1", "candidate"}}),
            (std::vector<std::string>{"2.0.0 release", "2.0.0 release"}));
  // Declared by none: natural order, where the suffixed version is higher.
  EXPECT_EQ(ImportInOrder("", {{"2.0.0", "release"}, {"2.0.0-rc.1", "candidate"}}),
            (std::vector<std::string>{"2.0.0 release", "2.0.0-rc.1 candidate"}));
}

TEST(VersionOrder, DeclaredAlphaAndIntegerOrders) {
  EXPECT_EQ(ImportInOrder(R"(,"versionAlgorithmString":"alpha")", {{"9", "nine"}, {"10", "ten"}}),
            (std::vector<std::string>{"9 nine", "9 nine"}));
  EXPECT_EQ(ImportInOrder(R"(,"versionAlgorithmString":"integer")", {{"10", "ten"}, {"9", "nine"}}),
            (std::vector<std::string>{"10 ten", "10 ten"}));
}

// A version the store already has keeps its declaration: importing a later version that declares nothing
// still orders by it.
TEST(VersionOrder, TheCurrentVersionsDeclarationAppliesWhenTheImportDeclaresNone) {
  TempDir dir;
  std::string first = dir.path() + "/a.json", second = dir.path() + "/b.json";
  std::ofstream(first) << CodeSystem("2.0.0", R"(,"versionAlgorithmString":"semver")", "release");
  std::ofstream(second) << CodeSystem("2.0.0-rc.1", "", "candidate");
  ASSERT_TRUE(ImportInto(dir.db(), {first}).ok());
  ASSERT_TRUE(ImportInto(dir.db(), {second}).ok());
  auto store = OpenReadOnly(dir.db());
  EXPECT_EQ(store->Bind(ResourceKind::kCodeSystem, "urn:cs:v")->version, "2.0.0");
}

}  // namespace
}  // namespace crosswalk::term
