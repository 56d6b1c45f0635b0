#!/usr/bin/env python3
"""Writes a synthetic FHIR R4 ConceptMap for import-scale measurements (docs/terminology.md, "Scale").

Usage: gen-conceptmap.py N OUT.json

One group (source urn:bench:source, target urn:bench:target) with N elements; element i maps code "S<i>"
to "T<i>" (equivalent) and every third one also to "U<i>" (narrower, with a dependsOn condition). Keys are
written in the order FHIR JSON uses (url and version before `group`; source and target before `element`),
streamed to the file so the generator stays small. The content is made up.
"""
import argparse
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    a = ap.parse_args()
    with open(a.out, "w", encoding="utf-8") as f:
        f.write('{"resourceType":"ConceptMap","url":"urn:bench:map","version":"1","status":"active",')
        f.write('"group":[{"source":"urn:bench:source","target":"urn:bench:target","element":[\n')
        for i in range(a.n):
            targets = [{"code": f"T{i}", "display": f"Target {i}", "equivalence": "equivalent"}]
            if i % 3 == 0:
                targets.append({"code": f"U{i}", "equivalence": "narrower",
                                "dependsOn": [{"property": "urn:bench:specimen", "value": "blood"}]})
            el = {"code": f"S{i}", "display": f"Source {i}", "target": targets}
            f.write(("," if i else "") + json.dumps(el, separators=(",", ":")) + "\n")
        f.write("]}]}\n")


if __name__ == "__main__":
    main()
