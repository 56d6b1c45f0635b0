// hl7v2.pharmacy: RDE^O11/O25 (pharmacy encoded order, refill authorization; RDE^O01, its v2.3/2.4 name, as
// O11), RDS^O13 (pharmacy dispense) and RAS^O17 (pharmacy administration) -> FHIR R4 transaction Bundle.
//
// Patient (PID), Encounter (PV1), Coverage (IN1), AllergyIntolerance (AL1); per ORDER a MedicationRequest
// (IG ORC/RXO[MedicationRequest]; RXE when there is one: FHIR-Converter's filler order), for RDS a
// MedicationDispense (IG RXD[MedicationDispense]), for RAS a MedicationAdministration per RXA (IG
// ORC[MedicationAdministration]; the RXA fields as FHIR-Converter's and Google's choice of resource). The
// medication is a Medication resource (IG medication(Medication.code); FHIR-Converter), one entry per drug.
// R4 requires a subject: without a PID, none.

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties
import hl7v2.orders
import hl7v2.results
import hl7v2.finance
import hl7v2.practitioners

// ORC-5 order status (table 0038) -> MedicationRequest.status (its value set has no "revoked": cancelled).
def MedicationRequestStatus(orc) {
  let s = translate(orc.5, CM_0038_REQUEST_STATUS) ?? translate(orc.1, CM_0119_REQUEST_STATUS)
  return if not s then "unknown" else if s == "revoked" then "cancelled" else s
}

// A Medication (IG RXO[MedicationRequest] medication(Medication.code) and doseForm; FHIR-Converter's Medication):
// the drug's code and form and its components (rxcs: RXC segments, Ingredient), content-keyed (parties.cw
// PartyEntry) so that one drug is one entry.
def Medication(code, form, rxcs) {
  resourceType: "Medication"
  code: CodeableConcept(code)
  form: CodeableConcept(form) if HasCode(form)
  ingredient[]: for rxc in rxcs where HasCode(rxc.2) => Ingredient(rxc)
}
def MedicationRef(code, form, rxcs) = if HasCode(code) then PartyRef(Medication(code, form, rxcs)) else null
def MedicationEntry(code, form, rxcs) = if HasCode(code) then [PartyEntry(Medication(code, form, rxcs)), IngredientEntries(rxcs)] else null

// RXC -> Medication.ingredient (FHIR-Converter; the IG has no RXC map): the component RXC-2 is a Medication of
// its own (its amount RXC-3 in RXC-4 units per one), the ingredient's strength RXC-5 in RXC-6 units per RXC-8 in
// RXC-9 units (the component drug strength volume), else per one.
// The units are coded only when the CWE names its coding system (pharmacy units such as "mg/hr" or "BG" are
// no UCUM codes; the unit text is then CWE.2, else CWE.1).
def ComponentQuantity(value, units) {
  value: decimal(value)
  unit: trim(units.2) ?? trim(units.1)
  system: CodingSystem(units.3) if trim(units.1) and trim(units.3)
  code: fhir_code(units.1) if trim(units.3)
}
def IngredientMedication(rxc) {
  resourceType: "Medication"
  code: CodeableConcept(rxc.2)
  amount: { numerator: ComponentQuantity(rxc.3, rxc.4), denominator: { value: 1 } } if is_number(rxc.3)
}
def Ingredient(rxc) {
  itemReference: PartyRef(IngredientMedication(rxc))
  strength: {
    numerator: ComponentQuantity(rxc.5, rxc.6)
    denominator: if is_number(rxc.8) then ComponentQuantity(rxc.8, rxc.9) else { value: 1 }
  } if is_number(rxc.5)
}
def IngredientEntries(rxcs) = for rxc in rxcs where HasCode(rxc.2) => PartyEntry(IngredientMedication(rxc))

// The components of the encoded order's drug: in RDE^O11/O25 the RXC that follow RXE in the ORDER group (RDS and
// RAS put the RXE and its RXC in an ENCODING group, and RDS's own RXC belong to the dispensed drug, RXD).
def EncodedComponents(order) = if upper(trim(MSH-9.1)) == "RDE" then direct(order.RXC) else []
// The ordered drug: RXE-2 (form RXE-6, its components), else RXO-1 (form RXO-5).
def OrderedMedicationRef(order) =
  if HasCode(order.RXE-2) then MedicationRef(order.RXE-2, order.RXE-6, EncodedComponents(order))
  else MedicationRef(order.RXO-1, order.RXO-5, [])
