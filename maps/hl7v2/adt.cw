// hl7v2.adt: ADT A01-A18, A25-A29, A31, A40/A41, A45, A47 and A60 -> FHIR R4 transaction Bundle.
//
// Patient (PID/PD1), Encounter (PV1/PV2) with its Locations and Practitioners, RelatedPerson (NK1),
// Coverage + payor Organization (IN1), AllergyIntolerance (AL1), Condition (DG1), MessageHeader (MSH) and
// Provenance (MSH/EVN), Observation (top-level OBX). A03 (discharge) finishes the Encounter. A28/A31 (person information) carry a PV1
// that is usually empty: the Encounter is written only when PV1 has a class or visit number.

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties
import hl7v2.orders
import hl7v2.person
import hl7v2.places

// The Bundle of an ADT message with the ADT_A01-like structure (ADT_A01/A02/A03/A05/A06/A09/A15/A16/A21);
// fixedStatus: the Encounter status the trigger event says, null to read it from PV1 (segments Encounter):
// in-progress once the patient is admitted, transferred, registered, or a discharge or transfer is pending or
// cancelled (A01/A02/A04/A13/A15/A16/A25/A26), planned before admission (A05/A14), finished (A03), cancelled
// (A11/A27), as FHIR-Converter writes them.
def AdtBundle(fixedStatus) {
  let hasVisit = HasVisit(PV1)
  ...BundleHead()
  entry[]: PatientEntryWithDisability()
  entry[]: AdtEncounterEntries(fixedStatus) if hasVisit
  entry[]: PersonEntries(hasVisit)
  entry[]: PatientObservationEntries(hasVisit)
  entry[]: DeathProcedureEntries()
  entry[]: HeaderEntries([Ref("Patient", 1), Ref("Encounter", 1) if hasVisit])
}

// PDA (patient death and autopsy) -> the death certification (PDA-3 certified indicator, PDA-4 date, PDA-5 by
// whom) and the autopsy (PDA-6 indicator, PDA-7 period, PDA-8 by whom) as Procedures, as FHIR-Converter writes
// them (the IG has no PDA map): coded in that converter's procedure-code system (urn:id:procedure-code, as
// siu.cw's contact roles), status from the indicator (Y completed, N not-done, else unknown), the performer's
// function as text. Only with a PID (Procedure.subject is required).
def PdaProcedure(code, display, indicator, performer, function) {
  resourceType: "Procedure"
  status: match upper(trim(indicator)) { "Y" => "completed" "N" => "not-done" _ => "unknown" }
  code: { coding[]: { system: "urn:id:procedure-code", code: code, display: display } }
  subject: PatientRef()
  performer[]: { function: { text: function }, actor: PractitionerRefDisplay(performer) } if HasPerson(performer)
}
def DeathCertification(pda) = if PID and (trim(pda.3) or trim(pda.4) or HasPerson(pda.5)) then {
  ...PdaProcedure("death-certification", "Death Certification", pda.3, pda.5, "Death Certified By")
  performedDateTime: datetime(pda.4)
} else null
def Autopsy(pda) = if PID and (trim(pda.6) or pda.7 or HasPerson(pda.8)) then {
  ...PdaProcedure("autopsy-performed", "Autopsy Performed", pda.6, pda.8, "Autopsy Performed By")
  performedPeriod: { start: datetime(pda.7.1), end: datetime(pda.7.2) } if pda.7
} else null
def DeathProcedureEntries() = if PDA then [
  Entry("Procedure", "PDA-death-certification", DeathCertification(PDA)) if DeathCertification(PDA),
  Entry("Procedure", "PDA-autopsy", Autopsy(PDA)) if Autopsy(PDA),
  PractitionerEntries(PDA-5) if DeathCertification(PDA),
  PractitionerEntries(PDA-8) if Autopsy(PDA)
] else null

