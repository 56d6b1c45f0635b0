#!/usr/bin/env bash
# Instructions per message of the whole `crosswalk run -j 1` process, counted by callgrind: the run over a
# batch of N2 copies of a message minus the run over N1 copies, over N2 - N1, so start-up, loading the
# program and the store cancel out. For peer.cw (tests/bench/peer) and the shipped router, on the peers'
# ADT^A01 and ORU^R01 messages. Counts do not depend on the machine's load (unlike wall-clock figures), but
# callgrind runs the portable code where the CPU has special instructions (SHA-NI for uuid5's SHA-1).
#
#   tools/scripts/bench-instr.sh [--build DIR] [--cw BINARY] [--peer PEER.cwb] [--router ROUTER.cwb]
#                                [--n1 N] [--n2 N] [--top K] [--only peer|router]
#
#   --build DIR   Crosswalk build (default: build): tools/crosswalk, tests/bench/peer.cwb, maps/, terminology/
#   --cw BINARY   another crosswalk binary to run (default: DIR/tools/crosswalk)
#   --peer/--router  other compiled programs (e.g. the same maps compiled with --no-peephole)
#   --n1/--n2     the two batch sizes (default 200 and 400)
#   --top K       also print the K functions with the most self instructions per message (default 0)
# Never a test.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build cw= peer= router= n1=200 n2=400 top=0 only=
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift ;;
    --cw) cw=$2; shift ;;
    --peer) peer=$2; shift ;;
    --router) router=$2; shift ;;
    --n1) n1=$2; shift ;;
    --n2) n2=$2; shift ;;
    --top) top=$2; shift ;;
    --only) only=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench-instr.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
build=$(cd "$build" && pwd)
cw=${cw:-$build/tools/crosswalk}
peer=${peer:-$build/tests/bench/peer.cwb}
router=${router:-$build/maps/hl7v2-to-fhir.cwb}
command -v valgrind >/dev/null || { echo "bench-instr.sh: valgrind is required" >&2; exit 1; }
for f in "$cw" "$peer" "$router" "$build/terminology"; do
  [ -e "$f" ] || { echo "bench-instr.sh: $f is missing (build the project first)" >&2; exit 1; }
done
scratch=$(mktemp -d /tmp/crosswalk-bench-instr.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

python3 - "$root" "$cw" "$peer" "$router" "$build/terminology" "$scratch" "$n1" "$n2" "$top" "$only" <<'PY'
import os, re, subprocess, sys
root, cw, peer, router, term, scratch, n1, n2, top, only = sys.argv[1:11]
n1, n2, top = int(n1), int(n2), int(top)
msgs = os.path.join(root, 'tests', 'bench', 'peer', 'msgs')

def batch(file, n):
    text = open(os.path.join(msgs, file), 'rb').read().decode('utf-8')
    msg = re.sub(r'\r\n|\n|\r', '\r', text).strip('\r') + '\r'
    path = os.path.join(scratch, f'{n}-{file}')
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(msg * n)
    return path

def profile(args, path):
    out = os.path.join(scratch, 'cg.out')
    cmd = ['valgrind', '--tool=callgrind', f'--callgrind-out-file={out}', cw, 'run', *args, '--in', path,
           '--out', '/dev/null', '-j', '1', '--no-sync']
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f'bench-instr.sh: {" ".join(cmd)} failed: {p.stderr[-800:]}')
    total = None
    for line in open(out):
        if line.startswith('summary:') or line.startswith('totals:'):
            total = int(line.split()[1])
    funcs = {}
    if top:
        ann = subprocess.run(['callgrind_annotate', '--auto=no', '--inclusive=no', '--threshold=100', out], capture_output=True, text=True).stdout
        for line in ann.splitlines():
            m = re.match(r'\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S.*)$', line)
            if m:
                name = re.sub(r'^.*?:', '', m.group(2), count=1) if ':' in m.group(2) else m.group(2)
                funcs[name] = funcs.get(name, 0) + int(m.group(1).replace(',', ''))
    return total, funcs

rows = []
for prog, args in (('peer.cw', [peer]), ('router', [router, '--term', term])):
    if only and not prog.startswith(only):
        continue
    for group, file in (('ADT^A01', 'adt_a01.hl7'), ('ORU^R01', 'oru_r01.hl7')):
        t1, f1 = profile(args, batch(file, n1))
        t2, f2 = profile(args, batch(file, n2))
        per = (t2 - t1) / (n2 - n1)
        rows.append((prog, group, per))
        print(f'{prog:<8} {group:<8} {per / 1000:10.1f} k instructions per message', flush=True)
        if top:
            diff = sorted(((f2.get(k, 0) - f1.get(k, 0)) / (n2 - n1), k) for k in f2)
            for v, k in reversed(diff[-top:]):
                print(f'    {v / 1000:9.1f} k  {k[:110]}')
PY
