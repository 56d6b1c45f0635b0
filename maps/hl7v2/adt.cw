// hl7v2.adt: ADT A01/A02/A03/A04/A05/A08/A13/A28/A31 and A40 -> FHIR R4 transaction Bundle.
//
// Patient (PID/PD1), Encounter (PV1/PV2) with its Locations and Practitioners, RelatedPerson (NK1),
// Coverage + payor Organization (IN1), AllergyIntolerance (AL1), Condition (DG1), MessageHeader (MSH) and
// Provenance (MSH/EVN). A03 (discharge) finishes the Encounter. A28/A31 (person information) carry a PV1
// that is usually empty: the Encounter is written only when PV1 has a class or visit number.

import hl7v2.datatypes
import hl7v2.segments

// The Bundle of an ADT message with the ADT_A01-like structure; finished: the visit ended (A03).
def AdtBundle(finished) {
  let hasVisit = PV1-2 or PV1-19.1 or PV1-3 or PV1-44
  resourceType: "Bundle"
  type: "transaction"
  entry[]: PatientEntry(PID, PD1)
  entry[]: EncounterEntries(PV1, PV2, finished) if hasVisit
  entry[]: PersonEntries(hasVisit)
  entry[]: HeaderEntries([Ref("Patient", 1), Ref("Encounter", 1) if hasVisit])
}

map ADT_A01 : hl7v2 "ADT^A01" -> fhir "Bundle" { return AdtBundle(false) }   // admit
map ADT_A02 : hl7v2 "ADT^A02" -> fhir "Bundle" { return AdtBundle(false) }   // transfer
map ADT_A03 : hl7v2 "ADT^A03" -> fhir "Bundle" { return AdtBundle(true) }    // discharge
map ADT_A04 : hl7v2 "ADT^A04" -> fhir "Bundle" { return AdtBundle(false) }   // register
map ADT_A05 : hl7v2 "ADT^A05" -> fhir "Bundle" { return AdtBundle(false) }   // pre-admit
map ADT_A08 : hl7v2 "ADT^A08" -> fhir "Bundle" { return AdtBundle(false) }   // update patient information
map ADT_A13 : hl7v2 "ADT^A13" -> fhir "Bundle" { return AdtBundle(false) }   // cancel discharge
map ADT_A28 : hl7v2 "ADT^A28" -> fhir "Bundle" { return AdtBundle(false) }   // add person information
map ADT_A31 : hl7v2 "ADT^A31" -> fhir "Bundle" { return AdtBundle(false) }   // update person information

// A40 (merge patient, ADT_A39 structure): per PATIENT group the surviving Patient (PID) with a replaces
// link to the merged one (MRG-1), which is written as an inactive Patient with a replaced-by link.
// The first group's Patient is "Patient 1" (the key every other map uses for the message's patient).
def SurvivorKey(i) = if i == 0 then 1 else i + 1

map ADT_A40 : hl7v2 "ADT^A40" -> fhir "Bundle" {
  resourceType: "Bundle"
  type: "transaction"
  for p, i in PATIENT {
    entry[]: Entry("Patient", SurvivorKey(i), MergedPatient(p.PID, p.PD1, Ref("Patient", "MRG-${i + 1}")))
    entry[]: Entry("Patient", "MRG-${i + 1}", {
      resourceType: "Patient"
      identifier[]: Identifiers(p.MRG-1)
      identifier[]: Identifiers(p.MRG-2)
      name[]: HumanNames(p.MRG-7)
      active: false
      link[]: { other: Ref("Patient", SurvivorKey(i)), type: "replaced-by" }
    })
  }
  entry[]: HeaderEntries(for p, i in PATIENT => Ref("Patient", SurvivorKey(i)))
}

// The surviving Patient: everything PID/PD1 say, active, with a replaces link to the merged record.
def MergedPatient(pid, pd1, mergedRef) {
  ...Patient(pid, pd1)
  active: true
  link[]: { other: mergedRef, type: "replaces" }
}
