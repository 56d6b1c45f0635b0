// The shipped HL7 v2 -> FHIR R4 maps: places (maps/hl7v2/places.cw; docs/fidelity.md "Locations (wave 5)" and
// "Locations (wave 6)").
// Each rule on a small message: which identifiers a PL level carries, the event facility (EVN-7), the
// discharge location (PV1-37), AIL locations with their type and notes (SIU), and the administered-at
// location with its address (VXU RXA-27/28).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crosswalk/runtime.h"
#include "shipped_program.h"

using nlohmann::json;

namespace {

class PlacesMapsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { crosswalk::maps_testing::LoadShippedProgram(&runtime_, &program_); }
  static void TearDownTestSuite() { crosswalk::maps_testing::ReleaseShippedProgram(&runtime_, &program_); }

  // Segments joined by CR; the bundle, or a failure.
  static json Convert(const std::vector<std::string>& segments) {
    return crosswalk::maps_testing::ConvertSegments(*runtime_, **program_, segments);
  }
  static std::map<std::string, json> ByUrl(const json& bundle) {
    std::map<std::string, json> by_url;
    for (const auto& e : bundle["entry"]) by_url[e["fullUrl"]] = e["resource"];
    return by_url;
  }
  static std::vector<json> Resources(const json& bundle, const std::string& type) {
    std::vector<json> found;
    for (const auto& e : bundle.value("entry", json::array())) {
      if (e["resource"].value("resourceType", "") == type) found.push_back(e["resource"]);
    }
    return found;
  }
  // The identifier values of a resource, in order.
  static std::vector<std::string> IdentifierValues(const json& r) {
    std::vector<std::string> v;
    for (const auto& id : r.value("identifier", json::array())) v.push_back(id.value("value", ""));
    return v;
  }

  static crosswalk::Runtime* runtime_;
  static std::shared_ptr<const crosswalk::Program>* program_;
};
crosswalk::Runtime* PlacesMapsTest::runtime_ = nullptr;
std::shared_ptr<const crosswalk::Program>* PlacesMapsTest::program_ = nullptr;

const char* kMsh = "MSH|^~\\&|APP|HOSP|||20240501101500+0100||ADT^A01^ADT_A01|M1|P|2.5.1";
const char* kPid = "PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F";

TEST_F(PlacesMapsTest, NamespaceOnlyLevelIsNamedNotIdentified) {
  // Bed, room and point of care are local names (HD.1 only); the facility has a universal id.
  json b = Convert({kMsh, "EVN|A01", kPid, "PV1|1|I|4E^401^B^GHH&1.2.3&ISO"});
  auto by_url = ByUrl(b);
  json at = by_url[Resources(b, "Encounter")[0]["location"][0]["location"]["reference"]];
  std::vector<std::string> names;
  while (true) {
    names.push_back(at["name"]);
    if (at["name"] != "GHH") {
      EXPECT_FALSE(at.contains("identifier")) << at.dump();  // a name, not an identifier (FHIR-Converter)
    }
    if (!at.contains("partOf")) break;
    at = by_url[at["partOf"]["reference"]];
  }
  EXPECT_EQ(names, (std::vector<std::string>{"B", "401", "4E", "GHH"}));
  // With a universal id the level is identified the IG way (HD.1, HD.2 typed by HD.3) and by the URI.
  EXPECT_EQ(IdentifierValues(at), (std::vector<std::string>{"GHH", "1.2.3", "urn:oid:1.2.3"}));
  EXPECT_EQ(at["identifier"][1]["type"]["coding"][0]["code"], "ISO");
  EXPECT_EQ(at["identifier"][2]["system"], "urn:ietf:rfc:3986");
}

