// Lineage of a Bundle made by the shipped HL7 v2 -> FHIR program from a real ADT^A01 (FHIR-Converter's
// ADT-A01-01.hl7): every written value has a record, and a few of them are checked by hand against
// maps/hl7v2/segments.cw and datatypes.cw and the message's PID segment:
//   PID|1|1234567^4^…|PATID1234^5^…|PATID567^^^test2|EVERYMAN&&&&Aniston^ADAM^A^III^Dr.^MD|…
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../maps/shipped_program.h"
#include "crosswalk/runtime.h"

namespace crosswalk {
namespace {

class ShippedBundleLineageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { maps_testing::LoadShippedProgram(&runtime_, &program_); }
  static void TearDownTestSuite() { maps_testing::ReleaseShippedProgram(&runtime_, &program_); }

  static RunOutput Run(const std::string& fixture) {
    std::ifstream in(std::string(CW_TEST_DIR) + "/fixtures/hl7v2/" + fixture, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    RunOptions o;
    o.trace = true;
    o.now = "2024-01-01T00:00:00Z";
    RunContext ctx(*runtime_);
    RunOutput out;
    Status s = ctx.Run(**program_, text.str(), o, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  static const LineageRecord* Find(const RunOutput& out, const std::string& path) {
    for (const LineageRecord& r : out.lineage) {
      if (r.output_path == path) return &r;
    }
    return nullptr;
  }

  static std::string From(const LineageRecord& r) {
    std::string s;
    for (uint32_t i : r.data_inputs) s += (s.empty() ? "" : " ") + r.inputs[i].path;
    return s;
  }

  static bool EndsWith(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  }

  // Leaves of a JSON document (what lineage has one record for each of).
  static size_t Leaves(const nlohmann::json& j) {
    if (j.is_object() || j.is_array()) {
      size_t n = 0;
      for (const auto& item : j) n += Leaves(item);
      return n;
    }
    return 1;
  }

  static Runtime* runtime_;
  static std::shared_ptr<const Program>* program_;
};
Runtime* ShippedBundleLineageTest::runtime_ = nullptr;
std::shared_ptr<const Program>* ShippedBundleLineageTest::program_ = nullptr;

// The 1-based line of maps/hl7v2/FILE that holds `text` (the maps change: the test follows the line, not
// its number); 0 when no line holds it.
uint32_t LineOf(const std::string& file, const std::string& text) {
  std::ifstream in(std::string(CW_SOURCE_DIR) + "/maps/hl7v2/" + file);
  std::string line;
  for (uint32_t n = 1; std::getline(in, line); ++n) {
    if (line.find(text) != std::string::npos) return n;
  }
  return 0;
}

TEST_F(ShippedBundleLineageTest, EveryValueHasARecordAndTheCheckedOnesTheirSources) {
  RunOutput out = Run("ms-fhir-converter/ADT-A01-01.hl7");
  auto doc = nlohmann::json::parse(out.json);
  ASSERT_EQ(doc["entry"][0]["resource"]["resourceType"], "Patient");
  EXPECT_EQ(out.lineage.size(), Leaves(doc));
  for (const LineageRecord& r : out.lineage) {
    EXPECT_EQ(r.output_path.rfind("$.", 0), 0u) << r.output_path;
    EXPECT_FALSE(r.map_file.empty()) << r.output_path;
    EXPECT_GT(r.line, 0u) << r.output_path;
  }

  // family: xpn.1.1 (datatypes.cw, HumanName) of PID-5's first repetition: EVERYMAN.
  const LineageRecord* family = Find(out, "$.entry[0].resource.name[0].family");
  ASSERT_NE(family, nullptr);
  EXPECT_TRUE(EndsWith(family->map_file, "datatypes.cw")) << family->map_file;
  EXPECT_EQ(family->line, LineOf("datatypes.cw", "  family: xpn.1.1"));
  EXPECT_EQ(From(*family), "PID-5[1].1.1");
  EXPECT_EQ(doc["entry"][0]["resource"]["name"][0]["family"], "EVERYMAN");
  // given[]: xpn.2 then xpn.3: ADAM, A.
  const LineageRecord* given = Find(out, "$.entry[0].resource.name[0].given[1]");
  ASSERT_NE(given, nullptr);
  EXPECT_EQ(From(*given), "PID-5[1].3");

  // gender: translate(pid.8, CM_0001_ADMINISTRATIVE_GENDER) in segments.cw.
  const LineageRecord* gender = Find(out, "$.entry[0].resource.gender");
  ASSERT_NE(gender, nullptr);
  EXPECT_TRUE(EndsWith(gender->map_file, "segments.cw"));
  EXPECT_EQ(gender->line, LineOf("segments.cw", "gender: translate(pid.8, "));
  EXPECT_EQ(From(*gender), "PID-8");
  ASSERT_EQ(gender->decisions.size(), 1u);
  EXPECT_EQ(gender->decisions[0].op, "translate");
  EXPECT_EQ(gender->decisions[0].url,
            "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70001-to-administrative-gender");
  EXPECT_EQ(gender->decisions[0].result, "mapped");

  // birthDate: date(pid.7) in segments.cw.
  const LineageRecord* birth = Find(out, "$.entry[0].resource.birthDate");
  ASSERT_NE(birth, nullptr);
  EXPECT_EQ(birth->line, LineOf("segments.cw", "birthDate: date(pid.7)"));
  EXPECT_EQ(From(*birth), "PID-7");
}

}  // namespace
}  // namespace crosswalk
