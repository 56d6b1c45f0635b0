// hl7v2.segments: HL7 v2 segments -> FHIR R4 resources and Bundle entries, shared by the message maps.
//
// Follows the HL7 V2-to-FHIR IG segment maps (PID[Patient], PV1[Encounter], NK1[RelatedPerson],
// IN1[Coverage], AL1[AllergyIntolerance], DG1[Condition], MSH[MessageHeader], EVN[Provenance], OBR, OBX,
// ORC, SPM, RXA, SCH, TXA) for the fields listed in docs/fidelity.md.
//
// Bundle entries: every entry's fullUrl is "urn:uuid:<uuid5>", deterministic from the message control id
// (MSH-10), the resource kind and an index; references between entries use that same fullUrl.

import hl7v2.parties
import hl7v2.datatypes
import hl7v2.places
import hl7v2.organizations
import hl7v2.person
import hl7v2.practitioners

// ---- Bundle plumbing ------------------------------------------------------------------------------------

// The UUID v5 namespace of Crosswalk's shipped HL7 v2 -> FHIR maps (uuid5 of the URL namespace and
// "https://crosswalk.dev/maps/hl7v2-to-fhir"; fixed forever, ids in stored bundles depend on it).
// A key that starts with "@" names its resource across messages (the results of an order with a known number,
// orders.cw ResultsKey): its id does not depend on the message, so a later message about the same thing writes
// the same resource again (an update) instead of a second one beside it.
def IdOf(kind, n) {
  let k = string(n)
  return if starts_with(k, "@") then uuid5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", join(["crosswalk-hl7v2-to-fhir", kind, k], "/"))
         else uuid5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", join(["crosswalk-hl7v2-to-fhir", MSH-10, MSH-7, kind, k], "/"))
}
def FullUrl(kind, n) = "urn:uuid:${IdOf(kind, n)}"
def Ref(kind, n) = { reference: FullUrl(kind, n) }

// MSH -> Bundle (IG MSH[Bundle]): a transaction Bundle identified by MSH-10, timestamped MSH-7 (an instant:
// only when MSH-7 has a zone, or the run gives one).
def BundleHead() {
  resourceType: "Bundle"
  identifier: { value: trim(MSH-10) } if trim(MSH-10)
  type: "transaction"
  timestamp: Instant(MSH-7)
}

// One transaction entry: PUT kind/id with the message-keyed id (IdOf), so delivering the same message again
// updates the same resources instead of creating copies.
def Entry(kind, n, resource) = PutEntry(kind, IdOf(kind, n), resource)

// The entries of the message's patient (PID) and visit (PV1): conditional on the business identifier when
// there is one with a system, so a FHIR server keeps one Patient per patient and one Encounter per visit, and
// finds those it already holds. An ADT message (the patient administration feed, the source of truth for
// demographics and visits) updates them: PUT Patient?identifier=system|value. Any other message (results,
// orders, billing, ...) creates them only when the server has none with that identifier (POST with
// ifNoneExist) and never overwrites what ADT wrote. Both are idempotent, so a repeated delivery changes
// nothing. The resource has no id (the server's is kept); references to it use its fullUrl, which the server
// resolves to the resource it matched. Without such an identifier: an update of the message-keyed id, like
// every other entry.
def PatientEntryFor(n, resource) = KeyedEntry("Patient", n, resource, PatientSearch(resource.identifier), MessageKindIs(["ADT"]))
def EncounterEntryFor(n, resource) = KeyedEntry("Encounter", n, resource, VisitSearch(resource.identifier), MessageKindIs(["ADT"]))
// Orders and their reports the same way, by the order numbers (with a system): the order by its placer number
// (else its filler number), updated by order messages (ORM, OML, ...) and created when absent by any other; the
// report by its filler number (else the placer number), updated by result messages (ORU, OUL), so a final
// result replaces the preliminary report of the same order instead of adding a second one.
def ServiceRequestEntryFor(n, resource) =
  KeyedEntry("ServiceRequest", n, resource, OrderSearch(resource.identifier, "PLAC", "FILL"), MessageKindIs(OrderMessageKinds()))
def DiagnosticReportEntryFor(n, resource) =
  KeyedEntry("DiagnosticReport", n, resource, OrderSearch(resource.identifier, "FILL", "PLAC"), MessageKindIs(["ORU", "OUL"]))
// A specimen (SPM) the same way, by its specimen id (SPM-2, with a system): the placer-assigned id (the label
// put on the tube at collection, known to the order and the result messages alike), else the filler-assigned
// one; updated by result messages (ORU, OUL: the laboratory holds the specimen), created when absent by order
// messages, so the specimen an order announced and its results name is one Specimen.
def SpecimenEntryFor(n, resource) =
  KeyedEntry("Specimen", n, resource, OrderSearch(resource.identifier, "PGN", "FGN"), MessageKindIs(["ORU", "OUL"]))
// An immunization by its order numbers (ORC-3 filler, else ORC-2 placer, with a system; IG RXA[Immunization]
// identifiers), updated by VXU: a registry or an EHR that sends a patient's whole history again in each VXU
// updates the same Immunizations instead of adding copies.
def ImmunizationEntryFor(n, resource) =
  KeyedEntry("Immunization", n, resource, OrderSearch(resource.identifier, "FILL", "PLAC"), MessageKindIs(["VXU"]))
// An appointment by its ids (SCH-2 filler appointment id, else SCH-1 placer, with a system), updated by every
// SIU: the reschedule (S13), modification (S14), cancellation (S15) and the rest update the Appointment the
// booking (S12) wrote.
def AppointmentEntryFor(n, resource) =
  KeyedEntry("Appointment", n, resource, OrderSearch(resource.identifier, "FILL", "PLAC"), MessageKindIs(["SIU"]))
// A diagnosis, procedure, allergy or problem by its own identifier (DG1-20, PR1-19, IAM-7, PRB-4, with a
// system): updated by the messages that own it (owner: patient administration and billing for the first
// three, problem messages for problems), created when absent by the others.
def IdentifiedEntry(kind, n, resource, owner) =
  KeyedEntry(kind, n, resource, IdentifierSearch(first(Searchable(resource.identifier))), owner)
def AdministrationOwns() = MessageKindIs(["ADT", "BAR"])
def OrderMessageKinds() = ["ORM", "OML", "OMG", "OMI", "OMB", "OMD", "OMN", "OMS", "OMP", "OMQ"]
def MessageKindIs(kinds) = contains(kinds, upper(trim(MSH-9.1)))
def KeyedEntry(kind, n, resource, search, owner) = if search then {
  fullUrl: FullUrl(kind, n)
  resource: resource
  request: if owner then { method: "PUT", url: "${kind}?${search}" }
           else { method: "POST", url: kind, ifNoneExist: search }
} else Entry(kind, n, resource)

// The search that finds a patient by identifier: `identifier=system|value` of the first identifier with a
// system and a value typed MR (medical record number), else of the first with a system and a value that is
// not a social security or driver's licence number (those do not key a record); null when there is none.
def PatientSearch(identifiers) {
  let keyed = for id in identifiers where id.system and id.value and not IsPersonalNumber(id) => id
  return IdentifierSearch(first(for id in keyed where IdTypeCode(id) == "MR" => id) ?? first(keyed))
}
// An order's or a report's: the identifier typed `preferred` with a system, else the one typed `other`.
def OrderSearch(identifiers, preferred, other) {
  let keyed = Searchable(identifiers)
  return IdentifierSearch(first(for id in keyed where IdTypeCode(id) == preferred => id) ?? first(for id in keyed where IdTypeCode(id) == other => id))
}
// The visit's: its visit number (PV1-19, typed VN) when it has a system.
def VisitSearch(identifiers) = IdentifierSearch(first(for id in identifiers where id.system and id.value and IdTypeCode(id) == "VN" => id))
// System and value are escaped as FHIR search asks (a backslash before \, |, comma and $), then percent-encoded.
// The identifiers a search can find (a system and a value).
def Searchable(identifiers) = for id in identifiers where id.system and id.value => id
def IdentifierSearch(id) = if id then "identifier=${SearchToken(id.system)}|${SearchToken(id.value)}" else null
def IdTypeCode(id) = first(id.type.coding).code
def IsPersonalNumber(id) = id.system == "http://hl7.org/fhir/sid/us-ssn" or contains(["SS", "SB", "DL"], IdTypeCode(id))
def SearchToken(s) = url_encode(replace(replace(replace(replace(s, "\\", "\\\\"), "|", "\\|"), ",", "\\,"), "$", "\\$"))

// ---- MSH / EVN -------------------------------------------------------------------------------------------

// MSH-4 sending facility -> the sender Organization (IG MSH[MessageHeader]: MSH-4 sender(Organization) by
// HD[Organization], MSH-17 country code -> sender.address.country). Written when either is valued. Its
// identifiers are those of every other HD Organization (HdOrgIdentifiers), so references to it agree with
// both converters'; the namespace id is also its name (a readable sender).
def SenderOrganization(msh) {
  resourceType: "Organization"
  identifier[]: HdOrgIdentifiers(msh.4)
  name: msh.4.1 ?? msh.4.2
  address[]: { country: trim(msh.17) } if trim(msh.17)
  partOf: SenderPartOf(msh)
}
def HasSender(msh) = msh.4 or trim(msh.17)

// An HD as an endpoint url (IG HD[MessageHeader.source/destination]): its universal id as a URI; absent for a
// namespace id alone (then the endpoint is data-absent, as FHIR-Converter, ReportStream and Google's converter
// all write it: a name is no address, and "urn:id:<name>" named no endpoint anyone could reach).
def HdEndpoint(hd) = HdUri(hd)

// MSH-9 as the IG's MSG[Coding] display: "ORU^R01^ORU_R01" (code, trigger, structure as written).
def MessageTypeText(msh) = join([trim(msh.9.1), trim(msh.9.2), trim(msh.9.3)], "^")

// A required element the message does not give (IG: MSH-3/MSH-24 or MSH-5/MSH-25 not valued): FHIR's
// data-absent-reason extension on the primitive ("_endpoint": DataAbsent(), datatypes.cw), never a made-up
// endpoint.

