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

// ---- Bundle plumbing ------------------------------------------------------------------------------------

// The UUID v5 namespace of Crosswalk's shipped HL7 v2 -> FHIR maps (uuid5 of the URL namespace and
// "https://crosswalk.dev/maps/hl7v2-to-fhir"; fixed forever, ids in stored bundles depend on it).
def IdOf(kind, n) = uuid5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", join(["crosswalk-hl7v2-to-fhir", MSH-10, MSH-7, kind, string(n)], "/"))
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

// One transaction entry: POST kind (conditional create when an identifier is known).
def Entry(kind, n, resource) {
  fullUrl: FullUrl(kind, n)
  resource: resource
  request: { method: "POST", url: kind }
}

// ---- MSH / EVN -------------------------------------------------------------------------------------------

def SenderOrganization(msh) {
  resourceType: "Organization"
  identifier[]: { system: "urn:ietf:rfc:3986", value: HdUri(msh.4) } if HdUri(msh.4)
  name: msh.4.1 ?? msh.4.2
}

// An HD as an endpoint url (IG HD[MessageHeader.source/destination]): its universal id as a URI, else
// "urn:id:" + its namespace id (spaces percent-encoded); absent when the HD is empty.
def HdEndpoint(hd) = HdUri(hd) ?? (if hd.1 then "urn:id:${UriText(hd.1)}" else null)

// MSH -> MessageHeader (IG MSH[MessageHeader]). source.endpoint is required (R4 1..1): MSH-3 as above. A
// message with no sending application (MSH-3 empty) gets no MessageHeader: there is nothing true to write.
// A destination (MSH-5/MSH-6) is written only with an endpoint (required too).
def MessageHeader(msh, focus) {
  resourceType: "MessageHeader"
  eventCoding: { system: "http://terminology.hl7.org/CodeSystem/v2-0003", code: msh.9.2 }
  destination[]: {
    name: msh.5.1
    endpoint: HdEndpoint(msh.5) ?? HdEndpoint(msh.6)
    receiver: { display: msh.6.1 ?? msh.6.2 } if msh.6
  } if HdEndpoint(msh.5) ?? HdEndpoint(msh.6)
  sender: Ref("Organization", "sender") if msh.4
  source: {
    name: msh.3.1
    software: first(SFT-3)
    version: first(SFT-2)
    endpoint: HdEndpoint(msh.3)
  }
  focus[]: focus
  meta: { tag[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0103", code: msh.11.1 } if msh.11.1 }
}

// The time a Provenance records (R4 instant: seconds and zone): EVN-2, else MSH-7.
def RecordedInstant(msh, evn) = Instant(evn.2) ?? Instant(msh.7)

// EVN + MSH -> Provenance (IG EVN[Provenance]): what the message did, when, and who sent it. targets is
// never empty (HeaderEntries); the resource is written only when recorded (an instant: the message's
// times need a zone, or run with --zone) and an author (MSH-4 or MSH-3) are known: both are required.
def Provenance(msh, evn, targets) {
  resourceType: "Provenance"
  target[]: targets
  recorded: RecordedInstant(msh, evn)
  occurredDateTime: datetime(evn.6)
  activity: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0003", code: evn.1 ?? msh.9.2 } }
  reason[]: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                           code: translate(evn.4.1, CM_0062_V3_ACTREASON) } } if translate(evn.4.1, CM_0062_V3_ACTREASON)
  agent[]: {
    type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", code: "author" } }
    who: if msh.4 then Ref("Organization", "sender") else { display: msh.3.1 }
  }
  agent[]: {
    type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", code: "enterer" } }
    who: { display: XcnDisplay(evn.5) ?? evn.5.1 }
  } if XcnDisplay(evn.5) ?? evn.5.1
}

// ---- PID / PD1 -> Patient --------------------------------------------------------------------------------

