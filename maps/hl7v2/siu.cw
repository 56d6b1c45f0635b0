// hl7v2.siu: SIU^S12..S26 (scheduling) -> FHIR R4 transaction Bundle with an Appointment.
//
// SCH -> Appointment (IG SCH[Appointment]); the patient (PID), the personnel (AIP -> Practitioner), the
// locations (AIL -> Location), general resources (AIG, by display) and the SCH-12/16/20 contacts are its
// participants. The PATIENT group's visit (PV1/PV2 -> Encounter, DG1 -> Condition) is written as in ADT.
// Personnel and locations are keyed by position (AIP-1, AIL-2, ...): set ids repeat across resource groups.
// Appointment.start/end are FHIR instants: an HL7 time without a zone gives none (run with --zone to supply
// the zone); a time to the minute with a zone is that minute's first second.

import hl7v2.parties
import hl7v2.datatypes
import hl7v2.segments
import hl7v2.places
import hl7v2.results
import hl7v2.orders

def AppointmentStart() = Instant(TQ1-7) ?? Instant(SCH-11.4)
def AppointmentEnd() = Instant(TQ1-8) ?? Instant(SCH-11.5)
def AppointmentStatus(trigger) = translate(SCH-25.1, CM_0278_APPOINTMENTSTATUS)
                                 ?? match trigger { "S15" => "cancelled" "S26" => "noshow" _ => "booked" }
// R4 app-3: only a proposed, cancelled or waitlisted Appointment may lack start and end (and both or
// neither are given). An Appointment that cannot meet it (times with no zone: run with --zone) is left out.
def AppointmentValid(trigger) = if AppointmentStart() and AppointmentEnd() then true
                                else not AppointmentStart() and not AppointmentEnd()
                                     and contains(["proposed", "cancelled", "waitlist"], AppointmentStatus(trigger))

// AIS (a service of a RESOURCES group) -> the ServiceRequest the appointment is booked for (FHIR-Converter; the
// IG's SIU map has no order, R4 Appointment.basedOn is the place for one): AIS-3 the service, the group's
// personnel (AIP) as performers and locations (AIL), the service's own NTE as notes. The filler (the
// scheduler) holds it: intent filler-order; revoked when the appointment is cancelled (S15), else active.
def ServiceKey(r, s) = "ais/${r + 1}/${s + 1}"
def ServiceRefs() = for g, r in RESOURCES => for svc, s in g.SERVICE where HasServiceCode(svc.AIS) and PID => Ref("ServiceRequest", ServiceKey(r, s))
def HasServiceCode(ais) = trim(ais.3.1) or trim(ais.3.2)
def ScheduledService(g, svc, trigger) {
  resourceType: "ServiceRequest"
  status: if trigger == "S15" then "revoked" else "active"
  intent: "filler-order"
  code: CodeableConcept(svc.AIS-3)
  subject: PatientRef()
  occurrenceDateTime: datetime(svc.AIS-4)
  performer[]: for p in g.PERSONNEL_RESOURCE where HasPerson(p.AIP-3) => PractitionerRef(p.AIP-3)
  locationReference[]: for l in g.LOCATION_RESOURCE where AilLocationRef(l).reference => AilLocationRef(l)
  note[]: for nte in svc.NTE where HasNoteText(nte) => Annotation(nte)
}
def ServiceEntries(trigger) = for g, r in RESOURCES => for svc, s in g.SERVICE where HasServiceCode(svc.AIS) and PID => [
  Entry("ServiceRequest", ServiceKey(r, s), ScheduledService(g, svc, trigger)),
  NoteParties(direct(svc.NTE))
]

