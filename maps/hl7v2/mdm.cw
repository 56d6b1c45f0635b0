// hl7v2.mdm: MDM^T01/T02/T05/T06/T09/T10 -> FHIR R4 transaction Bundle with a DocumentReference (IG
// TXA[DocumentReference]); the document body is the message's OBX (none in a notification, MDM_T01: then
// the attachment has only its title and creation time, as FHIR-Converter writes it), and each OBX is also an
// Observation (MdmObservationEntries).
//
// The body: text OBX (TX/FT/ST; repetitions and OBX joined by line breaks) becomes one text/plain
// attachment, base64-encoded into content.attachment.data; each ED OBX already in Base64 (ED.4) becomes an
// attachment of its own type (ED.2/ED.3).

import hl7v2.datatypes
import hl7v2.segments
import hl7v2.parties
import hl7v2.orders
import hl7v2.results

def DocumentReference() {
  resourceType: "DocumentReference"
  masterIdentifier: EntityIdentifier(TXA-12) if TXA-12.1
  identifier[]: TypedIdentifier(TXA-14, "PLAC") if TXA-14.1
  identifier[]: TypedIdentifier(TXA-15, "FILL") if TXA-15.1
  status: match TXA-19 { "OB" => "superseded" "RE" => "superseded" "UN" => "current" _ => "current" }
  docStatus: match TXA-17 { "AU" => "final" "LA" => "final" "DI" => "preliminary" "DO" => "preliminary" "IP" => "preliminary" "PA" => "preliminary" _ => null }
  type: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0270", code: fhir_code(TXA-2.1 ?? TXA-2) } } if TXA-2
  subject: Ref("Patient", 1)
  date: Instant(TXA-4) ?? Instant(TXA-6) ?? Instant(MSH-7)
  author[]: for a in TXA-9 where HasPerson(a) => RoleRefDisplay(a)
  authenticator: RoleRefDisplay(TXA-10)
  securityLabel[]: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/v2-0272", code: fhir_code(TXA-18) } } if fhir_code(TXA-18)
  let text = join(for o in OBSERVATION where o.OBX-2 != "ED" => join(for v in o.OBX-5 => v, "\n"), "\n")
  content[]: for o in OBSERVATION where o.OBX-2 == "ED" and EdAttachment(o.OBX-5) => { attachment: EdAttachment(o.OBX-5) }
  // content is required (1..*): a notification with no body, title or time has a data-absent attachment
  content[]: { attachment: { contentType: "text/plain" if text, data: base64(text), title: TXA-2.2 ?? TXA-2.1 ?? TXA-2,
                             creation: datetime(TXA-4) } ?? DataAbsent() } if text or not (for o in OBSERVATION where o.OBX-2 == "ED" and EdAttachment(o.OBX-5) => 1)
  context: {
    encounter[]: Ref("Encounter", 1) if HasVisit(PV1)
    period: { start: datetime(TXA-4) }
  }
}

// COMMON_ORDER (ORC, OBR) -> the ServiceRequest the document answers (IG MDM_T02: ORC/OBR[ServiceRequest];
// FHIR-Converter writes it too), with its OBR specimen and parties.
def MdmOrderEntries(order, key) = [
  ServiceRequestEntryFor(key, ServiceRequest(order, key, HasVisit(PV1), false)),
  OrderContextEntries(order, key),
  RequesterEntries(order),
  NoteParties(OrderNotes(order)),
  ObrSpecimenEntriesWith(order.OBR, key, true),
  LooseSpecimenEntries(order, key)
]

