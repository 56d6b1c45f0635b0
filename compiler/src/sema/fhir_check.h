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

#include <vector>

#include "diag/sink.h"
#include "lower/lower.h"

namespace crosswalk::compiler {

void CheckFhir(const std::vector<ModuleUnit>& units, DiagnosticSink& sink);

}  // namespace crosswalk::compiler
