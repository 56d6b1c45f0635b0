// hl7v2.problems: PPR^PC1/PC2/PC3 (problem add, update, delete) -> FHIR R4 transaction Bundle.
//
// The IG has no message map for PPR; per PROBLEM a Condition (PRB, with the IG's CWE/EI/DTM datatype maps),
// as FHIR-Converter writes it, category problem-list-item. PRB-1 action "DE" (delete) or trigger PC3 marks it
// entered-in-error. R4's con-3 requires a clinicalStatus on a problem-list item: PRB-14 life cycle status
// (active, inactive, resolved, ... as text or code), else "resolved" when PRB-9 gives a resolution date; when
// neither says, no category is written (nothing is made up).

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties

def ProblemClinicalStatus(prb) {
  let s = lower(trim(prb.14.1))
  let code = match s { "a" | "active" => "active" "i" | "inactive" => "inactive" "r" | "resolved" => "resolved"
                       "recurrence" => "recurrence" "relapse" => "relapse" "remission" => "remission" _ => null }
  return code ?? (if prb.9 then "resolved" else null)
}

def ProblemCondition(prb, deleted, withEncounter) {
  let clinical = if deleted then null else ProblemClinicalStatus(prb)
  resourceType: "Condition"
  identifier[]: EntityIdentifier(prb.4) if prb.4.1
  clinicalStatus: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: clinical } } if clinical
  verificationStatus: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                    code: "entered-in-error" } } if deleted
  category[]: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/condition-category",
                            code: "problem-list-item" } } if clinical or deleted
  code: CodeableConcept(prb.3)
  subject: Ref("Patient", 1)
  encounter: Ref("Encounter", 1) if withEncounter
  onsetDateTime: datetime(prb.16)
  abatementDateTime: datetime(prb.9) if clinical == "resolved" or clinical == "inactive" or clinical == "remission"
  recordedDate: datetime(prb.7) ?? datetime(prb.2)
}

def ProblemBundle(trigger) {
  let withEncounter = HasVisit(PV1)
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1)
  entry[]: EncounterEntries(PV1, PV2, null) if withEncounter
  entry[]: AccountEntry() if not withEncounter   // the PID-18 account (with a visit, the visit writes it)
  entry[]: for prb, i in PRB where prb.3.1 or prb.3.2 =>
    IdentifiedEntry("Condition", "PRB-${i + 1}", ProblemCondition(prb, trigger == "PC3" or upper(prb.1) == "DE", withEncounter), MessageKindIs(["PPR"]))
  entry[]: HeaderEntries(for prb, i in PRB where prb.3.1 or prb.3.2 => Ref("Condition", "PRB-${i + 1}"))
}

map PPR_PC1 : hl7v2 "PPR^PC1" -> fhir "Bundle" { return Unique(ProblemBundle("PC1")) }   // problem add
map PPR_PC2 : hl7v2 "PPR^PC2" -> fhir "Bundle" { return Unique(ProblemBundle("PC2")) }   // problem update
map PPR_PC3 : hl7v2 "PPR^PC3" -> fhir "Bundle" { return Unique(ProblemBundle("PC3")) }   // problem delete
