// hl7v2.orders: ORC/OBR/OBX/NTE/SPM -> ServiceRequest, DiagnosticReport, Observation, Specimen.
// Shared by ORU^R01, ORM^O01, OML^O21 (and MDM's OBX). Follows the IG's ORC/OBR[ServiceRequest],
// OBR[DiagnosticReport], OBX[Observation], NTE[Annotation], SPM[Specimen] maps for the fields listed in
// docs/fidelity.md.
//
// Keys: an order is keyed by its position in the message ("1", "2", ...), an observation by
// "<order>/obx/<n>" and a specimen by "<order>/spm/<n>" (positions, not set ids: set ids repeat in real
// feeds). The fullUrls derive from these keys and MSH-10/MSH-7 (hl7v2.segments IdOf), except the results of an
// order with a known number in ORU, OUL and VXU, keyed by that number (ResultsKey, below).

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties
import hl7v2.organizations
import hl7v2.results

def ObsKey(orderKey, i) = "${orderKey}/obx/${i + 1}"

// Results across messages. A result message is often followed by another about the same order (preliminary,
// final, corrected). When the order has a number known outside the message (its filler number, else its placer
// number, with a system: what its report is conditional on, segments.cw DiagnosticReportEntryFor), its results
// are keyed by that number, the patient, their position in the order, their code (OBX-3) and sub-id (OBX-4),
// not by the message: the final result of a test updates the Observation the preliminary one wrote (a PUT of the same
// id), and the report's result list names the same resources. A result that moved or changed its code is a new
// Observation (never another test's overwritten). When no number is known, or two orders of the message share
// one (unique: false), the results are keyed by the message as before.
def OrderNumberKey(orc, obr) = NumberKey(if obr.3.1 then obr.3 else orc.3) ?? NumberKey(if obr.2.1 then obr.2 else orc.2)
def NumberKey(ei) {
  let id = EntityIdentifierSystemValue(ei)
  return if id.system and id.value then "${id.system}|${id.value}" else null
}
// The order number of each order (OrderNumberKey; null for an order without one), and whether no two orders
// share a number.
def OrderNumbers(orders) = for o in orders => OrderNumberKey(o.ORC, o.OBR)
def NumbersUnique(numbers) {
  let known = for n in numbers where n => n
  return count(known) == count(distinct(known))
}
// The results key of an order: "@", its number and the patient's first identifier (segments.cw IdOf: not keyed
// by the message) when it has a number and no other order of the message shares it (unique), else its message
// key. The patient is part of the key so that a filler that reuses its numbers (HL7 says they are unique; some
// laboratories recycle accession numbers) writes new Observations for another patient, never over theirs.
def ResultsKey(number, key, unique) = if unique and number then "@${number}/${trim(PID-3.4.1)}|${trim(PID-3.1)}" else key
// The key of the i-th result (obx) of an order whose results key is rkey (ResultsKey).
def ResultKey(rkey, i, obx) = if starts_with(rkey, "@") then "${rkey}/obx/${i + 1}/${trim(obx.3.3)}|${trim(obx.3.1)}/${trim(obx.4)}"
                              else ObsKey(rkey, i)
def SpmKey(orderKey, i) = "${orderKey}/spm/${i + 1}"
def ObsRefs(order, rkey) = for o, i in order.OBSERVATION => Ref("Observation", ResultKey(rkey, i, o.OBX))
// PRIOR_RESULT (OML, OMG: earlier results sent with an order as its context; also where a sender's second OBR
// without an ORC lands, as the grammar reads it) -> an Observation per OBSERVATION_PRIOR OBX, the order's
// supporting information. No IG message map writes them; FHIR-Converter does. Keys "<order key>/prior/<n>".
def PriorKey(key, i) = "${key}/prior/${i + 1}"
def PriorObsRefs(order, key) = for p, i in order.OBSERVATION_PRIOR => Ref("Observation", PriorKey(key, i))
def PriorObservationEntries(order, key, withEncounter) = for p, i in order.OBSERVATION_PRIOR => [
  Entry("Observation", PriorKey(key, i), Observation(p.OBX, direct(p.NTE), null, [], withEncounter, null, null)),
  ObservationParties(p.OBX),
  NoteParties(direct(p.NTE))
]
// CTI (clinical trial identification) of an order -> ResearchStudy, the order's supporting information, as
// FHIR-Converter writes it (no IG map reads CTI): CTI-1 the sponsor's study id, CTI-2 the phase, status active (an
// order placed under a study). CTI-3 (the time point within the study) has no element in R4's ResearchStudy and
// is not written. A study with an id that has a system is created only when the server has none with that id
// (segments.cw IdentifiedEntry: no order message owns it); keys "<order key>/cti/<n>".
def OrderStudies(order) = for c in direct(order.CTI) where HasCode(c.1) or HasCode(c.2) => c
def StudyKey(key, i) = "${key}/cti/${i + 1}"
def ResearchStudy(cti) {
  resourceType: "ResearchStudy"
  identifier[]: EntityIdentifier(cti.1) if trim(cti.1.1)
  status: "active"
  phase: CodeableConcept(cti.2) if HasCode(cti.2)
}
def StudyRefs(order, key) = for c, i in OrderStudies(order) => Ref("ResearchStudy", StudyKey(key, i))
def StudyEntries(order, key) =
  for c, i in OrderStudies(order) => IdentifiedEntry("ResearchStudy", StudyKey(key, i), ResearchStudy(c), false)

