// The shipped HL7 v2 -> FHIR R4 maps for orders, results and pharmacy messages (docs/fidelity.md, "Orders,
// results and the other clinical messages"): each rule on a small message, with the case where its source is
// absent.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crosswalk/runtime.h"
#include "shipped_program.h"

using nlohmann::json;

namespace {

class MapsResultsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { crosswalk::maps_testing::LoadShippedProgram(&runtime_, &program_); }
  static void TearDownTestSuite() { crosswalk::maps_testing::ReleaseShippedProgram(&runtime_, &program_); }

  // Segments joined by CR -> the bundle (times without a zone read as UTC).
  static json Convert(const std::vector<std::string>& segments) {
    crosswalk::RunOptions options;
    options.default_zone = "+00:00";
    return crosswalk::maps_testing::ConvertSegments(*runtime_, **program_, segments, options);
  }
  static std::vector<json> Resources(const json& bundle, const std::string& type) {
    std::vector<json> found;
    for (const auto& e : bundle.value("entry", json::array())) {
      if (e["resource"].value("resourceType", "") == type) found.push_back(e["resource"]);
    }
    return found;
  }
  static json Resolve(const json& bundle, const json& ref) {
    for (const auto& e : bundle["entry"]) {
      if (ref.contains("reference") && e["fullUrl"] == ref["reference"]) return e["resource"];
    }
    return nullptr;
  }

  static crosswalk::Runtime* runtime_;
  static std::shared_ptr<const crosswalk::Program>* program_;
};
crosswalk::Runtime* MapsResultsTest::runtime_ = nullptr;
std::shared_ptr<const crosswalk::Program>* MapsResultsTest::program_ = nullptr;

const char* kMsh = "MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1";
const char* kPid = "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F";

// IG OBR[Specimen]: every OBR has its Specimen (OBR-7 collection time, OBR-15 SPS), referred to by the report
// and the order, beside the SPM's (SPM-2 as PGN/FGN identifiers, SPM-3 parent as a Specimen of its own).
TEST_F(MapsResultsTest, EveryObrHasItsSpecimenBesideTheSpm) {
  json b = Convert({kMsh, kPid, "OBR|1|P1|F1|X^Y^LN|||202405010900||||||||BLD&Blood&HL70487^^^LA&Left arm&HL70163",
                    "OBX|1|NM|1-1^T^LN||5|mg||||||F", "SPM|1|S1&&&^S2&&&|PAR1&&&|||||||||||||||||Y||||CLOT^Clotted^HL70493"});
  auto specimens = Resources(b, "Specimen");
  ASSERT_EQ(specimens.size(), 3u);  // the OBR's, the SPM's, the SPM's parent
  auto report = Resources(b, "DiagnosticReport")[0];
  ASSERT_EQ(report["specimen"].size(), 2u);
  json obr = Resolve(b, report["specimen"][0]);
  EXPECT_EQ(obr["collection"]["collectedDateTime"], "2024-05-01T09:00:00+00:00");
  EXPECT_EQ(obr["type"]["coding"][0]["code"], "BLD");
  EXPECT_EQ(obr["collection"]["bodySite"]["coding"][0]["code"], "LA");
  json spm = Resolve(b, report["specimen"][1]);
  ASSERT_EQ(spm["identifier"].size(), 2u);
  EXPECT_EQ(spm["identifier"][0]["type"]["coding"][0]["code"], "PGN");
  EXPECT_EQ(spm["identifier"][1]["type"]["coding"][0]["code"], "FGN");
  EXPECT_EQ(spm["status"], "available");
  EXPECT_EQ(spm["condition"][0]["coding"][0]["code"], "CLOT");
  EXPECT_EQ(Resolve(b, spm["parent"][0])["identifier"][0]["value"], "PAR1");
  EXPECT_EQ(Resources(b, "ServiceRequest")[0]["specimen"], report["specimen"]);
  // The report's identifiers: OBR-2 placer, OBR-3 filler.
  EXPECT_EQ(report["identifier"][0]["type"]["coding"][0]["code"], "PLAC");
  EXPECT_EQ(report["identifier"][1]["type"]["coding"][0]["code"], "FILL");
  EXPECT_FALSE(obr.contains("identifier"));  // ORU: the IG's OBR[Specimen] gives it none
}