map ADT_A01 : hl7v2 "ADT^A01" -> fhir "Bundle" { return Unique(AdtBundle("in-progress")) }          // admit
map ADT_A02 : hl7v2 "ADT^A02" -> fhir "Bundle" { return Unique(AdtBundle("in-progress")) }          // transfer
map ADT_A03 : hl7v2 "ADT^A03" -> fhir "Bundle" { return Unique(AdtBundle("finished")) }    // discharge
map ADT_A04 : hl7v2 "ADT^A04" -> fhir "Bundle" { return Unique(AdtBundle("in-progress")) }          // register
map ADT_A05 : hl7v2 "ADT^A05" -> fhir "Bundle" { return Unique(AdtBundle("planned")) }          // pre-admit
map ADT_A06 : hl7v2 "ADT^A06" -> fhir "Bundle" { return Unique(AdtBundle(null)) }          // outpatient -> inpatient
map ADT_A07 : hl7v2 "ADT^A07" -> fhir "Bundle" { return Unique(AdtBundle(null)) }          // inpatient -> outpatient
map ADT_A08 : hl7v2 "ADT^A08" -> fhir "Bundle" { return Unique(AdtBundle(null)) }          // update patient information
map ADT_A09 : hl7v2 "ADT^A09" -> fhir "Bundle" { return Unique(AdtBundle(null)) }          // patient departing (tracking)
map ADT_A10 : hl7v2 "ADT^A10" -> fhir "Bundle" { return Unique(AdtBundle(null)) }          // patient arriving (tracking)
map ADT_A11 : hl7v2 "ADT^A11" -> fhir "Bundle" { return Unique(AdtBundle("cancelled")) }   // cancel admit / visit
// cancel transfer (ADT_A12, read as ADT_A09): as A02, PV1-3 is where the patient is again (active), PV1-6 the
// location of the cancelled transfer (completed).
map ADT_A12 : hl7v2 "ADT^A12" -> fhir "Bundle" { return Unique(AdtBundle(null)) }
map ADT_A13 : hl7v2 "ADT^A13" -> fhir "Bundle" { return Unique(AdtBundle("in-progress")) }          // cancel discharge
map ADT_A14 : hl7v2 "ADT^A14" -> fhir "Bundle" { return Unique(AdtBundle("planned")) }     // pending admit
map ADT_A15 : hl7v2 "ADT^A15" -> fhir "Bundle" { return Unique(AdtBundle("in-progress")) }          // pending transfer
map ADT_A16 : hl7v2 "ADT^A16" -> fhir "Bundle" { return Unique(AdtBundle("in-progress")) }          // pending discharge
map ADT_A25 : hl7v2 "ADT^A25" -> fhir "Bundle" { return Unique(AdtBundle("in-progress")) }          // cancel pending discharge
map ADT_A26 : hl7v2 "ADT^A26" -> fhir "Bundle" { return Unique(AdtBundle("in-progress")) }          // cancel pending transfer
map ADT_A27 : hl7v2 "ADT^A27" -> fhir "Bundle" { return Unique(AdtBundle("cancelled")) }   // cancel pending admit
map ADT_A28 : hl7v2 "ADT^A28" -> fhir "Bundle" { return Unique(AdtBundle(null)) }          // add person information
map ADT_A29 : hl7v2 "ADT^A29" -> fhir "Bundle" { return Unique(AdtBundle(null)) }          // delete person information
map ADT_A31 : hl7v2 "ADT^A31" -> fhir "Bundle" { return Unique(AdtBundle(null)) }          // update person information

// The message's Patient entry and its parties (hl7v2.segments PatientEntry) with the identifiers of the patient's
// DB1 segments (hl7v2.person DisabilityIdentifiers) and their disability extensions added to the Patient.
def PatientEntryWithDisability() {
  let patient = Patient(PID, PD1)
  let db1s = for d in DB1 => d   // every DB1 (a bare DB1 given to a function is the first)
  return if DisabilityIdentifiers(db1s) or DisabilityExtensions(db1s) then [
    PatientEntryFor(1, { ...patient, identifier[]: patient.identifier, identifier[]: DisabilityIdentifiers(db1s),
                        extension[]: patient.extension, extension[]: DisabilityExtensions(db1s) }),
    for e in PatientEntry(PID, PD1) where e.fullUrl != FullUrl("Patient", 1) => e,
    DisabilityIdentifierEntries(db1s)
  ] else PatientEntry(PID, PD1)
}

// The visit (hl7v2.segments EncounterEntriesWithDiagnoses) with the PDA-2 death location as a completed
// Encounter.location (PL[Location]), as FHIR-Converter writes it (the IG has no PDA map).
def AdtEncounterEntries(fixedStatus) {
  let encounter = Encounter(PV1, PV2, fixedStatus)
  return [
    EncounterEntryFor(1, { ...encounter, location[]: encounter.location,
                           location[]: EncounterLocations(PDA-2, null, "completed", false) if PDA,
                           diagnosis[]: EncounterDiagnoses() }),
    DiagnosedPlacesAndPeople(PV1, PV2),
    LocationEntries(PDA-2) if PDA
  ]
}

// A40 (merge patient, ADT_A39 structure): per PATIENT group the surviving Patient (PID) with a replaces
// link to the merged one (MRG-1), which is written as an inactive Patient with a replaced-by link.
// The first group's Patient is "Patient 1" (the key every other map uses for the message's patient).