// MSH -> MessageHeader (IG MSH[MessageHeader]): eventCoding MSG[Coding] (v2-0003 trigger, the whole type as
// display), source the sending network address MSH-24, else the sending application MSH-3 (name, endpoint; a
// message with neither has source.endpoint data-absent "unknown", as the IG says), sender the MSH-4/MSH-17
// Organization, destination the receiving network address MSH-25, else MSH-5 / MSH-6 (its endpoint
// data-absent likewise), MSH-19 language, MSH-11 processing id as a meta tag.
def MessageHeader(msh, focus) {
  resourceType: "MessageHeader"
  eventCoding: { system: "http://terminology.hl7.org/CodeSystem/v2-0003", code: fhir_code(msh.9.2), display: MessageTypeText(msh) }
  let receiving = if msh.25 then msh.25 else msh.5
  destination[]: {
    name: receiving.1
    endpoint: HdEndpoint(receiving) ?? HdEndpoint(msh.6)
    "_endpoint": DataAbsent() if not (HdEndpoint(receiving) ?? HdEndpoint(msh.6))
    receiver: ReceiverRef(msh)
  } if msh.5 or msh.6 or msh.25 or HasReceiver(msh)
  sender: Ref("Organization", "sender") if HasSender(msh)
  responsible: ResponsibleRef(msh)
  let sending = if msh.24 then msh.24 else msh.3
  source: {
    name: sending.1
    software: first(SFT-3)
    version: first(SFT-2)
    endpoint: HdEndpoint(sending)
    "_endpoint": DataAbsent() if not HdEndpoint(sending)
  }
  focus[]: focus
  language: fhir_code(msh.19.1)
  meta: { tag[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0103", code: fhir_code(msh.11.1) } if fhir_code(msh.11.1) }
}

const PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
// The author of the message (IG MSH[Provenance-Source], MSH[Provenance-Operator]): the sending responsible
// organization MSH-22 when valued (its entry: hl7v2.organizations EnvelopeOrgEntries), else the sender
// Organization (MSH-4); a message that names neither (no MSH-22, MSH-4, MSH-17) has an author all the same,
// unknown: R4 requires agent.who, and the IG's rule for a required element the message does not give is the
// data-absent-reason extension (as for source.endpoint), not a made-up party.
def SenderRef(msh) = ResponsibleRef(msh) ?? (if HasSender(msh) then Ref("Organization", "sender") else DataAbsent())
def Agent(type, who) = { type: { coding[]: { system: PARTICIPANT_TYPE, code: type } }, who: who }

// MSH -> Provenance (IG MSH[Provenance-Source]): the message as the source of what the Bundle holds.
// recorded/occurred MSH-7, activity the message type (display as FHIR-Converter and ReportStream write it; the
// IG's sheet prefixes "message - "), author the sender Organization (SenderRef), source entity the sending
// application MSH-3 as a Device (HD[Device]). recorded is an R4 instant: an MSH-7 without a zone gives none
// (run with --zone), and the Provenance is then left out with a warning.
def SourceProvenance(msh, targets) {
  resourceType: "Provenance"
  target[]: targets
  recorded: Instant(msh.7)
  occurredDateTime: datetime(msh.7)
  activity: { coding[]: { display: MessageTypeText(msh) } }
  agent[]: Agent("author", SenderRef(msh))
  entity[]: { role: "source", what: { reference: HdDeviceEntry(msh.3).fullUrl } } if HdDevice(msh.3)
}

// EVN -> Provenance (IG EVN[Provenance]): the event. recorded EVN-2 (else MSH-7), occurred EVN-6, reason
// EVN-4 (table 0062 -> v3-ActReason with its display, and the code as written), activity the trigger (v2-0003)
// with the message type as text, agent the operator EVN-5 (enterer, a Practitioner: XCN[Practitioner]) else
// the sender (author, SenderRef), location EVN-7 (HD[Location]).
def EventProvenance(msh, evn, targets) {
  resourceType: "Provenance"
  target[]: targets
  recorded: Instant(evn.2) ?? Instant(msh.7)
  occurredDateTime: datetime(evn.6)
  activity: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0003", code: fhir_code(evn.1) ?? trim(msh.9.2) },
              text: MessageTypeText(msh) }
  reason[]: { coding[]: translate_coding(evn.4.1, CM_0062_V3_ACTREASON)
              coding[]: CodingOf(evn.4.1, evn.4.2, evn.4.3 ?? "HL70062", evn.4.7) } if evn.4.1
  agent[]: Agent("enterer", PractitionerRefDisplay(evn.5)) if HasPerson(evn.5)
  agent[]: Agent("author", SenderRef(msh)) if not HasPerson(evn.5)
  location: { reference: HdLocationEntry(evn.7).fullUrl } if evn.7
}

// The IG message map a message was converted by (IG MSH[Provenance-Transformation] policy): the map of its
// trigger, or of the structure the trigger shares; absent for message types the IG has no map for.
def IgMessageMap(msh) = match "${upper(trim(msh.9.1))}^${upper(trim(msh.9.2))}" {
  "ADT^A01" | "ADT^A04" | "ADT^A08" | "ADT^A13" => "adt-a01"
  "ADT^A02" => "adt-a02"
  "ADT^A05" | "ADT^A14" | "ADT^A28" | "ADT^A31" => "adt-a05"
  "ADT^A06" | "ADT^A07" => "adt-a06"
  "ADT^A09" | "ADT^A10" => "adt-a09"
  "ADT^A11" => "adt-a11"
  "MDM^T02" | "MDM^T04" | "MDM^T06" | "MDM^T08" | "MDM^T10" => "mdm-t02"
  "OML^O21" => "oml-o21"
  "ORM^O01" => "orm-o01"
  "ORU^R01" => "oru-r01"
  "VXU^V04" => "vxu-v04"
  _ => if upper(trim(msh.9.1)) == "SIU" then "siu-s12" else null
}

// The conversion itself (IG MSH[Provenance-Transformation]): recorded is the time of transformation, the run's
// now() (crosswalk run --now; crosswalk serve gives the time the message was received); without it the
// resource is left out (no clock is read: the same message gives the same bytes). The assembler is this
// converter; the policy is the IG message map followed. The activity is the IG's code (with its code system's
// display) and, without a system, the "v2-FHIR transformation" code ReportStream and IZ Gateway's v2tofhir write
// for the same activity (a second coding of the same concept: readers of either find it).
def TransformationProvenance(msh, targets) {
  resourceType: "Provenance"
  target[]: targets
  recorded: instant(now())
  policy[]: "http://hl7.org/fhir/uv/v2mappings/message-${IgMessageMap(msh)}-to-bundle" if IgMessageMap(msh)
  activity: { coding[]: { system: "http://hl7.org/fhir/uv/v2mappings/CodeSystem/provenance-activity-type-v2-to-fhir",
                          code: "v2-fhir-transformation", display: "V2 To FHIR Transformation" }
              coding[]: { code: "v2-FHIR transformation", display: "HL7 V2 to FHIR transformation" } }
  agent[]: Agent("assembler", { display: "Crosswalk HL7 v2 to FHIR R4 maps" })
}

// PID -> Provenance (IG PID[Provenance-Patient]): the Patient was updated by this message, at the time of
// transformation (now(), as above); occurred PID-33 last update, agent PID-34 last update facility
// (performer), else the converter (assembler).
def PatientProvenance(pid) {
  resourceType: "Provenance"
  target[]: Ref("Patient", 1)
  recorded: instant(now())
  occurredDateTime: datetime(pid.33)
  activity: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v3-DataOperation", code: "UPDATE" } }
  agent[]: Agent("performer", { display: trim(pid.34.1) ?? trim(pid.34.2) }) if pid.34
  agent[]: Agent("assembler", { display: "Crosswalk HL7 v2 to FHIR R4 maps" }) if not pid.34
}

// ---- PID / PD1 -> Patient --------------------------------------------------------------------------------

// PID-10 race / PID-22 ethnic group -> US Core race / ethnicity extensions (IG PID[Patient] maps them to
// Patient.extension with these URLs). Codes of HL7 table 0005/0189 (their 2.5.1 values are CDC Race &
// Ethnicity codes "NNNN-N"), CDCREC or no system are written in the CDC system; table 0189's own H/N/U become the
// CDC 2135-2 / 2186-5 / UNK; the five OMB race (two ethnicity) categories go to ombCategory, other codes to
// detailed, the displays to text (joined with "+", as FHIR-Converter writes them: "White+Asian"; table 0189's H / N
// with FHIR-Converter's displays, EthnicityCoding).
const US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
const US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
const CDCREC = "urn:oid:2.16.840.1.113883.6.238"
def CdcCode(code, url) = if url == US_CORE_ETHNICITY then (match upper(code) { "H" => "2135-2" "N" => "2186-5" "U" => "UNK" _ => fhir_code(code) }) else fhir_code(code)
// Table 0189's H / N (written in HL70189 or without a system) as the CDC codes with FHIR-Converter's displays
// ("Non Hispanic or Latino"; the seeded ConceptMap fhir-converter-v2-0189-ethnicity, from its Ethnicity table).
const CM_0189_FHIR_CONVERTER = "https://crosswalk.dev/fhir/ConceptMap/fhir-converter-v2-0189-ethnicity"
def EthnicityCoding(cwe, url) = if url == US_CORE_ETHNICITY and (not cwe.3 or upper(cwe.3) == "HL70189")
                                then translate_coding(upper(trim(cwe.1)), CM_0189_FHIR_CONVERTER) else null
def CdcCoding(cwe, url) = EthnicityCoding(cwe, url) ?? CdcCodingAsWritten(cwe, url)
def CdcCodingAsWritten(cwe, url) {
  let code = CdcCode(cwe.1, url)
  let cdc = (not cwe.3 or contains(["HL70005", "HL70189", "CDCREC"], upper(cwe.3)))
            and (contains(code, "-") or code == "UNK" or code == "ASKU")
  return if cdc then { system: CDCREC, code: code, display: cwe.2 } else Coding(cwe)
}
def RaceEthnicity(url, cwes, omb) {
  url: url
  for c in cwes where c.1 {
    let coding = CdcCoding(c, url)
    extension[]: { url: if contains(omb, coding.code) then "ombCategory" else "detailed", valueCoding: coding } if coding.code
  }
  extension[]: { url: "text", valueString: join(for c in cwes where c.1 or c.2 => EthnicityCoding(c, url).display ?? c.2 ?? c.1, "+") }
}

// ARV (access restrictions, v2.6+) -> meta.security of the Patient and the Encounter it restricts. An ARV
// restricts the PID or PV1 that comes last before it (segment_index: v2.6+ structures put the patient's ARVs after
// PID/PD1 and the visit's after PV1; FHIR-Converter reads them the same way; no IG map reads ARV). ARV-3 (table
// 0717, what is restricted) and each ARV-4 (table 0719, why) become security labels through the ConceptMaps of
// maps/terminology/make_security_labels.py, else their v2 coding. An ARV whose action code (ARV-2, table 0206) is
// D deletes its restriction: it gives no label, so the resource written without it replaces the labelled one.
// ARV-5 (instructions, text) and ARV-6 (date range) have no place in a security Coding: not written.
def ArvAnchor(arv) {
  let i = segment_index(arv)
  let pid = last(for p in PID where segment_index(p) < i => segment_index(p)) ?? 0
  let pv1 = last(for v in PV1 where segment_index(v) < i => segment_index(v)) ?? 0
  return if pv1 > pid then pv1 else pid
}
def SecurityLabel(cwe, table) {
  let code = fhir_code(cwe.1)
  let label = if table == "0717" then translate_coding(code, CM_0717_SECURITY_LABEL) else translate_coding(code, CM_0719_SECURITY_LABEL)
  return if code then label ?? { system: V2System(table), code: code, display: trim(cwe.2) } else null
}
def SecurityLabelsOf(seg) {
  let at = segment_index(seg)
  for a in ARV where at and ArvAnchor(a) == at and upper(trim(a.2.1)) != "D" {
    labels[]: SecurityLabel(a.3, "0717")
    for r in a.4 { labels[]: SecurityLabel(r, "0719") }
  }
}
def SecurityMeta(seg) {
  let labels = SecurityLabelsOf(seg).labels
  return if labels then { security: distinct(labels) } else null
}

def Patient(pid, pd1) {
  resourceType: "Patient"
  meta: SecurityMeta(pid)
  extension[]: RaceEthnicity(US_CORE_RACE, pid.10, ["1002-5", "2028-9", "2054-5", "2076-8", "2106-3", "UNK", "ASKU"]) if pid.10
  extension[]: RaceEthnicity(US_CORE_ETHNICITY, pid.22, ["2135-2", "2186-5", "UNK", "ASKU"]) if pid.22
  extension[]: PatientExtensions(pid, pd1, if count(PID) == 1 then PV1-16 else null)
  identifier[]: PersonIdentifiers(pid.2)
  identifier[]: PersonIdentifiers(pid.3)
  identifier[]: PersonIdentifiers(pid.4)
  identifier[]: SsnIdentifier(pid.19)
  identifier[]: DriverLicense(pid.20)
  identifier[]: for in2 in IN2 => PersonIdentifiers(in2.61) if count(PID) == 1   // IN2-61 patient member number
  identifier[]: for gt1 in GT1 where SelfGuarantor(gt1) => SelfGuarantorIdentifiers(pid, gt1)
  name[]: PersonNames(pid.5)
  name[]: PersonNames(pid.9)
  telecom[]: for xtn in pid.13 where xtn.1 or xtn.4 or xtn.7 or xtn.12 => ContactPointWithUse(xtn, "home")
  telecom[]: for xtn in pid.14 where xtn.1 or xtn.4 or xtn.7 or xtn.12 => ContactPointWithUse(xtn, "work")
  telecom[]: ContactPoints(pid.40)
  gender: translate(pid.8, CM_0001_ADMINISTRATIVE_GENDER)
  birthDate: date(pid.7)
  "_birthDate": PatientBirthTime(pid.7)
  deceasedDateTime: datetime(pid.29) if pid.29
  deceasedBoolean: (pid.30 == "Y") if pid.30 and not pid.29
  address[]: Addresses(pid.11)
  contact[]: for nk1 in NK1 where IsKin(nk1) => PatientContact(nk1)
  contact[]: distinct(for ctd in CTD => CtdContact(ctd))   // each order may repeat the same contact
  maritalStatus: {
    coding[]: translate_coding(pid.16.1, CM_0002_V3_MARITALSTATUS)
    coding[]: Coding(pid.16) if pid.16.3
    text: pid.16.2
  } if pid.16
  multipleBirthInteger: integer(pid.25) if pid.25
  multipleBirthBoolean: (pid.24 == "Y") if pid.24 and not pid.25
  communication[]: { language: Language(pid.15), preferred: true } if Language(pid.15)
  generalPractitioner[]: for x in pd1.3 => XonOrgRef(x)
  generalPractitioner[]: for x in pd1.4 => PractitionerRef(x)
  generalPractitioner[]: distinct(for rol in PrimaryCareRols() => PartyRef(RolRoleAt(rol)))
  // the people taking part in the patient's care (PRT of the PATIENT group; FHIR-Converter)
  for p in PATIENT where count(PID) == 1 {
    for prt in direct(p.PRT) where HasPerson(prt.5) and not PrtRemoved(prt) { generalPractitioner[]: PrtRef(prt) }
  }
}

// XTN with a default use (PID-13 home, PID-14 work) when XTN.2 does not say (IG PID-13/14: "IF PID-13.2 IS
// NOT VALUED", so it also wins over the mobile use that a cell-phone XTN.3 gives on its own).
def ContactPointWithUse(xtn, use) {
  let cp = ContactPoint(xtn)
  extension: cp.extension
  system: cp.system
  value: cp.value
  use: translate(xtn.2, CM_0201_CONTACT_POINT_USE) ?? use
  rank: cp.rank
  period: cp.period
}

// ---- PV1 / PV2 -> Encounter ------------------------------------------------------------------------------

// PV1-7/8/9/17/52 -> Encounter.participant (IG PV1[Encounter]): the v3-ParticipationType code with the
// IG's wording, which is the code's display in v3-ParticipationType (as Google writes it), and as the type's
// text for the codes other than ATND (as FHIR-Converter and ReportStream write it).
def EncounterParticipant(xcn, typeCode, label) {
  type[]: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: typeCode, display: label },
            text: label if typeCode != "ATND" }
  individual: PractitionerRef(xcn)
}