def OrderedMedicationEntry(order) =
  if HasCode(order.RXE-2) then MedicationEntry(order.RXE-2, order.RXE-6, EncodedComponents(order))
  else MedicationEntry(order.RXO-1, order.RXO-5, [])

// The dosing of the encoded order (IG TQ1[MedicationRequest], RXR[MedicationRequest], RXE-19; FHIR-Converter for
// the choices the IG leaves): one dosageInstruction per TQ1 of the order (TIMING_ENCODED, else the ORC's TIMING;
// numbered by sequence), with its timing (results.cw Tq1Timing: TQ1-3 code, period and when, TQ1-4 times, TQ1-5
// offset, TQ1-7/8 bounds, TQ1-13 duration, TQ1-14 count; without a TQ1 timing, ORC-7.4/7.5 as the bounds), the
// dose RXE-3/5 (else TQ1-2), TQ1-10 condition text as additionalInstruction (IG) and asNeeded text
// (FHIR-Converter), RXE-7 (else TQ1-11) as text, RXR-1 route, RXR-2 site, RXR-4 method, RXR-5 routing instruction,
// RXE-19 total daily dose as maxDosePerPeriod per 1 d. Pharmacy units are coded only when the CWE names its
// coding system (ComponentQuantity).
def OrderTimings(order) = if count(order.TIMING_ENCODED) > 0 then (for t in order.TIMING_ENCODED => t.TQ1)
                          else (for t in order.TIMING => t.TQ1)
def OrcTiming(order) {
  let start = datetime(order.ORC-7.4)
  let end = datetime(order.ORC-7.5)
  return if start or end then { repeat: { boundsPeriod: { start: start, end: end } } } else null
}
const UCUM = "http://unitsofmeasure.org"
// The route of the encoded order: in RDE the RXR that follow RXE in the ORDER group (those of ORDER_DETAIL belong to
// RXO), in RDS and RAS the ENCODING group's.
def EncodedRoute(order) = if upper(trim(MSH-9.1)) == "RDE" then first(direct(order.RXR))
                          else first(for e in order.ENCODING => e.RXR)
def Dosage(order, tq1, sequence) {
  let rxe = order.RXE
  let rxr = EncodedRoute(order) ?? order.RXR
  sequence: sequence
  text: rxe.7.2 ?? rxe.7.1 ?? trim(tq1.11)
  additionalInstruction[]: { text: trim(tq1.10) } if trim(tq1.10)
  additionalInstruction[]: CodeableConcept(rxr.5) if HasCode(rxr.5)
  timing: Tq1Timing(tq1) ?? OrcTiming(order)
  asNeededCodeableConcept: { text: trim(tq1.10) } if trim(tq1.10)
  site: CodeableConcept(rxr.2) if HasCode(rxr.2)
  route: CodeableConcept(rxr.1) if rxr.1
  method: CodeableConcept(rxr.4) if HasCode(rxr.4)
  doseAndRate[]: { doseQuantity: Quantity(rxe.3, rxe.5) } if is_number(rxe.3)
  doseAndRate[]: { doseQuantity: ComponentQuantity(tq1.2.1, tq1.2.2) } if is_number(tq1.2.1) and not is_number(rxe.3)
  maxDosePerPeriod: { numerator: ComponentQuantity(rxe.19.1, rxe.19.2),
                      denominator: { value: 1, unit: "d", system: UCUM, code: "d" } } if is_number(rxe.19.1)
}
def Dosages(order) {
  let timings = OrderTimings(order)
  return if count(timings) > 0 then (for tq1, k in timings => Dosage(order, tq1, k + 1)) else [Dosage(order, null, null)]
}

// An order with both an RXO (the placer's order) and an RXE (the pharmacy's encoding of it): two MedicationRequests,
// the RXO one an original-order (IG RXO[MedicationRequest]) that the RXE one (filler-order) is basedOn, each with its
// own Medication, as FHIR-Converter writes them.
// The person who entered the order (MedicationRequest.recorder): ORC-10, else ORC-19 action by, in a role of
// their own, as FHIR-Converter writes it (R4 allows a PractitionerRole), coded in v2-0443 by the field it comes
// from: EP entering provider (ORC-10), IP initiating provider "as in action by" (ORC-19; FHIR-Converter's code).
def Recorder(order) = if HasPerson(order.ORC-10) then order.ORC-10 else if HasPerson(order.ORC-19) then order.ORC-19 else null
def RecorderRole(order) = if HasPerson(order.ORC-10) then "EP" else "IP"
def RecorderRef(order) = if Recorder(order) then RoleRef(Recorder(order), RecorderRole(order)) else null
def RecorderEntries(order) = if Recorder(order) then RoleEntries(Recorder(order), RecorderRole(order)) else null

