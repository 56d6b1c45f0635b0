#!/usr/bin/env python3
"""Fact-by-fact agreement of the shipped HL7 v2 -> FHIR R4 maps with every reference converter.

  tools/scripts/fidelity.py [--build DIR] [--expected DIR] [--reference NAME] [--type ADT^A01]
                            [--gaps N] [--elements] [--json] [--show PAIR] [--min REF=PCT]... [--self-test]

Standard library only (Python 3.11). Runs `crosswalk run build/maps/hl7v2-to-fhir.cwb --term build/terminology`
ONCE over every input message (copied into one temporary folder), then compares each of our Bundles with the
reference converter's output for the same message.

References (under --expected, default ../shared/data/expected relative to the repo root):
  ms-fhir-converter   hl7v2-to-fhir/pairs.tsv: Microsoft FHIR-Converter's expected Bundles (type batch).
  reportstream        mappinginventory/pairs.tsv: CDC ReportStream's per-field IG test pairs (rows whose
                      test_status is not plain ACTIVE are left out: IGNORED rows fail upstream too, and
                      skipHl7ToFhir rows are FHIR->HL7 inputs, not HL7->FHIR expectations);
                      hl7-to-fhir/NAME.json with the input hl7v2/reportstream/samples/NAME.hl7.
  google-hdh          messages/NAME.hl7.fhir.{input,output}.json: Google HDH. The input is Google's parsed
                      v2 JSON; it is written back as ER7 (segments ordered by the v2 message structures, see
                      SEGMENT_ORDER) before it is run. The output is an array of resources.
  v2-to-fhir-ig       FHIR_bundle.hl7_NAME.xml (FHIR XML) with the input hl7v2/v2-to-fhir-ig/Message.hl7_NAME.hl7.
A pair's files are looked for next to the pairs.tsv / expected file first (tests/fixtures/expected keeps
inputs beside outputs), then relative to the folder above --expected (the shared data layout).
Not measured: google-hdh's segment/datatype pairs (fragments that no message map runs on), the IG's ADT_A01
bundle (no input published), ReportStream's HL7->HL7 and HL7->CSV pairs and IZ Gateway's FHIRPath assertions
(not FHIR outputs).

A FACT is (resource type, element path, value) for every leaf of every resource, so agreement is about content,
not document shape. What is normalised, because it is not a real difference between two correct conversions:
  - array indices are dropped from paths and facts are compared as multisets per pair: array ORDER never
    matters (Patient.name.given = "John" is one fact wherever the name and the given sit);
  - `id`, `fullUrl`, `meta` (lastUpdated, versionId, source, tags: processing metadata each converter
    invents), a resource's `text` Narrative (MS writes a generation timestamp there; CodeableConcept.text and
    other string `text` elements are facts), `Bundle.entry.request`
    (batch/transaction verbs), `Bundle.type` (batch, message, transaction or a bare array is each converter's
    envelope choice) are not facts;
  - ids and uuids never appear as values: a `reference` is replaced by the referenced resource's type and
    its sorted identifier values (`->Organization[1.2.3|NAME]`), resolved inside the same Bundle/array by
    fullUrl, Type/id or urn:uuid:id; an unresolvable reference keeps only its type (`->Patient`). Two
    references to the same type whose targets share an identifier value match (one converter may give the
    target more identifiers than the other, e.g. FHIR-Converter merges insured persons into the Patient). Identifier
    systems are left out of the key so that a different system URI is counted once (on the identifier
    itself), not again on every reference to the resource;
  - an extension is a path step named by its URL's last segment (`extension(us-core-race)`) so that facts
    of different extensions never match each other; ReportStream's own extensions
    (https://reportstream.cdc.gov/fhir/StructureDefinition/...) are dropped: they carry raw v2 fields for
    ReportStream's FHIR->HL7 round trip and are not part of the V2-to-FHIR IG;
  - in a Provenance of the conversion itself (activity v2-FHIR transformation, or UPDATE: the IG's
    MSH[Provenance-Transformation] and PID[Provenance-Patient]), `recorded` is "the time of transformation"
    and the `assembler` agent is whoever runs the converter: they become fixed tokens on both sides, and the
    assembler Organization (ReportStream's 'CDC PRIME - Atlanta') is left out unless something else uses it;
  - values in ReportStream's own namespace (https://reportstream.cdc.gov/..., e.g. its Bundle.identifier
    system) are dropped;
  - `http://example.com/v2-to-fhir-converter/(Identifier|CodeSystem)/NAME` (FHIR-Converter's, and the IG
    samples', invented URI for a system that has only a name) and `urn:id:NAME` (ours) both compare as
    `local:NAME`: each is a made-up URI for the same name;
  - strings are compared with leading/trailing whitespace removed; numbers keep their spelling (1.50 is not
    1.5: FHIR decimals carry precision); booleans are true/false;
  - a dateTime/instant with an offset is compared as the UTC instant (`...T10:25:31-04:00` equals
    `...T14:25:31Z`), fractional seconds that are all zeros are dropped; a value without an offset on one side
    still matches the other side's value when the wall-clock time is the same (a converter may put its own
    machine's zone on a time the message gave without one). Such matches are counted as agreeing and
    reported separately as `zone-only`.
Agreement of a pair = reference facts reproduced / reference facts (recall), facts counted with their
repeats: a reference that writes one Practitioner per reference to it (ReportStream writes the ordering
provider of each OBR again) has each of that person's facts once per copy, and a converter that writes the
person once reproduces one copy. `% distinct` counts each (resource type, path, value) of a pair once on
both sides, so the difference between the two columns is what such copies weigh. `ours` = facts we write, and
`extra` = ours not matched (for information: a reference that is silent on an element is not a judge of it).
A message we reject counts every reference fact as missing (and is listed under `rejected`). The largest gaps
are element paths counted over the messages we convert: MISSING in a pair when we write no fact at that path,
DIFFERENT when we write facts there but not the reference's value. `--self-test` checks the normalisations on
small inline documents before the run.

Exit status: 0, or 1 when a --min ratchet fails or the run cannot be made, 2 on usage errors.
"""
import argparse
import collections
import csv
import datetime
import decimal
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _default_expected():
    # ../shared/data/expected next to the repo; from a worktree the nearest ancestor's one
    d = ROOT
    while True:
        cand = os.path.join(os.path.dirname(d), 'shared', 'data', 'expected')
        if os.path.isdir(cand) or os.path.dirname(d) == d:
            return cand if os.path.isdir(cand) else os.path.join(os.path.dirname(ROOT), 'shared', 'data', 'expected')
        d = os.path.dirname(d)


