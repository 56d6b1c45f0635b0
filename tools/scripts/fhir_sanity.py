#!/usr/bin/env python3
"""FHIR sanity checks on Crosswalk bundle outputs (the same rules as tests/unit/maps/maps_test.cc):
no empty strings/objects/arrays, unique fullUrls, every reference resolves to a fullUrl in the Bundle,
choice-type names valid. Usage: fhir_sanity.py FILE.json|DIR ..."""
import json, os, re, sys

CHOICE = re.compile(r'^(value|effective|onset|deceased|multipleBirth|occurrence|abatement|born|age|'
                    r'collected|timing|asNeeded|medication|reported|performed|serviced|location|'
                    r'defaultValue|fixed|pattern|product|item|answer|used|content|subject)([A-Z]\w*)$')
TYPES = {'Quantity', 'CodeableConcept', 'String', 'Boolean', 'Integer', 'Range', 'Ratio', 'SampledData',
         'Time', 'DateTime', 'Period', 'Attachment', 'Reference', 'Date', 'Age', 'Instant', 'Coding',
         'Decimal', 'Uri', 'Url', 'Canonical', 'Code', 'Id', 'Markdown', 'Oid', 'PositiveInt', 'UnsignedInt',
         'Uuid', 'Base64Binary', 'Duration', 'Timing', 'Address', 'Identifier', 'Annotation', 'ContactPoint',
         'HumanName', 'Money', 'Signature'}
ALLOWED_NON_CHOICE = {'valueSet', 'locationReference', 'subjectType', 'contentType', 'itemCodeableConcept'}


def walk(node, path, problems, refs):
    if isinstance(node, dict):
        if not node:
            problems.append(f'{path}: empty object')
        for k, v in node.items():
            m = CHOICE.match(k)
            if m and k not in ALLOWED_NON_CHOICE and m.group(2) not in TYPES:
                problems.append(f'{path}.{k}: not a valid choice-type name')
            if k == 'reference' and isinstance(v, str):
                refs.append((f'{path}.{k}', v))
            walk(v, f'{path}.{k}', problems, refs)
    elif isinstance(node, list):
        if not node:
            problems.append(f'{path}: empty array')
        for i, v in enumerate(node):
            walk(v, f'{path}[{i}]', problems, refs)
    elif isinstance(node, str):
        if node == '':
            problems.append(f'{path}: empty string')
        elif node != node.strip():
            problems.append(f'{path}: leading/trailing white space')


def check(bundle):
    problems, refs = [], []
    walk(bundle, 'Bundle', problems, refs)
    if bundle.get('resourceType') != 'Bundle' or bundle.get('type') != 'transaction':
        problems.append('not a transaction Bundle')
    urls = [e.get('fullUrl') for e in bundle.get('entry', [])]
    seen = set()
    for u in urls:
        if u in seen:
            problems.append(f'duplicate fullUrl {u}')
        seen.add(u)
    for i, e in enumerate(bundle.get('entry', [])):
        if not re.match(r'^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$', e.get('fullUrl', '')):
            problems.append(f'entry[{i}]: fullUrl is not a urn:uuid (v5)')
        req = e.get('request', {})
        if req.get('method') not in ('POST', 'PUT') or not req.get('url'):
            problems.append(f'entry[{i}]: bad request')
        if 'resource' not in e or not e['resource'].get('resourceType'):
            problems.append(f'entry[{i}]: no resource')
    for p, r in refs:
        if r.startswith('urn:uuid:') and r not in seen:
            problems.append(f'{p}: unresolved reference {r}')
    return problems


def main(args):
    files = []
    for a in args:
        if os.path.isdir(a):
            files += sorted(os.path.join(d, f) for d, _, fs in os.walk(a) for f in fs if f.endswith('.json'))
        else:
            files.append(a)
    bad = 0
    for f in files:
        with open(f, encoding='utf-8') as fh:
            probs = check(json.load(fh))
        if probs:
            bad += 1
            for p in probs[:10]:
                print(f'{f}: {p}')
    print(f'{len(files)} bundles checked, {bad} with problems', file=sys.stderr)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
