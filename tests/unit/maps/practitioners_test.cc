// The shipped HL7 v2 -> FHIR R4 maps: practitioners and their roles (maps/hl7v2/practitioners.cw and the XCN /
// role functions of maps/hl7v2/parties.cw; docs/fidelity.md, "Practitioners and roles (wave 4)"), each rule
// shown on a small message, with the references that must resolve inside the Bundle.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crosswalk/runtime.h"
#include "shipped_program.h"

using nlohmann::json;

namespace {

class PractitionerMapsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { crosswalk::maps_testing::LoadShippedProgram(&runtime_, &program_); }
  static void TearDownTestSuite() { crosswalk::maps_testing::ReleaseShippedProgram(&runtime_, &program_); }

  // Segments joined by CR; the bundle, or a failure.
  static json Convert(const std::vector<std::string>& segments) {
    return crosswalk::maps_testing::ConvertSegments(*runtime_, **program_, segments);
  }
  // The resource a reference points to inside the Bundle (null when it does not resolve).
  static json Resolve(const json& bundle, const json& ref) {
    for (const auto& e : bundle.value("entry", json::array())) {
      if (ref.is_object() && ref.contains("reference") && e["fullUrl"] == ref["reference"]) return e["resource"];
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
  // Every reference of the Bundle resolves to an entry of it.
  static void ExpectReferencesResolve(const json& bundle, const json& node) {
    if (node.is_object()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (it.key() == "reference" && it->is_string() && it->get<std::string>().rfind("urn:uuid:", 0) == 0) {
          EXPECT_FALSE(Resolve(bundle, node).is_null()) << it->get<std::string>();
        } else {
          ExpectReferencesResolve(bundle, *it);
        }
      }
    } else if (node.is_array()) {
      for (const auto& v : node) ExpectReferencesResolve(bundle, v);
    }
  }

  static crosswalk::Runtime* runtime_;
  static std::shared_ptr<const crosswalk::Program>* program_;
};
crosswalk::Runtime* PractitionerMapsTest::runtime_ = nullptr;
std::shared_ptr<const crosswalk::Program>* PractitionerMapsTest::program_ = nullptr;

const char* kPid = "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F";

// A segment from its id and numbered fields (the others empty), so a test names HL7 positions, not pipes.
std::string Seg(const std::string& id, const std::map<int, std::string>& fields) {
  std::string s = id;
  int last = fields.empty() ? 0 : fields.rbegin()->first;
  for (int i = 1; i <= last; ++i) {
    auto it = fields.find(i);
    s += "|" + (it == fields.end() ? std::string() : it->second);
  }
  return s;
}

// XCN.9 -> Practitioner.identifier.system (XcnSystem): an OID or UUID universal id as its URN, another
// universal id type as a local system named by the type, a namespace id alone as a local system named by it;
// the namespace stays the assigner Organization.
TEST_F(PractitionerMapsTest, IdentifierSystemFollowsTheAssigningAuthority) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1", "EVN|A01", kPid,
                    Seg("PV1", {{1, "1"}, {2, "I"},
                                {7, "1^ONE^A^^^^^^&2.16.840.1.113883.4.6&ISO"},
                                {8, "2^TWO^B^^^^^^NPI"},
                                {9, "3^THREE^C^^^^^^STAFF&1.23&HCD"},
                                {17, "4^FOUR^D^^^^^^DOCS&&L"},
                                {52, "5^FIVE^E^^^^^^&3bd5b5c2-2d4c-4f43-9b33-3f4c8c1a1e7d&UUID~6^SIX^F"}})});
  std::map<std::string, json> by_id;
  for (const auto& p : Resources(b, "Practitioner")) by_id[p["identifier"][0]["value"]] = p["identifier"][0];
  ASSERT_EQ(by_id.size(), 6u);
  EXPECT_EQ(by_id["1"]["system"], "urn:oid:2.16.840.1.113883.4.6");
  EXPECT_FALSE(by_id["1"].contains("assigner"));  // a universal id alone is the system, not an organisation
  EXPECT_EQ(by_id["2"]["system"], "urn:id:NPI");
  EXPECT_EQ(Resolve(b, by_id["2"]["assigner"])["resourceType"], "Organization");
  EXPECT_EQ(by_id["3"]["system"], "urn:id:HCD");
  EXPECT_EQ(Resolve(b, by_id["3"]["assigner"])["resourceType"], "Organization");
  EXPECT_EQ(by_id["4"]["system"], "urn:id:L");
  EXPECT_EQ(by_id["5"]["system"], "urn:uuid:3bd5b5c2-2d4c-4f43-9b33-3f4c8c1a1e7d");
  EXPECT_FALSE(by_id["6"].contains("system"));
  ExpectReferencesResolve(b, b);
}