DEFAULT_EXPECTED = _default_expected()
RS_NAMESPACE = 'https://reportstream.cdc.gov/'
RS_EXTENSION = RS_NAMESPACE + 'fhir/StructureDefinition/'
SKIP_KEYS = {'id', 'meta', 'fullUrl', 'request', 'resourceType', 'response', 'search'}
SHORT = {'ms-fhir-converter': 'ms', 'reportstream': 'rs', 'google-hdh': 'hdh', 'v2-to-fhir-ig': 'ig'}
CONVERTERS = ('ms-fhir-converter', 'reportstream', 'google-hdh', 'v2-to-fhir-ig')


class Pair:
    def __init__(self, reference, subset, name, input_path=None, input_text=None, expected_path=None):
        self.reference, self.subset, self.name = reference, subset, name
        self.input_path, self.input_text, self.expected_path = input_path, input_text, expected_path
        self.msg_type = '?'
        self.result = None


# ---------------------------------------------------------------------------------------------- discovery
def _resolve(expected_dir, rel, near):
    """A pair's file: next to the listing (the test fixture keeps inputs beside outputs), else relative to the
    data root (the folder above expected/), else relative to expected/ itself."""
    for p in (os.path.join(near, rel), os.path.join(near, os.path.basename(rel)),
              os.path.join(os.path.dirname(expected_dir), rel), os.path.join(expected_dir, rel)):
        if os.path.exists(p):
            return p
    return None


def _read_pairs_tsv(path):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f, delimiter='\t'))


def discover(expected_dir):
    pairs, skipped = [], collections.Counter()
    # Microsoft FHIR-Converter
    d = os.path.join(expected_dir, 'ms-fhir-converter', 'hl7v2-to-fhir')
    tsv = os.path.join(d, 'pairs.tsv')
    if os.path.exists(tsv):
        for row in _read_pairs_tsv(tsv):
            inp = _resolve(expected_dir, row['input'], d)
            exp = _resolve(expected_dir, row['expected'], d)
            if not inp or not exp:
                skipped['ms-fhir-converter: file not found'] += 1
                continue
            pairs.append(Pair('ms-fhir-converter', 'hl7v2-to-fhir', os.path.basename(exp)[:-5], inp, None, exp))
    # CDC ReportStream: the mapping inventory
    d = os.path.join(expected_dir, 'reportstream', 'mappinginventory')
    tsv = os.path.join(d, 'pairs.tsv')
    if os.path.exists(tsv):
        for row in _read_pairs_tsv(tsv):
            if row.get('test_status', 'ACTIVE').strip() != 'ACTIVE':
                skipped['reportstream: test_status ' + row['test_status'].split(' ')[0] +
                        (' (skipHl7ToFhir)' if 'skipHl7ToFhir' in row['test_status'] else '')] += 1
                continue
            inp = _resolve(expected_dir, row['input'], d)
            exp = _resolve(expected_dir, row['expected'], d)
            if not inp or not exp:
                skipped['reportstream: file not found'] += 1
                continue
            name = os.path.relpath(exp, d)[:-5].replace('catchall/', '')
            pairs.append(Pair('reportstream', 'mappinginventory', name, inp, None, exp))
    # CDC ReportStream: whole-message HL7 -> FHIR samples
    d = os.path.join(expected_dir, 'reportstream', 'hl7-to-fhir')
    if os.path.isdir(d):
        for fn in sorted(os.listdir(d)):
            if not fn.endswith('.json'):
                continue
            stem = fn[:-5]
            inp = _resolve(expected_dir, os.path.join('hl7v2', 'reportstream', 'samples', stem + '.hl7'), d)
            if not inp:
                skipped['reportstream: hl7-to-fhir input not found'] += 1
                continue
            pairs.append(Pair('reportstream', 'hl7-to-fhir', stem, inp, None, os.path.join(d, fn)))
    # Google HDH: messages only
    d = os.path.join(expected_dir, 'google-hdh', 'messages')
    if os.path.isdir(d):
        for fn in sorted(os.listdir(d)):
            if not fn.endswith('.fhir.input.json'):
                continue
            stem = fn[:-len('.fhir.input.json')]
            out = os.path.join(d, stem + '.fhir.output.json')
            if not os.path.exists(out):
                skipped['google-hdh: no output'] += 1
                continue
            with open(os.path.join(d, fn), encoding='utf-8') as f:
                er7 = hdh_to_er7(json.load(f))
            pairs.append(Pair('google-hdh', 'messages', stem.replace('.hl7', ''), None, er7, out))
    for extra in ('segments-pairs.ndjson', 'datatypes-pairs.ndjson'):
        p = os.path.join(expected_dir, 'google-hdh', extra)
        if os.path.exists(p):
            with open(p, encoding='utf-8') as f:
                skipped['google-hdh: ' + extra + ' (fragments, no message map)'] += sum(1 for _ in f)
    # The V2-to-FHIR IG's sample bundles
    d = os.path.join(expected_dir, 'v2-to-fhir-ig')
    if os.path.isdir(d):
        for fn in sorted(os.listdir(d)):
            m = re.match(r'FHIR_bundle\.(hl7_[A-Za-z0-9_]+)\.(xml|json)$', fn)
            if not m:
                if fn.startswith('FHIR_bundle.'):
                    skipped['v2-to-fhir-ig: ' + fn + ' (no input)'] += 1
                continue
            inp = _resolve(expected_dir, os.path.join('hl7v2', 'v2-to-fhir-ig', 'Message.' + m.group(1) + '.hl7'), d)
            if not inp:
                skipped['v2-to-fhir-ig: ' + fn + ' (no input)'] += 1
                continue
            pairs.append(Pair('v2-to-fhir-ig', 'samples', m.group(1), inp, None, os.path.join(d, fn)))
    return pairs, skipped


