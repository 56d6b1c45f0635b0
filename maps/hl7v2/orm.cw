// hl7v2.orm: ORM^O01 (general order), OML^O21 (laboratory order) and OMG^O19 (general clinical order) ->
// FHIR R4 transaction Bundle.
//
// Patient (PID), Encounter (PATIENT_VISIT/PV1), Coverage (INSURANCE/IN1), AllergyIntolerance (AL1), per ORDER
// a ServiceRequest (ORC + OBR; a MedicationRequest for an ORM pharmacy order, ORC + RXO), an Observation per OBX of the order (supporting information, linked from
// ServiceRequest.supportingInfo) and, for OML, a Specimen per SPM; a ChargeItem per FT1 (hl7v2.finance);
// MessageHeader and Provenance.

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.orders
import hl7v2.parties
import hl7v2.results
import hl7v2.pharmacy
import hl7v2.finance

// withReport: a DiagnosticReport per OBR as well, with the order's OBX as its results (OML, OMG: FHIR-Converter
// writes one; the IG's OML_O21 map does not, ReportStream neither; an addition, not a conflict).
// specimenOrderIds: the OBR's Specimen is identified by the order numbers (hl7v2.results ObrSpecimen): ORM and OMG,
// whose IG message maps have no OBR[Specimen]; not OML, whose map has.
// The order's diagnoses (DG1 of ORM ORDER_DETAIL, OML OBSERVATION_REQUEST, OMG ORDER) -> reasonReference to their
// Conditions (IG ORM_O01 / OML_O21: DG1[Condition], ServiceRequest.reasonReference; FHIR-Converter too).
// PersonEntries writes a Condition per DG1 of the message keyed by its position among all of them; in these
// structures every DG1 belongs to an order, so the i-th order's DG1 follow those of the orders before it (when a
// message has DG1 elsewhere, the positions cannot be told and no reference is written).
def OrderDg1s(order) = for d in order.DG1 => d
def OrderConditionRefs(i) {
  let before = count(for o, j in ORDER where j < i => OrderDg1s(o))
  let inOrders = count(for o in ORDER => OrderDg1s(o))
  return if inOrders == count(DG1) then (for dg1, k in OrderDg1s(ORDER[i]) where dg1.3 or dg1.4 => Ref("Condition", before + k + 1))
         else []
}

def OrderRequestEntries(order, key, withEncounter, withReport, reasons, specimenOrderIds) = [
  ServiceRequestEntryFor(key, { ...ServiceRequest(order, key, withEncounter, true), reasonReference[]: reasons }),
  DiagnosticReportEntryFor(key, DiagnosticReport(order.ORC, order.OBR, key, ObsRefs(order, key),
                                                  [ObrSpecimenRefs(order.OBR, key), SpmRefs(order, key)], withEncounter,
                                                  PresentedForms(for o in order.OBSERVATION => o.OBX))) if withReport and order.OBR and PID,
  RequesterEntries(order),
  OrderProvenanceEntries(order, key, Ref("ServiceRequest", key)),
  for o, i in order.OBSERVATION => Entry("Observation", ObsKey(key, i), WithParticipants(Observation(o.OBX, direct(o.NTE), null, [], withEncounter, EdRef(o.OBX, ObsKey(key, i)), Ref("ServiceRequest", key)), o)),
  EdEntries(order, key),
  for o, i in order.OBSERVATION where withReport and PID and IsDocumentResult(o.OBX) =>
    Entry("DiagnosticReport", ObxReportKey(ObsKey(key, i)), ObxReport(o.OBX, [Ref("ServiceRequest", key)], withEncounter)),
  for o in order.OBSERVATION => NoteParties(direct(o.NTE)),
  PriorObservationEntries(order, key, withEncounter),
  NoteParties(OrderNotes(order)),
  ObrSpecimenEntriesWith(order.OBR, key, specimenOrderIds),
  OrderParties(order),
  LooseSpecimenEntries(order, key),
  OrderContextEntries(order, key),
  for s, i in order.SPECIMEN => [SpecimenEntryFor(SpmKey(key, i), SpecimenOf(s, SpmKey(key, i))), SubstanceEntries(s, SpmKey(key, i)), SpecimenParentEntries(s.SPM),
                                 SpecimenObservationEntries(s, SpmKey(key, i), withEncounter),
                                 SpecimenReportEntries(s, SpmKey(key, i), key, withEncounter) if withReport and PID]
]

