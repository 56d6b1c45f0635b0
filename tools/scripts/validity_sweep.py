#!/usr/bin/env python3
"""Validity of the shipped maps on messages no one has written yet: mutated copies of real messages.

  tools/scripts/validity_sweep.py [--build DIR] [--seed N] [--variants K] [--keep DIR] INPUT_DIR...

Standard library only. Reads every HL7 v2 message under INPUT_DIR (ER7, `.hl7`), writes K variants of each
(deterministic for a seed), runs `crosswalk run` over them once and `tests/validator/validate.js` over every
Bundle written. A variant is its message with a few fields changed the way real feeds differ from samples:
  - crossover: a field replaced by the same field (segment id and position) of another message in the pool;
  - first component only, a component emptied, a repetition repeated, a field blanked or set to `""`;
  - a date/time field re-spelled at another precision (year, month, day, minutes, seconds, fractions,
    with and without a zone);
  - white space around or inside a component, a component set to an odd value (N/A, >10, 1,5, an
    impossible date, 300 characters, escapes, a bare `&`);
  - a segment dropped, repeated, moved out of order, or one of another message inserted (the groups change).
The outputs must be the same bytes in a traced run (calls not reused) and when all variants come as one FHS/BHS
batch; each message with every field padded
with trailing blanks must give the same bytes as the message itself; and the run's log (warnings,
rejections) must hold no patient content of any variant (PID/NK1/GT1/IN1 names,
identifiers, addresses, phone numbers, birth dates); and every urn:uuid reference of a Bundle must name one of
its entries (a transaction whose reference resolves to nothing fails on the server; the validator does not
report it).
MSH-1, MSH-2, MSH-9 and MSH-18 are never changed (the message type picks the map; an unknown character set is
refused on purpose).

Exit status: 0 when every Bundle is valid and resolves its references, no variant of a message that converts is
refused, the traced run writes the same bytes and the log holds no patient content; 1 otherwise (the report says which variant, the
mutation and the validator's message; `--keep DIR` keeps the variants and outputs to look at).
"""
import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KINDS = ['cross', 'cross', 'cross', 'first', 'empty-comp', 'repeat', 'blank', 'null', 'time', 'spaces', 'odd',
         'drop-seg', 'dup-seg', 'move-seg', 'foreign-seg']
# Patient content that must never reach the log (names, identifiers, addresses, phone numbers, birth dates).
PATIENT_FIELDS = {'PID': (3, 5, 6, 7, 11, 13, 14, 19, 20), 'NK1': (2, 4, 5), 'GT1': (3, 5, 6), 'IN1': (16, 19)}


