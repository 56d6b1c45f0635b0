// fhir.to-oru: FHIR R4 laboratory results -> HL7 v2.5.1 ORU^R01 (ER7).
//
// Inputs (the runtime picks the map by resourceType):
//  - Bundle (type collection, the shape most senders use and the FHIR examples Bundle-lipids/-report use):
//    each DiagnosticReport gives an OBR, the Observations its `result` references (resolved by fullUrl, by
//    "Type/id" or by a fullUrl ending in "/Type/id") give one OBX each, in `result` order; a Bundle without a
//    DiagnosticReport gives one OBR per Observation, and so does each Observation no report lists. The Patient the first report's subject points at gives
//    PID. Transaction Bundles (what hl7v2-to-fhir writes) work the same way.
//  - DiagnosticReport with contained Observations (result "#id") and optionally a contained Patient.
//  - a single Observation: OBR from the Observation's own code, one OBX.
//
// MSH-10 (control id) is the input's id (Bundle.id, else the report's or observation's id); MSH-7 is now(),
// which the host sets (crosswalk run --now): the map never reads the clock, so the same input and --now give
// the same bytes. Codes: FHIR gender -> v2 0001 through the seeded cm-administrative-gender-v2; the status
// and interpretation tables have no seeded FHIR -> v2 ConceptMap (maps/terminology/CONCEPTMAPS.md), so they
// are a match here (v3 ObservationInterpretation codes are v2 table 0078 codes and pass through).

const GENDER_TO_V2 = "http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2"
const UCUM = "http://unitsofmeasure.org"

// ---- FHIR -> v2 datatypes ----------------------------------------------------------------------------

// A FHIR system URI -> HL7 table 0396 coding-system name (the reverse of hl7v2.datatypes CodingSystem).
def SystemName(system) = match system {
  "http://loinc.org" => "LN"
  "http://snomed.info/sct" => "SCT"
  "http://unitsofmeasure.org" => "UCUM"
  "http://hl7.org/fhir/sid/cvx" => "CVX"
  "http://www.nlm.nih.gov/research/umls/rxnorm" => "RXN"
  "http://hl7.org/fhir/sid/icd-10-cm" => "I10"
  "http://www.ama-assn.org/go/cpt" => "C4"
  _ => if starts_with(system, "http://terminology.hl7.org/CodeSystem/v2-") then "HL7${substring(system, 42)}"
       else if starts_with(system, "urn:id:") then substring(system, 7)
       else system
}

// CodeableConcept -> CWE: the first coding in triplet 1, the second in triplet 2 (CWE.4-6), text in CWE.9.
def Cwe(cc) {
  1: cc.coding[0].code
  2: cc.coding[0].display ?? (if cc.coding[0].code then cc.text else null)
  3: SystemName(cc.coding[0].system)
  7: cc.coding[0].version
  4: cc.coding[1].code
  5: cc.coding[1].display
  6: SystemName(cc.coding[1].system)
  9: cc.text
}

// Identifier -> CX: value, assigning authority (an OID as HD.2/HD.3 "ISO", other systems as HD.1), type.
def Cx(id) {
  1: id.value
  4: if starts_with(id.system, "urn:oid:") then { 2: substring(id.system, 8), 3: "ISO" } else { 1: id.system }
  5: id.type.coding[0].code
}

// Quantity unit -> CWE units (UCUM code in CWE.1 with "UCUM", else the printed unit).
def Units(q) {
  1: if q.system == UCUM then q.code ?? q.unit else q.unit ?? q.code
  2: q.unit if q.system == UCUM and q.unit != q.code
  3: "UCUM" if q.system == UCUM
}

// ---- resolving references ----------------------------------------------------------------------------

def InBundle(bundle, ref) = first(for e in bundle.entry
                                  where e.fullUrl == ref.reference
                                     or "${e.resource.resourceType}/${e.resource.id}" == ref.reference
                                     or ends_with(e.fullUrl, "/${ref.reference}") => e.resource)
