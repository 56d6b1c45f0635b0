// The shipped HL7 v2 -> FHIR R4 maps: the rules that keep every resource valid R4 (docs/fidelity.md,
// "Validity"), each shown on a small message, both ways (the resource written when its required elements have
// a source, left out or written differently when they do not). The outside validator checks the same over
// every golden and fixture bundle (tests/validator, CTest fhir_validator.*).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crosswalk/runtime.h"
#include "shipped_program.h"

using nlohmann::json;

namespace {

class MapsValidityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { crosswalk::maps_testing::LoadShippedProgram(&runtime_, &program_); }
  static void TearDownTestSuite() { crosswalk::maps_testing::ReleaseShippedProgram(&runtime_, &program_); }

  // Segments joined by CR; the bundle, or a failure.
  json Convert(const std::vector<std::string>& segments, const std::string& zone = "", const std::string& now = "") {
    crosswalk::RunOptions options;
    options.default_zone = zone;
    options.now = now;
    return crosswalk::maps_testing::ConvertSegments(*runtime_, **program_, segments, options);
  }

  // The resource a reference points to inside the Bundle (null when it does not resolve).
  static json Resolve(const json& bundle, const json& ref) {
    for (const auto& e : bundle["entry"]) {
      if (ref.contains("reference") && e["fullUrl"] == ref["reference"]) return e["resource"];
    }
    return nullptr;
  }
  static std::vector<json> Resources(const json& bundle, const std::string& type) {
    std::vector<json> found;
    for (const auto& e : bundle.value("entry", json::array())) {
      if (e["resource"].value("resourceType", "") == type) found.push_back(e["resource"]);
    }
    return found;
  }

  // The fullUrl of the first entry holding a resource of this type.
  static json FullUrl(const json& bundle, const std::string& type) {
    for (const auto& e : bundle.value("entry", json::array())) {
      if (e["resource"].value("resourceType", "") == type) return e["fullUrl"];
    }
    return json();
  }

  static crosswalk::Runtime* runtime_;
  static std::shared_ptr<const crosswalk::Program>* program_;
};
crosswalk::Runtime* MapsValidityTest::runtime_ = nullptr;
std::shared_ptr<const crosswalk::Program>* MapsValidityTest::program_ = nullptr;

const char* kPid = "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F";

// Every entry is idempotent, so a Bundle delivered twice (crosswalk serve delivers at least once) changes
// nothing the second time: the message's Patient is conditional on its identifier (below), every other entry
// is PUT Kind/id with the resource's id equal to its urn:uuid fullUrl. Party resources keep their id across
// messages (content-keyed); message resources keep it across redeliveries.
TEST_F(MapsValidityTest, EntriesAreIdempotent) {
  std::vector<std::string> adt = {"MSH|^~\\&|APP|HOSP|RCV|FAC|20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1",
                                  "EVN|A01", kPid, "PV1|1|I|W1^R1^B1^HOSP||||1234^SMITH^ANN"};
  json first = Convert(adt, "", "2024-06-01T08:00:00Z");
  ASSERT_GT(first["entry"].size(), 3u);
  for (const json& e : first["entry"]) {
    if (e["resource"]["resourceType"] == "Patient") {
      EXPECT_EQ(e["request"]["url"], "Patient?identifier=urn%3Aid%3AHOSP|12345");
      continue;
    }
    std::string id = e["resource"]["id"];
    EXPECT_EQ(e["fullUrl"], "urn:uuid:" + id);
    EXPECT_EQ(e["request"]["method"], "PUT");
    EXPECT_EQ(e["request"]["url"], e["resource"]["resourceType"].get<std::string>() + "/" + id);
  }
  EXPECT_EQ(Convert(adt, "", "2024-06-01T08:00:00Z"), first);
  adt[0].replace(adt[0].find("|M1|"), 4, "|M2|");  // another message about the same people and places
  json second = Convert(adt, "", "2024-06-01T08:00:00Z");
  auto ids = [](const json& b, const std::string& kind) {
    std::set<std::string> out;
    for (const json& e : b["entry"]) {
      if (e["resource"]["resourceType"] == kind) out.insert(e["resource"]["id"].get<std::string>());
    }
    return out;
  };
  EXPECT_EQ(ids(first, "Practitioner"), ids(second, "Practitioner"));
  EXPECT_EQ(ids(first, "Location"), ids(second, "Location"));
  EXPECT_NE(ids(first, "Encounter"), ids(second, "Encounter"));
}

// The message's Patient (and visit) is found on the FHIR server by its identifier, so one patient is one
// Patient however many messages name it: ADT updates it (PUT Patient?identifier=...), other messages create it only when the
// server has none (POST, ifNoneExist) and never overwrite it. No id in the resource (the server keeps its own);
// references use the entry's fullUrl, which the server resolves to the Patient it matched. The identifier
// typed MR wins, a social security or driver's licence number never keys; without a keyed identifier the
// entry is an update of the message-keyed id as before.
TEST_F(MapsValidityTest, ThePatientAndTheVisitAreConditionalOnTheirIdentifiers) {
  auto patient_entry = [](const json& bundle) {
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] == "Patient") return e;
    }
    return json();
  };
  const std::string msh_adt = "MSH|^~\\&|APP|HOSP|RCV|FAC|20240501101500+0100||ADT^A08^ADT_A01|M1|P|2.5.1";
  const std::string msh_oru = "MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M2|P|2.5.1";
  // ADT: a conditional update; the Encounter's subject points at the Patient entry.
  json adt = Convert({msh_adt, "EVN|A08",
                      "PID|1||777^^^SSA^SS~12345^^^HOSP^MR~999^^^OTHER^PI||DOE^JANE||19800101|F",
                      "PV1|1|I|W1^R1^B1^HOSP"});
  json e = patient_entry(adt);
  EXPECT_EQ(e["request"], json::parse(R"({"method":"PUT","url":"Patient?identifier=urn%3Aid%3AHOSP|12345"})"));
  EXPECT_FALSE(e["resource"].contains("id"));
  ASSERT_EQ(Resources(adt, "Encounter").size(), 1u);
  EXPECT_EQ(Resources(adt, "Encounter")[0]["subject"]["reference"], e["fullUrl"]);
  // A result about the same patient: created only if the server has no Patient with that identifier.
  json oru = Convert({msh_oru, "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F", "OBR|1||F1|1234-5^Test^LN"});
  e = patient_entry(oru);
  EXPECT_EQ(e["request"],
            json::parse(R"({"method":"POST","url":"Patient","ifNoneExist":"identifier=urn%3Aid%3AHOSP|12345"})"));
  EXPECT_FALSE(e["resource"].contains("id"));
  // No MR: the first keyed identifier (the SSN is skipped); search syntax escaped, then percent-encoded.
  e = patient_entry(Convert({msh_adt, "PID|1||777^^^SSA^SS~A\\F\\1,2 3$^^^HOSP^PI||DOE^JANE"}));
  EXPECT_EQ(e["request"]["url"], "Patient?identifier=urn%3Aid%3AHOSP|A%5C%7C1%5C%2C2%203%5C%24");
  // The visit likewise, by its visit number (PV1-19) when it has a system: updated by ADT, created if absent
  // by other messages; without an assigning authority, the message-keyed update.
  auto encounter_entry = [](const json& bundle) {
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] == "Encounter") return e;
    }
    return json();
  };
  const std::string pid = "PID|1||12345^^^HOSP^MR||DOE^JANE";
  e = encounter_entry(Convert({msh_adt, pid, "PV1|1|I|W1^R1^B1^HOSP||||||||||||||||V100^^^HOSP"}));
  EXPECT_EQ(e["request"], json::parse(R"({"method":"PUT","url":"Encounter?identifier=urn%3Aid%3AHOSP|V100"})"));
  EXPECT_FALSE(e["resource"].contains("id"));
  e = encounter_entry(Convert({msh_oru, pid, "PV1|1|I|W1^R1^B1^HOSP||||||||||||||||V100^^^HOSP", "OBR|1||F1|1234-5^Test^LN"}));
  EXPECT_EQ(e["request"],
            json::parse(R"({"method":"POST","url":"Encounter","ifNoneExist":"identifier=urn%3Aid%3AHOSP|V100"})"));
  e = encounter_entry(Convert({msh_adt, pid, "PV1|1|I|W1^R1^B1^HOSP||||||||||||||||V100"}));
  EXPECT_EQ(e["request"]["url"], "Encounter/" + e["resource"]["id"].get<std::string>());
  // Only an identifier without a system, or only an SSN: the message-keyed update.
  for (const char* pid : {"PID|1||12345||DOE^JANE", "PID|1||||DOE^JANE|||||||||||||123-45-6789"}) {
    e = patient_entry(Convert({msh_adt, pid}));
    ASSERT_TRUE(e["resource"].contains("id")) << pid;
    EXPECT_EQ(e["request"]["method"], "PUT");
    EXPECT_EQ(e["request"]["url"], "Patient/" + e["resource"]["id"].get<std::string>());
  }
}