def Appointment(trigger) {
  resourceType: "Appointment"
  basedOn[]: ServiceRefs()
  identifier[]: TypedIdentifier(SCH-1, "PLAC") if SCH-1.1
  identifier[]: TypedIdentifier(SCH-2, "FILL") if SCH-2.1
  status: AppointmentStatus(trigger)
  // app-4: a reason only on a cancelled or no-show appointment (an S15 whose SCH-25 still says Booked has none)
  cancelationReason: CodeableConcept(SCH-6) if trigger == "S15" and SCH-6
                     and contains(["cancelled", "noshow"], AppointmentStatus(trigger))
  appointmentType: { coding[]: translate_coding(fhir_code(SCH-8.1), CM_0277_V2_0277, "keep"), text: SCH-8.2 } if SCH-8
  reasonCode[]: CodeableConcept(SCH-7) if SCH-7
  start: AppointmentStart()
  end: AppointmentEnd()
  minutesDuration: integer(SCH-9) if integer(SCH-9) > 0 and (upper(SCH-10.1) == "MIN" or upper(SCH-10.1) == "M")
  comment: trim(join(for nte in direct(NTE) where trim(nte.3) => nte.3, "\n"))  // the appointment's own notes, not its resources'
  participant[]: { actor: Ref("Patient", 1), status: "accepted" } if PID
  for aip, i in AIP where aip.3 {
    participant[]: {
      type[]: CodeableConcept(aip.4) if aip.4
      actor: PractitionerRef(aip.3)
      status: ResourceStatus(aip.12)
    }
  }
  for l in LOCATION_RESOURCE where AilLocationRef(l).reference {
    participant[]: { actor: AilLocationRef(l), status: ResourceStatus(l.AIL-12) }
  }
  participant[]: distinct(SchParticipants(SCH))   // one participant per person (the same contact in SCH-12 and SCH-16)
  supportingInformation[]: SchRoleRefs(SCH)
  for aig in AIG where aig.3 {
    participant[]: { actor: { display: aig.3.2 ?? aig.3.1 }, type[]: CodeableConcept(aig.4) if aig.4, status: ResourceStatus(aig.14) }
  }
  // R4 requires a participant (1..*): an appointment whose message names no one has an unknown one
  participant[]: { actor: DataAbsent(), status: "needs-action" } if not NamesAParticipant()
}

// Whether the message names anyone the Appointment's participants above are made of.
def NamesAParticipant() = PID or count(for aip in AIP where aip.3 => 1) > 0
                          or count(for l in LOCATION_RESOURCE where AilLocationRef(l).reference => 1) > 0
                          or count(SchParticipants(SCH)) > 0 or count(for aig in AIG where aig.3 => 1) > 0

// A scheduled resource's filler status (AIP-12, AIL-12, AIG-14; table 0278) -> Appointment.participant.status
// (required): booked, started, complete or overbooked -> accepted; cancelled, deleted, discontinued or no-show ->
// declined; otherwise (pending, waitlist, blocked, or not said) tentative, as FHIR-Converter writes a resource
// whose acceptance the message does not state.
def ResourceStatus(cwe) = match lower(trim(cwe.1)) {
  "booked" | "started" | "complete" | "overbook" => "accepted"
  "cancelled" | "deleted" | "dc" | "noshow" => "declined"
  _ => "tentative"
}

// ---- SCH-12/16/20: the placer contact, filler contact and enterer ----------------------------------------
// IG SCH[Appointment]: each is a participant, actor the XCN[Practitioner] (SCH-20 typed enterer in
// provenance-participant-type, as the IG writes it; the IG leaves the contacts' type code undecided: none is
// written). FHIR-Converter also writes each as a PractitionerRole in Appointment.supportingInformation, coded
// placer-contact / filler-contact (its own code system) or v2-0443 EP, at the contact's location (SCH-15, 19, 22,
// PL[Location]), the Practitioner with the contact's phone (SCH-13, 17, 21) and address (SCH-14, 18): both are
// written. Every repetition of the person field is a contact.
const SCH_CONTACT_ROLE = "urn:id:additional-practitioner-role"
def PlacerContact() = { system: SCH_CONTACT_ROLE, code: "placer-contact", display: "Placer Contact" }
def FillerContact() = { system: SCH_CONTACT_ROLE, code: "filler-contact", display: "Filler Contact" }
def EnteringProvider() = { system: CS_V2_0443, code: "EP", display: lookup("EP", CS_V2_0443) }
// The contact's Practitioner: the XCN's, with the contact's phones and addresses (keyed by content then, else the
// plain XCN Practitioner).
def SchContactDetails(phones, addresses) = { telecom[]: ContactPoints(phones), address[]: Addresses(addresses) }
def SchContactPerson(xcn, phones, addresses) = { ...Practitioner(xcn), ...SchContactDetails(phones, addresses) }
def SchContactPersonRef(xcn, phones, addresses) =
  if SchContactDetails(phones, addresses) then PartyRef(SchContactPerson(xcn, phones, addresses)) else PractitionerRef(xcn)