// fixedStatus: the status the trigger event says (A03 "finished", A11/A27 "cancelled", A14 "planned"), or
// null to take it from PV1 (PV1-45 discharged -> finished, else PV1-2 through table 0004).
// The assigned location's status (PV1-3) also follows the event, as FHIR-Converter writes it: the patient is at
// it after an admit, transfer, registration, arrival or departure and their pending forms and cancellations
// (A01/A02/A04/A09/A10/A13/A15/A16/A25/A26: active), is to be there after a pre-admit or pending admit
// (A05/A14: planned), ADT trigger codes being the only A-codes; otherwise a pre-admission's (PV1-2 P) location is planned, any other active.
def IsPreadmit(pv1) = upper(trim(pv1.2.1)) == "P"
def LocationStatus(pv1, fixedStatus) = match fixedStatus { "planned" => "planned" "finished" | "cancelled" => "completed"
                                                          _ => if pv1.45 then "completed" else EventLocationStatus(pv1) }
def EventLocationStatus(pv1) = match upper(trim(MSH-9.2)) {
  "A01" | "A02" | "A04" | "A09" | "A10" | "A13" | "A15" | "A16" | "A25" | "A26" => "active"
  "A05" | "A14" => "planned"
  _ => if IsPreadmit(pv1) then "planned" else "active"
}
// The message's visit: the Encounter of its (first) PID. VisitEncounter writes the visit of the n-th patient of a
// message with several (ADT_A17 swaps two): subject Patient n, its own Account (PID-18) and EpisodeOfCare
// (PV1-54) entries; the message-level ROL participants go with the first patient only.
def Encounter(pv1, pv2, fixedStatus) = VisitEncounter(PID, pv1, pv2, fixedStatus, 1)
def VisitKey(base, n) = if n == 1 then base else "${base}-${n}"
def VisitEncounter(pid, pv1, pv2, fixedStatus, n) {
  resourceType: "Encounter"
  meta: SecurityMeta(pv1)
  identifier[]: {
    ...VisitIdentifier(pv1.19)
    type: { coding[]: { system: CS_V2_0203, code: "VN", display: lookup("VN", CS_V2_0203) }, text: "visit number" }
  } if trim(pv1.19.1)
  identifier[]: VisitIdentifier(pv1.50) if trim(pv1.50.1)
  // a discharge date/time (PV1-45) says the visit ended, whatever the event (unless it cancels the visit)
  status: if pv1.45 and fixedStatus != "cancelled" then "finished"
          else fixedStatus ?? translate(pv1.2, CM_0004_ENCOUNTER_STATUS) ?? "unknown"
  class: translate_coding(pv1.2, CM_0004_V3_ACTCODE)
         ?? { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" } if pv1.2
  class: { system: "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", code: "UNK" } if not pv1.2
  type[]: { coding[]: translate_coding(fhir_code(pv1.4.1), CM_0007_V2_0007, "keep") } if pv1.4
  serviceType: { coding[]: translate_coding(fhir_code(pv1.10.1), CM_0069_SERVICE_TYPE, "keep") } if pv1.10
  // PV2-25 (CWE in v2.7+): each triplet's code through the IG's 0217 ConceptMap (FHIR-Converter writes both),
  // then the triplets as written (PriorityCoding: with their versions CWE.7/CWE.8)
  priority: { coding[]: translate_coding(pv2.25.1, CM_0217_V3_ACTPRIORITY)
              coding[]: translate_coding(pv2.25.4, CM_0217_V3_ACTPRIORITY) if trim(pv2.25.4)
              coding[]: PriorityCoding(pv2.25.1, pv2.25.2, pv2.25.3, pv2.25.7) if trim(pv2.25.1)
              coding[]: PriorityCoding(pv2.25.4, pv2.25.5, pv2.25.6, pv2.25.8) if trim(pv2.25.4)
              text: trim(pv2.25.9) } if pv2.25
  subject: if n > 1 then Ref("Patient", n) else if PID then Ref("Patient", 1) else null
  participant[]: for x in pv1.7 where HasPerson(x) => EncounterParticipant(x, "ATND", "attender")
  participant[]: for x in pv1.8 where HasPerson(x) => EncounterParticipant(x, "REF", "referrer")
  participant[]: for x in pv1.9 where HasPerson(x) => EncounterParticipant(x, "CON", "consultant")
  participant[]: for x in pv1.17 where HasPerson(x) => EncounterParticipant(x, "ADM", "admitter")
  participant[]: for x in pv1.52 where HasPerson(x) => EncounterParticipant(x, "PART", "Participation")
  participant[]: for x in pv2.13 where HasPerson(x) => EncounterParticipant(x, "REF", "referrer")
  participant[]: for rol in direct(ROL) where n == 1 and HasPerson(rol.4) and not RolRemoved(rol) => RolParticipantAt(rol)
  // the people taking part in the visit (PRT of the VISIT / PATIENT_VISIT group; FHIR-Converter)
  for v in VISIT where n == 1 {
    for prt in direct(v.PRT) where HasPerson(prt.5) and not PrtRemoved(prt) { participant[]: { individual: PrtRef(prt) } }
  }
  for v in PATIENT_VISIT where n == 1 {
    for prt in direct(v.PRT) where HasPerson(prt.5) and not PrtRemoved(prt) { participant[]: { individual: PrtRef(prt) } }
  }
  period: { start: datetime(pv1.44), end: datetime(pv1.45) }
  length: { value: decimal(pv2.11), unit: "d", system: "http://unitsofmeasure.org", code: "d" } if pv2.11
  reasonCode[]: CodeableConcept(pv2.3) if pv2.3
  // PV2-8/9 expected admit/discharge (the R5 planned dates, backported), PV2-38 mode of arrival (IG PV2[Encounter]).
  extension[]: { url: "http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedStartDate",
                 valueDateTime: datetime(pv2.8) } if datetime(pv2.8)
  extension[]: { url: "http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedEndDate",
                 valueDateTime: datetime(pv2.9) } if datetime(pv2.9)
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/encounter-modeOfArrival", valueCoding: ArrivalModeCoding(pv2.38) }
               if ArrivalModeCoding(pv2.38).code
  account[]: Ref("Account", VisitKey("PID-18", n)) if pid and HasAccount(pid)
  episodeOfCare[]: Ref("EpisodeOfCare", VisitKey("PV1-54", n)) if VisitEpisodeOfCare(pid, pv1, n)
  hospitalization: {
    preAdmissionIdentifier: VisitIdentifier(pv1.5) if pv1.5.1
    admitSource: CodeableConcept(pv1.14) if pv1.14
    reAdmission: { coding[]: translate_coding(pv1.13.1, CM_0092_V2_0092) } if pv1.13
    specialArrangement[]: for cwe in pv1.15 where cwe.1 or cwe.2 => CodeableConcept(cwe)
    specialCourtesy[]: CodeableConcept(pv1.16) if pv1.16
    dischargeDisposition: CodeableConcept(pv1.36) if pv1.36
    destination: { reference: DischargeLocationEntry(pv1.37).fullUrl } if DischargeLocation(pv1.37)
    dietPreference[]: CodeableConcept(pv1.38) if pv1.38
  }
  location[]: EncounterLocations(pv1.3, { bedStatus: pv1.40 }, LocationStatus(pv1, fixedStatus), false)
  location[]: EncounterLocations(pv1.6, null, "completed", false)
  location[]: EncounterLocations(pv1.11, null, if IsPreadmit(pv1) then "planned" else "active", true)
  location[]: EncounterLocations(pv1.42, null, "planned", false)
  location[]: EncounterLocations(pv1.43, null, "completed", true)
  location[]: EncounterLocations(pv2.1, null, "planned", false)
}

// A PV2-25 visit priority triplet as written: a code without a coding system (CWE.3/CWE.6) is table 0217's when
// the table has it (in v2-0217, with its display from the store), else as Coding writes it. Its version
// (CWE.7/CWE.8) is the version of that v2 coding system, so it stays on this coding: FHIR-Converter puts it on
// the v3-ActPriority coding, whose version it is not.
const CS_V2_0217 = "http://terminology.hl7.org/CodeSystem/v2-0217"
def PriorityCoding(code, display, system, version) =
  if not trim(system) and lookup(trim(code), CS_V2_0217)
  then { system: CS_V2_0217, version: trim(version), code: fhir_code(code), display: trim(display) ?? lookup(trim(code), CS_V2_0217) }
  else CodingOf(code, display, system, version)

// PV2-38 mode of arrival (table 0430) -> Coding: a code of the table given without a system (CWE.3) is written
// in v2-0430 with its display from the store (as FHIR-Converter writes "C" as v2-0430 "Car"); else as
// Coding(cwe) writes it.
const CS_V2_0430 = "http://terminology.hl7.org/CodeSystem/v2-0430"
def ArrivalModeCoding(cwe) = if not trim(cwe.3) and lookup(trim(cwe.1), CS_V2_0430)
                             then { system: CS_V2_0430, code: fhir_code(cwe.1), display: trim(cwe.2) ?? lookup(trim(cwe.1), CS_V2_0430) }
                             else Coding(cwe)

// One Encounter.location (IG PV1[Encounter], PV2[Encounter]): PV1-3 assigned (active, planned for a
// pre-admit), PV1-6 prior (completed), PV1-11 temporary (active; flagged temporary as FHIR-Converter and
// ReportStream do), PV1-42 pending (planned: the IG's "reserved" is written beside the PV1-42 row, both
// converters say planned), PV1-43 prior temporary (completed, temporary), PV2-1 prior pending (planned).
// Nothing when the PL names no place. One entry per valued level of the PL (places.cw LocationLevelsAbout), the
// most specific first, each with its physicalType: the IG's and ReportStream's reference to the most specific
// level and FHIR-Converter's to the point of care are both there, and a reader of either finds its level.
def EncounterLocation(ref, status, temporary) = if ref.reference then {
  extension[]: { url: "http://hl7.org/fhir/uv/v2mappings/StructureDefinition/temporary-location", valueBoolean: true } if temporary
  location: ref
  status: status
} else null
def EncounterLocations(pl, about, status, temporary) = for level in LocationLevelsAbout(pl, about) => {
  ...EncounterLocation(level.ref, status, temporary)
  physicalType: { coding[]: { system: LOCATION_PHYSICAL_TYPE, code: level.physicalType,
                              display: lookup(level.physicalType, LOCATION_PHYSICAL_TYPE) } } if level.physicalType
}

// PV1-54 service episode identifier (+ PV1-53 its description) -> EpisodeOfCare (IG PV1[Encounter]:
// episodeOfCare(EpisodeOfCare.identifier)); status active, finished once PV1-45 says the visit ended. Only
// with a PID (EpisodeOfCare.patient is required); n: the patient's key (VisitEncounter).
def EpisodeOfCare(pv1) = VisitEpisodeOfCare(PID, pv1, 1)
def VisitEpisodeOfCare(pid, pv1, n) = if trim(pv1.54.1) and pid then {
  resourceType: "EpisodeOfCare"
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/resource-instance-description", valueString: trim(pv1.53) } if trim(pv1.53)
  identifier[]: VisitIdentifier(pv1.54)
  status: if pv1.45 then "finished" else "active"
  patient: Ref("Patient", n)
} else null

// Whether a PV1 says anything an Encounter maps (a bare "PV1|1" does not): the class, a location, a doctor,
// the service, the visit number, or the admit/discharge times. ReportStream writes the Encounter for any of
// them (a PV1 with only a prior location, or only the discharged-to location PV1-37, is still a visit).
def HasVisit(pv1) = pv1.2 or pv1.3 or pv1.4 or pv1.6 or pv1.7 or pv1.8 or pv1.9 or pv1.10 or pv1.11 or pv1.17
                    or pv1.19.1 or pv1.37 or pv1.42 or pv1.43 or pv1.44 or pv1.45

// Entries for PV1/PV2: the Encounter, its Locations and Practitioners (VisitEntries: of the n-th patient).
def EncounterEntries(pv1, pv2, fixedStatus) = VisitEntries(PID, pv1, pv2, fixedStatus, 1)
def VisitEntries(pid, pv1, pv2, fixedStatus, n) = [
  EncounterEntryFor(n, VisitEncounter(pid, pv1, pv2, fixedStatus, n)),
  VisitPlacesAndPeople(pid, pv1, pv2, n)
]
// The Account, Locations, Practitioners and roles an Encounter made from this PV1 (and PV2) refers to.
def EncounterPlacesAndPeople(pv1, pv2) = VisitPlacesAndPeople(PID, pv1, pv2, 1)
def VisitPlacesAndPeople(pid, pv1, pv2, n) = [
  AccountEntryOf(pid, n),
  Entry("EpisodeOfCare", VisitKey("PV1-54", n), VisitEpisodeOfCare(pid, pv1, n)) if VisitEpisodeOfCare(pid, pv1, n),
  IdentifierEntries(pv1.54) if VisitEpisodeOfCare(pid, pv1, n),
  // the assigning authorities (CX.4) of the visit's identifiers, as Organizations (AssignedIdentifier)
  IdentifierEntries(pv1.19), IdentifierEntries(pv1.50), IdentifierEntries(pv1.5),
  DischargeLocationEntry(pv1.37),
  distinct([LocationEntriesWith(pv1.3, pv1.40), LocationEntries(pv1.6), LocationEntries(pv1.11), LocationEntries(pv1.42),
            LocationEntries(pv1.43), LocationEntries(pv2.1)]),
  for x in pv2.13 => PractitionerEntries(x),
  for rol in direct(ROL) where n == 1 and not RolRemoved(rol) => RolEntriesAt(rol),
  for x in pv1.7 => PractitionerEntries(x),
  for x in pv1.8 => PractitionerEntries(x),
  for x in pv1.9 => PractitionerEntries(x),
  for x in pv1.17 => PractitionerEntries(x),
  for x in pv1.52 => PractitionerEntries(x)
]

// ---- NK1 -> RelatedPerson and Patient.contact -------------------------------------------------------------
// The IG maps every NK1 both to a RelatedPerson (NK1[RelatedPerson]: FHIR-Converter writes those) and to a
// Patient.contact (NK1[Patient]: ReportStream writes those); Crosswalk writes both.

// NK1-3 relationship (table 0063): the v3 RoleCode (or v2-0063 / v2-0131 code) the IG's ConceptMap gives for
// the code and for the alternate code (CWE.4, as FHIR-Converter maps it), and each original coding that names
// its system.
def Relationship(cwe) = if cwe.1 or cwe.2 or cwe.4 then {
  coding[]: translate_coding(cwe.1, CM_0063_V3_ROLECODE)
  coding[]: translate_coding(cwe.4, CM_0063_V3_ROLECODE) if trim(cwe.4)
  coding[]: Coding(cwe) if cwe.3
  coding[]: CodingOf(cwe.4, cwe.5, cwe.6, cwe.8) if cwe.4 and cwe.6
  text: cwe.2
} else null

// NK1-7 contact role (table 0131).
def ContactRole(cwe) = if cwe.1 or cwe.2 then {
  coding[]: translate_coding(fhir_code(cwe.1), CM_0131_V2_0131, "keep")
  text: cwe.2
} else null

def HasXtn(xtn) = xtn.1 or xtn.4 or xtn.7 or xtn.12

// NK1 -> RelatedPerson (IG NK1[RelatedPerson]): identifiers NK1-12, NK1-33, NK1-37 (SSN); names NK1-2 and
// the contact person NK1-30; relationship NK1-3 and contact role NK1-7; addresses NK1-4, NK1-32; telecom
// NK1-5 (home), NK1-6 (work), NK1-31, NK1-40, NK1-41; NK1-15 gender, NK1-16 birth date, NK1-20 language,
// NK1-8/9 period.
def RelatedPerson(nk1) {
  resourceType: "RelatedPerson"
  identifier[]: PersonIdentifiers(nk1.12)
  identifier[]: PersonIdentifiers(nk1.33)
  identifier[]: SsnIdentifier(nk1.37)
  patient: PatientRef()
  relationship[]: Relationship(nk1.3)
  relationship[]: ContactRole(nk1.7)
  name[]: PersonNames(nk1.2)
  name[]: PersonNames(nk1.30)
  telecom[]: for xtn in nk1.5 where HasXtn(xtn) => ContactPointWithUse(xtn, "home")
  telecom[]: for xtn in nk1.6 where HasXtn(xtn) => ContactPointWithUse(xtn, "work")
  telecom[]: for xtn in nk1.31 where HasXtn(xtn) => ContactPoint(xtn)
  telecom[]: for xtn in nk1.40 where HasXtn(xtn) => ContactPoint(xtn)
  telecom[]: for xtn in nk1.41 where HasXtn(xtn) => ContactPoint(xtn)
  gender: translate(nk1.15, CM_0001_ADMINISTRATIVE_GENDER)
  birthDate: date(nk1.16)
  address[]: Addresses(nk1.4)
  address[]: Addresses(nk1.32)
  period: { start: datetime(nk1.8), end: datetime(nk1.9) }
  communication[]: { language: Language(nk1.20), preferred: true } if Language(nk1.20)
}

// NK1 -> Patient.contact (IG NK1[Patient]): the first name and address (contact has one of each),
// relationship NK1-3 and role NK1-7, telecom NK1-5 (home), NK1-6 (work), NK1-40, NK1-41, gender NK1-15,
// period NK1-8/9, the organisation NK1-13 by name. Only an NK1 with a name, telecom, address or
// organisation is a contact.
def PatientContact(nk1) {
  let contact = {
    relationship[]: Relationship(nk1.3)
    relationship[]: ContactRole(nk1.7)
    name: first(HumanNames(nk1.2))
    telecom[]: for xtn in nk1.5 where HasXtn(xtn) => ContactPointWithUse(xtn, "home")
    telecom[]: for xtn in nk1.6 where HasXtn(xtn) => ContactPointWithUse(xtn, "work")
    telecom[]: for xtn in nk1.40 where HasXtn(xtn) => ContactPoint(xtn)
    telecom[]: for xtn in nk1.41 where HasXtn(xtn) => ContactPoint(xtn)
    address: first(Addresses(nk1.4))
    gender: translate(nk1.15, CM_0001_ADMINISTRATIVE_GENDER)
    organization: KinOrgRef(nk1)
    period: { start: datetime(nk1.8), end: datetime(nk1.9) }
  }
  // R4 pat-1: a contact has a name, telecom, address or organisation (a bare relationship is no contact).
  return if contact.name or contact.telecom or contact.address or contact.organization then contact else null
}

// CTD (contact data: ORU and order messages, the person to contact about the order or results) -> Patient.contact,
// as FHIR-Converter writes it (no IG map reads CTD): CTD-1 contact roles (table 0131, as NK1-7), the first CTD-2
// name and CTD-3 address, every CTD-5 telecom. CTD-4 (location), CTD-6 (preferred method) and CTD-7 (licence
// numbers) have no element in Patient.contact. Like an NK1's, a CTD with no name, telecom or address is no contact
// (pat-1).
def CtdContact(ctd) {
  let contact = {
    relationship[]: for r in ctd.1 where r.1 or r.2 => ContactRole(r)
    name: first(HumanNames(ctd.2))
    telecom[]: for xtn in ctd.5 where HasXtn(xtn) => ContactPoint(xtn)
    address: first(Addresses(ctd.3))
  }
  return if contact.name or contact.telecom or contact.address then contact else null
}

// The NK1 that describe someone: a name, a relationship, a contact person, or only their identifiers, address
// or telecom (IG NK1[RelatedPerson] maps every NK1; ReportStream writes one for an NK1 with only NK1-32).
def IsKin(nk1) = nk1.2 or nk1.3 or nk1.30 or nk1.4 or nk1.32 or nk1.5 or nk1.6 or nk1.31 or nk1.40 or nk1.41
                 or nk1.12 or nk1.33 or nk1.37

// The RelatedPerson entries of the message's NK1 segments, keyed by position (set ids repeat in real feeds);
// part of PersonEntries, and written by the ORU map too (IG ORU_R01: PATIENT.NK1 -> RelatedPerson).
// The mother of PID-21 is one too (IG CX[RelatedPerson-Mother]).
def KinEntries() = [
  for nk1, i in NK1 where IsKin(nk1) and PID => [Entry("RelatedPerson", i + 1, RelatedPerson(nk1)),
                                         IdentifierEntries(nk1.12), IdentifierEntries(nk1.33)],
  [Entry("RelatedPerson", "PID-21", MotherRelatedPerson(PID, PatientRef())), IdentifierEntries(PID-21)]
    if PID and MotherRelatedPerson(PID, PatientRef())
]

// ---- IN1 / IN2 -> Coverage (+ the payor, policy holder and insured) ----------------------------------------

def Payor(in1) {
  resourceType: "Organization"
  identifier[]: for cx in in1.3 where cx.1 => Identifier(cx)
  name: in1.4.1
  address[]: Addresses(in1.5)
  telecom[]: ContactPoints(in1.7)
  // IN1-6 the insurance company's contact person (IG IN1[Coverage]: payor(Organization.contact.name))
  contact[]: for xpn in in1.6 where trim(xpn.1) or trim(xpn.2) => { name: HumanName(xpn) }
}

// IN1-10 insured's group employer id / IN1-11 its name -> the policy holder Organization (IG IN1[Coverage]).
// Its address IN1-44 (insured's employer address), phone IN2-64 (insured employer phone) and contact IN2-49 /
// IN2-50 (employer contact person and phone), as FHIR-Converter writes them (never of use home: org-2/3).
def PolicyHolder(in1, in2) = if in1.10.1 or in1.11.1 then {
  resourceType: "Organization"
  identifier[]: Identifiers(in1.10)
  name: trim(in1.11.1)
  address[]: for a in Addresses(in1.44) => OrgAddress(a)
  telecom[]: for t in ContactPoints(in2.64) => OrgContactPoint(t)
  contact[]: { name: HumanName(in2.49) if trim(in2.49.1) or trim(in2.49.2), telecom[]: ContactPoints(in2.50) }
             if trim(in2.49.1) or trim(in2.49.2) or ContactPoints(in2.50)
} else null

// IN1-17 is the patient themself ("SEL"): the subscriber is the Patient (IG IN1-16).
def InsuredIsPatient(in1) = upper(trim(in1.17.1)) == "SEL"

// IN1-16..19 (+ IN2) -> the insured person when it is not the patient (IG IN1-16 subscriber(RelatedPerson)):
// name IN1-16, relationship IN1-17, birth date IN1-18, address IN1-19, gender IN1-43; identifiers IN1-49,
// IN2-1 and the SSN IN2-2; telecom IN2-63 (insured's home phone or e-mail, as FHIR-Converter writes it; the IG's
// IN1 sheet has no IN2 map).
def Insured(in1, in2) = if in1.16 and not InsuredIsPatient(in1) and PID then {   // RelatedPerson.patient is required
  resourceType: "RelatedPerson"
  identifier[]: PersonIdentifiers(in1.49)
  identifier[]: PersonIdentifiers(in2.1)
  identifier[]: SsnIdentifier(in2.2)
  patient: PatientRef()
  relationship[]: Relationship(in1.17)
  name[]: PersonNames(in1.16)
  gender: translate(in1.43, CM_0001_ADMINISTRATIVE_GENDER)
  birthDate: date(in1.18)
  telecom[]: ContactPoints(in2.63)
  address[]: Addresses(in1.19)
  communication[]: { language: Language(in2.34), preferred: true } if Language(in2.34)
} else null

// IN1-17 (table 0063) -> Coverage.relationship (subscriber-relationship). No IG ConceptMap exists for this
// pair; the codes with one meaning are mapped, any other is kept as its v2-0063 coding.
def SubscriberRelationship(cwe) = match upper(trim(cwe.1)) {
  "SEL" => "self" "SPO" => "spouse" "CHD" | "NCH" | "SCH" | "FCH" => "child" "PAR" | "MTH" | "FTH" => "parent" _ => null
}

// IN1-37/38/40/41 (CP) -> costToBeneficiary: the amount (CP.1 MO) and the price type (CP.2, table 0205).
def CostToBeneficiary(cp) = if cp.1.1 and decimal(cp.1.1) then {
  type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0205", code: fhir_code(cp.2) } } if trim(cp.2)
  valueMoney: { value: decimal(cp.1.1), currency: fhir_code(upper(cp.1.2)) if length(trim(cp.1.2)) == 3 }
} else null

// IN1 (+ IN2) -> Coverage (IG IN1[Coverage]; FHIR-Converter for IN1-36 and IN2).
def Coverage(in1, in2, n) {
  resourceType: "Coverage"
  extension[]: for cx in in1.49 where cx.1 => { url: "http://hl7.org/fhir/5.0/StructureDefinition/extension-Coverage.subscriberId",
                                                valueIdentifier: Identifier(cx) }
  // the policy number: v2-0203 has no code for it; typed PLN "Policy Number" in FHIR-Converter's own
  // additional-identifier code system (a name without a URI: urn:id:, as the other local systems)
  identifier[]: { type: { coding[]: { system: "urn:id:additional-identifier", code: "PLN", display: "Policy Number" } },
                  value: trim(in1.36) } if trim(in1.36)
  identifier[]: { type: { coding[]: { system: CS_V2_0203, code: "MC", display: lookup("MC", CS_V2_0203) } },
                  system: "http://hl7.org/fhir/sid/us-medicare", value: trim(in2.6) } if trim(in2.6)
  identifier[]: { type: { coding[]: { system: CS_V2_0203, code: "MA", display: lookup("MA", CS_V2_0203) } }, value: trim(in2.8) } if trim(in2.8)
  identifier[]: PersonIdentifiers(in2.61)   // the patient's member number (FHIR-Converter)
  status: "active"
  type: CoverageType(in1.15)
  policyHolder: Ref("Organization", "IN1-${n}-holder") if PolicyHolder(in1, in2)
  subscriber: if InsuredIsPatient(in1) then Ref("Patient", 1) else if Insured(in1, in2) then Ref("RelatedPerson", "IN1-${n}") else null
  subscriberId: in1.49.1 ?? in1.36
  beneficiary: Ref("Patient", 1)
  relationship: {
    coding[]: { system: "http://terminology.hl7.org/CodeSystem/subscriber-relationship", code: SubscriberRelationship(in1.17),
                display: lookup(SubscriberRelationship(in1.17), "http://terminology.hl7.org/CodeSystem/subscriber-relationship") } if SubscriberRelationship(in1.17)
    coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0063", code: fhir_code(in1.17.1) } if not SubscriberRelationship(in1.17)
  } if in1.17.1
  period: { start: date(in1.12), end: date(in1.13) }
  payor[]: PartyRef(Payor(in1))   // content-keyed: one insurer written once however many IN1 name it
  class[]: { type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/coverage-class", code: "group", display: "Group" } },
             value: in1.8, name: in1.9.1 } if in1.8
  class[]: { type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/coverage-class", code: "plan", display: "Plan" } },
             value: in1.2.1, name: in1.2.2 } if in1.2.1
  network: trim(in1.2.2)
  costToBeneficiary[]: CostToBeneficiary(in1.37)
  costToBeneficiary[]: CostToBeneficiary(in1.38)
  costToBeneficiary[]: CostToBeneficiary(in1.40)
  costToBeneficiary[]: CostToBeneficiary(in1.41)
}

// The entries of one INSURANCE group: the Coverage, its payor, policy holder and insured person.
def InsuranceEntries(ins, n) = [
  IdentifiedEntry("Coverage", n, Coverage(ins.IN1, ins.IN2, n), AdministrationOwns()),
  IdentifierEntries(ins.IN2.61),
  PartyEntry(Payor(ins.IN1)),
  Entry("Organization", "IN1-${n}-holder", PolicyHolder(ins.IN1, ins.IN2)) if PolicyHolder(ins.IN1, ins.IN2),
  Entry("RelatedPerson", "IN1-${n}", Insured(ins.IN1, ins.IN2)) if Insured(ins.IN1, ins.IN2),
  [IdentifierEntries(ins.IN1.49), IdentifierEntries(ins.IN2.1)] if Insured(ins.IN1, ins.IN2)
]

// ---- GT1 -> RelatedPerson (guarantor), PID-18 -> Account ---------------------------------------------------

// GT1 -> the guarantor as a RelatedPerson (FHIR-Converter; the IG has no GT1 map): identifiers GT1-2, GT1-19
// and the SSN GT1-12, name GT1-3, address GT1-5, telecom GT1-6 (home) / GT1-7 (work), birth date GT1-8,
// gender GT1-9, relationship GT1-11. A guarantor that is the patient (GT1-11 "SEL") or an organisation
// (GT1-21) is no RelatedPerson.
def GuarantorIsPerson(gt1) = gt1.3 and upper(trim(gt1.11.1)) != "SEL"
def Guarantor(gt1) {
  resourceType: "RelatedPerson"
  identifier[]: PersonIdentifiers(gt1.2)
  identifier[]: PersonIdentifiers(gt1.19)
  identifier[]: SsnIdentifier(gt1.12)
  patient: PatientRef()
  relationship[]: Relationship(gt1.11)
  name[]: PersonNames(gt1.3)
  telecom[]: for xtn in gt1.6 where HasXtn(xtn) => ContactPointWithUse(xtn, "home")
  telecom[]: for xtn in gt1.7 where HasXtn(xtn) => ContactPointWithUse(xtn, "work")
  gender: translate(gt1.9, CM_0001_ADMINISTRATIVE_GENDER)
  birthDate: date(gt1.8)
  address[]: Addresses(gt1.5)
  communication[]: { language: Language(gt1.36), preferred: true } if Language(gt1.36)
}

// A guarantor who is the patient (GT1-11 "SEL", of a message's only patient): GT1-2 guarantor number, GT1-19
// employee id and GT1-12 SSN (when PID-19 does not give it already) identify the patient, and are written on the
// Patient, as FHIR-Converter does (the guarantor is no RelatedPerson then: GuarantorIsPerson).
def SelfGuarantor(gt1) = upper(trim(gt1.11.1)) == "SEL" and count(PID) == 1
def SelfGuarantorIdentifiers(pid, gt1) = [
  PersonIdentifiers(gt1.2),
  PersonIdentifiers(gt1.19),
  SsnIdentifier(gt1.12) if trim(gt1.12) != trim(pid.19)
]

// PID-18 patient account number -> Account (IG PID[Account]: identifier, status active), with the
// guarantors of the message's GT1 segments (party, GT1-13/14 period) and its insurance (the INSURANCE groups'
// Coverages, which PersonEntries writes); n: the key of the PID's Patient (the GT1 and IN1 segments are the
// first patient's). A guarantor is the GT1 person (a RelatedPerson), the patient (GT1-11 SEL), and the GT1-21
// guarantor organisation, as FHIR-Converter writes them.
def PatientAccount(pid, n) {
  resourceType: "Account"
  identifier[]: AssignedIdentifiers(pid.18)
  status: "active"
  subject[]: Ref("Patient", n)
  coverage[]: for ins, i in INSURANCE where n == 1 => { coverage: Ref("Coverage", i + 1) }
  for gt1, i in GT1 where n == 1 {
    guarantor[]: { party: Ref("RelatedPerson", "GT1-${i + 1}"), onHold: false, period: GuarantorPeriod(gt1) } if GuarantorIsPerson(gt1)
    guarantor[]: { party: Ref("Patient", 1), onHold: false, period: GuarantorPeriod(gt1) } if SelfGuarantor(gt1)
    guarantor[]: { party: XonOrgRef(gt1.21), onHold: false, period: GuarantorPeriod(gt1) } if XonOrgRef(gt1.21)
  }
}
def GuarantorPeriod(gt1) = { start: date(gt1.13), end: date(gt1.14) }
def HasAccount(pid) = pid.18.1
// The Account entry: written with the Encounter (whose account it is) when there is one, else with the
// message's people (PersonEntries(withEncounter) is called with whether EncounterEntries was).
def AccountEntry() = AccountEntryOf(PID, 1)
// The Account and every resource it refers to (its guarantors: a RelatedPerson per person GT1, as PersonEntries
// writes them, the GT1-21 organizations), so that no message kind writes an Account whose guarantor is missing.
def AccountEntryOf(pid, n) = if pid and HasAccount(pid) then [IdentifiedEntry("Account", VisitKey("PID-18", n), PatientAccount(pid, n), AdministrationOwns()),
                                                               IdentifierEntries(pid.18),
                                                               for gt1, i in GT1 where n == 1 and GuarantorIsPerson(gt1) =>
                                                                 [Entry("RelatedPerson", "GT1-${i + 1}", Guarantor(gt1)),
                                                                  IdentifierEntries(gt1.2), IdentifierEntries(gt1.19)],
                                                               for gt1 in GT1 where n == 1 => XonOrgEntries(gt1.21)] else null

// ---- AL1 -> AllergyIntolerance ---------------------------------------------------------------------------

const ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
def AllergyIntolerance(al1) {
  resourceType: "AllergyIntolerance"
  identifier[]: { value: al1.3.1 } if al1.3.1
  clinicalStatus: { coding[]: { system: ALLERGY_CLINICAL, code: "active", display: lookup("active", ALLERGY_CLINICAL) } }
  type: translate(al1.2.1, CM_0127_ALLERGY_INTOLERANCE_TYPE)
  category[]: translate(al1.2.1, CM_0127_ALLERGY_INTOLERANCE_CATEGORY)
  criticality: translate(al1.4.1, CM_0128_ALLERGY_INTOLERANCE_CRITICALITY)
  code: CodeableConcept(al1.3)
  patient: PatientRef()
  onsetDateTime: datetime(al1.6)
  reaction[]: {
    manifestation[]: for m in al1.5 where m => { text: m }
    severity: translate(al1.4.1, CM_0128_REACTION_EVENT_SEVERITY)
    onset: datetime(al1.6)   // as FHIR-Converter and Google write AL1-6 (the IG: onsetDateTime, written above)
  } if al1.5
}

// ---- DG1 -> Condition ------------------------------------------------------------------------------------

def Condition(dg1, withEncounter) {
  resourceType: "Condition"
  identifier[]: EntityIdentifier(dg1.20) if dg1.20.1
  category[]: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/condition-category", code: "encounter-diagnosis" } }
  // DG1-4 description as the text (IG DG1[Condition] code.text; FHIR-Converter and Google write it over DG1-3's)
  code: { ...CodeableConcept(dg1.3) if dg1.3, text: trim(dg1.4) ?? CodeableConcept(dg1.3).text } if dg1.3 or trim(dg1.4)
  subject: PatientRef()
  encounter: Ref("Encounter", 1) if withEncounter
  onsetDateTime: datetime(dg1.5)
  recordedDate: datetime(dg1.19)
  // DG1-19 attestation time as the asserted date too (IG DG1[Condition] writes both; FHIR-Converter the extension)
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/condition-assertedDate",
                 valueDateTime: datetime(dg1.19) } if datetime(dg1.19)
  asserter: PractitionerRef(dg1.16)
  let dueTo = translate_coding(dg1.6, CM_0052_DIAGNOSIS_ROLE)
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/condition-dueTo",
                 valueCodeableConcept: { coding[]: dueTo } } if dueTo
}