// Where the IG's message map has no OBR[Specimen] (ORM, OMG, OUL, MDM), the OBR's Specimen is FHIR-Converter's and
// carries the order numbers: OBR-2 PLAC, OBR-3 FILL, OBR-53 alternate placer numbers PLAC. OML (IG OBR[Specimen])
// keeps none; an OBR without numbers gives none.
TEST_F(MapsResultsTest, ObrSpecimenOrderNumbersOutsideOruAndOml) {
  auto obr_specimen = [&](const std::string& type, const std::string& obr) {
    std::string msh = "MSH|^~\\&|APP|HOSP|||20240501101500+0100||" + type + "|M1|P|2.7";
    json b = Convert({msh, kPid, "ORC|NW", obr});
    json order = Resources(b, "ServiceRequest").at(0);
    json specimen = Resolve(b, order["specimen"][0]);
    EXPECT_EQ(specimen.value("resourceType", ""), "Specimen") << type;
    return specimen;
  };
  const std::string obr = "OBR|1|P1^LAB|F1|X^Y^LN" + std::string(49, '|') + "ALT1~ALT2";
  json orm = obr_specimen("ORM^O01^ORM_O01", obr);
  ASSERT_EQ(orm["identifier"].size(), 4u);
  EXPECT_EQ(orm["identifier"][0]["value"], "P1");
  EXPECT_EQ(orm["identifier"][0]["system"], "urn:id:LAB");
  EXPECT_EQ(orm["identifier"][0]["type"]["coding"][0]["code"], "PLAC");
  EXPECT_EQ(orm["identifier"][1]["value"], "F1");
  EXPECT_EQ(orm["identifier"][1]["type"]["coding"][0]["code"], "FILL");
  EXPECT_EQ(orm["identifier"][2]["value"], "ALT1");
  EXPECT_EQ(orm["identifier"][3]["value"], "ALT2");
  EXPECT_EQ(orm["identifier"][3]["type"]["coding"][0]["code"], "PLAC");
  EXPECT_FALSE(obr_specimen("OML^O21^OML_O21", obr).contains("identifier"));
  EXPECT_FALSE(obr_specimen("ORM^O01^ORM_O01", "OBR|1|||X^Y^LN").contains("identifier"));
}

// OBX-11 as the Observation_Status extension beside status; a repeating NM value as components; NTE-5/6 as
// the note's author and time; basedOn the order's ServiceRequest. A blank NTE-3 is no note.
TEST_F(MapsResultsTest, ObservationStatusComponentsAndNotes) {
  json b = Convert({kMsh, kPid, "ORC|RE|P1", "OBR|1|P1||X^Y^LN", "OBX|1|NM|8867-4^Heart rate^LN||60~120|/min|||||S",
                    "NTE|1||Checked twice||77^WELBY^MARCUS|202405010930", "NTE|2|| "});
  auto obs = Resources(b, "Observation")[0];
  EXPECT_EQ(obs["status"], "unknown");  // S (partial) has no observation-status target in the IG's 0085 map
  EXPECT_EQ(obs["extension"][0]["valueCodeableConcept"]["coding"][0]["code"], "S");
  EXPECT_FALSE(obs.contains("valueQuantity"));
  ASSERT_EQ(obs["component"].size(), 2u);
  EXPECT_EQ(obs["component"][1]["valueQuantity"]["value"], 120);
  EXPECT_EQ(obs["component"][1]["code"]["coding"][0]["code"], "8867-4");
  ASSERT_EQ(obs["note"].size(), 1u);
  EXPECT_EQ(obs["note"][0]["time"], "2024-05-01T09:30:00+00:00");
  EXPECT_EQ(Resolve(b, obs["note"][0]["authorReference"])["name"][0]["family"], "WELBY");
  EXPECT_EQ(Resolve(b, obs["basedOn"][0])["resourceType"], "ServiceRequest");
}

