// hl7v2.adt: ADT A01/A02/A03/A04/A05/A08/A13/A28/A31 and A40 -> FHIR R4 transaction Bundle.
//
// Patient (PID/PD1), Encounter (PV1/PV2) with its Locations and Practitioners, RelatedPerson (NK1),
// Coverage + payor Organization (IN1), AllergyIntolerance (AL1), Condition (DG1), MessageHeader (MSH) and
// Provenance (MSH/EVN). A03 (discharge) finishes the Encounter. A28/A31 (person information) carry a PV1
// that is usually empty: the Encounter is written only when PV1 has a class or visit number.

import datatypes   // GAP: "import hl7v2.datatypes" is a syntax error (hl7v2 is a keyword)
import segments   // GAP: "import hl7v2.segments" is a syntax error (hl7v2 is a keyword)

// The entries of an ADT message with the ADT_A01-like structure.
def AdtEntries(finished) {
  let hasVisit = PV1-2 or PV1-19.1 or PV1-3 or PV1-44
  entry[]: PatientEntries(PID, PD1).entry
  entry[]: EncounterEntries(PV1, PV2, finished).entry if hasVisit
  entry[]: PersonEntries(hasVisit).entry
  entry[]: HeaderEntries(if hasVisit then [Ref("Patient", 1), Ref("Encounter", 1)] else [Ref("Patient", 1)]).entry
}

map ADT_A01 : hl7v2 "ADT^A01" -> fhir "Bundle" {   // admit
  resourceType: "Bundle"
  type: "transaction"
  entry[]: AdtEntries(false).entry
}

map ADT_A02 : hl7v2 "ADT^A02" -> fhir "Bundle" {   // transfer
  resourceType: "Bundle"
  type: "transaction"
  entry[]: AdtEntries(false).entry
}

map ADT_A03 : hl7v2 "ADT^A03" -> fhir "Bundle" {   // discharge
  resourceType: "Bundle"
  type: "transaction"
  entry[]: AdtEntries(true).entry
}

map ADT_A04 : hl7v2 "ADT^A04" -> fhir "Bundle" {   // register
  resourceType: "Bundle"
  type: "transaction"
  entry[]: AdtEntries(false).entry
}

map ADT_A05 : hl7v2 "ADT^A05" -> fhir "Bundle" {   // pre-admit
  resourceType: "Bundle"
  type: "transaction"
  entry[]: AdtEntries(false).entry
}

map ADT_A08 : hl7v2 "ADT^A08" -> fhir "Bundle" {   // update patient information
  resourceType: "Bundle"
  type: "transaction"
  entry[]: AdtEntries(false).entry
}

map ADT_A13 : hl7v2 "ADT^A13" -> fhir "Bundle" {   // cancel discharge
  resourceType: "Bundle"
  type: "transaction"
  entry[]: AdtEntries(false).entry
}

map ADT_A28 : hl7v2 "ADT^A28" -> fhir "Bundle" {   // add person information
  resourceType: "Bundle"
  type: "transaction"
  entry[]: AdtEntries(false).entry
}

map ADT_A31 : hl7v2 "ADT^A31" -> fhir "Bundle" {   // update person information
  resourceType: "Bundle"
  type: "transaction"
  entry[]: AdtEntries(false).entry
}

// A40 (merge patient, ADT_A39 structure): per PATIENT group the surviving Patient (PID) with a replaces
// link to the merged one (MRG-1), which is written as an inactive Patient with a replaced-by link.
map ADT_A40 : hl7v2 "ADT^A40" -> fhir "Bundle" {
  resourceType: "Bundle"
  type: "transaction"
  for pi in Indices(PATIENT) {
    let p = PATIENT[pi]
    let n = if pi == 0 then 1 else pi + 1
    entry[]: Entry("Patient", n, MergedPatient(p.PID, p.PD1, Ref("Patient", "MRG-${pi + 1}")))
    entry[]: Entry("Patient", "MRG-${pi + 1}", {
      resourceType: "Patient"
      identifier[]: Identifiers(p.MRG-1)
      identifier[]: Identifiers(p.MRG-2)
      name[]: HumanNames(p.MRG-7)
      active: false
      link[]: { other: Ref("Patient", n), type: "replaced-by" }
    })
  }
  entry[]: HeaderEntries(for pi in Indices(PATIENT) => Ref("Patient", if pi == 0 then 1 else pi + 1)).entry
}

def MergedPatient(pid, pd1, mergedRef) {
  let p = Patient(pid, pd1)
  resourceType: "Patient"
  identifier: p.identifier
  active: true
  name: p.name
  telecom: p.telecom
  gender: p.gender
  birthDate: p.birthDate
  address: p.address
  link[]: { other: mergedRef, type: "replaces" }
}