map ADT_A40 : hl7v2 "ADT^A40" -> fhir "Bundle" { return Unique(AdtA40()) }
def AdtA40() {
  ...BundleHead()
  for p, i in PATIENT {
    entry[]: PatientEntryFor(SurvivorKey(i), MergedPatient(p.PID, p.PD1, Ref("Patient", "MRG-${i + 1}")))
    entry[]: Entry("Patient", "MRG-${i + 1}", MergedRecord(p.MRG, Ref("Patient", SurvivorKey(i))))
    entry[]: PatientParties(p.PID, p.PD1)
  }
  entry[]: HeaderEntries(for p, i in PATIENT => Ref("Patient", SurvivorKey(i)))
}

// The merged (retired) record of an MRG: its identifiers MRG-1 (patient) and MRG-2 (alternate), its name
// MRG-7, inactive, replaced by the surviving Patient.
def MergedRecord(mrg, survivorRef) {
  resourceType: "Patient"
  identifier[]: Identifiers(mrg.1)
  identifier[]: Identifiers(mrg.2)
  name[]: HumanNames(mrg.7)
  active: false
  link[]: { other: survivorRef, type: "replaced-by" }
}

// A18 (merge patient information, ADT_A18: PID [PD1] MRG PV1; the pre-2.3.1 event A34/A40 replaced): as A40
// for its one patient: the surviving Patient (PID) replaces the record MRG-1 names. The PV1 only repeats the
// patient's visit data (a merge moves no visit), so no Encounter is written, as in A40.
map ADT_A18 : hl7v2 "ADT^A18" -> fhir "Bundle" { return Unique(AdtA18()) }
def AdtA18() {
  let merged = MRG and (MRG-1.1 or MRG-2.1)
  ...BundleHead()
  entry[]: PatientEntryFor(1, if merged then MergedPatient(PID, PD1, Ref("Patient", "MRG-1")) else Patient(PID, PD1))
  entry[]: Entry("Patient", "MRG-1", MergedRecord(MRG, Ref("Patient", 1))) if merged
  entry[]: PatientParties(PID, PD1)
  entry[]: HeaderEntries([Ref("Patient", 1)])
}

// A17 (swap patients, ADT_A17: two runs of PID [PD1] PV1 [PV2] [{DB1}] [{OBX}]), IG ADT_A17: per patient a
// Patient, its Account (PID-18) and its Encounter (PV1-3 the bed it now holds, PV1-6 the one it left). The
// structure has no groups: the i-th PID goes with the i-th PV1; PD1 and PV2, optional in each run, are paired
// the same way only when every run has one (else which patient one belongs to cannot be told: left out).
map ADT_A17 : hl7v2 "ADT^A17" -> fhir "Bundle" { return Unique(AdtA17()) }
def AdtA17() {
  let pd1s = count(PD1) == count(PID)
  let pv2s = count(PV2) == count(PID)
  ...BundleHead()
  for pid, i in PID {
    let n = SurvivorKey(i)
    let pd1 = if pd1s then PD1[i + 1] else null
    let pv1 = PV1[i + 1]
    entry[]: PatientEntryFor(n, Patient(pid, pd1))
    entry[]: PatientParties(pid, pd1)
    entry[]: VisitEntries(pid, pv1, if pv2s then PV2[i + 1] else null, null, n) if HasVisit(pv1)
    entry[]: AccountEntryOf(pid, n) if not HasVisit(pv1)
  }
  entry[]: HeaderEntries([...(for pid, i in PID => Ref("Patient", SurvivorKey(i))),
                          ...(for pid, i in PID where HasVisit(PV1[i + 1]) => Ref("Encounter", SurvivorKey(i)))])
}

// The surviving Patient: everything PID/PD1 say, active, with a replaces link to the merged record.
def MergedPatient(pid, pd1, mergedRef) {
  ...Patient(pid, pd1)
  active: true
  link[]: { other: mergedRef, type: "replaces" }
}

// ---- A41 (merge account), A47 (change patient identifier list): Linkage, as FHIR-Converter does ----------
// (the IG has no message map for them). The item "source" is the identifier now in use, "historical" the one
// it replaces; the references are logical (by identifier): the message does not carry the resources.

def LinkageItem(type, resourceType, cx) {
  type: type
  resource: { type: resourceType, identifier: Identifier(cx) }
}