// PID-10 race / PID-22 ethnic group -> US Core race / ethnicity extensions (IG PID[Patient] maps them to
// Patient.extension with these URLs). Codes of HL7 table 0005/0189 (their 2.5.1 values are CDC Race &
// Ethnicity codes "NNNN-N"), CDCREC or no system are written in the CDC system; table 0189's own H/N/U become the
// CDC 2135-2 / 2186-5 / UNK; the five OMB race (two ethnicity) categories go to ombCategory, other codes to
// detailed, the displays to text.
const US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
const US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
const CDCREC = "urn:oid:2.16.840.1.113883.6.238"
def CdcCode(code, url) = if url == US_CORE_ETHNICITY then (match upper(code) { "H" => "2135-2" "N" => "2186-5" "U" => "UNK" _ => code }) else code
def CdcCoding(cwe, url) {
  let code = CdcCode(cwe.1, url)
  let cdc = (not cwe.3 or contains(["HL70005", "HL70189", "CDCREC"], upper(cwe.3)))
            and (contains(code, "-") or code == "UNK" or code == "ASKU")
  return if cdc then { system: CDCREC, code: code, display: cwe.2 } else Coding(cwe)
}
def RaceEthnicity(url, cwes, omb) {
  url: url
  for c in cwes where c.1 {
    let coding = CdcCoding(c, url)
    extension[]: { url: if contains(omb, coding.code) then "ombCategory" else "detailed", valueCoding: coding }
  }
  extension[]: { url: "text", valueString: join(for c in cwes where c.1 or c.2 => c.2 ?? c.1, ", ") }
}

def Patient(pid, pd1) {
  resourceType: "Patient"
  extension[]: RaceEthnicity(US_CORE_RACE, pid.10, ["1002-5", "2028-9", "2054-5", "2076-8", "2106-3", "UNK", "ASKU"]) if pid.10
  extension[]: RaceEthnicity(US_CORE_ETHNICITY, pid.22, ["2135-2", "2186-5", "UNK", "ASKU"]) if pid.22
  identifier[]: AssignedIdentifiers(pid.2)
  identifier[]: AssignedIdentifiers(pid.3)
  identifier[]: AssignedIdentifiers(pid.4)
  identifier[]: {
    type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "SS" } }
    system: "http://hl7.org/fhir/sid/us-ssn"
    value: pid.19
  } if pid.19
  identifier[]: {
    type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "DL" } }
    value: pid.20.1
  } if pid.20.1
  name[]: HumanNames(pid.5)
  name[]: for xpn in pid.9 where xpn.1 => HumanName(xpn)
  telecom[]: for xtn in pid.13 where xtn.1 or xtn.4 or xtn.7 or xtn.12 => ContactPointWithUse(xtn, "home")
  telecom[]: for xtn in pid.14 where xtn.1 or xtn.4 or xtn.7 or xtn.12 => ContactPointWithUse(xtn, "work")
  telecom[]: ContactPoints(pid.40)
  gender: translate(pid.8, CM_0001_ADMINISTRATIVE_GENDER)
  birthDate: date(pid.7)
  deceasedDateTime: datetime(pid.29) if pid.29
  deceasedBoolean: (pid.30 == "Y") if pid.30 and not pid.29
  address[]: Addresses(pid.11)
  maritalStatus: {
    coding[]: translate_coding(pid.16.1, CM_0002_V3_MARITALSTATUS)
    coding[]: Coding(pid.16) if pid.16.3
    text: pid.16.2
  } if pid.16
  multipleBirthInteger: integer(pid.25) if pid.25
  multipleBirthBoolean: (pid.24 == "Y") if pid.24 and not pid.25
  communication[]: { language: CodeableConcept(pid.15), preferred: true } if pid.15
  generalPractitioner[]: for x in pd1.3 => XonOrgRef(x)
  generalPractitioner[]: for x in pd1.4 => PractitionerRef(x)
}

// XTN with a default use (PID-13 home, PID-14 work) when XTN.2 does not say.
def ContactPointWithUse(xtn, use) {
  let cp = ContactPoint(xtn)
  system: cp.system
  value: cp.value
  use: cp.use ?? use
  rank: cp.rank
  period: cp.period
}

// ---- PV1 / PV2 -> Encounter ------------------------------------------------------------------------------

// PV1-7/8/9/17/52 -> Encounter.participant (IG PV1[Encounter]): the v3-ParticipationType code with the
// IG's wording, as a display for ATND and as the type's text for the others (as both references write it).
def EncounterParticipant(xcn, typeCode, label) {
  type[]: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: typeCode,
                        display: label if typeCode == "ATND" },
            text: label if typeCode != "ATND" }
  individual: PractitionerRef(xcn)
}