// BLG (billing of an order: ORM, OML, OMG, RDE) -> the Account it is charged to, BLG-3 (CX) its identifier, the
// order's supporting information, as FHIR-Converter writes it (no IG map reads BLG). The patient's PID-18 account
// when BLG-3 names it (same id and assigning authority: one Account, already written with the patient), else an
// Account of its own, created only when the server has none with that identifier (no order message owns an
// account); keyed by that identifier ("BLG/<assigner>|<id>"), so orders billed to one account name one entry.
// BLG-1 (when to charge) and BLG-2/4 (charge type and reason) describe the charge, not the account, and have no
// element in Account: not written.
def OrderBilling(order) = first(for b in direct(order.BLG) where trim(b.3.1) => b)
def IsPatientAccount(cx) = PID and HasAccount(PID) and trim(cx.1) == trim(PID-18.1) and trim(cx.4.1) == trim(PID-18.4.1)
                           and trim(cx.4.2) == trim(PID-18.4.2)
def BillingKey(cx) = "BLG/${trim(cx.4.1)}^${trim(cx.4.2)}|${trim(cx.1)}"
def BillingAccount(blg) {
  resourceType: "Account"
  identifier[]: AssignedIdentifiers([blg.3])
  status: "active"
  subject[]: PatientRef() if PID
}
def BillingRef(order) {
  let blg = OrderBilling(order)
  return if not blg then null else if IsPatientAccount(blg.3) then Ref("Account", VisitKey("PID-18", 1)) else Ref("Account", BillingKey(blg.3))
}
def BillingEntries(order) {
  let blg = OrderBilling(order)
  return if blg and not IsPatientAccount(blg.3) then [IdentifiedEntry("Account", BillingKey(blg.3), BillingAccount(blg), false),
                                                      IdentifierEntries([blg.3])] else null
}

// What an order's request names as its context (supportingInfo / supportingInformation): its studies (CTI) and
// the account it is billed to (BLG); OrderContextEntries writes their entries.
def OrderContextRefs(order, key) = [StudyRefs(order, key), BillingRef(order)]
def OrderContextEntries(order, key) = [StudyEntries(order, key), BillingEntries(order)]

// INV (the inventory detail of a specimen container: a reagent, a calibrator, a control) -> Substance, the
// additive of that container (Specimen.container.additiveReference), as FHIR-Converter writes it (OUL; no IG map
// reads INV): INV-1 code, INV-2 status (table 0383: OK and the warnings active, the errors inactive), INV-3
// category, INV-4 the container's identifier, its quantity (INV-8 current, else INV-9 available, else INV-7
// initial, INV-11 units) and INV-12 expiry as the instance, INV-16 lot number, INV-17 manufacturer and INV-18
// supplier identifiers. Keys "<specimen key>/inv/<n>" (the n-th container).
def SubstanceStatus(cwe) {
  let code = upper(trim(cwe.1))
  return if code == "OK" or ends_with(code, "W") then "active" else if ends_with(code, "E") then "inactive" else null
}
def Substance(inv) {
  let quantity = if is_number(inv.8) then inv.8 else if is_number(inv.9) then inv.9 else inv.7
  resourceType: "Substance"
  identifier[]: { value: trim(inv.16) } if trim(inv.16)
  identifier[]: CodedIdentifier(inv.17.1, inv.17.3)
  identifier[]: CodedIdentifier(inv.18.1, inv.18.3)
  status: SubstanceStatus(first(inv.2))
  category[]: CodeableConcept(inv.3) if HasCode(inv.3)
  code: if HasCode(inv.1) then CodeableConcept(inv.1) else AbsentConcept()
  instance[]: {
    identifier: CodedIdentifier(inv.4.1, inv.4.3)
    expiry: datetime(inv.12)
    quantity: Quantity(quantity, inv.11)
  }
}
def ContainerInv(c) = first(for inv in direct(c.INV) where HasCode(inv.1) or HasCode(inv.4) => inv)
def SubstanceKey(specimenKey, ci) = "${specimenKey}/inv/${ci + 1}"
def SubstanceEntries(s, specimenKey) = for c, ci in s.CONTAINER where ContainerInv(c) =>
  Entry("Substance", SubstanceKey(specimenKey, ci), Substance(ContainerInv(c)))

