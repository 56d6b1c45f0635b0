// hl7v2.results: elements of the results and orders maps (hl7v2.orders) that the IG's OBX/OBR/SPM/NTE maps
// and FHIR-Converter write beyond the core of each resource. Decisions: docs/fidelity.md, "Orders, results
// and the other clinical messages (wave 4)".

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties

const CS_V2_0085 = "http://terminology.hl7.org/CodeSystem/v2-0085"

// The OBX-11 result status as written (v2-0085), beside Observation.status: FHIR-Converter's Observation_Status
// extension (the IG's 0085 -> observation-status map loses I, R, S, N ... to "unknown"), under the URL
// FHIR-Converter writes it with: it is that converter's extension, reproduced, and no definition of ours exists
// (a URL of our own would claim one). Its display and text are FHIR-Converter's labels ("Final", "In Process";
// the seeded ConceptMap fhir-converter-v2-0085-display), as the extension is that converter's alone; a code it
// does not list keeps THO v2-0085's display.
const FC_OBSERVATION_STATUS = "http://example.com/v2-to-fhir-converter/Observation_Status"
const CM_0085_FHIR_CONVERTER_DISPLAY = "https://crosswalk.dev/fhir/ConceptMap/fhir-converter-v2-0085-display"
def ObservationStatusExtension(code) {
  let c = upper(trim(code))
  let display = translate_coding(c, CM_0085_FHIR_CONVERTER_DISPLAY).display ?? lookup(c, CS_V2_0085)
  url: FC_OBSERVATION_STATUS
  valueCodeableConcept: {
    coding[]: { system: CS_V2_0085, code: fhir_code(c), display: display }
    text: display
  }
}

// OBX-21 -> Observation.identifier (IG OBX[Observation]: EI[Identifier], typed FILL as FHIR-Converter types it:
// the instance id is assigned by the filler).
def ObservationInstanceIdentifier(ei) {
  type: { coding[]: { system: V2System("0203"), code: "FILL", display: lookup("FILL", CS_V2_0203) } }
  ...EntityIdentifier(ei)
}

// NTE -> Annotation (IG NTE[Annotation]): NTE-3 the text (repetitions joined by a line break), NTE-5 the author
// (v2.6+; a Practitioner), NTE-6 the time (v2.6+).
def Annotation(nte) {
  authorReference: PractitionerRef(nte.5)
  time: datetime(nte.6)
  text: join(for t in nte.3 => t, "\n")
}

// The ServiceRequest of an order group, which its results are basedOn (IG ORU_R01 / OML_O21: Observation.basedOn);
// the ServiceRequest is written only with a subject (a PID).
def OrderRef(key) = if PID then Ref("ServiceRequest", key) else null

// ---- OBR -> Specimen (IG OBR[Specimen]) ----------------------------------------------------------------------------
// The specimen an OBR is about (v2.5 OBR-7..15, 39), as ReportStream writes it for every OBR beside any SPM
// (the IG's ORU_R01 map lists OBR[Specimen] unconditionally): the report and the order refer to it. An OBR
// that says nothing of it still has one (of the patient, with no details).
// With orderIds, it is also identified by the order numbers it was taken for: OBR-2 (PLAC), OBR-3 (FILL) and the
// OBR-53 alternate placer numbers (PLAC), as FHIR-Converter writes them. The maps ask for them where the IG's
// message map has no OBR[Specimen] and the Specimen is FHIR-Converter's alone (ORM, OMG, OUL, MDM); in ORU and OML
// the IG's OBR[Specimen] decides (OBR-2 is its accessionIdentifier only when the placer number is the accession
// number, which a message does not say) and ReportStream writes none, so there the Specimen has no identifier.
def HasObrSpecimen(obr) = obr and PID
def ObrSpecimenKey(key) = "${key}/obr"
def ObrSpecimenRefs(obr, key) = if HasObrSpecimen(obr) then [Ref("Specimen", ObrSpecimenKey(key))] else []
def ObrSpecimen(obr, orderIds) {
  let sps = obr.15
  resourceType: "Specimen"
  identifier[]: TypedIdentifier(obr.2, "PLAC") if orderIds and trim(obr.2.1)
  identifier[]: TypedIdentifier(obr.3, "FILL") if orderIds and trim(obr.3.1)
  identifier[]: AlternatePlacerIdentifiers(for cx in obr.53 => cx) if orderIds
  type: CodeableConcept(sps.1) if sps.1.1 or sps.1.2    // SPS.1 specimen source name or code
  subject: PatientRef() if PID
  receivedTime: datetime(obr.14)
  collection: {
    collector: PractitionerRef(first(obr.10))
    collectedDateTime: datetime(obr.7) if not obr.8
    collectedPeriod: { start: datetime(obr.7), end: datetime(obr.8) } if obr.8
    quantity: Quantity(obr.9.1, obr.9.2) if is_number(obr.9.1)
    bodySite: CodeableConcept(sps.4) if sps.4.1 or sps.4.2
  }
  container[]: { additiveCodeableConcept: CodeableConcept(sps.2) } if sps.2.1 or sps.2.2
  condition[]: CodeableConcept(sps.6) if sps.6.1 or sps.6.2      // SPS.6 collection modifier
  note[]: { text: trim(sps.3) } if trim(sps.3)                     // SPS.3 specimen collection method (text)
  note[]: for c in obr.39 where c.1 or c.2 => { text: trim(join([c.1, c.2], ", ")) }
}
def ObrSpecimenEntries(obr, key) = ObrSpecimenEntriesWith(obr, key, false)
def ObrSpecimenEntriesWith(obr, key, orderIds) = [
  Entry("Specimen", ObrSpecimenKey(key), ObrSpecimen(obr, orderIds)) if HasObrSpecimen(obr),
  PractitionerEntries(first(obr.10)) if HasObrSpecimen(obr)
]