// fixedStatus: the status the trigger event says (A03 "finished", A11/A27 "cancelled", A14 "planned"), or
// null to take it from PV1 (PV1-45 discharged -> finished, else PV1-2 through table 0004).
def LocationStatus(pv1, fixedStatus) = match fixedStatus { "planned" => "planned" "finished" | "cancelled" => "completed"
                                                          _ => if pv1.45 then "completed" else "active" }
def Encounter(pv1, pv2, fixedStatus) {
  resourceType: "Encounter"
  identifier[]: {
    type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "VN" } }
    system: HdUri(pv1.19.4)
    value: pv1.19.1
  } if trim(pv1.19.1)
  identifier[]: { value: pv1.50.1, system: HdUri(pv1.50.4) } if trim(pv1.50.1)
  status: fixedStatus ?? (if pv1.45 then "finished"
                          else translate(pv1.2, CM_0004_ENCOUNTER_STATUS) ?? "unknown")
  class: translate_coding(pv1.2, CM_0004_V3_ACTCODE)
         ?? { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" } if pv1.2
  class: { system: "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", code: "UNK" } if not pv1.2
  type[]: { coding[]: translate_coding(pv1.4.1, CM_0007_V2_0007, "keep") } if pv1.4
  serviceType: { coding[]: translate_coding(pv1.10.1, CM_0069_SERVICE_TYPE, "keep") } if pv1.10
  priority: { coding[]: translate_coding(pv2.25.1, CM_0217_V3_ACTPRIORITY) } if pv2.25
  subject: PatientRef()
  participant[]: for x in pv1.7 where HasPerson(x) => EncounterParticipant(x, "ATND", "attender")
  participant[]: for x in pv1.8 where HasPerson(x) => EncounterParticipant(x, "REF", "referrer")
  participant[]: for x in pv1.9 where HasPerson(x) => EncounterParticipant(x, "CON", "consultant")
  participant[]: for x in pv1.17 where HasPerson(x) => EncounterParticipant(x, "ADM", "admitter")
  participant[]: for x in pv1.52 where HasPerson(x) => EncounterParticipant(x, "PART", "Participation")
  participant[]: for x in pv2.13 where HasPerson(x) => EncounterParticipant(x, "REF", "referrer")
  participant[]: for rol in direct(ROL) where HasPerson(rol.4) => RolParticipant(rol)
  period: { start: datetime(pv1.44), end: datetime(pv1.45) }
  length: { value: decimal(pv2.11), unit: "d", system: "http://unitsofmeasure.org", code: "d" } if pv2.11
  reasonCode[]: CodeableConcept(pv2.3) if pv2.3
  hospitalization: {
    preAdmissionIdentifier: { value: pv1.5.1 } if pv1.5.1
    admitSource: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0023", code: pv1.14.1 } } if pv1.14
    reAdmission: { coding[]: translate_coding(pv1.13.1, CM_0092_V2_0092) } if pv1.13
    dischargeDisposition: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0112", code: pv1.36.1 } } if pv1.36
  }
  location[]: { location: Ref("Location", "PV1-3"), status: LocationStatus(pv1, fixedStatus) } if pv1.3
  location[]: { location: Ref("Location", "PV1-6"), status: "completed" } if pv1.6
}

// Entries for PV1/PV2: the Encounter, its Locations and Practitioners.
def EncounterEntries(pv1, pv2, fixedStatus) = [
  Entry("Encounter", 1, Encounter(pv1, pv2, fixedStatus)),
  EncounterPlacesAndPeople(pv1)
]
// The Locations and Practitioners an Encounter made from this PV1 refers to.
def EncounterPlacesAndPeople(pv1) = [
  Entry("Location", "PV1-3", Location(pv1.3)) if pv1.3,
  Entry("Location", "PV1-6", Location(pv1.6)) if pv1.6,
  for x in PV2-13 => PractitionerEntries(x),
  for rol in direct(ROL) => RolEntries(rol),
  for x in pv1.7 => PractitionerEntries(x),
  for x in pv1.8 => PractitionerEntries(x),
  for x in pv1.9 => PractitionerEntries(x),
  for x in pv1.17 => PractitionerEntries(x),
  for x in pv1.52 => PractitionerEntries(x)
]

