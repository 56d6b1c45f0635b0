// hl7v2.datatypes: HL7 v2 data types -> FHIR R4 data types, written once and shared by every message map.
//
// Follows the HL7 V2-to-FHIR IG datatype maps (mappings/datatypes/*.csv, commit 8c9b414) where they speak;
// deviations are noted next to the function. Codes are translated through the terminology store with the
// IG's ConceptMaps (maps/terminology/CONCEPTMAPS.md); no code table is written out here.
// Absent/empty inputs never produce "", {} or [] (the language drops them when a field is set).

// ---- ConceptMap URLs (the IG's vocabulary maps, seeded into <build>/terminology) ----------------------
// CM_<table>_<target>: table-hl7<table>-to-<target> (maps/terminology/CONCEPTMAPS.md). Module constants are
// compile-time literals, so the compiled program still lists every map it needs.
const CM_0001_ADMINISTRATIVE_GENDER = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70001-to-administrative-gender"
const CM_0002_V3_MARITALSTATUS = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70002-to-v3-maritalstatus"
const CM_0004_ENCOUNTER_STATUS = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70004-to-encounter-status"
const CM_0004_V3_ACTCODE = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70004-to-v3-actcode"
const CM_0007_V2_0007 = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70007-to-v2-0007"
const CM_0038_REQUEST_STATUS = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70038-to-request-status"
const CM_0052_DIAGNOSIS_ROLE = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70052-to-diagnosis-role"
const CM_0062_V3_ACTREASON = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70062-to-v3-actreason"
const CM_0063_V3_ROLECODE = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70063-to-v3-rolecode"
const CM_0069_SERVICE_TYPE = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70069-to-service-type"
const CM_0074_V2_0074 = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70074-to-v2-0074"
const CM_0078_V3_OBSERVATIONINTERPRETATION = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70078-to-v3-observationinterpretation"
const CM_0085_OBSERVATION_STATUS = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70085-to-observation-status"
const CM_0092_V2_0092 = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70092-to-v2-0092"
const CM_0119_REQUEST_STATUS = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70119-to-request-status"
const CM_0123_DIAGNOSTIC_REPORT_STATUS = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70123-to-diagnostic-report-status"
const CM_0127_ALLERGY_INTOLERANCE_CATEGORY = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70127-to-allergy-intolerance-category"
const CM_0127_ALLERGY_INTOLERANCE_TYPE = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70127-to-allergy-intolerance-type"
const CM_0128_ALLERGY_INTOLERANCE_CRITICALITY = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70128-to-allergy-intolerance-criticality"
const CM_0128_REACTION_EVENT_SEVERITY = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70128-to-reaction-event-severity"
const CM_0131_V2_0131 = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70131-to-v2-0131"
const CM_0190_ADDRESS_TYPE = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70190-to-address-type"
const CM_0190_ADDRESS_USE = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70190-to-address-use"
const CM_0200_NAME_USE = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70200-to-name-use"
const CM_0201_CONTACT_POINT_USE = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70201-to-contact-point-use"
const CM_0202_CONTACT_POINT_SYSTEM = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70202-to-contact-point-system"
const CM_0203_V2_0203 = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70203-to-v2-0203"
const CM_0217_V3_ACTPRIORITY = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70217-to-v3-actpriority"
const CM_0277_V2_0277 = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70277-to-v2-0277"
const CM_0278_APPOINTMENTSTATUS = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70278-to-appointmentstatus"
const CM_0322_EVENT_STATUS = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70322-to-event-status"
const CS_V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
const CS_V2_0301 = "http://terminology.hl7.org/CodeSystem/v2-0301"
// HL7 table 0301 codes with the long displays FHIR-Converter writes (maps/terminology/fhir-converter-displays.ndjson).
const CM_0301_FHIR_CONVERTER_DISPLAY = "https://crosswalk.dev/fhir/ConceptMap/fhir-converter-v2-0301-display"

// ---- code systems ----------------------------------------------------------------------------------------