def SpmRefs(order, key) = if count(order.SPECIMEN) > 0 then (for s, i in order.SPECIMEN => Ref("Specimen", SpmKey(key, i)))
                          else (for s, i in order.SPM => Ref("Specimen", SpmKey(key, i)))
// The SPM of an order whose structure has no SPECIMEN group (ORM^O01 in v2.5.1; feeds send SPM there all the
// same, and FHIR-Converter maps them): each a Specimen, keyed as a SPECIMEN group's would be.
def LooseSpecimenEntries(order, key) = for s, i in order.SPM where count(order.SPECIMEN) == 0 =>
  [SpecimenEntryFor(SpmKey(key, i), Specimen(s)), SpecimenParentEntries(s)]

// OBX-16 (responsible observer) and OBX-25 (performing organisation's medical director) as PractitionerRoles
// (v2-0443 RO / MDIR, as FHIR-Converter codes them), OBX-23 (performing organisation) as the director's
// organization, else as a performer itself (IG OBX[Observation]).
def DirectorRole(obx) = {
  resourceType: "PractitionerRole"
  practitioner: PractitionerRef(obx.25)
  organization: PerformingOrgRef(obx)
  code[]: { coding[]: { system: CS_V2_0443, code: "MDIR", display: lookup("MDIR", CS_V2_0443) } }
}
def ObservationPerformers(obx) = [
  for p in obx.16 where HasPerson(p) => RoleRef(p, "RO"),
  PartyRef(DirectorRole(obx)) if HasPerson(obx.25),
  PerformingOrgRef(obx) if not HasPerson(obx.25)
]
def ObservationParties(obx) = [
  for p in obx.16 where HasPerson(p) => RoleEntries(p, "RO"),
  [PartyEntry(DirectorRole(obx)), PractitionerEntries(obx.25)] if HasPerson(obx.25),
  PerformingOrgEntries(obx),
  PartyEntry(EquipmentDevice(obx.18))
]
// The function of a DiagnosticReport performer (IG OBR[DiagnosticReport] OBR-34/35): event-performerFunction.
def PerformerFunction(code) = {
  url: "http://hl7.org/fhir/StructureDefinition/event-performerFunction"
  valueCodeableConcept: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: code } }
}

// The parties of an order's results (OBX-16/23/25) and its report (OBR-32/33 result interpreters, OBR-34/35).
def OrderParties(order) = [
  for o in order.OBSERVATION => ObservationParties(o.OBX),
  for r in order.RESULT => ObservationParties(r.OBX),
  for x in order.OBR-32 => NdlRoleEntries(x, null),
  for x in order.OBR-33 => NdlRoleEntries(x, null),
  for x in order.OBR-34 => NdlRoleEntries(x, "TN"),
  for x in order.OBR-35 => NdlRoleEntries(x, "TR")
]

// The order's own notes: the NTE that follow its OBR (or RXO), whether the structure puts them in the order group
// itself (ORU_R01, OMG_O19) or in the group of the order's detail (OML_O21 OBSERVATION_REQUEST, ORM_O01
// ORDER_DETAIL); never the notes of its results (OBSERVATION). IG OML_O21 / ORM_O01: NTE[ServiceRequest.note].
def OrderNotes(order) = [
  ...direct(order.NTE),
  for g in order.OBSERVATION_REQUEST => direct(g.NTE),
  for g in order.ORDER_DETAIL => direct(g.NTE)
]

// The order's own participations: the PRT after its ORC and after its OBR (OML_O21 OBSERVATION_REQUEST), not
// those of its results (OBSERVATION PRT: the Observations' performers, WithParticipants).
def OrderPrts(order) = [
  ...direct(order.PRT),
  for g in order.OBSERVATION_REQUEST => direct(g.PRT)
]