// RAS^O17: a MedicationAdministration per RXA with its Medication; effective[x] is required, so an RXA
// without RXA-3 has it data-absent; RXA-20 RE is not-done.
TEST_F(MapsResultsTest, AdministrationPerRxaWithMedication) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||RAS^O17^RAS_O17|M1|P|2.5.1", kPid, "ORC|RE||F1",
                    "RXA|0|1|202405010800||ACE325^Tylenol 325^NDC|650|mg", "RXA|0|2|||ACE325^Tylenol 325^NDC|||||||||||||||RE",
                    "RXR|PO^Oral^HL70162"});
  auto admins = Resources(b, "MedicationAdministration");
  ASSERT_EQ(admins.size(), 2u);
  EXPECT_EQ(admins[0]["status"], "completed");
  EXPECT_EQ(admins[0]["effectiveDateTime"], "2024-05-01T08:00:00+00:00");
  EXPECT_EQ(admins[0]["dosage"]["dose"]["value"], 650);
  EXPECT_EQ(admins[0]["dosage"]["route"]["coding"][0]["code"], "PO");
  EXPECT_EQ(admins[1]["status"], "not-done");
  EXPECT_FALSE(admins[1].contains("effectiveDateTime"));
  EXPECT_EQ(admins[1]["_effectiveDateTime"]["extension"][0]["valueCode"], "unknown");
  EXPECT_EQ(Resources(b, "Medication").size(), 1u);  // one drug, one entry
  EXPECT_EQ(Resolve(b, admins[1]["medicationReference"])["code"]["coding"][0]["code"], "ACE325");
}

// RDE^O01 (v2.3/2.4) runs as RDE^O11: a filler-order MedicationRequest referring to its Medication.
TEST_F(MapsResultsTest, RdeO01IsRdeO11) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||RDE^O01|M1|P|2.4", kPid, "ORC|NW||F1",
                    "RXE||0006-0740-31^Simvastatin^NDC|1||MG", "RXR|PO"});
  auto requests = Resources(b, "MedicationRequest");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["intent"], "filler-order");
  EXPECT_EQ(Resolve(b, requests[0]["medicationReference"])["code"]["coding"][0]["display"], "Simvastatin");
}

// RXC after RXE (RDE^O11): each component is an ingredient of the ordered Medication, a Medication of its own
// with its amount (RXC-3/4), the strength RXC-5/6 per RXC-8/9, else per one; units without a coding system
// are text only (not UCUM codes).
TEST_F(MapsResultsTest, RxcComponentsAreMedicationIngredients) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||RDE^O11^RDE_O11|M1|P|2.5.1", kPid, "ORC|NW||F1",
                    "RXE||0143963401^NICARDIPINE IV^NDC|5||mg/hr", "RXR|IV",
                    "RXC|A|0143963401^NICARDIPINE 40 MG/200 ML^NDC|3|BG^Bag^L|5|mg/hr^mg/hr||4|mg/hr^mg/hr",
                    "RXC|B|338-0049^SODIUM CHLORIDE^NDC|1|BG^Bag|0.9|%"});
  auto request = Resources(b, "MedicationRequest").at(0);
  json med = Resolve(b, request["medicationReference"]);
  ASSERT_EQ(med["ingredient"].size(), 2u);
  const json& first = med["ingredient"][0];
  EXPECT_EQ(first["strength"]["numerator"]["value"], 5);
  EXPECT_EQ(first["strength"]["numerator"]["unit"], "mg/hr");
  EXPECT_FALSE(first["strength"]["numerator"].contains("system"));
  EXPECT_EQ(first["strength"]["denominator"]["value"], 4);
  json item = Resolve(b, first["itemReference"]);
  EXPECT_EQ(item["code"]["coding"][0]["display"], "NICARDIPINE 40 MG/200 ML");
  EXPECT_EQ(item["amount"]["numerator"]["value"], 3);
  EXPECT_EQ(item["amount"]["numerator"]["code"], "BG");
  EXPECT_EQ(item["amount"]["denominator"]["value"], 1);
  EXPECT_EQ(med["ingredient"][1]["strength"]["denominator"]["value"], 1);
  EXPECT_EQ(Resolve(b, med["ingredient"][1]["itemReference"])["amount"]["numerator"]["unit"], "Bag");
}