// HL7 table 0396 coding-system name (CWE.3 / CWE.6 / CWE.12) -> FHIR system URI, through the store's
// ConceptMap CM_0396_SYSTEM_URI (maps/terminology/v2-0396-system-uris.ndjson: LN -> http://loinc.org, ...).
// HL7nnnn tables become terminology.hl7.org v2-nnnn URIs; any other name becomes urn:id:<name> (a deliberate,
// visible marker of a local system, as ReportStream does).
const CM_0396_SYSTEM_URI = "https://crosswalk.dev/fhir/ConceptMap/v2-0396-to-system-uri"
// HL7 tables 0717 (access restriction value) and 0719 (reason) -> FHIR security labels (v3-ActCode,
// v3-Confidentiality): maps/terminology/make_security_labels.py, which says why each target.
const CM_0717_SECURITY_LABEL = "https://crosswalk.dev/fhir/ConceptMap/v2-0717-to-security-label"
const CM_0719_SECURITY_LABEL = "https://crosswalk.dev/fhir/ConceptMap/v2-0719-to-security-label"
def CodingSystem(name) =
  translate(upper(trim(name)), CM_0396_SYSTEM_URI)
  ?? (if starts_with(upper(trim(name)), "HL7") and length(trim(name)) == 7
      then "http://terminology.hl7.org/CodeSystem/v2-${substring(trim(name), 3)}"
      else if trim(name) then "urn:id:${UriText(name)}" else null)

// ---- URIs ------------------------------------------------------------------------------------------------
// FHIR uri/url values hold no whitespace. A local name that becomes part of a URI ("urn:id:<name>") has its
// spaces percent-encoded (RFC 3986): "GHH LAB, INC." -> "urn:id:GHH%20LAB,%20INC.", nothing lost.
// (A no-break space, U+00A0, is whitespace too: "%C2%A0".)
def UriText(s) = replace(replace(replace(trim(s), " ", "%20"), "\t", "%09"), "\u00a0", "%C2%A0")

// An ISO OID: digits and dots, a first arc 0, 1 or 2 ("2.16.840.1.113883"); "Maven EDSS" typed ISO is not one.
def IsOid(s) = s and (starts_with(s, "0.") or starts_with(s, "1.") or starts_with(s, "2."))
               and is_number(replace(s, ".", "")) and not contains(s, "-") and not ends_with(s, ".")
               and not contains(s, "..")

// A value usable as-is as a URI: has a scheme (":") and no whitespace.
def IsUri(s) = s and contains(s, ":") and not contains(s, " ") and not contains(s, "\t") and not contains(s, "\u00a0")

// A universal id and its type (HD.2/HD.3, EI.3/EI.4) -> a URI, or absent when it is none (IG HD[uri]):
// ISO OIDs -> urn:oid: (an OID without a type too), UUIDs -> urn:uuid:, DNS/URI/URL or any other type: the
// value when it is a URI, else absent (an OID-looking id typed "HCD" or "L" is not read as an OID).
// GUID is v2-0301's other name for a UUID.
def UniversalUri(id, type) =
  if not id then null
  else if IsOid(id) and (upper(type) == "ISO" or not type) then "urn:oid:${trim(id)}"
  else if (upper(type) == "UUID" or upper(type) == "GUID") and length(trim(id)) == 36 and not contains(id, " ") then "urn:uuid:${lower(trim(id))}"
  else if IsUri(trim(id)) then trim(id) else null

// The v2 table URI for a table number written as a string, e.g. V2System("0203").
def V2System(table) = "http://terminology.hl7.org/CodeSystem/v2-${table}"

// ---- coded values ----------------------------------------------------------------------------------------

// One Coding from (code, display, coding-system name, version).
def CodingOf(code, display, system, version) = CodingOfCode(fhir_code(code), display, system, version)
// The same with a code already checked by fhir_code.
def CodingOfCode(code, display, system, version) {
  system: CodingSystem(system)
  version: trim(version)
  code: code
  display: trim(display)
}

// CWE / CE / CNE / CF -> CodeableConcept (IG CWE[CodeableConcept]): three codings and the original text.
// A triplet without a code gives no coding. An identifier that is prose, not a FHIR code (runs of spaces, blank
// lines: a CWE-typed OBX-5 holding a report's text), is no coding either: it is the concept's text.
def CodeableConcept(cwe) {
  let first = fhir_code(cwe.1)
  let second = fhir_code(cwe.4)
  let third = fhir_code(cwe.10)
  coding[]: CodingOfCode(first, cwe.2, cwe.3, cwe.7) if first
  coding[]: CodingOfCode(second, cwe.5, cwe.6, cwe.8) if second
  coding[]: CodingOfCode(third, cwe.11, cwe.12, cwe.13) if third
  text: trim(cwe.9 ?? (if not cwe.1 then cwe.2 else if not first then cwe.1 else null))
}