def References(value):
    """Every Reference.reference string in a JSON value."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == 'reference' and isinstance(v, str):
                yield v
            else:
                yield from References(v)
    elif isinstance(value, list):
        for v in value:
            yield from References(v)


def PatientValues(segs):
    out = set()
    for seg in segs:
        for f in PATIENT_FIELDS.get(seg[0], ()):
            if f < len(seg):
                for part in re.split(r'[~^&]', seg[f]):
                    part = part.strip()
                    # long enough to be someone's data, not a code or a word a message of the map could say
                    if len(part) >= 6 and not re.fullmatch(r'[A-Z]{1,6}|\d{1,6}|""', part):
                        out.add(part)
    return out
# Values real feeds put where a sample had something well formed.
ODD = ['N/A', 'UNK', '0', '-1', '1,5', '>10', '<0.5', '.5', '1e3', '20231301', '2023022930', '99999999',
       '2023', '202302', '2023-02-01', 'x' * 300, 'a\\T\\b', '\\F\\', '\\X0D\\\\X0A\\', '&', '&&&', 'http://x y',
       'urn:oid:', '1.2.3', 'ISO', 'LN', 'L', 'HL70001', '~']
TS = re.compile(r'^\d{8}(\d{2,6}(\.\d{1,4})?)?([+-]\d{4})?$')


def read_messages(dirs):
    """Yields (path, [segments as lists of fields]) for messages with the standard delimiters."""
    for d in dirs:
        for base, _, files in os.walk(d):
            for name in sorted(files):
                if not name.endswith('.hl7'):
                    continue
                path = os.path.join(base, name)
                with open(path, 'rb') as f:
                    text = f.read().decode('utf-8', 'replace')
                lines = [l for l in re.split(r'\r\n|\r|\n', text) if l.strip()]
                if not lines or not lines[0].startswith('MSH|^~\\&'):
                    continue
                # one message per file: batches (FHS/BHS, several MSH) are left as they are
                if sum(1 for l in lines if l.startswith('MSH')) != 1:
                    continue
                yield path, [l.split('|') for l in lines]


def field_pool(messages):
    pool = collections.defaultdict(list)
    for _, segs in messages:
        for seg in segs:
            for i, value in enumerate(seg[1:], 1):
                if value:
                    pool[(seg[0], i)].append(value)
    return pool


def respell_time(value, rng):
    """The same instant at another precision / with or without a zone."""
    m = re.match(r'^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d+)?([+-]\d{4})?$', value)
    if not m:
        return value
    y, mo, d, h, mi, s, frac, zone = m.groups()
    mo, d, h, mi, s = mo or '01', d or '01', h or '00', mi or '00', s or '00'
    zone = zone or rng.choice(['', '-0500', '+0000', '+0530'])
    return rng.choice([
        y, y + mo, y + mo + d, y + mo + d + h + mi, y + mo + d + h + mi + s,
        y + mo + d + h + mi + s + zone, y + mo + d + h + mi + s + '.1234' + zone, y + mo + d + h + mi + zone,
        y + mo + d + h + zone,
    ])


def mutate(segs, pool, segments, rng, count):
    segs = [list(s) for s in segs]
    done = []
    for _ in range(count):
        si = rng.randrange(len(segs))
        seg = segs[si]
        if len(seg) < 2:
            continue
        fi = rng.randrange(1, len(seg))
        if seg[0] == 'MSH' and fi in (1, 8, 17):   # seg[1] is MSH-2, seg[8] MSH-9, seg[17] MSH-18
            continue
        value = seg[fi]
        kind = rng.choice(KINDS)
        if kind in ('drop-seg', 'dup-seg', 'move-seg', 'foreign-seg'):
            if seg[0] == 'MSH':
                continue
            if kind == 'drop-seg':
                del segs[si]
            elif kind == 'dup-seg':
                segs.insert(si + 1, list(seg))
            elif kind == 'move-seg':   # out of the order the structure expects
                del segs[si]
                segs.insert(rng.randrange(1, len(segs) + 1), seg)
            else:                      # a segment of another message (of another type, or a Z-segment)
                donor = rng.choice(segments)
                if donor[0] == 'MSH' or donor[0] in ('FHS', 'BHS', 'BTS', 'FTS'):
                    continue
                segs.insert(rng.randrange(1, len(segs) + 1), list(donor))
                seg = donor
            done.append('%s %s' % (seg[0], kind))
            continue
        if kind == 'cross':
            cands = pool.get((seg[0], fi))
            if not cands:
                continue
            new = rng.choice(cands)
        elif kind == 'first':
            new = value.split('~')[0].split('^')[0]
        elif kind == 'empty-comp':
            comps = value.split('^')
            comps[rng.randrange(len(comps))] = ''
            new = '^'.join(comps)
        elif kind == 'repeat':
            new = value + '~' + value if value else value
        elif kind == 'spaces':
            comps = value.split('^')
            i = rng.randrange(len(comps))
            comps[i] = rng.choice(['  ', ' %s ' % comps[i], comps[i].replace(' ', '   ') + '  x', '\\.br\\ '])
            new = '^'.join(comps)
        elif kind == 'odd':
            comps = value.split('^')
            comps[rng.randrange(len(comps))] = rng.choice(ODD)
            new = '^'.join(comps)
        elif kind == 'blank':
            new = ''
        elif kind == 'null':
            new = '""'
        else:
            comps = value.split('^')
            hit = [i for i, c in enumerate(comps) if TS.match(c)]
            if not hit:
                continue
            i = rng.choice(hit)
            comps[i] = respell_time(comps[i], rng)
            new = '^'.join(comps)
        if new == value:
            continue
        seg[fi] = new
        label = 'MSH-%d' % (fi + 1) if seg[0] == 'MSH' else '%s-%d' % (seg[0], fi)
        done.append('%s %s' % (label, kind))
    return segs, done


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('inputs', nargs='+')
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--variants', type=int, default=3)
    ap.add_argument('--mutations', type=int, default=4, help='fields changed per variant (default 4)')
    ap.add_argument('--keep', help='keep variants and outputs in this folder')
    ap.add_argument('--zone', help='crosswalk run --zone (times without a zone get this one)')
    args = ap.parse_args()

    messages = list(read_messages(args.inputs))
    pool = field_pool(messages)
    segments = [seg for _, segs in messages for seg in segs if re.fullmatch(r'[A-Z][A-Z0-9]{2}', seg[0])]
    phi = set()
    rng = random.Random(args.seed)
    work = args.keep or tempfile.mkdtemp(prefix='cw-sweep-')
    if args.keep:
        shutil.rmtree(work, ignore_errors=True)
    ins, outs = os.path.join(work, 'in'), os.path.join(work, 'out')
    os.makedirs(ins)
    os.makedirs(outs)
    what = {}
    for path, segs in messages:
        stem = os.path.splitext(os.path.basename(path))[0]
        for k in range(args.variants):
            variant, done = mutate(segs, pool, segments, rng, args.mutations)
            phi.update(PatientValues(variant))
            name = '%s~v%d' % (stem, k)
            n = 2
            while name in what:
                name = '%s~v%d-%d' % (stem, k, n)
                n += 1
            what[name] = (path, done)
            with open(os.path.join(ins, name + '.hl7'), 'w', encoding='utf-8') as f:
                f.write('\r'.join('|'.join(s) for s in variant) + '\r')
    # The originals once: a variant of a message that is itself refused (malformed samples kept to test the
    # reader, a type with no map) is refused for the same reason and says nothing about the mutations.
    refused = set()
    orig_out = os.path.join(work, 'orig')
    os.makedirs(orig_out)
    for path, _ in messages:
        shutil.copy(path, os.path.join(orig_out, os.path.basename(path)))
    orig = subprocess.run([os.path.join(args.build, 'tools', 'crosswalk'), 'run',
                           os.path.join(args.build, 'maps', 'hl7v2-to-fhir.cwb'),
                           '--term', os.path.join(args.build, 'terminology'), '--in', orig_out, '--out-dir', orig_out,
                           '--now', '2024-01-01T00:00:00Z', '-j', '2'] + (['--zone', args.zone] if args.zone else []),
                          capture_output=True, text=True)
    for line in orig.stderr.splitlines():
        m = re.match(r'(.*?\.hl7): rejected:', line)
        if m:
            refused.add(os.path.splitext(os.path.basename(m.group(1)))[0])
    # Padding is no content: every field of every segment padded with blanks (as fixed-width senders write
    # them; MSH-1 and MSH-2 excepted) must give the same bytes as the message itself.
    padded_in, padded_out = os.path.join(work, 'padded-in'), os.path.join(work, 'padded-out')
    os.makedirs(padded_in)
    os.makedirs(padded_out)
    for path, segs in messages:
        with open(os.path.join(padded_in, os.path.basename(path)), 'w', encoding='utf-8') as f:
            f.write('\r'.join('|'.join(v if (seg[0] == 'MSH' and i <= 1) or i == 0 else v + ' ' * (3 + i % 4)
                                        for i, v in enumerate(seg)) for seg in segs) + '\r')
    subprocess.call([os.path.join(args.build, 'tools', 'crosswalk'), 'run',
                     os.path.join(args.build, 'maps', 'hl7v2-to-fhir.cwb'),
                     '--term', os.path.join(args.build, 'terminology'), '--in', padded_in, '--out-dir', padded_out,
                     '--now', '2024-01-01T00:00:00Z', '-j', '2'] + (['--zone', args.zone] if args.zone else []),
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    padding = 0
    for name in sorted(os.listdir(orig_out)):
        if not name.endswith('.json'):
            continue
        a, b = os.path.join(orig_out, name), os.path.join(padded_out, name)
        if not os.path.exists(b) or open(a, 'rb').read() != open(b, 'rb').read():
            print('differs when its fields are padded with blanks: %s' % name)
            padding += 1
    log = os.path.join(work, 'run.log')
    with open(log, 'w') as lf:
        rc = subprocess.call([os.path.join(args.build, 'tools', 'crosswalk'), 'run',
                              os.path.join(args.build, 'maps', 'hl7v2-to-fhir.cwb'),
                              '--term', os.path.join(args.build, 'terminology'), '--in', ins, '--out-dir', outs,
                              '--now', '2024-01-01T00:00:00Z', '-j', '2'] + (['--zone', args.zone] if args.zone else []), stdout=lf, stderr=lf)
    failures = 0
    with open(log) as lf:
        for line in lf:
            m = re.match(r'(.*?)~v\d+(?:-\d+)?\.hl7: (rejected|error)', line)
            if not m or os.path.basename(m.group(1)) in refused:
                continue
            failures += 1
            print('run:', line.rstrip())
    # A batch is its messages: every variant in one FHS/BHS batch file gives the same bytes, message by message.
    names = sorted(what)
    batch_dir = os.path.join(work, 'batch')
    os.makedirs(batch_dir)
    with open(os.path.join(batch_dir, 'batch.hl7'), 'w', encoding='utf-8') as f:
        f.write('FHS|^~\\&|SWEEP\rBHS|^~\\&|SWEEP\r')
        for name in names:
            with open(os.path.join(ins, name + '.hl7'), encoding='utf-8') as v:
                f.write(v.read())
        f.write('BTS|%d\rFTS|1\r' % len(names))
    subprocess.call([os.path.join(args.build, 'tools', 'crosswalk'), 'run',
                     os.path.join(args.build, 'maps', 'hl7v2-to-fhir.cwb'),
                     '--term', os.path.join(args.build, 'terminology'), '--in', os.path.join(batch_dir, 'batch.hl7'),
                     '--out-dir', batch_dir, '--now', '2024-01-01T00:00:00Z', '-j', '2']
                    + (['--zone', args.zone] if args.zone else []),
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    batched = 0
    for k, name in enumerate(names, 1):
        a, b = os.path.join(outs, name + '.hl7.json'), os.path.join(batch_dir, 'batch.hl7#%d.json' % k)
        if os.path.exists(a) != os.path.exists(b) or (os.path.exists(a) and open(a, 'rb').read() != open(b, 'rb').read()):
            print('differs inside a batch: %s [%s]' % (name, ', '.join(what[name][1])))
            batched += 1
    # Reused calls never change a result: a traced run (reuse off) writes the same bytes.
    traced = os.path.join(work, 'traced')
    os.makedirs(traced)
    subprocess.call([os.path.join(args.build, 'tools', 'crosswalk'), 'run',
                     os.path.join(args.build, 'maps', 'hl7v2-to-fhir.cwb'),
                     '--term', os.path.join(args.build, 'terminology'), '--in', ins, '--out-dir', traced,
                     '--now', '2024-01-01T00:00:00Z', '-j', '2', '--trace'] + (['--zone', args.zone] if args.zone else []),
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    differ = 0
    for name in sorted(set(os.listdir(outs)) | set(os.listdir(traced))):
        a, b = os.path.join(outs, name), os.path.join(traced, name)
        if not (os.path.exists(a) and os.path.exists(b)) or open(a, 'rb').read() != open(b, 'rb').read():
            print('differs with calls not reused (a traced run): %s [%s]' % (name, ', '.join(what.get(name.split('.hl7')[0], ('', []))[1])))
            differ += 1
    failures += differ
    # No patient content in what the run says (warnings and rejections name map locations and positions).
    with open(log, encoding='utf-8', errors='replace') as lf:
        text = '\n'.join(line.split('.hl7: ', 1)[-1] for line in lf)   # without the file names
    leaked = sorted(v for v in phi if v in text)
    for v in leaked[:20]:
        print('patient content in the log: %r' % v)
    failures += len(leaked) + padding + batched
    val = subprocess.run(['node', os.path.join(ROOT, 'tests', 'validator', 'validate.js'), outs],
                         capture_output=True, text=True)
    bad = 0
    for line in val.stdout.splitlines() + val.stderr.splitlines():
        m = re.search(r'([^/\s]+~v\d+(?:-\d+)?)', line)
        if m and m.group(1) in what:
            src, done = what[m.group(1)]
            print('invalid: %s [%s] from %s' % (line.strip(), ', '.join(done), os.path.relpath(src, ROOT)))
            bad += 1
        elif line.strip():
            print(line)
    # A transaction Bundle resolves its own references: every urn:uuid reference names an entry's fullUrl (the
    # validator drops its reports on urn:uuid references, so this is checked here).
    dangling = 0
    for name in sorted(os.listdir(outs)):
        with open(os.path.join(outs, name), encoding='utf-8') as f:
            bundle = json.load(f)
        urls = {e.get('fullUrl') for e in bundle.get('entry', [])}
        missing = sorted(set(v for v in References(bundle) if v.startswith('urn:uuid:')) - urls)
        if missing:
            base = name.split('.hl7')[0]
            print('reference to no entry: %s (%d) [%s]' % (name, len(missing), ', '.join(what.get(base, ('', []))[1])))
            dangling += 1
    failures += dangling
    print('variants %d, crosswalk run exit %d, refused %d, differing when traced %d, when padded %d, in a batch %d, '
          'patient content in the log %d, validator lines naming a variant %d, references to no entry %d'
          % (len(what), rc, failures - differ - len(leaked) - padding - batched - dangling, differ, padding, batched,
             len(leaked), bad, dangling))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures or bad or val.returncode else 0


if __name__ == '__main__':
    sys.exit(main())