def SchContactPersonEntries(xcn, phones, addresses) =
  if SchContactDetails(phones, addresses) then [PartyEntry(SchContactPerson(xcn, phones, addresses)), AssignerEntry(xcn.9) if trim(xcn.1)]
  else PractitionerEntries(xcn)
def SchContactRole(xcn, phones, addresses, place, role) = {
  resourceType: "PractitionerRole"
  practitioner: SchContactPersonRef(xcn, phones, addresses)
  code[]: { coding[]: role }
  location[]: LocationRef(place) if LocationRef(place).reference
}
// One contact person of the appointment: its participant (IG), its role's reference (FHIR-Converter) and the
// entries both need.
def SchParticipant(xcn, phones, addresses, enterer) = {
  type[]: { coding[]: { system: "http://terminology.hl7.org/CodeSystem/provenance-participant-type", code: "enterer" } } if enterer
  actor: SchContactPersonRef(xcn, phones, addresses)
  status: "tentative"
}
def SchParticipants(sch) = [
  ...(for x in sch.12 where HasPerson(x) => SchParticipant(x, sch.13, sch.14, false)),
  ...(for x in sch.16 where HasPerson(x) => SchParticipant(x, sch.17, sch.18, false)),
  ...(for x in sch.20 where HasPerson(x) => SchParticipant(x, sch.21, null, true))
]
def SchRoleRefs(sch) = [
  ...(for x in sch.12 where HasPerson(x) => PartyRef(SchContactRole(x, sch.13, sch.14, sch.15, PlacerContact()))),
  ...(for x in sch.16 where HasPerson(x) => PartyRef(SchContactRole(x, sch.17, sch.18, sch.19, FillerContact()))),
  ...(for x in sch.20 where HasPerson(x) => PartyRef(SchContactRole(x, sch.21, null, sch.22, EnteringProvider())))
]
def SchContactEntries(sch) = [
  for x in sch.12 where HasPerson(x) => [PartyEntry(SchContactRole(x, sch.13, sch.14, sch.15, PlacerContact())),
                                         SchContactPersonEntries(x, sch.13, sch.14), LocationEntries(sch.15)],
  for x in sch.16 where HasPerson(x) => [PartyEntry(SchContactRole(x, sch.17, sch.18, sch.19, FillerContact())),
                                         SchContactPersonEntries(x, sch.17, sch.18), LocationEntries(sch.19)],
  for x in sch.20 where HasPerson(x) => [PartyEntry(SchContactRole(x, sch.21, null, sch.22, EnteringProvider())),
                                         SchContactPersonEntries(x, sch.21, null), LocationEntries(sch.22)]
]

map SIU : hl7v2 "SIU" -> fhir "Bundle" { return Unique(SiuBundle()) }
def SiuBundle() {
  ...BundleHead()
  entry[]: PatientEntry(PID, PD1) if PID
  let valid = AppointmentValid(MSH-9.2)
  entry[]: AppointmentEntryFor(1, Appointment(MSH-9.2)) if valid
  entry[]: SchContactEntries(SCH) if valid
  entry[]: for aip in AIP where aip.3 => PractitionerEntries(aip.3)
  entry[]: distinct(for l in LOCATION_RESOURCE => AilLocationEntries(l))
  entry[]: ServiceEntries(MSH-9.2)
  // the PATIENT group's visit (IG SIU_S12: PV1/PV2 -> Encounter, DG1 -> Condition) and what hangs on the patient
  let hasVisit = PID and HasVisit(PV1)
  entry[]: EncounterEntriesWithDiagnoses(PV1, PV2, null) if hasVisit
  entry[]: PersonEntries(hasVisit) if PID
  entry[]: PatientObservationEntries(hasVisit)       // the PATIENT group's OBX (FHIR-Converter)
  entry[]: HeaderEntries([Ref("Appointment", 1) if valid])
}