// CON (consent, after TXA) -> Consent (FHIR R4's CON mapping; FHIR-Converter writes one per CON): status CON-11
// (table 0498 by the IG's HL70498 map: A/L active, P proposed, R rejected, X rescinded = inactive; B, bypassed,
// and other codes have no state: data-absent), scope patient-privacy (R4 requires one; a document's consent is
// about the use of the patient's information), category CON-2 (table 0496), patient, dateTime CON-13 (the
// decision), period CON-14/15 (effective, end), identifier CON-4 (form number), policyRule the consent text
// CON-5 / CON-6, else the form id CON-3 (ppc-1: a policy or a rule; data-absent without any), performer the
// patient (the consenter CON-24 is a name only).
const CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
def ConsentState(code) = match upper(trim(code)) { "A" | "L" => "active" "P" => "proposed" "R" => "rejected" "X" => "inactive" _ => null }
def Consent(con) {
  let rule = join(for t in [con.5, con.6] where trim(t) => trim(t), " + ") ?? trim(con.3)
  resourceType: "Consent"
  identifier[]: EntityIdentifier(con.4) if trim(con.4.1)
  status: ConsentState(con.11.1)
  "_status": DataAbsent() if not ConsentState(con.11.1)
  scope: { coding[]: { system: CONSENT_SCOPE, code: "patient-privacy", display: "Privacy Consent" } }
  category[]: CodeableConcept(con.2) ?? DataAbsent()
  patient: PatientRef()
  dateTime: datetime(con.13)
  performer[]: PatientRef()
  policyRule: { text: rule } ?? DataAbsent()
  provision: { period: { start: datetime(con.14), end: datetime(con.15) } } if datetime(con.14) or datetime(con.15)
}
def ConsentEntries() = for con, i in CON where PID => Entry("Consent", "CON-${i + 1}", Consent(con))

// The OBX of the document (OBSERVATION: OBX with its NTE) -> an Observation each, beside the body they make
// (FHIR-Converter's MDM_T02 template and the IG's MDM_T02 sample bundle both write them; IG OBX[Observation],
// NTE[Annotation]); an ED value derives from the DocumentReference that holds it. Keys "doc/obx/<n>".
def MdmObservationEntries(withEncounter) = for g, k in OBSERVATION where PID => [
  Entry("Observation", "doc/obx/${k + 1}",
        Observation(g.OBX, direct(g.NTE), null, [], withEncounter, Ref("DocumentReference", 1), null)),
  ObservationParties(g.OBX),
  NoteParties(direct(g.NTE))
]

def MdmBundle() {
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1)
  entry[]: EncounterEntries(PV1, PV2, null) if HasVisit(PV1)
  entry[]: AccountEntry() if not HasVisit(PV1)   // the PID-18 account (with a visit, the visit writes it)
  entry[]: Entry("DocumentReference", 1, DocumentReference())
  entry[]: MdmObservationEntries(HasVisit(PV1))
  entry[]: ConsentEntries()
  entry[]: for a in TXA-9 => RoleEntries(a, null)
  entry[]: RoleEntries(TXA-10, null)
  entry[]: for order, i in COMMON_ORDER where PID and (order.ORC or order.OBR) => MdmOrderEntries(order, "${i + 1}")
  entry[]: HeaderEntries([Ref("DocumentReference", 1)])
}

// MDM_T01 (T01 original notification, T05 addendum notification, T09 replacement notification): the document
// is announced, not carried; MDM_T02 (T02, T06, T10: the same with content) carries it in OBX.
map MDM_T01 : hl7v2 "MDM^T01" -> fhir "Bundle" { return Unique(MdmBundle()) }
map MDM_T02 : hl7v2 "MDM^T02" -> fhir "Bundle" { return Unique(MdmBundle()) }
map MDM_T05 : hl7v2 "MDM^T05" -> fhir "Bundle" { return Unique(MdmBundle()) }
map MDM_T06 : hl7v2 "MDM^T06" -> fhir "Bundle" { return Unique(MdmBundle()) }
map MDM_T09 : hl7v2 "MDM^T09" -> fhir "Bundle" { return Unique(MdmBundle()) }
map MDM_T10 : hl7v2 "MDM^T10" -> fhir "Bundle" { return Unique(MdmBundle()) }
