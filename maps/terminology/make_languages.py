#!/usr/bin/env python3
"""Regenerates iso-639-languages.ndjson: one ConceptMap from ISO 639 language codes as HL7 v2 messages send
them (table 0296: ISO 639-2 three-letter codes, bibliographic "ger" or terminologic "deu", or ISO 639-1 two-letter
codes) to the BCP 47 tag FHIR uses (urn:ietf:bcp:47; the shortest ISO 639 code of the language), with the
language's English name as display.

    python3 maps/terminology/make_languages.py [/usr/share/iso-codes/json/iso_639-2.json]

The code list is ISO 639-2 as published by its registration authority (the Library of Congress), read from
Debian's iso-codes package (the default path). Only the 184 languages that have an ISO 639-1 code are mapped:
for the others BCP 47 uses the three-letter code itself, which needs no map. Standard library only; the output
is deterministic (sorted).
"""
import json
import os
import sys

MAP_URL = "https://crosswalk.dev/fhir/ConceptMap/iso-639-to-bcp-47"


def main(argv):
    src = argv[1] if len(argv) > 1 else "/usr/share/iso-codes/json/iso_639-2.json"
    with open(src, encoding="utf-8") as f:
        langs = json.load(f)["639-2"]
    rows = {}
    for lang in langs:
        two = lang.get("alpha_2")
        if not two:
            continue
        display = lang["name"].split(";")[0].strip()
        for code in (lang["alpha_3"], lang.get("bibliographic"), two):
            if code:
                rows[code] = (two, display)
    cm = {
        "resourceType": "ConceptMap", "id": "iso-639-to-bcp-47", "url": MAP_URL, "name": "LanguageToBcp47",
        "title": "ISO 639 language code (HL7 table 0296) -> BCP 47 language tag", "status": "active",
        "sourceUri": "http://terminology.hl7.org/ValueSet/v2-0296", "targetUri": "http://hl7.org/fhir/ValueSet/languages",
        "group": [{"source": "urn:iso:std:iso:639", "target": "urn:ietf:bcp:47",
                   "element": [{"code": code, "target": [{"code": two, "display": display, "equivalence": "equivalent"}]}
                               for code, (two, display) in sorted(rows.items())]}],
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "iso-639-languages.ndjson")
    with open(out, "w", encoding="utf-8") as f:
        f.write(json.dumps(cm, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n")
    print("%s: %d codes" % (out, len(rows)))


if __name__ == "__main__":
    main(sys.argv)