// RXO and RXE of one order: the placer's MedicationRequest (original-order, RXO-1 drug, RXO-2/3/4 dose range,
// RXO-11/12/13 dispense) and the pharmacy's (filler-order) basedOn it, each with its Medication. The encoded
// order's dosing: a dosageInstruction per TQ1 with its timing (TQ1-3 code and period, TQ1-7/8 bounds), the route,
// site and method of the RXR after RXE (not the RXO's), RXE-19 as maxDosePerPeriod per day; explicit times
// (TQ1-4) and an RPT.8 event never both (tim-10), and no offset without the event (tim-9).
TEST_F(MapsResultsTest, PlacerAndEncodedOrdersAndTheirDosing) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||RDE^O11^RDE_O11|M1|P|2.5.1", kPid, "ORC|NW|P1",
                    "RXO|00047040230^Ampicillin^NDC|2|4|caps^capsule^L|||||||10|caps^capsule^L|3", "RXR|PO^Oral",
                    "RXE||0143963401^Nicardipine^NDC|5||mg||||||||||||||2^mg",
                    "TQ1|1||BID&twice a day&HL70335^^^^12^h||||20240501080000|20240510080000",
                    "TQ1|2||Q4H&every 4 hours&HL70335^^^^4^h^^PC^30^min|0800",
                    "RXR|IV^Intravenous|LA^Left arm||IVP^IV push"});
  auto requests = Resources(b, "MedicationRequest");
  ASSERT_EQ(requests.size(), 2u);
  json filler = requests[0]["intent"] == "filler-order" ? requests[0] : requests[1];
  json placer = requests[0]["intent"] == "filler-order" ? requests[1] : requests[0];
  EXPECT_EQ(placer["intent"], "original-order");
  EXPECT_EQ(Resolve(b, filler["basedOn"][0]), placer);
  EXPECT_EQ(Resolve(b, placer["medicationReference"])["code"]["coding"][0]["code"], "00047040230");
  EXPECT_EQ(Resolve(b, filler["medicationReference"])["code"]["coding"][0]["code"], "0143963401");
  const json& range = placer["dosageInstruction"][0]["doseAndRate"][0];
  EXPECT_EQ(range["type"]["coding"][0]["code"], "ordered");
  EXPECT_EQ(range["doseRange"]["low"]["value"], 2);
  EXPECT_EQ(range["doseRange"]["high"]["value"], 4);
  EXPECT_EQ(range["doseRange"]["high"]["unit"], "capsule");
  EXPECT_EQ(placer["dispenseRequest"]["quantity"]["value"], 10);
  EXPECT_EQ(placer["dispenseRequest"]["numberOfRepeatsAllowed"], 3);

  const json& dosing = filler["dosageInstruction"];
  ASSERT_EQ(dosing.size(), 2u);
  EXPECT_EQ(dosing[0]["sequence"], 1);
  EXPECT_EQ(dosing[0]["timing"]["code"]["coding"][0]["code"], "BID");
  EXPECT_EQ(dosing[0]["timing"]["repeat"]["period"], 12);
  EXPECT_EQ(dosing[0]["timing"]["repeat"]["periodUnit"], "h");
  EXPECT_EQ(dosing[0]["timing"]["repeat"]["boundsPeriod"]["start"], "2024-05-01T08:00:00+00:00");
  EXPECT_EQ(dosing[0]["route"]["coding"][0]["code"], "IV");
  EXPECT_EQ(dosing[0]["site"]["coding"][0]["code"], "LA");
  EXPECT_EQ(dosing[0]["method"]["coding"][0]["code"], "IVP");
  EXPECT_EQ(dosing[0]["maxDosePerPeriod"]["numerator"]["value"], 2);
  EXPECT_EQ(dosing[0]["maxDosePerPeriod"]["denominator"]["code"], "d");
  const json& repeat = dosing[1]["timing"]["repeat"];
  EXPECT_EQ(repeat["timeOfDay"][0], "08:00:00");
  EXPECT_FALSE(repeat.contains("when"));
  EXPECT_FALSE(repeat.contains("offset"));

  // Without explicit times the event and its offset are written.
  json evt = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||RDE^O11^RDE_O11|M1|P|2.5.1", kPid, "ORC|NW|P1",
                      "RXE||0143963401^Nicardipine^NDC|5||mg", "TQ1|1||Q4H&every 4 hours&HL70335^^^^4^h^^PC^30^min",
                      "RXR|IV"});
  auto only = Resources(evt, "MedicationRequest");
  ASSERT_EQ(only.size(), 1u);  // no RXO: one request
  EXPECT_EQ(only[0]["dosageInstruction"][0]["timing"]["repeat"]["when"][0], "PC");
  EXPECT_EQ(only[0]["dosageInstruction"][0]["timing"]["repeat"]["offset"], 30);
}

