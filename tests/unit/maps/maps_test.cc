// The shipped HL7 v2 -> FHIR R4 maps: golden bundles and FHIR sanity checks.
//
// Runs the program the build made (<build>/maps/hl7v2-to-fhir.cwb) against the store the build seeded
// (<build>/terminology):
//  - Golden: every tests/golden/messages/NAME.hl7 gives exactly NAME.json (pretty output, byte for byte), or,
//    when NAME.rejected exists, is rejected with a reason containing that file's text.
//    CW_UPDATE_GOLDENS=1 rewrites the expected files instead of comparing.
//  - Sanity: every fixture message under tests/fixtures/hl7v2 whose type has a map converts to a transaction
//    Bundle with no empty strings/objects/arrays, unique urn:uuid fullUrls, every urn:uuid reference
//    resolving to an entry, valid choice-type names, and the same bytes when run twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crosswalk/runtime.h"
#include "shipped_program.h"
#include "hl7v2/framing.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class MapsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { crosswalk::maps_testing::LoadShippedProgram(&runtime_, &program_); }
  static void TearDownTestSuite() { crosswalk::maps_testing::ReleaseShippedProgram(&runtime_, &program_); }

  crosswalk::Status Run(std::string_view message, bool pretty, std::string* out, bool reuse_calls = true) {
    crosswalk::RunContext ctx(*runtime_);
    crosswalk::RunOptions options;
    options.pretty = pretty;
    options.reuse_calls = reuse_calls;
    options.now = "2024-01-01T00:00:00Z";  // the time of transformation (IG MSH[Provenance-Transformation])
    crosswalk::RunOutput output;
    crosswalk::Status s = ctx.Run(**program_, message, options, &output);
    *out = s.ok() ? output.json : s.ToString();
    return s;
  }

  static crosswalk::Runtime* runtime_;
  static std::shared_ptr<const crosswalk::Program>* program_;
};
crosswalk::Runtime* MapsTest::runtime_ = nullptr;
std::shared_ptr<const crosswalk::Program>* MapsTest::program_ = nullptr;

const std::set<std::string> kChoiceTypes = {
    "Quantity", "CodeableConcept", "String", "Boolean", "Integer", "Range", "Ratio", "SampledData", "Time",
    "DateTime", "Period", "Attachment", "Reference", "Date", "Age", "Instant", "Coding", "Decimal", "Uri",
    "Canonical", "Code", "Id", "PositiveInt", "UnsignedInt", "Duration", "Timing", "Identifier", "Money",
    "Address"};
const std::regex kChoiceName(
    "^(value|effective|onset|deceased|multipleBirth|occurrence|abatement|born|age|collected|timing|"
    "asNeeded|medication|reported|performed|serviced)([A-Z][A-Za-z]*)$");
const std::regex kUuidUrn("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

void Walk(const json& node, const std::string& path, std::vector<std::string>* problems,
          std::vector<std::pair<std::string, std::string>>* refs) {
  if (node.is_object()) {
    if (node.empty()) problems->push_back(path + ": empty object");
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::smatch m;
      const std::string& key = it.key();
      if (std::regex_match(key, m, kChoiceName) && !kChoiceTypes.count(m[2].str()) && key != "valueSet") {
        problems->push_back(path + "." + key + ": not a valid choice-type name");
      }
      if (key == "reference" && it->is_string()) refs->emplace_back(path, it->get<std::string>());
      Walk(*it, path + "." + key, problems, refs);
    }
  } else if (node.is_array()) {
    if (node.empty()) problems->push_back(path + ": empty array");
    for (size_t i = 0; i < node.size(); ++i) Walk(node[i], path + "[" + std::to_string(i) + "]", problems, refs);
  } else if (node.is_string() && node.get<std::string>().empty()) {
    problems->push_back(path + ": empty string");
  }
}