// Orders and reports are conditional on their order numbers (with a system): the order on its placer number,
// updated by order messages and created if absent by results; the report on its filler number, updated by
// results (so a final result replaces the preliminary report). Two entries of one message with the same search
// fall back to the message-keyed update (a transaction may not write one resource twice).
TEST_F(MapsValidityTest, OrdersAndReportsAreConditionalOnTheirOrderNumbers) {
  auto entries = [](const json& bundle, const char* kind) {
    std::vector<json> out;
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] == kind) out.push_back(e);
    }
    return out;
  };
  const std::string pid = "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F";
  const std::string msh_oru = "MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M2|P|2.5.1";
  const std::string msh_orm = "MSH|^~\\&|CPOE|HOSP|LAB|HOSP|20240501101500+0100||ORM^O01^ORM_O01|M3|P|2.5.1";
  json oru = Convert({msh_oru, pid, "ORC|RE|P1^CPOE|F1^LAB", "OBR|1|P1^CPOE|F1^LAB|1234-5^Test^LN|||||||||||||||||||F",
                      "OBX|1|NM|1234-5^Test^LN||7|mg|||||F"});
  auto sr = entries(oru, "ServiceRequest");
  ASSERT_EQ(sr.size(), 1u);
  EXPECT_EQ(sr[0]["request"],
            json::parse(R"({"method":"POST","url":"ServiceRequest","ifNoneExist":"identifier=urn%3Aid%3ACPOE|P1"})"));
  EXPECT_FALSE(sr[0]["resource"].contains("id"));
  auto dr = entries(oru, "DiagnosticReport");
  ASSERT_EQ(dr.size(), 1u);
  EXPECT_EQ(dr[0]["request"], json::parse(R"({"method":"PUT","url":"DiagnosticReport?identifier=urn%3Aid%3ALAB|F1"})"));
  EXPECT_FALSE(dr[0]["resource"].contains("id"));
  EXPECT_EQ(dr[0]["resource"]["basedOn"][0]["reference"], sr[0]["fullUrl"]);
  // The order message updates the order.
  json orm = Convert({msh_orm, pid, "ORC|NW|P1^CPOE", "OBR|1|P1^CPOE||1234-5^Test^LN"});
  sr = entries(orm, "ServiceRequest");
  ASSERT_EQ(sr.size(), 1u);
  EXPECT_EQ(sr[0]["request"], json::parse(R"({"method":"PUT","url":"ServiceRequest?identifier=urn%3Aid%3ACPOE|P1"})"));
  // Numbers without a system: the message-keyed update.
  json bare = Convert({msh_oru, pid, "ORC|RE|P1|F1", "OBR|1|P1|F1|1234-5^Test^LN"});
  for (const char* kind : {"ServiceRequest", "DiagnosticReport"}) {
    auto e = entries(bare, kind);
    ASSERT_EQ(e.size(), 1u) << kind;
    EXPECT_EQ(e[0]["request"]["url"], std::string(kind) + "/" + e[0]["resource"]["id"].get<std::string>());
  }
  // Two orders of one message with the same numbers: both fall back, and stay two resources.
  json twice = Convert({msh_oru, pid, "ORC|RE|P1^CPOE|F1^LAB", "OBR|1|P1^CPOE|F1^LAB|1234-5^Test^LN",
                        "ORC|RE|P1^CPOE|F1^LAB", "OBR|2|P1^CPOE|F1^LAB|2345-7^Other^LN"});
  for (const char* kind : {"ServiceRequest", "DiagnosticReport"}) {
    auto e = entries(twice, kind);
    ASSERT_EQ(e.size(), 2u) << kind;
    for (const json& x : e) {
      EXPECT_EQ(x["request"]["method"], "PUT") << kind;
      EXPECT_EQ(x["request"]["url"], std::string(kind) + "/" + x["resource"]["id"].get<std::string>());
    }
    EXPECT_NE(e[0]["fullUrl"], e[1]["fullUrl"]);
  }
}

// The results of an order with a known number (filler, else placer, with a system) are keyed by that number,
// their position, code and sub-id, not by the message: the final result message updates the Observations the
// preliminary one wrote (the same ids, PUT), and its report names them. Without a known number, or with two
// orders of the message sharing one, they are keyed by the message.
TEST_F(MapsValidityTest, ResultsOfAnOrderWithANumberAreTheSameObservationsInLaterMessages) {
  auto urls = [](const json& bundle, const char* kind) {
    std::vector<std::string> out;
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] != kind) continue;
      out.push_back(e["fullUrl"].get<std::string>());
      EXPECT_EQ(e["request"]["method"], "PUT");
      EXPECT_EQ(e["request"]["url"], std::string(kind) + "/" + e["resource"]["id"].get<std::string>());
    }
    return out;
  };
  auto report_results = [](const json& bundle) {
    std::vector<std::string> out;
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] != "DiagnosticReport") continue;
      for (const json& r : e["resource"]["result"]) out.push_back(r["reference"].get<std::string>());
    }
    return out;
  };
  const std::string pid = "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F";
  auto oru = [&](const std::string& control_id, const std::string& filler, const std::string& status,
                 const std::vector<std::string>& extra, const std::string& placer = "P1^CPOE",
                 const std::string& patient = "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F") {
    std::vector<std::string> segments = {
        "MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|" + control_id + "|P|2.5.1", patient,
        "ORC|RE|" + placer + "|" + filler, "OBR|1|" + placer + "|" + filler + "|24317-0^Hemogram^LN|||||||||||||||||||" + status,
        "OBX|1|NM|718-7^Hemoglobin^LN||13.1|g/dL|||||" + status, "OBX|2|NM|718-7^Hemoglobin^LN|2|13.4|g/dL|||||" + status,
        "OBX|3|NM|4544-3^Hematocrit^LN||39|%|||||" + status};
    segments.insert(segments.end(), extra.begin(), extra.end());
    return Convert(segments);
  };
  json preliminary = oru("M1", "F1^LAB", "P", {});
  json final_ = oru("M2", "F1^LAB", "F", {});
  auto first = urls(preliminary, "Observation");
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(std::set<std::string>(first.begin(), first.end()).size(), 3u);   // same code, other sub-id: two
  EXPECT_EQ(urls(final_, "Observation"), first);
  EXPECT_EQ(report_results(final_), first);
  // The same number with another system, or another number: other Observations.
  auto other = urls(oru("M2", "F2^LAB", "F", {}), "Observation");
  ASSERT_EQ(other.size(), 3u);
  for (const auto& u : other) EXPECT_EQ(std::count(first.begin(), first.end(), u), 0) << u;
  // The same number for another patient (a laboratory that recycles accession numbers): other Observations.
  auto recycled = urls(oru("M3", "F1^LAB", "F", {}, "P1^CPOE", "PID|1||67890^^^HOSP^MR||ROE^RICHARD||19700101|M"),
                       "Observation");
  ASSERT_EQ(recycled.size(), 3u);
  for (const auto& u : recycled) EXPECT_EQ(std::count(first.begin(), first.end(), u), 0) << u;
  // No filler number with a system: the placer number's; neither: keyed by the message.
  auto placer1 = urls(oru("M1", "F1", "P", {}), "Observation");
  EXPECT_EQ(urls(oru("M2", "F1", "F", {}), "Observation"), placer1);
  for (const auto& u : placer1) EXPECT_EQ(std::count(first.begin(), first.end(), u), 0) << u;
  auto bare1 = urls(oru("M1", "F1", "P", {}, "P1"), "Observation");
  auto bare2 = urls(oru("M2", "F1", "F", {}, "P1"), "Observation");
  ASSERT_EQ(bare1.size(), 3u);
  for (const auto& u : bare2) EXPECT_EQ(std::count(bare1.begin(), bare1.end(), u), 0) << u;
  // Two orders of the message with the same number: keyed by the message, and all distinct in the message.
  const std::vector<std::string> again = {"ORC|RE|P1^CPOE|F1^LAB", "OBR|2|P1^CPOE|F1^LAB|24317-0^Hemogram^LN",
                                          "OBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL|||||F"};
  auto twice1 = urls(oru("M1", "F1^LAB", "P", again), "Observation");
  auto twice2 = urls(oru("M2", "F1^LAB", "F", again), "Observation");
  ASSERT_EQ(twice1.size(), 4u);
  EXPECT_EQ(std::set<std::string>(twice1.begin(), twice1.end()).size(), 4u);
  for (const auto& u : twice2) EXPECT_EQ(std::count(twice1.begin(), twice1.end(), u), 0) << u;
  // OUL^R24 (order oriented) likewise.
  auto oul = [&](const std::string& control_id) {
    return Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||OUL^R24^OUL_R24|" + control_id + "|P|2.5.1", pid,
                    "OBR|1|P1^CPOE|F1^LAB|24317-0^Hemogram^LN", "ORC|RE|P1^CPOE|F1^LAB",
                    "OBX|1|NM|718-7^Hemoglobin^LN||13.1|g/dL|||||F"});
  };
  auto oul1 = urls(oul("M1"), "Observation");
  ASSERT_EQ(oul1.size(), 1u);
  EXPECT_EQ(urls(oul("M2"), "Observation"), oul1);
}

// A specimen is conditional on its specimen id (SPM-2 with a system; the placer-assigned one first): updated
// by result messages, created if absent by order messages; without a system, the message-keyed update.
// An ORU's SPECIMEN group (SPM, OBX*): each OBX is an Observation of that specimen (it was silently left out),
// with or without a PID; the order's own results stay the report's.
TEST_F(MapsValidityTest, ObservationsOfAResultSpecimenAreWritten) {
  for (bool with_pid : {true, false}) {
    SCOPED_TRACE(with_pid);
    std::vector<std::string> lines = {"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1"};
    if (with_pid) lines.push_back("PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F");
    for (const char* l : {"OBR|1|P1^CPOE|F1^LAB|24317-0^Hemogram^LN", "OBX|1|NM|718-7^Hemoglobin^LN||13.1|g/dL|||||F",
                          "SPM|1|S1&CPOE||119297000^Blood^SCT", "OBX|1|CWE|35659-2^Age at specimen collection^LN||Y^Yes^HL70136",
                          "OBX|2|NM|8339-4^Birth weight^LN||3200|g"}) {
      lines.push_back(l);
    }
    json b = Convert(lines);
    std::string specimen;
    std::map<std::string, json> observations;
    for (const json& e : b["entry"]) {
      if (e["resource"]["resourceType"] == "Specimen" && e["resource"].contains("type")) specimen = e["fullUrl"];
      if (e["resource"]["resourceType"] == "Observation") observations[e["resource"]["code"]["coding"][0]["code"]] = e["resource"];
    }
    ASSERT_EQ(observations.size(), 3u);
    for (const char* code : {"35659-2", "8339-4"}) {
      SCOPED_TRACE(code);
      ASSERT_TRUE(observations.count(code));
      EXPECT_EQ(observations[code]["specimen"]["reference"], specimen);
      EXPECT_EQ(observations[code].contains("subject"), with_pid);
    }
    EXPECT_EQ(observations["8339-4"]["valueQuantity"]["value"], 3200);
  }
}

// An order's prior results (OML PRIOR_RESULT; also where a second OBR sent without its ORC lands, as the OML_O21
// grammar reads it) are Observations the ServiceRequest lists as supporting information, not dropped; an MDM's
// OBX are Observations beside the document that holds them.
TEST_F(MapsValidityTest, PriorResultsAndDocumentLinesAreObservations) {
  json oml = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||OML^O21^OML_O21|M1|P|2.5.1",
                      "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F", "ORC|NW|P1^CPOE", "OBR|1|P1^CPOE||1320^HIV Ag/Ab^L",
                      "OBR|2|P1^CPOE||1680^Syphilis^L", "NTE|1||prior note", "OBX|1|ST|AOE25^Pregnancy^L||NO||||||O"});
  std::string prior;
  json request;
  for (const json& e : oml["entry"]) {
    const json& r = e["resource"];
    if (r["resourceType"] == "Observation" && r["code"]["coding"][0]["code"] == "AOE25") {
      prior = e["fullUrl"];
      EXPECT_EQ(r["valueString"], "NO");
    }
    if (r["resourceType"] == "ServiceRequest") request = r;
  }
  ASSERT_FALSE(prior.empty());
  ASSERT_TRUE(request.contains("supportingInfo"));
  EXPECT_EQ(request["supportingInfo"][0]["reference"], prior);

  json mdm = Convert({"MSH|^~\\&|DOC|HOSP|RCV|FAC|20240501101500+0100||MDM^T02^MDM_T02|M2|P|2.5.1",
                      "EVN|T02|20240501101500+0100", "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F",
                      "TXA|1|DS|TX|20240501101500+0100", "OBX|1|TX|note^Note^L||first line||||||F",
                      "OBX|2|TX|note^Note^L||second line||||||F"});
  std::vector<std::string> values;
  for (const json& e : mdm["entry"]) {
    if (e["resource"]["resourceType"] == "Observation") values.push_back(e["resource"]["valueString"]);
  }
  EXPECT_EQ(values, (std::vector<std::string>{"first line", "second line"}));
}