// { url, valueCodeableConcept } of a CWE, or nothing when the concept has no content (ext-1: an extension has a
// value or extensions; a CWE with only blanks or escapes that read as blanks has neither).
def ConceptExtension(url, cwe) {
  let concept = CodeableConcept(cwe)
  return if concept then { url: url, valueCodeableConcept: concept } else null
}

// A required CodeableConcept the message does not give (no OBX-3, OBR-4, RXA-5): FHIR's data-absent-reason
// extension, not a made-up text.
def AbsentConcept() = DataAbsent()
// Any required element (a CodeableConcept, a Reference, an Attachment) the message does not give: only FHIR's
// data-absent-reason extension, `unknown`.
def DataAbsent() = { extension[]: { url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "unknown" } }

// A CWE that says something: a code, a text or an original text.
def HasCode(cwe) = trim(cwe.1) or trim(cwe.2) or trim(cwe.9)

// A code (CWE.1 / CWE.4) as an identifier in its coding system's namespace (urn:id:<CWE.3>): a department, a
// manufacturer or supplier id, an inventory container; null without a code.
def CodedIdentifier(code, system) = if trim(code) then { system: "urn:id:${UriText(system)}" if trim(system), value: trim(code) } else null

// CWE -> Coding (IG CWE[Coding]): the first triplet.
def Coding(cwe) = CodingOf(cwe.1, cwe.2, cwe.3, cwe.7)

// ---- identifiers -----------------------------------------------------------------------------------------

// HD -> uri (IG HD[uri]): ISO OIDs and UUIDs become urn:oid: / urn:uuid:, DNS/URI/URL types the value itself.
def HdUri(hd) = UniversalUri(hd.2, hd.3)

// An assigning authority (CX.4, XCN.9: an HD) -> Identifier.system (IG HD[uri], as FHIR-Converter writes it):
//   - a universal id that is a URI (an ISO OID, a UUID, a URL) as HdUri writes it;
//   - a universal id typed ISO/CLIA/CLIP: urn:oid:<HD.2>, typed UUID/GUID: urn:uuid:<HD.2> (the IG's HD[uri], both
//     converters), when it holds no whitespace (a uri never does);
//   - another universal id type (HCD, DNS, L, ...): urn:id:<HD.3>, the namespace of that kind of id, as
//     FHIR-Converter writes it (ReportStream writes the bare HD.1, which is no absolute URI);
//   - a namespace id alone: urn:id:<HD.1> (the IG's HD[uri] takes HD.1 as the system; FHIR-Converter and the
//     IG's sample bundle write a local URI of it).
// Absent when the HD names nothing. The assigner (hl7v2.parties AssignerRef / HdAssigner) is written too.
def IsUriType(ty) = ty == "ISO" or ty == "CLIA" or ty == "CLIP" or ty == "UUID" or ty == "GUID"
def AuthoritySystem(hd) = AuthorityUri(hd.1, hd.2, hd.3)
// The same for a namespace id, universal id and its type given apart (EI.2, EI.3, EI.4).
def AuthorityUri(ns, id, type) {
  let uid = trim(id)
  let ty = upper(trim(type))
  let plain = uid and not contains(uid, " ") and not contains(uid, "\t") and not contains(uid, "\u00a0")
  return if UniversalUri(id, type) then UniversalUri(id, type)
         else if plain and (ty == "ISO" or ty == "CLIA" or ty == "CLIP") then "urn:oid:${uid}"
         else if plain and (ty == "UUID" or ty == "GUID") then "urn:uuid:${uid}"
         else if ty and not IsUriType(ty) then "urn:id:${UriText(type)}"
         else if trim(ns) then "urn:id:${UriText(ns)}"
         else null
}

// HD -> an assigner in place: the namespace id as its display, the universal id as its identifier when it is a
// URI. (hl7v2.parties AssignedIdentifier refers to an Organization entry instead when the HD has a namespace.)
def HdAssigner(hd) {
  display: hd.1
  identifier: { system: "urn:ietf:rfc:3986", value: HdUri(hd) } if HdUri(hd)
}

// A check digit and its scheme (CX.2/CX.3, XCN.11/XCN.12, XON.4/XON.5) -> Identifier.extension (IG: the
// identifier-checkDigit and namingsystem-checkDigit extensions, both strings).
def CheckDigit(digit, scheme) = [
  { url: "http://hl7.org/fhir/StructureDefinition/identifier-checkDigit", valueString: trim(digit) } if trim(digit),
  { url: "http://hl7.org/fhir/StructureDefinition/namingsystem-checkDigit", valueString: trim(scheme) } if trim(scheme)
]