# ------------------------------------------------------------------------------------ Google HDH -> ER7
# Google's parsed v2 JSON keeps segments and groups in a dict (keys sorted), so the order of the ER7 we write
# comes from the v2 message structures: a segment or group earlier in this list comes first within its group.
SEGMENT_ORDER = [
    'MSH', 'SFT', 'UAC', 'MSA', 'ERR', 'EVN', 'SCH', 'TQ1', 'PATIENT_RESULT', 'PATIENT', 'PID', 'PD1', 'MRG',
    'ARV', 'COMMON_ORDER', 'ORC', 'TIMING', 'TIMING_QTY', 'CHOICE', 'OBR', 'RXO', 'RXE', 'RXA', 'RXR', 'RXC',
    'OBX', 'NTE', 'NK1', 'VISIT', 'PATIENT_VISIT', 'PV1', 'PV2', 'ROL', 'DB1', 'OBX_ADT', 'AL1', 'ORDER_DETAIL',
    'DG1', 'DRG', 'PROCEDURE', 'PR1', 'GT1', 'INSURANCE', 'IN1', 'IN2', 'IN3', 'ACC', 'UB1', 'UB2', 'PDA',
    'ORDER', 'ORDER_OBSERVATION', 'OBSERVATION', 'SPECIMEN', 'SPM', 'FT1', 'CTI', 'BLG', 'RESOURCES', 'RGS',
    'SERVICE', 'AIS', 'GENERAL_RESOURCE', 'AIG', 'LOCATION_RESOURCE', 'AIL', 'PERSONNEL_RESOURCE', 'AIP']
_RANK = {k: i for i, k in enumerate(SEGMENT_ORDER)}


def _hdh_rank(key, keys):
    if key == 'OBX' and 'PV1' in keys:   # ADT: the patient's OBX follow PV1/PV2/DB1, not a result's OBR
        key = 'OBX_ADT'
    return (_RANK.get(key, len(_RANK)), key)


def _er7_escape(s):
    return (s.replace('\\', '\\E\\').replace('|', '\\F\\').replace('^', '\\S\\').replace('~', '\\R\\')
            .replace('&', '\\T\\'))


def _er7_join(node, seps):
    if node is None:
        return ''
    if isinstance(node, bool):
        return 'Y' if node else 'N'
    if isinstance(node, (int, float, str)):
        return _er7_escape(str(node))
    if isinstance(node, list):
        return '~'.join(_er7_join(x, seps) for x in node)
    if isinstance(node, dict):
        sep = seps[0] if seps else '&'
        n = max([int(k) for k in node if k.isdigit()] or [0])
        parts = [_er7_join(node.get(str(i)), seps[1:]) for i in range(1, n + 1)]
        return sep.join(parts).rstrip(sep)
    return ''


def _er7_segment(seg):
    name = seg['0']
    n = max(int(k) for k in seg if k.isdigit())
    if name == 'MSH':
        fields = ['MSH', '^~\\&'] + [_er7_field(seg.get(str(i))) for i in range(3, n + 1)]
        return '|'.join(fields).rstrip('|')
    return '|'.join([name] + [_er7_field(seg.get(str(i))) for i in range(1, n + 1)]).rstrip('|')


def _er7_field(node):
    if isinstance(node, list):
        return '~'.join(_er7_join(x, '^&') for x in node)
    return _er7_join(node, '^&')


def _hdh_walk(node, out):
    if node is None:
        return
    if isinstance(node, list):
        for x in node:
            _hdh_walk(x, out)
        return
    if '0' in node and isinstance(node['0'], str) and len(node['0']) == 3:
        out.append(_er7_segment(node))
        return
    keys = [k for k in node if node[k] is not None]
    for k in sorted(keys, key=lambda k: _hdh_rank(k, keys)):
        _hdh_walk(node[k], out)


def hdh_to_er7(doc):
    segs = []
    _hdh_walk(doc, segs)
    return '\r'.join(segs) + '\r'


# ------------------------------------------------------------------------------------------ loading sides
def _fhir_xml_to_json(el):
    """FHIR XML -> a JSON-like tree: every child element becomes a list item (indices are dropped anyway); a
    primitive with extensions becomes `name` + `_name` as in FHIR JSON; the XHTML narrative is left out."""
    tag = el.tag.split('}')[-1]
    if tag == 'div':
        return None
    if 'value' in el.attrib and not list(el):
        return el.attrib['value']
    node = {}
    if 'url' in el.attrib:
        node['url'] = el.attrib['url']
    for child in el:
        ctag = child.tag.split('}')[-1]
        v = _fhir_xml_to_json(child)
        if v is None:
            continue
        if ctag in ('resource', 'contained') and isinstance(v, dict) and len(v) == 1:
            (rtype, body), = v.items()
            body = body[0] if isinstance(body, list) else body
            body['resourceType'] = rtype
            v = body
        if isinstance(v, dict) and 'value' in child.attrib:
            node.setdefault(ctag, []).append(child.attrib['value'])
            node.setdefault('_' + ctag, []).append(v)
            continue
        node.setdefault(ctag, []).append(v)
    # scalar keys that FHIR JSON keeps as single values
    for k in ('resourceType', 'reference', 'url'):
        if isinstance(node.get(k), list):
            node[k] = node[k][0]
    return node


def load_reference(pair):
    path = pair.expected_path
    if path.endswith('.xml'):
        root = ET.parse(path).getroot()
        body = _fhir_xml_to_json(root)
        body['resourceType'] = root.tag.split('}')[-1]
        return body
    with open(path, encoding='utf-8-sig') as f:
        return json.load(f, parse_float=decimal.Decimal, parse_int=decimal.Decimal)


def resources_of(doc):
    """(bundle-level dict or None, [resources]) of a Bundle, an array of resources or one resource."""
    if isinstance(doc, list):
        return None, [r for r in doc if isinstance(r, dict)]
    if isinstance(doc, dict) and doc.get('resourceType') == 'Bundle':
        res = []
        for e in doc.get('entry', []) or []:
            r = e.get('resource')
            if isinstance(r, list):
                r = r[0] if r else None
            if isinstance(r, dict):
                res.append((e.get('fullUrl'), r))
        return doc, res
    return None, [doc] if isinstance(doc, dict) else []


# ---------------------------------------------------------------------------------------------- facts
_LOCAL_URI = re.compile(r'^(?:http://example\.com/v2-to-fhir-converter/(?:Identifier|CodeSystem)/|urn:id:)(.+)$')
_DT = re.compile(r'^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$')