// An ISO-typed universal id that is no OID still names its system as urn:oid: (IG HD[uri], both converters),
// but never with whitespace in it (a uri holds none): then no system is written.
TEST_F(PractitionerMapsTest, IsoAuthorityWithWhitespaceGivesNoUri) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1", "EVN|A01", kPid,
                    Seg("PV1", {{1, "1"}, {2, "I"}, {7, "1^ONE^A^^^^^^&Maven EDSS&ISO"}, {8, "2^TWO^B^^^^^^&LocalSystem&ISO"}})});
  std::map<std::string, json> by_id;
  for (const auto& p : Resources(b, "Practitioner")) by_id[p["identifier"][0]["value"]] = p["identifier"][0];
  ASSERT_EQ(by_id.size(), 2u);
  EXPECT_FALSE(by_id["1"].contains("system"));
  EXPECT_EQ(by_id["2"]["system"], "urn:oid:LocalSystem");
}

// RDE without ORC-12: the pharmacy order's RXE-13 (else the placer order's RXO-14) is the MedicationRequest's
// requester, as the ordering-provider role with the ORC-21 facility.
TEST_F(PractitionerMapsTest, RxOrderingProviderIsTheMedicationRequester) {
  const char* msh = "MSH|^~\\&|APP|HOSP|||20240501101500+0100||RDE^O11^RDE_O11|M1|P|2.5.1";
  const std::string rxo = Seg("RXO", {{1, "00047040230^Ampicillin^NDC"}, {2, "2"}, {4, "caps"}, {14, "14^PLACER^PAT"}});
  const std::string rxe_seg = Seg("RXE", {{2, "0143963401^Nicardipine^NDC"}, {3, "5"}, {5, "mg"}, {13, "13^ENCODER^EVE"}});
  json rxe = Convert({msh, kPid, Seg("ORC", {{1, "NW"}, {2, "P1"}, {21, "GOOD PHARMACY"}}), rxo, rxe_seg});
  auto mr = Resources(rxe, "MedicationRequest");
  ASSERT_EQ(mr.size(), 2u);  // the RXO's (original-order) and the RXE's (filler-order): the same requester
  EXPECT_EQ(mr[0]["requester"], mr[1]["requester"]);
  json role = Resolve(rxe, mr[0]["requester"]);
  ASSERT_EQ(role["resourceType"], "PractitionerRole");
  EXPECT_EQ(role["code"][0]["coding"][0]["code"], "OP");
  EXPECT_EQ(Resolve(rxe, role["practitioner"])["name"][0]["family"], "ENCODER");
  EXPECT_EQ(Resolve(rxe, role["organization"])["name"], "GOOD PHARMACY");
  ExpectReferencesResolve(rxe, rxe);

  json placed = Convert({msh, kPid, "ORC|NW|P1", rxo});
  json placer = Resolve(placed, Resources(placed, "MedicationRequest")[0]["requester"]);
  EXPECT_EQ(Resolve(placed, placer["practitioner"])["name"][0]["family"], "PLACER");
  EXPECT_FALSE(placer.contains("organization"));

  // ORC-12 comes first.
  json orc = Convert({msh, kPid, Seg("ORC", {{1, "NW"}, {2, "P1"}, {12, "12^ORDERING^OLA"}}), rxe_seg});
  json ordering = Resolve(orc, Resources(orc, "MedicationRequest")[0]["requester"]);
  EXPECT_EQ(Resolve(orc, ordering["practitioner"])["name"][0]["family"], "ORDERING");
}