// DG1 -> Encounter.diagnosis (IG DG1[Encounter], "in context of an encounter"): the Condition of each DG1 that
// PersonEntries writes (same key), use DG1-6 (table 0052 -> diagnosis-role, the IG's DiagnosisType map), rank
// DG1-15. Only for maps that write those Conditions (EncounterEntriesWithDiagnoses), so that every reference
// resolves inside the Bundle.
def EncounterDiagnoses() = for dg1, i in DG1 where dg1.3 or dg1.4 => {
  condition: Ref("Condition", i + 1)
  use: { coding[]: translate_coding(dg1.6, CM_0052_DIAGNOSIS_ROLE) } if translate_coding(dg1.6, CM_0052_DIAGNOSIS_ROLE)
  rank: integer(dg1.15) if integer(dg1.15) and integer(dg1.15) > 0
}
def EncounterEntriesWithDiagnoses(pv1, pv2, fixedStatus) = [
  EncounterEntryFor(1, { ...Encounter(pv1, pv2, fixedStatus), diagnosis[]: EncounterDiagnoses() }),
  DiagnosedPlacesAndPeople(pv1, pv2)
]
// The same diagnoses as the visit's EpisodeOfCare.diagnosis (PV1-54; FHIR-Converter: DG1-6 role, DG1-15 rank):
// EncounterPlacesAndPeople with that EpisodeOfCare written with them, for the maps that write the Conditions.
def DiagnosedPlacesAndPeople(pv1, pv2) = for e in EncounterPlacesAndPeople(pv1, pv2) =>
  if e.fullUrl == FullUrl("EpisodeOfCare", "PV1-54")
  then Entry("EpisodeOfCare", "PV1-54", { ...EpisodeOfCare(pv1),
                                          diagnosis[]: for d in EncounterDiagnoses() => { condition: d.condition, role: d.use,
                                                                                           rank: d.rank } })
  else e

