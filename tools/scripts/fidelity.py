#!/usr/bin/env python3
"""Field-by-field agreement of Crosswalk's bundles with Microsoft FHIR-Converter's published outputs.

  tools/scripts/fidelity.py BUILD_DIR     (after the build; runs the shipped program over the fixtures)

For every tests/fixtures/hl7v2/ms-fhir-converter/NAME.hl7 that Crosswalk converts and that has
/work/shared/data/expected/ms-fhir-converter/hl7v2-to-fhir/NAME.json, compares a set of facts per field
group (sets of values, order ignored) and prints agreement per message and per field. Standard library only.
"""
import json, os, subprocess, sys, tempfile
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPECTED = os.environ.get('CW_EXPECTED', '/work/shared/data/expected/ms-fhir-converter/hl7v2-to-fhir')


def res(bundle, kind):
    return [e['resource'] for e in bundle.get('entry', []) if e.get('resource', {}).get('resourceType') == kind]


def codes(cc):
    return {c.get('code') for c in (cc or {}).get('coding', []) if c.get('code')}


def facts(b):
    f = defaultdict(set)
    for p in res(b, 'Patient')[:1]:
        f['patient.identifier'] |= {i.get('value') for i in p.get('identifier', []) if i.get('value')}
        f['patient.name.family'] |= {n.get('family') for n in p.get('name', []) if n.get('family')}
        f['patient.name.given'] |= {g for n in p.get('name', []) for g in n.get('given', [])}
        f['patient.birthDate'] |= {p['birthDate']} if p.get('birthDate') else set()
        f['patient.gender'] |= {p['gender']} if p.get('gender') else set()
        f['patient.address.city'] |= {a.get('city', '').strip() for a in p.get('address', []) if a.get('city')}
        f['patient.address.postalCode'] |= {a.get('postalCode') for a in p.get('address', []) if a.get('postalCode')}
        f['patient.telecom.value'] |= {t.get('value') for t in p.get('telecom', []) if t.get('value')}
    for e in res(b, 'Encounter')[:1]:
        f['encounter.class'] |= {e.get('class', {}).get('code')} - {None}
        f['encounter.period.start'] |= {e.get('period', {}).get('start')} - {None}
        f['encounter.identifier'] |= {i.get('value') for i in e.get('identifier', []) if i.get('value')}
    for o in res(b, 'Observation'):
        f['observation.code'] |= codes(o.get('code'))
        if 'valueQuantity' in o:
            f['observation.valueQuantity'] |= {(str(o['valueQuantity'].get('value')), o['valueQuantity'].get('unit'))}
        if 'valueString' in o:
            f['observation.valueString'] |= {o['valueString'].strip()}
        f['observation.status'] |= {o.get('status')}
        f['observation.interpretation'] |= {c for i in o.get('interpretation', []) for c in codes(i)}
        f['observation.effective'] |= {o.get('effectiveDateTime')} - {None}
        f['observation.referenceRange.text'] |= {r.get('text') for r in o.get('referenceRange', []) if r.get('text')}
    for d in res(b, 'DiagnosticReport'):
        f['report.code'] |= codes(d.get('code'))
        f['report.status'] |= {d.get('status')}
    for s in res(b, 'ServiceRequest'):
        f['order.code'] |= codes(s.get('code'))
    for i in res(b, 'Immunization'):
        f['immunization.vaccineCode'] |= codes(i.get('vaccineCode'))
        f['immunization.occurrence'] |= {i.get('occurrenceDateTime')} - {None}
    for a in res(b, 'Appointment'):
        f['appointment.status'] |= {a.get('status')}
    for k in list(f):
        if not f[k]:
            del f[k]
    return f


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'build')
    src = os.path.join(ROOT, 'tests/fixtures/hl7v2/ms-fhir-converter')
    out = tempfile.mkdtemp()
    subprocess.run([os.path.join(build, 'tools/crosswalk'), 'run', os.path.join(build, 'maps/hl7v2-to-fhir.cwb'),
                    '--term', os.path.join(build, 'terminology'), '--in', src, '--out-dir', out, '--quiet'],
                   stderr=subprocess.DEVNULL)
    per_field = defaultdict(lambda: [0, 0])  # agree, compared
    rows = []
    for name in sorted(os.listdir(out)):
        stem = name[:-len('.hl7.json')]
        exp_path = os.path.join(EXPECTED, stem + '.json')
        if not os.path.exists(exp_path):
            continue
        ours = facts(json.load(open(os.path.join(out, name))))
        theirs = facts(json.load(open(exp_path)))
        agree = compared = 0
        diffs = []
        for k in sorted(set(ours) | set(theirs)):
            if k not in ours or k not in theirs:
                continue  # only one side has the field: counted as coverage, not as agreement
            compared += 1
            per_field[k][1] += 1
            if ours[k] == theirs[k]:
                agree += 1
                per_field[k][0] += 1
            else:
                diffs.append(k)
        rows.append((stem, agree, compared, diffs))
    print('| message | fields agreeing | differing |')
    print('|---|---|---|')
    ta = tc = 0
    for stem, a, c, d in rows:
        ta += a
        tc += c
        print(f'| {stem} | {a}/{c} | {", ".join(d)} |')
    print(f'\n**total: {ta}/{tc} field groups agree ({100.0 * ta / max(tc, 1):.0f}%) over {len(rows)} messages**\n')
    print('| field | messages agreeing / compared |')
    print('|---|---|')
    for k in sorted(per_field):
        a, c = per_field[k]
        print(f'| {k} | {a}/{c} |')


if __name__ == '__main__':
    main()
