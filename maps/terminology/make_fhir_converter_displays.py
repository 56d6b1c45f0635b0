#!/usr/bin/env python3
"""Regenerates fhir-converter-displays.ndjson: the displays Microsoft FHIR-Converter writes for the codes of some
HL7 v2 tables, where they are not the table's current display in THO, as ConceptMaps from the table to itself
(each code to the same code, with FHIR-Converter's display; equivalence `equal`).

    python3 maps/terminology/make_fhir_converter_displays.py [../shared/data/terminology/ms-fhir-converter/CodeSystem.json]

Tables converted (TABLES below): FHIR-Converter's `CodeSystem/UniversalIDType`, HL7 table 0301 (universal id type),
whose displays are the table's long descriptions as the v2 standard words them ("An International Standards
Organization Object Identifier (OID), in accordance with ISO/IEC 8824. ..."), not THO's short displays ("ISO
Object Identifier"). The maps use them for the type of an HD's universal id (hl7v2.parties HdOrgIdentifiers,
hl7v2.datatypes DeviceIdentifier); a code the map does not list keeps THO's display (lookup in v2-0301).
FHIR-Converter's `CodeSystem/ObservationStatus-ext`, HL7 table 0085 (observation result status) with that
converter's short labels ("Final", "In Process"; THO: "Final results; Can only be changed with a corrected
result."), for its own Observation_Status extension (hl7v2.results ObservationStatusExtension).
FHIR-Converter's `CodeSystem/Ethnicity`, HL7 table 0189 (ethnic group) codes H / N to the CDC Race & Ethnicity codes
2135-2 / 2186-5 with that converter's displays ("Non Hispanic or Latino"; CDC: "Not Hispanic or Latino"), for the
US Core ethnicity extension's ombCategory and text (hl7v2.segments RaceEthnicity): a ConceptMap from table 0189 to
the CDC system (CROSS_TABLES below).

The source is FHIR-Converter's code table as copied, unmodified, into the shared data
(`terminology/ms-fhir-converter/CodeSystem.json`, upstream `data/Templates/Hl7v2/CodeSystem/CodeSystem.json`,
MIT licence). Standard library only; the output is deterministic (sorted).
"""
import json
import os
import sys

BASE = "https://crosswalk.dev/fhir/ConceptMap/"
# FHIR-Converter table name -> (ConceptMap id, HL7 v2 table number)
TABLES = {
    "CodeSystem/UniversalIDType": ("fhir-converter-v2-0301-display", "0301"),
    "CodeSystem/ObservationStatus-ext": ("fhir-converter-v2-0085-display", "0085"),
}

CDCREC = "urn:oid:2.16.840.1.113883.6.238"
# FHIR-Converter table name -> (ConceptMap id, HL7 v2 table number, target system): its rows map a v2 code to a
# code of another system.
CROSS_TABLES = {
    "CodeSystem/Ethnicity": ("fhir-converter-v2-0189-ethnicity", "0189", CDCREC),
}


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    src = argv[1] if len(argv) > 1 else os.path.join(here, "../../../shared/data/terminology/ms-fhir-converter/CodeSystem.json")
    with open(src, encoding="utf-8") as f:
        mapping = json.load(f)["Mapping"]
    maps = []
    for name, (cm_id, table) in sorted(TABLES.items(), key=lambda kv: kv[1][0]):
        system = "http://terminology.hl7.org/CodeSystem/v2-" + table
        elements = []
        for code, row in sorted(mapping[name].items()):
            # only rows that keep the v2 code in the v2 table: a display of the code itself
            if row.get("system") == system and row.get("code") == code and row.get("display", "").strip():
                elements.append({"code": code, "target": [{"code": code, "display": row["display"].strip(),
                                                           "equivalence": "equal"}]})
        maps.append({
            "resourceType": "ConceptMap", "id": cm_id, "url": BASE + cm_id,
            "name": "FhirConverterV2_%sDisplay" % table,
            "title": "HL7 table %s codes with the displays Microsoft FHIR-Converter writes" % table,
            "status": "active",
            "sourceUri": "http://terminology.hl7.org/ValueSet/v2-" + table,
            "targetUri": "http://terminology.hl7.org/ValueSet/v2-" + table,
            "group": [{"source": system, "target": system, "element": elements}],
        })
    for name, (cm_id, table, target) in sorted(CROSS_TABLES.items(), key=lambda kv: kv[1][0]):
        elements = []
        for code, row in sorted(mapping[name].items()):
            if row.get("system") == target and row.get("code", "").strip() and row.get("display", "").strip():
                elements.append({"code": code, "target": [{"code": row["code"].strip(), "display": row["display"].strip(),
                                                           "equivalence": "equivalent"}]})
        maps.append({
            "resourceType": "ConceptMap", "id": cm_id, "url": BASE + cm_id,
            "name": "FhirConverterV2_%sTo%s" % (table, "Cdcrec"),
            "title": "HL7 table %s codes to the codes and displays Microsoft FHIR-Converter writes" % table,
            "status": "active",
            "sourceUri": "http://terminology.hl7.org/ValueSet/v2-" + table,
            "targetUri": "http://hl7.org/fhir/us/core/ValueSet/omb-ethnicity-category",
            "group": [{"source": "http://terminology.hl7.org/CodeSystem/v2-" + table, "target": target, "element": elements}],
        })
    out = os.path.join(here, "fhir-converter-displays.ndjson")
    with open(out, "w", encoding="utf-8") as f:
        for cm in maps:
            f.write(json.dumps(cm, ensure_ascii=False, separators=(",", ":")) + "\n")
    print("%s: %s" % (out, ", ".join("%s (%d codes)" % (m["id"], len(m["group"][0]["element"])) for m in maps)))


if __name__ == "__main__":
    main(sys.argv)