// ---- PR1 -> Procedure ------------------------------------------------------------------------------------

// PR1 -> Procedure (IG PR1[Procedure]). status: the IG leaves it to the message's context, "unknown" when that
// is not clear, which is the case for ADT/BAR/DFT (FHIR-Converter writes the same). code: PR1-3, its text
// PR1-4 when PR1-3.9 gives none. The performers' functions: the IG's SNOMED CT codes (PR1-8 anesthesiologist,
// PR1-11 surgeon) with FHIR-Converter's text and performer-role code; PR1-12 by those two. PR1-23 treating
// unit: location (PL[Location]).
// FHIR-Converter's own performer-role code of each (its code system has no URI: urn:id:, as siu.cw's contact roles)
// is a second coding of the same function.
def PerformerFunction(code, local, text) = {
  coding[]: { system: "http://snomed.info/sct", code: code } if code
  coding[]: { system: "urn:id:performer-role", code: local, display: text }
  text: text
}
def ProcedureCode(pr1) {
  let cc = CodeableConcept(pr1.3)
  ...cc
  text: trim(pr1.3.9) ?? trim(pr1.4) ?? cc.text
}
// PR1-23 is the treating unit (PL) from v2.7 on; before, the organisation unit type (CE): not a place.
def TreatingUnit(pr1) = if starts_with(trim(MSH-12.1), "2.7") or starts_with(trim(MSH-12.1), "2.8") or starts_with(trim(MSH-12.1), "2.9")
                        then first(pr1.23) else null
