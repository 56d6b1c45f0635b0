#!/usr/bin/env bash
# Crosswalk beside the JavaScript peers (HL7 v2 -> FHIR R4, the mapping of the peer benchmark), in one
# run, on the same messages, one core each. Prints messages/s per message group and the ratios.
#
#   tools/scripts/bench-peers.sh [--build DIR] [--peers a,b,...] [--runs N] [--min-ms MS] [--warmup-ms MS]
#                                [--scratch DIR] [--no-pin] [--json FILE]
#
#   --build DIR      Crosswalk build with tests/bench/peer_bench (default: build)
#   --peers LIST     peers to run (default plainjs,medplum-js,medplum-fml,jsonata; all: see the peers' README)
#   --runs N         timed runs per peer and group, median kept (default 3)
#   --min-ms MS      length of each timed run (default 500)
#   --warmup-ms MS   warm-up before timing, per group and mode (default 2000; V8 needs 1-2 s to settle)
#   --scratch DIR    where the peers are copied and installed (default /tmp/crosswalk-peers)
#   --no-pin         do not pin both sides to CPU 0 with taskset
#   --json FILE      also save the combined figures
#   --table-only     only print the table again from the last run's files in the scratch folder
# Environment: PEERS_SRC (default ../shared/peers beside the repo root), the peers' folder (read-only is fine: it is copied,
# then `npm ci` installs it from the npm registry).
#
# Both sides read the messages in tests/bench/peer/msgs (the peers through PEERS_DATA pointing at them),
# grouped as the peers' bench.js groups them. Crosswalk runs tests/bench/peer/peer.cw (checked equal to
# the reference peer by tests/bench/peer/check.sh). Timings on a shared machine are noisy: compare the
# ratios of one run, not absolute figures across runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build peers_list=plainjs,medplum-js,medplum-fml,jsonata runs=3 min_ms=500 warmup_ms=2000
scratch=/tmp/crosswalk-peers pin=1 json_out= table_only=0
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift ;;
    --peers) peers_list=$2; shift ;;
    --runs) runs=$2; shift ;;
    --min-ms) min_ms=$2; shift ;;
    --warmup-ms) warmup_ms=$2; shift ;;
    --scratch) scratch=$2; shift ;;
    --no-pin) pin=0 ;;
    --json) json_out=$2; shift ;;
    --table-only) table_only=1 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "bench-peers.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
build=$(cd "$build" && pwd)
if [ "$table_only" = 0 ]; then
src=${PEERS_SRC:-$root/../shared/peers}
bench=$build/tests/bench/peer_bench
[ -x "$bench" ] || { echo "bench-peers.sh: $bench not built" >&2; exit 1; }
[ -d "$src" ] || { echo "bench-peers.sh: no peers folder $src (set PEERS_SRC)" >&2; exit 1; }
command -v node >/dev/null || { echo "bench-peers.sh: node is required" >&2; exit 1; }
pinc=()
if [ "$pin" = 1 ] && command -v taskset >/dev/null; then pinc=(taskset -c 0); fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "== $(nproc) CPU(s), $cpu; pinned: ${pinc[*]:-no}; node $(node --version)"

# 1. the peers, in a writable copy, installed once (exact versions from their package-lock.json)
mkdir -p "$scratch"
rm -rf "$scratch/peers.tmp" && cp -r "$src" "$scratch/peers.tmp" && chmod -R u+w "$scratch/peers.tmp"
rm -rf "$scratch/peers.tmp/node_modules" "$scratch/peers.tmp/fhir-cache"
[ -d "$scratch/peers/node_modules" ] && mv "$scratch/peers/node_modules" "$scratch/peers.tmp/"
rm -rf "$scratch/peers" && mv "$scratch/peers.tmp" "$scratch/peers"
chmod -R u+w "$scratch/peers"
if [ ! -d "$scratch/peers/node_modules" ]; then
  echo "== npm ci in $scratch/peers" >&2
  (cd "$scratch/peers" && npm ci --no-audit --no-fund >&2)
