// hl7v2.finance: BAR^P01/P02/P12 (add/purge patient accounts, update diagnosis/procedure) and DFT^P03/P11
// (post detail financial transactions) -> FHIR R4 transaction Bundle.
//
// The IG has no message map for BAR or DFT; the resources are FHIR-Converter's choice and the IG's segment
// maps: Patient (PID), Encounter (PV1), RelatedPerson (NK1), AllergyIntolerance (AL1), Condition (DG1),
// Procedure (PR1), Coverage (IN1), Account (PID-18) and, for DFT, a ChargeItem per FT1.

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties
import hl7v2.orders
import hl7v2.results
import hl7v2.adt
import hl7v2.person

// PID-18 patient account number -> Account (status: active, or inactive when the account is purged).
def Account(pid, status, patientRef) {
  resourceType: "Account"
  identifier[]: AssignedIdentifiers(pid.18)
  status: status
  subject[]: patientRef
}

// The Bundle of BAR^P01/P12 and DFT: the patient, the (first) visit and what hangs on them (the PID-18
// Account with its guarantors is one of them: AccountEntry in hl7v2.segments).
def VisitBundle(extra, focus) {
  let hasVisit = HasVisit(PV1)
  ...BundleHead()
  entry[]: PatientEntryWithDisability()
  entry[]: EncounterEntriesWithDiagnoses(PV1, PV2, null) if hasVisit
  entry[]: PersonEntries(hasVisit)
  entry[]: PatientObservationEntries(hasVisit)
  entry[]: extra
  entry[]: HeaderEntries(focus)
}

map BAR_P01 : hl7v2 "BAR^P01" -> fhir "Bundle" { return Unique(VisitBundle(LaterVisitEntries(), [Ref("Patient", 1)])) }   // add account

// BAR^P01 has one VISIT group per visit of the patient: VisitBundle writes the first; each later group's PV1/PV2
// is an Encounter of its own (as FHIR-Converter writes them), with its places and people, the same Account, and
// its own PV1-54 EpisodeOfCare (keyed by the group, so that two visits' episodes never share an entry). The
// message's DG1/PR1/AL1 stay with the first visit (PersonEntries).
def LaterVisitKey(i) = "VISIT-${i + 1}"
def LaterVisitEntries() = for v, i in VISIT where i > 0 and HasVisit(v.PV1) => [
  EncounterEntryFor(LaterVisitKey(i), { ...VisitEncounter(PID, v.PV1, v.PV2, null, 1),
                                        episodeOfCare: [Ref("EpisodeOfCare", LaterVisitKey(i))] if VisitEpisodeOfCare(PID, v.PV1, 1) }),
  for e in VisitPlacesAndPeople(PID, v.PV1, v.PV2, 1) =>
    if e.fullUrl == FullUrl("EpisodeOfCare", "PV1-54") then Entry("EpisodeOfCare", LaterVisitKey(i), e.resource) else e
]
map BAR_P12 : hl7v2 "BAR^P12" -> fhir "Bundle" { return Unique(VisitBundle([], [Ref("Patient", 1)])) }   // update dx / procedure

// BAR^P02 (purge patient accounts, BAR_P02): per PATIENT group the Patient and its Account, now inactive, and the
// visit (PV1) as an Encounter. With several patients, each one's importance is its own group's PV1-16 (Patient
// takes the message's PV1-16 only for a message's only patient).
map BAR_P02 : hl7v2 "BAR^P02" -> fhir "Bundle" { return Unique(BarP02()) }
def BarP02() {
  ...BundleHead()
  for p, i in PATIENT {
    let patient = Patient(p.PID, p.PD1)
    let db1s = for d in p.DB1 => d   // every DB1 of the group (a bare p.DB1 given to a function is the first)
    entry[]: PatientEntryFor(SurvivorKey(i), { ...patient, identifier[]: patient.identifier, identifier[]: DisabilityIdentifiers(db1s),
                                             extension[]: patient.extension, extension[]: DisabilityExtensions(db1s),
                                             extension[]: Importance(p.PV1-16) if count(PID) != 1 })
    entry[]: PatientParties(p.PID, p.PD1)
    // the patient's mother (PID-21; IG CX[RelatedPerson-Mother]), as hl7v2.segments KinEntries writes her for one patient
    entry[]: [Entry("RelatedPerson", VisitKey("PID-21", SurvivorKey(i)), MotherRelatedPerson(p.PID, Ref("Patient", SurvivorKey(i)))),
              IdentifierEntries(p.PID-21)] if MotherRelatedPerson(p.PID, Ref("Patient", SurvivorKey(i)))
    entry[]: DisabilityIdentifierEntries(db1s)
    entry[]: Entry("Account", SurvivorKey(i), Account(p.PID, "inactive", Ref("Patient", SurvivorKey(i)))) if p.PID-18.1
    entry[]: IdentifierEntries(p.PID-18) if p.PID-18.1
    entry[]: PurgedVisitEntries(p, SurvivorKey(i)) if HasVisit(p.PV1)
  }
  entry[]: HeaderEntries(for p, i in PATIENT => Ref("Patient", SurvivorKey(i)))
}