// The dispensing pharmacy (RXE-40 with its address RXE-41 and phones RXE-45; RXO-32/33/36 on the placer's order;
// v2.7+ fields) -> an Organization, MedicationRequest.dispenseRequest.performer, as FHIR-Converter writes it: the
// CWE's code as identifier (in the namespace its coding system names), its text (else the code) as name, never of
// use home (org-2/3). The IG has no RXE sheet and leaves RXO-32..36 unmapped. Content-keyed (PartyEntry).
def DispensingPharmacy(cwe, address, phones) = if trim(cwe.1) or trim(cwe.2) then {
  resourceType: "Organization"
  identifier[]: { system: "urn:id:${UriText(cwe.3)}" if trim(cwe.3), value: trim(cwe.1) } if trim(cwe.1)
  name: trim(cwe.2) ?? trim(cwe.1)
  telecom[]: for t in ContactPoints(phones) => OrgContactPoint(t)
  address[]: for a in Addresses(address) => OrgAddress(a)
} else null
def RxoDispensingPharmacyEntry(order) = PartyEntry(DispensingPharmacy(order.RXO-32, order.RXO-33, order.RXO-36))
def DispensingPharmacyEntries(order) = [
  PartyEntry(DispensingPharmacy(order.RXE-40, order.RXE-41, order.RXE-45)) if HasMedication(order),
  RxoDispensingPharmacyEntry(order) if HasPlacerAndEncodedOrder(order)
]

// The order's PRT participations as MedicationRequest.supportingInformation (the person's PractitionerRole, else
// the organization; the device), as FHIR-Converter writes them and as ServiceRequest.supportingInfo reads an
// order's PRT (orders.cw): the encoded order takes the ORDER group's own PRT (those after ORC and after RXE: the
// structure puts both directly in ORDER, so they cannot be told apart), the placer's order those and the RXO's
// (ORDER_DETAIL). PatientEntry writes every PRT's entries.
def PrtSupport(prts) = [
  for prt in prts where PrtRef(prt) => PrtRef(prt),
  for prt in prts where PrtDevice(prt) => PartyRef(PrtDevice(prt))
]

def HasPlacerAndEncodedOrder(order) = HasCode(order.RXE-2) and HasCode(order.RXO-1)
def RxoRequestKey(key) = "${key}/rxo"

def MedicationRequest(order, key, withEncounter) {
  let orc = order.ORC
  let rxe = order.RXE
  let rxo = order.RXO
  resourceType: "MedicationRequest"
  identifier[]: TypedIdentifier(orc.2, "PLAC") if orc.2.1
  identifier[]: TypedIdentifier(orc.3, "FILL") if orc.3.1
  identifier[]: { value: trim(rxe.15) } if trim(rxe.15)                   // prescription number
  basedOn[]: Ref("MedicationRequest", RxoRequestKey(key)) if HasPlacerAndEncodedOrder(order)
  status: MedicationRequestStatus(orc)
  intent: if HasCode(rxe.2) then "filler-order" else "original-order"
  medicationReference: OrderedMedicationRef(order)
  subject: PatientRef()
  encounter: Ref("Encounter", 1) if withEncounter
  authoredOn: datetime(orc.9)
  priority: Tq1Priority(first(OrderTimings(order)))   // TQ1-9 (IG TQ1[MedicationRequest]; FHIR-Converter)
  supportingInformation[]: PrtSupport(direct(order.PRT)) if PID
  supportingInformation[]: OrderContextRefs(order, key)   // CTI (orders.cw ResearchStudy)
  requester: RequesterRef(order)
  recorder: RecorderRef(order)
  dosageInstruction[]: Dosages(order)
  dispenseRequest: {
    initialFill: { quantity: ComponentQuantity(rxe.39, rxe.11) } if is_number(rxe.39)   // RXE-39 (FC)
    quantity: Quantity(rxe.10, rxe.11) if is_number(rxe.10)
    numberOfRepeatsAllowed: integer(rxe.12) if integer(rxe.12) >= 0   // unsignedInt
    performer: PartyRef(DispensingPharmacy(rxe.40, rxe.41, rxe.45))
  }
  substitution: { allowedBoolean: true } if upper(rxe.9) == "G" or upper(rxe.9) == "T"
}