// CON after an MDM's TXA -> Consent: status by table 0498 (data-absent for B, bypassed, and unknown codes:
// R4 requires one), category CON-2, decision time CON-13, the consent text as the policy rule (ppc-1).
TEST_F(MapsValidityTest, ConsentsOfADocument) {
  json mdm = Convert({"MSH|^~\\&|DOC|HOSP|RCV|FAC|20240501101500+0100||MDM^T02^MDM_T02|M2|P|2.6",
                      "EVN|T02|20240501101500+0100", "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F", "PV1|1|O",
                      "TXA|1|DS|TX|20240501101500+0100", "CON|1||||||||||B",
                      "CON|2|001^Privacy^HL70496|F-1||We may share||||||R|20240501|20240502",
                      "OBX|1|TX|note^Note^L||first line||||||F"});
  std::vector<json> consents;
  for (const json& e : mdm["entry"]) {
    if (e["resource"]["resourceType"] == "Consent") consents.push_back(e["resource"]);
  }
  ASSERT_EQ(consents.size(), 2u);
  EXPECT_FALSE(consents[0].contains("status"));
  EXPECT_EQ(consents[0]["_status"]["extension"][0]["valueCode"], "unknown");
  EXPECT_EQ(consents[0]["policyRule"]["extension"][0]["valueCode"], "unknown");
  EXPECT_EQ(consents[1]["status"], "rejected");
  EXPECT_EQ(consents[1]["category"][0]["coding"][0]["code"], "001");
  EXPECT_EQ(consents[1]["dateTime"], "2024-05-02");
  EXPECT_EQ(consents[1]["policyRule"]["text"], "We may share");
}

// CTI -> ResearchStudy, the order's supporting information (a ServiceRequest's in ORU, a MedicationRequest's in
// RDE); INV -> Substance, the additive of its specimen container (OUL). No map read either segment before. A
// study with a system in its id is created only when absent (no order message owns it); a container without
// inventory detail gets no additive.
TEST_F(MapsValidityTest, ClinicalTrialsAndContainerInventoryAreWritten) {
  json oru = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid,
                      "OBR|1|P1^CPOE|F1^LAB|1320^HIV Ag/Ab^L", "OBX|1|ST|1320^HIV Ag/Ab^L||NEG||||||F",
                      "CTI|NCT01^Study^2.16.840.1.113883.3.1077^ISO|2^Phase 2^HL70396", "CTI|NCT02"});
  std::vector<json> studies = Resources(oru, "ResearchStudy");
  ASSERT_EQ(studies.size(), 2u);
  EXPECT_EQ(studies[0]["status"], "active");
  EXPECT_EQ(studies[0]["identifier"][0]["value"], "NCT01");
  EXPECT_EQ(studies[0]["identifier"][0]["system"], "urn:oid:2.16.840.1.113883.3.1077");
  EXPECT_EQ(studies[0]["phase"]["coding"][0]["code"], "2");
  EXPECT_FALSE(studies[1].contains("phase"));
  json request = Resources(oru, "ServiceRequest").at(0);
  ASSERT_EQ(request["supportingInfo"].size(), 2u);
  EXPECT_EQ(Resolve(oru, request["supportingInfo"][0]), studies[0]);
  for (const json& e : oru["entry"]) {
    if (e["resource"]["resourceType"] != "ResearchStudy") continue;
    if (e["resource"]["identifier"][0]["value"] == "NCT01") {
      EXPECT_EQ(e["request"]["method"], "POST");
      EXPECT_EQ(e["request"]["ifNoneExist"], "identifier=urn%3Aoid%3A2.16.840.1.113883.3.1077|NCT01");
    } else {
      EXPECT_EQ(e["request"]["method"], "PUT");  // no system: message-keyed
    }
  }

  json rde = Convert({"MSH|^~\\&|RX|HOSP|RCV|FAC|20240501101500+0100||RDE^O11^RDE_O11|M2|P|2.5.1", kPid,
                      "ORC|NW|P1^CPOE", "RXE|^^^20240501|00069-3150^Atorvastatin^NDC|10||mg",
                      "TQ1|1||||||20240501", "RXR|PO", "CTI|NCT03"});
  json med = Resources(rde, "MedicationRequest").at(0);
  ASSERT_TRUE(med.contains("supportingInformation")) << med.dump();
  EXPECT_EQ(Resolve(rde, med["supportingInformation"].back())["identifier"][0]["value"], "NCT03");

  json oul = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||OUL^R22^OUL_R22|M3|P|2.5.1", kPid,
                      "SPM|1|S1^LAB||BLD^Blood^HL70487", "SAC|||C1^LAB",
                      "INV|SI1^Reagent^HL70451|OK^OK Status^HL70383~CW|RC^Calibrator^HL70384|CONT1^^LabID|||20|18|||mL^^UCUM|20261231||||LOT7",
                      "SAC|||C2^LAB", "INV|SI2|QE", "SAC|||C3^LAB", "OBR|1|P1^CPOE|F1^LAB|1320^HIV Ag/Ab^L",
                      "OBX|1|ST|1320^HIV Ag/Ab^L||NEG||||||F"});
  json specimen = Resources(oul, "Specimen").at(0);
  ASSERT_EQ(specimen["container"].size(), 3u) << specimen.dump();
  json first = Resolve(oul, specimen["container"][0]["additiveReference"]);
  EXPECT_EQ(first["resourceType"], "Substance");
  EXPECT_EQ(first["code"]["coding"][0]["code"], "SI1");
  EXPECT_EQ(first["status"], "active");
  EXPECT_EQ(first["category"][0]["coding"][0]["code"], "RC");
  EXPECT_EQ(first["identifier"][0]["value"], "LOT7");
  EXPECT_EQ(first["instance"][0]["identifier"]["value"], "CONT1");
  EXPECT_EQ(first["instance"][0]["quantity"]["value"], 18);  // INV-8 current quantity before INV-7 initial
  EXPECT_EQ(first["instance"][0]["expiry"], "2026-12-31");
  EXPECT_EQ(Resolve(oul, specimen["container"][1]["additiveReference"])["status"], "inactive");
  EXPECT_FALSE(specimen["container"][2].contains("additiveReference"));
}

// BLG -> the Account an order is billed to, in the order's supportingInfo: one entry for orders billed to one
// account, created only when absent; the patient's own PID-18 account when BLG-3 names it (no second Account with
// the same identifier in the transaction).
TEST_F(MapsValidityTest, AnOrdersBillingAccountIsItsSupportingInformation) {
  json orm = Convert({"MSH|^~\\&|CPOE|HOSP|LAB|FAC|20240501101500+0100||ORM^O01^ORM_O01|M1|P|2.5.1",
                      "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F|||||||||||ACC9^^^HOSP",
                      "ORC|NW|P1^CPOE", "OBR|1|P1^CPOE||1320^HIV^L", "BLG||CR|AC1^^^BILL^AN",
                      "ORC|NW|P2^CPOE", "OBR|1|P2^CPOE||1680^Syphilis^L", "BLG||CR|AC1^^^BILL^AN",
                      "ORC|NW|P3^CPOE", "OBR|1|P3^CPOE||1681^HCV^L", "BLG||CH|ACC9^^^HOSP"});
  std::vector<json> accounts;
  for (const json& e : orm["entry"]) {
    if (e["resource"]["resourceType"] == "Account") accounts.push_back(e);
  }
  ASSERT_EQ(accounts.size(), 2u);  // AC1 once, and the PID-18 account
  std::vector<std::string> billed;
  for (const json& r : Resources(orm, "ServiceRequest")) {
    for (const json& ref : r["supportingInfo"]) {
      json target = Resolve(orm, ref);
      ASSERT_FALSE(target.is_null()) << ref.dump();
      if (target["resourceType"] == "Account") billed.push_back(target["identifier"][0]["value"]);
    }
  }
  EXPECT_EQ(billed, (std::vector<std::string>{"AC1", "AC1", "ACC9"}));
  for (const json& e : accounts) {
    if (e["resource"]["identifier"][0]["value"] == "AC1") {
      EXPECT_EQ(e["request"]["method"], "POST");
      EXPECT_EQ(e["resource"]["status"], "active");
    }
  }
}

// CTD (contact data) -> Patient.contact: roles (table 0131), name, address, telecom; a CTD with only a role is no
// contact (pat-1). Read by no map before.
TEST_F(MapsValidityTest, ContactDataIsAPatientContact) {
  json oru = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid,
                      "OBR|1|P1^CPOE|F1^LAB|1320^HIV Ag/Ab^L",
                      "CTD|C^Emergency Contact^HL70131|Doe^Ross|1 Main St^^Town^KY^42010||^WPN^PH^^^^^^^^^(608)271-9001",
                      "CTD|E^Employer^HL70131", "OBX|1|ST|1320^HIV Ag/Ab^L||NEG||||||F"});
  json patient = Resources(oru, "Patient").at(0);
  ASSERT_EQ(patient["contact"].size(), 1u) << patient.dump();
  const json& c = patient["contact"][0];
  EXPECT_EQ(c["relationship"][0]["coding"][0]["code"], "C");
  EXPECT_EQ(c["name"]["family"], "Doe");
  EXPECT_EQ(c["address"]["city"], "Town");
  EXPECT_EQ(c["telecom"][0]["value"], "(608)271-9001");
}