def Contained(res, ref) = first(for c in res.contained where "#${c.id}" == ref.reference => c)

// ---- segments ------------------------------------------------------------------------------------------

def Msh(controlId) {
  id: "MSH"
  3: "CROSSWALK"
  7: hl7_dtm(now())
  9: { 1: "ORU", 2: "R01", 3: "ORU_R01" }
  10: controlId
  11: "P"
  12: "2.5.1"
}

// PID from the Patient resource when the input has it, else from the subject reference alone.
def Pid(patient, subject) {
  id: "PID"
  1: "1"
  3: (for i in patient.identifier where i.value => Cx(i))
     ?? { 1: subject.identifier.value ?? patient.id ?? last(split(subject.reference, "/")) }
  5: (for n in patient.name => { 1: n.family, 2: n.given[0], 3: n.given[1], 5: n.prefix[0], 4: n.suffix[0] })
     ?? { 1: subject.display }
  7: hl7_dtm(patient.birthDate)
  8: translate(patient.gender, GENDER_TO_V2)
}

// FHIR DiagnosticReport.status -> v2 0123 (OBR-25).
def ReportStatus(s) = match s {
  "registered" => "O"  "partial" => "A"  "preliminary" => "P"  "final" => "F"
  "amended" => "C"  "corrected" => "C"  "appended" => "C"  "cancelled" => "X"  "entered-in-error" => "X"
  _ => null
}

// FHIR Observation.status -> v2 0085 (OBX-11).
def ObservationStatus(s) = match s {
  "registered" => "I"  "preliminary" => "P"  "final" => "F"  "amended" => "C"  "corrected" => "C"
  "cancelled" => "X"  "entered-in-error" => "W"
  _ => null
}

// OBR from a DiagnosticReport (or, for a lone Observation, from the Observation: `report` is then the
// Observation and its code is the ordered test).
def Obr(report, n) {
  id: "OBR"
  1: string(n)
  2: first(for i in report.basedOn => i.identifier.value)
  3: report.identifier[0].value ?? report.id
  4: Cwe(report.code)
  7: hl7_dtm(report.effectiveDateTime ?? report.effectivePeriod.start)
  8: hl7_dtm(report.effectivePeriod.end)
  22: hl7_dtm(report.issued)
  24: first(for cat in report.category => for c in cat.coding where c.system == "http://terminology.hl7.org/CodeSystem/v2-0074" => c.code)
  25: ReportStatus(report.status) ?? ObservationStatus(report.status)
}

// OBX-7 from a reference range: its text, else "low-high", ">=low", "<=high".
def RangeText(rr) =
  rr.text
  ?? (if exists(rr.low.value) and exists(rr.high.value) then "${string(rr.low.value)}-${string(rr.high.value)}"
      else if exists(rr.low.value) then ">=${string(rr.low.value)}"
      else if exists(rr.high.value) then "<=${string(rr.high.value)}" else null)

// OBX-2 by value[x]: NM (Quantity, integer), ST (string, boolean as Y/N), CWE (CodeableConcept),
// DTM (dateTime, instant), SN (Range as "low-high"); absent when the Observation has no value.
def ValueType(o) =
  if o.valueQuantity then "NM"
  else if exists(o.valueInteger) then "NM"
  else if o.valueCodeableConcept then "CWE"
  else if o.valueDateTime or o.valueInstant then "DTM"
  else if o.valueRange then "SN"
  else if exists(o.valueString) or exists(o.valueBoolean) then "ST"
  else null

