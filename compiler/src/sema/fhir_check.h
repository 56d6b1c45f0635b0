// FHIR R4 checks of a program, before lowering (issue 12): the compiler knows R4's elements
// (fhir_r4.inc, generated from the StructureDefinitions) and checks what a map can be sure of.
//
// Output side: an object literal is checked as a FHIR type when its type is known: it sets `resourceType`
// to a string literal (except in the body of a map declared `-> json` or `-> hl7v2`), it is the body of a map declared `-> fhir "TYPE"`, or it is written (directly, as
// an array item, through `if`/`??`/`for ... =>`) into an element whose type the checker knows. Then:
//   E0230  a field that the type has no element for (`birthdate` on Patient, `valueAttachment` on
//          Observation: not an R4 choice), or a resourceType that is no R4 resource;
//   E0231  a literal of the wrong kind: an object for a primitive element, a string for a complex one, a
//          string for a boolean or number;
//   E0232  cardinality: an array (or `for`, or `key[]:`) for an element that takes one value, or one
//          literal value for an element that repeats (FHIR JSON writes repeating elements as arrays);
//   W0003  a required element (min 1) that the object never sets (no field, no spread of another object).
// Input side: in a map declared `: fhir "TYPE"`, a member chain on the input (`input`, `msg` or the type
// name) is checked element by element: reading `Patient.birthdate` is E0230.
// Values the checker cannot see (function results, locals) are not checked. W0003 is not reported after
// syntax errors (the tree is then a recovery).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "diag/sink.h"
#include "ast/ast.h"

namespace crosswalk::compiler {

// The FHIR type the checker gives each object it checks as FHIR (a map or def body, an object literal),
// keyed by the object's block: "Patient", "HumanName", "Patient.contact" (a backbone element).
using FhirObjectTypes = std::map<const Block*, std::string>;

// Runs the checks above; when `types` is given, also records the type of every object checked as FHIR
// (read-only: editors use it for hover and completion).
void CheckFhir(const std::vector<ModuleUnit>& units, DiagnosticSink& sink, FhirObjectTypes* types = nullptr);

// Read-only queries of the R4 table, for editors.
struct FhirElementInfo {
  std::string_view owner;  // "Patient", "Patient.contact"
  std::string_view name;   // "birthDate", "valueQuantity" (a choice is one row per allowed type)
  std::string_view type;   // "date", "HumanName", "Patient.contact" (a backbone), "Resource"
  bool repeats = false;    // 0..* (an array in FHIR JSON)
  bool required = false;   // min 1
  bool primitive = false;  // the type is a FHIR primitive
};
// The elements of `owner`, sorted by name; empty when the table does not describe it (a primitive, an
// unknown name).
std::vector<FhirElementInfo> FhirElementsOf(std::string_view owner);
// Whether `name` is an R4 resource type.
bool IsFhirResource(std::string_view name);

}  // namespace crosswalk::compiler