// IG ORC[Provenance]: ORC-10 entered by, ORC-11 verified by, ORC-12 ordering provider and ORC-19 action by are the
// agents (enterer, verifier, author, performer) of the order's Provenance, each repetition a Practitioner; ORC-1
// NW is a CREATE, ORC-9 the time. Without any of those people there is no such Provenance.
TEST_F(MapsResultsTest, OrderTransactionProvenance) {
  json b = Convert({kMsh, kPid,
                    "ORC|NW|P1|||||||20240501090000|10^ENTERER^ED~11^SECOND^SAL|20^VERIFIER^VI|30^ORDERER^OLA|||||||"
                    "40^ACTOR^AL",
                    "OBR|1|P1||X^Y^LN", "OBX|1|NM|1-1^T^LN||5|mg||||||F"});
  json provenance;
  for (const auto& p : Resources(b, "Provenance")) {
    if (p.contains("activity") && p["activity"]["coding"][0].value("code", "") == "CREATE") provenance = p;
  }
  ASSERT_TRUE(provenance.is_object());
  EXPECT_EQ(provenance["activity"]["coding"][0]["system"], "http://terminology.hl7.org/CodeSystem/v3-DataOperation");
  EXPECT_EQ(provenance["recorded"], "2024-05-01T09:00:00+00:00");
  EXPECT_EQ(Resolve(b, provenance["target"][0])["resourceType"], "ServiceRequest");
  std::vector<std::string> agents;
  for (const auto& a : provenance["agent"]) {
    agents.push_back(a["type"]["coding"][0]["code"].get<std::string>() + ":" +
                     Resolve(b, a["who"])["name"][0]["family"].get<std::string>());
  }
  EXPECT_EQ(agents, (std::vector<std::string>{"enterer:ENTERER", "enterer:SECOND", "verifier:VERIFIER",
                                              "author:ORDERER", "performer:ACTOR"}));

  json none = Convert({kMsh, kPid, "ORC|NW|P1|||||||202405010900", "OBR|1|P1||X^Y^LN"});
  for (const auto& p : Resources(none, "Provenance")) EXPECT_FALSE(p.contains("agent") && p["agent"].size() > 1);
  for (const auto& p : Resources(none, "Provenance")) {
    EXPECT_FALSE(p.contains("activity") && p["activity"]["coding"][0].value("code", "") == "CREATE");
  }
}

