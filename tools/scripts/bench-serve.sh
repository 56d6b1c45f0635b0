#!/usr/bin/env bash
# Benchmarks `crosswalk serve` end to end on loopback (a benchmark, never a test: it reports numbers).
#
#   tools/scripts/bench-serve.sh [BUILD_DIR]      (default: build; needs python3)
#
# For -j 1 and -j 2, with the shipped hl7v2-to-fhir.cwb and store and the inbox synced (group commit):
#   1. throughput: N small ADT^A01 messages (distinct patients) sent by 4 connections with 50 in flight
#      each; messages/s until every ACK is back (stored), and until every output is durable in the output
#      directory (end to end);
#   2. ACK latency at a fixed offered load: RATE messages/s for DURATION seconds on one connection, sent on a clock
#      (not waiting for ACKs), p50/p99/max from the send to the ACK.
# Knobs (environment): N (default 5000), RATE (1000), DURATION (seconds, 5), SYNC (1; 0 adds --no-sync),
# OUTPUT (dir: --out-dir, a file per message; ndjson: --ndjson only, no output folder).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
TOOL=$BUILD/tools/crosswalk
CWB=$BUILD/maps/hl7v2-to-fhir.cwb
TERM_DIR=$BUILD/terminology
N=${N:-5000}
RATE=${RATE:-1000}
DURATION=${DURATION:-5}
SYNC=${SYNC:-1}
OUTPUT=${OUTPUT:-dir}
[[ $OUTPUT == dir || $OUTPUT == ndjson ]] || { echo "bench-serve: OUTPUT is dir or ndjson" >&2; exit 2; }
for f in "$TOOL" "$CWB" "$TERM_DIR"; do
  [[ -e $f ]] || { echo "bench-serve: $f is missing (build the tool and the maps first)" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/cw-bench-serve.XXXXXX)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/load.py" <<'PY'
import socket, sys, threading, time, os

def message(i):
    return ("MSH|^~\\&|BENCH|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|B%d|P|2.5.1\r"
            "EVN|A01|20240102030405\r"
            "PID|1||P%d^^^MRN^MR||DOE^JOHN^Q||19800101|M|||1 MAIN ST^^CITY^ST^12345||555-0100\r"
            "PV1|1|I|WARD^101^1||||1234^SMITH^JANE\r" % (i, i)).encode()

def frame(b):
    return b"\x0b" + b + b"\x1c\x0d"

def read_acks(sock, count, on_ack):
    buf = b""
    got = 0
    while got < count:
        data = sock.recv(65536)
        if not data:
            raise SystemExit("connection closed after %d ACKs" % got)
        buf += data
        while True:
            end = buf.find(b"\x1c\x0d")
            if end < 0:
                break
            ack = buf[:end]
            buf = buf[end + 2:]
            if b"MSA|AA|" not in ack and b"MSA|CA|" not in ack:
                raise SystemExit("not accepted: %r" % ack[:200])
            on_ack(time.perf_counter())
            got += 1

def burst(port, n, conns=4, window=50):
    per = n // conns
    start = time.perf_counter()
    def run(c):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sem = threading.Semaphore(window)
        reader = threading.Thread(target=read_acks, args=(s, per, lambda t: sem.release()))
        reader.start()
        for i in range(per):
            sem.acquire()
            s.sendall(frame(message(c * per + i)))
        reader.join()
        s.close()
    threads = [threading.Thread(target=run, args=(c,)) for c in range(conns)]
    for t in threads: t.start()
    for t in threads: t.join()
    return per * conns, time.perf_counter() - start, start

def rate(port, rate_, seconds, base):
    n = int(rate_ * seconds)
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sent = []
    lat = []
    def on_ack(t):
        lat.append(t - sent[len(lat)])
    reader = threading.Thread(target=read_acks, args=(s, n, on_ack))
    reader.start()
    start = time.perf_counter()
    for i in range(n):
        due = start + i / rate_
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        sent.append(time.perf_counter())
        s.sendall(frame(message(base + i)))
    reader.join()
    s.close()
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
    return pick(0.50), pick(0.99), lat[-1] * 1000, n

mode, port = sys.argv[1], int(sys.argv[2])
if mode == "burst":
    out, n = sys.argv[3], int(sys.argv[4])
    count, acked, start = burst(port, n)
    if os.path.isdir(out):  # a file per output
        while len([f for f in os.listdir(out) if f.endswith(".json")]) < count:
            time.sleep(0.01)
    else:  # one NDJSON line per output, read as it grows
        lines = 0
        with open(out, "rb") as f:
            while lines < count:
                chunk = f.read(1 << 20)
                if chunk:
                    lines += chunk.count(b"\n")
                else:
                    time.sleep(0.01)
    done = time.perf_counter() - start
    print("%d messages: ACKed in %.2f s (%.0f/s), outputs durable in %.2f s (%.0f/s end to end)"
          % (count, acked, count / acked, done, count / done))
else:
    p50, p99, mx, n = rate(port, float(sys.argv[3]), float(sys.argv[4]), 10_000_000)
    print("%d messages at %s/s: ACK latency p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (n, sys.argv[3], p50, p99, mx))
PY

start_server() {  # $1 = -j, $2 = folder
  local extra=()
  [[ $SYNC == 1 ]] || extra+=(--no-sync)
  if [[ $OUTPUT == dir ]]; then extra+=(--out-dir "$2/out"); else extra+=(--ndjson "$2/out.ndjson"); fi
  "$TOOL" serve "$CWB" --term "$TERM_DIR" --mllp 127.0.0.1:0 --inbox "$2/inbox" \
    -j "$1" --max-pending 1000000 --log-level error "${extra[@]}" > "$2/stdout" 2> "$2/stderr" &
  SERVER_PID=$!
  for _ in $(seq 1 500); do
    PORT=$(sed -n 's/^crosswalk serve: listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$2/stdout")
    [[ -n $PORT ]] && return 0
    sleep 0.02
  done
  echo "bench-serve: the server did not start: $(cat "$2/stderr")" >&2
  exit 1
}
stop_server() {
  kill "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=
}

echo "crosswalk serve benchmark: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), sync=$SYNC, output=$OUTPUT"
for j in 1 2; do
  dir=$WORK/j$j
  mkdir -p "$dir"
  start_server "$j" "$dir"
  out=$dir/out
  [[ $OUTPUT == dir ]] || out=$dir/out.ndjson
  echo "-j $j throughput: $(python3 "$WORK/load.py" burst "$PORT" "$out" "$N")"
  stop_server
  rm -rf "$dir"
  mkdir -p "$dir"
  # The burst leaves hundreds of MB of dirty pages; the kernel writing them back while the latency phase runs
  # would be measured as that phase's fsync stalls (p99 at -j 1 went from about 1 ms to 8-17 ms).
  sync
  start_server "$j" "$dir"
  echo "-j $j latency:    $(python3 "$WORK/load.py" rate "$PORT" "$RATE" "$DURATION")"
  stop_server
done
