#!/usr/bin/env python3
"""Regenerates v2-security-labels.ndjson: two ConceptMaps from the codes of the HL7 v2 ARV segment (access
restrictions, v2.6+) to FHIR security labels (Resource.meta.security, HL7 Healthcare Privacy and Security
Classification: v3-ActCode sensitivity and policy codes, v3-Confidentiality levels).

    python3 maps/terminology/make_security_labels.py

No map of the HL7 V2-to-FHIR IG reads ARV. The targets are chosen here, code by code, by meaning: a kind of
information whose access is restricted (table 0717) maps to the v3-ActCode information sensitivity code for that
kind (DEM demographics -> DEMO, LOC patient location -> LOCIS, ...), "all" and "sensitive medical data" to the
confidentiality level R (restricted) and "none" to U (unrestricted); a reason (table 0719) maps to the v3-ActCode
code of that reason (PAT patient request -> PRS, VIP -> CEL celebrity, ORG organisational policy -> CPLYOSP, REG
regulation -> CPLYJPP). Microsoft FHIR-Converter makes the same choices for the codes both cover (its
CodeSystem.json, AccessRestrictionValue / AccessRestrictionReason; it sends PID-7 to v3-Confidentiality, where
DOB is no code, and ORG to a misspelt CPLY0SP). Codes left out (OI, OO: opt in / out of registries) have no
security label; the maps then write the v2 coding itself. Every target code is in the seed store's v3-ActCode or
v3-Confidentiality. Standard library only; deterministic output.
"""
import json
import os

ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

VALUE = {  # table 0717 access restriction value -> (system, code, display)
    "ALL": (CONF, "R", "restricted"),
    "DEM": (ACT, "DEMO", "all demographic information sensitivity"),
    "DRG": (ACT, "DRGIS", "drug information sensitivity"),
    "HIV": (ACT, "HIV", "HIV/AIDS information sensitivity"),
    "LOC": (ACT, "LOCIS", "location information sensitivity"),
    "NO": (CONF, "U", "unrestricted"),
    "PID-17": (ACT, "REL", "religion information sensitivity"),
    "PID-7": (ACT, "DOB", "date of birth information sensitivity"),
    "PSY": (ACT, "PSY", "psychiatry disorder information sensitivity"),
    "SMD": (CONF, "R", "restricted"),
    "STD": (ACT, "STD", "sexually transmitted disease information sensitivity"),
}
REASON = {  # table 0719 access restriction reason -> (system, code, display)
    "DIA": (ACT, "DIA", "diagnosis information sensitivity"),
    "EMP": (ACT, "EMP", "employee information sensitivity"),
    "ORG": (ACT, "CPLYOSP", "comply with organizational security policy"),
    "PAT": (ACT, "PRS", "patient requested information sensitivity"),
    "PHY": (ACT, "PHY", "physician requested information sensitivity"),
    "REG": (ACT, "CPLYJPP", "comply with jurisdictional privacy policy"),
    "VIP": (ACT, "CEL", "celebrity information sensitivity"),
}


def concept_map(table, slug, title, rows):
    groups = {}
    for code, (system, target, display) in sorted(rows.items()):
        groups.setdefault(system, []).append(
            {"code": code, "target": [{"code": target, "display": display, "equivalence": "equivalent"}]})
    return {
        "resourceType": "ConceptMap", "id": "v2-%s-to-security-label" % table,
        "url": "https://crosswalk.dev/fhir/ConceptMap/v2-%s-to-security-label" % table,
        "name": "V2_%s_%s" % (table, slug), "title": title, "status": "active",
        "sourceUri": "http://terminology.hl7.org/ValueSet/v2-%s" % table,
        "targetUri": "http://hl7.org/fhir/ValueSet/security-labels",
        "group": [{"source": "http://terminology.hl7.org/CodeSystem/v2-%s" % table, "target": system, "element": els}
                  for system, els in sorted(groups.items())],
    }


def main():
    maps = [concept_map("0717", "AccessRestrictionValueToSecurityLabel",
                        "HL7 table 0717 access restriction value -> FHIR security label", VALUE),
            concept_map("0719", "AccessRestrictionReasonToSecurityLabel",
                        "HL7 table 0719 access restriction reason -> FHIR security label", REASON)]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "v2-security-labels.ndjson")
    with open(out, "w", encoding="utf-8") as f:
        for m in maps:
            f.write(json.dumps(m, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n")


if __name__ == "__main__":
    main()