// ---- NK1 -> RelatedPerson --------------------------------------------------------------------------------

def RelatedPerson(nk1) {
  resourceType: "RelatedPerson"
  identifier[]: Identifiers(nk1.33)
  patient: PatientRef()
  relationship[]: {
    coding[]: translate_coding(nk1.3.1, CM_0063_V3_ROLECODE)
    coding[]: Coding(nk1.3) if nk1.3.3
    text: nk1.3.2
  } if nk1.3
  relationship[]: {
    coding[]: translate_coding(nk1.7.1, CM_0131_V2_0131, "keep")
    text: nk1.7.2
  } if nk1.7
  name[]: HumanNames(nk1.2)
  telecom[]: for xtn in nk1.5 where xtn.1 or xtn.4 or xtn.7 or xtn.12 => ContactPointWithUse(xtn, "home")
  telecom[]: for xtn in nk1.6 where xtn.1 or xtn.4 or xtn.7 or xtn.12 => ContactPointWithUse(xtn, "work")
  gender: translate(nk1.15, CM_0001_ADMINISTRATIVE_GENDER)
  birthDate: date(nk1.16)
  address[]: Addresses(nk1.4)
  period: { start: date(nk1.8), end: date(nk1.9) }
}

// ---- IN1 -> Coverage (+ the payor Organization) ----------------------------------------------------------

def Payor(in1) {
  resourceType: "Organization"
  identifier[]: for cx in in1.3 where cx.1 => Identifier(cx)
  name: in1.4.1
  address[]: Addresses(in1.5)
  telecom[]: ContactPoints(in1.7)
}

def Coverage(in1, n) {
  resourceType: "Coverage"
  identifier[]: { value: in1.36 } if in1.36
  status: "active"
  type: CodeableConcept(in1.15) if in1.15
  subscriberId: in1.49.1 ?? in1.36
  beneficiary: Ref("Patient", 1)
  relationship: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0063", code: in1.17.1 } } if in1.17
  period: { start: date(in1.12), end: date(in1.13) }
  payor[]: Ref("Organization", "IN1-${n}")
  class[]: { type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/coverage-class", code: "group" } },
             value: in1.8, name: in1.9.1 } if in1.8
  class[]: { type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/coverage-class", code: "plan" } },
             value: in1.2.1, name: in1.2.2 } if in1.2.1
}

// ---- AL1 -> AllergyIntolerance ---------------------------------------------------------------------------

def AllergyIntolerance(al1) {
  resourceType: "AllergyIntolerance"
  identifier[]: { value: al1.3.1 } if al1.3.1
  clinicalStatus: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", code: "active" } }
  type: translate(al1.2.1, CM_0127_ALLERGY_INTOLERANCE_TYPE)
  category[]: translate(al1.2.1, CM_0127_ALLERGY_INTOLERANCE_CATEGORY)
  criticality: translate(al1.4.1, CM_0128_ALLERGY_INTOLERANCE_CRITICALITY)
  code: CodeableConcept(al1.3)
  patient: PatientRef()
  onsetDateTime: datetime(al1.6)
  reaction[]: {
    manifestation[]: for m in al1.5 where m => { text: m }
    severity: translate(al1.4.1, CM_0128_REACTION_EVENT_SEVERITY)
  } if al1.5
}

// ---- DG1 -> Condition ------------------------------------------------------------------------------------

def Condition(dg1, withEncounter) {
  resourceType: "Condition"
  identifier[]: EntityIdentifier(dg1.20) if dg1.20.1
  category[]: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/condition-category", code: "encounter-diagnosis" } }
  code: CodeableConcept(dg1.3) ?? { text: dg1.4 }
  subject: PatientRef()
  encounter: Ref("Encounter", 1) if withEncounter
  onsetDateTime: datetime(dg1.5)
  recordedDate: datetime(dg1.19)
  asserter: PractitionerRef(dg1.16)
  let dueTo = translate_coding(dg1.6, CM_0052_DIAGNOSIS_ROLE)
  extension[]: { url: "http://hl7.org/fhir/StructureDefinition/condition-dueTo",
                 valueCodeableConcept: { coding[]: dueTo } } if dueTo
}

