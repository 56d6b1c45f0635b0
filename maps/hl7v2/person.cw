// hl7v2.person: the patient and the people around them (PID, PD1, NK1, GT1, IN1/IN2) -> the parts of
// Patient and RelatedPerson that hl7v2.segments assembles.
//
// Follows the HL7 V2-to-FHIR IG's PID[Patient] and NK1[RelatedPerson] rows; where the IG is silent and
// FHIR-Converter writes a standard FHIR extension (PD1-14 congregation, PV1-16 importance), that is followed.
// The decisions, and the differences from the converters that remain, are in docs/fidelity.md ("The patient,
// related people and the envelope").

import hl7v2.datatypes
import hl7v2.parties

const CM_0006_RELIGIOUS_AFFILIATION = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70006-to-v3-religiousaffiliation"
const FHIR_EXT = "http://hl7.org/fhir/StructureDefinition"

// ---- identifiers -----------------------------------------------------------------------------------------

// The system of an identifier whose assigning authority (CX.4) has no universal id usable as a URI: a
// universal id of a type with no URI form (HCD, L, DNS, ...: parties.cw HasLocalIdType) names its system
// after the type, urn:id:<HD.3>, as FHIR-Converter writes it (".../Identifier/<HD.3>"), as the HD Organization's
// identifier and practitioners.cw XcnSystem do; an authority with a namespace id only, urn:id:<HD.1>.
// Absent when the HD has neither.
def NamespaceSystem(hd) =
  if HdUri(hd) then null
  else if trim(hd.2) and HasLocalIdType(hd.3) then "urn:id:${UriText(hd.3)}"
  else if trim(hd.1) then "urn:id:${UriText(hd.1)}" else null

// CX -> Identifier of a person (PID-2/3/4, NK1, GT1, IN1/IN2) or a visit (PV1-5/19/50/54): hl7v2.parties
// AssignedIdentifier (CX[Identifier] with the assigner an Organization reference), with the namespace as the
// system when there is no URI.
def VisitIdentifier(cx) = PersonIdentifier(cx)
def PersonIdentifier(cx) {
  let id = AssignedIdentifier(cx)
  extension: id.extension
  type: id.type
  system: id.system ?? NamespaceSystem(cx.4)
  value: id.value
  period: id.period
  assigner: id.assigner
}
def PersonIdentifiers(cxs) = for cx in cxs where trim(cx.1) => PersonIdentifier(cx)

// PID-19 / NK1-37 / GT1-12 / IN2-2 social security number (IG PID-19: type "SS", and "SB" since R4's
// identifier-type value set has no SSN; FHIR-Converter writes SB): both codings, system us-ssn.
def SsnIdentifier(ssn) = if trim(ssn) then {
  type: { coding[]: { system: CS_V2_0203, code: "SS", display: lookup("SS", CS_V2_0203) }
          coding[]: { system: CS_V2_0203, code: "SB", display: lookup("SB", CS_V2_0203) } }
  system: "http://hl7.org/fhir/sid/us-ssn"
  value: trim(ssn)
} else null

// DLN -> Identifier (IG DLN[Identifier]): DLN.1 the number, type DL, DLN.2 the issuing state or country as
// the system (CWE[uri]: a local name becomes urn:id:<name>), DLN.3 the expiry as period.end.
def DriverLicense(dln) = if trim(dln.1) then {
  type: { coding[]: { system: CS_V2_0203, code: "DL", display: lookup("DL", CS_V2_0203) } }
  system: if IsUri(trim(dln.2)) then trim(dln.2) else if trim(dln.2) then "urn:id:${UriText(dln.2)}" else null
  value: trim(dln.1)
  period: { end: datetime(dln.3) }
} else null

// ---- names -----------------------------------------------------------------------------------------------

const CM_0444_V2_0444 = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70444-to-v2-0444"

// XPN -> HumanName of a person (IG XPN[HumanName]): HumanName (hl7v2.datatypes) with the FN parts of XPN.1 as
// `_family`'s own/partner name and prefix extensions (FN[HumanName]) and XPN.11 as humanname-assembly-order;
// XPN.15 "called by" is a second name, given only, use nickname (the IG's [2]; FHIR-Converter adds it to the
// given names of a usual name).
def PersonNames(xpns) = for xpn in xpns where xpn.1 or xpn.2 or xpn.15 => [
  {
    ...HumanName(xpn)
    extension[]: { url: "http://hl7.org/fhir/StructureDefinition/humanname-assembly-order",
                   valueCode: translate(fhir_code(xpn.11), CM_0444_V2_0444, "keep") } if fhir_code(xpn.11)
    "_family": { extension[]: FamilyParts(xpn.1) } if trim(xpn.1.1)
  } if xpn.1 or xpn.2,
  { use: "nickname", given[]: trim(xpn.15) } if trim(xpn.15)
]