// ORC + OBR (or only one of them) -> ServiceRequest (IG ORC[ServiceRequest], OBR[ServiceRequest]).
// order: the order group (ORDER_OBSERVATION, ORDER); its OBX are supporting information when supporting.
// Beside the core: OBR-29 the parent order (logical references by its EIP ids, unless OBR-50 names the parent
// service), OBR-46/47 orderDetail, ORC-33 (else OBR-53) alternate placer numbers (ORC first, as for ORC-2/3 and as
// ReportStream does), ORC-16 request-statusReason when ORC-5 gives no status, ORC-29 locationCode, ORC-38 filler
// group number (FGN). intent stays "order" whatever OBR-11 says (ReportStream; the IG's reflex-order for G is not
// followed by it).
def ServiceRequest(order, key, withEncounter, supporting) {
  let orc = order.ORC
  let obr = order.OBR
  resourceType: "ServiceRequest"
  identifier[]: TypedIdentifier(orc.2, "PLAC") if orc.2.1
  identifier[]: TypedIdentifier(obr.2, "PLAC") if obr.2.1 and not orc.2.1
  identifier[]: TypedIdentifier(orc.3, "FILL") if orc.3.1
  identifier[]: TypedIdentifier(obr.3, "FILL") if obr.3.1 and not orc.3.1
  identifier[]: GroupIdentifiers(orc)
  identifier[]: AlternatePlacerIdentifiers(for cx in orc.33 => cx)
  identifier[]: AlternatePlacerIdentifiers(for cx in obr.53 => cx) if count(for cx in orc.33 where trim(cx.1) => cx) == 0
  identifier[]: TypedIdentifier(orc.38, "FGN") if trim(orc.38.1)
  extension[]: ConceptExtension("http://hl7.org/fhir/StructureDefinition/request-statusReason", orc.16) if not trim(orc.5)
  basedOn[]: ParentOrderRefs(obr.29) if not (obr.50.1 or obr.50.2)
  status: translate(orc.5, CM_0038_REQUEST_STATUS)
          ?? translate(orc.1, CM_0119_REQUEST_STATUS)
          ?? "unknown"
  intent: "order"
  let tq1 = order.TQ1
  priority: match upper(obr.5 ?? orc.7.6 ?? "") { "S" => "stat" "A" => "asap" "R" => "routine" _ => Tq1Priority(tq1) }
  // prr-1: orderDetail only with a code; details of an order without OBR-4 keep a data-absent code
  code: if obr.4 then CodeableConcept(obr.4)
        else if count(for c in obr.46 where c.1 or c.2 => c) + count(for c in obr.47 where c.1 or c.2 => c) > 0
        then AbsentConcept() else null
  orderDetail[]: for c in obr.46 where c.1 or c.2 => CodeableConcept(c)
  orderDetail[]: for c in obr.47 where c.1 or c.2 => CodeableConcept(c)
  subject: PatientRef()
  encounter: Ref("Encounter", 1) if withEncounter
  // occurrence[x] is one choice: the order's requested timing (TQ1) when it has one, else the OBR-7/8 time, as
  // FHIR-Converter chooses (the IG maps both fields to occurrence[x]; ReportStream writes neither).
  let timing = Tq1Timing(tq1)
  occurrenceTiming: timing if timing
  occurrenceDateTime: datetime(obr.7) if obr.7 and not obr.8 and not timing
  occurrencePeriod: { start: datetime(obr.7), end: datetime(obr.8) } if obr.8 and not timing
  // TQ1-2 quantity (IG TQ1[ServiceRequest]); a TQ1 without it asks for one, the field's default in HL7 v2, as
  // FHIR-Converter writes it. A TQ1-2 that is no number gives none.
  quantityQuantity: if is_number(tq1.2.1) then Quantity(tq1.2.1, tq1.2.2)
                    else if tq1 and not trim(tq1.2.1) then { value: 1 } else null
  asNeededCodeableConcept: { text: trim(tq1.10) } if trim(tq1.10)
  authoredOn: datetime(orc.9) ?? datetime(obr.6)
  requester: RequesterRef(order)
  locationCode[]: CodeableConcept(orc.29) if orc.29.1 or orc.29.2
  reasonCode[]: for r in obr.31 where r.1 or r.2 => CodeableConcept(r)
  supportingInfo[]: ObsRefs(order, key) if supporting
  supportingInfo[]: PriorObsRefs(order, key) if supporting
  supportingInfo[]: OrderContextRefs(order, key)
  // The order's PRT (the person's PractitionerRole, else the organization; the device) as supporting
  // information, as FHIR-Converter writes them: R4 ServiceRequest has no participant element but performer,
  // which a PRT of the order (admitting, consulting, ...) is not. PatientEntry writes every PRT's entries.
  supportingInfo[]: for prt in OrderPrts(order) where PID and PrtRef(prt) => PrtRef(prt)
  supportingInfo[]: for prt in OrderPrts(order) where PID and PrtDevice(prt) => PartyRef(PrtDevice(prt))
  specimen[]: [ObrSpecimenRefs(obr, key), SpmRefs(order, key)]
  note[]: for nte in OrderNotes(order) where HasNoteText(nte) => Annotation(nte)   // the order's own NTE (both converters)
  note[]: { text: trim(tq1.11) } if trim(tq1.11)   // TQ1-11 text instruction (IG TQ1[ServiceRequest])
}

def Interpretation(code) {
  coding[]: translate_coding(code, CM_0078_V3_OBSERVATIONINTERPRETATION)
            ?? { system: "http://terminology.hl7.org/CodeSystem/v2-0078", code: fhir_code(code) } if fhir_code(code)
}

