// hl7v2.referral: REF^I12/I14 (patient referral, its cancellation) -> FHIR R4 transaction Bundle.
//
// The IG has no message map for REF; the referral is a ServiceRequest as FHIR-Converter writes it (RF1), with
// the referring (PRD-1 RP) and referred-to (RT) providers as PractitionerRoles, and the IG's segment maps for Patient, RelatedPerson,
// AllergyIntolerance, Condition, Procedure and Coverage.

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties
import hl7v2.orders
import hl7v2.results
import hl7v2.places

// RF1-1 referral status (table 0283): A accepted, P pending, R rejected, E expired.
def ReferralStatus(code, cancelled) =
  if cancelled then "revoked"
  else match upper(code) { "A" => "active" "P" => "draft" "R" => "revoked" "E" => "completed" _ => "unknown" }

def ProviderDisplay(prd) = trim(join([prd.2.5, prd.2.2, prd.2.1], " "))

// PRD (a provider of the referral) -> PractitionerRole of a Practitioner, as FHIR-Converter writes it (the IG has no
// PRD map): the role PRD-1 (table 0286 as written, and the v2-0443 provider role of the same code: RP referring,
// RT referred-to), its period PRD-8/9 and place PRD-4 (PL[Location]); the Practitioner named PRD-2 (XPN), at
// PRD-3 (addresses), reached at PRD-5, identified by PRD-7 (PLN[Identifier]).
def HasProvider(prd) = prd.2.1 or prd.2.2 or prd.7.1
def ProviderIdentifier(pln) = {
  type: {
    coding[]: { system: V2System("0338"), code: fhir_code(pln.2) } if trim(pln.2)
    coding[]: { system: CS_V2_0203, code: fhir_code(pln.2), display: lookup(trim(pln.2), CS_V2_0203) } if lookup(trim(pln.2), CS_V2_0203)
  } if trim(pln.2)
  value: trim(pln.1)
  period: { end: date(pln.4) }
}
def ProviderPractitioner(prd) = if HasProvider(prd) then {
  resourceType: "Practitioner"
  identifier[]: for pln in prd.7 where trim(pln.1) => ProviderIdentifier(pln)
  name[]: HumanNames(prd.2)
  telecom[]: ContactPoints(prd.5)
  address[]: Addresses(prd.3)
} else null
def ProviderRole(prd) = if HasProvider(prd) then {
  resourceType: "PractitionerRole"
  practitioner: PartyRef(ProviderPractitioner(prd))
  code[]: CodeableConcept(prd.1) if prd.1
  code[]: { coding[]: { system: CS_V2_0443, code: fhir_code(prd.1.1), display: lookup(trim(prd.1.1), CS_V2_0443) } }
          if lookup(trim(prd.1.1), CS_V2_0443)
  period: { start: datetime(prd.8), end: datetime(prd.9) }
  location[]: LocationRef(prd.4) if LocationRef(prd.4).reference
} else null
def IsProviderOf(prd, role) = upper(trim(prd.1.1)) == role and (HasProvider(prd) or ProviderDisplay(prd))
def ProviderRef(prd) = if HasProvider(prd) then { ...PartyRef(ProviderRole(prd)), display: ProviderDisplay(prd) } else { display: ProviderDisplay(prd) }
def ProviderEntries() = for prd in PRD where (IsProviderOf(prd, "RP") or IsProviderOf(prd, "RT")) and HasProvider(prd) => [
  PartyEntry(ProviderRole(prd)), PartyEntry(ProviderPractitioner(prd)), LocationEntries(prd.4)
]

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
  // RF1-10 reasons, worded by the reason text RF1-14 (v2.7+) when given (FHIR-Converter)
  reasonCode[]: for r in RF1-10 where r.1 or r.2 => { ...CodeableConcept(r), text: trim(RF1-14) ?? CodeableConcept(r).text }
  // the referring provider (the first PRD with role RP) and every referred-to provider (RT)
  requester: first(for prd in PRD where IsProviderOf(prd, "RP") => ProviderRef(prd))
  // the authorized provider RF1-19 and health professional RF1-20 (v2.7+) perform the referral (FHIR-Converter)
  performer[]: XonOrgRef(RF1-19)
  performer[]: for prd in PRD where IsProviderOf(prd, "RT") => ProviderRef(prd)
  performer[]: PractitionerRef(RF1-20) if HasPerson(RF1-20)
  note[]: { text: trim(RF1-24) } if trim(RF1-24)   // RF1-24 comment (v2.7+)
}

// The referral's OBSERVATION groups (OBR with its results, RESULTS_NOTES): as an ORU order (IG OBR[ServiceRequest],
// OBR[DiagnosticReport], OBX[Observation]; FHIR-Converter writes these for REF): a ServiceRequest, its
// DiagnosticReport, the OBR's Specimen and an Observation per OBX. Keys "obr/<n>".
def ReferralResultEntries(g, key, withEncounter) = [
  ServiceRequestEntryFor(key, ServiceRequest(g, key, withEncounter, false)),
  OrderContextEntries(g, key),
  LooseSpecimenEntries(g, key),
  RequesterEntries(g),
  OrderParties(g),
  NoteParties(direct(g.NTE)),
  DiagnosticReportEntryFor(key, DiagnosticReport(null, g.OBR, key, GroupObservationRefs(g.RESULTS_NOTES, key),
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
  entry[]: ProviderEntries()
  entry[]: [XonOrgEntries(RF1-19), PractitionerEntries(RF1-20)]
  entry[]: for g, i in OBSERVATION where PID and g.OBR => ReferralResultEntries(g, "obr/${i + 1}", HasVisit(PV1))
  entry[]: HeaderEntries([Ref("ServiceRequest", "RF1")])
}

map REF_I12 : hl7v2 "REF^I12" -> fhir "Bundle" { return Unique(ReferralBundle(false)) }   // patient referral
map REF_I14 : hl7v2 "REF^I14" -> fhir "Bundle" { return Unique(ReferralBundle(true)) }    // cancel patient referral