// The visit of a purged patient (the PATIENT group's PV1; FHIR-Converter writes it): its Encounter, whose account
// is the purged (inactive) Account above, and the Locations and people it refers to (hl7v2.segments
// VisitPlacesAndPeople, without its active PID-18 Account: that account is the inactive one).
def IsAccountEntries(e) = first(e).resource.resourceType == "Account"
def PurgedVisitEntries(p, n) = [
  EncounterEntryFor(n, { ...VisitEncounter(p.PID, p.PV1, null, null, n), account[]: Ref("Account", n) if p.PID-18.1 }),
  for e in VisitPlacesAndPeople(p.PID, p.PV1, null, n) where not IsAccountEntries(e) => e
]

// FT1 -> ChargeItem (FHIR-Converter's choice; R4 requires status, code and subject, so an FT1 without a
// transaction code FT1-7, or a message without a PID, gives none). Status "billable": the charge is posted.
// As FHIR-Converter: identifier FT1-2 (typed TID "ChargeItem Transaction ID" in that converter's
// identifier-type-code system, urn:id: as siu.cw's contact roles), priceOverride FT1-11 extended amount (else
// FT1-12 unit amount), costCenter the FT1-13 department (CWE -> Organization), performer FT1-20 (performed by),
// enterer FT1-24 (entered by; FT1-21 "ordered by" has no ChargeItem element and is not written), service the
// FT1-25 procedure (a Procedure), account the PID-18 Account, supportingInformation the orders the charge is
// for (ChargeOrderRefs) and the message's DG1 Conditions (PersonEntries writes them with the same keys).
def ChargeItem(ft1, n, withEncounter) {
  resourceType: "ChargeItem"
  identifier[]: { type: { coding[]: { system: "urn:id:identifier-type-code", code: "TID", display: "ChargeItem Transaction ID" } },
                  value: trim(ft1.2.1) } if trim(ft1.2.1)
  identifier[]: { value: trim(ft1.3.1) } if trim(ft1.3.1)
  status: "billable"
  code: CodeableConcept(ft1.7)
  subject: PatientRef()
  context: Ref("Encounter", 1) if withEncounter
  occurrencePeriod: { start: datetime(ft1.4.1), end: datetime(ft1.4.2) } if ft1.4.2
  occurrenceDateTime: datetime(ft1.4.1) if not ft1.4.2
  enteredDate: datetime(ft1.5)
  quantity: { value: decimal(ft1.10) } if is_number(ft1.10)
  priceOverride: Money(ft1.11) ?? Money(ft1.12)
  costCenter: PartyRef(DepartmentOrganization(ft1.13))
  performer[]: for x in ft1.20 where HasPerson(x) => { actor: PractitionerRefDisplay(x) }
  enterer: PractitionerRefDisplay(ft1.24)
  reason[]: for c in ft1.19 where c.1 or c.2 => CodeableConcept(c)
  service[]: { ...Ref("Procedure", "FT1-${n}"), type: "Procedure" } if ChargedProcedure(ft1)
  account[]: Ref("Account", VisitKey("PID-18", 1)) if HasAccount(PID)
  supportingInformation[]: ChargeOrderRefs(n)
  supportingInformation[]: for dg1, i in DG1 where dg1.3 or dg1.4 => Ref("Condition", i + 1)
}

// The orders the n-th FT1's charge is for (1-based): the message-level COMMON_ORDER ServiceRequests (they apply
// to every charge) and those of the FT1's own FINANCIAL group, as FHIR-Converter links them. FT1 opens each
// FINANCIAL group, so the n-th FT1 is the n-th group's.
def HasDftOrder(order) = (order.ORC or order.OBR) and PID
def ChargeOrderRefs(n) = [
  for order, i in COMMON_ORDER where HasDftOrder(order) => Ref("ServiceRequest", "CO-${i + 1}"),
  for order, j in FINANCIAL[n - 1].FINANCIAL_COMMON_ORDER where count(FINANCIAL) == count(FT1) and HasDftOrder(order)
    => Ref("ServiceRequest", "FCO-${n}-${j + 1}")
]