// OBX-7 "low-high" / "<x" / ">x" / text -> ReferenceRange (IG: referenceRange.text; low/high when numeric).
def ReferenceRange(text, units) {
  let parts = split(text, "-")
  low: Quantity(trim(parts[0]), units) if count(parts) == 2 and is_number(trim(parts[0])) and is_number(trim(parts[1]))
  high: Quantity(trim(parts[1]), units) if count(parts) == 2 and is_number(trim(parts[0])) and is_number(trim(parts[1]))
  text: text
}

// The components of a repeating numeric or coded OBX-5 (results.cw HasComponentValues).
def ObservationComponents(obx) = for v in obx.5 where trim(v.1 ?? v) => {
  code: CodeableConcept(obx.3) ?? AbsentConcept()
  valueQuantity: Quantity(v, obx.6) if upper(obx.2) == "NM" and is_number(v)
  valueString: trim(v) if upper(obx.2) == "NM" and not is_number(v)
  valueCodeableConcept: CodeableConcept(v) if upper(obx.2) != "NM"
  referenceRange[]: ReferenceRange(obx.7, obx.6) if obx.7
}

// OBX -> Observation (IG OBX[Observation]). The value follows OBX-2:
//   NM -> valueQuantity; ST/TX/FT -> valueString (repetitions joined by a line break);
//   CWE/CE/CNE/CF/IS/ID -> valueCodeableConcept; SN -> valueQuantity / valueRange / valueRatio;
//   DT -> valueDateTime (date precision); DTM/TS -> valueDateTime; TM -> valueTime; NR -> valueRange;
//   DR -> valuePeriod; CQ -> valueQuantity; RP -> valueString; ED -> derivedFrom a DocumentReference (R4 has
//   no valueAttachment). Blank text values are no values.
// An ED value (OBX-2 = ED) is no R4 Observation value: it becomes a DocumentReference (EdDocument) that the
// Observation is derivedFrom (edRef: EdRef of the observation's key, absent for other types).
def EdRef(obx, obsKey) = if upper(obx.2) == "ED" then Ref("DocumentReference", obsKey) else null
def EdDocument(obx) {
  resourceType: "DocumentReference"
  status: "current"
  type: CodeableConcept(obx.3) if obx.3
  subject: PatientRef() if PID   // optional: none rather than unknown
  date: Instant(obx.14)
  content[]: { attachment: EdAttachment(obx.5) }
}
def EdEntries(order, rkey) = for o, i in order.OBSERVATION where upper(o.OBX-2) == "ED" and EdAttachment(o.OBX-5) =>
  Entry("DocumentReference", ResultKey(rkey, i, o.OBX), EdDocument(o.OBX))

def Observation(obx, notes, obr, specimenRefs, withEncounter, edRef, basedOn) {
  let vt = upper(obx.2)
  resourceType: "Observation"
  extension[]: ObservationStatusExtension(obx.11) if trim(obx.11)
  identifier[]: ObservationInstanceIdentifier(obx.21) if obx.21.1
  basedOn[]: basedOn
  status: translate(obx.11, CM_0085_OBSERVATION_STATUS) ?? "unknown"
  category[]: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" } } if obr
  code: CodeableConcept(obx.3) ?? AbsentConcept()
  subject: PatientRef() if PID   // optional: none rather than unknown
  encounter: Ref("Encounter", 1) if withEncounter
  effectiveDateTime: datetime(obx.14) ?? datetime(obr.7)
  issued: Instant(obx.19) ?? Instant(obr.22)
  performer[]: ObservationPerformers(obx)
  let multi = HasComponentValues(obx)
  component[]: ObservationComponents(obx) if multi
  valueQuantity: Quantity(obx.5, obx.6) if vt == "NM" and is_number(obx.5) and not multi
  valueString: obx.5 if vt == "NM" and not is_number(obx.5) and trim(obx.5) and not multi
  valueString: join(for v in obx.5 => v, "\n") if (vt == "ST" or vt == "TX" or vt == "FT") and trim(join(for v in obx.5 => v, ""))
  valueCodeableConcept: CodeableConcept(obx.5) if (vt == "CWE" or vt == "CE" or vt == "CNE" or vt == "CF") and not multi
  valueCodeableConcept: { coding[]: { code: fhir_code(obx.5) } } if vt == "IS" or vt == "ID"
  if vt == "SN" {
    let sn = StructuredNumeric(obx.5, obx.6)
    valueQuantity: sn.value if sn.kind == "Quantity"
    valueRange: sn.value if sn.kind == "Range"
    valueRatio: sn.value if sn.kind == "Ratio"
  }
  valueDateTime: date(obx.5) if vt == "DT"
  valueDateTime: datetime(obx.5.1 ?? obx.5) if vt == "DTM" or vt == "TS"
  valueTime: Time(obx.5) if vt == "TM"
  valueRange: { low: Quantity(obx.5.1, obx.6), high: Quantity(obx.5.2, obx.6) } if vt == "NR"
  valuePeriod: { start: datetime(obx.5.1), end: datetime(obx.5.2) } if vt == "DR"
  valueQuantity: Quantity(obx.5.1, obx.5.2) if vt == "CQ"
  derivedFrom[]: edRef if edRef and EdAttachment(obx.5)
  valueString: obx.5.1 if vt == "RP"
  dataAbsentReason: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/data-absent-reason", code: "not-performed" } } if not obx.5 and (obx.11 == "X" or obx.11 == "N")
  interpretation[]: for code in obx.8 where code.1 => Interpretation(code.1)
  referenceRange[]: ReferenceRange(obx.7, obx.6) if obx.7 and not multi
  method: CodeableConcept(obx.17) if obx.17
  bodySite: CodeableConcept(obx.20) if obx.20
  note[]: for nte in notes where HasNoteText(nte) => Annotation(nte)
  specimen: first(specimenRefs)
  device: PartyRef(EquipmentDevice(obx.18))
}