// The ROLs of the i-th PR1 (0-based): those of its PROCEDURE (or DFT FINANCIAL_PROCEDURE) group, when every PR1
// of the message is in such a group (so the i-th group is the i-th PR1's).
def ProcedureGroups() = if count(PROCEDURE) > 0 then PROCEDURE else FINANCIAL_PROCEDURE
def ProcedureRols(i) = if count(ProcedureGroups()) == count(PR1) then RolsOf(ProcedureGroups()[i]) else null
def RolsOf(g) = for rol in g.ROL where RolRoleAt(rol) and not RolRemoved(rol) => rol
def Procedure(pr1, withEncounter, rols) {
  resourceType: "Procedure"
  identifier[]: EntityIdentifier(pr1.19) if pr1.19.1
  status: "unknown"
  code: ProcedureCode(pr1) if pr1.3 or pr1.4
  subject: PatientRef()
  encounter: Ref("Encounter", 1) if withEncounter
  performedDateTime: datetime(pr1.5)
  category: CodeableConcept(pr1.6) if pr1.6
  performer[]: for x in pr1.8 where HasPerson(x) => { function: PerformerFunction("88189002", "anesthesiologist", "Anesthesiologist"), actor: PractitionerRefDisplay(x) }
  performer[]: for x in pr1.11 where HasPerson(x) => { function: PerformerFunction("304292004", "surgeon", "Surgeon"), actor: PractitionerRefDisplay(x) }
  performer[]: for x in pr1.12 where HasPerson(x) => { function: PerformerFunction(null, "procedure-practitioner", "Procedure Practitioner"), actor: PractitionerRefDisplay(x) }
  // the PROCEDURE group's ROLs (FHIR-Converter: their PractitionerRoles as actors), ROL-3 the function
  performer[]: for rol in rols => { function: CodeableConcept(rol.3) if rol.3, actor: PartyRef(RolRoleAt(rol)) }
  location: LocationRef(TreatingUnit(pr1)) if TreatingUnit(pr1) and LocationRef(TreatingUnit(pr1)).reference
  reasonCode[]: CodeableConcept(pr1.15) if pr1.15
  partOf[]: PartyRef(ParentProcedure(pr1))
}
// PR1-25 parent procedure id (v2.7+; EI) -> partOf: the procedure this one is part of, a Procedure the message
// names only by that identifier (status unknown, the patient), as FHIR-Converter writes it. Content-keyed: PR1s
// with the same parent share it.
def ParentProcedure(pr1) = if trim(pr1.25.1) and PID then {
  resourceType: "Procedure"
  identifier[]: EntityIdentifier(pr1.25)
  status: "unknown"
  subject: PatientRef()
} else null

