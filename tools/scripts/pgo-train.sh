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

"$cw" compile "$root/tests/bench/peer/peer.cw" -o "$scratch/peer.cwb" >/dev/null
messages=$scratch/messages
fhir=$root/tests/golden/fhir
mkdir "$messages"
cp "$root"/tests/golden/messages/*.hl7 "$messages/"   # the messages, not the expected Bundles beside them
# Counts, not coverage, tell hot from cold: the router's messages three times; the peer map, which does a
# tenth of the router's work per message, ten times, so that its builtins (substring, is_number) weigh too.
# Rejections (messages the peer map has no map for) are part of the workload.
for _ in 1 2 3; do
  "$cw" run "$gen/maps/hl7v2-to-fhir.cwb" --term "$gen/terminology" --in "$messages" --out /dev/null -j 1 \
    --now 2024-01-01T00:00:00Z --zone +00:00 2>/dev/null || true
done
for _ in 1 2 3 4 5 6 7 8 9 10; do
  "$cw" run "$scratch/peer.cwb" --in "$messages" --out /dev/null -j 1 2>/dev/null || true
done
for pair in internal:fhir-to-internal oru:fhir-to-hl7v2; do
  for f in "$fhir/${pair%%:*}"/*.json; do
    [[ "$f" == *.expected.* ]] && continue
    "$cw" run "$gen/maps/${pair#*:}.cwb" --term "$gen/terminology" --from json --now 2024-01-01T00:00:00Z \
      --quiet --in "$f" --out /dev/null 2>/dev/null || true
  done
done
