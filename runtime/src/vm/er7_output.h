// Output of maps whose target kind is `hl7v2`: the map's value becomes ER7 text.
//
// The value is an object with a `segments` array (or the array itself). Each segment is an object:
//   { id: "OBX", 1: "1", 2: "NM", 3: { 1: "2345-7", 2: "Glucose", 3: "LN" }, 5: "182", 14: null }
// - numeric keys are field numbers (HL7 numbering; MSH-1 and MSH-2 come from the encoding);
// - a scalar is the field's text, escaped on write (| ^ ~ \ & become \F\ \S\ \R\ \E\ \T\);
// - an object with numeric keys gives components, and inside a component, subcomponents;
// - an array gives repetitions;
// - HL7's explicit null is the text '""' (two double quotes, not escaped); absent, null and empty values
//   are not written at all (FHIR's absent-value rules drop them before they reach this writer).
#pragma once

#include <string>

#include "crosswalk/status.h"
#include "hl7v2/writer.h"
#include "value/value.h"

namespace crosswalk::vm {

// Replaces *out with the ER7 text of `root`. kInvalidArgument names the offending segment (by ordinal and
// id) and key, never values.
Status WriteEr7(const ValueEnv& env, const Value& root, hl7v2::Writer* writer, std::string* out);

}  // namespace crosswalk::vm