// IG ORC[ServiceRequest]: ORC-24 is the ordering provider's address, ORC-22/23 the ordering facility's
// address and phone; an Organization's address and phone are never of use home (R4 org-2/3), and without an
// ORC-21 there is no Organization to hold them (org-1).
TEST_F(PractitionerMapsTest, OrderingFacilityAndProviderAddresses) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORM^O01^ORM_O01|M1|P|2.5.1", kPid,
                    Seg("ORC", {{1, "NW"}, {2, "P1"}, {12, "3850^ORDPROVIDER^JONES"}, {21, "GOOD LAB"},
                                {22, "1 LAB WAY^^LABTOWN^MI^48000^USA^H"}, {23, "^PRN^PH^^1^555^1234567"},
                                {24, "9 DOC ROAD^^DOCTOWN^MI^48001^USA^O"}}),
                    "OBR|1|P1||X^Y^LN"});
  json role = Resolve(b, Resources(b, "ServiceRequest")[0]["requester"]);
  json org = Resolve(b, role["organization"]);
  EXPECT_EQ(org["name"], "GOOD LAB");
  ASSERT_EQ(org["address"].size(), 1u);
  EXPECT_EQ(org["address"][0]["city"], "LABTOWN");
  EXPECT_FALSE(org["address"][0].contains("use"));
  ASSERT_EQ(org["telecom"].size(), 1u);
  EXPECT_FALSE(org["telecom"][0].contains("use"));
  EXPECT_EQ(org["telecom"][0]["system"], "phone");
  json person = Resolve(b, role["practitioner"]);
  ASSERT_EQ(person["address"].size(), 1u);
  EXPECT_EQ(person["address"][0]["city"], "DOCTOWN");
  // The ORC-21 Organization is written once (the one with the address), so nothing dangles.
  int labs = 0;
  for (const auto& o : Resources(b, "Organization")) labs += o.value("name", "") == "GOOD LAB";
  EXPECT_EQ(labs, 1);
  ExpectReferencesResolve(b, b);

  json no_facility = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORM^O01^ORM_O01|M1|P|2.5.1", kPid,
                              Seg("ORC", {{1, "NW"}, {2, "P1"}, {12, "3850^ORDPROVIDER^JONES"},
                                          {22, "1 LAB WAY^^LABTOWN^MI^48000"}}),
                              "OBR|1|P1||X^Y^LN"});
  json only_person = Resolve(no_facility, Resources(no_facility, "ServiceRequest")[0]["requester"]);
  EXPECT_FALSE(only_person.contains("organization"));
  for (const auto& o : Resources(no_facility, "Organization")) EXPECT_FALSE(o.contains("address"));
}

// IG NDL[PractitionerRole]: the places of an NDL (OBR-32 .. 35) are the role's locations, one Location per
// valued place read as a PL's levels (partOf the nearest level above, the point of care lvl), named by its HD,
// described by the NDL's text, with the NDL.8 status: so each NDL (another person) has its own Locations, and
// the same NDL in two fields (OBR-32 and OBR-33) shares them.
TEST_F(PractitionerMapsTest, NdlPlacesAreTheRolesLocations) {
  const std::string places = "^20230401^20230501^POC 1^Room 101^Bed A^Hospital A&2.16.840.1.113883.9.11&ISO^active^^Bldg 1^Floor 2";
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid,
                    Seg("OBR", {{1, "1"}, {3, "F1"}, {4, "X^Y^LN"}, {7, "20240501"}, {25, "F"},
                                {32, "123&INTERP&IAN" + places}, {33, "123&INTERP&IAN" + places},
                                {34, "124&TECH&TOM" + places}})});
  auto report = Resources(b, "DiagnosticReport");
  ASSERT_EQ(report.size(), 1u);
  ASSERT_EQ(report[0]["resultsInterpreter"].size(), 2u);
  json interpreter = Resolve(b, report[0]["resultsInterpreter"][0]);
  EXPECT_EQ(Resolve(b, report[0]["resultsInterpreter"][1]), interpreter);
  ASSERT_EQ(interpreter["location"].size(), 6u);
  std::multiset<std::string> types;
  std::map<std::string, std::string> parent_of;  // physical type and name -> the parent's name
  for (const auto& ref : interpreter["location"]) {
    json loc = Resolve(b, ref);
    ASSERT_EQ(loc["resourceType"], "Location");
    EXPECT_EQ(loc["status"], "active");
    EXPECT_EQ(loc["mode"], "instance");
    EXPECT_EQ(loc["description"], "123--INTERP--IAN--20230401--20230501--POC 1--Room 101--Bed A--Hospital A--"
                                  "2.16.840.1.113883.9.11--ISO--active--Bldg 1--Floor 2");
    types.insert(loc["physicalType"]["coding"][0]["code"].get<std::string>());
    if (loc.contains("partOf")) parent_of[loc["name"].get<std::string>()] = Resolve(b, loc["partOf"])["name"];
  }
  EXPECT_EQ(types, (std::multiset<std::string>{"si", "bu", "lvl", "lvl", "ro", "bd"}));
  EXPECT_EQ(parent_of, (std::map<std::string, std::string>{{"Bldg 1", "Hospital A"}, {"Floor 2", "Bldg 1"},
                                                            {"POC 1", "Floor 2"}, {"Room 101", "POC 1"},
                                                            {"Bed A", "Room 101"}}));
  json technician = Resolve(b, report[0]["performer"][0]);
  ASSERT_EQ(technician["location"].size(), 6u);
  EXPECT_NE(technician["location"], interpreter["location"]);  // another person: its own Locations
  EXPECT_EQ(Resources(b, "Location").size(), 12u);
  for (const auto& loc : Resources(b, "Location")) {
    if (loc["physicalType"]["coding"][0]["code"] == "si") {
      EXPECT_EQ(loc["identifier"][0]["value"], "Hospital A");
      EXPECT_EQ(loc["identifier"][1]["value"], "2.16.840.1.113883.9.11");
      EXPECT_EQ(loc["identifier"][1]["type"]["coding"][0]["code"], "ISO");
    }
  }
  ExpectReferencesResolve(b, b);
}

