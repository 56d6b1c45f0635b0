// hl7v2.oul: OUL^R22 (specimen oriented), OUL^R23 (specimen and container oriented) and OUL^R24 (order
// oriented) unsolicited laboratory observations -> FHIR R4 transaction Bundle.
//
// The IG has no message map for OUL; the resources are FHIR-Converter's choice and the IG's segment maps:
// Patient (PID), Encounter (PV1), Specimen (SPM), per ORDER a ServiceRequest (OBR/ORC; only with a PID: it
// needs a subject), a DiagnosticReport (OBR) and one Observation per RESULT OBX; MessageHeader, Provenance.

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.orders
import hl7v2.parties
import hl7v2.results

def ResultRefs(order, rkey) = for r, i in order.RESULT => Ref("Observation", ResultKey(rkey, i, r.OBX))

// unique: no two orders of the message share an order number (orders.cw ResultsKey).
def OulOrderEntries(order, key, specimenRefs, withEncounter, unique) =
  OulOrderEntriesWith(order, key, specimenRefs, withEncounter, ResultsKey(if unique then OrderNumberKey(order.ORC, order.OBR) else null, key, unique))
def OulOrderEntriesWith(order, key, specimenRefs, withEncounter, rkey) = [
  ServiceRequestEntryFor(key, ServiceRequest(order, key, withEncounter, false)) if PID,
  OrderContextEntries(order, key) if PID,
  LooseSpecimenEntries(order, key),
  RequesterEntries(order) if PID,
  OrderProvenanceEntries(order, key, Ref("ServiceRequest", key)) if PID,
  OrderParties(order),
  for r in order.RESULT => NoteParties(direct(r.NTE)),
  NoteParties(OrderNotes(order)) if PID,
  DiagnosticReportEntryFor(key, DiagnosticReport(order.ORC, order.OBR, key, ResultRefs(order, rkey),
                                                  [ObrSpecimenRefs(order.OBR, key), specimenRefs], withEncounter,
                                                  PresentedForms(for r in order.RESULT => r.OBX))),
  ObrSpecimenEntriesWith(order.OBR, key, true),
  for r, i in order.RESULT => ObservationEntry(r, ResultKey(rkey, i, r.OBX), order.OBR, specimenRefs, withEncounter, OrderRef(key)),
  for r, i in order.RESULT where IsDocumentResult(r.OBX) =>
    Entry("DiagnosticReport", ObxReportKey(ResultKey(rkey, i, r.OBX)), ObxReport(r.OBX, [OrderRef(key)], withEncounter)),
  for r, i in order.RESULT where upper(r.OBX-2) == "ED" and EdAttachment(r.OBX-5) =>
    Entry("DocumentReference", ResultKey(rkey, i, r.OBX), EdDocument(r.OBX))
]

// R22 and R23: every ORDER belongs to a SPECIMEN (in R23 through a CONTAINER).
// The order numbers of every order under every specimen (one order may repeat under several specimens, and
// then its results are keyed by the message).
def SpecimenOrderNumbers() {
  for s in SPECIMEN { numbers[]: OrderNumbers(s.ORDER) }
}
def SpecimenOrientedBundle() {
  let withEncounter = HasVisit(PV1)
  let unique = NumbersUnique(SpecimenOrderNumbers().numbers ?? [])
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1) if PID
  entry[]: EncounterEntries(PV1, PV2, null) if withEncounter
  entry[]: AccountEntry() if not withEncounter   // the PID-18 account (with a visit, the visit writes it)
  for s, si in SPECIMEN {
    entry[]: [SpecimenEntryFor("spm/${si + 1}", SpecimenOf(s, "spm/${si + 1}")), SubstanceEntries(s, "spm/${si + 1}"), SpecimenParentEntries(s.SPM)]
    entry[]: SpecimenObservationEntries(s, "spm/${si + 1}", withEncounter)
    entry[]: for order, oi in s.ORDER => OulOrderEntries(order, "${si + 1}/${oi + 1}", [Ref("Specimen", "spm/${si + 1}")], withEncounter, unique)
  }
  entry[]: HeaderEntries(for s, si in SPECIMEN => for order, oi in s.ORDER => Ref("DiagnosticReport", "${si + 1}/${oi + 1}"))
}

map OUL_R22 : hl7v2 "OUL^R22" -> fhir "Bundle" { return Unique(SpecimenOrientedBundle()) }
map OUL_R23 : hl7v2 "OUL^R23" -> fhir "Bundle" { return Unique(SpecimenOrientedBundle()) }

// R24: every SPECIMEN belongs to an ORDER.
map OUL_R24 : hl7v2 "OUL^R24" -> fhir "Bundle" { return Unique(OulR24()) }
def OulR24() {
  let withEncounter = HasVisit(PV1)
  let unique = NumbersUnique(OrderNumbers(ORDER))
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1) if PID
  entry[]: EncounterEntries(PV1, PV2, null) if withEncounter
  entry[]: AccountEntry() if not withEncounter   // the PID-18 account (with a visit, the visit writes it)
  for order, oi in ORDER {
    let key = "${oi + 1}"
    entry[]: for s, si in order.SPECIMEN => [SpecimenEntryFor(SpmKey(key, si), SpecimenOf(s, SpmKey(key, si))), SubstanceEntries(s, SpmKey(key, si)), SpecimenParentEntries(s.SPM),
                                             SpecimenObservationEntries(s, SpmKey(key, si), withEncounter)]
    entry[]: OulOrderEntries(order, key, SpmRefs(order, key), withEncounter, unique)
  }
  entry[]: HeaderEntries(for order, oi in ORDER => Ref("DiagnosticReport", "${oi + 1}"))
}
