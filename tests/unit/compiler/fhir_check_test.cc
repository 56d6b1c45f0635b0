// FHIR R4 checks at compile time (issue 12): element names, choice types, primitive vs complex, cardinality,
// required elements, and reads of a FHIR input, each with its position; the shipped maps pass them.
#include <gtest/gtest.h>

#include <string>

#include "crosswalk/compiler/compiler.h"

namespace crosswalk::compiler {
namespace {

// "CODE@line:col message" for each diagnostic, one per line.
std::string Diags(const std::string& src) {
  CompileResult r = CompileSource("m.cw", src);
  std::string s;
  for (const auto& d : r.diagnostics) {
    s += d.code + "@" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + " " + d.message + "\n";
  }
  return s;
}

std::string Map(const std::string& fields) { return "map M : json -> fhir {\n" + fields + "\n}\n"; }

TEST(FhirCheck, UnknownElementsWithHints) {
  EXPECT_EQ(Diags(Map("  p: { resourceType: \"Patient\", birthdate: \"1970\" }")),
            "E0230@2:33 Patient has no element 'birthdate' (did you mean 'birthDate'?)\n");
  EXPECT_EQ(Diags(Map("  p: { resourceType: \"Patient\", deceased: true }")),
            "E0230@2:33 Patient has no element 'deceased' (a choice: deceasedBoolean, deceasedDateTime)\n");
  std::string d = Diags(Map("  o: { resourceType: \"Observation\", status: \"final\", code: { text: \"x\" },\n"
                            "       valueAttachment: { url: \"x\" } }"));
  EXPECT_EQ(d.rfind("E0230@3:8 Observation has no element 'valueAttachment' (value[x] allows valueBoolean,", 0), 0u) << d;
  EXPECT_EQ(Diags(Map("  p: { resourceType: \"Patinet\" }")),
            "E0230@2:22 'Patinet' is not a FHIR R4 resource type (did you mean 'Patient'?)\n");
}

TEST(FhirCheck, NestedTypesBackboneElementsAndResources) {
  // HumanName inside Patient, a backbone element (Patient.contact), a resource inside Bundle.entry.
  EXPECT_EQ(Diags(Map("  p: { resourceType: \"Patient\", name[]: { famly: \"x\" },\n"
                      "       contact[]: { relation: [] } }")),
            "E0230@2:43 HumanName has no element 'famly' (did you mean 'family'?)\n"
            "E0230@3:21 Patient.contact has no element 'relation'\n");
  EXPECT_EQ(Diags(Map("  b: { resourceType: \"Bundle\", type: \"transaction\",\n"
                      "       entry[]: { resource: { resourceType: \"Patient\", gendr: \"male\" } } }")),
            "E0230@3:56 Patient has no element 'gendr' (did you mean 'gender'?)\n");
  // Through if/else, ?? and for =>, and in fields set inside if/for blocks.
  EXPECT_EQ(Diags(Map("  p: { resourceType: \"Patient\"\n"
                      "       name: for n in input.names => { given[]: n, famly: n }\n"
                      "       maritalStatus: if input.m then { text: \"x\" } else { txt: \"y\" }\n"
                      "       if input.x { gendr: \"male\" } }")),
            "E0230@3:52 HumanName has no element 'famly' (did you mean 'family'?)\n"
            "E0230@4:60 CodeableConcept has no element 'txt' (did you mean 'text'?)\n"
            "E0230@5:21 Patient has no element 'gendr' (did you mean 'gender'?)\n");
  // The primitive's extension slot is an element; so is resourceType.
  EXPECT_EQ(Diags(Map("  p: { resourceType: \"Patient\", _birthDate: { extension[]: { url: \"u\", valueCode: \"x\" } } }")), "");
}

TEST(FhirCheck, KindsAndCardinality) {
  EXPECT_EQ(Diags(Map("  p: { resourceType: \"Patient\", gender: { code: \"m\" }, active: \"yes\",\n"
                      "       identifier[]: \"123\", multipleBirthInteger: \"2\" }")),
            "E0231@2:41 'gender' is a FHIR code, not an object\n"
            "E0231@2:64 'active' is a FHIR boolean (a JSON boolean), not a string\n"
            "E0231@3:22 'identifier' is a FHIR Identifier (an object), not a string\n"
            "E0231@3:51 'multipleBirthInteger' is a FHIR integer (a JSON number), not a string\n");
  EXPECT_EQ(Diags(Map("  p: { resourceType: \"Patient\", name: { family: \"x\" }, birthDate: [\"2000\"],\n"
                      "       gender[]: \"male\" }")),
            "E0232@2:39 'name' repeats (0..*): FHIR JSON writes it as an array (`name: [ ... ]` or `name[]: ...`)\n"
            "E0232@2:67 'birthDate' takes one value (0..1), not an array\n"
            "E0232@3:8 'gender' takes one value (0..1): `gender[]:` would make it an array\n");
  // `key[]:` with an array appends its items: fine for a repeating element.
  EXPECT_EQ(Diags(Map("  p: { resourceType: \"Patient\", name[]: [{ family: \"a\" }, { family: \"b\" }] }")), "");
}

TEST(FhirCheck, RequiredElementsAreWarnings) {
  CompileResult r = CompileSource("m.cw", Map("  o: { resourceType: \"Observation\", code: { text: \"x\" } }"));
  EXPECT_TRUE(r.ok()) << FormatDiagnostics(r);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "W0003");
  EXPECT_EQ(r.diagnostics[0].message, "Observation.status is required (min 1) and this object never sets it");
  // A spread or a conditional field may set it: no warning.
  EXPECT_EQ(Diags(Map("  o: { resourceType: \"Observation\", code: { text: \"x\" }, ...input.more }")), "");
  EXPECT_EQ(Diags(Map("  o: { resourceType: \"Observation\", code: { text: \"x\" }, status: \"final\" if input.f }")), "");
}

TEST(FhirCheck, TheMapsTargetDecides) {
  // A map declared `-> json` writes its own model: a resourceType there is just a key.
  EXPECT_EQ(Diags("map M : json -> json {\n  p: { resourceType: \"Patient\", score: 1 }\n}\n"), "");

  EXPECT_EQ(Diags("map M : json -> fhir \"Patient\" {\n  resourceType: \"Patient\"\n  gendre: \"male\"\n}\n"),
            "E0230@3:3 Patient has no element 'gendre' (did you mean 'gender'?)\n");
  // Defs build resources for any map: checked.
  EXPECT_EQ(Diags("map M : json -> json {\n  p: P()\n}\ndef P() { resourceType: \"Patient\", score: 1 }\n"),
            "E0230@4:36 Patient has no element 'score'\n");
}

TEST(FhirCheck, ReadsOfAFhirInput) {
  EXPECT_EQ(Diags("map P : fhir \"Patient\" -> json {\n  a: input.birthdate\n  b: Patient.name[0].famly\n"
                  "  c: msg.contact[0].relationship.codin\n  d: input.name[0].given\n  e: input.resourceType\n}\n"),
            "E0230@2:12 Patient has no element 'birthdate' (did you mean 'birthDate'?)\n"
            "E0230@3:22 HumanName has no element 'famly' (did you mean 'family'?)\n"
            "E0230@4:34 CodeableConcept has no element 'codin' (did you mean 'coding'?)\n");
  // A local named like the input hides it; other types' maps are not checked.
  EXPECT_EQ(Diags("map P : fhir \"Patient\" -> json {\n  let input = { x: 1 }\n  a: input.x\n}\n"), "");
  EXPECT_EQ(Diags("map P : json -> json {\n  a: input.birthdate\n}\n"), "");
}

TEST(FhirCheck, ValuesTheCompilerCannotSeeAreNotChecked) {
  EXPECT_EQ(Diags("map M : json -> fhir {\n  p: { resourceType: \"Patient\", name: F(), gender: input.g, birthDate: input.d }\n}\n"
                  "def F() = [{ family: \"x\" }]\n"),
            "");
}

}  // namespace
}  // namespace crosswalk::compiler