// A41 (ADT_A39 structure): per PATIENT group the account PID-18 replaces MRG-3; the Patient is written.
map ADT_A41 : hl7v2 "ADT^A41" -> fhir "Bundle" { return Unique(AdtA41()) }
def AdtA41() {
  ...BundleHead()
  for p, i in PATIENT {
    entry[]: PatientEntryFor(SurvivorKey(i), Patient(p.PID, p.PD1))
    entry[]: PatientParties(p.PID, p.PD1)
    entry[]: Entry("Linkage", i + 1, {
      resourceType: "Linkage"
      item[]: LinkageItem("source", "Account", p.PID-18)
      item[]: LinkageItem("historical", "Account", p.MRG-3)
    }) if p.PID-18.1 and p.MRG-3.1
  }
  entry[]: HeaderEntries(for p, i in PATIENT => Ref("Patient", SurvivorKey(i)))
}

// A47 (ADT_A30 structure): the patient identifier PID-3 replaces MRG-1; the Patient is written.
map ADT_A47 : hl7v2 "ADT^A47" -> fhir "Bundle" { return Unique(AdtA47()) }
def AdtA47() {
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1)
  entry[]: Entry("Linkage", 1, {           // the first repetitions: the identifier changed and its replacement
    resourceType: "Linkage"
    item[]: LinkageItem("source", "Patient", PID-3)
    item[]: LinkageItem("historical", "Patient", MRG-1)
  }) if PID-3.1 and MRG-1.1
  entry[]: HeaderEntries([Ref("Patient", 1)])
}

// ---- A45 (move visit information, ADT_A45): the visit (PV1) now belongs to the patient of PID; MRG-5 is the
// visit number it had (IG PV1[Encounter]). Only the first MERGE_INFO group is written: the Encounter's
// Locations and Practitioners are keyed by PV1 field, one visit per message (a second one is listed in
// docs/fidelity.md as not written).
map ADT_A45 : hl7v2 "ADT^A45" -> fhir "Bundle" { return Unique(AdtA45()) }
def AdtA45() {
  let g = first(MERGE_INFO)
  let hasVisit = HasVisit(g.PV1)
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1)
  let encounter = Encounter(g.PV1, null, null)
  entry[]: EncounterEntryFor(1, {
    ...encounter
    identifier[]: encounter.identifier   // (a spread field set again with [] starts a new array)
    identifier[]: { value: g.MRG-5.1, use: "old", system: HdUri(g.MRG-5.4) } if trim(g.MRG-5.1)
  }) if hasVisit
  entry[]: EncounterPlacesAndPeople(g.PV1, null) if hasVisit
  entry[]: HeaderEntries([if hasVisit then Ref("Encounter", 1) else Ref("Patient", 1)])
}

// ---- A60 (update adverse reaction information, ADT_A60): Patient, the visit, and per IAM an
// AllergyIntolerance (IG IAM[AllergyIntolerance]). IAM-6 "D" (delete) marks it entered-in-error.
def AllergyFromIam(iam, withEncounter) {
  let deleted = upper(iam.6.1) == "D"
  resourceType: "AllergyIntolerance"
  identifier[]: EntityIdentifier(iam.7) if iam.7.1
  clinicalStatus: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", code: "active" } } if not deleted
  verificationStatus: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                                    code: if deleted then "entered-in-error" else "confirmed" } } if deleted or upper(iam.17.1) == "C"
  type: translate(iam.2.1, CM_0127_ALLERGY_INTOLERANCE_TYPE)
  category[]: translate(iam.2.1, CM_0127_ALLERGY_INTOLERANCE_CATEGORY)
  criticality: translate(iam.4.1, CM_0128_ALLERGY_INTOLERANCE_CRITICALITY)
  code: CodeableConcept(iam.3)
  patient: PatientRef()
  encounter: Ref("Encounter", 1) if withEncounter
  onsetDateTime: datetime(iam.11)
  recordedDate: datetime(iam.13)
  reaction[]: {
    manifestation[]: for m in iam.5 where m => { text: m }
    severity: translate(iam.4.1, CM_0128_REACTION_EVENT_SEVERITY)
  } if iam.5
}

map ADT_A60 : hl7v2 "ADT^A60" -> fhir "Bundle" { return Unique(AdtA60()) }
def AdtA60() {
  let withEncounter = HasVisit(PV1)
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1)
  entry[]: EncounterEntries(PV1, PV2, null) if withEncounter
  entry[]: for iam, i in IAM where iam.3 => IdentifiedEntry("AllergyIntolerance", "IAM-${i + 1}", AllergyFromIam(iam, withEncounter), AdministrationOwns())
  entry[]: HeaderEntries([Ref("Patient", 1)])
}