// TXA-9 / TXA-10: the document's author and authenticator are the person's PractitionerRole (FHIR-Converter),
// which refers to the Practitioner.
TEST_F(PractitionerMapsTest, DocumentAuthorIsTheAuthorsRole) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||MDM^T02^MDM_T02|M1|P|2.5.1", "EVN|T02", kPid,
                    "PV1|1|I", Seg("TXA", {{1, "1"}, {2, "DI"}, {3, "TX"}, {4, "20240501"}, {9, "77^AUTHOR^ANN"},
                                           {10, "88^CHECKER^CAL"}, {17, "AU"}}),
                    "OBX|1|TX|1-1^Note^LN||text||||||F"});
  auto doc = Resources(b, "DocumentReference");
  ASSERT_EQ(doc.size(), 1u);
  json author = Resolve(b, doc[0]["author"][0]);
  ASSERT_EQ(author["resourceType"], "PractitionerRole");
  EXPECT_FALSE(author.contains("code"));
  EXPECT_EQ(Resolve(b, author["practitioner"])["name"][0]["family"], "AUTHOR");
  EXPECT_EQ(doc[0]["author"][0]["display"], "ANN AUTHOR");
  EXPECT_EQ(Resolve(b, Resolve(b, doc[0]["authenticator"])["practitioner"])["name"][0]["family"], "CHECKER");
  ExpectReferencesResolve(b, b);
}

// Party ids are keyed by the components their builder reads (hl7v2.parties SourceId), not by the built
// resource: a key that missed a component would give two different resources one id. Each component and
// subcomponent of a full XCN (with its XCN.9 HD Organization), XON and CNN is changed in turn, the original
// and the changed value are converted in one message, and no two entries of the Bundle may share a fullUrl.
using Parts = std::vector<std::vector<std::string>>;  // components, each its subcomponents
std::string Join(const Parts& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += "^";
    for (size_t j = 0; j < parts[i].size(); ++j) out += (j ? "&" : "") + parts[i][j];
  }
  return out;
}
// Every value with one part changed (a digit moved on by one, else a letter added).
std::vector<std::string> Variants(const Parts& parts) {
  std::vector<std::string> out;
  for (size_t i = 0; i < parts.size(); ++i) {
    for (size_t j = 0; j < parts[i].size(); ++j) {
      Parts v = parts;
      std::string& s = v[i][j];
      char& last = s.back();
      if (last >= '0' && last <= '8') ++last; else s += "Z";
      out.push_back(Join(v));
    }
  }
  return out;
}
void ExpectUniqueFullUrls(const json& bundle, const std::string& what) {
  std::set<std::string> urls;
  for (const auto& e : bundle.value("entry", json::array())) {
    EXPECT_TRUE(urls.insert(e["fullUrl"].get<std::string>()).second) << what << ": " << e.dump();
  }
}

