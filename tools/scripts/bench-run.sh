#!/usr/bin/env bash
# Whole-process throughput: `crosswalk run -j 1` over a batch file of N copies of one of the peers' messages,
# with (a) the peer workload map tests/bench/peer/peer.cw and (b) the shipped router maps/hl7v2-to-fhir.cwb,
# beside the JavaScript peers doing the same in one node process each (tests/bench/peer/run-batch.js: start
# node, load the peer, read and split the file, parse + map every message, write NDJSON). Every process is
# timed whole (start-up, reading, mapping, writing), runs are interleaved, and all sides run in the same
# invocation on the same core; prints messages/s (best and median of the runs) and the ratios.
#
#   tools/scripts/bench-run.sh [--build DIR] [--baseline DIR] [--n N] [--runs R] [--peers a,b,...] [--scratch DIR]
#                              [--no-pin] [-j N]
#
#   --build DIR    Crosswalk build (default: build): tools/crosswalk, tests/bench/peer.cwb, maps/, terminology/
#   --baseline DIR another build (e.g. of the commit before a change), run in the same rounds with the same
#                  compiled maps and store (those of --build), so that only the binary differs
#   -j N           crosswalk run -j N (default 1); N > 1 measures scaling, so leave the runs unpinned (--no-pin)
#   --n N          messages per batch file (default 20000)
#   --runs R       timed runs of each process (default 5)
#   --peers LIST   JavaScript peers (default plainjs; any of the peers' README, e.g. plainjs,medplum-js,medplum-fml)
#   --scratch DIR  batch files and outputs (default /tmp/crosswalk-bench-run)
#   --no-pin       do not pin every process to CPU 0 with taskset
# Environment: PEERS_SRC (default ../shared/peers beside the repo root). plainjs needs no packages and runs
# from there; other peers use the installed copy that tools/scripts/bench-peers.sh makes
# (/tmp/crosswalk-peers/peers, or PEERS_DIR).
#
# The router's output is much larger than the peer workload's (whole FHIR Bundles), so its ratio to the
# peers is a ratio of work of different sizes; the peer.cw row is the like-for-like comparison.
# Never a test: timings on a shared machine are noisy; compare the ratios of one run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build baseline= jobs=1 n=20000 runs=5 peers=plainjs scratch=/tmp/crosswalk-bench-run pin=1
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift ;;
    --n) n=$2; shift ;;
    --runs) runs=$2; shift ;;
    --peers) peers=$2; shift ;;
    --scratch) scratch=$2; shift ;;
    --no-pin) pin=0 ;;
    --baseline) baseline=$2; shift ;;
    -j) jobs=$2; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "bench-run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
build=$(cd "$build" && pwd)
cw=$build/tools/crosswalk
if [ -n "$baseline" ]; then
  baseline=$(cd "$baseline" && pwd)
  [ -x "$baseline/tools/crosswalk" ] || { echo "bench-run.sh: $baseline/tools/crosswalk is missing" >&2; exit 1; }
fi
for f in "$cw" "$build/tests/bench/peer.cwb" "$build/maps/hl7v2-to-fhir.cwb" "$build/terminology"; do
  [ -e "$f" ] || { echo "bench-run.sh: $f is missing (build the project first)" >&2; exit 1; }
done
command -v node >/dev/null || { echo "bench-run.sh: node is required" >&2; exit 1; }
src=${PEERS_SRC:-$root/../shared/peers}
if [ -n "${PEERS_DIR:-}" ]; then
  peers_dir=$PEERS_DIR
elif [ "$peers" = plainjs ]; then
  peers_dir=$src
else
  peers_dir=/tmp/crosswalk-peers/peers
  [ -d "$peers_dir/node_modules" ] || {
    echo "bench-run.sh: $peers_dir has no node_modules: run tools/scripts/bench-peers.sh once (it installs the peers)" >&2
    exit 1
  }
fi
[ -f "$peers_dir/lib/peers.js" ] || { echo "bench-run.sh: no peers in $peers_dir (set PEERS_SRC or PEERS_DIR)" >&2; exit 1; }
pin_cmd=
if [ "$pin" = 1 ] && command -v taskset >/dev/null; then pin_cmd="taskset -c 0"; fi
mkdir -p "$scratch"