// ARV (access restrictions) -> meta.security: the ARVs after PID restrict the Patient, those after PV1 the
// Encounter (segment_index). Values and reasons through the security-label ConceptMaps; a code they lack keeps
// its v2 coding; an ARV that deletes its restriction (ARV-2 D) gives no label. Read by no map before: a
// restricted patient's record reached the FHIR server without its restriction.
TEST_F(MapsValidityTest, AccessRestrictionsAreSecurityLabels) {
  json adt = Convert({"MSH|^~\\&|ADT|HOSP|RCV|FAC|20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.6",
                      "EVN|A01|20240501101500+0100", kPid, "ARV|1|A|DEM|PAT~VIP|Only the consultant",
                      "ARV|2|A|OO", "PV1|1|I|W^1^1", "ARV|3|A|LOC|PHY", "ARV|4|D|HIV|PAT"});
  json patient = Resources(adt, "Patient").at(0);
  json encounter = Resources(adt, "Encounter").at(0);
  std::vector<std::string> labels;
  for (const json& c : patient["meta"]["security"]) labels.push_back(c["system"].get<std::string>() + "|" + c["code"].get<std::string>());
  EXPECT_EQ(labels, (std::vector<std::string>{"http://terminology.hl7.org/CodeSystem/v3-ActCode|DEMO",
                                                "http://terminology.hl7.org/CodeSystem/v3-ActCode|PRS",
                                                "http://terminology.hl7.org/CodeSystem/v3-ActCode|CEL",
                                                "http://terminology.hl7.org/CodeSystem/v2-0717|OO"}));
  labels.clear();
  for (const json& c : encounter["meta"]["security"]) labels.push_back(c["code"]);
  EXPECT_EQ(labels, (std::vector<std::string>{"LOCIS", "PHY"}));  // not HIV: its ARV deletes the restriction

  json plain = Convert({"MSH|^~\\&|ADT|HOSP|RCV|FAC|20240501101500+0100||ADT^A01^ADT_A01|M2|P|2.6",
                        "EVN|A01|20240501101500+0100", kPid, "PV1|1|I|W^1^1"});
  EXPECT_FALSE(Resources(plain, "Patient").at(0).contains("meta"));
  EXPECT_FALSE(Resources(plain, "Encounter").at(0).contains("meta"));
}

// A transaction Bundle resolves its own references: every urn:uuid reference names one of its entries. Found by
// the sweep (tools/scripts/validity_sweep.py checks it for every variant): a PRT's parties were written only with
// a PID, an Account's person guarantor only by the maps that write the message's people, and the authors of a
// SIU service's second note not at all.
TEST_F(MapsValidityTest, EveryReferenceNamesAnEntry) {
  auto dangling = [](const json& bundle) {
    std::set<std::string> urls;
    for (const json& e : bundle["entry"]) urls.insert(e["fullUrl"].get<std::string>());
    std::vector<std::string> missing;
    std::function<void(const json&)> walk = [&](const json& v) {
      if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (it.key() == "reference" && it->is_string() && it->get<std::string>().rfind("urn:uuid:", 0) == 0 &&
              !urls.count(it->get<std::string>())) {
            missing.push_back(it->get<std::string>());
          } else {
            walk(*it);
          }
        }
      } else if (v.is_array()) {
        for (const json& x : v) walk(x);
      }
    };
    walk(bundle);
    return missing;
  };
  json no_pid = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||OUL^R22^OUL_R22|M1|P|2.5.1",
                         "SPM|1|S1||BLD^Blood^L", "OBR|1|P1^CPOE|F1^LAB|24317-0^Hemogram^LN",
                         "OBX|1|NM|718-7^Hemoglobin^LN||13.1|g/dL|||||F", "PRT||AD||RO|77^Author^Ann"});
  EXPECT_EQ(dangling(no_pid), std::vector<std::string>{});
  EXPECT_EQ(Resources(no_pid, "PractitionerRole").size(), 1u);
  json guarantor = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1",
                            "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F||||||||||ACC1^^^HOSP^AN",
                            "GT1|1||DOE^JOHN||1 Main St^^Town^ST^12345", "OBR|1|P1^CPOE|F1^LAB|24317-0^Hemogram^LN",
                            "OBX|1|NM|718-7^Hemoglobin^LN||13.1|g/dL|||||F"});
  EXPECT_EQ(dangling(guarantor), std::vector<std::string>{});
  EXPECT_EQ(Resources(guarantor, "Account").size(), 1u);
  json notes = Convert({"MSH|^~\\&|S|H|R|F|20240501101500+0100||SIU^S12^SIU_S12|M1|P|2.5.1",
                        "SCH|1|1||||||||30|min|^^30^20240502100000+0100|||||||||||||||Booked",
                        "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F", "RGS|1",
                        "AIS|1||CT^CT scan^L|20240502100000+0100", "NTE|1||first||11^One^Ann", "NTE|2||second||22^Two^Bob"});
  EXPECT_EQ(dangling(notes), std::vector<std::string>{});
  EXPECT_EQ(Resources(notes, "Practitioner").size(), 2u);
}

// A segment path given to a function is its first segment (docs/language.md); the maps pass a group's notes as
// direct(g.NTE), every NTE of the group. They passed g.NTE: every note after a result's first was dropped.
TEST_F(MapsValidityTest, EveryNoteOfAResultIsKept) {
  json oru = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1",
                      "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F", "OBR|1|P1^CPOE|F1^LAB|24317-0^Hemogram^LN",
                      "OBX|1|NM|718-7^Hemoglobin^LN||13.1|g/dL|||||F", "NTE|1||first note", "NTE|2||second note||22^Two^Bob"});
  auto observations = Resources(oru, "Observation");
  ASSERT_EQ(observations.size(), 1u);
  ASSERT_EQ(observations[0]["note"].size(), 2u);
  EXPECT_EQ(observations[0]["note"][1]["text"], "second note");
  EXPECT_EQ(Resources(oru, "Practitioner").size(), 1u);   // the second note's author
}

// PRT-4 sent without a coding system: a code of table 0912 that is no v2-0443 role (RCT, results copies to) is
// table 0912's, with its display from the store; a v2-0443 role (OP) keeps its v2-0443 coding.
TEST_F(MapsValidityTest, ParticipationCodesWithoutSystemAreTable0912) {
  json b = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1",
                    "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F", "OBR|1|P1^CPOE|F1^LAB|24317-0^Hemogram^LN",
                    "PRT|1|AD||RCT|77^Copy^Ann", "PRT|2|AD||OP|88^Order^Bob",
                    "OBX|1|NM|718-7^Hemoglobin^LN||13.1|g/dL|||||F"});
  std::map<std::string, json> codings;
  for (const json& role : Resources(b, "PractitionerRole")) {
    for (const json& c : role["code"][0]["coding"]) codings[c["code"].get<std::string>()] = c;
  }
  ASSERT_TRUE(codings.count("RCT"));
  EXPECT_EQ(codings["RCT"]["system"], "http://terminology.hl7.org/CodeSystem/v2-0912");
  EXPECT_TRUE(codings["RCT"].contains("display"));
  ASSERT_TRUE(codings.count("OP"));
  EXPECT_EQ(codings["OP"]["system"], "http://terminology.hl7.org/CodeSystem/v2-0443");
}

TEST_F(MapsValidityTest, SpecimensAreConditionalOnTheirSpecimenIds) {
  auto specimen_requests = [](const json& bundle) {
    std::vector<json> out;
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] == "Specimen" && e["resource"].contains("type")) out.push_back(e);
    }
    return out;
  };
  const std::string pid = "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F";
  const std::string spm = "SPM|1|S1&CPOE^S9&LAB||119297000^Blood^SCT";
  json oru = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", pid,
                      "OBR|1|P1^CPOE|F1^LAB|24317-0^Hemogram^LN", "OBX|1|NM|718-7^Hemoglobin^LN||13.1|g/dL|||||F", spm});
  auto e = specimen_requests(oru);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["request"], json::parse(R"({"method":"PUT","url":"Specimen?identifier=urn%3Aid%3ACPOE|S1"})"));
  EXPECT_FALSE(e[0]["resource"].contains("id"));
  for (const json& x : oru["entry"]) {
    if (x["resource"]["resourceType"] == "Observation") EXPECT_EQ(x["resource"]["specimen"]["reference"], e[0]["fullUrl"]);
  }
  json oml = Convert({"MSH|^~\\&|CPOE|HOSP|LAB|HOSP|20240501101500+0100||OML^O21^OML_O21|M2|P|2.5.1", pid,
                      "ORC|NW|P1^CPOE", "OBR|1|P1^CPOE||24317-0^Hemogram^LN", spm});
  e = specimen_requests(oml);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["request"],
            json::parse(R"({"method":"POST","url":"Specimen","ifNoneExist":"identifier=urn%3Aid%3ACPOE|S1"})"));
  // Only a filler-assigned id with a system: that one. No system at all: the message-keyed update.
  json filler = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", pid,
                         "OBR|1|P1|F1|24317-0^Hemogram^LN", "SPM|1|S1^S9&LAB||119297000^Blood^SCT"});
  e = specimen_requests(filler);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["request"]["url"], "Specimen?identifier=urn%3Aid%3ALAB|S9");
  json bare = Convert({"MSH|^~\\&|LAB|HOSP|RCV|FAC|20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", pid,
                       "OBR|1|P1|F1|24317-0^Hemogram^LN", "SPM|1|S1^S9||119297000^Blood^SCT"});
  e = specimen_requests(bare);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["request"]["url"], "Specimen/" + e[0]["resource"]["id"].get<std::string>());
}

// A VXU's immunization is conditional on its order number (ORC-3, else ORC-2, with a system) and its OBX are
// keyed by that number: a second VXU with the same history (registries resend it) writes the same resources.
TEST_F(MapsValidityTest, ImmunizationsAreConditionalOnTheirOrderNumbers) {
  auto vxu = [&](const std::string& control_id) {
    return Convert({"MSH|^~\\&|EHR|HOSP|IIS|STATE|20240501101500+0100||VXU^V04^VXU_V04|" + control_id + "|P|2.5.1",
                    "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F", "ORC|RE|4422^EHR|13696^IIS",
                    "RXA|0|1|20210818||49281021588^TENIVAC^NDC|0.5|mL^mL^UCUM",
                    "OBX|1|CE|30963-3^Vaccine Funding Source^LN|1|PHC70^Private^CDCPHINVS||||||F"});
  };
  auto find = [](const json& bundle, const char* kind) {
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] == kind) return e;
    }
    return json();
  };
  json first = vxu("M1");
  json second = vxu("M2");
  json imm = find(first, "Immunization");
  ASSERT_TRUE(imm.is_object());
  EXPECT_EQ(imm["request"], json::parse(R"({"method":"PUT","url":"Immunization?identifier=urn%3Aid%3AIIS|13696"})"));
  EXPECT_FALSE(imm["resource"].contains("id"));
  EXPECT_EQ(find(first, "ServiceRequest")["request"],
            json::parse(R"({"method":"POST","url":"ServiceRequest","ifNoneExist":"identifier=urn%3Aid%3AEHR|4422"})"));
  json obs1 = find(first, "Observation");
  json obs2 = find(second, "Observation");
  ASSERT_TRUE(obs1.is_object() && obs2.is_object());
  EXPECT_EQ(obs1["fullUrl"], obs2["fullUrl"]);
  EXPECT_EQ(obs1["resource"]["partOf"][0]["reference"], imm["fullUrl"]);
  EXPECT_EQ(obs2["request"]["url"], "Observation/" + obs2["resource"]["id"].get<std::string>());
}

