#!/usr/bin/env bash
# Runs the outside FHIR R4 validator (validate.js, Medplum's) over FHIR outputs of the shipped maps.
#
#   tests/validator/check.sh files DIR_OR_FILE...          validate these FHIR JSON files (golden bundles)
#   tests/validator/check.sh convert BUILD_DIR INPUT_DIR   convert every HL7 v2 message under INPUT_DIR with
#                                                          BUILD_DIR/maps/hl7v2-to-fhir.cwb, validate every bundle
#
# Exit 0 when every resource is valid; 1 on an invalid resource; 2 when it cannot run (no node, no
# node_modules: run tools/scripts/install-deps.sh). Rejections by `crosswalk run` are not this test's business
# (tests/unit/maps checks them); only the bundles written are validated.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v node >/dev/null 2>&1; then
  echo "check.sh: node is not installed: run tools/scripts/install-deps.sh" >&2
  exit 2
fi
mode="${1:-}"
shift || true
case "$mode" in
  files)
    exec node "$here/validate.js" "$@"
    ;;
  convert)
    build="$1" input="$2"
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
    rc=0
    "$build/tools/crosswalk" run "$build/maps/hl7v2-to-fhir.cwb" --term "$build/terminology" --in "$input" \
        --now 2024-01-01T00:00:00Z --out-dir "$out" -j 1 --quiet 2>"$out/.log" || rc=$?
    if [[ $rc -ne 0 && $rc -ne 3 ]]; then   # 3: some messages were rejected
      echo "check.sh: crosswalk run failed (exit $rc)" >&2
      head -20 "$out/.log" >&2
      exit 2
    fi
    n=$(find "$out" -name '*.json' | wc -l)
    if [[ $n -eq 0 ]]; then
      echo "check.sh: no bundle was written from $input" >&2
      exit 1
    fi
    node "$here/validate.js" "$out"
    ;;
  *)
    echo "usage: check.sh files PATH... | check.sh convert BUILD_DIR INPUT_DIR" >&2
    exit 2
    ;;
esac