// OBX ED (base64) and RP values as the report's presented forms (FHIR-Converter's DiagnosticReport.presentedForm).
// RP.1 is a pointer: only a URI is an Attachment.url.
def RpAttachment(rp) {
  contentType: MimeType(rp.3, rp.4)
  url: trim(rp.1)
}
def PresentedForms(obxs) = [
  for obx in obxs where upper(obx.2) == "ED" and upper(obx.5.4) == "BASE64" and IsBase64(obx.5.5) => EdAttachment(obx.5),
  for obx in obxs where upper(obx.2) == "RP" and contains(trim(obx.5.1), ":") and not contains(trim(obx.5.1), " ") => RpAttachment(obx.5)
]

// ORC-4 placer group number: typed PGN, and FGN as the IG's ORC[ServiceRequest] also types it (ReportStream
// writes both). ORC-33 / OBR-53 (v2.7+) alternate placer order numbers (cxs: the field's repetitions): PLAC
// identifiers with the CX check digit.
def GroupIdentifiers(orc) = if orc.4.1 then [TypedIdentifier(orc.4, "PGN"), TypedIdentifier(orc.4, "FGN")] else []
def AlternatePlacerIdentifiers(cxs) = for cx in cxs where trim(cx.1) => {
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/identifier-checkDigit", valueString: trim(cx.2) } if trim(cx.2)
  type: { coding[]: { system: V2System("0203"), code: "PLAC", display: lookup("PLAC", CS_V2_0203) } }
  value: trim(cx.1)
}

// ---- SPM helpers ----------------------------------------------------------------------------------------------------
// EIP -> identifiers (IG EIP[Identifier-PlacerAssignedIdentifier] / [Identifier-FillerAssignedIdentifier]): typed
// PGN (placer) and FGN (filler) as the IG's EIP sheets assign them, and as FHIR-Converter and ReportStream type
// SPM-2 and SPM-3.
def HasEip(eip) = trim(eip.1.1) or trim(eip.2.1)
def EipIdentifiers(eip) = [
  TypedIdentifier(eip.1, "PGN") if trim(eip.1.1),
  TypedIdentifier(eip.2, "FGN") if trim(eip.2.1)
]
// SPM-3 parent specimen: a Specimen known by its ids alone (IG SPM[Specimen] parent(Specimen.identifier)),
// content-keyed (parties.cw PartyEntry) so that specimens sharing a parent refer to one entry.
def SpecimenParent(eip) {
  resourceType: "Specimen"
  identifier[]: EipIdentifiers(eip)
  subject: PatientRef() if PID
}
def SpecimenParentEntries(spm) = for eip in spm.3 where HasEip(eip) => PartyEntry(SpecimenParent(eip))

// The Practitioners that NTE-5 names (Annotation.authorReference).
def HasNoteText(nte) = trim(join(for t in nte.3 => t, ""))
def NoteParties(notes) = for nte in notes where HasNoteText(nte) => PractitionerEntries(nte.5)

// A repeating numeric or coded OBX-5: one Observation.component per repetition, each with the OBX-3 code and
// the OBX-7 range (FHIR-Converter; one Observation value cannot hold several). Text repetitions stay one
// string (lines), as the IG's ST/TX/FT maps join them.
def ComponentValueType(vt) = vt == "NM" or vt == "CWE" or vt == "CE" or vt == "CNE" or vt == "CF"
def HasComponentValues(obx) = ComponentValueType(upper(obx.2)) and count(for v in obx.5 where trim(v.1 ?? v) => v) > 1