// CP -> Money: CP.1 (MO) amount and its ISO 4217 currency (MO.2, when three letters: R4 binds Money.currency to
// the currency codes).
def Money(cp) = if is_number(cp.1.1) then {
  value: decimal(cp.1.1)
  currency: upper(trim(cp.1.2)) if length(trim(cp.1.2)) == 3
} else null

// FT1-13 department code (CWE) -> the department as an Organization (FHIR-Converter's CWE[Organization]): each
// triplet's code an identifier in its coding system's namespace (urn:id:<CWE.3>), named by the texts joined by
// "--" (datatypes.cw CodedIdentifier). Content-keyed: one per department.
def DepartmentOrganization(cwe) = if trim(cwe.1) or trim(cwe.4) then {
  resourceType: "Organization"
  identifier[]: CodedIdentifier(cwe.1, cwe.3)
  identifier[]: CodedIdentifier(cwe.4, cwe.6)
  name: join([trim(cwe.2), trim(cwe.5), trim(cwe.9)], "--")
} else null

// FT1-25 procedure code -> the charged Procedure (FHIR-Converter: code, status unknown, the patient), the
// ChargeItem's service.
def ChargedProcedure(ft1) = if (ft1.25.1 or ft1.25.2) and PID then {
  resourceType: "Procedure"
  status: "unknown"
  code: CodeableConcept(ft1.25)
  subject: PatientRef()
} else null

def ChargeItemEntries(withEncounter) =
  for ft1, i in FT1 where (ft1.7.1 or ft1.7.2) and PID => [Entry("ChargeItem", "FT1-${i + 1}", ChargeItem(ft1, i + 1, withEncounter)),
                                                         for x in ft1.20 => PractitionerEntries(x), PractitionerEntries(ft1.24),
                                                         PartyEntry(DepartmentOrganization(ft1.13)),
                                                         Entry("Procedure", "FT1-${i + 1}", ChargedProcedure(ft1)) if ChargedProcedure(ft1)]
def ChargeItemRefs() = for ft1, i in FT1 where (ft1.7.1 or ft1.7.2) and PID => Ref("ChargeItem", "FT1-${i + 1}")

// DFT COMMON_ORDER / FINANCIAL_COMMON_ORDER (ORC, TQ1, OBR): the order a charge is for, as a ServiceRequest
// (IG ORC/OBR[ServiceRequest], TQ1[ServiceRequest]; FHIR-Converter writes it for DFT), with its requester and the
// OBR's specimen. Keys "CO-<n>" and "FCO-<group>-<n>". Only with a PID (ServiceRequest.subject is required).
def DftOrderEntries(order, key, withEncounter) = if HasDftOrder(order) then [
  ServiceRequestEntryFor(key, ServiceRequest(order, key, withEncounter, false)),
  OrderContextEntries(order, key),
  RequesterEntries(order),
  NoteParties(OrderNotes(order)),   // the authors of the order's notes (ServiceRequest.note)
  ObrSpecimenEntries(order.OBR, key),
  LooseSpecimenEntries(order, key)
] else null
def DftOrders(withEncounter) = [
  for order, i in COMMON_ORDER => DftOrderEntries(order, "CO-${i + 1}", withEncounter),
  for g, gi in FINANCIAL => for order, j in g.FINANCIAL_COMMON_ORDER => DftOrderEntries(order, "FCO-${gi + 1}-${j + 1}", withEncounter)
]

// DFT^P11 FINANCIAL_INSURANCE (the insurance of one charge): a Coverage per IN1 with its payor, policy holder and
// insured, as the message-level INSURANCE groups (IG IN1[Coverage]; FHIR-Converter writes them). Keys
// "F<group>-<n>"; the PID-18 Account lists the message-level Coverages only.
def FinancialInsuranceEntries() =
  for g, gi in FINANCIAL => for ins, j in g.FINANCIAL_INSURANCE => InsuranceEntries(ins, "F${gi + 1}-${j + 1}")

def DftBundle() {
  let hasVisit = HasVisit(PV1)
  return VisitBundle([ChargeItemEntries(hasVisit), DftOrders(hasVisit), FinancialInsuranceEntries()],
                     if ChargeItemRefs() then ChargeItemRefs() else [Ref("Patient", 1)])
}
map DFT_P03 : hl7v2 "DFT^P03" -> fhir "Bundle" { return Unique(DftBundle()) }
map DFT_P11 : hl7v2 "DFT^P11" -> fhir "Bundle" { return Unique(DftBundle()) }
