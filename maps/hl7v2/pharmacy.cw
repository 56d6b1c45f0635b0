// hl7v2.pharmacy: RDE^O11/O25 (pharmacy encoded order, refill authorization) and RDS^O13 (pharmacy dispense)
// -> FHIR R4 transaction Bundle.
//
// Patient (PID), Encounter (PV1), Coverage (IN1), AllergyIntolerance (AL1); per ORDER a MedicationRequest
// (IG ORC/RXE[MedicationRequest]; RXO when there is no RXE) and, for RDS, a MedicationDispense (IG
// RXD[MedicationDispense]). The medication is a CodeableConcept (RXE-2 / RXO-1 / RXD-2), not a Medication
// resource as FHIR-Converter writes it (docs/fidelity.md). R4 requires a subject: without a PID, none.

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties

// ORC-5 order status (table 0038) -> MedicationRequest.status (its value set has no "revoked": cancelled).
def MedicationRequestStatus(orc) {
  let s = translate(orc.5, CM_0038_REQUEST_STATUS) ?? translate(orc.1, CM_0119_REQUEST_STATUS)
  return if not s then "unknown" else if s == "revoked" then "cancelled" else s
}

def MedicationRequest(order, withEncounter) {
  let orc = order.ORC
  let rxe = order.RXE
  let rxo = order.RXO
  resourceType: "MedicationRequest"
  identifier[]: TypedIdentifier(orc.2, "PLAC") if orc.2.1
  identifier[]: TypedIdentifier(orc.3, "FILL") if orc.3.1
  identifier[]: { value: trim(rxe.15) } if trim(rxe.15)                   // prescription number
  status: MedicationRequestStatus(orc)
  intent: "order"
  medicationCodeableConcept: CodeableConcept(rxe.2) ?? CodeableConcept(rxo.1)
  subject: PatientRef()
  encounter: Ref("Encounter", 1) if withEncounter
  authoredOn: datetime(orc.9)
  requester: RequesterRef(order)
  dosageInstruction[]: {
    text: rxe.7.2 ?? rxe.7.1
    route: CodeableConcept(order.RXR-1) if order.RXR-1
    doseAndRate[]: { doseQuantity: Quantity(rxe.3, rxe.5) } if is_number(rxe.3)
  }
  dispenseRequest: {
    quantity: Quantity(rxe.10, rxe.11) if is_number(rxe.10)
    numberOfRepeatsAllowed: integer(rxe.12) if is_number(rxe.12)
  }
  substitution: { allowedBoolean: true } if upper(rxe.9) == "G" or upper(rxe.9) == "T"
}

def HasMedication(order) = order.RXE-2.1 or order.RXE-2.2 or order.RXO-1.1 or order.RXO-1.2

def PharmacyHead(withEncounter) = [
  PatientEntry(PID, PD1),
  EncounterEntries(PV1, PV2, null) if withEncounter,
  PersonEntries(withEncounter),
  for order in ORDER => [RequesterEntries(order), for x in order.RXD-10 => PractitionerEntries(x)]
]

def RdeBundle() {
  let withEncounter = HasVisit(PV1)
  ...BundleHead()
  entry[]: PharmacyHead(withEncounter) if PID
  entry[]: for order, i in ORDER where HasMedication(order) and PID =>
    Entry("MedicationRequest", "${i + 1}", MedicationRequest(order, withEncounter))
  entry[]: HeaderEntries(for order, i in ORDER where HasMedication(order) and PID => Ref("MedicationRequest", "${i + 1}"))
}
map RDE_O11 : hl7v2 "RDE^O11" -> fhir "Bundle" { return Unique(RdeBundle()) }
map RDE_O25 : hl7v2 "RDE^O25" -> fhir "Bundle" { return Unique(RdeBundle()) }

// RXD -> MedicationDispense (IG RXD[MedicationDispense]): the dispense is done ("completed").
def MedicationDispense(order, key, withEncounter) {
  let rxd = order.RXD
  resourceType: "MedicationDispense"
  identifier[]: { value: trim(rxd.7) } if trim(rxd.7)                     // prescription number
  status: "completed"
  medicationCodeableConcept: CodeableConcept(rxd.2)
  subject: PatientRef()
  context: Ref("Encounter", 1) if withEncounter
  authorizingPrescription[]: Ref("MedicationRequest", key) if HasMedication(order)
  quantity: Quantity(rxd.4, rxd.5) if is_number(rxd.4)
  whenHandedOver: datetime(rxd.3)
  performer[]: for x in rxd.10 where HasPerson(x) => { actor: PractitionerRefDisplay(x) }
  dosageInstruction[]: { route: CodeableConcept(order.RXR-1) } if order.RXR-1
}

map RDS_O13 : hl7v2 "RDS^O13" -> fhir "Bundle" { return Unique(RdsO13()) }
def RdsO13() {
  let withEncounter = HasVisit(PV1)
  ...BundleHead()
  entry[]: PharmacyHead(withEncounter) if PID
  for order, i in ORDER where PID {
    entry[]: Entry("MedicationRequest", "${i + 1}", MedicationRequest(order, withEncounter)) if HasMedication(order)
    entry[]: Entry("MedicationDispense", "${i + 1}", MedicationDispense(order, "${i + 1}", withEncounter)) if order.RXD-2.1 or order.RXD-2.2
  }
  entry[]: HeaderEntries(for order, i in ORDER where PID and (order.RXD-2.1 or order.RXD-2.2) => Ref("MedicationDispense", "${i + 1}"))
}