// CX -> Identifier (IG CX[Identifier]). CX.2/CX.3 check digit, CX.5 through table-hl70203-to-v2-0203 with its
// v2-0203 display, CX.7/CX.8 the period, CX.4 the system (AuthoritySystem). The assigning authority CX.4 is also
// the assigner in place (HdAssigner); hl7v2.parties AssignedIdentifier makes it a reference to an Organization
// entry (IG HD[Organization]).
def Identifier(cx) {
  let typeCode = translate(fhir_code(cx.5), CM_0203_V2_0203, "keep")
  extension[]: CheckDigit(cx.2, cx.3)
  type: { coding[]: { system: V2System("0203"), code: fhir_code(typeCode),
                      display: lookup(typeCode, CS_V2_0203) } } if trim(cx.5)
  system: AuthoritySystem(cx.4)
  value: trim(cx.1)
  period: { start: datetime(cx.7), end: datetime(cx.8) }
  assigner: HdAssigner(cx.4)
}

// A CX list -> Identifier[], skipping repetitions without an id.
def Identifiers(cxs) = for cx in cxs where trim(cx.1) => Identifier(cx)

// EI -> Identifier (IG EI[Identifier-System]: "EI.2 or EI.3 to system", EI.4 the type): EI.1 the value, the system
// from EI.2-4 as AuthoritySystem takes it from an HD (the universal id as a URI, urn:oid:/urn:uuid: for ISO, CLIA,
// CLIP, UUID and GUID ids, urn:id:<EI.4> for another type, else urn:id:<EI.2>, as FHIR-Converter writes them), the
// type of the universal id EI.4 (UniversalIdType). A universal id that is no URI with no namespace ("Maven EDSS"
// typed ISO) is kept as the assigner's display.
def EntityIdentifier(ei) {
  type: UniversalIdType(ei.4)
  ...EntityIdentifierSystemValue(ei)
}
def EntityIdentifierSystemValue(ei) {
  let system = AuthorityUri(ei.2, ei.3, ei.4)
  system: system
  value: trim(ei.1)
  assigner: { display: trim(ei.3) } if not system and trim(ei.3)
}

// EI with a type (placer/filler order numbers, accession numbers): IG EIP/EI + identifier type PLAC/FILL (in place
// of the universal id's type).
def TypedIdentifier(ei, typeCode) {
  type: { coding[]: { system: V2System("0203"), code: fhir_code(typeCode),
                      display: lookup(typeCode, CS_V2_0203) } }
  ...EntityIdentifierSystemValue(ei)
}

// A universal id type (HD.3, EI.4; HL7 table 0301) -> Identifier.type (IG HD[Organization] ID[CodeableConcept-
// UniversalID]): the v2-0301 coding with the table's description as its display, as FHIR-Converter writes it
// ("An International Standards Organization Object Identifier (OID), ..."; ReportStream writes no display), and
// THO's display for a code FHIR-Converter does not list. Absent for an empty type.
def UniversalIdType(type) = if trim(type) then {
  coding[]: {
    system: CS_V2_0301
    code: fhir_code(type)
    display: translate_coding(trim(type), CM_0301_FHIR_CONVERTER_DISPLAY).display ?? lookup(trim(type), CS_V2_0301)
  }
} else null

// ---- names, addresses, telecom -------------------------------------------------------------------------

// XPN -> HumanName (IG XPN[HumanName]). XPN.7 name type through table-hl70200-to-name-use.
def HumanName(xpn) {
  family: xpn.1.1
  given[]: xpn.2
  given[]: split(xpn.3, " ") if xpn.3
  prefix[]: xpn.5
  suffix[]: xpn.4
  suffix[]: xpn.6
  suffix[]: xpn.14
  use: translate(xpn.7, CM_0200_NAME_USE)
  period: DateRange(xpn.10) ?? { start: datetime(xpn.12), end: datetime(xpn.13) }
}

def HumanNames(xpns) = for xpn in xpns where xpn.1 or xpn.2 => HumanName(xpn)

