// hl7v2.referral: REF^I12/I14 (patient referral, its cancellation) -> FHIR R4 transaction Bundle.
//
// The IG has no message map for REF; the referral is a ServiceRequest as FHIR-Converter writes it (RF1), with
// the referring (PRD-1 RP) and referred-to (RT) providers, and the IG's segment maps for Patient, RelatedPerson,
// AllergyIntolerance, Condition, Procedure and Coverage.

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties
import hl7v2.orders
import hl7v2.results

// RF1-1 referral status (table 0283): A accepted, P pending, R rejected, E expired.
def ReferralStatus(code, cancelled) =
  if cancelled then "revoked"
  else match upper(code) { "A" => "active" "P" => "draft" "R" => "revoked" "E" => "completed" _ => "unknown" }

def ProviderDisplay(prd) = trim(join([prd.2.5, prd.2.2, prd.2.1], " "))

def Referral(cancelled) {
  resourceType: "ServiceRequest"
  identifier[]: EntityIdentifier(RF1-6) if RF1-6.1
  identifier[]: EntityIdentifier(RF1-11) if RF1-11.1
  status: ReferralStatus(RF1-1.1, cancelled)
  intent: "order"
  category[]: { coding[]: { system: "http://snomed.info/sct", code: "3457005", display: "Patient referral" } }
  priority: match upper(RF1-2.1) { "S" => "stat" "A" => "asap" "R" => "routine" _ => null }
  code: CodeableConcept(RF1-3) if RF1-3
  subject: Ref("Patient", 1)
  authoredOn: datetime(RF1-9) ?? datetime(RF1-7)
  occurrencePeriod: { start: datetime(RF1-7), end: datetime(RF1-8) }
  reasonCode[]: for r in RF1-10 where r.1 or r.2 => CodeableConcept(r)
  let referrer = first(for prd in PRD where upper(prd.1.1) == "RP" and ProviderDisplay(prd) => ProviderDisplay(prd))
  let referredTo = first(for prd in PRD where upper(prd.1.1) == "RT" and ProviderDisplay(prd) => ProviderDisplay(prd))
  requester: { display: referrer } if referrer
  performer[]: { display: referredTo } if referredTo
}

// The referral's OBSERVATION groups (OBR with its results, RESULTS_NOTES): as an ORU order (IG OBR[ServiceRequest],
// OBR[DiagnosticReport], OBX[Observation]; FHIR-Converter writes these for REF): a ServiceRequest, its
// DiagnosticReport, the OBR's Specimen and an Observation per OBX. Keys "obr/<n>".
def ReferralResultEntries(g, key, withEncounter) = [
  Entry("ServiceRequest", key, ServiceRequest(g, key, withEncounter, false)),
  LooseSpecimenEntries(g, key),
  RequesterEntries(g),
  OrderParties(g),
  NoteParties(direct(g.NTE)),
  Entry("DiagnosticReport", key, DiagnosticReport(null, g.OBR, key, GroupObservationRefs(g.RESULTS_NOTES, key),
                                                  ObrSpecimenRefs(g.OBR, key), withEncounter,
                                                  PresentedForms(for r in g.RESULTS_NOTES => r.OBX))),
  ObrSpecimenEntries(g.OBR, key),
  GroupObservationEntries(g.RESULTS_NOTES, key, withEncounter, Ref("ServiceRequest", key))
]

def ReferralBundle(cancelled) {
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1)
  entry[]: EncounterEntries(PV1, PV2, null) if HasVisit(PV1)
  entry[]: PersonEntries(HasVisit(PV1))
  entry[]: Entry("ServiceRequest", "RF1", Referral(cancelled))
  entry[]: for g, i in OBSERVATION where PID and g.OBR => ReferralResultEntries(g, "obr/${i + 1}", HasVisit(PV1))
  entry[]: HeaderEntries([Ref("ServiceRequest", "RF1")])
}

map REF_I12 : hl7v2 "REF^I12" -> fhir "Bundle" { return Unique(ReferralBundle(false)) }   // patient referral
map REF_I14 : hl7v2 "REF^I14" -> fhir "Bundle" { return Unique(ReferralBundle(true)) }    // cancel patient referral