python3 - "$root" "$build" "$peers_dir" "$scratch" "$n" "$runs" "$peers" "$pin_cmd" "$baseline" "$jobs" <<'PY'
import os, re, resource, statistics, subprocess, sys, time
root, build, peers_dir, scratch, n, runs, peers, pin_cmd, baseline, jobs = sys.argv[1:11]
n, runs, peers, pin = int(n), int(runs), [p for p in peers.split(',') if p], pin_cmd.split()
cw = os.path.join(build, 'tools', 'crosswalk')
msgs_dir = os.path.join(root, 'tests', 'bench', 'peer', 'msgs')
groups = [('ADT^A01', 'adt_a01.hl7'), ('ORU^R01', 'oru_r01.hl7')]

def batch(file):
    text = open(os.path.join(msgs_dir, file), 'rb').read().decode('utf-8')
    msg = re.sub(r'\r\n|\n|\r', '\r', text).strip('\r') + '\r'
    path = os.path.join(scratch, f'batch-{n}-{file}')
    if not os.path.exists(path) or os.path.getsize(path) != len(msg.encode()) * n:
        with open(path, 'w', encoding='utf-8', newline='') as f:
            f.write(msg * n)
    return path

peer_args = [os.path.join(build, 'tests', 'bench', 'peer.cwb')]
router_args = [os.path.join(build, 'maps', 'hl7v2-to-fhir.cwb'), '--term', os.path.join(build, 'terminology')]
systems = [('crosswalk peer.cw', 'cw', (cw, peer_args)), ('crosswalk router', 'cw', (cw, router_args))]
if baseline:
    base_cw = os.path.join(baseline, 'tools', 'crosswalk')
    systems += [('baseline peer.cw', 'cw', (base_cw, peer_args)), ('baseline router', 'cw', (base_cw, router_args))]
systems += [(p, 'node', p) for p in peers]
run_js = os.path.join(root, 'tests', 'bench', 'peer', 'run-batch.js')

def run(kind, arg, path, out):
    if kind == 'cw':
        cmd = pin + [arg[0], 'run', *arg[1], '--in', path, '--out', out, '-j', jobs, '--no-sync']
    else:
        cmd = pin + ['node', run_js, peers_dir, arg, path, out]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if kind == 'cw':
        m = re.search(r'(\d+) messages: (\d+) converted', p.stderr)
        done = int(m.group(2)) if m else -1
    else:
        done = int(p.stdout.strip() or -1) if p.returncode == 0 else -1
    if done != n:
        sys.exit(f'bench-run.sh: {" ".join(cmd)} converted {done} of {n} messages (exit {p.returncode}): {p.stderr[-500:]}')
    lines = sum(1 for _ in open(out, 'rb'))
    if lines != n:
        sys.exit(f'bench-run.sh: {" ".join(cmd)} wrote {lines} lines for {n} messages')
    return wall, cpu

cpu_name = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')
print(f'== {os.cpu_count()} CPU(s), {cpu_name}; pinned: {" ".join(pin) or "no"}; load {os.getloadavg()[0]:.2f}; '
      f'node {subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()}; '
      f'{n} messages per batch, {runs} runs, crosswalk run -j {jobs}', flush=True)
results = {}
for gname, file in groups:
    path = batch(file)
    for r in range(runs):  # interleaved: every system once per round
        for name, kind, arg in systems:
            wall, cpu = run(kind, arg, path, os.path.join(scratch, 'out.ndjson'))
            results.setdefault((gname, name), []).append((n / wall, n / cpu if cpu > 0 else 0))
        print(f'  {gname} round {r + 1}/{runs} done', file=sys.stderr, flush=True)
os.remove(os.path.join(scratch, 'out.ndjson'))

for stat, pick in (('best', max), ('median', statistics.median)):
    print(f'\nmessages/s, whole process ({stat} of {runs} runs; wall clock; in brackets: per CPU second, and the ratio of those)')
    hdr = f"{'group':<10}{'system':<20}{'msgs/s':>10}{'(cpu)':>10}" + ''.join(f"{'x ' + p + ' (cpu)':>24}" for p in peers)
    print(hdr)
    print('-' * len(hdr))
    for gname, _ in groups:
        for name, kind, _ in systems:
            rates = results[(gname, name)]
            wall, cpu = pick([w for w, _ in rates]), pick([c for _, c in rates])
            line = f'{gname:<10}{name:<20}{wall:>10,.0f}{cpu:>10,.0f}'
            if kind == 'cw':
                for p in peers:
                    pw, pc = pick([w for w, _ in results[(gname, p)]]), pick([c for _, c in results[(gname, p)]])
                    line += f"{wall / pw:>15.1f}x{'(' + format(cpu / pc, '.1f') + 'x)':>9}"
            print(line)
PY