// A document result (OBX-2 ED / RP) about a specimen (SPECIMEN group OBX, OML / OMG) is a DiagnosticReport of its
// own as well, as those of the order's results are (ObxReport; FHIR-Converter writes it), with the specimen and
// basedOn the order. Keys "<specimen key>/obx/<n>/report", beside the Observation of the same OBX.
def SpecimenReportEntries(specimenGroup, specimenKey, key, withEncounter) =
  for o, k in specimenGroup.OBX where IsDocumentResult(o) =>
    Entry("DiagnosticReport", ObxReportKey("${specimenKey}/obx/${k + 1}"),
          { ...ObxReport(o, [Ref("ServiceRequest", key)], withEncounter), specimen[]: Ref("Specimen", specimenKey) })

// An ORM order whose detail is a pharmacy order (ORDER_DETAIL RXO, no OBR): a MedicationRequest (IG ORM_O01:
// ORC/RXO[MedicationRequest]; FHIR-Converter writes it and no ServiceRequest), with its Medication, requester,
// recorder and the ORC Provenance (hl7v2.pharmacy RxoMedicationRequest).
def IsMedicationOrder(order) = HasCode(order.RXO-1) and not order.OBR
def MedicationOrderEntries(order, key, withEncounter) = [
  MedicationRequestEntryFor(key, RxoMedicationRequest(order, withEncounter, OrderContextRefs(order, key))),
  OrderContextEntries(order, key),
  MedicationEntry(order.RXO-1, order.RXO-5, []),
  RequesterEntries(order),
  RecorderEntries(order),
  RxoDispensingPharmacyEntry(order),
  OrderProvenanceEntries(order, key, Ref("MedicationRequest", key)),
  for o, i in order.OBSERVATION => Entry("Observation", ObsKey(key, i), WithParticipants(Observation(o.OBX, direct(o.NTE), null, [], withEncounter, EdRef(o.OBX, ObsKey(key, i)), Ref("MedicationRequest", key)), o)),
  for o in order.OBSERVATION => [ObservationParties(o.OBX), NoteParties(direct(o.NTE))]
]

def OrderMessageBundle(withReport, specimenOrderIds) {
  let withEncounter = HasVisit(PV1)
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1) if PID
  entry[]: EncounterEntries(PV1, PV2, null) if withEncounter
  entry[]: PersonEntries(withEncounter)
  entry[]: for order, i in ORDER => if IsMedicationOrder(order) and PID then MedicationOrderEntries(order, "${i + 1}", withEncounter)
                                     else OrderRequestEntries(order, "${i + 1}", withEncounter, withReport, OrderConditionRefs(i), specimenOrderIds)
  entry[]: ChargeItemEntries(withEncounter)
  entry[]: HeaderEntries(for order, i in ORDER => if IsMedicationOrder(order) and PID then Ref("MedicationRequest", "${i + 1}")
                                                 else Ref("ServiceRequest", "${i + 1}"))
}

map ORM_O01 : hl7v2 "ORM^O01" -> fhir "Bundle" { return Unique(OrderMessageBundle(false, true)) }
map OML_O21 : hl7v2 "OML^O21" -> fhir "Bundle" { return Unique(OrderMessageBundle(true, false)) }
// OMG^O19 (general clinical order, OMG_O19): the same resources as OML (FHIR-Converter's choice too); the
// order's prior results (PRIOR_RESULT) are Observations, its supporting information (PriorObservationEntries).
map OMG_O19 : hl7v2 "OMG^O19" -> fhir "Bundle" { return Unique(OrderMessageBundle(true, true)) }