// IG ORC/OBR[ServiceRequest]: OBR-46/47 order details, ORC-29 order type as locationCode, ORC-33 alternate placer
// numbers (else OBR-53's) as PLAC identifiers, OBR-29 parent as basedOn identifiers.
TEST_F(MapsResultsTest, ServiceRequestOrderDetailsAndAlternateNumbers) {
  json b = Convert({kMsh, kPid, "ORC|NW|P1|||||||||||||||||||||||||||I^Inpatient^HL70482||||ALT1^7~ALT2",
                    "OBR|1|P1||X^Y^LN|||||||||||||||||||||||||PAR1^PARF|||||||||||||||||"
                    "PSS^Placer service^L|FSS^Filler service^L||||||OBRALT"});
  auto sr = Resources(b, "ServiceRequest").at(0);
  ASSERT_EQ(sr["orderDetail"].size(), 2u);
  EXPECT_EQ(sr["orderDetail"][0]["coding"][0]["code"], "PSS");
  EXPECT_EQ(sr["orderDetail"][1]["coding"][0]["code"], "FSS");
  EXPECT_EQ(sr["locationCode"][0]["coding"][0]["code"], "I");
  std::vector<std::string> alternates;
  for (const auto& id : sr["identifier"]) {
    if (id["type"]["coding"][0]["code"] == "PLAC" && id["value"] != "P1") alternates.push_back(id["value"]);
  }
  EXPECT_EQ(alternates, (std::vector<std::string>{"ALT1", "ALT2"}));  // ORC-33 wins over OBR-53
  ASSERT_EQ(sr["basedOn"].size(), 2u);
  EXPECT_EQ(sr["basedOn"][0]["type"], "ServiceRequest");
  EXPECT_EQ(sr["basedOn"][0]["identifier"]["value"], "PAR1");
  EXPECT_EQ(sr["basedOn"][1]["identifier"]["type"]["coding"][0]["code"], "FGN");
}

// ORM^O01 whose order detail is an RXO (IG ORM_O01 ORC/RXO[MedicationRequest]): a MedicationRequest, the
// message's focus, and no ServiceRequest; an OBR order in the same message stays a ServiceRequest.
TEST_F(MapsResultsTest, OrmPharmacyOrderIsAMedicationRequest) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORM^O01^ORM_O01|M1|P|2.5.1", kPid,
                    "ORC|NW|P1|||||||20240501090000|10^ENTERER^ED", "RXO|00047040230^Ampicillin^NDC|2||caps^capsule^L",
                    "ORC|NW|P2", "OBR|1|P2||X^Y^LN"});
  auto requests = Resources(b, "MedicationRequest");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["intent"], "original-order");
  EXPECT_EQ(requests[0]["identifier"][0]["value"], "P1");
  EXPECT_EQ(Resolve(b, requests[0]["medicationReference"])["code"]["coding"][0]["code"], "00047040230");
  EXPECT_EQ(Resolve(b, Resolve(b, requests[0]["recorder"])["practitioner"])["name"][0]["family"], "ENTERER");
  auto services = Resources(b, "ServiceRequest");
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0]["identifier"][0]["value"], "P2");
  auto focus = Resources(b, "MessageHeader").at(0)["focus"];
  ASSERT_EQ(focus.size(), 2u);
  EXPECT_EQ(Resolve(b, focus[0])["resourceType"], "MedicationRequest");
  EXPECT_EQ(Resolve(b, focus[1])["resourceType"], "ServiceRequest");
}

