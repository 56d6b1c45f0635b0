// fhir.to-internal: FHIR R4 Patient, Encounter, Observation, DiagnosticReport, Appointment -> the flat
// internal JSON model of docs/internal-model.md (one map per resourceType; the runtime picks the map by
// the input's resourceType). Every field, the FHIR path it comes from and the choices made are in that
// document; keep the two in step.

const MR_TYPE = "MR"
const CAT_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
const US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
const US_CORE_ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
const US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"

// ---- shared pieces -----------------------------------------------------------------------------------

// Reference -> the id it points at: "Patient/123" and "https://x/fhir/Patient/123" -> "123"; "urn:uuid:..."
// is kept whole; a conditional reference ("Practitioner?identifier=sys|value") has no id (see RefSearch).
def RefId(ref) =
  if contains(ref.reference, "?") then null
  else if starts_with(ref.reference, "urn:") then ref.reference
  else last(split(ref.reference, "/"))

// Reference -> its resource type ("Patient/123" and "Practitioner?identifier=..." -> "Patient", "Practitioner").
def RefType(ref) {
  let parts = split(split(ref.reference, "?")[0], "/")
  return if starts_with(ref.reference, "urn:") then null
         else if contains(ref.reference, "?") then last(parts)
         else if count(parts) >= 2 then parts[count(parts) - 2] else null
}

// A conditional reference's search ("identifier=sys|value"), or the logical identifier of the reference.
def RefSearch(ref) = (if contains(ref.reference, "?") then split(ref.reference, "?")[1] else null)
                     ?? (if ref.identifier.value then "identifier=${ref.identifier.system}|${ref.identifier.value}" else null)

// CodeableConcept -> { system, code, display, text }: the first coding (the sender's preferred one).
def Code(cc) {
  system: cc.coding[0].system
  code: cc.coding[0].code
  display: cc.coding[0].display
  text: cc.text
}

// CodeableConcept -> its first coding in a given system (absent when it has none).
def CodeIn(cc, system) = first(for c in cc.coding where c.system == system => c.code)

// Identifier -> { system, value, type } (type: the first type code, e.g. "MR").
def Ident(id) { system: id.system, value: id.value, type: id.type.coding[0].code ?? id.type.text }

// HumanName -> { family, given[], prefix[], suffix[], text, use }.
def Name(n) {
  family: n.family
  given[]: n.given
  prefix[]: n.prefix
  suffix[]: n.suffix
  text: n.text
  use: n.use
}

// Address -> { lines[], city, district, state, postalCode, country, use }.
def Addr(a) {
  lines[]: a.line
  city: a.city
  district: a.district
  state: a.state
  postalCode: a.postalCode
  country: a.country
  use: a.use
}

// ---- Patient --------------------------------------------------------------------------------------------

def OfficialName(names) = first(for n in names where n.use == "official" => n) ?? first(for n in names where not n.use or n.use == "usual" => n) ?? first(names)
def Telecom(points, system) = first(for t in points where t.system == system and t.use != "old" and not t.period.end => t.value)
def Extension(exts, url) = first(for e in exts where e.url == url => e)
def SubExtension(ext, url) = for e in ext.extension where e.url == url => e