// An OBX whose value is a document or a pointer to one (OBX-2 ED / RP) is also a DiagnosticReport of its own,
// as FHIR-Converter writes it (ORU, OML, OMG, OUL): R4's place for a result that is an attached document is
// DiagnosticReport.presentedForm. Code OBX-3, status OBX-11 (table 0085 shares the result status codes of table
// 0123: the IG's 0123 map), OBX-14 effective, OBX-21 identifier, OBX-16/23/25 performers, the value as
// presentedForm (base64 ED, RP URI), basedOn the order. The Observation stays (IG OBX[Observation]).
def IsDocumentResult(obx) = upper(trim(obx.2)) == "ED" or upper(trim(obx.2)) == "RP"
def ObxPresentedForm(obx) =
  if upper(trim(obx.2)) == "ED" and upper(obx.5.4) == "BASE64" and IsBase64(obx.5.5) then EdAttachment(obx.5)
  else if upper(trim(obx.2)) == "RP" and contains(trim(obx.5.1), ":") and not contains(trim(obx.5.1), " ") then RpAttachment(obx.5)
  else null
def ObxReport(obx, basedOn, withEncounter) {
  resourceType: "DiagnosticReport"
  identifier[]: ObservationInstanceIdentifier(obx.21) if obx.21.1
  basedOn[]: basedOn
  status: translate(obx.11, CM_0123_DIAGNOSTIC_REPORT_STATUS) ?? "unknown"
  code: CodeableConcept(obx.3) ?? AbsentConcept()
  subject: PatientRef() if PID   // optional: none rather than unknown
  encounter: Ref("Encounter", 1) if withEncounter
  effectiveDateTime: datetime(obx.14)
  performer[]: ObservationPerformers(obx)
  presentedForm[]: ObxPresentedForm(obx)
}
def ObxReportKey(obsKey) = "${obsKey}/report"
// The Observation of an OBSERVATION / RESULT group g, keyed okey (ResultKey).
def ObservationEntry(g, okey, obr, specimenRefs, withEncounter, basedOn) =
  Entry("Observation", okey, WithParticipants(Observation(g.OBX, direct(g.NTE), obr, specimenRefs, withEncounter, EdRef(g.OBX, okey), basedOn), g))

// An Observation of an OBSERVATION / RESULT group with the group's PRT participants (IG PRT[PractitionerRole],
// PRT[Device]; FHIR-Converter): a person's PractitionerRole or else the organization as a performer, the first
// PRT device as the device when OBX-18 names none.
def WithParticipants(obs, g) {
  ...obs
  performer: [...(obs.performer ?? []), for prt in direct(g.PRT) where PrtRef(prt) => PrtRef(prt)]
  device: obs.device ?? first(for prt in direct(g.PRT) where PrtDevice(prt) => PartyRef(PrtDevice(prt)))
}

// A SPECIMEN group -> its Specimen: the SPM (Specimen below) with the containers of its CONTAINER groups (SAC-3
// container identifier as Specimen.container.identifier; the first SAC-2 accession identifier as the
// accessionIdentifier when SPM-30 gives none), as FHIR-Converter writes them; no map read SAC before.
def SpecimenOf(s, key) {
  let specimen = Specimen(s.SPM)
  let sacs = for sac in s.SAC => sac
  let accession = first(for sac in sacs where trim(sac.2.1) => sac.2)
  ...specimen
  accessionIdentifier: specimen.accessionIdentifier ?? (if accession then EntityIdentifier(accession) else null)
  container[]: specimen.container
  container[]: for c, ci in s.CONTAINER where trim(c.SAC-3.1) or ContainerInv(c) => {
    identifier[]: EntityIdentifier(c.SAC-3) if trim(c.SAC-3.1)
    additiveReference: Ref("Substance", SubstanceKey(key, ci)) if ContainerInv(c)
  }
}