// An appointment is conditional on its ids (SCH-2, else SCH-1, with a system): the booking and its
// cancellation update one Appointment; without a system, the message-keyed update.
TEST_F(MapsValidityTest, AppointmentsAreConditionalOnTheirIds) {
  auto siu = [&](const std::string& trigger, const std::string& sch1, const std::string& sch2,
                 const std::string& status) {
    return Convert({"MSH|^~\\&|SCHED|HOSP|EHR|HOSP|20240501101500+0100||SIU^" + trigger + "^SIU_S12|M-" + trigger +
                        "|P|2.5.1",
                    "SCH|" + sch1 + "|" + sch2 +
                        "||||Checkup|||60|min|^^60^20240601090000+0100^20240601100000+0100|||||||||||||||" + status,
                    "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F"});
  };
  auto appointment = [](const json& bundle) {
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] == "Appointment") return e;
    }
    return json();
  };
  json booked = appointment(siu("S12", "A1^EHR", "B7^SCHED", "Booked"));
  json cancelled = appointment(siu("S15", "A1^EHR", "B7^SCHED", "Cancelled"));
  ASSERT_TRUE(booked.is_object() && cancelled.is_object());
  const json expected = json::parse(R"({"method":"PUT","url":"Appointment?identifier=urn%3Aid%3ASCHED|B7"})");
  EXPECT_EQ(booked["request"], expected);
  EXPECT_EQ(cancelled["request"], expected);
  EXPECT_EQ(cancelled["resource"]["status"], "cancelled");
  EXPECT_FALSE(booked["resource"].contains("id"));
  json bare = appointment(siu("S12", "A1", "B7", "Booked"));
  ASSERT_TRUE(bare.is_object());
  EXPECT_EQ(bare["request"]["url"], "Appointment/" + bare["resource"]["id"].get<std::string>());
}

// A diagnosis (DG1-20), procedure (PR1-19), allergy (IAM-7) or problem (PRB-4) with an identifier that has a
// system is conditional on it: updated by the messages that own it (ADT/BAR; PPR for problems), created if
// absent by the others; without one, the message-keyed update.
TEST_F(MapsValidityTest, DiagnosesAreConditionalOnTheirIdentifiers) {
  auto condition = [&](const std::string& type, const std::string& dg1_20) {
    json bundle = Convert({"MSH|^~\\&|EHR|HOSP|RCV|FAC|20240501101500+0100||" + type + "|M1|P|2.5.1",
                           "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F", "PV1|1|I",
                           "DG1|1||I10^Essential hypertension^I10C|||W||||||||||||||" + dg1_20});
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] == "Condition") return e;
    }
    return json();
  };
  json adt = condition("ADT^A08^ADT_A01", "D1^EHR");
  ASSERT_TRUE(adt.is_object());
  EXPECT_EQ(adt["request"], json::parse(R"({"method":"PUT","url":"Condition?identifier=urn%3Aid%3AEHR|D1"})"));
  EXPECT_FALSE(adt["resource"].contains("id"));
  json dft = condition("DFT^P03^DFT_P03", "D1^EHR");
  ASSERT_TRUE(dft.is_object());
  EXPECT_EQ(dft["request"], json::parse(R"({"method":"POST","url":"Condition","ifNoneExist":"identifier=urn%3Aid%3AEHR|D1"})"));
  json bare = condition("ADT^A08^ADT_A01", "D1");
  ASSERT_TRUE(bare.is_object());
  EXPECT_EQ(bare["request"]["url"], "Condition/" + bare["resource"]["id"].get<std::string>());
  // A procedure by PR1-19, a problem by PRB-4 (updated by PPR).
  auto first_of = [](const json& bundle, const char* kind) {
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] == kind) return e;
    }
    return json();
  };
  json procedure = first_of(Convert({"MSH|^~\\&|EHR|HOSP|RCV|FAC|20240501101500+0100||ADT^A08^ADT_A01|M1|P|2.5.1",
                                     "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F", "PV1|1|I",
                                     "PR1|1||76164006^Biopsy of colon^SCT||20240501||||||||||||||P7^EHR"}),
                            "Procedure");
  ASSERT_TRUE(procedure.is_object());
  EXPECT_EQ(procedure["request"], json::parse(R"({"method":"PUT","url":"Procedure?identifier=urn%3Aid%3AEHR|P7"})"));
  json problem = first_of(Convert({"MSH|^~\\&|EHR|HOSP|RCV|FAC|20240501101500+0100||PPR^PC1^PPR_PC1|M1|P|2.5.1",
                                   "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F",
                                   "PRB|AD|20240501|596.5^BLADDER DYSFUNCTION^I9|26744^EHR"}),
                          "Condition");
  ASSERT_TRUE(problem.is_object());
  EXPECT_EQ(problem["request"], json::parse(R"({"method":"PUT","url":"Condition?identifier=urn%3Aid%3AEHR|26744"})"));
}

// The account (PID-18) and a coverage with an identifier that has a system (here IN2-6, the Medicare number)
// are the same resources in later messages: updated by ADT and BAR, created if absent by the others; a
// coverage known only by its policy number (IN1-36, no system) stays message-keyed.
TEST_F(MapsValidityTest, AccountsAndCoveragesAreConditionalOnTheirIdentifiers) {
  auto entries = [&](const std::string& type, const std::string& in2) {
    json bundle = Convert({"MSH|^~\\&|EHR|HOSP|RCV|FAC|20240501101500+0100||" + type + "|M1|P|2.5.1",
                           "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F" + std::string(10, '|') + "ACC1^^^HOSP",
                           "PV1|1|I", "IN1|1|PLAN1^Plan One|INS1^^^NAIC|Acme Insurance" + std::string(32, '|') + "POL-9",
                           in2});
    std::map<std::string, json> by_kind;
    for (const json& e : bundle["entry"]) {
      std::string kind = e["resource"]["resourceType"];
      if (kind == "Account" || kind == "Coverage") by_kind[kind] = e;
    }
    return by_kind;
  };
  auto adt = entries("ADT^A08^ADT_A01", "IN2||||||MC-77");
  ASSERT_EQ(adt.size(), 2u);
  EXPECT_EQ(adt["Account"]["request"], json::parse(R"({"method":"PUT","url":"Account?identifier=urn%3Aid%3AHOSP|ACC1"})"));
  EXPECT_FALSE(adt["Account"]["resource"].contains("id"));
  EXPECT_EQ(adt["Coverage"]["request"],
            json::parse(R"({"method":"PUT","url":"Coverage?identifier=http%3A%2F%2Fhl7.org%2Ffhir%2Fsid%2Fus-medicare|MC-77"})"));
  auto orm = entries("ORM^O01^ORM_O01", "IN2||||||MC-77");
  ASSERT_EQ(orm.size(), 2u);
  EXPECT_EQ(orm["Account"]["request"],
            json::parse(R"({"method":"POST","url":"Account","ifNoneExist":"identifier=urn%3Aid%3AHOSP|ACC1"})"));
  EXPECT_EQ(orm["Coverage"]["request"]["ifNoneExist"], "identifier=http%3A%2F%2Fhl7.org%2Ffhir%2Fsid%2Fus-medicare|MC-77");
  auto policy_only = entries("ADT^A08^ADT_A01", "IN2|");
  ASSERT_EQ(policy_only.size(), 2u);
  EXPECT_EQ(policy_only["Coverage"]["resource"]["identifier"][0]["value"], "POL-9");
  EXPECT_EQ(policy_only["Coverage"]["request"]["url"], "Coverage/" + policy_only["Coverage"]["resource"]["id"].get<std::string>());
}

// A medication order is the same MedicationRequest in the pharmacy's later messages: updated by RDE (and
// OMP, ORM), created if absent by a dispense (RDS); its order number with a system is the key.
TEST_F(MapsValidityTest, MedicationRequestsAreConditionalOnTheirOrderNumbers) {
  auto request = [&](const std::string& type, const std::string& placer) {
    json bundle = Convert({"MSH|^~\\&|PHARM|HOSP|RCV|FAC|20240501101500+0100||" + type + "|M1|P|2.5.1",
                           "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F", "ORC|NW|" + placer,
                           "RXE|1^^^20240501|01151327^Doxycycline^NDC|1||TAB^Tablet^SCT"});
    for (const json& e : bundle["entry"]) {
      if (e["resource"]["resourceType"] == "MedicationRequest") return e;
    }
    return json();
  };
  json rde = request("RDE^O11^RDE_O11", "RX-5^EHR");
  ASSERT_TRUE(rde.is_object());
  EXPECT_EQ(rde["request"], json::parse(R"({"method":"PUT","url":"MedicationRequest?identifier=urn%3Aid%3AEHR|RX-5"})"));
  EXPECT_FALSE(rde["resource"].contains("id"));
  json rds = request("RDS^O13^RDS_O13", "RX-5^EHR");
  ASSERT_TRUE(rds.is_object());
  EXPECT_EQ(rds["request"],
            json::parse(R"({"method":"POST","url":"MedicationRequest","ifNoneExist":"identifier=urn%3Aid%3AEHR|RX-5"})"));
  json bare = request("RDE^O11^RDE_O11", "RX-5");
  ASSERT_TRUE(bare.is_object());
  EXPECT_EQ(bare["request"]["url"], "MedicationRequest/" + bare["resource"]["id"].get<std::string>());
}