// XAD -> Address (IG XAD[Address]). XAD.7 goes through table-hl70190-to-address-use and -to-address-type;
// XAD.9 county as district (IG CWE[string]: original text, else text; a v2.5 IS county is its code); XAD.10
// census tract as the iso21090-ADXP-censusTract extension.
def Address(xad) {
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-censusTract", valueCode: fhir_code(xad.10.1) } if fhir_code(xad.10.1)
  line[]: trim(xad.1.1)
  line[]: trim(xad.1.2)
  line[]: trim(xad.1.3)
  line[]: trim(xad.2)
  line[]: xad.19
  city: trim(xad.3)
  state: trim(xad.4)
  postalCode: trim(xad.5)
  country: trim(xad.6)
  district: trim(xad.9.9) ?? trim(xad.9.2) ?? trim(xad.9.1)   // v2.7+ CWE: CWE[string] (text); v2.5 IS: the code
  use: translate(xad.7, CM_0190_ADDRESS_USE)
  type: translate(xad.7, CM_0190_ADDRESS_TYPE)
  period: DateRange(xad.12) ?? { start: datetime(xad.13), end: datetime(xad.14) }
}

def Addresses(xads) = for xad in xads where xad.1 or xad.3 or xad.5 => Address(xad)

// XTN -> ContactPoint (IG XTN[ContactPoint]). XTN.3 equipment through table-hl70202-to-contact-point-system
// (whose "CP" row is a *use* - mobile - so the system is taken only from the contact-point-system group);
// XTN.2 use through table-hl70201-to-contact-point-use. The value is the e-mail (XTN.4), the unformatted
// number (XTN.12), the number built from country/area/local/extension (XTN.5-8), else the v2.3 XTN.1.
// XTN.5-8 are kept as the contactpoint-country / -area / -local / -extension extensions (IG; the local number
// only for a telephone, not for an Internet or X.400 address).
def ContactPoint(xtn) {
  let eq = translate_coding(xtn.3, CM_0202_CONTACT_POINT_SYSTEM)
  let kind = upper(trim(xtn.3))
  let phone = kind != "INTERNET" and kind != "X.400"
  let country = trim(xtn.5)
  let area = trim(xtn.6)
  let local = trim(xtn.7)
  let ext = trim(xtn.8)
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/contactpoint-country", valueString: country } if country
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/contactpoint-area", valueString: area } if area
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/contactpoint-local", valueString: local } if local and phone
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/contactpoint-extension", valueString: ext } if ext
  // The IG's spelling: "+" country, area and local number separated by spaces, " X" extension.
  let number = join([if country then "+${country}" else null, area, local], " ")
  let built = if local then "${number}${if ext then ' X' else ''}${ext}" else null
  system: if eq.system == "http://hl7.org/fhir/contact-point-system" then eq.code
          else if xtn.3 == "CP" then "phone"
          else if xtn.4 and not xtn.7 then "email"
          else if xtn.1 or xtn.7 or xtn.12 then "phone" else null
  value: (if eq.code == "email" or (xtn.4 and not xtn.7 and not xtn.1) then xtn.4 else null) ?? xtn.12 ?? built ?? xtn.1
  use: translate(xtn.2, CM_0201_CONTACT_POINT_USE)
       ?? (if xtn.3 == "CP" then "mobile" else null)
  rank: integer(xtn.18) if integer(xtn.18) and integer(xtn.18) > 0   // positiveInt
  period: { start: datetime(xtn.13), end: datetime(xtn.14) }
}

def ContactPoints(xtns) = for xtn in xtns where xtn.1 or xtn.4 or xtn.7 or xtn.12 => ContactPoint(xtn)

// ---- dates, times, quantities ----------------------------------------------------------------------------

// TS / DTM -> dateTime (TS.1 is the time; a TS's degree of precision TS.2 is ignored as in the IG).
def DateTime(ts) = datetime(ts.1 ?? ts)

// DTM -> FHIR instant (R4 instant: seconds and zone required). A DTM to the minute ("202108181130", with or
// without "+0215") is that minute's first second; without a zone in the DTM or the run's --zone there is no
// instant.
def Instant(ts) {
  let t = trim(ts)
  let toTheMinute = length(t) == 12 or (length(t) == 17 and (substring(t, 12, 1) == "+" or substring(t, 12, 1) == "-"))
  return instant(t) ?? (if toTheMinute then instant("${substring(t, 0, 12)}00${substring(t, 12)}") else null)
}

