#!/usr/bin/env python3
"""Writes synthetic terminology release files for import-scale measurements (docs/terminology.md, "Scale").

Usage: gen-release.py loinc|snomed|icd10cm N OUT_DIR

  loinc    OUT_DIR/Loinc.csv (N terms, the columns the loader reads), ComponentHierarchyBySystem.csv (a
           tree of N / 10 parts over the terms) and LoincPartLink_Primary.csv (one COMPONENT link per term).
  snomed   OUT_DIR/sct2_Concept_Snapshot_INT_20240101.txt (N concepts), the description file (an FSN and a
           synonym each), the relationship file (one is-a each, a tree of fan-out 8) and the US English
           language reference set (the synonym preferred).
  icd10cm  OUT_DIR/icd10cm_order_2024.txt (N codes, at most 99,999 as the 5-digit order number allows; the
           real file has about 98,000: three-character categories, each with subcodes).

Codes, names and identifiers are made up (no real LOINC, SNOMED CT or ICD-10-CM content); the files only
have the shape of the real releases. Rows are streamed to the files so the generator stays small.
"""
import argparse
import os


def loinc(n, out):
    parts = max(1, n // 10)
    with open(os.path.join(out, "Loinc.csv"), "w", encoding="utf-8") as f:
        f.write('"LOINC_NUM","COMPONENT","PROPERTY","TIME_ASPCT","SYSTEM","SCALE_TYP","METHOD_TYP","CLASS",'
                '"VersionLastChanged","STATUS","CONSUMER_NAME","CLASSTYPE","SHORTNAME","LONG_COMMON_NAME",'
                '"VersionFirstReleased"\n')
        for i in range(n):
            status = "DEPRECATED" if i % 50 == 0 else "ACTIVE"
            f.write(f'"{i}-0","Analyte {i % parts}","MCnc","Pt","Ser/Plas","Qn","","CHEM","2.{70 + i % 8}",'
                    f'"{status}","Analyte {i} consumer name","1","Analyte{i} SerPl-mCnc",'
                    f'"Analyte {i} [Mass/volume] in Serum or Plasma","2.70"\n')
    with open(os.path.join(out, "ComponentHierarchyBySystem.csv"), "w", encoding="utf-8") as f:
        f.write('"PATH_TO_ROOT","SEQUENCE","IMMEDIATE_PARENT","CODE","CODE_TEXT"\n')
        f.write('"","1","","LP0-0","{component}"\n')
        for p in range(1, parts):
            f.write(f'"LP0-0","1","LP{(p - 1) // 8}-0","LP{p}-0","Part {p}"\n')
        for i in range(n):
            f.write(f'"LP0-0","1","LP{i % parts}-0","{i}-0","Analyte {i}"\n')
    with open(os.path.join(out, "LoincPartLink_Primary.csv"), "w", encoding="utf-8") as f:
        f.write('"LoincNumber","LongCommonName","PartNumber","PartName","PartCodeSystem","PartTypeName",'
                '"LinkTypeName","Property"\n')
        for i in range(n):
            f.write(f'"{i}-0","Analyte {i}","LP{i % parts}-0","Part","http://loinc.org","COMPONENT","Primary",'
                    '"http://loinc.org/property/COMPONENT"\n')


def snomed(n, out):
    mod = "900000000000207008"
    with open(os.path.join(out, "sct2_Concept_Snapshot_INT_20240101.txt"), "w", encoding="utf-8") as f:
        f.write("id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n")
        for i in range(n):
            f.write(f"{1000000 + i}\t20020131\t1\t{mod}\t900000000000074008\n")
    with open(os.path.join(out, "sct2_Description_Snapshot-en_INT_20240101.txt"), "w", encoding="utf-8") as f:
        f.write("id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId\n")
        for i in range(n):
            c = 1000000 + i
            f.write(f"{20000000 + 2 * i}\t20020131\t1\t{mod}\t{c}\ten\t900000000000003001\t"
                    f"Synthetic concept {i} (finding)\t900000000000448009\n")
            f.write(f"{20000001 + 2 * i}\t20020131\t1\t{mod}\t{c}\ten\t900000000000013009\t"
                    f"Synthetic concept {i}\t900000000000448009\n")
    with open(os.path.join(out, "sct2_Relationship_Snapshot_INT_20240101.txt"), "w", encoding="utf-8") as f:
        f.write("id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\t"
                "characteristicTypeId\tmodifierId\n")
        for i in range(1, n):
            f.write(f"{30000000 + i}\t20020131\t1\t{mod}\t{1000000 + i}\t{1000000 + (i - 1) // 8}\t0\t116680003\t"
                    "900000000000011006\t900000000000451002\n")
    with open(os.path.join(out, "der2_cRefset_LanguageSnapshot-en_INT_20240101.txt"), "w", encoding="utf-8") as f:
        f.write("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId\n")
        for i in range(n):
            f.write(f"a{i}\t20240101\t1\t{mod}\t900000000000509007\t{20000001 + 2 * i}\t900000000000548007\n")


def icd10cm(n, out):
    if n > 99999:
        raise SystemExit("icd10cm: at most 99,999 codes (the order number has 5 digits)")
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    with open(os.path.join(out, "icd10cm_order_2024.txt"), "w", encoding="utf-8") as f:
        written = 0
        cat = 0
        while written < n:
            code = f"{letters[(cat // 100) % 26]}{cat % 100:02d}"
            subs = [code] + [f"{code}{d}" for d in range(10)] + [f"{code}{d}{e}" for d in range(10) for e in range(10)]
            for c in subs:
                if written >= n:
                    break
                header = "0" if len(c) < 5 else "1"
                short = f"Synthetic condition {c}"[:60]
                f.write(f"{written + 1:05d} {c:<7} {header} {short:<60} Synthetic condition {c}, long form\n"[0:200])
                written += 1
            cat += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["loinc", "snomed", "icd10cm"])
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    {"loinc": loinc, "snomed": snomed, "icd10cm": icd10cm}[a.kind](a.n, a.out)


if __name__ == "__main__":
    main()
