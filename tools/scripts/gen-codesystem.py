#!/usr/bin/env python3
"""Writes a synthetic FHIR R4 CodeSystem for import-scale measurements (docs/terminology.md, "Scale").

Usage: gen-codesystem.py N OUT.json [--fanout F] [--bundle K]

Concept i has code "C<i>", a display, one designation and (except C0) a `parent` property naming
concept (i - 1) // F, so the concepts form an is-a tree of fan-out F (default 8). Top-level concepts
are written in the order FHIR JSON uses (url, version, caseSensitive before `concept`), streamed to the
file so the generator itself stays small. With --bundle K the file is a Bundle of K such code systems
(urn:bench:generated-0 ... -K-1) of N // K concepts each, for the streamed import of Bundle entries. The
content is made up; it is no real code system.
"""
import argparse
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--fanout", type=int, default=8)
    ap.add_argument("--bundle", type=int, default=0)
    a = ap.parse_args()
    with open(a.out, "w", encoding="utf-8") as f:
        if a.bundle <= 0:
            write_code_system(f, "urn:bench:generated", a.n, a.fanout)
            f.write("\n")
            return
        f.write('{"resourceType":"Bundle","type":"collection","entry":[\n')
        for k in range(a.bundle):
            f.write(("," if k else "") + '{"resource":')
            write_code_system(f, f"urn:bench:generated-{k}", a.n // a.bundle, a.fanout)
            f.write("}\n")
        f.write("]}\n")


def write_code_system(f, url, n, fanout):
    head = {
        "resourceType": "CodeSystem",
        "url": url,
        "version": "1",
        "name": "Generated",
        "status": "active",
        "caseSensitive": True,
        "content": "complete",
    }
    f.write(json.dumps(head)[:-1] + ', "concept": [\n')
    for i in range(n):
        c = {
            "code": f"C{i}",
            "display": f"Generated concept number {i}",
            "designation": [{"language": "en", "value": f"Synonym of concept {i}"}],
        }
        if i > 0:
            c["property"] = [{"code": "parent", "valueCode": f"C{(i - 1) // fanout}"}]
        f.write(("," if i else "") + json.dumps(c, separators=(",", ":")) + "\n")
    f.write("]}")

if __name__ == "__main__":
    main()