// TM -> FHIR time (IG TM[time]): HH[MM[SS[.S]]][+/-ZZZZ] -> HH:MM:SS[.S]; FHIR time has no zone (dropped).
// Not a time (letters, an hour over 23) -> absent.
def Time(tm) {
  let t = trim(split(split(trim(tm), "+")[0], "-")[0])
  let hh = substring(t, 0, 2)
  let mm = substring(t, 2, 2) ?? "00"
  let ss = substring(t, 4, 2) ?? "00"
  let frac = substring(t, 6)
  let ok = length(hh) == 2 and length(mm) == 2 and length(ss) == 2 and is_number(hh) and is_number(mm) and is_number(ss)
           and not contains(t, " ") and decimal(hh) < 24 and decimal(mm) < 60 and decimal(ss) < 60
           and (not frac or (starts_with(frac, ".") and is_number("0${frac}")))
  return if ok then "${hh}:${mm}:${ss}${frac}" else null
}

// DR -> Period (IG DR[Period]).
def DateRange(dr) = { start: datetime(dr.1), end: datetime(dr.2) }

// CQ / NM + CWE units -> Quantity (IG CQ[Quantity], NM[Quantity]); UCUM units get system and code.
// A Quantity is its number: units alone (an SN, NR, CQ or SPM-12 with no number) make none.
def Quantity(value, units) = if is_number(value) then {
  value: decimal(value)
  unit: units.2 ?? units.1
  system: if units.1 and (upper(units.3) == "UCUM" or not units.3) then "http://unitsofmeasure.org"
          else CodingSystem(units.3) if units.1
  code: fhir_code(units.1)
} else null

// SN -> Quantity / Range / Ratio (IG SN[Quantity], SN[Range], SN[Ratio]). Returns { kind, value }:
// kind is "Quantity" (plain number or comparator), "Range" (n1 - n2, or + n2 with "-"), "Ratio" (":" or "/").
def StructuredNumeric(sn, units) {
  let sep = sn.3
  if sep == ":" or sep == "/" {
    kind: "Ratio"
    value: { numerator: { value: decimal(sn.2) }, denominator: { value: decimal(sn.4) } }
  } else if sep == "-" {
    kind: "Range"
    value: { low: Quantity(sn.2, units), high: Quantity(sn.4, units) }
  } else if sep == "+" {
    kind: "Quantity"
    value: Quantity(sn.2, units)
  } else {
    kind: "Quantity"
    value: if is_number(sn.2) then {
      value: decimal(sn.2)
      comparator: match sn.1 { "<" => "<" "<=" => "<=" ">" => ">" ">=" => ">=" _ => null }
      unit: units.2 ?? units.1
      system: "http://unitsofmeasure.org" if units.1 and (upper(units.3) == "UCUM" or not units.3)
      code: fhir_code(units.1)
    } else null
  }
}

// ---- encapsulated data ----------------------------------------------------------------------------------

// Text that can be base64Binary: a non-empty multiple of 4 characters with no blank or markup ("<Base64
// encoded>" in a sample is prose, not data). The alphabet itself is not checked character by character.
def IsBase64(s) = s and length(trim(s)) % 4 == 0 and not contains(s, " ") and not contains(s, "<")
                  and not contains(s, ">") and not contains(s, "\n")

// ED -> Attachment (IG ED[Attachment]): ED.2 type of data and ED.3 subtype as a MIME type, ED.5 the data:
// as is when ED.4 says Base64 (and it is base64), base64-encoded when ED.4 says ASCII ("A") or nothing.
def EdContentType(ed) = MimeType(ed.2, ed.3)
def MimeType(type, subtype) {
  // HL7 table 0191 type of referenced data (and MIME major types written out); another value gives none.
  let major = match upper(trim(type)) { "IM" | "NS" | "SI" | "IMAGE" => "image" "AP" | "SD" | "APPLICATION" => "application"
                                        "TX" | "FT" | "TEXT" => "text" "AU" | "AUDIO" => "audio" "VIDEO" => "video"
                                        "MULTIPART" => "multipart" _ => null }
  return if major and fhir_code(subtype) then lower("${major}/${fhir_code(subtype)}") else null
}
def EdAttachment(ed) {
  contentType: EdContentType(ed)
  data: if upper(ed.4) == "BASE64" then (if IsBase64(ed.5) then ed.5 else null)
        else if not ed.4 or upper(ed.4) == "A" then base64(ed.5) else null
}

// ---- people, organisations (places: hl7v2.places) ------------------------------------------------------------------------

// A display for a reference to an XCN: "Given Family".
def XcnDisplay(xcn) = trim(join([xcn.6, xcn.3, xcn.2.1], " "))
