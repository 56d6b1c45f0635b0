#!/usr/bin/env bash
# The main job: convert the sample HL7 v2 messages into FHIR R4 transaction Bundles with the shipped maps.
#
#   tools/scripts/main-job.sh [BUILD_DIR] [INPUT_DIR]
#
# BUILD_DIR defaults to ./build (configured and built: `cmake -S . -B build -G Ninja && ninja -C build`,
# which compiles <build>/maps/hl7v2-to-fhir.cwb and seeds <build>/terminology). INPUT_DIR defaults to
# tests/golden/messages: real messages of every supported type (ADT A01-A16/A25-A29/A31/A40/A41/A45/A47/
# A60, ORU^R01, ORM^O01, OML^O21, OMG^O19, OUL^R22-R24, SIU^S12, VXU^V04, MDM^T01-T10, BAR^P01/P02/P12,
# DFT^P03/P11, REF^I12/I14, RDE^O11/O25, RDS^O13, PPR^PC1-PC3) plus one deliberately rejected message (an
# ORU with no trigger event), reported as a rejection. One JSON file per message is written to <build>/out/.
#
# Then two more jobs on the golden FHIR inputs (tests/golden/fhir): FHIR R4 -> the internal model
# (docs/internal-model.md; <build>/maps/fhir-to-internal.cwb, outputs in <build>/out/internal/) and
# FHIR R4 -> HL7 v2 ORU^R01 (<build>/maps/fhir-to-hl7v2.cwb, outputs in <build>/out/oru/, one ER7 file per
# input). now() is fixed (--now) so that the ORU outputs are reproducible. One summary is printed per job.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$here/build}"
input="${2:-$here/tests/golden/messages}"
tool="$build/tools/crosswalk"
program="$build/maps/hl7v2-to-fhir.cwb"
internal_program="$build/maps/fhir-to-internal.cwb"
oru_program="$build/maps/fhir-to-hl7v2.cwb"
fhir_input="$here/tests/golden/fhir"
now="${CW_NOW:-2024-05-01T10:00:00Z}"
term="$build/terminology"
out="$build/out"

for f in "$tool" "$program" "$internal_program" "$oru_program" "$term"; do
  if [[ ! -e "$f" ]]; then
    echo "main-job: $f is missing; build first: cmake -S $here -B $build -G Ninja && ninja -C $build" >&2
    exit 1
  fi
done

rm -rf "$out"
mkdir -p "$out"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

status=0
# Only the .hl7 files of the input directory (the golden folder also holds the expected bundles).
staging="$(mktemp -d)"
trap 'rm -f "$log"; rm -rf "$staging"' EXIT
find "$input" -maxdepth 1 -name '*.hl7' -exec cp {} "$staging/" \;

"$tool" run "$program" --term "$term" --in "$staging" --out-dir "$out" 2>"$log" || status=$?
sed "s|$staging/||g" "$log" | grep -v ': rejected: ' | grep -v '^crosswalk run: ' || true

converted=$(find "$out" -name '*.json' | wc -l)
echo "== job 1: HL7 v2 -> FHIR R4: converted $converted bundle(s) in $out"
find "$out" -name '*.json' -printf '   %f\n' | sort
rejections="$(sed "s|$staging/||g" "$log" | grep ': rejected: ' || true)"
if [[ -n "$rejections" ]]; then
  echo "== rejected (with reasons):"
  echo "$rejections" | sed 's/^/   /'
fi
grep '^crosswalk run: ' "$log" || true

# crosswalk run exits 3 when some messages were rejected: expected here (the unsupported sample).
case "$status" in
  0|3) ;;
  *) echo "main-job: crosswalk run failed (exit $status)" >&2; exit "$status" ;;
esac

# Jobs 2 and 3: the golden FHIR inputs (NAME.json; the NAME.expected.* files beside them are skipped).
fhir_job() {  # fhir_job TITLE PROGRAM INPUT_SUBDIR OUT_SUBDIR EXT
  local title="$1" prog="$2" in_dir="$fhir_input/$3" out_dir="$out/$4" ext="$5" rc=0 n=0 ok=0
  mkdir -p "$out_dir"
  local errs="$(mktemp)"
  for f in "$in_dir"/*.json; do
    [[ "$f" == *.expected.* ]] && continue
    n=$((n + 1))
    local name="$(basename "$f" .json)"
    if "$tool" run "$prog" --term "$term" --from json --now "$now" --quiet --in "$f" \
         --out "$out_dir/$name.$ext" 2>>"$errs"; then
      ok=$((ok + 1))
    else
      rm -f "$out_dir/$name.$ext"
      rc=1
    fi
  done
  echo "== $title: converted $ok of $n input(s) in $out_dir"
  find "$out_dir" -type f -printf '   %f\n' | sort
  if [[ -s "$errs" ]]; then
    echo "== rejected (with reasons):"
    sed "s|$in_dir/||g; s/^/   /" "$errs"
  fi
  rm -f "$errs"
  return $rc
}

fhir_status=0
fhir_job "job 2: FHIR R4 -> internal model" "$internal_program" internal internal json || fhir_status=1
fhir_job "job 3: FHIR R4 -> HL7 v2 ORU^R01 (now() = $now)" "$oru_program" oru oru hl7 || fhir_status=1
exit $fhir_status