std::vector<std::string> SanityProblems(const json& bundle) {
  std::vector<std::string> problems;
  std::vector<std::pair<std::string, std::string>> refs;
  Walk(bundle, "Bundle", &problems, &refs);
  if (bundle.value("resourceType", "") != "Bundle" || bundle.value("type", "") != "transaction") {
    problems.push_back("not a transaction Bundle");
  }
  std::set<std::string> urls;
  const json& entries = bundle.contains("entry") ? bundle["entry"] : json::array();
  for (size_t i = 0; i < entries.size(); ++i) {
    const json& e = entries[i];
    std::string url = e.value("fullUrl", "");
    if (!std::regex_match(url, kUuidUrn)) problems.push_back("entry " + std::to_string(i) + ": bad fullUrl");
    if (!urls.insert(url).second) problems.push_back("duplicate fullUrl " + url);
    if (!e.contains("resource") || !e["resource"].contains("resourceType")) {
      problems.push_back("entry " + std::to_string(i) + ": no resource");
    }
    if (!e.contains("request") || (e["request"].value("method", "") != "POST" && e["request"].value("method", "") != "PUT") ||
        e["request"].value("url", "").empty()) {
      problems.push_back("entry " + std::to_string(i) + ": bad request");
    }
  }
  for (const auto& [path, ref] : refs) {
    if (ref.rfind("urn:uuid:", 0) == 0 && !urls.count(ref)) problems.push_back(path + ": unresolved " + ref);
  }
  return problems;
}

TEST_F(MapsTest, GoldenBundles) {
  fs::path dir = fs::path(CW_TEST_DIR) / "golden" / "messages";
  bool update = std::getenv("CW_UPDATE_GOLDENS") != nullptr;
  std::vector<fs::path> messages;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".hl7") messages.push_back(e.path());
  }
  std::sort(messages.begin(), messages.end());
  ASSERT_GE(messages.size(), 10u);
  for (const auto& msg : messages) {
    SCOPED_TRACE(msg.filename().string());
    std::string out;
    crosswalk::Status s = Run(ReadAll(msg), /*pretty=*/true, &out);
    fs::path rejected = fs::path(msg).replace_extension(".rejected");
    fs::path expected = fs::path(msg).replace_extension(".json");
    if (!s.ok()) {
      if (update) {
        std::ofstream(rejected, std::ios::binary) << out << "\n";
        continue;
      }
      ASSERT_TRUE(fs::exists(rejected)) << "unexpected rejection: " << out;
      std::string want = ReadAll(rejected);
      while (!want.empty() && (want.back() == '\n' || want.back() == '\r')) want.pop_back();
      EXPECT_NE(out.find(want), std::string::npos) << out;
      continue;
    }
    EXPECT_FALSE(fs::exists(rejected)) << "expected a rejection";
    if (update) {
      std::ofstream(expected, std::ios::binary) << out << "\n";
      continue;
    }
    ASSERT_TRUE(fs::exists(expected)) << "no expected bundle; run with CW_UPDATE_GOLDENS=1";
    EXPECT_EQ(out + "\n", ReadAll(expected));
    EXPECT_TRUE(SanityProblems(json::parse(out)).empty());
  }
}

// Deterministic: the same output twice, the second time without reused calls (RunOptions::reuse_calls).
TEST_F(MapsTest, EveryFixtureOfASupportedTypeIsSaneAndDeterministic) {
  fs::path root = fs::path(CW_TEST_DIR) / "fixtures" / "hl7v2";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".hl7") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  size_t converted = 0, unsupported = 0;
  for (const auto& f : files) {
    std::string data = ReadAll(f);
    crosswalk::hl7v2::Batch batch;
    if (!crosswalk::hl7v2::SplitMessages(data, &batch).ok()) continue;  // deliberately broken fixtures
    for (std::string_view message : batch.messages) {
      SCOPED_TRACE(f.lexically_relative(root).string());
      std::string first, second;
      crosswalk::Status s = Run(message, false, &first);
      if (!s.ok()) {
        // Only "no map" (unsupported type) and malformed input may be rejected, never a map error.
        EXPECT_TRUE(first.find("no map for") != std::string::npos || first.find(".cw:") == std::string::npos)
            << first;
        if (first.find("no map for") != std::string::npos) ++unsupported;
        continue;
      }
      ++converted;
      // Again without reused calls (RunOptions::reuse_calls): the same output, byte for byte.
      ASSERT_TRUE(Run(message, false, &second, /*reuse_calls=*/false).ok());
      EXPECT_EQ(first, second) << "not deterministic, or a reused call changed the output";
      json bundle = json::parse(first, nullptr, false);
      ASSERT_FALSE(bundle.is_discarded()) << "output is not JSON";
      for (const auto& p : SanityProblems(bundle)) ADD_FAILURE() << p;
    }
  }
  EXPECT_GE(converted, 400u);
  EXPECT_GT(unsupported, 0u);
}

}  // namespace
