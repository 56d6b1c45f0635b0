#!/usr/bin/env bash
# The training run of the profile-guided build (tools/scripts/build.sh): the instrumented `crosswalk` of GEN
# converts the repository's own HL7 v2 messages with the shipped router and with the peer workload's map,
# and JSON resources with the FHIR maps, so that the profile weighs the per-message path (reader, VM,
# builtins, JSON writer, terminology cache). Inputs are the goldens' messages (tests/golden), never the
# benchmark's (tests/bench/peer/msgs), so that benchmarks measure messages the profile has not seen.
#
#   tools/scripts/pgo-train.sh GEN_BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
gen=${1:?usage: pgo-train.sh GEN_BUILD_DIR}
cw=$gen/tools/crosswalk
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Runs one conversion; exit 3 (some inputs rejected) is part of the workload, anything else is a broken
# training (a missing program or store) and stops the build rather than leave it a profile of nothing.
run() {
  local rc=0
  "$cw" run "$@" --out /dev/null 2>/dev/null || rc=$?
  if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
    echo "pgo-train.sh: crosswalk run $* failed (exit $rc)" >&2
    exit 1
  fi
}

"$cw" compile "$root/tests/bench/peer/peer.cw" -o "$scratch/peer.cwb" >/dev/null
messages=$scratch/messages
fhir=$root/tests/golden/fhir
mkdir "$messages"
cp "$root"/tests/golden/messages/*.hl7 "$messages/"   # the messages, not the expected Bundles beside them
# Counts, not coverage, tell hot from cold: the router's messages three times; the peer map, which does a
# tenth of the router's work per message, ten times, so that its builtins (substring, is_number) weigh too.
for _ in 1 2 3; do
  run "$gen/maps/hl7v2-to-fhir.cwb" --term "$gen/terminology" --in "$messages" -j 1 \
    --now 2024-01-01T00:00:00Z --zone +00:00
done
for _ in 1 2 3 4 5 6 7 8 9 10; do
  run "$scratch/peer.cwb" --in "$messages" -j 1
done
for pair in internal:fhir-to-internal oru:fhir-to-hl7v2; do
  for f in "$fhir/${pair%%:*}"/*.json; do
    [[ "$f" == *.expected.* ]] && continue
    run "$gen/maps/${pair#*:}.cwb" --term "$gen/terminology" --from json --now 2024-01-01T00:00:00Z \
      --quiet --in "$f"
  done
done