// ---- ACC -> the accident as an Observation ---------------------------------------------------------------------
// The IG has no ACC map; FHIR-Converter writes the accident as an Observation, reproduced: the injury incident
// (LOINC 11374-6, and FHIR-Converter's local code), ACC-1 when, ACC-8 the description as its value, ACC-13 its
// identifier, ACC-7 entered by as performer, ACC-5 / ACC-6 / ACC-10 (job related, death, police notified; table
// 0136) as components, and the place (ACC-3 text, ACC-11 address) as a Location (VRDR Observation-Location).
const CS_V2_0136 = "http://terminology.hl7.org/CodeSystem/v2-0136"
def AccidentIndicator(code, display, yn) = if trim(yn) then {
  code: { coding[]: { system: "urn:id:accident-indicator", code: code, display: display } }
  valueCodeableConcept: { coding[]: { system: CS_V2_0136, code: fhir_code(upper(yn)), display: lookup(upper(trim(yn)), CS_V2_0136) } }
} else null
def AccidentPlace(acc) = if trim(acc.3) or acc.11.1 or acc.11.3 then {
  resourceType: "Location"
  name: trim(acc.3)
  mode: "instance"
  address: Address(acc.11) if acc.11.1 or acc.11.3
} else null
def HasAccident(acc) = acc and (acc.1 or acc.2 or trim(acc.3) or trim(acc.8))
def AccidentObservation(acc, withEncounter) {
  resourceType: "Observation"
  extension[]: { url: "http://hl7.org/fhir/us/vrdr/StructureDefinition/Observation-Location",
                 valueReference: PartyRef(AccidentPlace(acc)) } if AccidentPlace(acc)
  identifier[]: for ei in acc.13 where trim(ei.1) => EntityIdentifier(ei)
  status: "final"
  code: { coding[]: { system: "http://loinc.org", code: "11374-6", display: "Injury incident description Narrative" }
          coding[]: { system: "urn:id:observation-code", code: "injury-incident", display: "Injury Incident Description Narrative" } }
  subject: PatientRef() if PID   // optional: none rather than unknown
  encounter: Ref("Encounter", 1) if withEncounter
  effectiveDateTime: datetime(acc.1)
  performer[]: PractitionerRef(acc.7)
  valueString: trim(acc.8)
  valueCodeableConcept: CodeableConcept(acc.2) if acc.2 and not trim(acc.8)
  component[]: AccidentIndicator("AJRI", "Accident Job Related Indicator", acc.5)
  component[]: AccidentIndicator("ADI", "Accident Death Indicator", acc.6)
  component[]: AccidentIndicator("PNI", "Police Notified Indicator", acc.10)
}
def AccidentEntries(withEncounter) = if HasAccident(ACC) and PID then [
  Entry("Observation", "ACC", AccidentObservation(ACC, withEncounter)),
  PartyEntry(AccidentPlace(ACC)),
  PractitionerEntries(ACC-7)
] else null

// ---- ROL with its locations ---------------------------------------------------------------------------------
// ROL-13 (the person's location, PL) as the PractitionerRole's locations (IG ROL[Encounter-PractitionerRole]
// ROL-13 -> location(Location), PL[Location]); hl7v2.parties RolRole writes the rest (it cannot refer to places).
def RolRoleAt(rol) = if RolRole(rol) then {
  ...RolRole(rol)
  location[]: for pl in rol.13 where LocationRef(pl).reference => LocationRef(pl)
} else null
// The patient's primary care providers (IG ADT_A01 PID.ROL: "IF ROL-3.1 EQUALS PP AND ROL-3.3 EQUALS HL70443" ->
// ROL[Patient-GeneralPractitioner]; FHIR-Converter: the ROLs after PID/PD1): the message-level ROLs whose role ROL-3
// is PP of table 0443 (or PP without a system). The language cannot tell the ROLs after PD1 from those after PV1/PV2
// (both are the message's own), so the IG's condition decides alone; every message-level ROL stays an Encounter
// participant as well (IG PV1.ROL).
def PrimaryCareRols() = if count(PID) == 1 then (for rol in direct(ROL) where upper(trim(rol.3.1)) == "PP"
                                                   and (not trim(rol.3.3) or upper(trim(rol.3.3)) == "HL70443")
                                                   and RolRoleAt(rol) and not RolRemoved(rol) => rol) else null
// A ROL whose action code (ROL-2, table 0287) is DE / UN (delete, unlink) ends the role: nothing is written for it.
def RolRemoved(rol) = contains(["DE", "UN"], upper(trim(rol.2)))
def RolParticipantAt(rol) = { ...RolParticipant(rol), individual: PartyRef(RolRoleAt(rol)) }
def RolEntriesAt(rol) = if RolRoleAt(rol) then [PartyEntry(RolRoleAt(rol)), PractitionerEntries(rol.4), XonOrgEntries(rol.14),
                                                for pl in rol.13 => LocationEntries(pl)] else null