TEST_F(PractitionerMapsTest, PartiesOfDifferentValuesNeverShareAnId) {
  const std::string msh = "MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1";
  const Parts xcn = {{"1234"}, {"FAM", "VAN", "OWN", "DE", "PARTNER"}, {"GIVEN"}, {"SECOND"}, {"JR"}, {"DR"},
                     {"MD"}, {"SRC"}, {"NS", "2.16.840.1.113883.4.6", "ISO"}, {"L"}, {"3"}, {"M10"}, {"NPI"},
                     {"FAC"}, {"A"}, {"CTX"}, {"20200101", "20300101"}, {"G"}, {"20210101"}, {"20310101"}, {"PHD"}};
  for (const std::string& v : Variants(xcn)) {
    json b = Convert({msh, "EVN|A01", kPid, Seg("PV1", {{1, "1"}, {2, "I"}, {7, Join(xcn)}, {8, v}})});
    ExpectUniqueFullUrls(b, "PV1-8 " + v);
    ExpectReferencesResolve(b, b);
  }
  const Parts xon = {{"GOOD LAB"}, {"L"}, {"55"}, {"3"}, {"M10"}, {"NS", "1.2.3", "ISO"}, {"XX"}, {"FAC"},
                     {"A"}, {"LAB1"}};
  const Parts xon_without_10 = {{"GOOD LAB"}, {"L"}, {"55"}, {"3"}, {"M10"}, {"NS", "1.2.3", "ISO"}, {"XX"}};
  for (const Parts& org : {xon, xon_without_10}) {
    for (const std::string& v : Variants(org)) {
      json b = Convert({msh, "EVN|A01", kPid, Seg("PD1", {{3, Join(org) + "~" + v}}), "PV1|1|I"});
      ExpectUniqueFullUrls(b, "PD1-3 " + v);
      ExpectReferencesResolve(b, b);
    }
  }
  // CNN: NDL.1's subcomponents (OBR-34 as it is, OBR-35 changed).
  const Parts cnn = {{"123", "FAM", "GIVEN", "S", "JR", "DR", "MD", "SRC", "NS", "2.1.4.1", "ISO"}};
  for (const std::string& v : Variants(cnn)) {
    json b = Convert({"MSH|^~\\&|LAB|HOSP|||20240501101500+0100||ORU^R01^ORU_R01|M1|P|2.5.1", kPid,
                      Seg("OBR", {{1, "1"}, {3, "F1"}, {4, "1234-5^Test^LN"}, {34, Join(cnn)}, {35, v}})});
    ExpectUniqueFullUrls(b, "OBR-35 " + v);
    ExpectReferencesResolve(b, b);
  }
}

// A party that adds to another (the receiving facility MSH-6 with MSH-17 and MSH-23) is that party when it
// adds nothing: one Organization for MSH-6 and the same HD as an assigning authority; with MSH-17 it is another.
TEST_F(PractitionerMapsTest, PartyWithNothingAddedIsThePlainParty) {
  auto orgs = [](const json& b) {
    int n = 0;
    for (const auto& e : b["entry"]) {
      const json& r = e["resource"];
      n += r["resourceType"] == "Organization" && r.contains("identifier") && r["identifier"][0]["value"] == "RCV";
    }
    return n;
  };
  const std::string pid = "PID|1||12345^^^RCV&1.2.3&ISO^MR||DOE^JANE";
  json plain = Convert({"MSH|^~\\&|APP|HOSP|RAPP|RCV^1.2.3^ISO|20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1",
                        "EVN|A01", pid, "PV1|1|I"});
  EXPECT_EQ(orgs(plain), 1);
  ExpectUniqueFullUrls(plain, "MSH-6 as PID-3's authority");
  json with_country = Convert({"MSH|^~\\&|APP|HOSP|RAPP|RCV^1.2.3^ISO|20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1"
                               "|||||USA", "EVN|A01", pid, "PV1|1|I"});
  EXPECT_EQ(orgs(with_country), 2);
  ExpectUniqueFullUrls(with_country, "MSH-6 with MSH-17");
  ExpectReferencesResolve(with_country, with_country);
}