// ---- TQ1 -> ServiceRequest timing ------------------------------------------------------------------------------
// TQ1 (the order's first) -> occurrenceTiming and the request's quantity, priority, condition and instruction (IG
// TQ1[ServiceRequest], RPT[Timing]; FHIR-Converter where the IG differs: TQ1-14 as repeat.count, the exact number
// of occurrences, and TQ1-6 as repeat.boundsDuration). Units are FHIR's units of time (s, min, h, d, wk, mo, a);
// a value in a unit that is none of them is not written (tim-1/tim-2, drt-1). timeOfDay and when exclude each other
// (tim-10): TQ1-4's explicit times win over the RPT.8 event; an offset is relative to that event (tim-9: none
// without it).
const CM_0485_REQUEST_PRIORITY = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70485-to-request-priority"
// RPT.8 event (table 0335) -> repeat.when when it is one of FHIR's EventTiming codes (AC, PC, HS, ...).
def EventTiming(code) = if contains(["MORN", "NOON", "AFT", "EVE", "NIGHT", "PHS", "HS", "WAKE", "C", "CM", "CD", "CV",
                                     "AC", "ACM", "ACD", "ACV", "PC", "PCM", "PCD", "PCV"], upper(trim(code)))
                        then upper(trim(code)) else null
def TimeUnit(code) = match lower(trim(code)) {
  "s" | "sec" => "s" "min" => "min" "h" | "hr" => "h" "d" => "d" "wk" => "wk" "mo" => "mo" "a" | "yr" => "a" _ => null
}
def Minutes(n, unit) = if is_number(trim(n)) then (match TimeUnit(unit) {
  "min" => integer(n) "h" => integer(n) * 60 "d" => integer(n) * 1440 "wk" => integer(n) * 10080 _ => null
}) else null
def HasTiming(tq1) = tq1.3 or tq1.4 or tq1.5 or tq1.6 or tq1.7 or tq1.8 or tq1.13 or tq1.14
// RPT.1 repeat pattern code (CWE of table 0335): a code sent without its coding system is read in table 0335 when
// the table has it (the field's binding; FHIR-Converter writes it so), with the table's display; otherwise as
// any CWE.
const CS_V2_0335 = "http://terminology.hl7.org/CodeSystem/v2-0335"
def RepeatPattern(cwe) {
  let inTable = not trim(cwe.3) and trim(cwe.1) and lookup(trim(cwe.1), CS_V2_0335)
  coding[]: (if inTable then CodingOf(cwe.1, cwe.2 ?? lookup(trim(cwe.1), CS_V2_0335), "HL70335", cwe.7)
             else CodingOf(cwe.1, cwe.2, cwe.3, cwe.7)) if cwe.1
  coding[]: CodingOf(cwe.4, cwe.5, cwe.6, cwe.8) if cwe.4
  coding[]: CodingOf(cwe.10, cwe.11, cwe.12, cwe.13) if cwe.10
  text: trim(cwe.9 ?? (if not cwe.1 then cwe.2 else null))
}
def Tq1Timing(tq1) = if HasTiming(tq1) then {
  let rpt = tq1.3
  let offset = Minutes(rpt.9, rpt.10.1) ?? Minutes(tq1.5.1, tq1.5.2.1)
  let when = if count(for t in tq1.4 where Time(t) => t) == 0 then EventTiming(rpt.8) else null
  code: RepeatPattern(rpt.1) if rpt.1
  repeat: {
    boundsDuration: { value: decimal(tq1.6.1), unit: trim(tq1.6.2.2) ?? TimeUnit(tq1.6.2.1), system: "http://unitsofmeasure.org",
                      code: TimeUnit(tq1.6.2.1) } if is_number(tq1.6.1) and TimeUnit(tq1.6.2.1) and not tq1.7 and not tq1.8
    boundsPeriod: { start: datetime(tq1.7), end: datetime(tq1.8) } if tq1.7 or tq1.8
    count: integer(tq1.14) if integer(tq1.14) and integer(tq1.14) > 0
    // tim-4, tim-5: duration and period are not negative
    duration: decimal(tq1.13.1) if decimal(tq1.13.1) >= 0 and TimeUnit(tq1.13.2.1)
    durationUnit: TimeUnit(tq1.13.2.1) if decimal(tq1.13.1) >= 0 and TimeUnit(tq1.13.2.1)
    period: decimal(rpt.5) if decimal(rpt.5) >= 0 and TimeUnit(rpt.6.1)
    periodUnit: TimeUnit(rpt.6.1) if decimal(rpt.5) >= 0 and TimeUnit(rpt.6.1)
    timeOfDay[]: for t in tq1.4 where Time(t) => Time(t)
    when[]: when
    offset: offset if when and offset != null and offset >= 0
  }
} else null
def Tq1Priority(tq1) = translate(tq1.9.1, CM_0485_REQUEST_PRIORITY)