def Obx(o, n) {
  let vt = ValueType(o)
  id: "OBX"
  1: string(n)
  2: vt
  3: Cwe(o.code)
  5: if vt == "NM" then string(o.valueQuantity.value ?? o.valueInteger)
     else if vt == "CWE" then Cwe(o.valueCodeableConcept)
     else if vt == "DTM" then hl7_dtm(o.valueDateTime ?? o.valueInstant)
     else if vt == "SN" then { 2: string(o.valueRange.low.value), 3: "-", 4: string(o.valueRange.high.value) }
     else if exists(o.valueBoolean) then (if o.valueBoolean then "Y" else "N")
     else o.valueString
  6: Units(o.valueQuantity ?? o.valueRange.low) if o.valueQuantity.unit or o.valueQuantity.code or o.valueRange.low.unit
  7: RangeText(o.referenceRange[0])
  8: for i in o.interpretation where i.coding[0].code => i.coding[0].code
  11: ObservationStatus(o.status) ?? "F"
  14: hl7_dtm(o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod.start)
  17: Cwe(o.method)
  19: hl7_dtm(o.issued)
}

// NTE per Annotation (notes of an Observation or of a report's conclusion).
def Ntes(notes) = for note, i in notes where note.text => { id: "NTE", 1: string(i + 1), 3: note.text }

// One OBX (+ its NTEs) per Observation, numbered from 1.
def Results(observations) = for o, i in observations => [Obx(o, i + 1), Ntes(o.note)]

// ---- maps ------------------------------------------------------------------------------------------------

map BundleToOru : fhir "Bundle" -> hl7v2 "ORU^R01" {
  let reports = for e in Bundle.entry where e.resource.resourceType == "DiagnosticReport" => e.resource
  let all = for e in Bundle.entry where e.resource.resourceType == "Observation" => e.resource
  let subject = reports[0].subject ?? all[0].subject
  fail "the Bundle has no DiagnosticReport and no Observation" if not reports and not all
  // The control id: the Bundle's id or identifier, else the first report's, else the first entry's uuid.
  segments[]: Msh(Bundle.id ?? Bundle.identifier.value ?? reports[0].id ?? reports[0].identifier[0].value
                  ?? all[0].id ?? last(split(Bundle.entry[0].fullUrl, ":")))
  segments[]: Pid(InBundle(Bundle, subject), subject)
  // One OBR per DiagnosticReport with the OBX of its results; without reports, one OBR per Observation.
  segments[]: for report, i in reports => [
    Obr(report, i + 1),
    Ntes(if report.conclusion then [{ text: report.conclusion }] else []),
    Results(for r in report.result => InBundle(Bundle, r))
  ]
  segments[]: for o, i in all => [Obr(o, i + 1), Obx(o, 1), Ntes(o.note)] if not reports
  // An Observation no report lists (an observation of a specimen, a lone result) gets an OBR of its own, as in a
  // Bundle without reports: no Observation of the Bundle is left out.
  let listed = for report in reports => for r in report.result => r.reference
  segments[]: for o, i in (for e in Bundle.entry where e.resource.resourceType == "Observation" and not Listed(e, listed)
                           => e.resource)
              => [Obr(o, count(reports) + i + 1), Obx(o, 1), Ntes(o.note)] if reports
}

// Whether a report's `result` lists this entry's Observation: by its fullUrl or as "Observation/<id>".
def Listed(entry, listed) = contains(listed, entry.fullUrl) or contains(listed, "Observation/${entry.resource.id}")

map DiagnosticReportToOru : fhir "DiagnosticReport" -> hl7v2 "ORU^R01" {
  segments[]: Msh(DiagnosticReport.id)
  segments[]: Pid(Contained(DiagnosticReport, DiagnosticReport.subject), DiagnosticReport.subject)
  segments[]: Obr(DiagnosticReport, 1)
  segments[]: Ntes(if DiagnosticReport.conclusion then [{ text: DiagnosticReport.conclusion }] else [])
  segments[]: Results(for r in DiagnosticReport.result => Contained(DiagnosticReport, r))
}

map ObservationToOru : fhir "Observation" -> hl7v2 "ORU^R01" {
  segments[]: Msh(Observation.id)
  segments[]: Pid(Contained(Observation, Observation.subject), Observation.subject)
  segments[]: Obr(Observation, 1)
  segments[]: Obx(Observation, 1)
  segments[]: Ntes(Observation.note)
}