TEST_F(MapsValidityTest, ProvenanceRecordsAnInstantOrIsLeftOut) {
  // MSH-7 with seconds and zone: the message's Provenance, targeting the MessageHeader and the focus.
  json with_zone = Convert({"MSH|^~\\&|LAB|HOSP|||20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid,
                            "OBR|1||F1|1234-5^Test^LN"});
  auto prov = Resources(with_zone, "Provenance");
  ASSERT_EQ(prov.size(), 1u);
  EXPECT_EQ(prov[0]["recorded"], "2024-05-01T10:15:00+01:00");
  EXPECT_EQ(prov[0]["activity"]["coding"][0]["display"], "ORU^R01^ORU_R01");
  ASSERT_EQ(prov[0]["target"].size(), 2u);
  auto header = Resources(with_zone, "MessageHeader");
  ASSERT_EQ(header.size(), 1u);
  EXPECT_EQ(prov[0]["target"][1]["reference"], header[0]["focus"][0]["reference"]);
  // A minute with a zone is that minute's first second.
  json minute = Convert({"MSH|^~\\&|LAB|HOSP|||202405011015+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid});
  ASSERT_EQ(Resources(minute, "Provenance").size(), 1u);
  EXPECT_EQ(Resources(minute, "Provenance")[0]["recorded"], "2024-05-01T10:15:00+01:00");
  // No zone: no instant, so no Provenance of the message (recorded is required) ...
  json no_zone = Convert({"MSH|^~\\&|LAB|HOSP|||20240501101500||ORU^R01^ORU_R01|M1|P|2.5.1", kPid});
  EXPECT_TRUE(Resources(no_zone, "Provenance").empty());
  // ... unless the run supplies the zone. No OBR: the MessageHeader is the only target (R4 target is 1..*).
  json given_zone = Convert({"MSH|^~\\&|LAB|HOSP|||20240501101500||ORU^R01^ORU_R01|M1|P|2.5.1", kPid}, "+02:00");
  ASSERT_EQ(Resources(given_zone, "Provenance").size(), 1u);
  ASSERT_EQ(Resources(given_zone, "Provenance")[0]["target"].size(), 1u);
  EXPECT_EQ(Resources(given_zone, "Provenance")[0]["target"][0]["reference"], FullUrl(given_zone, "MessageHeader"));
  // A minute without a zone, with the run's zone: that minute's first second in the run's zone.
  json minute_given_zone = Convert({"MSH|^~\\&|LAB|HOSP|||202405011015||ORU^R01^ORU_R01|M1|P|2.5.1", kPid}, "+02:00");
  ASSERT_EQ(Resources(minute_given_zone, "Provenance").size(), 1u);
  EXPECT_EQ(Resources(minute_given_zone, "Provenance")[0]["recorded"], "2024-05-01T10:15:00+02:00");
  EXPECT_TRUE(Resources(Convert({"MSH|^~\\&|LAB|HOSP|||202405011015||ORU^R01^ORU_R01|M1|P|2.5.1", kPid}),
                        "Provenance")
                  .empty());
  // The run's time (now) is the time of transformation: the IG's transformation and patient Provenances, even
  // when the message's own times have no zone.
  json now = Convert({"MSH|^~\\&|LAB|HOSP|||20240501101500||ORU^R01^ORU_R01|M1|P|2.5.1", kPid}, "", "2024-06-01T08:00:00Z");
  auto runs = Resources(now, "Provenance");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["recorded"], "2024-06-01T08:00:00Z");
  EXPECT_EQ(runs[0]["activity"]["coding"][0]["code"], "v2-fhir-transformation");
  EXPECT_EQ(runs[0]["policy"][0], "http://hl7.org/fhir/uv/v2mappings/message-oru-r01-to-bundle");
  EXPECT_EQ(runs[0]["agent"][0]["type"]["coding"][0]["code"], "assembler");
  EXPECT_EQ(runs[1]["activity"]["coding"][0]["code"], "UPDATE");
  EXPECT_EQ(runs[1]["target"][0]["reference"], FullUrl(now, "Patient"));
}

TEST_F(MapsValidityTest, MessageHeaderEndpointsAreUrisAndNeverPlaceholders) {
  json named = Convert({"MSH|^~\\&|Sending App|HOSP|Recv App^1.Edu^ISO||20240501101500+0100||ADT^A08^ADT_A01|M1|P|2.5.1",
                        "EVN|A08", kPid, "PV1|1|I"});
  auto header = Resources(named, "MessageHeader");
  ASSERT_EQ(header.size(), 1u);
  // A namespace id alone names the application, it gives no address: the endpoint is data-absent (as the three
  // reference converters write it), the name is kept.
  EXPECT_EQ(header[0]["source"]["name"], "Sending App");
  EXPECT_FALSE(header[0]["source"].contains("endpoint"));
  EXPECT_EQ(header[0]["source"]["_endpoint"]["extension"][0]["valueCode"], "unknown");
  EXPECT_EQ(header[0]["eventCoding"]["display"], "ADT^A08^ADT_A01");
  // "1.Edu" typed ISO is no OID (and no URI): no endpoint either.
  EXPECT_EQ(header[0]["destination"][0]["name"], "Recv App");
  EXPECT_FALSE(header[0]["destination"][0].contains("endpoint"));
  EXPECT_EQ(header[0]["destination"][0]["_endpoint"]["extension"][0]["valueCode"], "unknown");
  EXPECT_EQ(named.dump().find("urn:id:Sending"), std::string::npos);
  json oid = Convert({"MSH|^~\\&|APP^2.16.840.1.113883.3.72^ISO|HOSP|||20240501101500+0100||ADT^A08^ADT_A01|M1|P|2.5.1",
                      "EVN|A08", kPid, "PV1|1|I"});
  EXPECT_EQ(Resources(oid, "MessageHeader")[0]["source"]["endpoint"], "urn:oid:2.16.840.1.113883.3.72");
  // No sending application: the IG's data-absent-reason on source.endpoint (required in R4), never a made-up
  // endpoint such as "urn:id:unknown"; MSH-17 alone still describes the sender Organization.
  json none = Convert({"MSH|^~\\&|||||20240501101500+0100||ADT^A08^ADT_A01|M1|P|2.5.1|||||USA", "EVN|A08", kPid, "PV1|1|I"});
  auto bare = Resources(none, "MessageHeader");
  ASSERT_EQ(bare.size(), 1u);
  EXPECT_FALSE(bare[0]["source"].contains("endpoint"));
  EXPECT_EQ(bare[0]["source"]["_endpoint"]["extension"][0]["url"], "http://hl7.org/fhir/StructureDefinition/data-absent-reason");
  EXPECT_EQ(bare[0]["source"]["_endpoint"]["extension"][0]["valueCode"], "unknown");
  EXPECT_EQ(none.dump().find("urn:id:unknown"), std::string::npos);
  // The sender Organization (the other one is PID-3's assigning authority, an Organization of its own).
  auto orgs = Resources(none, "Organization");
  auto sender = std::find_if(orgs.begin(), orgs.end(), [](const json& o) { return o.contains("address"); });
  ASSERT_NE(sender, orgs.end());
  EXPECT_EQ((*sender)["address"][0]["country"], "USA");
  EXPECT_EQ(std::count_if(orgs.begin(), orgs.end(), [](const json& o) { return o.contains("address"); }), 1);
  EXPECT_FALSE(bare[0].contains("destination"));
}

TEST_F(MapsValidityTest, PlaceIsALocationHierarchyPerField) {
  // PV1-3 point of care ^ room ^ bed ^ facility ^ status ^ ^ building ^ floor ^ description; PV1-6 in the
  // same facility and building (no floor): each level a Location, partOf the nearest valued level above it,
  // described by its PL's text (FHIR-Converter), so each PL has its own Locations (as in both converters).
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1", "EVN|A01", kPid,
                    "PV1|1|I|4E^401^B^GHH&1.2.3&ISO^active^^Main^Fl4^Window bed|||4W^^^GHH&1.2.3&ISO^^^Main"});
  std::map<std::string, json> by_url;
  for (const auto& e : b["entry"]) by_url[e["fullUrl"]] = e["resource"];
  auto locations = Resources(b, "Location");
  // 6 levels for PV1-3, 3 for PV1-6 (point of care, building, facility).
  ASSERT_EQ(locations.size(), 9u);
  auto encounter = Resources(b, "Encounter")[0];
  // Encounter.location: every level of each PL, the most specific first, typed as its Location (PV1-3 active,
  // PV1-6 completed).
  ASSERT_EQ(encounter["location"].size(), 9u);
  for (size_t i = 0; i < 9; ++i) {
    const json& l = encounter["location"][i];
    EXPECT_EQ(l["status"], i < 6 ? "active" : "completed");
    const json& level = by_url[l["location"]["reference"]];
    EXPECT_EQ(l["physicalType"]["coding"][0]["code"], level["physicalType"]["coding"][0]["code"]) << i;
  }
  EXPECT_EQ(encounter["location"][2]["location"]["display"], "GHH, Main, Fl4, 4E");
  // Walk up from the assigned bed: bd -> ro -> lvl (point of care) -> lvl -> bu -> si. The bed has PL.9 as
  // its description, the levels above it the PL's text.
  std::vector<std::string> codes, names;
  json at = by_url[encounter["location"][0]["location"]["reference"]];
  EXPECT_EQ(at["description"], "Window bed");
  EXPECT_EQ(at["status"], "active");
  while (true) {
    codes.push_back(at["physicalType"]["coding"][0]["code"]);
    names.push_back(at["name"]);
    EXPECT_EQ(at["mode"], "instance");
    if (at["name"] != "B") EXPECT_EQ(at["description"], "4E--401--B--GHH--1.2.3--ISO--active--Main--Fl4--Window bed");
    if (!at.contains("partOf")) break;
    ASSERT_TRUE(by_url.count(at["partOf"]["reference"])) << at.dump();
    at = by_url[at["partOf"]["reference"]];
  }
  EXPECT_EQ(codes, (std::vector<std::string>{"bd", "ro", "lvl", "lvl", "bu", "si"}));
  EXPECT_EQ(names, (std::vector<std::string>{"B", "401", "4E", "Fl4", "Main", "GHH"}));
  // The facility's HD: HD.1, HD.2 typed by HD.3 (the IG), and HD.2 as a URI (FHIR-Converter).
  ASSERT_EQ(at["identifier"].size(), 3u);
  EXPECT_EQ(at["identifier"][1]["value"], "1.2.3");
  EXPECT_EQ(at["identifier"][1]["type"]["coding"][0]["code"], "ISO");
  EXPECT_EQ(at["identifier"][2]["system"], "urn:ietf:rfc:3986");
  EXPECT_EQ(at["identifier"][2]["value"], "urn:oid:1.2.3");
  // The prior location's point of care skips the missing floor: partOf its building.
  json prior = by_url[encounter["location"][6]["location"]["reference"]];
  EXPECT_EQ(prior["name"], "4W");
  EXPECT_EQ(prior["description"], "4W--GHH--1.2.3--ISO--Main");
  json building = by_url[prior["partOf"]["reference"]];
  EXPECT_EQ(building["name"], "Main");
  EXPECT_EQ(building["physicalType"]["coding"][0]["code"], "bu");
}

