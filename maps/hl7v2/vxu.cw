// hl7v2.vxu: VXU^V04 (vaccination record update) -> FHIR R4 transaction Bundle.
//
// Patient (PID), RelatedPerson (NK1), per ORDER an Immunization (RXA + RXR, IG RXA[Immunization]) with its
// administering Practitioner (RXA-10) and the order's OBX as Observations (partOf the Immunization); the ORC
// as a ServiceRequest.

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.orders
import hl7v2.results
import hl7v2.parties
import hl7v2.places

// RXA-17 (substance manufacturer, CWE; table 0227, MVX) -> Organization (IG RXA[Immunization]:
// manufacturer(Organization)): the code as its identifier in the coding system's URI, the name as its name.
def ManufacturerOrganization(cwe) = if trim(cwe.1) or trim(cwe.2) then {
  resourceType: "Organization"
  identifier[]: { system: CodingSystem(cwe.3), value: trim(cwe.1) } if trim(cwe.1)
  name: trim(cwe.2)
} else null

def Immunization(order, key) {
  let rxa = order.RXA
  let rxr = order.RXR
  resourceType: "Immunization"
  identifier[]: TypedIdentifier(order.ORC-2, "PLAC") if order.ORC-2.1
  identifier[]: TypedIdentifier(order.ORC-3, "FILL") if order.ORC-3.1
  status: if rxa.21 == "D" then "entered-in-error"
          else translate(rxa.20, CM_0322_EVENT_STATUS) ?? "completed"
  statusReason: CodeableConcept(rxa.18) if rxa.18
  vaccineCode: CodeableConcept(rxa.5) ?? AbsentConcept()
  patient: PatientRef()
  encounter: Ref("Encounter", 1) if PID and HasVisit(PV1)   // IG VXU_V04: PV1 -> Encounter, the visit of every dose
  occurrenceDateTime: datetime(rxa.3)
  occurrenceString: trim(rxa.3) if not datetime(rxa.3)   // R4 requires occurrence[x]: the text when it is no date
  recorded: datetime(rxa.22)
  primarySource: (rxa.9.1 == "00") if rxa.9.1
  reportOrigin: CodeableConcept(rxa.9) if rxa.9.1 and rxa.9.1 != "00"
  lotNumber: rxa.15
  expirationDate: date(rxa.16)
  let manufacturer = ManufacturerOrganization(rxa.17)
  manufacturer: { ...PartyRef(manufacturer), display: trim(rxa.17.2) ?? trim(rxa.17.1) } if manufacturer
  doseQuantity: Quantity(rxa.6, rxa.7) if rxa.6 and rxa.6 != "999"
  route: CodeableConcept(rxr.1) if rxr.1
  site: CodeableConcept(rxr.2) if rxr.2
  performer[]: {
    function: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0443", code: "AP", display: "Administering Provider" } }
    actor: PractitionerRef(rxa.10)
  } if HasPerson(rxa.10)
  performer[]: {
    function: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0443", code: "OP", display: "Ordering Provider" } }
    actor: PractitionerRefDisplay(order.ORC-12)
  } if HasPerson(order.ORC-12)
  location: { display: rxa.11.4.1 ?? rxa.11.1 } if rxa.11
  location: RxaLocationRef(rxa) if RxaLocationRef(rxa).reference   // RXA-27 (IG) over the RXA-11 text
}

map VXU_V04 : hl7v2 "VXU^V04" -> fhir "Bundle" { return Unique(VxuV04()) }
def VxuV04() {
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1)
  entry[]: EncounterEntries(PV1, PV2, null) if PID and HasVisit(PV1)
  entry[]: PersonEntries(PID and HasVisit(PV1))
  let numbers = OrderNumbers(ORDER)   // ORC-3, else ORC-2 (a VXU order has no OBR)
  let unique = NumbersUnique(numbers)
  for order, oi in ORDER {
    let key = "${oi + 1}"
    let rkey = ResultsKey(numbers[oi], key, unique)   // the order's Observations: across messages (orders.cw)
    entry[]: ImmunizationEntryFor(key, Immunization(order, key))
    entry[]: PractitionerEntries(order.RXA-10)
    entry[]: PartyEntry(ManufacturerOrganization(order.RXA-17))
    entry[]: PractitionerEntries(order.ORC-12)
    entry[]: RxaLocationEntries(order.RXA)
    // The ORC (with its TQ1) as the order of the dose: a ServiceRequest (ORC-2/3 identifiers, ORC-12 requester,
    // TQ1 timing, quantity, priority and instructions; hl7v2.orders ServiceRequest), as FHIR-Converter writes it.
    // The IG's VXU_V04 map reads the ORC into the Immunization only; R4 Immunization has no basedOn to link them.
    entry[]: [ServiceRequestEntryFor(key, ServiceRequest(order, key, PID and HasVisit(PV1), false)), OrderContextEntries(order, key),
              RequesterEntries(order)] if order.ORC and PID
    // The order's OBX: Observations partOf the Immunization (IG VXU_V04 OBX[Observation]), read as every other
    // result (hl7v2.orders Observation: value by OBX-2, status extension, interpretation, method, performers,
    // PRT participants), basedOn the order's ServiceRequest (FHIR-Converter).
    for o, i in order.OBSERVATION {
      entry[]: Entry("Observation", ResultKey(rkey, i, o.OBX),
                     WithParticipants({ ...Observation(o.OBX, direct(o.NTE), null, [], PID and HasVisit(PV1), null,
                                                       if order.ORC and PID then Ref("ServiceRequest", key) else null),
                                        partOf[]: Ref("Immunization", key) }, o))
      entry[]: [ObservationParties(o.OBX), NoteParties(direct(o.NTE))]
    }
  }
  entry[]: HeaderEntries(for order, oi in ORDER => Ref("Immunization", "${oi + 1}"))
}
