#!/usr/bin/env bash
# Checks that Crosswalk's peer map (peer.cw) gives the same output as the peer benchmark's reference
# (peers/plainjs.js, saved in expected/) on every message in msgs/, compared as JSON values (key order
# ignored, numbers by value: 182 == 182, 1.50 == 1.5). Exit 1 on any difference.
#
#   tests/bench/peer/check.sh BUILD_DIR          (uses BUILD_DIR/tools/crosswalk)
#
# Messages are fed as the peers read them (peers/lib/load.js): line endings -> \r, BOM and trailing \r
# removed. The one documented exception is listed in KNOWN below (see README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: check.sh BUILD_DIR}
cw=$build/tools/crosswalk
[ -x "$cw" ] || { echo "check.sh: no $cw (build first)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cw" compile "$here/peer.cw" -o "$tmp/peer.cwb"
python3 - "$cw" "$tmp/peer.cwb" "$here" <<'PY'
import json, os, re, subprocess, sys
cw, cwb, here = sys.argv[1:4]
msgs = os.path.join(here, 'msgs')
# Differences that Crosswalk cannot reproduce by design, per message: the reference writes an empty
# object where Crosswalk applies FHIR's absent-value rule (never {} / [] / "" in output).
# And the reference keeps HL7 v2 subcomponents raw ("EVERYMAN&&&&Aniston"), where Crosswalk reads a component
# as its first subcomponent ("EVERYMAN"): accepted where the reference text, cut at its first '&', is
# Crosswalk's value.
KNOWN = {'shared/ms-fhir-converter/ORU-R01-01.hl7': {'prune-empty'},
         'shared/ms-fhir-converter/ADT-A01-01.hl7': {'subcomponents'},
         'shared/ms-fhir-converter/ADT-A01-02.hl7': {'subcomponents'}}
accepted = []

def prune(v):
    if isinstance(v, dict):
        out = {k: prune(x) for k, x in v.items()}
        return {k: x for k, x in out.items() if x not in ({}, [], '', None)}
    if isinstance(v, list):
        out = [prune(x) for x in v]
        return [x for x in out if x not in ({}, [], '', None)]
    return v

def diff(a, b, path='$', sub=False):
    if type(a) in (int, float) and type(b) in (int, float) and not isinstance(a, bool) and not isinstance(b, bool):
        return [] if a == b else [f'{path}: {a!r} != {b!r}']
    if type(a) != type(b):
        return [f'{path}: {a!r} != {b!r}']
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a: out.append(f'{path}.{k}: missing in crosswalk (reference {b[k]!r})')
            elif k not in b: out.append(f'{path}.{k}: extra in crosswalk ({a[k]!r})')
            else: out += diff(a[k], b[k], f'{path}.{k}', sub)
        return out
    if isinstance(a, list):
        if len(a) != len(b): return [f'{path}: {len(a)} items != {len(b)} in reference']
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f'{path}[{i}]', sub)]
    if sub and isinstance(a, str) and isinstance(b, str) and a != b and '&' in b and a == b.split('&')[0]:
        accepted.append(f'{path}: {a!r} (reference {b!r})')
        return []
    return [] if a == b else [f'{path}: {a!r} != {b!r}']

failed = 0
files = sorted(os.path.relpath(os.path.join(d, f), msgs) for d, _, fs in os.walk(msgs) for f in fs if f.endswith('.hl7'))
for rel in files:
    raw = open(os.path.join(msgs, rel), 'rb').read().decode('utf-8')
    text = re.sub(r'\r\n|\n|\r', '\r', raw).lstrip('\ufeff')
    text = re.sub(r'\r+$', '', text)
    r = subprocess.run([cw, 'run', cwb, '--in', '-', '--quiet'], input=text.encode(), capture_output=True)
    ref = json.load(open(os.path.join(here, 'expected', rel[:-4] + '.json')))
    if r.returncode != 0:
        print(f'FAIL {rel}: crosswalk exit {r.returncode}: {r.stderr.decode().strip()}'); failed += 1; continue
    got = json.loads(r.stdout)
    known = KNOWN.get(rel, set())
    accepted.clear()
    d = diff(got, prune(ref) if 'prune-empty' in known else ref, sub='subcomponents' in known)
    notes = []
    if 'prune-empty' in known and diff(got, ref): notes.append("the reference's empty objects removed")
    if accepted: notes.append(f'{len(accepted)} values are the first subcomponent of the reference\'s raw text')
    note = f' (documented differences: {"; ".join(notes)})' if notes else ''
    if d:
        failed += 1
        print(f'DIFF {rel}:')
        for line in d[:20]: print('    ' + line)
    else:
        print(f'OK   {rel}{note}')
        for line in accepted: print('    accepted ' + line)
print(f'{len(files) - failed}/{len(files)} messages equal to the reference')
sys.exit(1 if failed else 0)
PY