map PatientToInternal : fhir "Patient" -> json {
  let mrn = first(for i in Patient.identifier where CodeIn(i.type, "http://terminology.hl7.org/CodeSystem/v2-0203") == MR_TYPE => i)
  let race = Extension(Patient.extension, US_CORE_RACE)
  let ethnicity = Extension(Patient.extension, US_CORE_ETHNICITY)
  kind: "patient"
  id: Patient.id
  mrn: mrn.value
  mrnSystem: mrn.system
  identifiers[]: for i in Patient.identifier => Ident(i)
  active: Patient.active
  name: Name(OfficialName(Patient.name))
  otherNames[]: for n in Patient.name where n != OfficialName(Patient.name) => Name(n)
  sex: Patient.gender
  birthSex: Extension(Patient.extension, US_CORE_BIRTHSEX).valueCode
  birthDate: Patient.birthDate
  deceased: Patient.deceasedBoolean ?? (if Patient.deceasedDateTime then true else null)
  deceasedAt: Patient.deceasedDateTime
  phone: Telecom(Patient.telecom, "phone")
  email: Telecom(Patient.telecom, "email")
  telecom[]: for t in Patient.telecom where t.value => { system: t.system, value: t.value, use: t.use }
  address: Addr(first(for a in Patient.address where a.use != "old" => a))
  maritalStatus: Patient.maritalStatus.coding[0].code ?? Patient.maritalStatus.text
  language: (for c in Patient.communication where c.preferred => c.language.coding[0].code)[0]
            ?? Patient.communication[0].language.coding[0].code
  race[]: for e in SubExtension(race, "ombCategory") => e.valueCoding.code
  race[]: for e in SubExtension(race, "detailed") => e.valueCoding.code
  raceText: first(SubExtension(race, "text")).valueString
  ethnicity[]: for e in SubExtension(ethnicity, "ombCategory") => e.valueCoding.code
  ethnicity[]: for e in SubExtension(ethnicity, "detailed") => e.valueCoding.code
  ethnicityText: first(SubExtension(ethnicity, "text")).valueString
  generalPractitionerIds[]: for r in Patient.generalPractitioner => RefId(r)
  organizationId: RefId(Patient.managingOrganization)
}

// ---- Encounter -------------------------------------------------------------------------------------------

map EncounterToInternal : fhir "Encounter" -> json {
  kind: "encounter"
  id: Encounter.id
  visitNumber: first(for i in Encounter.identifier where CodeIn(i.type, "http://terminology.hl7.org/CodeSystem/v2-0203") == "VN" => i.value)
               ?? Encounter.identifier[0].value
  identifiers[]: for i in Encounter.identifier => Ident(i)
  status: Encounter.status
  class: Encounter.class.code
  type: Code(Encounter.type[0])
  priority: Code(Encounter.priority)
  serviceType: Code(Encounter.serviceType)
  patientId: RefId(Encounter.subject)
  start: Encounter.period.start
  end: Encounter.period.end
  reasons[]: for r in Encounter.reasonCode => Code(r)
  practitioners[]: for p in Encounter.participant where p.individual.reference or p.individual.identifier => {
    id: RefId(p.individual)
    type: RefType(p.individual)
    search: RefSearch(p.individual)
    role: p.type[0].coding[0].code
    display: p.individual.display
  }
  locationIds[]: for l in Encounter.location => RefId(l.location)
  locations[]: for l in Encounter.location where not RefId(l.location) => { search: RefSearch(l.location), display: l.location.display }
  admitSource: Code(Encounter.hospitalization.admitSource)
  dischargeDisposition: Code(Encounter.hospitalization.dischargeDisposition)
  organizationId: RefId(Encounter.serviceProvider)
  organizationSearch: RefSearch(Encounter.serviceProvider)
}

// ---- Observation -----------------------------------------------------------------------------------------

// The value of an Observation or of one of its components: value[x] -> valueType + one of the value fields.
def ObsValue(o) {
  if o.valueQuantity {
    valueType: "quantity"
    value: o.valueQuantity.value
    unit: o.valueQuantity.unit ?? o.valueQuantity.code
    unitCode: o.valueQuantity.code
    comparator: o.valueQuantity.comparator
  } else if o.valueCodeableConcept {
    valueType: "coded"
    valueCode: Code(o.valueCodeableConcept)
  } else if exists(o.valueString) {
    valueType: "string"
    valueText: o.valueString
  } else if exists(o.valueBoolean) {
    valueType: "boolean"
    value: o.valueBoolean
  } else if exists(o.valueInteger) {
    valueType: "integer"
    value: o.valueInteger
  } else if o.valueDateTime or o.valueTime or o.valuePeriod {
    valueType: "datetime"
    valueText: o.valueDateTime ?? o.valueTime ?? o.valuePeriod.start
  } else if o.valueRange {
    valueType: "range"
    low: o.valueRange.low.value
    high: o.valueRange.high.value
    unit: o.valueRange.low.unit ?? o.valueRange.high.unit
  } else if o.valueRatio {
    valueType: "ratio"
    numerator: o.valueRatio.numerator.value
    denominator: o.valueRatio.denominator.value
  } else if o.valueSampledData {
    valueType: "sampled"
    valueText: o.valueSampledData.data
  }
  absentReason: o.dataAbsentReason.coding[0].code
}