def norm_value(v):
    """(exact key, wall-clock key or None) for a leaf value."""
    if isinstance(v, bool):
        return ('true' if v else 'false'), None
    if isinstance(v, decimal.Decimal):
        return str(v), None
    if isinstance(v, (int, float)):
        return repr(v), None
    s = str(v).strip()
    m = _LOCAL_URI.match(s)
    if m:
        return 'local:' + urllib.parse.unquote(m.group(1)).replace(' ', '-'), None
    m = _DT.match(s)
    if not m:
        return s, None
    date, hh, mi, ss, frac, zone = m.groups()
    ss = ss or '00'
    if frac and set(frac[1:]) == {'0'}:
        frac = None
    frac = frac.rstrip('0') if frac else ''
    wall = '%sT%s:%s:%s%s' % (date, hh, mi, ss, frac)
    if not zone:
        return wall, wall
    sign = 0 if zone == 'Z' else (1 if zone[0] == '+' else -1)
    off = datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])) if sign else datetime.timedelta(0)
    try:
        t = datetime.datetime.fromisoformat('%sT%s:%s:%s' % (date, hh, mi, ss)) - sign * off
    except ValueError:
        return s, None
    return t.strftime('%Y-%m-%dT%H:%M:%S') + frac + 'Z', wall


def _one(v):
    return (v[0] if v else None) if isinstance(v, list) else v


class RefIndex:
    def __init__(self, bundle_resources):
        self.by_key = {}
        for full_url, r in bundle_resources:
            rt, rid, full_url = r.get('resourceType'), _one(r.get('id')), _one(full_url)
            if full_url:
                self.by_key[str(full_url)] = r
            if rid:
                self.by_key['%s/%s' % (rt, rid)] = r
                self.by_key['urn:uuid:%s' % rid] = r

    def key(self, ref):
        ref = str(ref)
        target = self.by_key.get(ref)
        if target is None and '/' in ref and not ref.startswith('urn:'):
            parts = ref.split('/')   # absolute URLs: keep Type/id
            target = self.by_key.get('/'.join(parts[-2:]))
        if target is None:
            m = re.match(r'(?:.*/)?([A-Z][A-Za-z]+)/[^/]+$', ref)
            return '->' + (m.group(1) if m else '?')
        idents = []
        for ident in target.get('identifier', []) or []:
            if isinstance(ident, dict) and _one(ident.get('value')) is not None:
                idents.append(norm_value(_one(ident['value']))[0])
        return '->%s[%s]' % (target.get('resourceType'), '|'.join(sorted(idents)))


def _ext_name(url):
    url = str(url or '')
    return url.rstrip('/').rsplit('/', 1)[-1] if '/' in url else url


def _join(path, step):
    return path + '.' + step if path else step


def walk(node, path, rt, refs, out):
    if isinstance(node, list):
        for x in node:
            walk(x, path, rt, refs, out)
        return
    if isinstance(node, dict):
        for k, v in node.items():
            if k in SKIP_KEYS or v is None:
                continue
            if k == 'text' and (isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict))):
                continue   # a Narrative (CodeableConcept.text, Annotation.text are strings and stay)
            if k == 'reference' and isinstance(v, str):
                out.append((rt, _join(path, 'reference'), refs.key(v), None))
                continue
            if k in ('extension', 'modifierExtension'):
                for ext in (v if isinstance(v, list) else [v]):
                    if not isinstance(ext, dict):
                        continue
                    url = ext.get('url')
                    if str(url or '').startswith(RS_EXTENSION):
                        continue
                    body = {kk: vv for kk, vv in ext.items() if kk != 'url'}
                    walk(body, _join(path, '%s(%s)' % (k, _ext_name(url))), rt, refs, out)
                continue
            if k == 'contained':
                for c in (v if isinstance(v, list) else [v]):
                    if isinstance(c, dict):
                        walk(c, _join(path, 'contained(%s)' % c.get('resourceType')), rt, refs, out)
                continue
            walk(v, _join(path, k), rt, refs, out)
        return
    exact, wall = norm_value(node)
    if exact == '' or exact.startswith(RS_NAMESPACE):
        return
    out.append((rt, path, exact, wall))


RUN_NOW = '2024-01-01T00:00:00Z'   # the fixed time of transformation of every measured run
TRANSFORMATION_ACTIVITIES = {'v2-FHIR transformation', 'v2-fhir-transformation', 'UPDATE'}


def _transformation(r):
    """A Provenance of the conversion itself (IG: MSH[Provenance-Transformation], PID[Provenance-Patient])."""
    if r.get('resourceType') != 'Provenance':
        return False
    act = _one(r.get('activity')) or {}
    return any(isinstance(c, dict) and _one(c.get('code')) in TRANSFORMATION_ACTIVITIES
               for c in (act.get('coding') or []))