TEST_F(MapsValidityTest, LocationAssigningAuthorityIsAnOrganization) {
  // PL.11 (IG: HD[Organization]) assigns the level identifiers and, as the default assigner, PL.10's.
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1", "EVN|A01", kPid,
                    "PV1|1|I|4E&1.2.3.4&ISO^^^^^^^^^LOC-7&NAME&UNI&ISO^AUTH&1.2.840.1&ISO"});
  std::map<std::string, json> by_url;
  for (const auto& e : b["entry"]) by_url[e["fullUrl"]] = e["resource"];
  auto encounter = Resources(b, "Encounter")[0];
  json poc = by_url[encounter["location"][0]["location"]["reference"]];
  ASSERT_EQ(poc["resourceType"], "Location");
  // HD.1 and HD.2 (IG HD[Identifier]), HD.2 as a URI (FHIR-Converter, no assigner), PL.10.
  ASSERT_EQ(poc["identifier"].size(), 4u);
  int assigned = 0;
  for (const auto& id : poc["identifier"]) {
    if (!id.contains("assigner")) continue;
    ++assigned;
    json org = by_url[id["assigner"]["reference"]];
    EXPECT_EQ(org["resourceType"], "Organization");
    EXPECT_EQ(org["identifier"][0]["value"], "AUTH");
  }
  EXPECT_EQ(assigned, 3);
  EXPECT_EQ(poc["identifier"][3]["value"], "LOC-7");
  // A PL with only an assigning authority names no place: no Location, no Organization, no location entry.
  json none = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1", "EVN|A01", kPid,
                       "PV1|1|I|^^^^^^^^^^AUTH&1.2.840.1&ISO"});
  EXPECT_TRUE(Resources(none, "Location").empty());
  EXPECT_FALSE(Resources(none, "Encounter")[0].contains("location"));
}

TEST_F(MapsValidityTest, IdentifierSystemsAreUris) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A08^ADT_A01|M1|P|2.5.1", "EVN|A08",
                    "PID|1||1^^^Maven EDSS&Maven EDSS&ISO^MR~2^^^A&2.16.840.1.113883.19&ISO^MR||DOE^JANE", "PV1|1|I"});
  auto ids = Resources(b, "Patient")[0]["identifier"];
  ASSERT_EQ(ids.size(), 2u);
  // "Maven EDSS" is not an OID: the assigner Organization, and its namespace as a local URI system.
  EXPECT_EQ(ids[0]["system"], "urn:id:Maven%20EDSS");
  json maven = Resolve(b, ids[0]["assigner"]);
  EXPECT_EQ(maven["resourceType"], "Organization");
  EXPECT_EQ(maven["identifier"][0]["value"], "Maven EDSS");
  EXPECT_FALSE(maven["identifier"][1].contains("system"));  // no urn:ietf:rfc:3986 for a value that is no URI
  EXPECT_EQ(maven["identifier"][1]["type"]["coding"][0]["code"], "ISO");
  EXPECT_EQ(ids[1]["system"], "urn:oid:2.16.840.1.113883.19");
  json a = Resolve(b, ids[1]["assigner"]);  // IG HD[Organization]: namespace, then the universal id as a URI
  EXPECT_EQ(a["identifier"][0]["value"], "A");
  EXPECT_EQ(a["identifier"][1]["system"], "urn:ietf:rfc:3986");
  EXPECT_EQ(a["identifier"][1]["value"], "urn:oid:2.16.840.1.113883.19");
  // A local coding system with spaces keeps its name, percent-encoded.
  json obs = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid,
                      "OBR|1||F1|X^Y^LN", "OBX|1|CWE|1-1^T^LN||A^Alpha^GHH LAB, INC.||||||F"});
  EXPECT_EQ(Resources(obs, "Observation")[0]["valueCodeableConcept"]["coding"][0]["system"], "urn:id:GHH%20LAB,%20INC.");
  // EI: a namespace without a universal id is a local system; a universal id that is no URI is the assigner.
  json ei = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid,
                     "OBR|1|P1^LAB A|F1^^Maven EDSS^ISO|X^Y^LN"});
  auto sr = Resources(ei, "ServiceRequest")[0]["identifier"];
  ASSERT_EQ(sr.size(), 2u);
  EXPECT_EQ(sr[0]["system"], "urn:id:LAB%20A");
  EXPECT_FALSE(sr[1].contains("system"));
  EXPECT_EQ(sr[1]["assigner"]["display"], "Maven EDSS");
}

TEST_F(MapsValidityTest, CodingSystemNamesResolveThroughTable0396) {
  // CWE.3 names go through the store's v2-0396-to-system-uri ConceptMap; HL7nnnn is a v2 table; an unknown
  // name stays a visible local system.
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid, "OBR|1||F1|X^Y^LN",
                    "OBX|1|CWE|1-1^T^LN||A^Alpha^ACR~B^Beta^I10~C^Gamma^HL70136~D^Delta^MYLAB||||||F"});
  // A repeating coded OBX-5: one component per repetition (FHIR-Converter), each coding through table 0396.
  json obs = Resources(b, "Observation")[0];
  EXPECT_FALSE(obs.contains("valueCodeableConcept"));
  auto components = obs["component"];
  ASSERT_EQ(components.size(), 4u);
  EXPECT_EQ(components[0]["code"]["coding"][0]["code"], "1-1");
  EXPECT_EQ(components[0]["valueCodeableConcept"]["coding"][0]["system"], "http://terminology.hl7.org/CodeSystem/ACR");
  EXPECT_EQ(components[1]["valueCodeableConcept"]["coding"][0]["system"], "http://hl7.org/fhir/sid/icd-10-cm");
  EXPECT_EQ(components[2]["valueCodeableConcept"]["coding"][0]["system"], "http://terminology.hl7.org/CodeSystem/v2-0136");
  EXPECT_EQ(components[3]["valueCodeableConcept"]["coding"][0]["system"], "urn:id:MYLAB");
  json all = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A08^ADT_A01|M1|P|2.5.1", "EVN|A08", kPid,
                      "PV1|1|I", "DG1|1||B^Beta^I10", "DG1|2||C^Gamma^HL70136", "DG1|3||D^Delta^MYLAB"});
  auto conditions = Resources(all, "Condition");
  ASSERT_EQ(conditions.size(), 3u);
  EXPECT_EQ(conditions[0]["code"]["coding"][0]["system"], "http://hl7.org/fhir/sid/icd-10-cm");
  EXPECT_EQ(conditions[1]["code"]["coding"][0]["system"], "http://terminology.hl7.org/CodeSystem/v2-0136");
  EXPECT_EQ(conditions[2]["code"]["coding"][0]["system"], "urn:id:MYLAB");
}

TEST_F(MapsValidityTest, ObservationValuesAreR4Types) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid, "OBR|1||F1|X^Y^LN",
                    "OBX|1|TM|1-1^T^LN||223100.0000||||||F", "OBX|2|TM|1-2^T^LN||2599||||||F",
                    "OBX|3|ST|1-3^T^LN|| ||||||F",
                    "OBX|4|ED|1-4^T^LN||^IM^JPEG^Base64^QUJD||||||F", "OBX|5|ED|1-5^T^LN||^IM^JPEG^Base64^<data>||||||F"});
  auto obs = Resources(b, "Observation");
  ASSERT_EQ(obs.size(), 5u);
  EXPECT_EQ(obs[0]["valueTime"], "22:31:00.0000");
  EXPECT_FALSE(obs[1].contains("valueTime"));    // 25:99 is no time
  EXPECT_FALSE(obs[2].contains("valueString"));  // blank
  for (const auto& o : obs) EXPECT_FALSE(o.contains("valueAttachment"));
  // ED: a DocumentReference the Observation is derived from; data only when it is base64.
  auto docs = Resources(b, "DocumentReference");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(obs[3]["derivedFrom"][0]["reference"].get<std::string>().rfind("urn:uuid:", 0), 0u);
  EXPECT_EQ(docs[0]["content"][0]["attachment"]["contentType"], "image/jpeg");
  EXPECT_EQ(docs[0]["content"][0]["attachment"]["data"], "QUJD");
  EXPECT_FALSE(docs[1]["content"][0]["attachment"].contains("data"));
}

TEST_F(MapsValidityTest, RequiredCodesWithoutSourceAreDataAbsentNotText) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid, "OBR|1||F1",
                    "OBX|1|NM|||5||||||F"});
  auto obs = Resources(b, "Observation");
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(obs[0]["code"]["extension"][0]["url"], "http://hl7.org/fhir/StructureDefinition/data-absent-reason");
  EXPECT_FALSE(obs[0]["code"].contains("text"));
  // No PID: no ServiceRequest (R4 requires its subject), and the report does not point to one.
  json no_pid = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", "OBR|1||F1|X^Y^LN"});
  EXPECT_TRUE(Resources(no_pid, "ServiceRequest").empty());
  ASSERT_EQ(Resources(no_pid, "DiagnosticReport").size(), 1u);
  EXPECT_FALSE(Resources(no_pid, "DiagnosticReport")[0].contains("basedOn"));
}

TEST_F(MapsValidityTest, BookedAppointmentNeedsStartAndEnd) {
  const char* msh = "MSH|^~\\&|APP|HOSP|||20240501101500+0100||SIU^S12^SIU_S12|M1|P|2.5.1";
  json zoned = Convert({msh, "SCH|1|1|||||||30|MIN|^^30^202405011400+0100^202405011430+0100", kPid, "RGS|1"});
  auto appt = Resources(zoned, "Appointment");
  ASSERT_EQ(appt.size(), 1u);
  EXPECT_EQ(appt[0]["status"], "booked");
  EXPECT_EQ(appt[0]["start"], "2024-05-01T14:00:00+01:00");
  EXPECT_EQ(appt[0]["end"], "2024-05-01T14:30:00+01:00");
  // Times without a zone: no instants, and a booked Appointment without them is invalid (app-3): left out.
  json unzoned = Convert({msh, "SCH|1|1|||||||30|MIN|^^30^20240501140000^20240501143000", kPid, "RGS|1"});
  EXPECT_TRUE(Resources(unzoned, "Appointment").empty());
  json given = Convert({msh, "SCH|1|1|||||||30|MIN|^^30^20240501140000^20240501143000", kPid, "RGS|1"}, "Z");
  ASSERT_EQ(Resources(given, "Appointment").size(), 1u);
  EXPECT_EQ(Resources(given, "Appointment")[0]["start"], "2024-05-01T14:00:00Z");
}

TEST_F(MapsValidityTest, ProblemConditionsAreValidProblemListItems) {
  const char* msh = "MSH|^~\\&|APP|HOSP|||20240501101500+0100||PPR^PC1|M1|P|2.5.1";
  json added = Convert({msh, kPid, "PRB|AD|20240501|596.5^BLADDER DYSFUNCTION^I9|1|||20240501|||||||ACTIVE"});
  auto c = Resources(added, "Condition");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["clinicalStatus"]["coding"][0]["code"], "active");
  EXPECT_EQ(c[0]["category"][0]["coding"][0]["code"], "problem-list-item");
  // Life cycle (PRB-14) unknown: no clinical status is made up, so no problem-list category either (con-3).
  json unknown = Convert({msh, kPid, "PRB|AD|20240501|596.5^BLADDER DYSFUNCTION^I9|1"});
  EXPECT_FALSE(Resources(unknown, "Condition")[0].contains("clinicalStatus"));
  EXPECT_FALSE(Resources(unknown, "Condition")[0].contains("category"));
  // Delete: entered-in-error, without clinical status (con-5).
  json deleted = Convert({msh, kPid, "PRB|DE|20240501|596.5^BLADDER DYSFUNCTION^I9|1||||||||||ACTIVE"});
  auto d = Resources(deleted, "Condition")[0];
  EXPECT_EQ(d["verificationStatus"]["coding"][0]["code"], "entered-in-error");
  EXPECT_FALSE(d.contains("clinicalStatus"));
}

