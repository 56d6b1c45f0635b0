#!/usr/bin/env python3
"""Regenerates the terminology seeds in this folder from the shared data snapshot.

    python3 maps/terminology/make_seeds.py ../shared/data/terminology

Outputs (all read by `crosswalk term import`; see README.md for sources and licences):
  v2-codesystems.ndjson         HL7 v2 tables as FHIR CodeSystems (HL7 UTG/THO, CC0): the tables the
                                v2-to-FHIR maps use plus the ones the shipped maps need
  fhir-r4-codesystems.ndjson    FHIR R4 / v3 CodeSystems the v2-to-FHIR maps target (HL7 FHIR R4, CC0)
  fhir-r4-conceptmaps-v2.ndjson the FHIR R4 core "cm-*-v2" ConceptMaps (HL7 FHIR R4, CC0)
  v2-to-fhir-ig-conceptmaps.ndjson  the HL7 V2-to-FHIR IG vocabulary maps, converted from the IG's CSV
                                sheets into FHIR R4 ConceptMaps (Apache-2.0)
  v2-0396-system-uris.ndjson    HL7 table 0396 coding-system names -> FHIR system URIs, one ConceptMap
                                (LinuxForHealth hl7v2-fhir-converter's CodingSystemMapping.yml, Apache-2.0,
                                with the overrides in CODING_SYSTEM_OVERRIDES)
  CONCEPTMAPS.md                the list of ConceptMap URLs (generated)
Only the Python standard library is used. The output is deterministic (sorted).
"""
import collections
import csv
import glob
import json
import os
import re
import sys

REQUIRED_TABLES = ["0001", "0002", "0004", "0007", "0063", "0078", "0085", "0123", "0127", "0128", "0189",
                   "0190", "0200", "0201", "0202", "0203", "0125", "0003", "0076", "0104", "0136", "0155",
                   "0301", "0363", "0396", "0005", "0006", "0008", "0009", "0023", "0038", "0052", "0062",
                   "0064", "0069", "0074", "0080", "0092", "0103", "0119", "0207", "0211", "0354", "0357",
                   "0364", "0369", "0487", "0488", "0489", "0490", "0493", "0494"]
IG_VERSION = "git-8c9b414"  # HL7/v2-to-fhir snapshot commit the CSVs come from
IG_BASE = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/"


CODING_SYSTEM_MAP = "https://crosswalk.dev/fhir/ConceptMap/v2-0396-to-system-uri"
# Names (CWE.3 / CWE.6 / CWE.12 as messages write them) whose FHIR system URI is fixed here: the FHIR R4
# "sid" and terminology.hl7.org URIs (http://hl7.org/fhir/R4/terminologies-systems.html) for names the source
# list lacks, spells differently or maps to a page that is no system URI (CDCREC).
CODING_SYSTEM_OVERRIDES = {
    "LN": "http://loinc.org", "LOINC": "http://loinc.org",
    "SCT": "http://snomed.info/sct", "SNM": "http://snomed.info/sct", "SNOMEDCT": "http://snomed.info/sct",
    "SNOMED": "http://snomed.info/sct",
    "UCUM": "http://unitsofmeasure.org",
    "CVX": "http://hl7.org/fhir/sid/cvx", "HL70292": "http://hl7.org/fhir/sid/cvx",
    "MVX": "http://terminology.hl7.org/CodeSystem/MVX", "HL70227": "http://terminology.hl7.org/CodeSystem/MVX",
    "NDC": "http://hl7.org/fhir/sid/ndc",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm", "RXN": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "I9": "http://hl7.org/fhir/sid/icd-9-cm", "I9C": "http://hl7.org/fhir/sid/icd-9-cm",
    "ICD9": "http://hl7.org/fhir/sid/icd-9-cm",
    "I10": "http://hl7.org/fhir/sid/icd-10-cm", "I10C": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10": "http://hl7.org/fhir/sid/icd-10-cm", "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "CPT": "http://www.ama-assn.org/go/cpt", "C4": "http://www.ama-assn.org/go/cpt",
    "ISO3166_1": "urn:iso:std:iso:3166", "ISO+": "urn:ietf:bcp:47", "ISO639": "urn:ietf:bcp:47",
    "CDCREC": "urn:oid:2.16.840.1.113883.6.238",
}