// SCH-12/16/20 (IG SCH[Appointment]; FHIR-Converter): each contact is a participant (the XCN's Practitioner with
// the contact's phone) and a PractitionerRole in supportingInformation, coded and at the contact's place; the same
// person as placer and filler contact is one participant with two roles.
TEST_F(PractitionerMapsTest, ScheduleContactsAreParticipantsAndRoles) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||SIU^S12^SIU_S12|M1|P|2.5.1",
                    Seg("SCH", {{1, "A1"}, {11, "^^^202405021000+0100^202405021030+0100"},
                                {12, "77^CONTACT^CAROL"}, {13, "^WPN^PH^^^608^2719000"}, {15, "CLINIC^^^HOSP"},
                                {16, "77^CONTACT^CAROL"}, {17, "^WPN^PH^^^608^2719000"}, {20, "88^CLERK^KIM"},
                                {25, "Booked"}}),
                    kPid, "RGS|1"});
  auto appointment = Resources(b, "Appointment");
  ASSERT_EQ(appointment.size(), 1u);
  int contacts = 0, enterers = 0;
  for (const auto& p : appointment[0]["participant"]) {
    json who = Resolve(b, p["actor"]);
    if (who.value("resourceType", "") != "Practitioner") continue;
    if (p.contains("type")) {
      EXPECT_EQ(p["type"][0]["coding"][0]["code"], "enterer");
      EXPECT_EQ(who["name"][0]["family"], "CLERK");
      ++enterers;
    } else {
      EXPECT_EQ(who["name"][0]["family"], "CONTACT");
      EXPECT_EQ(who["telecom"][0]["system"], "phone");
      ++contacts;
    }
  }
  EXPECT_EQ(contacts, 1);
  EXPECT_EQ(enterers, 1);
  std::set<std::string> codes;
  for (const auto& ref : appointment[0]["supportingInformation"]) {
    json role = Resolve(b, ref);
    ASSERT_EQ(role["resourceType"], "PractitionerRole");
    std::string code = role["code"][0]["coding"][0]["code"];
    codes.insert(code);
    if (code == "placer-contact") EXPECT_EQ(Resolve(b, role["location"][0])["name"], "CLINIC");
  }
  EXPECT_EQ(codes, (std::set<std::string>{"placer-contact", "filler-contact", "EP"}));
  ExpectReferencesResolve(b, b);
}

// PRD (REF; FHIR-Converter): the referring (RP) and referred-to (RT) providers are PractitionerRoles of
// Practitioners named by PRD-2, identified by PRD-7, the referral's requester and performer.
TEST_F(PractitionerMapsTest, ReferralProvidersAreRoles) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||REF^I12^REF_I12|M1|P|2.5.1",
                    "RF1|P^Pending^HL70283|R^Routine^HL70280",
                    Seg("PRD", {{1, "RP^Referring Provider^HL70286"}, {2, "POWELL^ROBERT^^^DR^MD"},
                                {4, "^^^GENERAL FACILITY"}, {7, "PLN1001^SL^^20240112"}, {8, "20200112"}}),
                    Seg("PRD", {{1, "RT^Referred to Provider^HL70286"}, {2, "SMITH^ANN"}}), kPid});
  auto referral = Resources(b, "ServiceRequest");
  ASSERT_EQ(referral.size(), 1u);
  json requester = Resolve(b, referral[0]["requester"]);
  ASSERT_EQ(requester["resourceType"], "PractitionerRole");
  EXPECT_EQ(requester["code"][1]["coding"][0]["system"], "http://terminology.hl7.org/CodeSystem/v2-0443");
  EXPECT_EQ(requester["code"][1]["coding"][0]["code"], "RP");
  EXPECT_EQ(requester["period"]["start"], "2020-01-12");
  EXPECT_EQ(Resolve(b, requester["location"][0])["name"], "GENERAL FACILITY");
  json person = Resolve(b, requester["practitioner"]);
  EXPECT_EQ(person["name"][0]["family"], "POWELL");
  EXPECT_EQ(person["identifier"][0]["value"], "PLN1001");
  EXPECT_EQ(person["identifier"][0]["period"]["end"], "2024-01-12");
  ASSERT_EQ(referral[0]["performer"].size(), 1u);
  EXPECT_EQ(Resolve(b, Resolve(b, referral[0]["performer"][0])["practitioner"])["name"][0]["family"], "SMITH");
  ExpectReferencesResolve(b, b);
}

}  // namespace