TEST_F(MapsValidityTest, BundleIsIdentifiedAndTimestampedByMsh) {
  json zoned = Convert({"MSH|^~\\&|APP|HOSP|||202405011015+0100||ADT^A08^ADT_A01|CTRL-7|P|2.5.1", "EVN|A08", kPid});
  EXPECT_EQ(zoned["identifier"]["value"], "CTRL-7");
  EXPECT_EQ(zoned["timestamp"], "2024-05-01T10:15:00+01:00");
  json unzoned = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500||ADT^A08^ADT_A01|CTRL-7|P|2.5.1", "EVN|A08", kPid});
  EXPECT_FALSE(unzoned.contains("timestamp"));  // an instant needs a zone
}

TEST_F(MapsValidityTest, OrderingProviderIsAPractitioner) {
  // IG ORC[ServiceRequest]: ORC-12 -> requester(PractitionerRole.practitioner), ORC-21 the role's organization.
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORM^O01^ORM_O01|M1|P|2.5.1", kPid,
                    "ORC|NW|P1||||||||||3850^ORDPROVIDER^JONES|||||||||GOOD LAB", "OBR|1|P1||X^Y^LN"});
  auto sr = Resources(b, "ServiceRequest");
  ASSERT_EQ(sr.size(), 1u);
  EXPECT_EQ(sr[0]["requester"]["display"], "JONES ORDPROVIDER");
  json role = Resolve(b, sr[0]["requester"]);
  EXPECT_EQ(role["resourceType"], "PractitionerRole");
  json person = Resolve(b, role["practitioner"]);
  EXPECT_EQ(person["resourceType"], "Practitioner");
  EXPECT_EQ(person["identifier"][0]["value"], "3850");
  EXPECT_EQ(Resolve(b, role["organization"])["name"], "GOOD LAB");
  EXPECT_EQ(role["code"][0]["coding"][0]["code"], "OP");
  // ORC-21 alone: the ordering facility's role, without a person or a code.
  json facility = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORM^O01^ORM_O01|M1|P|2.5.1", kPid,
                           "ORC|NW|P1|||||||||||||||||||GOOD LAB", "OBR|1|P1||X^Y^LN"});
  json only = Resolve(facility, Resources(facility, "ServiceRequest")[0]["requester"]);
  EXPECT_EQ(Resolve(facility, only["organization"])["name"], "GOOD LAB");
  EXPECT_FALSE(only.contains("practitioner"));
  EXPECT_FALSE(only.contains("code"));
  // OBR-16 without ORC-12: the Practitioner itself (IG OBR[ServiceRequest]).
  json obr16 = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORM^O01^ORM_O01|M1|P|2.5.1", kPid, "ORC|NW|P1",
                        "OBR|1|P1||X^Y^LN||||||||||||77^SMITH^ANN"});
  EXPECT_EQ(Resolve(obr16, Resources(obr16, "ServiceRequest")[0]["requester"])["name"][0]["family"], "SMITH");
  // No ORC-12 and no OBR-16: no requester, no Practitioner.
  json none = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORM^O01^ORM_O01|M1|P|2.5.1", kPid, "ORC|NW|P1",
                       "OBR|1|P1||X^Y^LN"});
  EXPECT_FALSE(Resources(none, "ServiceRequest")[0].contains("requester"));
  EXPECT_TRUE(Resources(none, "Practitioner").empty());
}

TEST_F(MapsValidityTest, SamePersonInSeveralFieldsIsOnePractitioner) {
  // PV1-7 and PV1-17 name the same doctor; the assigning authority of PID-3 and of the doctor's id is one
  // Organization: each is written once and every reference resolves to it.
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1", "EVN|A01",
                    "PID|1||123^^^HOSP^MR||DOE^JANE",
                    "PV1|1|I|||||99^WELBY^MARCUS^^^DR^^^HOSP||||||||||99^WELBY^MARCUS^^^DR^^^HOSP"});
  auto people = Resources(b, "Practitioner");
  ASSERT_EQ(people.size(), 1u);
  EXPECT_EQ(people[0]["name"][0]["prefix"][0], "DR");
  std::vector<json> orgs;  // (MSH-4's sender Organization is written by the MessageHeader map, keyed by message)
  json sender = Resolve(b, Resources(b, "MessageHeader")[0]["sender"]);
  for (const auto& o : Resources(b, "Organization")) {
    if (o != sender && o.contains("identifier") && o["identifier"][0]["value"] == "HOSP") orgs.push_back(o);
  }
  ASSERT_EQ(orgs.size(), 1u);
  auto enc = Resources(b, "Encounter")[0];
  ASSERT_EQ(enc["participant"].size(), 2u);
  EXPECT_EQ(enc["participant"][0]["individual"], enc["participant"][1]["individual"]);
  EXPECT_EQ(Resolve(b, Resources(b, "Patient")[0]["identifier"][0]["assigner"]), orgs[0]);
  EXPECT_EQ(Resolve(b, people[0]["identifier"][0]["assigner"]), orgs[0]);
}

TEST_F(MapsValidityTest, ChargeItemNamesItsOrdersPriceDepartmentAndProcedure) {
  // DFT^P03: a message-level order (COMMON_ORDER), then two FINANCIAL groups, the first with an order of its own.
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||DFT^P03^DFT_P03|M1|P|2.5.1", "EVN|P03", kPid,
                    "ORC|NW|PLACER|FILLER", "OBR|1|PLACER|FILLER|71045^Xray^C4",
                    "FT1|1|T1||20240501|20240501|CG|71045^Xray exam^C4|||2|100&usd|50&USD|RAD-1^Radiology^L||||||||||||"
                    "71045^Xray exam chest^C4",
                    "ORC|NW|PLACER-2|FILLER-2", "OBR|1|PLACER-2|FILLER-2|99011^Visit^C4",
                    "FT1|2|||20240501|20240501|CG|626.2|||1|120&EURO|"});
  auto charges = Resources(b, "ChargeItem");
  ASSERT_EQ(charges.size(), 2u);
  // FT1-2 typed TID; FT1-11 as the price (currency upper-cased), FT1-13 the cost centre Organization.
  EXPECT_EQ(charges[0]["identifier"][0]["value"], "T1");
  EXPECT_EQ(charges[0]["identifier"][0]["type"]["coding"][0]["code"], "TID");
  EXPECT_EQ(charges[0]["priceOverride"], json({{"value", 100}, {"currency", "USD"}}));
  json dept = Resolve(b, charges[0]["costCenter"]);
  EXPECT_EQ(dept["identifier"][0], json({{"system", "urn:id:L"}, {"value", "RAD-1"}}));
  EXPECT_EQ(dept["name"], "Radiology");
  // FT1-25: the charged Procedure as the service.
  ASSERT_EQ(charges[0]["service"].size(), 1u);
  EXPECT_EQ(charges[0]["service"][0]["type"], "Procedure");
  json proc = Resolve(b, charges[0]["service"][0]);
  EXPECT_EQ(proc["code"]["coding"][0]["code"], "71045");
  EXPECT_EQ(proc["status"], "unknown");
  // A currency that is no ISO 4217 code is left out, not the amount; no FT1-13, no FT1-25: neither is written.
  EXPECT_EQ(charges[1]["priceOverride"], json({{"value", 120}}));
  EXPECT_FALSE(charges[1].contains("costCenter"));
  EXPECT_FALSE(charges[1].contains("service"));
  // The message-level order is every charge's; the first group's own order is the first charge's only.
  auto orders = [&](const json& charge) {
    std::set<std::string> ids;
    for (const auto& ref : charge["supportingInformation"]) {
      json r = Resolve(b, ref);
      EXPECT_FALSE(r.is_null()) << ref.dump();
      if (r.is_null() || r["resourceType"] != "ServiceRequest") continue;
      for (const auto& id : r["identifier"]) ids.insert(id["value"].get<std::string>());
    }
    return ids;
  };
  EXPECT_EQ(orders(charges[0]), (std::set<std::string>{"FILLER", "FILLER-2", "PLACER", "PLACER-2"}));
  EXPECT_EQ(orders(charges[1]), (std::set<std::string>{"FILLER", "PLACER"}));
}

TEST_F(MapsValidityTest, DeathAndAutopsyAndParentProcedureAreProcedures) {
  // PDA-3..5 death certification (Y: completed), PDA-6..8 autopsy (N: not-done); PR1-25 parent procedure id.
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A03^ADT_A03|M1|P|2.8", "EVN|A03", kPid,
                    "PV1|1|I|4E", "PR1|1||76164006^Biopsy^SCT||20240501||||||||||||||||||||P-1",
                    "PR1|2||76164007^Biopsy 2^SCT||20240501||||||||||||||||||||P-1",
                    "PDA||||20240501103000+0100|5454^CERT^ROBIN|N|20240501110000+0100^20240501120000+0100|2324^AUT^JOHN"});
  std::map<std::string, json> by_code;
  std::vector<json> parents;
  for (const auto& p : Resources(b, "Procedure")) {
    if (p.contains("code")) by_code[p["code"]["coding"][0]["code"]] = p;
    else parents.push_back(p);
  }
  json cert = by_code["death-certification"];
  EXPECT_EQ(cert["status"], "unknown");  // PDA-3 empty
  EXPECT_EQ(cert["code"]["coding"][0]["system"], "urn:id:procedure-code");
  EXPECT_EQ(cert["performedDateTime"], "2024-05-01T10:30:00+01:00");
  EXPECT_EQ(cert["performer"][0]["function"]["text"], "Death Certified By");
  EXPECT_EQ(Resolve(b, cert["performer"][0]["actor"])["name"][0]["family"], "CERT");
  json autopsy = by_code["autopsy-performed"];
  EXPECT_EQ(autopsy["status"], "not-done");
  EXPECT_EQ(autopsy["performedPeriod"]["end"], "2024-05-01T12:00:00+01:00");
  // Both PR1s are part of the one parent Procedure, named by its identifier.
  ASSERT_EQ(parents.size(), 1u);
  EXPECT_EQ(parents[0]["identifier"][0]["value"], "P-1");
  EXPECT_EQ(Resolve(b, by_code["76164006"]["partOf"][0]), parents[0]);
  EXPECT_EQ(by_code["76164006"]["partOf"], by_code["76164007"]["partOf"]);
}

}  // namespace
