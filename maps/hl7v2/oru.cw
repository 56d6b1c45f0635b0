// hl7v2.oru: ORU^R01 (unsolicited observation results) -> FHIR R4 transaction Bundle.
//
// Per PATIENT_RESULT: Patient (PID), Encounter (PV1, when present); per ORDER_OBSERVATION: ServiceRequest
// (ORC/OBR), DiagnosticReport (OBR) with its results, one Observation per OBX (value by OBX-2), NTE as
// Observation.note, Specimen per SPM; MessageHeader and Provenance.

import datatypes   // GAP: "import hl7v2.datatypes" is a syntax error (hl7v2 is a keyword)
import segments   // GAP: "import hl7v2.segments" is a syntax error (hl7v2 is a keyword)
import orders   // GAP: "import hl7v2.orders" is a syntax error (hl7v2 is a keyword)

def OrderEntries(order, key, withEncounter) {
  let specimenRefs = SpmRefs(order, key)
  entry[]: Entry("ServiceRequest", key, ServiceRequest(order, key, withEncounter, false))
  entry[]: Entry("DiagnosticReport", key, DiagnosticReport(order.ORC, order.OBR, key, ObsRefs(order, key), specimenRefs, withEncounter))
  for i in Indices(order.OBSERVATION) {
    let o = order.OBSERVATION[i]
    entry[]: Entry("Observation", ObsKey(key, i), Observation(o.OBX, o.NTE, order.OBR, specimenRefs, withEncounter))
  }
  for i in Indices(order.SPECIMEN) {
    entry[]: Entry("Specimen", SpmKey(key, i), Specimen(order.SPECIMEN[i].SPM))
  }
}

map ORU_R01 : hl7v2 "ORU^R01" -> fhir "Bundle" {
  resourceType: "Bundle"
  type: "transaction"
  let withEncounter = exists(PV1-2) or exists(PV1-19)
  entry[]: PatientEntries(PID, PD1).entry if PID
  entry[]: EncounterEntries(PV1, PV2, false).entry if withEncounter
  for oi in Indices(ORDER_OBSERVATION) {
    entry[]: OrderEntries(ORDER_OBSERVATION[oi], "${oi + 1}", withEncounter).entry
  }
  entry[]: HeaderEntries(for oi in Indices(ORDER_OBSERVATION) => Ref("DiagnosticReport", "${oi + 1}")).entry
}