// ---- languages -------------------------------------------------------------------------------------------

const CM_LANGUAGE = "https://crosswalk.dev/fhir/ConceptMap/iso-639-to-bcp-47"

// A language CWE (PID-15, NK1-20; HL7 table 0296 is ISO 639) -> CodeableConcept (IG CWE[CodeableConcept] with
// the PrimaryLanguage vocabulary): each code that is an ISO 639 code also as its BCP 47 tag (urn:ietf:bcp:47,
// the ConceptMap in maps/terminology/iso-639-languages.ndjson, with the language's name, as FHIR-Converter
// writes it), then the codings as written.
def Language(cwe) = if cwe.1 or cwe.2 or cwe.4 then {
  coding[]: translate_coding(lower(trim(cwe.1)), CM_LANGUAGE) if trim(cwe.1)
  coding[]: translate_coding(lower(trim(cwe.4)), CM_LANGUAGE) if trim(cwe.4)
  coding[]: CodeableConcept(cwe).coding
  text: trim(cwe.9)
} else null

// ---- Patient extensions (IG PID[Patient]) ----------------------------------------------------------------

// A CWE in an extension: its codings (CWE[CodeableConcept]) and, as its text, the original text CWE.9, else
// the first display (FHIR-Converter's text for these extensions; the IG's CWE.9 when the message gives it).
def NamedConcept(cwe) = if cwe.1 or cwe.2 or cwe.4 or cwe.10 then {
  coding: CodeableConcept(cwe).coding
  text: trim(cwe.9 ?? cwe.2)
} else null

// PID-17 religion (IG: CWE[CodeableConcept] through table 0006 -> v3-ReligiousAffiliation): the mapped coding,
// then the codings as written.
def Religion(cwe) = if cwe.1 or cwe.2 then {
  coding[]: translate_coding(cwe.1, CM_0006_RELIGIOUS_AFFILIATION)
  coding[]: CodeableConcept(cwe).coding
  text: trim(cwe.9)
} else null

// PID-26 citizenship / PID-39 tribal citizenship (patient-citizenship, one per repetition), PID-28
// nationality (patient-nationality): each a complex extension with the CWE as its "code".
def CodeExtension(url, cwe) = if NamedConcept(cwe) then {
  url: url
  extension[]: { url: "code", valueCodeableConcept: NamedConcept(cwe) }
} else null

// PID-35 species / PID-36 breed -> patient-animal (IG), each a CodeableConcept (CWE[Coding] and the display
// as text, as FHIR-Converter writes them).
def Animal(species, breed) = if NamedConcept(species) or NamedConcept(breed) then {
  url: "${FHIR_EXT}/patient-animal"
  extension[]: { url: "species", valueCodeableConcept: NamedConcept(species) } if NamedConcept(species)
  extension[]: { url: "breed", valueCodeableConcept: NamedConcept(breed) } if NamedConcept(breed)
} else null

// The Patient's extensions besides race and ethnicity: PID-6 mother's maiden name (IG XPN[string]: the
// family name), PID-17 religion, PID-23 birth place, PID-26/39 citizenship, PID-28 nationality, PID-35/36
// animal, PD1-14 place of worship (patient-congregation: its name, as FHIR-Converter), and, for the
// message's only patient, PV1-16 VIP indicator (patient-importance, as FHIR-Converter; the Encounter keeps it
// as specialCourtesy too). The birth time is on birthDate (PatientBirthTime).
def PatientExtensions(pid, pd1, vip) = [
  { url: "${FHIR_EXT}/patient-mothersMaidenName", valueString: trim(pid.6.1.1) } if trim(pid.6.1.1),
  { url: "${FHIR_EXT}/patient-religion", valueCodeableConcept: Religion(pid.17) } if Religion(pid.17),
  { url: "${FHIR_EXT}/patient-birthPlace", valueAddress: { text: trim(pid.23) } } if trim(pid.23),
  for c in pid.26 => CodeExtension("${FHIR_EXT}/patient-citizenship", c),
  for c in pid.39 => CodeExtension("${FHIR_EXT}/patient-citizenship", c),
  CodeExtension("${FHIR_EXT}/patient-nationality", pid.28),
  Animal(pid.35, pid.36),
  { url: "${FHIR_EXT}/patient-congregation", valueString: trim(pd1.14.1) } if trim(pd1.14.1),
  Importance(vip),
  { url: FC_VETERAN_MILITARY_STATUS, valueCodeableConcept: { ...CodeableConcept(pid.27), text: trim(pid.27.9) ?? trim(pid.27.2) } }
    if pid.27.1 or pid.27.2
]
// PV1-16 VIP indicator -> the patient-importance extension (FHIR-Converter; no IG map).
def Importance(vip) = ConceptExtension("${FHIR_EXT}/patient-importance", vip)