// RXO -> the placer's MedicationRequest of an order that RXE also encodes (IG RXO[MedicationRequest]): RXO-1/5
// medication, RXO-2/3 (RXO-4 units) the ordered dose range, RXO-9 substitution (table 0161), RXO-11/12 dispense
// quantity, RXO-13 refills, RXO-14 requester when ORC-12 names nobody (RequesterRef), the ORC's identifiers,
// status and time.
def RxoMedicationRequest(order, withEncounter, studies) {
  let orc = order.ORC
  let rxo = order.RXO
  resourceType: "MedicationRequest"
  identifier[]: TypedIdentifier(orc.2, "PLAC") if orc.2.1
  identifier[]: TypedIdentifier(orc.3, "FILL") if orc.3.1
  status: MedicationRequestStatus(orc)
  intent: "original-order"
  medicationReference: MedicationRef(rxo.1, rxo.5, [])
  subject: PatientRef()
  encounter: Ref("Encounter", 1) if withEncounter
  authoredOn: datetime(orc.9)
  priority: Tq1Priority(first(for t in order.TIMING => t.TQ1))   // the placer's TQ1-9 (IG TQ1[MedicationRequest])
  supportingInformation[]: PrtSupport([...direct(order.PRT), for g in order.ORDER_DETAIL => direct(g.PRT)]) if PID
  supportingInformation[]: studies
  requester: RequesterRef(order)
  recorder: RecorderRef(order)
  // The placer's dosage: RXO-2/3 dose range, the order's TIMING TQ1 (IG TQ1[MedicationRequest]) and RXO-7
  // administration instructions as the patient instruction (FHIR-Converter; the IG's RXO sheet leaves RXO-7 open).
  let placerTiming = Tq1Timing(first(for t in order.TIMING => t.TQ1))
  let instruction = trim(rxo.7.2 ?? rxo.7.1)
  dosageInstruction[]: {
    patientInstruction: instruction
    timing: placerTiming
    doseAndRate[]: {
      type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/dose-rate-type", code: "ordered" } }
      doseRange: { low: ComponentQuantity(rxo.2, rxo.4) if is_number(rxo.2), high: ComponentQuantity(rxo.3, rxo.4) if is_number(rxo.3) }
    } if is_number(rxo.2) or is_number(rxo.3)
  } if is_number(rxo.2) or is_number(rxo.3) or placerTiming or instruction
  dispenseRequest: {
    quantity: ComponentQuantity(rxo.11, rxo.12) if is_number(rxo.11)
    numberOfRepeatsAllowed: integer(rxo.13) if integer(rxo.13) >= 0
    // RXO-28 dispensing interval: HL7 gives it in days (FHIR-Converter writes it so)
    dispenseInterval: { value: decimal(rxo.28), unit: "days", system: "http://unitsofmeasure.org", code: "d" } if is_number(rxo.28)
    performer: PartyRef(DispensingPharmacy(rxo.32, rxo.33, rxo.36))
  }
  substitution: { allowedCodeableConcept: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0161", code: fhir_code(upper(rxo.9)),
                                                        display: lookup(upper(trim(rxo.9)), "http://terminology.hl7.org/CodeSystem/v2-0161") } } } if trim(rxo.9)
}
// A medication order by its order numbers (ORC-2 placer, else ORC-3 filler, with a system), like a
// ServiceRequest: updated by pharmacy order messages (RDE, OMP, ORM), created if absent by dispenses and
// administrations (RDS, RAS), so a pharmacy's encoded order, its changes and what is given under it name one
// MedicationRequest on a FHIR server. (The prescriber's RXO request beside an RXE one, PlacerRequestEntries,
// has the same numbers and stays message-keyed: one transaction may not write one resource twice.)
def MedicationRequestEntryFor(n, resource) =
  KeyedEntry("MedicationRequest", n, resource, OrderSearch(resource.identifier, "PLAC", "FILL"), MessageKindIs(["RDE", "OMP", "ORM"]))
def PlacerRequestEntries(order, key, withEncounter) = if HasPlacerAndEncodedOrder(order) then [
  Entry("MedicationRequest", RxoRequestKey(key), RxoMedicationRequest(order, withEncounter, [])),
  MedicationEntry(order.RXO-1, order.RXO-5, [])
] else null

def HasMedication(order) = HasCode(order.RXE-2) or HasCode(order.RXO-1)