// SPM -> Specimen (IG SPM[Specimen]): SPM-2 placer / filler ids (EIP: PGN, FGN), SPM-31 other ids, SPM-32
// shipment id (SHIP), SPM-30 accession id; SPM-3 parents as Specimen resources of their own (SpecimenParents).
def Specimen(spm) {
  resourceType: "Specimen"
  identifier[]: EipIdentifiers(spm.2)
  identifier[]: Identifiers(spm.31)
  identifier[]: for ei in spm.32 where trim(ei.1) => TypedIdentifier(ei, "SHIP")
  accessionIdentifier: Identifier(spm.30) if trim(spm.30.1)
  status: match upper(trim(spm.20)) { "Y" => "available" "N" => "unavailable" _ => null }
  type: CodeableConcept(spm.4) if spm.4
  subject: PatientRef() if PID   // optional: none rather than unknown
  receivedTime: datetime(spm.18)
  parent[]: for eip in spm.3 where HasEip(eip) => PartyRef(SpecimenParent(eip))
  collection: {
    extension[]: for c in spm.15 => ConceptExtension("http://hl7.org/fhir/StructureDefinition/specimen-specialHandling", c)
    collectedDateTime: datetime(spm.17.1) if not spm.17.2
    collectedPeriod: { start: datetime(spm.17.1), end: datetime(spm.17.2) } if spm.17.2
    method: CodeableConcept(spm.7) if spm.7
    bodySite: CodeableConcept(spm.8) if spm.8
    quantity: Quantity(spm.12.1, spm.12.2) if spm.12
  }
  container[]: {
    type: CodeableConcept(spm.27) if spm.27.1 or spm.27.2
    additiveCodeableConcept: CodeableConcept(first(spm.6)) if first(spm.6).1 or first(spm.6).2
  }
  condition[]: for c in spm.24 where c.1 or c.2 => CodeableConcept(c)
  note[]: { text: spm.14 } if spm.14
}

// OBR -> DiagnosticReport (IG OBR[DiagnosticReport]).
// Identifiers: OBR-2 PLAC, OBR-3 FILL (IG), the ORC's when the OBR has none, ORC-4 PGN (FHIR-Converter).
// forms: the presented forms of its OBX (PresentedForms).
def DiagnosticReport(orc, obr, key, results, specimens, withEncounter, forms) {
  resourceType: "DiagnosticReport"
  identifier[]: TypedIdentifier(obr.2, "PLAC") if obr.2.1
  identifier[]: TypedIdentifier(orc.2, "PLAC") if orc.2.1 and not obr.2.1
  identifier[]: TypedIdentifier(obr.3, "FILL") if obr.3.1
  identifier[]: TypedIdentifier(orc.3, "FILL") if orc.3.1 and not obr.3.1
  identifier[]: GroupIdentifiers(orc)
  basedOn[]: Ref("ServiceRequest", key) if PID   // the ServiceRequest is written only with a subject
  status: translate(obr.25, CM_0123_DIAGNOSTIC_REPORT_STATUS) ?? "unknown"
  category[]: { coding[]: translate_coding(fhir_code(obr.24), CM_0074_V2_0074, "keep") } if obr.24
  code: CodeableConcept(obr.4) ?? AbsentConcept()
  subject: PatientRef() if PID   // optional: none rather than unknown
  encounter: Ref("Encounter", 1) if withEncounter
  effectiveDateTime: datetime(obr.7) if not obr.8
  effectivePeriod: { start: datetime(obr.7), end: datetime(obr.8) } if obr.8
  issued: Instant(obr.22)
  resultsInterpreter[]: for x in obr.32 => NdlRoleRef(x, null)
  resultsInterpreter[]: for x in obr.33 => NdlRoleRef(x, null)   // assistant interpreters (the IG is silent; ReportStream writes their roles)
  performer[]: for x in obr.34 where NdlRole(x, "TN") => { ...NdlRoleRef(x, "TN"), extension[]: PerformerFunction("SPRF") }
  performer[]: for x in obr.35 where NdlRole(x, "TR") => { ...NdlRoleRef(x, "TR"), extension[]: PerformerFunction("TRANS") }
  result[]: results
  specimen[]: specimens
  presentedForm[]: forms
}

// Top-level OBX of a patient message (ADT, BAR, DFT: patient observations, IG ADT_A01 OBX[Observation]) ->
// Observations of the patient (and the visit), with their parties. Keys "obx/<n>".
def PatientObservationRefs() = for obx, i in OBX where PID => Ref("Observation", "obx/${i + 1}")
def PatientObservationEntries(withEncounter) = for obx, i in OBX where PID => [
  Entry("Observation", "obx/${i + 1}", Observation(obx, [], null, [], withEncounter, null, null)),
  ObservationParties(obx)
]