def RefRange(r) {
  low: r.low.value
  high: r.high.value
  unit: r.low.unit ?? r.high.unit
  text: r.text
  appliesTo: r.appliesTo[0].coding[0].code
}

map ObservationToInternal : fhir "Observation" -> json {
  kind: "observation"
  id: Observation.id
  status: Observation.status
  category: CodeIn(Observation.category[0], CAT_SYSTEM) ?? Observation.category[0].coding[0].code
  code: Code(Observation.code)
  patientId: RefId(Observation.subject)
  encounterId: RefId(Observation.encounter)
  effective: Observation.effectiveDateTime ?? Observation.effectiveInstant ?? Observation.effectivePeriod.start
  effectiveEnd: Observation.effectivePeriod.end
  issued: Observation.issued
  ...ObsValue(Observation)
  interpretation: Observation.interpretation[0].coding[0].code
  referenceRange: RefRange(Observation.referenceRange[0])
  bodySite: Code(Observation.bodySite)
  method: Code(Observation.method)
  performerIds[]: for p in Observation.performer where p.reference => RefId(p)
  components[]: for c in Observation.component => {
    code: Code(c.code)
    ...ObsValue(c)
    interpretation: c.interpretation[0].coding[0].code
    referenceRange: RefRange(c.referenceRange[0])
  }
  memberIds[]: for m in Observation.hasMember => RefId(m)
  notes[]: for n in Observation.note => n.text
}

// ---- DiagnosticReport --------------------------------------------------------------------------------------

map DiagnosticReportToInternal : fhir "DiagnosticReport" -> json {
  kind: "report"
  id: DiagnosticReport.id
  accession: DiagnosticReport.identifier[0].value
  status: DiagnosticReport.status
  category: Code(DiagnosticReport.category[0])
  code: Code(DiagnosticReport.code)
  patientId: RefId(DiagnosticReport.subject)
  encounterId: RefId(DiagnosticReport.encounter)
  effective: DiagnosticReport.effectiveDateTime ?? DiagnosticReport.effectivePeriod.start
  effectiveEnd: DiagnosticReport.effectivePeriod.end
  issued: DiagnosticReport.issued
  performers[]: for p in DiagnosticReport.performer => { id: RefId(p), type: RefType(p), display: p.display }
  resultIds[]: for r in DiagnosticReport.result => RefId(r)
  specimenIds[]: for s in DiagnosticReport.specimen => RefId(s)
  conclusion: DiagnosticReport.conclusion
  conclusionCodes[]: for c in DiagnosticReport.conclusionCode => Code(c)
  attachments[]: for f in DiagnosticReport.presentedForm => { contentType: f.contentType, url: f.url, title: f.title }
}

// ---- Appointment -------------------------------------------------------------------------------------------

def ActorsOf(participants, type) = for p in participants where RefType(p.actor) == type => RefId(p.actor)

map AppointmentToInternal : fhir "Appointment" -> json {
  kind: "appointment"
  id: Appointment.id
  status: Appointment.status
  serviceType: Code(Appointment.serviceType[0])
  specialty: Code(Appointment.specialty[0])
  appointmentType: Code(Appointment.appointmentType)
  reasons[]: for r in Appointment.reasonCode => Code(r)
  reasons[]: for r in Appointment.reasonReference where r.display => { text: r.display }
  priority: Appointment.priority
  description: Appointment.description
  start: Appointment.start
  end: Appointment.end
  minutesDuration: Appointment.minutesDuration
  created: Appointment.created
  comment: Appointment.comment
  patientId: first(ActorsOf(Appointment.participant, "Patient"))
  practitionerIds[]: ActorsOf(Appointment.participant, "Practitioner")
  locationIds[]: ActorsOf(Appointment.participant, "Location")
  participants[]: for p in Appointment.participant => {
    id: RefId(p.actor)
    type: RefType(p.actor)
    display: p.actor.display
    role: p.type[0].coding[0].code
    required: p.required
    status: p.status
  }
}