fi
# the same message bytes on both sides: our copies, under the layout the peers' loader expects
cp "$root"/tests/bench/peer/msgs/*.hl7 "$scratch/peers/msgs/"
rm -rf "$scratch/data" && mkdir -p "$scratch/data" && ln -s "$root/tests/bench/peer/msgs/shared" "$scratch/data/hl7v2"


# Crosswalk, same messages, same core; run before and after the peers (the load of a shared machine
# drifts; the tables use all runs of both passes)
min_s=$(awk "BEGIN{print $min_ms/1000}")
run_crosswalk() {
  echo "== crosswalk ($1): $bench" >&2
  "${pinc[@]}" "$bench" --benchmark_min_time="${min_s}" --benchmark_repetitions="$runs" \
    --benchmark_format=json --benchmark_out="$scratch/crosswalk-$1.json" --benchmark_out_format=json >/dev/null
}
run_crosswalk before

# 2. the peers (each in its own node process, as their bench.js does)
echo "== peers: $peers_list (runs=$runs min-ms=$min_ms warmup-ms=$warmup_ms)" >&2
(cd "$scratch/peers" && PEERS_DATA="$scratch/data" "${pinc[@]}" node bench.js --peers "$peers_list" --runs "$runs" \
  --min-ms "$min_ms" --warmup-ms "$warmup_ms" --json "$scratch/peers.json" >&2)

# 3. Crosswalk again
run_crosswalk after
fi

# 4. the table
python3 - "$scratch/peers.json" "$scratch/crosswalk-before.json" "$scratch/crosswalk-after.json" "$json_out" <<'PY'
import json, sys
peers_file, cw_before, cw_after, out = sys.argv[1:5]
peers = json.load(open(peers_file))['peers']
cw = json.load(open(cw_before))['benchmarks'] + json.load(open(cw_after))['benchmarks']
def cw_rate(prefix):
    # per benchmark: its repetitions (best = highest messages/s, median)
    r = {}
    for b in cw:
        if b.get('run_type') != 'iteration': continue
        name = b['run_name']
        if name.endswith('/real_time'): name = name[:-len('/real_time')]
        if not name.startswith(prefix + '/'): continue
        r.setdefault(name[len(prefix) + 1:], []).append(b)
    out = {}
    for g, reps in r.items():
        rates = sorted(x['items_per_second'] for x in reps)
        out[g] = {'best': rates[-1], 'median': rates[len(rates) // 2],
                  'allocs_per_msg': max(x.get('allocs_per_msg', 0) for x in reps)}
    return out
cwmap, cwfloor = cw_rate('BM_Peer'), cw_rate('BM_PeerFloor')
groups = list(cwmap)
names = [p['peer'] for p in peers if not p.get('error')]
rate = {}
excluded = {}
for p in peers:
    if p.get('error'):
        print(f"peer {p['peer']} FAILED: {p['error']}"); continue
    for r in p['results']:
        if r['mode'] != 'parse+map' or r.get('error'): continue
        rate[(p['peer'], r['group'])] = {'best': r['max'], 'median': r['msgsPerSec']}
        if r.get('excluded'): excluded[(p['peer'], r['group'])] = len(r['excluded'])
summary = {'groups': {}}
for stat in ('best', 'median'):
    w = max(len(g) for g in groups) + 2
    hdr = f"{'group':<{w}}{'crosswalk':>12}{'floor':>12}{'vs floor':>9}{'allocs':>8}" + ''.join(f"{n:>14}{'ratio':>8}" for n in names)
    print(f'\nmessages/s ({stat} of the runs; parse + map + output), one core; ratio = crosswalk / peer; vs floor = time / floor time')
    print(hdr); print('-' * len(hdr))
    for g in groups:
        b = cwmap[g]; f = cwfloor.get(g)
        c = b[stat]; fl = f[stat] if f else 0
        line = f"{g:<{w}}{c:>12,.0f}{fl:>12,.0f}{(fl / c if f else 0):>9.2f}{b['allocs_per_msg']:>8.2f}"
        row = summary['groups'].setdefault(g, {'allocs_per_msg': b['allocs_per_msg'], 'peers': {}})
        row['crosswalk_' + stat] = c
        row['floor_' + stat] = fl
        for n in names:
            pr = rate.get((n, g))
            if pr is None:
                line += f"{'-':>14}{'':>8}"; continue
            mark = '*' if (n, g) in excluded else ''
            line += f"{pr[stat]:>14,.0f}{c / pr[stat]:>7.1f}x{mark}"
            row['peers'].setdefault(n, {})[stat] = {'msgs_per_sec': pr[stat], 'ratio': c / pr[stat]}
        print(line)
if excluded: print('* the peer threw on some messages of the group and ran without them (see its output above)')
if out:
    json.dump(summary, open(out, 'w'), indent=1); print(f'wrote {out}')
PY
