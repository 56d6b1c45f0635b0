// The peer workload: EXACTLY the mapping of the peer benchmark (../shared/peers/README.md,
// "The mapping (the same in every peer)"), whose reference is the hand-written peers/plainjs.js.
// Code maps are `match` expressions because every peer hard-codes them too; the regex test
// `-?\d+(\.\d+)?` on the space-trimmed OBX-5.1 is is_number(trim(...)); numbers go through decimal().
// Used by tests/bench/peer_bench.cc, tests/bench/peer/check.sh and tools/scripts/bench-peers.sh.

// ADT (any trigger) -> Patient
map PeerPatient : hl7v2 "ADT" -> fhir "Patient" {
  resourceType: "Patient"
  // one identifier per PID-3 repetition that has CX.1
  for cx in PID-3 where cx.1 {
    identifier[]: {
      type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: cx.5 } } if cx.5
      system: "urn:id:${cx.4}" if cx.4
      value: cx.1
    }
  }
  // one name per PID-5 repetition with a name part (an empty object is never written)
  for xpn in PID-5 {
    name[]: { family: xpn.1, given[]: xpn.2, given[]: xpn.3 }
  }
  gender: match PID-8.1 { "M" => "male" "F" => "female" "O" => "other" "U" => "unknown" }
  let dob = string(PID-7.1)
  birthDate: "${substring(dob, 0, 4)}-${substring(dob, 4, 2)}-${substring(dob, 6, 2)}" if length(dob) >= 8
  for xad in PID-11 {
    address[]: { line[]: xad.1, line[]: xad.2, city: xad.3, state: xad.4, postalCode: xad.5 }
  }
}

// ORU^R01 -> Bundle (collection) with one Observation per OBX
map PeerBundle : hl7v2 "ORU^R01" -> fhir "Bundle" {
  resourceType: "Bundle"
  type: "collection"
  // every OBX of the message, in message order (as the reference: all OBX segments, whatever their group)
  for obx in OBX {
    entry[]: { resource: Observation(obx) }
  }
}

def Observation(obx) {
  resourceType: "Observation"
  status: match obx.11.1 {
    "F" => "final" "C" => "corrected" "P" | "R" => "preliminary" "I" => "registered"
    "X" => "cancelled" "W" | "D" => "entered-in-error" _ => "unknown"
  }
  let cs = obx.3.3
  code: {
    coding[]: {
      system: (match cs { "LN" => "http://loinc.org" _ => "urn:id:${cs}" }) if cs
      code: obx.3.1
      display: obx.3.2
    }
  }
  let v = string(obx.5.1)   // read the field once (a V2 reference is re-read at every use)
  let t = trim(v)
  if obx.2.1 == "NM" and is_number(t) {
    valueQuantity: {
      value: decimal(t)
      unit: obx.6.1
      system: "http://unitsofmeasure.org" if obx.6.1
      code: obx.6.1
    }
  } else {
    valueString: v
  }
  referenceRange[]: { text: obx.7.1 }
  interpretation[]: {
    coding[]: { system: "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", code: obx.8.1 }
  } if obx.8.1
  effectiveDateTime: Dtm(string(obx.14.1))
}

// Only ASCII digits (is_number accepts "-" and "." and trims white space; exclude those).
def Digits(s) = is_number(s) and not contains(s, "-") and not contains(s, ".") and trim(s) == s

// YYYYMMDDHHMMSS+ZZZZ -> YYYY-MM-DDTHH:MM:SS+ZZ:ZZ; anything else starting with 8 digits -> YYYY-MM-DD.
def Dtm(s) =
  if length(s) == 19 and Digits(substring(s, 0, 14)) and (substring(s, 14, 1) == "+" or substring(s, 14, 1) == "-")
     and Digits(substring(s, 15, 4))
  then "${substring(s, 0, 4)}-${substring(s, 4, 2)}-${substring(s, 6, 2)}T${substring(s, 8, 2)}:${substring(s, 10, 2)}:${substring(s, 12, 2)}${substring(s, 14, 3)}:${substring(s, 17, 2)}"
  else if length(s) >= 8 and Digits(substring(s, 0, 8))
  then "${substring(s, 0, 4)}-${substring(s, 4, 2)}-${substring(s, 6, 2)}"
  else null