// docs/fidelity.md "Locations (wave 6)": a universal id typed ISO is urn:oid: even when it is no well-formed OID
// (the sender typed it so, FHIR-Converter writes it), an id of a local type sits in that type's namespace, and an
// id with whitespace is no URI.
TEST_F(PlacesMapsTest, TypedUniversalIdIdentifiesALevelAsFhirConverterDoes) {
  auto point_of_care = [&](const std::string& hd) {
    json b = Convert({kMsh, "EVN|A01", kPid, "PV1|1|I|" + hd + "^401"});
    auto by_url = ByUrl(b);
    json room = by_url[Resources(b, "Encounter")[0]["location"][0]["location"]["reference"]];
    return by_url[room["partOf"]["reference"]];
  };
  json iso = point_of_care("HUH&9.8&ISO");
  EXPECT_EQ(IdentifierValues(iso), (std::vector<std::string>{"HUH", "9.8", "urn:oid:9.8"})) << iso.dump();
  EXPECT_EQ(iso["identifier"][2]["system"], "urn:ietf:rfc:3986");
  EXPECT_FALSE(iso["identifier"][1].contains("system"));

  json local = point_of_care("HUH&9.8&lp");
  EXPECT_EQ(IdentifierValues(local), (std::vector<std::string>{"HUH", "9.8"})) << local.dump();
  EXPECT_EQ(local["identifier"][1]["system"], "urn:id:lp");
  EXPECT_EQ(local["identifier"][1]["type"]["coding"][0]["code"], "lp");

  json spaced = point_of_care("HUH&Maven EDSS&ISO");
  EXPECT_EQ(IdentifierValues(spaced), (std::vector<std::string>{"HUH", "Maven EDSS"})) << spaced.dump();
}

TEST_F(PlacesMapsTest, EventFacilityIsASiteIdentifiedByItsUniversalId) {
  json b = Convert({kMsh, "EVN|A01|20240501101500+0100||||20240501101500+0100|Cona^1.3.6.1.4^ISO", kPid, "PV1|1|I"});
  auto locations = Resources(b, "Location");
  ASSERT_EQ(locations.size(), 1u);
  const json& site = locations[0];
  EXPECT_EQ(site["name"], "Cona");
  // IG HD[Location]: HD.2 as the value (ISO/UUID); FHIR-Converter: the same id as a URI.
  EXPECT_EQ(IdentifierValues(site), (std::vector<std::string>{"1.3.6.1.4", "urn:oid:1.3.6.1.4"}));
  EXPECT_EQ(site["identifier"][1]["system"], "urn:ietf:rfc:3986");
  EXPECT_EQ(site["physicalType"]["coding"][0]["code"], "si");
  EXPECT_TRUE(site["physicalType"]["coding"][0].contains("display"));
  // A local id (no universal id type) is no identifier.
  json local = Convert({kMsh, "EVN|A01|20240501101500+0100||||20240501101500+0100|Cona", kPid, "PV1|1|I"});
  ASSERT_EQ(Resources(local, "Location").size(), 1u);
  EXPECT_FALSE(Resources(local, "Location")[0].contains("identifier"));
  // An id of a local type is one, in that type's namespace (FHIR-Converter).
  json typed = Convert({kMsh, "EVN|A01|20240501101500+0100||||20240501101500+0100|Cona^CN-7^L", kPid, "PV1|1|I"});
  ASSERT_EQ(Resources(typed, "Location").size(), 1u);
  json typed_site = Resources(typed, "Location")[0];
  EXPECT_EQ(IdentifierValues(typed_site), (std::vector<std::string>{"CN-7"})) << typed_site.dump();
  EXPECT_EQ(typed_site["identifier"][0]["system"], "urn:id:L");
}

TEST_F(PlacesMapsTest, DischargeLocationIsTypedByDld1) {
  std::string pv1 = "PV1|1|I" + std::string(35, '|') + "22&Homes&FDK^20240502";
  json b = Convert({kMsh, "EVN|A01", kPid, pv1});
  auto by_url = ByUrl(b);
  json encounter = Resources(b, "Encounter")[0];
  json place = by_url[encounter["hospitalization"]["destination"]["reference"]];
  ASSERT_EQ(place["resourceType"], "Location");
  // IG DLD[Location-Discharge]: DLD.1 as Location.type (the coding system through table 0396).
  EXPECT_EQ(place["type"][0]["coding"][0]["code"], "22");
  EXPECT_EQ(place["type"][0]["coding"][0]["display"], "Homes");
  EXPECT_EQ(place["type"][0]["coding"][0]["system"], "http://terminology.hl7.org/CodeSystem/fdk");
  // FHIR-Converter: the code as identifier in a local system of the coding system's name, the text as name.
  EXPECT_EQ(place["identifier"][0]["value"], "22");
  EXPECT_EQ(place["identifier"][0]["system"], "urn:id:FDK");
  EXPECT_EQ(place["name"], "Homes");
}