// OML^O21 (docs/fidelity.md "Orders, results and parties (wave 8)"): the NTE and DG1 of each order's
// OBSERVATION_REQUEST are its ServiceRequest's notes and reasons (each order its own diagnosis, not the
// message's first), its FT1 a ChargeItem, its TQ1 timing the occurrence over OBR-7.
TEST_F(MapsResultsTest, OrderNotesReasonsChargesAndTiming) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||OML^O21^OML_O21|M1|P|2.5.1", kPid,
                    "ORC|NW|P1", "TQ1|1||BID", "OBR|1|P1||X^Y^LN|||20240501090000", "NTE|1||First order note",
                    "DG1|1||A01^First^I10", "FT1|1|T1||20240501||CG|71045^Xray^C4",
                    "ORC|NW|P2", "OBR|1|P2||X^Y^LN|||20240501090000", "DG1|1||B02^Second^I10",
                    "ORC|NW|P3", "OBR|1|P3||X^Y^LN|||20240501090000"});
  auto services = Resources(b, "ServiceRequest");
  ASSERT_EQ(services.size(), 3u);
  ASSERT_EQ(services[0]["note"].size(), 1u);
  EXPECT_EQ(services[0]["note"][0]["text"], "First order note");
  EXPECT_FALSE(services[1].contains("note"));
  ASSERT_EQ(services[0]["reasonReference"].size(), 1u);
  EXPECT_EQ(Resolve(b, services[0]["reasonReference"][0])["code"]["coding"][0]["code"], "A01");
  ASSERT_EQ(services[1]["reasonReference"].size(), 1u);
  EXPECT_EQ(Resolve(b, services[1]["reasonReference"][0])["code"]["coding"][0]["code"], "B02");
  EXPECT_FALSE(services[2].contains("reasonReference"));
  EXPECT_EQ(services[0]["occurrenceTiming"]["code"]["coding"][0]["code"], "BID");
  EXPECT_EQ(services[0]["occurrenceTiming"]["code"]["coding"][0]["system"],
            "http://terminology.hl7.org/CodeSystem/v2-0335");
  EXPECT_FALSE(services[0].contains("occurrenceDateTime"));
  EXPECT_TRUE(services[1].contains("occurrenceDateTime"));  // no TQ1: OBR-7
  EXPECT_EQ(services[0]["quantityQuantity"]["value"], 1);     // a TQ1 without TQ1-2: its default, one
  EXPECT_FALSE(services[1].contains("quantityQuantity"));     // no TQ1, no quantity
  auto charges = Resources(b, "ChargeItem");
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_EQ(charges[0]["code"]["coding"][0]["code"], "71045");
}

// The recorder of an encoded order is coded by its field: ORC-10 entered by EP, ORC-19 action by IP; the
// dispensing pharmacy RXE-40/41 is the dispense request's performer.
TEST_F(MapsResultsTest, RecorderRoleAndDispensingPharmacy) {
  auto recorderCode = [&](const std::string& orc) {
    json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||RDE^O11^RDE_O11|M1|P|2.5.1", kPid, orc,
                      "RXE||0143963401^NICARDIPINE^NDC|5||mg|||||||||||||||||||||||||||||||||||LF^CAROUSEL PHARMACY^L|"
                      "1 Main St^^Oaks", "TQ1|1", "RXR|IV"});
    auto request = Resources(b, "MedicationRequest").at(0);
    auto pharmacy = Resolve(b, request["dispenseRequest"]["performer"]);
    EXPECT_EQ(pharmacy["name"], "CAROUSEL PHARMACY");
    EXPECT_EQ(pharmacy["identifier"][0]["value"], "LF");
    EXPECT_EQ(pharmacy["address"][0]["line"][0], "1 Main St");
    return Resolve(b, request["recorder"])["code"][0]["coding"][0]["code"];
  };
  EXPECT_EQ(recorderCode("ORC|NW|P1|||||||20240501090000|10^ENTERER^ED"), "EP");
  EXPECT_EQ(recorderCode("ORC|NW|P1|||||||20240501090000||||||||||19^ACTOR^AL"), "IP");
}

}  // namespace