// ---- PRT -> participations --------------------------------------------------------------------------------
// PRT (participation, v2.7+; v2.5.1 feeds send it too) after the segment whose act it takes part in (PID, PV1,
// ORC, OBR, OBX, RXO/RXE/RXD, FT1, PR1). IG PRT[PractitionerRole] when PRT-5 names a person: a PractitionerRole
// (PRT-4 role of participation as its code, PRT-6 specialty, PRT-8 organization with PRT-7 as its type, PRT-9
// locations, PRT-11/12 period, PRT-15 telecom, PRT-24 contact identifiers) of the PRT-5 Practitioner (PRT-14 its
// address); IG PRT[Device] when PRT-10 / PRT-16 names a device. Without a person, PRT-8 and PRT-9 are the
// participating organizations and places themselves (FHIR-Converter). An action code D (delete; FHIR-Converter's
// DE / UN likewise) ends the participation: nothing is written for it.
// The role code: PRT-4 (table 0912) as written (CWE[CodeableConcept]: v2-0912 for HL70912), and, for a code that
// is also a v2-0443 provider role (AD, AT, CP, OP, ...), that coding with its display, as FHIR-Converter writes it;
// another code of table 0912 sent without its coding system (RCT, results copies to) is that table's, with its
// display (FHIR-Converter labels RCT v2-0443, which has no such code).
def ParticipationRole(cwe) = if trim(cwe.1) or trim(cwe.2) then {
  let display = lookup(trim(cwe.1), CS_V2_0443)
  let role = if not display and not trim(cwe.3) then lookup(trim(cwe.1), CS_V2_0912) else null
  let cc = CodeableConcept(cwe)
  coding[]: { system: CS_V2_0443, code: fhir_code(cwe.1), display: display } if display
  coding[]: { system: CS_V2_0912, code: fhir_code(cwe.1), display: trim(cwe.2) ?? role } if role
  coding[]: for c in cc.coding where c.system or not (display or role) => c
  text: cc.text
} else null
def PrtRemoved(prt) = contains(["D", "DE", "UN"], upper(trim(prt.2)))
// PLN (PRT-24 contact identifiers) -> Identifier: PLN.1 the id, PLN.2 its type (table 0338), PLN.4 its expiry.
def PlnIdentifier(pln) = {
  type: { coding[]: { system: V2System("0338"), code: fhir_code(pln.2) } } if trim(pln.2)
  value: trim(pln.1)
  period: { end: date(pln.4) }
}
// The first PRT-5 person with the PRT-14 addresses (IG: practitioner(Practitioner.address)).
def PrtPractitioner(prt) = if HasPerson(prt.5) then { ...Practitioner(prt.5), address[]: Addresses(prt.14) } else null
// The first PRT-8 organization with PRT-7 (organization unit type, table 0406) as its type.
def PrtOrganization(prt) = if XonOrganization(prt.8) then { ...XonOrganization(prt.8), type[]: CodeableConcept(prt.7) if prt.7 } else null
def PrtRole(prt) = if HasPerson(prt.5) and not PrtRemoved(prt) then {
  resourceType: "PractitionerRole"
  identifier[]: for pln in prt.24 where trim(pln.1) => PlnIdentifier(pln)
  practitioner: PartyRef(PrtPractitioner(prt))
  organization: PartyRef(PrtOrganization(prt))
  code[]: ParticipationRole(prt.4)
  specialty[]: CodeableConcept(prt.6) if prt.6
  location[]: for pl in prt.9 where LocationRef(pl).reference => LocationRefManagedBy(pl, PartyRef(PrtOrganization(prt)))
  period: { start: datetime(prt.11), end: datetime(prt.12) }
  telecom[]: ContactPoints(prt.15)
} else null
// PRT -> Device (IG PRT[Device]): PRT-10 identifiers (and PRT-16 as one, as FHIR-Converter writes it), PRT-16 the
// UDI device identifier with its issuer, PRT-17/18 manufacture / expiry date, PRT-19 lot, PRT-20 serial number,
// PRT-21 donation id, PRT-22 type; the patient's device when the message has one patient.
def HasPrtDevice(prt) = (HasEquipment(prt.10) or trim(prt.16.1)) and not PrtRemoved(prt)
def PrtDevice(prt) = if HasPrtDevice(prt) then {
  resourceType: "Device"
  identifier[]: for ei in prt.10 where IsEquipmentId(ei) => EntityIdentifier(ei)
  identifier[]: EntityIdentifier(prt.16) if trim(prt.16.1)
  udiCarrier[]: { deviceIdentifier: trim(prt.16.1), issuer: AuthorityUri(prt.16.2, prt.16.3, prt.16.4) } if trim(prt.16.1)
  distinctIdentifier: trim(prt.21.1)
  manufactureDate: datetime(prt.17)
  expirationDate: datetime(prt.18)
  lotNumber: trim(prt.19)
  serialNumber: trim(prt.20)
  type: CodeableConcept(prt.22) if prt.22
  patient: PatientRef() if count(PID) == 1
} else null
// The reference a participation gives the act it belongs to: the PractitionerRole of a person, else the first
// organization, else the device.
def PrtRef(prt) = if PrtRemoved(prt) then null else if HasPerson(prt.5) then PartyRef(PrtRole(prt))
                  else if PrtOrganization(prt) then PartyRef(PrtOrganization(prt)) else null
// Every entry a PRT refers to.
def PrtEntries(prt) = if not PrtRemoved(prt) then [
  PartyEntry(PrtRole(prt)),
  PartyEntry(PrtPractitioner(prt)), AssignerEntry(prt.5.9) if trim(prt.5.1),
  for x, i in prt.5 where i > 0 => PractitionerEntries(x),
  PartyEntry(PrtOrganization(prt)), AssignerEntry(prt.8.6) if trim(prt.8.10 ?? prt.8.3),
  for x, i in prt.8 where i > 0 => XonOrgEntries(x),
  for pl in prt.9 => LocationEntriesManagedBy(pl, PartyRef(PrtOrganization(prt))),
  PartyEntry(PrtDevice(prt))
] else null

// ---- the common head of every bundle: Patient, MessageHeader, Provenance ------------------------------
// Each *Entry/*Entries function returns an entry or an array of entries; `entry[]:` appends them.

def PatientEntry(pid, pd1) = [PatientEntryFor(1, Patient(pid, pd1)), PatientParties(pid, pd1),
                              for rol in PrimaryCareRols() => RolEntriesAt(rol),
                              for nk1 in NK1 where IsKin(nk1) => KinOrgEntries(nk1),
                              for in2 in IN2 => IdentifierEntries(in2.61) if count(PID) == 1]

// The envelope of every Bundle: the MessageHeader (always: R4 source.endpoint is data-absent when MSH-3 is
// empty, as the IG says), the sender Organization, and the Provenances of the message (MSH source, EVN
// event), of the conversion and of the Patient. They target the MessageHeader and the message's focus (as
// ReportStream does). A required element with no true value leaves the resource out, never a placeholder:
// the source and event Provenances need an instant (a zone on MSH-7/EVN-2, or run --zone), the
// transformation and patient ones the run's time (now()). An unknown sender is data-absent (SenderRef).
def HeaderEntries(focus) {
  let targets = [Ref("MessageHeader", 1), ...focus]
  let source = SourceProvenance(MSH, targets)
  let event = EventProvenance(MSH, EVN, targets)
  warn "Provenance of the message left out: MSH-7 has no time zone (run with --zone)" if MSH-7 and not source.recorded
  return [
    Entry("MessageHeader", 1, MessageHeader(MSH, focus)),
    // the parties of every PRT, wherever it stands: with or without a PID, an Observation or an order may
    // refer to them (they were written with the Patient, so a message without a PID referred to nothing)
    for prt in PRT => PrtEntries(prt),
    // the assigners of a self-guarantor's identifiers, which every Patient built from the PID carries
    for gt1 in GT1 where SelfGuarantor(gt1) => [IdentifierEntries(gt1.2), IdentifierEntries(gt1.19)],
    Entry("Organization", "sender", SenderOrganization(MSH)) if HasSender(MSH),
    EnvelopeOrgEntries(MSH),
    SoftwareDeviceEntries(),
    Entry("Provenance", 1, source) if source.recorded,
    HdDeviceEntry(MSH-3) if source.recorded,
    Entry("Provenance", "EVN", event) if EVN and event.recorded,
    PractitionerEntries(EVN-5) if EVN and event.recorded,
    HdLocationEntry(EVN-7) if EVN and event.recorded and EVN-7,
    Entry("Provenance", "transformation", TransformationProvenance(MSH, targets)) if now(),
    Entry("Provenance", "PID", PatientProvenance(PID)) if now() and PID
  ]
}

// NK1, AL1, DG1, PR1 and INSURANCE of the message, keyed by position (set ids repeat in real feeds).
// (An array of arrays appended with `entry[]:` appends the inner items: a Coverage and its payor.)
def PersonEntries(withEncounter) = [
  KinEntries(),
  AccidentEntries(withEncounter),
  for gt1, i in GT1 where GuarantorIsPerson(gt1) and PID => [Entry("RelatedPerson", "GT1-${i + 1}", Guarantor(gt1)),
                                                             IdentifierEntries(gt1.2), IdentifierEntries(gt1.19)],
  AccountEntry() if not withEncounter,
  for al1, i in AL1 where al1.3 => IdentifiedEntry("AllergyIntolerance", i + 1, AllergyIntolerance(al1), AdministrationOwns()),
  for dg1, i in DG1 where dg1.3 or dg1.4 => IdentifiedEntry("Condition", i + 1, Condition(dg1, withEncounter), AdministrationOwns()),
  for pr1, i in PR1 where (pr1.3 or pr1.4) and PID => IdentifiedEntry("Procedure", i + 1, Procedure(pr1, withEncounter, ProcedureRols(i)), AdministrationOwns()),
  for pr1, i in PR1 where (pr1.3 or pr1.4) and PID => for rol in ProcedureRols(i) => RolEntriesAt(rol),
  for pr1 in PR1 where (pr1.3 or pr1.4) and PID => [for x in pr1.8 => PractitionerEntries(x), for x in pr1.11 => PractitionerEntries(x),
                                                     for x in pr1.12 => PractitionerEntries(x), LocationEntries(TreatingUnit(pr1)) if TreatingUnit(pr1),
                                                     PartyEntry(ParentProcedure(pr1))],
  for dg1 in DG1 where dg1.3 or dg1.4 => PractitionerEntries(dg1.16),
  for ins, i in INSURANCE => InsuranceEntries(ins, i + 1)
]

// The key of the i-th Patient of a message with several (ADT_A39, BAR_P02): the first is "Patient 1", the key
// every other map uses for the message's patient.
def SurvivorKey(i) = if i == 0 then 1 else i + 1

// The reference to the message's Patient entry, absent when the message has no PID (a few ORU feeds).
// A message without a PID (an order or a result may have no PATIENT group; a malformed ADT) names no patient:
// the reference is data-absent (unknown), never left out, as R4 requires the subject of a Condition,
// AllergyIntolerance, ServiceRequest, Procedure, MedicationRequest, ... Where the subject may be left out
// (Observation, DiagnosticReport) the maps write it only with a PID.
def PatientRef() = if PID then Ref("Patient", 1) else DataAbsent()