// The OBX of a SPECIMEN group (ORU, OUL, OML, OMG: observations about the specimen) -> Observations of the
// specimen (FHIR-Converter; IG OBX[Observation] with Observation.specimen). Keys "<specimen key>/obx/<n>".
// Written with or without a PID, as an order's results are (Observation.subject is optional).
def SpecimenObservationEntries(specimenGroup, specimenKey, withEncounter) =
  for o, k in specimenGroup.OBX => [
    Entry("Observation", "${specimenKey}/obx/${k + 1}",
          Observation(o, [], null, [Ref("Specimen", specimenKey)], withEncounter, null, null)),
    ObservationParties(o)
  ]

// OBSERVATION-like groups (an OBX with its NTE) outside an order's results: RDE/RDS ORDER.OBSERVATION, REF
// RESULTS_NOTES -> Observations (IG OBX[Observation], NTE[Annotation]). Keys "<prefix>/obx/<n>".
def GroupObservationRefs(groups, prefix) = for g, k in groups where PID => Ref("Observation", "${prefix}/obx/${k + 1}")
def GroupObservationEntries(groups, prefix, withEncounter, basedOn) = for g, k in groups where PID => [
  Entry("Observation", "${prefix}/obx/${k + 1}", Observation(g.OBX, direct(g.NTE), null, [], withEncounter, null, basedOn)),
  ObservationParties(g.OBX),
  NoteParties(direct(g.NTE))
]

// ---- ORC -> Provenance (IG ORC[Provenance]) --------------------------------------------------------------------
// The order transaction of an ORC: target the order's resource (ServiceRequest, MedicationRequest), recorded ORC-9
// (an instant; else MSH-7, as the EVN Provenance falls back to it), occurred ORC-9, activity ORC-1 (NW CREATE,
// SC UPDATE, OC/CA CANCEL in v3-DataOperation; other order controls give none), agents per repetition: ORC-10
// entered by (enterer), ORC-11 verified by (verifier), ORC-12 ordering provider (author; its first repetition is
// the requester's Practitioner, with ORC-24), ORC-19 action by (performer), each a Practitioner (XCN[Practitioner];
// ReportStream writes these Practitioners too). Written only when one of those names a person (agent is 1..*)
// and a time with a zone is known (recorded is required); the Practitioners only with it.
const CS_V3_DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
def OrderActivity(orc) = match upper(trim(orc.1)) { "NW" => "CREATE" "SC" => "UPDATE" "OC" | "CA" => "CANCEL" _ => null }
def OrderAgents(order) {
  let orc = order.ORC
  return [
    for x in orc.10 where HasPerson(x) => Agent("enterer", PractitionerRef(x)),
    for x in orc.11 where HasPerson(x) => Agent("verifier", PractitionerRef(x)),
    Agent("author", OrderingPractitionerRef(order)) if HasPerson(orc.12),
    for x, i in orc.12 where i > 0 and HasPerson(x) => Agent("author", PractitionerRef(x)),
    for x in orc.19 where HasPerson(x) => Agent("performer", PractitionerRef(x))
  ]
}
def OrderProvenance(order, target) {
  let orc = order.ORC
  let activity = OrderActivity(orc)
  resourceType: "Provenance"
  target[]: target
  recorded: Instant(orc.9) ?? Instant(MSH-7)
  occurredDateTime: datetime(orc.9)
  activity: { coding[]: { system: CS_V3_DATA_OPERATION, code: activity, display: lookup(activity, CS_V3_DATA_OPERATION) } } if activity
  agent[]: OrderAgents(order)
}
def OrderProvenanceEntries(order, key, target) {
  let provenance = OrderProvenance(order, target)
  return if order.ORC and count(provenance.agent) > 0 and provenance.recorded then [
    Entry("Provenance", "order/${key}", provenance),
    for x in order.ORC-10 => PractitionerEntries(x),
    for x in order.ORC-11 => PractitionerEntries(x),
    OrderingPractitionerEntries(order) if HasPerson(order.ORC-12),
    for x, i in order.ORC-12 where i > 0 => PractitionerEntries(x),
    for x in order.ORC-19 => PractitionerEntries(x)
  ] else null
}

// OBR-29 parent (EIP) -> ServiceRequest.basedOn by identifier (IG OBR[ServiceRequest]: basedOn.identifier with
// EIP[Identifier-PlacerAssignedIdentifier] / [Identifier-FillerAssignedIdentifier], type "ServiceRequest"; the parent
// order is not in the message).
def ParentOrderRefs(eip) = [
  { type: "ServiceRequest", identifier: TypedIdentifier(eip.1, "PGN") } if trim(eip.1.1),
  { type: "ServiceRequest", identifier: TypedIdentifier(eip.2, "FGN") } if trim(eip.2.1)
]