// ---- PR1 -> Procedure ------------------------------------------------------------------------------------

// PR1 -> Procedure (IG PR1[Procedure]): a procedure the message reports as done (status "completed").
def Procedure(pr1, withEncounter) {
  resourceType: "Procedure"
  identifier[]: EntityIdentifier(pr1.19) if pr1.19.1
  status: "completed"
  code: CodeableConcept(pr1.3) ?? (if pr1.4 then { text: pr1.4 } else null)
  subject: PatientRef()
  encounter: Ref("Encounter", 1) if withEncounter
  performedDateTime: datetime(pr1.5)
  category: CodeableConcept(pr1.6) if pr1.6
  performer[]: for x in pr1.8 where HasPerson(x) => { actor: PractitionerRefDisplay(x) }
  performer[]: for x in pr1.11 where HasPerson(x) => { actor: PractitionerRefDisplay(x) }
  performer[]: for x in pr1.12 where HasPerson(x) => { actor: PractitionerRefDisplay(x) }
  reasonCode[]: CodeableConcept(pr1.15) if pr1.15
}

// ---- the common head of every bundle: Patient, MessageHeader, Provenance ------------------------------
// Each *Entry/*Entries function returns an entry or an array of entries; `entry[]:` appends them.

def PatientEntry(pid, pd1) = [Entry("Patient", 1, Patient(pid, pd1)), PatientParties(pid, pd1)]

// The Provenance targets the message's focus; with none (an ORU without OBR), the MessageHeader (as
// ReportStream does), else the Patient.
def HeaderEntries(focus) {
  let header = HdEndpoint(MSH-3)
  let targets = if focus then focus else if header then [Ref("MessageHeader", 1)] else if PID then [Ref("Patient", 1)] else null
  return [
    Entry("MessageHeader", 1, MessageHeader(MSH, focus)) if header,
    Entry("Organization", "sender", SenderOrganization(MSH)) if MSH-4,
    Entry("Provenance", 1, Provenance(MSH, EVN, targets)) if targets and RecordedInstant(MSH, EVN) and (MSH-4 or MSH-3.1)
  ]
}

// NK1, AL1, DG1, PR1 and INSURANCE of the message, keyed by position (set ids repeat in real feeds).
// (An array of arrays appended with `entry[]:` appends the inner items: a Coverage and its payor.)
def PersonEntries(withEncounter) = [
  for nk1, i in NK1 where nk1.2 or nk1.3 or nk1.30 => Entry("RelatedPerson", i + 1, RelatedPerson(nk1)),
  for al1, i in AL1 where al1.3 => Entry("AllergyIntolerance", i + 1, AllergyIntolerance(al1)),
  for dg1, i in DG1 where dg1.3 or dg1.4 => Entry("Condition", i + 1, Condition(dg1, withEncounter)),
  for pr1, i in PR1 where (pr1.3 or pr1.4) and PID => Entry("Procedure", i + 1, Procedure(pr1, withEncounter)),
  for pr1 in PR1 where (pr1.3 or pr1.4) and PID => [for x in pr1.8 => PractitionerEntries(x), for x in pr1.11 => PractitionerEntries(x),
                                                     for x in pr1.12 => PractitionerEntries(x)],
  for dg1 in DG1 where dg1.3 or dg1.4 => PractitionerEntries(dg1.16),
  for ins, i in INSURANCE => [Entry("Coverage", i + 1, Coverage(ins.IN1, i + 1)),
                              Entry("Organization", "IN1-${i + 1}", Payor(ins.IN1))]
]

// The key of the i-th Patient of a message with several (ADT_A39, BAR_P02): the first is "Patient 1", the key
// every other map uses for the message's patient.
def SurvivorKey(i) = if i == 0 then 1 else i + 1

// The reference to the message's Patient entry, absent when the message has no PID (a few ORU feeds).
def PatientRef() = if PID then Ref("Patient", 1) else null