TEST_F(PlacesMapsTest, AppointmentLocationCarriesItsTypeAndNotes) {
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||SIU^S12^SIU_S12|M1|P|2.5.1",
                    "SCH|1|2|||||||||^^^20240601090000+0100^20240601100000+0100",
                    kPid, "RGS|1", "AIL|1||055^Room01^^GH Clinic|C^Clinic^HL70305",
                    "NTE|1||Disinfected before use", "AIL|2||LAB^^^GH Clinic"});
  auto by_url = ByUrl(b);
  auto appointments = Resources(b, "Appointment");
  ASSERT_EQ(appointments.size(), 1u);
  std::vector<json> places;
  for (const auto& p : appointments[0]["participant"]) {
    json r = by_url[p["actor"].value("reference", "")];
    if (r.value("resourceType", "") == "Location") places.push_back(r);
  }
  ASSERT_EQ(places.size(), 2u);
  // The first AIL's room, and each level above it, has AIL-4 as its type and the group's note as alias.
  json at = places[0];
  EXPECT_EQ(at["name"], "Room01");
  int levels = 0;
  while (true) {
    ++levels;
    EXPECT_EQ(at["type"][0]["coding"][0]["code"], "C") << at.dump();
    EXPECT_EQ(at["type"][0]["coding"][0]["system"], "http://terminology.hl7.org/CodeSystem/v2-0305");
    EXPECT_EQ(at["alias"], json::array({"Disinfected before use"}));
    if (!at.contains("partOf")) break;
    at = by_url[at["partOf"]["reference"]];
  }
  EXPECT_EQ(levels, 3);
  // The second AIL has neither: its facility is a Location of its own (its own PL text), not the first one's.
  EXPECT_FALSE(places[1].contains("type"));
  EXPECT_FALSE(places[1].contains("alias"));
  EXPECT_NE(places[1]["partOf"], places[0]["partOf"]);
}

TEST_F(PlacesMapsTest, AdministeredAtLocationHasTheAdministeredAtAddress) {
  std::string rxa = "RXA|0|1|20210818||49281021588^TENIVAC^NDC|0.5|mL^mL^UCUM" + std::string(20, '|') +
                    "4E^401^^GHH|100 Main St^^Ann Arbor^MI^99999^USA";
  json b = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||VXU^V04^VXU_V04|M1|P|2.5.1", kPid,
                    "ORC|RE||1", rxa});
  auto by_url = ByUrl(b);
  auto immunizations = Resources(b, "Immunization");
  ASSERT_EQ(immunizations.size(), 1u);
  // IG RXA[Immunization]: RXA-27 is the location, RXA-28 its address (on every level of it).
  json at = by_url[immunizations[0]["location"].value("reference", "")];
  ASSERT_EQ(at.value("resourceType", ""), "Location") << immunizations[0].dump();
  EXPECT_EQ(at["name"], "401");
  while (true) {
    EXPECT_EQ(at["address"]["line"], json::array({"100 Main St"})) << at.dump();
    EXPECT_EQ(at["address"]["city"], "Ann Arbor");
    if (!at.contains("partOf")) break;
    at = by_url[at["partOf"]["reference"]];
  }
  EXPECT_EQ(at["name"], "GHH");
  // Without RXA-27 the address is the one place said: a Location with that address.
  std::string bare = "RXA|0|1|20210818||49281021588^TENIVAC^NDC|0.5|mL^mL^UCUM" + std::string(21, '|') +
                     "100 Main St^^Ann Arbor^MI^99999^USA";
  json c = Convert({"MSH|^~\\&|APP|HOSP|||20240501101500+0100||VXU^V04^VXU_V04|M1|P|2.5.1", kPid,
                    "ORC|RE||1", bare});
  auto c_by_url = ByUrl(c);
  json lone = c_by_url[Resources(c, "Immunization")[0]["location"].value("reference", "")];
  EXPECT_EQ(lone["address"]["postalCode"], "99999");
  EXPECT_FALSE(lone.contains("partOf"));
}

}  // namespace