// The order's OBX (RDE, RDS ORDER.OBSERVATION; RAS ADMINISTRATION.OBSERVATION) -> Observations basedOn its
// MedicationRequest (IG OBX[Observation]; FHIR-Converter writes them).
def OrderObservationEntries(order, key, withEncounter) =
  GroupObservationEntries(order.OBSERVATION, key, withEncounter, if HasMedication(order) then Ref("MedicationRequest", key) else null)

def PharmacyHead(withEncounter) = [
  PatientEntry(PID, PD1),
  EncounterEntries(PV1, PV2, null) if withEncounter,
  PersonEntries(withEncounter),
  for order in ORDER => [RequesterEntries(order), RecorderEntries(order), for x in order.RXD-10 => PractitionerEntries(x),
                         DispensingPharmacyEntries(order)],
  ChargeItemEntries(withEncounter)   // FT1 of the orders (FHIR-Converter; hl7v2.finance)
]

def RdeBundle() {
  let withEncounter = HasVisit(PV1)
  ...BundleHead()
  entry[]: PharmacyHead(withEncounter) if PID
  entry[]: for order, i in ORDER where HasMedication(order) and PID =>
    [MedicationRequestEntryFor("${i + 1}", MedicationRequest(order, "${i + 1}", withEncounter)), OrderedMedicationEntry(order),
     PlacerRequestEntries(order, "${i + 1}", withEncounter), OrderContextEntries(order, "${i + 1}"), OrderProvenanceEntries(order, "${i + 1}", Ref("MedicationRequest", "${i + 1}"))]
  entry[]: for order, i in ORDER => OrderObservationEntries(order, "${i + 1}", withEncounter)
  entry[]: HeaderEntries(for order, i in ORDER where HasMedication(order) and PID => Ref("MedicationRequest", "${i + 1}"))
}
map RDE_O11 : hl7v2 "RDE^O11" -> fhir "Bundle" { return Unique(RdeBundle()) }
map RDE_O25 : hl7v2 "RDE^O25" -> fhir "Bundle" { return Unique(RdeBundle()) }
map RDE_O01 : hl7v2 "RDE^O01" -> fhir "Bundle" { return Unique(RdeBundle()) }

// RXD -> MedicationDispense (IG RXD[MedicationDispense]): the dispense is done ("completed"). FHIR-Converter's
// choices beside it: RXD-9 dispense notes as notes, RXD-33 dispense type (table 0484) as type, and the RXR that
// follow RXD (the dispensed drug's route, site, method and routing instruction) as its dosage.
def MedicationDispense(order, key, withEncounter) {
  let rxd = order.RXD
  let rxr = first(direct(order.RXR))
  resourceType: "MedicationDispense"
  identifier[]: { value: trim(rxd.7) } if trim(rxd.7)                     // prescription number
  status: "completed"
  medicationReference: MedicationRef(rxd.2, rxd.6, direct(order.RXC))
  subject: PatientRef() if PID   // optional: none rather than unknown
  context: Ref("Encounter", 1) if withEncounter
  type: CodeableConcept(rxd.33) if HasCode(rxd.33)
  authorizingPrescription[]: Ref("MedicationRequest", key) if HasMedication(order)
  quantity: Quantity(rxd.4, rxd.5) if is_number(rxd.4)
  whenHandedOver: datetime(rxd.3)
  performer[]: for x in rxd.10 where HasPerson(x) => { actor: PractitionerRefDisplay(x) }
  note[]: for n in rxd.9 where trim(n) => { text: trim(n) }
  dosageInstruction[]: {
    route: CodeableConcept(rxr.1) if HasCode(rxr.1)
    site: CodeableConcept(rxr.2) if HasCode(rxr.2)
    method: CodeableConcept(rxr.4) if HasCode(rxr.4)
    additionalInstruction[]: CodeableConcept(rxr.5) if HasCode(rxr.5)
  } if HasCode(rxr.1) or HasCode(rxr.2) or HasCode(rxr.4) or HasCode(rxr.5)
}

map RDS_O13 : hl7v2 "RDS^O13" -> fhir "Bundle" { return Unique(RdsO13()) }
def RdsO13() {
  let withEncounter = HasVisit(PV1)
  ...BundleHead()
  entry[]: PharmacyHead(withEncounter) if PID
  for order, i in ORDER where PID {
    entry[]: [MedicationRequestEntryFor("${i + 1}", MedicationRequest(order, "${i + 1}", withEncounter)), OrderedMedicationEntry(order),
              PlacerRequestEntries(order, "${i + 1}", withEncounter), OrderContextEntries(order, "${i + 1}"), OrderProvenanceEntries(order, "${i + 1}", Ref("MedicationRequest", "${i + 1}"))] if HasMedication(order)
    entry[]: OrderObservationEntries(order, "${i + 1}", withEncounter)
    entry[]: [Entry("MedicationDispense", "${i + 1}", MedicationDispense(order, "${i + 1}", withEncounter)),
              MedicationEntry(order.RXD-2, order.RXD-6, direct(order.RXC))] if HasCode(order.RXD-2)
  }
  entry[]: HeaderEntries(for order, i in ORDER where PID and HasCode(order.RXD-2) => Ref("MedicationDispense", "${i + 1}"))
}