// PID-27 veterans military status: the IG maps it nowhere and FHIR has no element for it; FHIR-Converter writes
// it in an extension of its own, reproduced under that converter's URL (as hl7v2.results' Observation_Status: no
// definition of ours exists), the CWE with its text.
const FC_VETERAN_MILITARY_STATUS = "http://example.com/v2-to-fhir-converter/StructureDefinition/VeteranMilitaryStatus"

// PID-7 with a time (longer than a date) -> birthDate's patient-birthTime extension (IG PID-7).
def PatientBirthTime(dtm) = if length(trim(dtm)) > 8 and datetime(dtm) then {
  extension[]: { url: "${FHIR_EXT}/patient-birthTime", valueDateTime: datetime(dtm) }
} else null

// ---- related people ----------------------------------------------------------------------------------------

// PID-21 mother's identifier -> the mother as a RelatedPerson (IG CX[RelatedPerson-Mother]): her identifiers
// (with their assigner Organizations: IdentifierEntries), relationship MTH (v3-RoleCode), the patient.
def MotherRelatedPerson(pid, patientRef) = if PersonIdentifiers(pid.21) then {
  resourceType: "RelatedPerson"
  identifier[]: PersonIdentifiers(pid.21)
  patient: patientRef
  relationship[]: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v3-RoleCode", code: "MTH",
                                display: lookup("MTH", "http://terminology.hl7.org/CodeSystem/v3-RoleCode") } }
} else null

// ---- insurance ---------------------------------------------------------------------------------------------

const V3_ACTCODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

// IN1-15 plan type (user-defined table 0086) -> Coverage.type, whose value set is v3-ActCode's coverage types:
// a code given without a coding system that v3-ActCode defines (HMO, PPO, ...) is that concept, as
// FHIR-Converter writes it; any other is CWE[CodeableConcept].
def CoverageType(cwe) =
  if trim(cwe.1) and not trim(cwe.3) and lookup(trim(cwe.1), V3_ACTCODE) then {
    coding[]: { system: V3_ACTCODE, code: fhir_code(cwe.1), display: trim(cwe.2) ?? lookup(trim(cwe.1), V3_ACTCODE) }
    text: trim(cwe.9)
  } else if cwe.1 or cwe.2 or cwe.9 then CodeableConcept(cwe) else null

// ---- disability -----------------------------------------------------------------------------------------

// DB1 (disability) whose DB1-2 is PT (the patient is the disabled person) -> DB1-3 disabled person identifiers as
// the Patient's identifiers, with their assigning authorities as Organizations, as FHIR-Converter writes them (the
// IG has no DB1 map). Another person's DB1 (DB1-2 GT, IN, ...) is not the patient's.
def IsPatientDisability(db1) = upper(trim(db1.2)) == "PT"
def DisabilityIdentifiers(db1s) = for db1 in db1s where IsPatientDisability(db1) => PersonIdentifiers(db1.3)
def DisabilityIdentifierEntries(db1s) = for db1 in db1s where IsPatientDisability(db1) => IdentifierEntries(db1.3)
// The patient's DB1-4 disability indicator (Y/N) and DB1-5/6 disability start/end dates, in FHIR-Converter's own
// extensions (reproduced under that converter's URLs, as its VeteranMilitaryStatus: FHIR has no element for them).
const FC_EXTENSION = "http://example.com/v2-to-fhir-converter/StructureDefinition"
def YesNo(id) = match upper(trim(id)) { "Y" => true "N" => false _ => null }
def DisabilityExtensions(db1s) = for db1 in db1s where IsPatientDisability(db1) => [
  { url: "${FC_EXTENSION}/patient-disabilityIndicator", valueBoolean: YesNo(db1.4) } if YesNo(db1.4) != null,
  { url: "${FC_EXTENSION}/DisabilityPeriod", valuePeriod: { start: datetime(db1.5), end: datetime(db1.6) } }
    if datetime(db1.5) or datetime(db1.6)
]
