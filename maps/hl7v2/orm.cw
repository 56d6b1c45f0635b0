// hl7v2.orm: ORM^O01 (general order) and OML^O21 (laboratory order) -> FHIR R4 transaction Bundle.
//
// Patient (PID), Encounter (PATIENT_VISIT/PV1), Coverage (INSURANCE/IN1), AllergyIntolerance (AL1), per ORDER
// a ServiceRequest (ORC + OBR), an Observation per OBX of the order (supporting information, linked from
// ServiceRequest.supportingInfo) and, for OML, a Specimen per SPM; MessageHeader and Provenance.

import datatypes   // GAP: "import hl7v2.datatypes" is a syntax error (hl7v2 is a keyword)
import segments   // GAP: "import hl7v2.segments" is a syntax error (hl7v2 is a keyword)
import orders   // GAP: "import hl7v2.orders" is a syntax error (hl7v2 is a keyword)

def OrderRequestEntries(order, key, withEncounter) {
  entry[]: Entry("ServiceRequest", key, ServiceRequest(order, key, withEncounter, true))
  for i in Indices(order.OBSERVATION) {
    let o = order.OBSERVATION[i]
    entry[]: Entry("Observation", ObsKey(key, i), Observation(o.OBX, o.NTE, null, [], withEncounter))
  }
  for i in Indices(order.SPECIMEN) {
    entry[]: Entry("Specimen", SpmKey(key, i), Specimen(order.SPECIMEN[i].SPM))
  }
}

def OrderMessageEntries() {
  let withEncounter = exists(PV1-2) or exists(PV1-19)
  entry[]: PatientEntries(PID, PD1).entry if PID
  entry[]: EncounterEntries(PV1, PV2, false).entry if withEncounter
  entry[]: PersonEntries(withEncounter).entry
  for oi in Indices(ORDER) {
    entry[]: OrderRequestEntries(ORDER[oi], "${oi + 1}", withEncounter).entry
  }
  entry[]: HeaderEntries(for oi in Indices(ORDER) => Ref("ServiceRequest", "${oi + 1}")).entry
}

map ORM_O01 : hl7v2 "ORM^O01" -> fhir "Bundle" {
  resourceType: "Bundle"
  type: "transaction"
  entry[]: OrderMessageEntries().entry
}

map OML_O21 : hl7v2 "OML^O21" -> fhir "Bundle" {
  resourceType: "Bundle"
  type: "transaction"
  entry[]: OrderMessageEntries().entry
}
