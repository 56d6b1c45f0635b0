// hl7v2.oru: ORU^R01 (unsolicited observation results) -> FHIR R4 transaction Bundle.
//
// Per PATIENT_RESULT: Patient (PID), Encounter (PV1, when present); per ORDER_OBSERVATION: ServiceRequest
// (ORC/OBR; R4 requires its subject, so only with a PID), DiagnosticReport (OBR) with its results, one Observation per OBX (value by OBX-2), NTE as
// Observation.note, Specimen per SPM and an Observation of the specimen per OBX of its SPECIMEN group;
// MessageHeader and Provenance.

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.orders
import hl7v2.parties
import hl7v2.results
import hl7v2.finance

// rkey: the key of the order's results (orders.cw ResultsKey).
def OrderEntries(order, key, withEncounter, rkey) {
  let specimenRefs = SpmRefs(order, key)
  return [
    ServiceRequestEntryFor(key, ServiceRequest(order, key, withEncounter, false)) if PID,
    OrderContextEntries(order, key) if PID,
    LooseSpecimenEntries(order, key),
    RequesterEntries(order) if PID,
    OrderProvenanceEntries(order, key, Ref("ServiceRequest", key)) if PID,
    DiagnosticReportEntryFor(key, DiagnosticReport(order.ORC, order.OBR, key, ObsRefs(order, rkey),
                                                    [ObrSpecimenRefs(order.OBR, key), specimenRefs], withEncounter,
                                                    PresentedForms(for o in order.OBSERVATION => o.OBX))),
    ObrSpecimenEntries(order.OBR, key),
    for o, i in order.OBSERVATION => ObservationEntry(o, ResultKey(rkey, i, o.OBX), order.OBR, specimenRefs, withEncounter, OrderRef(key)),
    EdEntries(order, rkey),
    for o, i in order.OBSERVATION where IsDocumentResult(o.OBX) =>
      Entry("DiagnosticReport", ObxReportKey(ResultKey(rkey, i, o.OBX)), ObxReport(o.OBX, [OrderRef(key)], withEncounter)),
    for o in order.OBSERVATION => NoteParties(direct(o.NTE)),
    NoteParties(OrderNotes(order)) if PID,
    OrderParties(order),
    for s, i in order.SPECIMEN => [SpecimenEntryFor(SpmKey(key, i), SpecimenOf(s, SpmKey(key, i))), SubstanceEntries(s, SpmKey(key, i)), SpecimenParentEntries(s.SPM),
                                   SpecimenObservationEntries(s, SpmKey(key, i), withEncounter)]
  ]
}

map ORU_R01 : hl7v2 "ORU^R01" -> fhir "Bundle" { return Unique(OruR01()) }
def OruR01() {
  ...BundleHead()
  let withEncounter = HasVisit(PV1)
  entry[]: PatientEntry(PID, PD1) if PID
  entry[]: KinEntries() if PID
  entry[]: EncounterEntries(PV1, PV2, null) if withEncounter
  let numbers = OrderNumbers(ORDER_OBSERVATION)
  let unique = NumbersUnique(numbers)
  entry[]: for order, i in ORDER_OBSERVATION => OrderEntries(order, "${i + 1}", withEncounter, ResultsKey(numbers[i], "${i + 1}", unique))
  entry[]: ChargeItemEntries(withEncounter)   // FT1 of the orders (FHIR-Converter; hl7v2.finance)
  entry[]: AccountEntry() if not withEncounter   // the PID-18 account (IG PID[Account]; with a visit, the visit writes it)
  entry[]: HeaderEntries(for order, i in ORDER_OBSERVATION => Ref("DiagnosticReport", "${i + 1}"))
}