// RXA -> MedicationAdministration (IG ORC[MedicationAdministration]: ORC-2/3 identifiers, ORC-12 performer with
// function OP; RXA-3/4 effective, RXA-5 medication, RXA-6/7 dose, RXA-10 performers, RXA-18 status reason,
// RXA-19 reason, RXA-20/21 status, RXR route, as the IG's RXA[Immunization] reads those fields).
// effective[x] is required: without RXA-3 it is data-absent (IG rule for a required element with no source).
def AdministrationStatus(rxa) =
  if upper(trim(rxa.21)) == "D" then "entered-in-error"
  else match upper(trim(rxa.20)) { "RE" | "NA" => "not-done" "PA" => "stopped" _ => "completed" }
def MedicationAdministration(order, rxa, route, key, withEncounter) {
  let orc = order.ORC
  resourceType: "MedicationAdministration"
  identifier[]: TypedIdentifier(orc.2, "PLAC") if orc.2.1
  identifier[]: TypedIdentifier(orc.3, "FILL") if orc.3.1
  status: AdministrationStatus(rxa)
  statusReason[]: for c in rxa.18 where HasCode(c) => CodeableConcept(c)
  medicationReference: MedicationRef(rxa.5, null, []) if HasCode(rxa.5)
  medicationCodeableConcept: AbsentConcept() if not HasCode(rxa.5)
  subject: PatientRef()
  context: Ref("Encounter", 1) if withEncounter
  let start = datetime(rxa.3)
  let end = datetime(rxa.4)
  effectiveDateTime: start if not end
  effectivePeriod: { start: start, end: end } if end
  "_effectiveDateTime": DataAbsent() if not start and not end   // times that are no times count as none
  performer[]: for x in rxa.10 where HasPerson(x) => { actor: PractitionerRef(x) }
  performer[]: for x in orc.12 where HasPerson(x) => {
    function: { coding[]: { system: CS_V2_0443, code: "OP", display: lookup("OP", CS_V2_0443) } }
    actor: PractitionerRef(x)
  }
  reasonCode[]: for c in rxa.19 where HasCode(c) => CodeableConcept(c)
  request: Ref("MedicationRequest", key) if HasMedication(order)
  note[]: for c in rxa.9 where trim(c.2 ?? c.1) => { text: trim(c.2 ?? c.1) }
  dosage: {
    route: CodeableConcept(route) if HasCode(route)
    dose: Quantity(rxa.6, rxa.7) if is_number(rxa.6) and rxa.6 != "999"   // 999: amount unknown (CDC IIS)
  }
}

map RAS_O17 : hl7v2 "RAS^O17" -> fhir "Bundle" { return Unique(RasO17()) }
def RasO17() {
  let withEncounter = HasVisit(PV1)
  ...BundleHead()
  entry[]: PharmacyHead(withEncounter) if PID
  for order, i in ORDER where PID {
    let key = "${i + 1}"
    entry[]: [MedicationRequestEntryFor(key, MedicationRequest(order, key, withEncounter)), OrderedMedicationEntry(order),
              PlacerRequestEntries(order, key, withEncounter), OrderContextEntries(order, key), OrderProvenanceEntries(order, key, Ref("MedicationRequest", key))] if HasMedication(order)
    entry[]: for a, j in order.ADMINISTRATION => for rxa, k in a.RXA => [
      Entry("MedicationAdministration", "${key}/${j + 1}/${k + 1}", MedicationAdministration(order, rxa, a.RXR-1, key, withEncounter)),
      MedicationEntry(rxa.5, null, []),
      for x in rxa.10 => PractitionerEntries(x),
      for x in order.ORC-12 => PractitionerEntries(x)
    ]
  }
  entry[]: HeaderEntries(for order, i in ORDER where PID => for a, j in order.ADMINISTRATION => for rxa, k in a.RXA =>
                           Ref("MedicationAdministration", "${i + 1}/${j + 1}/${k + 1}"))
}
