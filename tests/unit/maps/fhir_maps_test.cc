// The shipped FHIR R4 maps: FHIR -> internal model (<build>/maps/fhir-to-internal.cwb) and FHIR -> HL7 v2
// ORU^R01 (<build>/maps/fhir-to-hl7v2.cwb), run against the store the build seeded (<build>/terminology).
//  - Internal goldens: every tests/golden/fhir/internal/NAME.json gives exactly NAME.expected.json (pretty).
//  - ORU goldens: every tests/golden/fhir/oru/NAME.json gives exactly NAME.expected.hl7 (ER7; the file keeps
//    one segment per line: "\r" is written as "\n"), run with now() = kNow.
//  - Round trip: each golden ORU^R01 message -> FHIR (hl7v2-to-fhir) -> ORU^R01 (fhir-to-hl7v2) -> FHIR gives
//    the same observation codes, values and units as the first conversion.
// CW_UPDATE_GOLDENS=1 rewrites the expected files instead of comparing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "crosswalk/runtime.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kNow = "2024-05-01T10:00:00Z";

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FhirMapsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crosswalk::RuntimeOptions ro;
    ro.terminology_dir = std::string(CW_BUILD_DIR) + "/terminology";
    auto rt = crosswalk::Runtime::Create(ro);
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    runtime_ = std::move(*rt).release();
    for (const char* name : {"fhir-to-internal", "fhir-to-hl7v2", "hl7v2-to-fhir"}) {
      std::string bytes = ReadAll(std::string(CW_BUILD_DIR) + "/maps/" + name + ".cwb");
      ASSERT_FALSE(bytes.empty()) << "build the maps first: " << name;
      auto program = runtime_->Load(bytes);
      ASSERT_TRUE(program.ok()) << name << ": " << program.status().ToString();
      programs_->push_back(*program);
    }
  }
  static void TearDownTestSuite() {
    programs_->clear();
    delete runtime_;
    runtime_ = nullptr;
  }

  // program: 0 fhir-to-internal, 1 fhir-to-hl7v2, 2 hl7v2-to-fhir.
  crosswalk::Status Run(int program, std::string_view input, bool pretty, std::string* out) {
    crosswalk::RunContext ctx(*runtime_);
    crosswalk::RunOptions options;
    options.pretty = pretty;
    options.now = kNow;
    crosswalk::RunOutput output;
    crosswalk::Status s = ctx.Run(*(*programs_)[program], input, options, &output);
    *out = s.ok() ? output.json : s.ToString();
    return s;
  }

  static std::vector<fs::path> Inputs(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) {
      std::string name = e.path().filename().string();
      if (e.path().extension() == ".json" && name.find(".expected.") == std::string::npos) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  static crosswalk::Runtime* runtime_;
  static std::vector<std::shared_ptr<const crosswalk::Program>>* programs_;
};
crosswalk::Runtime* FhirMapsTest::runtime_ = nullptr;
std::vector<std::shared_ptr<const crosswalk::Program>>* FhirMapsTest::programs_ =
    new std::vector<std::shared_ptr<const crosswalk::Program>>();

bool Update() { return std::getenv("CW_UPDATE_GOLDENS") != nullptr; }

TEST_F(FhirMapsTest, InternalModelGoldens) {
  auto inputs = Inputs(fs::path(CW_TEST_DIR) / "golden" / "fhir" / "internal");
  ASSERT_GE(inputs.size(), 10u);
  std::set<std::string> kinds;
  for (const auto& in : inputs) {
    SCOPED_TRACE(in.filename().string());
    std::string out;
    ASSERT_TRUE(Run(0, ReadAll(in), true, &out).ok()) << out;
    fs::path expected = fs::path(in).replace_extension(".expected.json");
    if (Update()) {
      std::ofstream(expected, std::ios::binary) << out << "\n";
      continue;
    }
    ASSERT_TRUE(fs::exists(expected)) << "no expected output; run with CW_UPDATE_GOLDENS=1";
    EXPECT_EQ(out + "\n", ReadAll(expected));
    kinds.insert(json::parse(out).value("kind", ""));
  }
  if (!Update()) {
    EXPECT_EQ(kinds, (std::set<std::string>{"appointment", "encounter", "observation", "patient", "report"}));
  }
}

std::string Lines(std::string er7) {
  std::replace(er7.begin(), er7.end(), '\r', '\n');
  return er7;
}

TEST_F(FhirMapsTest, OruGoldens) {
  auto inputs = Inputs(fs::path(CW_TEST_DIR) / "golden" / "fhir" / "oru");
  ASSERT_GE(inputs.size(), 4u);
  for (const auto& in : inputs) {
    SCOPED_TRACE(in.filename().string());
    std::string out, again;
    ASSERT_TRUE(Run(1, ReadAll(in), false, &out).ok()) << out;
    ASSERT_TRUE(Run(1, ReadAll(in), false, &again).ok());
    EXPECT_EQ(out, again) << "not deterministic";
    EXPECT_EQ(out.rfind("MSH|^~\\&|", 0), 0u);
    fs::path expected = fs::path(in).replace_extension(".expected.hl7");
    if (Update()) {
      std::ofstream(expected, std::ios::binary) << Lines(out);
      continue;
    }
    ASSERT_TRUE(fs::exists(expected)) << "no expected output; run with CW_UPDATE_GOLDENS=1";
    EXPECT_EQ(Lines(out), ReadAll(expected));
    // What the ORU converts back to is a sane FHIR transaction Bundle.
    std::string bundle;
    EXPECT_TRUE(Run(2, out, false, &bundle).ok()) << bundle;
  }
}

// (code, value, unit) of every Observation of a converted Bundle.
std::multiset<std::tuple<std::string, std::string, std::string>> Observations(const json& bundle) {
  std::multiset<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& e : bundle.value("entry", json::array())) {
    const json& r = e["resource"];
    if (r.value("resourceType", "") != "Observation") continue;
    std::string code = r["code"].contains("coding") ? r["code"]["coding"][0].value("code", "") : "";
    std::string value, unit;
    if (r.contains("valueQuantity")) {
      value = r["valueQuantity"]["value"].dump();
      unit = r["valueQuantity"].value("unit", "");
    } else if (r.contains("valueCodeableConcept")) {
      value = r["valueCodeableConcept"].dump();
    } else if (r.contains("valueString")) {
      value = r["valueString"];
    } else if (r.contains("valueDateTime")) {
      value = r["valueDateTime"];
    }
    out.emplace(code, value, unit);
  }
  return out;
}

TEST_F(FhirMapsTest, OruRoundTripKeepsObservationCodesValuesAndUnits) {
  fs::path dir = fs::path(CW_TEST_DIR) / "golden" / "messages";
  int checked = 0;
  for (const char* name : {"oru-r01.hl7", "oru-r01-lab.hl7", "oru-r01-cwe.hl7", "oru-r01-dtm.hl7"}) {
    SCOPED_TRACE(name);
    std::string fhir1, oru, fhir2;
    ASSERT_TRUE(Run(2, ReadAll(dir / name), false, &fhir1).ok()) << fhir1;
    ASSERT_TRUE(Run(1, fhir1, false, &oru).ok()) << oru;
    ASSERT_TRUE(Run(2, oru, false, &fhir2).ok()) << fhir2 << "\n" << Lines(oru);
    auto before = Observations(json::parse(fhir1));
    auto after = Observations(json::parse(fhir2));
    EXPECT_FALSE(before.empty());
    EXPECT_EQ(before, after) << Lines(oru);
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

}  // namespace