def _normalise_transformations(res, refs):
    """In a Provenance of the conversion itself, `recorded` is the run's clock and the `assembler` agent is
    whoever runs the converter (ReportStream names 'CDC PRIME - Atlanta'): both become fixed tokens, and the
    assembler Organization is left out when nothing else refers to it. Applied to both sides alike."""
    assemblers, out = set(), []
    for u, r in res:
        if not _transformation(r):
            out.append((u, r))
            continue
        r = dict(r)
        if 'recorded' in r:
            r['recorded'] = '(time of transformation)'
        agents = []
        for agent in (r.get('agent') or []):
            codes = {_one(c.get('code')) for t in ([agent.get('type')] if isinstance(agent, dict) else [])
                     for tt in (t if isinstance(t, list) else [t]) if isinstance(tt, dict)
                     for c in (tt.get('coding') or []) if isinstance(c, dict)}
            if 'assembler' in codes:
                who = (_one(agent.get('who')) or {}).get('reference')
                t = refs.by_key.get(str(_one(who))) if who else None
                if t is not None:
                    assemblers.add(id(t))
                agent = dict(agent, who={'display': '(the converter)'})
            agents.append(agent)
        if agents:
            r['agent'] = agents
        out.append((u, r))
    if not assemblers:
        return out
    used = set()

    def scan(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == 'reference':
                    t = refs.by_key.get(str(_one(v)))
                    if t is not None:
                        used.add(id(t))
                else:
                    scan(v)
        elif isinstance(node, list):
            for x in node:
                scan(x)
    for _, r in out:
        scan(r)
    return [(u, r) for u, r in out if id(r) not in assemblers or id(r) in used]


def facts_of(doc):
    bundle, res = resources_of(doc)
    if bundle is None:
        res = [(None, r) for r in res]
    refs = RefIndex(res)
    res = _normalise_transformations(res, refs)
    out = []
    if bundle is not None:
        top = {k: v for k, v in bundle.items() if k in ('identifier', 'timestamp', 'signature')}
        walk(top, '', 'Bundle', refs, out)
    for _, r in res:
        rt = r.get('resourceType', '?')
        walk(r, '', rt, refs, out)
    return out


def _ref_target(value):
    """'->Patient[A|B]' -> ('Patient', {'A', 'B'}); None for a value that is no resolved reference."""
    m = re.match(r'->([A-Za-z]+)\[(.*)\]$', value) if isinstance(value, str) else None
    return (m.group(1), set(filter(None, m.group(2).split('|')))) if m else None


def compare(ref_facts, our_facts):
    """Per (rt, path): [reference facts, reproduced, reproduced zone-only]; the unmatched reference facts; the
    number of our facts left unmatched."""
    ours = collections.Counter((rt, p, v) for rt, p, v, _ in our_facts)
    by_wall = collections.defaultdict(list)
    for rt, p, v, w in our_facts:
        if w:
            by_wall[(rt, p, w)].append(v)
    stats = collections.defaultdict(lambda: [0, 0, 0])
    unmatched = []
    for rt, p, v, w in ref_facts:
        stats[(rt, p)][0] += 1
        if ours[(rt, p, v)] > 0:
            ours[(rt, p, v)] -= 1
            stats[(rt, p)][1] += 1
        else:
            unmatched.append((rt, p, v, w))
    still = []
    for rt, p, v, w in unmatched:
        # zone-only: the same wall-clock time, and one of the two sides has no offset
        hit = next((c for c in by_wall.get((rt, p, w), []) if ours[(rt, p, c)] > 0 and (v == w or c == w)),
                   None) if w else None
        if hit is None:
            still.append((rt, p, v))
            continue
        ours[(rt, p, hit)] -= 1
        stats[(rt, p)][1] += 1
        stats[(rt, p)][2] += 1
    # a reference to the same kind of resource sharing an identifier points at the same thing, even when one
    # converter gives that resource more identifiers than the other (FHIR-Converter merges IN1/GT1 persons'
    # identifiers into the Patient)
    by_target = collections.defaultdict(list)
    for (rt, p, c), n in ours.items():
        target = _ref_target(c)
        if n > 0 and target and target[1]:
            by_target[(rt, p, target[0])].append((c, target[1]))
    unmatched, still = still, []
    for rt, p, v in unmatched:
        target = _ref_target(v)
        hit = next((c for c, ids in by_target.get((rt, p, target[0]), []) if ours[(rt, p, c)] > 0 and
                    ids & target[1]), None) if target and target[1] else None
        if hit is None:
            still.append((rt, p, v))
            continue
        ours[(rt, p, hit)] -= 1
        stats[(rt, p)][1] += 1
    extras = [k for k, n in ours.items() for _ in range(max(n, 0))]
    return stats, still, extras


# ---------------------------------------------------------------------------------------------- running
def message_type(text):
    for line in re.split(r'\r\n|\r|\n', text.lstrip('\ufeff')):
        if line.startswith('MSH') and len(line) > 8:
            fs = line[3]
            fields = line.split(fs)
            if len(fields) > 8:
                comps = fields[8].split(line[4] if len(line) > 4 else '^')
                return '^'.join(c for c in comps[:2] if c) or '?'
    return '?'


def run_crosswalk(build, pairs, jobs):
    cw = os.path.join(build, 'tools', 'crosswalk')
    cwb = os.path.join(build, 'maps', 'hl7v2-to-fhir.cwb')
    term = os.path.join(build, 'terminology')
    for p in (cw, cwb, term):
        if not os.path.exists(p):
            sys.exit('fidelity: %s is missing (build first: bash tools/scripts/build.sh)' % p)
    tmp = tempfile.mkdtemp(prefix='cw-fidelity-')
    try:
        src, out = os.path.join(tmp, 'in'), os.path.join(tmp, 'out')
        os.makedirs(src)
        os.makedirs(out)
        for i, pair in enumerate(pairs):
            dst = os.path.join(src, 'p%05d.hl7' % i)
            if pair.input_text is not None:
                with open(dst, 'w', encoding='utf-8', newline='') as f:
                    f.write(pair.input_text)
            else:
                shutil.copyfile(pair.input_path, dst)
            with open(dst, 'rb') as f:
                pair.msg_type = message_type(f.read().decode('utf-8', 'replace'))
        # --now: the run's time, as `crosswalk serve` gives every message (the time it was received); the maps
        # write the IG's transformation Provenances only with it, and their `recorded` compares as a token.
        proc = subprocess.run([cw, 'run', cwb, '--term', term, '--in', src, '--out-dir', out, '-j', str(jobs),
                               '--now', RUN_NOW, '--quiet'], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode not in (0, 3):
            sys.exit('fidelity: crosswalk run exited %d: %s' % (proc.returncode, proc.stderr.strip()[-500:]))
        reasons = {}
        for line in proc.stderr.splitlines():
            m = re.match(r'.*?(p\d{5})\.hl7(?:#\d+)?: rejected: (.*)$', line)
            if m:
                reasons.setdefault(int(m.group(1)[1:]), m.group(2))
        outputs = collections.defaultdict(list)
        for fn in sorted(os.listdir(out)):
            m = re.match(r'p(\d{5})\.hl7(?:#\d+)?\.json$', fn)  # REL.json, REL#N.json (docs/cli.md)
            if m:
                with open(os.path.join(out, fn), encoding='utf-8') as f:
                    outputs[int(m.group(1))].append(json.load(f, parse_float=decimal.Decimal,
                                                              parse_int=decimal.Decimal))
        return outputs, reasons
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- self-test
def self_test():
    """Checks the normalisations on small inline documents; returns the list of failures."""
    fails = []

    def check(what, got, want):
        if got != want:
            fails.append('%s: got %r, want %r' % (what, got, want))
    D = decimal.Decimal
    check('offset -> UTC', norm_value('2023-05-01T10:25:31-04:00'), ('2023-05-01T14:25:31Z', '2023-05-01T10:25:31'))
    check('zero fraction', norm_value('2023-05-01T10:25:31.000Z')[0], '2023-05-01T10:25:31Z')
    check('fraction kept', norm_value('2023-05-01T10:25:31.120+00:00')[0], '2023-05-01T10:25:31.12Z')
    check('date untouched', norm_value('1994-12-01'), ('1994-12-01', None))
    check('decimal spelling', norm_value(D('1.50')), ('1.50', None))
    check('MS local system', norm_value('http://example.com/v2-to-fhir-converter/Identifier/GOOD HOSP')[0],
          'local:GOOD-HOSP')
    check('our local system', norm_value('urn:id:GOOD HOSP')[0], 'local:GOOD-HOSP')
    check('percent-encoded local system', norm_value('urn:id:GOOD%20HOSP')[0], 'local:GOOD-HOSP')
    bundle = {'resourceType': 'Bundle', 'id': 'x', 'type': 'batch', 'identifier': {'value': 'M1'},
              'meta': {'lastUpdated': '2024-01-01T00:00:00Z'},
              'entry': [
                  {'fullUrl': 'urn:uuid:p1', 'resource': {
                      'resourceType': 'Patient', 'id': 'p1', 'text': {'div': '<div/>'},
                      'identifier': [{'system': 'urn:oid:1.2', 'value': 'MRN1'}],
                      'extension': [{'url': RS_EXTENSION + 'hl7v2Field', 'valueString': 'PID.3'},
                                    {'url': 'http://hl7.org/fhir/StructureDefinition/patient-religion',
                                     'valueCodeableConcept': {'text': 'x'}}],
                      'name': [{'given': ['A', 'B']}]}},
                  {'fullUrl': 'Encounter/e1', 'resource': {
                      'resourceType': 'Encounter', 'id': 'e1', 'subject': {'reference': 'urn:uuid:p1'},
                      'period': {'start': '2020-01-01T10:00:00+01:00'}}},
                  {'resource': {'resourceType': 'Provenance', 'recorded': '2024-03-19T15:20:45Z',
                                'activity': {'coding': [{'code': 'v2-FHIR transformation'}]},
                                'agent': [{'type': {'coding': [{'code': 'assembler'}]},
                                           'who': {'reference': 'Organization/o1'}}]}},
                  {'fullUrl': 'Organization/o1', 'resource': {'resourceType': 'Organization', 'id': 'o1',
                                                              'name': 'The converter'}}]}
    got = sorted((rt, p, v) for rt, p, v, _ in facts_of(bundle))
    check('facts', got, sorted([
        ('Bundle', 'identifier.value', 'M1'),
        ('Patient', 'identifier.system', 'urn:oid:1.2'), ('Patient', 'identifier.value', 'MRN1'),
        ('Patient', 'extension(patient-religion).valueCodeableConcept.text', 'x'),
        ('Patient', 'name.given', 'A'), ('Patient', 'name.given', 'B'),
        ('Encounter', 'subject.reference', '->Patient[MRN1]'),
        ('Encounter', 'period.start', '2020-01-01T09:00:00Z'),
        ('Provenance', 'recorded', '(time of transformation)'),
        ('Provenance', 'activity.coding.code', 'v2-FHIR transformation'),
        ('Provenance', 'agent.type.coding.code', 'assembler'),
        ('Provenance', 'agent.who.display', '(the converter)')]))
    ref = [('Patient', 'name.given', 'A', None), ('Patient', 'name.given', 'A', None),
           ('Encounter', 'period.start', '2020-01-01T04:30:00Z', '2020-01-01T10:00:00'),
           ('Patient', 'gender', 'female', None)]
    ours = [('Patient', 'name.given', 'A', None), ('Encounter', 'period.start', '2020-01-01T10:00:00',
                                                  '2020-01-01T10:00:00'), ('Patient', 'gender', 'male', None)]
    stats, unmatched, extras = compare(ref, ours)
    check('multiset + zone-only', (stats[('Patient', 'name.given')], stats[('Encounter', 'period.start')]),
          ([2, 1, 0], [1, 1, 1]))
    check('unmatched', sorted(unmatched), [('Patient', 'gender', 'female'), ('Patient', 'name.given', 'A')])
    check('extras', extras, [('Patient', 'gender', 'male')])
    dstats, _, _ = compare(distinct_facts(ref), distinct_facts(ours))
    check('distinct', dstats[('Patient', 'name.given')], [1, 1, 0])
    er7 = hdh_to_er7({'ORU_R01': {'PATIENT_RESULT': [{'ORDER_OBSERVATION': [{'OBR': {'0': 'OBR', '1': '1'},
                      'OBSERVATION': [{'NTE': [{'0': 'NTE', '3': ['a|b']}], 'OBX': {'0': 'OBX', '3': {'1': 'C',
                      '3': 'LN'}, '5': ['x^y']}}]}], 'PATIENT': {'PID': {'0': 'PID', '5': [{'1': {'1': 'Doe'},
                      '2': 'J'}]}}}], 'MSH': {'0': 'MSH', '1': '|', '2': '^~\\&', '9': {'1': 'ORU', '2': 'R01'}}}})
    check('HDH -> ER7', er7.split('\r'), ['MSH|^~\\&|||||||ORU^R01', 'PID|||||Doe^J', 'OBR|1',
                                         'OBX|||C^^LN||x\\S\\y', 'NTE|||a\\F\\b', ''])
    xml = ET.fromstring('<Bundle xmlns="http://hl7.org/fhir"><entry><fullUrl value="urn:uuid:a"/><resource>'
                        '<Patient><id value="a"/><text><div xmlns="http://www.w3.org/1999/xhtml">x</div></text>'
                        '<birthDate value="2000-01-02"><extension url="http://x/patient-birthTime">'
                        '<valueDateTime value="2000-01-02T03:04:05Z"/></extension></birthDate>'
                        '<name><given value="A"/></name></Patient></resource></entry></Bundle>')
    doc = _fhir_xml_to_json(xml)
    doc['resourceType'] = 'Bundle'
    check('FHIR XML', sorted((rt, p, v) for rt, p, v, _ in facts_of(doc)), [
        ('Patient', '_birthDate.extension(patient-birthTime).valueDateTime', '2000-01-02T03:04:05Z'),
        ('Patient', 'birthDate', '2000-01-02'), ('Patient', 'name.given', 'A')])
    check('message type', message_type('MSH|^~\\&|A||||x||ADT^A01^ADT_A01|1|P|2.5\r'), 'ADT^A01')
    return fails


# ---------------------------------------------------------------------------------------------- report
def pct(a, b):
    return round(100.0 * a / b, 1) if b else 0.0


def distinct_facts(facts):
    """Each (resource type, path, value) once: a converter that writes the same resource several times (one
    copy per reference) and one that writes it once then state the same distinct facts."""
    seen, out = set(), []
    for f in facts:
        if f[:3] not in seen:
            seen.add(f[:3])
            out.append(f)
    return out


class Tally:
    __slots__ = ('pairs', 'converted', 'ref', 'conv_ref', 'matched', 'zone', 'ours', 'extra', 'dref', 'dmatched')

    def __init__(self):
        self.pairs = self.converted = self.ref = self.conv_ref = self.matched = self.zone = self.ours = 0
        self.extra = self.dref = self.dmatched = 0

    def add(self, r):
        self.pairs += 1
        self.converted += 1 if r['converted'] else 0
        self.conv_ref += r['ref'] if r['converted'] else 0
        self.ref += r['ref']
        self.matched += r['matched']
        self.zone += r['zone_only']
        self.ours += r['ours']
        self.extra += r['extra']
        self.dref += r['distinct_ref']
        self.dmatched += r['distinct_matched']

    def row(self):
        return {'pairs': self.pairs, 'converted': self.converted, 'reference_facts': self.ref,
                'reproduced': self.matched, 'agreement_pct': pct(self.matched, self.ref),
                'converted_agreement_pct': pct(self.matched, self.conv_ref),
                'zone_only': self.zone, 'our_facts': self.ours, 'extra': self.extra,
                'distinct_reference_facts': self.dref, 'distinct_reproduced': self.dmatched,
                'distinct_agreement_pct': pct(self.dmatched, self.dref)}


def evaluate(pairs):
    for pair in pairs:
        ref_facts = facts_of(pair.reference_doc)
        our_facts = []
        for doc in pair.outputs:
            our_facts.extend(facts_of(doc))
        our_paths = {(rt, p) for rt, p, _, _ in our_facts}
        stats, pair.unmatched, pair.extras = compare(ref_facts, our_facts)
        distinct_ref = distinct_facts(ref_facts)
        dstats, _, _ = compare(distinct_ref, distinct_facts(our_facts))
        pair.result = {'converted': bool(pair.outputs), 'ref': len(ref_facts), 'ours': len(our_facts),
                       'extra': len(pair.extras), 'matched': sum(s[1] for s in stats.values()),
                       'zone_only': sum(s[2] for s in stats.values()),
                       'distinct_ref': len(distinct_ref), 'distinct_matched': sum(s[1] for s in dstats.values())}
        pair.elements = {key: (n, m, key in our_paths) for key, (n, m, _) in stats.items()}


def build_report(pairs, skipped, gaps_n):
    conv, subset, mtype, rtype, folder = (collections.defaultdict(Tally) for _ in range(5))
    total = Tally()
    elem = collections.defaultdict(lambda: {'ref': 0, 'matched': 0})
    gap = collections.defaultdict(lambda: {'ref': 0, 'matched': 0, 'missing': 0, 'different': 0,
                                           'pairs': collections.Counter(), 'refs': collections.Counter()})
    for pair in pairs:
        r = pair.result
        total.add(r)
        conv[pair.reference].add(r)
        subset['%s/%s' % (pair.reference, pair.subset)].add(r)
        mtype[(pair.reference, pair.msg_type)].add(r)
        if pair.subset == 'mappinginventory':   # ReportStream's folders are the IG's datatypes and segments
            folder[pair.name.split('/')[0]].add(r)
        for (rt, path), (n, m, present) in pair.elements.items():
            t = rtype[(pair.reference, rt)]
            t.ref += n
            t.matched += m
            e = elem[(rt, path)]
            e['ref'] += n
            e['matched'] += m
            if not pair.outputs:
                continue   # a rejected message is listed under 'rejected', not as element gaps
            g = gap[(rt, path)]
            g['ref'] += n
            g['matched'] += m
            if n > m:
                g['different' if present else 'missing'] += n - m
                g['pairs'][pair.name] += n - m
                g['refs'][pair.reference] += n - m
    rejected = collections.Counter()
    for pair in pairs:
        if not pair.outputs:
            rejected[(pair.reference, pair.msg_type, pair.reason or 'no output')] += 1
    gaps = sorted(((k, v) for k, v in gap.items() if v['ref'] > v['matched']),
                  key=lambda kv: (-(kv[1]['ref'] - kv[1]['matched']), kv[0]))
    return {
        'total': total.row(),
        'converters': {k: conv[k].row() for k in sorted(conv)},
        'subsets': {k: subset[k].row() for k in sorted(subset)},
        'message_types': [dict(reference=k[0], type=k[1], **mtype[k].row()) for k in sorted(mtype)],
        'reportstream_folders': {k: folder[k].row() for k in sorted(folder)},
        'resource_types': [dict(reference=k[0], resource=k[1], reference_facts=v.ref, reproduced=v.matched,
                                agreement_pct=pct(v.matched, v.ref)) for k, v in sorted(rtype.items())],
        'elements': [dict(element='%s.%s' % k, reference_facts=v['ref'], reproduced=v['matched'],
                          agreement_pct=pct(v['matched'], v['ref'])) for k, v in sorted(elem.items())],
        'gaps': [dict(element='%s.%s' % k, unmatched=v['ref'] - v['matched'], missing=v['missing'],
                      different=v['different'], reference_facts=v['ref'], pairs=len(v['pairs']),
                      references=dict(sorted(v['refs'].items())), example=min(v['pairs'].items(), key=lambda kv: (-kv[1], kv[0]))[0])
                 for k, v in gaps[:gaps_n]],
        'rejected': [dict(reference=k[0], type=k[1], reason=k[2], count=n) for k, n in sorted(rejected.items())],
        'pairs': [dict(reference=p.reference, subset=p.subset, name=p.name, type=p.msg_type, **p.result)
                  for p in pairs],
        'not_measured': dict(sorted(skipped.items())),
    }


def table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    lines = ['  '.join(str(h).ljust(w) for h, w in zip(headers, widths))]
    lines.append('  '.join('-' * w for w in widths))
    for r in rows:
        lines.append('  '.join(str(c).rjust(w) if isinstance(c, (int, float)) else str(c).ljust(w)
                               for c, w in zip(r, widths)))
    return '\n'.join(lines)


def print_text(rep, show_elements):
    H = ['pairs', 'converted', 'ref facts', 'reproduced', '%', '% conv', 'zone-only', 'our facts', 'extra',
         '% distinct']

    def cols(r):
        return [r['pairs'], r['converted'], r['reference_facts'], r['reproduced'], r['agreement_pct'],
                r['converted_agreement_pct'],
                r['zone_only'], r['our_facts'], r['extra'], r['distinct_agreement_pct']]
    print('== per converter')
    rows = [[k] + cols(v) for k, v in rep['converters'].items()] + [['TOTAL'] + cols(rep['total'])]
    print(table(['converter'] + H, rows))
    print('\n== per reference set')
    print(table(['set'] + H, [[k] + cols(v) for k, v in rep['subsets'].items()]))
    print('\n== per message type')
    print(table(['converter', 'type'] + H, [[r['reference'], r['type']] + cols(r) for r in rep['message_types']]))
    if rep['reportstream_folders']:
        print('\n== per ReportStream mapping-inventory folder (an IG datatype or segment each)')
        print(table(['folder'] + H, [[k] + cols(v) for k, v in rep['reportstream_folders'].items()]))
    print('\n== per resource type')
    print(table(['converter', 'resource', 'ref facts', 'reproduced', '%'],
                [[r['reference'], r['resource'], r['reference_facts'], r['reproduced'], r['agreement_pct']]
                 for r in rep['resource_types']]))
    if show_elements:
        print('\n== per element')
        print(table(['element', 'ref facts', 'reproduced', '%'],
                    [[r['element'], r['reference_facts'], r['reproduced'], r['agreement_pct']]
                     for r in rep['elements']]))
    print('\n== largest gaps (reference facts not reproduced, in the messages we convert)')
    print(table(['element', 'unmatched', 'missing', 'different', 'ref facts', 'pairs', 'references', 'e.g.'],
                [[g['element'], g['unmatched'], g['missing'], g['different'], g['reference_facts'], g['pairs'],
                  ' '.join('%s:%d' % (SHORT.get(k, k), n) for k, n in g['references'].items()), g['example']]
                 for g in rep['gaps']]))
    if rep['rejected']:
        print('\n== rejected by the shipped maps')
        print(table(['converter', 'type', 'count', 'reason'],
                    [[r['reference'], r['type'], r['count'], r['reason']] for r in rep['rejected']]))
    if rep['not_measured']:
        print('\n== not measured')
        for k, n in rep['not_measured'].items():
            print('  %4d  %s' % (n, k))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('legacy_build', nargs='?', help=argparse.SUPPRESS)
    ap.add_argument('--build', help='build folder (default: <repo>/build)')
    ap.add_argument('--expected', default=os.environ.get('CW_EXPECTED', DEFAULT_EXPECTED),
                    help='the references folder (default: ../shared/data/expected, looked for upwards from the repo)')
    ap.add_argument('--reference', action='append', default=[],
                    help='only this converter or set (ms-fhir-converter, reportstream, '
                         'reportstream/mappinginventory, google-hdh, v2-to-fhir-ig); repeatable')
    ap.add_argument('--type', action='append', default=[], help='only this message type, e.g. ADT^A01')
    ap.add_argument('--gaps', type=int, default=40, help='how many largest gaps to list (default 40)')
    ap.add_argument('--elements', action='store_true', help='also print the per-element table')
    ap.add_argument('--json', action='store_true', help='print the report as JSON')
    ap.add_argument('--show', metavar='PAIR', help='print the reference facts not reproduced and our extra facts '
                    'of the pairs with this name (e.g. ADT-A01-02); prints message content (test data only)')
    ap.add_argument('--min', action='append', default=[], metavar='REF=PCT',
                    help='fail (exit 1) when REF (a converter, a set or TOTAL) reproduces less than PCT %%')
    ap.add_argument('--self-test', action='store_true',
                    help='first check the normalisations on small inline documents (exit 1 if one fails)')
    ap.add_argument('-j', '--jobs', type=int, default=2, help='crosswalk run threads (default 2)')
    a = ap.parse_args(argv)
    if a.self_test:
        fails = self_test()
        for f in fails:
            print('fidelity: self-test: ' + f, file=sys.stderr)
        if fails:
            return 1
    build = os.path.abspath(a.build or a.legacy_build or os.path.join(ROOT, 'build'))
    mins = []
    for m in a.min:
        k, _, v = m.partition('=')
        try:
            mins.append((k, float(v)))
        except ValueError:
            ap.error('--min wants REF=PCT, got %r' % m)
    if not os.path.isdir(a.expected):
        sys.exit('fidelity: no references folder %s' % a.expected)
    pairs, skipped = discover(a.expected)
    if a.reference:
        known = set(CONVERTERS) | {'%s/%s' % (p.reference, p.subset) for p in pairs}
        for r in a.reference:
            if r not in known:
                ap.error('unknown --reference %r (known: %s)' % (r, ', '.join(sorted(known))))
        pairs = [p for p in pairs if p.reference in a.reference or '%s/%s' % (p.reference, p.subset) in a.reference]
    if not pairs:
        sys.exit('fidelity: no pairs found under %s' % a.expected)
    outputs, reasons = run_crosswalk(build, pairs, a.jobs)
    for i, pair in enumerate(pairs):
        pair.outputs = outputs.get(i, [])
        pair.reason = reasons.get(i)
        pair.reference_doc = load_reference(pair)
    if a.type:
        pairs = [p for p in pairs if p.msg_type in a.type]
        if not pairs:
            sys.exit('fidelity: no pair has message type %s' % ', '.join(a.type))
    evaluate(pairs)
    rep = build_report(pairs, skipped, a.gaps)
    if a.show:
        shown = [p for p in pairs if p.name == a.show]
        if not shown:
            sys.exit('fidelity: no pair named %s' % a.show)
        for p in shown:
            print('== %s %s (%s): %d/%d reference facts reproduced' % (p.reference, p.name, p.msg_type,
                                                                      p.result['matched'], p.result['ref']))
            for f in sorted(p.unmatched):
                print('  - %s.%s = %s' % f)
            for f in sorted(p.extras):
                print('  + %s.%s = %s' % f)
        return 0
    if a.json:
        json.dump(rep, sys.stdout, indent=1)
        print()
    else:
        print_text(rep, a.elements)
    status = 0
    for k, v in mins:
        row = rep['total'] if k == 'TOTAL' else rep['converters'].get(k) or rep['subsets'].get(k)
        if row is None:
            print('fidelity: --min %s: no pairs of that reference were measured' % k, file=sys.stderr)
            status = 1
        elif row['agreement_pct'] < v:
            print('fidelity: %s reproduces %.1f %% of the reference facts, below the ratchet %.1f %%'
                  % (k, row['agreement_pct'], v), file=sys.stderr)
            status = 1
    return status


if __name__ == '__main__':
    try:
        sys.exit(main())
    except BrokenPipeError:   # | head
        sys.exit(0)