def convert_coding_systems(src, out_dir):
    """HL7 table 0396 names -> system URIs as one ConceptMap (target codes are the URIs). HL7nnnn names are
    left to the maps (v2-nnnn), and so are URLs that are web pages rather than system URIs."""
    path = os.path.join(src, "linuxforhealth", "CodingSystemMapping.yml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    uris = {}
    for m in re.finditer(r'^- id: "([^"]+)"\s*\n(?:\s+\w+: "[^"]*"\s*\n)*?\s+url: "([^"]+)"', text, re.M):
        name, url = m.group(1).strip().upper(), m.group(2).strip()
        if re.fullmatch(r"HL7\d{4}", name) or url.endswith(".html") or not re.fullmatch(r"[a-z]+:\S+", url):
            continue
        uris.setdefault(name, url)
    uris.update(CODING_SYSTEM_OVERRIDES)
    cm = {
        "resourceType": "ConceptMap", "id": "v2-0396-to-system-uri", "url": CODING_SYSTEM_MAP,
        "name": "CodingSystemUri", "title": "HL7 table 0396 coding-system name -> FHIR code system URI",
        "status": "active", "sourceUri": "http://terminology.hl7.org/ValueSet/v2-0396",
        "group": [{"source": "http://terminology.hl7.org/CodeSystem/v2-0396", "target": "urn:ietf:rfc:3986",
                   "element": [{"code": n, "target": [{"code": uris[n], "equivalence": "equivalent"}]}
                               for n in sorted(uris)]}],
    }
    with open(os.path.join(out_dir, "v2-0396-system-uris.ndjson"), "w") as f:
        f.write(json.dumps(cm, ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(uris)


def slug(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def table_system(table):  # "HL70001" / "0001" -> THO code system URL
    m = re.fullmatch(r"(?:HL7)?(\d{4})", table.strip())
    return "http://terminology.hl7.org/CodeSystem/v2-" + m.group(1) if m else None


def read_inventory(src):
    inv = {}
    with open(os.path.join(src, "v2-to-fhir-ig", "v2-to-FHIR Map Inventory - Code System.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if row.get("Code System") and row.get("v2 Table"):
                inv[row["Code System"].strip()] = row["v2 Table"].strip()
    return inv


def convert_ig_maps(src, out_dir):
    inv = read_inventory(src)
    maps, notes = [], []
    used_urls = {}
    files = sorted(glob.glob(os.path.join(src, "v2-to-fhir-ig", "codesystems", "*.csv")))
    for path in files:
        name = re.match(r"HL7 Concept Map_ (.*) - Sheet1\.csv", os.path.basename(path)).group(1)
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        if len(rows) < 3:
            notes.append((name, "empty sheet"))
            continue
        hdr = [h.strip() for h in rows[1]]
        try:
            c_code = hdr.index("Code")
            c_sys = hdr.index("Code System")
            c_tcode = hdr.index("Code", c_code + 1)
            c_tdisp = hdr.index("Display", c_tcode)
            c_tsys = hdr.index("Code System", c_tdisp)
        except ValueError:
            notes.append((name, "unrecognised header"))
            continue
        c_text = hdr.index("Text") if "Text" in hdr else None
        cond_cols = [i for i, h in enumerate(hdr) if h.startswith("Computable") or h == "Narrative"]
        base = re.sub(r"\[.*\]", "", name)
        table = inv.get(name) or inv.get(base)
        groups = collections.OrderedDict()  # (source system, target system) -> {code: element}
        skipped_conditional = 0
        for row in rows[2:]:
            row = row + [""] * (len(hdr) - len(row))
            code = row[c_code].strip()
            if not code:
                continue
            if any(row[i].strip() for i in cond_cols if i < len(row)):
                skipped_conditional += 1
                continue
            ssys = table_system(row[c_sys]) or (table_system(table) if table else None)
            if not ssys:
                continue
            tcode = row[c_tcode].strip()
            tdisp = row[c_tdisp].strip() or (row[c_tcode + 1].strip() if c_tcode + 1 < c_tdisp else "")
            tsys = row[c_tsys].strip()
            if tcode and not tsys:
                continue
            g = groups.setdefault((ssys, tsys if tcode else ""), collections.OrderedDict())
            el = g.setdefault(code, {"code": code, "target": []})
            if c_text is not None and row[c_text].strip() and "display" not in el:
                el["display"] = row[c_text].strip()
            if tcode:
                t = {"code": tcode, "equivalence": "equivalent"}
                if tdisp:
                    t["display"] = tdisp
                el["target"].append(t)
        if not groups:
            notes.append((name, "no unconditional rows"))
            continue
        # Codes listed without any target: an explicit 'unmatched' in the first real group.
        real = [k for k in groups if k[1]]
        if not real:
            notes.append((name, "no targets"))
            continue
        merged = collections.OrderedDict((k, groups[k]) for k in real)
        empty = groups.get((real[0][0], ""), {})
        for code, el in empty.items():
            if not any(code in g for g in merged.values()):
                el = dict(el)
                el["target"] = [{"equivalence": "unmatched"}]
                merged[real[0]][code] = el
        # The IG names a map after the target of its first mapped row (e.g. 0004 -> v3-ActCode).
        main_target = real[0][1]
        ssys = real[0][0]
        tnum = ssys.rsplit("-", 1)[1]
        url = IG_BASE + "table-hl7{}-to-{}".format(tnum, slug(re.split(r"[/:]", main_target.rstrip("/"))[-1]))
        if url in used_urls:
            bracket = re.search(r"\[(.*)\]", name)
            url += "-" + slug(bracket.group(1) if bracket else name)
        used_urls[url] = name
        cm = {
            "resourceType": "ConceptMap",
            "id": url.rsplit("/", 1)[1],
            "url": url,
            "version": IG_VERSION,
            "name": re.sub(r"[^A-Za-z0-9]", "", name),
            "title": "HL7 V2-to-FHIR IG vocabulary map: {} (table {})".format(name, tnum),
            "status": "draft",
            "sourceUri": "http://terminology.hl7.org/ValueSet/v2-" + tnum,
            "group": [],
        }
        for (s, t), g in merged.items():
            elements = []
            for el in g.values():
                if not el["target"]:
                    el = dict(el)
                    el["target"] = [{"equivalence": "unmatched"}]
                elements.append(el)
            cm["group"].append({"source": s, "target": t, "element": elements})
        maps.append((url, name, tnum, main_target, sum(len(g) for g in merged.values()), skipped_conditional, cm))
    maps.sort(key=lambda m: m[0])
    with open(os.path.join(out_dir, "v2-to-fhir-ig-conceptmaps.ndjson"), "w") as f:
        for m in maps:
            f.write(json.dumps(m[6], ensure_ascii=False, separators=(",", ":")) + "\n")
    return maps, notes


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data/terminology")
    out_dir = os.path.dirname(os.path.abspath(__file__))
    maps, notes = convert_ig_maps(src, out_dir)
    n_names = convert_coding_systems(src, out_dir)

    # v2 tables: the ones the maps read or write, plus the required list.
    tables = set(REQUIRED_TABLES)
    for m in maps:
        tables.add(m[2])
        for g in m[6]["group"]:
            t = re.fullmatch(r"http://terminology.hl7.org/CodeSystem/v2-(\d{4})", g["target"])
            if t:
                tables.add(t.group(1))
    # Current THO (UTG) tables first; a table THO no longer has (e.g. 0078, 0125) comes from FHIR R4.
    chosen = {}
    for folder in ("utg-tho-v2-codesystems", "fhir-r4-core"):
        with open(os.path.join(src, folder, "v2-codesystems.ndjson")) as fin:
            for line in fin:
                cs = json.loads(line)
                t = cs["id"][3:] if cs["id"].startswith("v2-") else None
                if t in tables and t not in chosen:
                    for k in ("contact", "text"):  # unused metadata; the resource stays valid FHIR
                        cs.pop(k, None)
                    chosen[t] = cs
    n_v2 = len(chosen)
    with open(os.path.join(out_dir, "v2-codesystems.ndjson"), "w") as fout:
        for t in sorted(chosen):
            fout.write(json.dumps(chosen[t], ensure_ascii=False, separators=(",", ":")) + "\n")

    targets = set()
    for m in maps:
        for g in m[6]["group"]:
            targets.add(g["target"])
    n_fhir = 0
    with open(os.path.join(out_dir, "fhir-r4-codesystems.ndjson"), "w") as fout:
        for path in sorted(glob.glob(os.path.join(src, "fhir-r4-core", "other-codesystems", "*.json"))):
            with open(path) as f:
                cs = json.load(f)
            cs.pop("text", None)
            fout.write(json.dumps(cs, ensure_ascii=False, separators=(",", ":")) + "\n")
            n_fhir += 1
    with open(os.path.join(out_dir, "fhir-r4-conceptmaps-v2.ndjson"), "w") as fout:
        for path in sorted(glob.glob(os.path.join(src, "fhir-r4-core", "conceptmaps", "ConceptMap-cm-*-v2.json"))):
            with open(path) as f:
                cm = json.load(f)
            cm.pop("text", None)
            fout.write(json.dumps(cm, ensure_ascii=False, separators=(",", ":")) + "\n")

    with open(os.path.join(out_dir, "CONCEPTMAPS.md"), "w") as f:
        f.write("# ConceptMaps in the seed store (generated by make_seeds.py; do not edit)\n\n")
        f.write("## HL7 V2-to-FHIR IG vocabulary maps (v2 code -> FHIR code), version `{}`\n\n".format(IG_VERSION))
        f.write("Source system of every map: `http://terminology.hl7.org/CodeSystem/v2-NNNN` (table NNNN).\n\n")
        f.write("| URL | IG sheet | v2 table | main target system | elements | conditional rows left out |\n")
        f.write("|---|---|---|---|---|---|\n")
        for url, name, tnum, tsys, n, cond, _ in maps:
            f.write("| `{}` | {} | {} | `{}` | {} | {} |\n".format(url, name, tnum, tsys, n, cond))
        if notes:
            f.write("\nSheets not converted: " + ", ".join("{} ({})".format(n, why) for n, why in notes) + ".\n")
        f.write("\n## Coding-system names (HL7 table 0396) -> system URIs\n\n")
        f.write("- `{}`: {} names (`v2-0396-system-uris.ndjson`)\n".format(CODING_SYSTEM_MAP, n_names))
        f.write("\n## FHIR R4 core v2 maps (FHIR code -> v2 code), version `4.0.1`\n\n")
        for path in sorted(glob.glob(os.path.join(src, "fhir-r4-core", "conceptmaps", "ConceptMap-cm-*-v2.json"))):
            with open(path) as fh:
                cm = json.load(fh)
            f.write("- `{}`: `{}` -> `{}`\n".format(cm["url"], cm["group"][0]["source"], cm["group"][0]["target"]))
    print("maps: {}, v2 code systems: {}, FHIR code systems: {}, sheets skipped: {}".format(
        len(maps), n_v2, n_fhir, len(notes)))


if __name__ == "__main__":
    main()
