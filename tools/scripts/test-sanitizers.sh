#!/usr/bin/env bash
# The sanitizer job: the whole suite under ASan + UBSan (`asan` preset, build-asan/), then every libFuzzer
# target for a bounded time plus its regression inputs (`fuzz` preset, build-fuzz/; see tests/fuzz/).
# Installs what is missing first (install-deps.sh fuzz: clang 14 and its runtimes). Safe to run again: both
# builds are incremental and the fuzz corpora grow between runs.
#
#   bash tools/scripts/test-sanitizers.sh               # both parts
#   CW_SANITIZERS=asan bash tools/scripts/test-sanitizers.sh   # only the ASan + UBSan suite
#   CW_SANITIZERS=fuzz CW_FUZZ_SECONDS=60 bash tools/scripts/test-sanitizers.sh   # only the fuzzers, 60 s each
#
# UBSan reports are fatal (halt_on_error), so undefined behaviour fails the test that triggers it; ASan
# reports (leaks included) are fatal by default. A failed configure or build ends the job; failed tests do
# not stop the next part. Prints how long each step took; exit 1 when any step failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
parts=${CW_SANITIZERS:-asan fuzz}
jobs=$(nproc)
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

if [[ " $parts " == *" fuzz "* ]]; then bash tools/scripts/install-deps.sh fuzz; else bash tools/scripts/install-deps.sh; fi

declare -a timings=()
failed=()
report() {
  echo "== timings (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
  printf '%s\n' "${timings[@]}"
  if [ ${#failed[@]} -gt 0 ]; then
    printf '== FAILED: %s\n' "${failed[@]}"
    exit 1
  fi
}
step() {  # step NAME COMMAND...: runs and times one step; a failed build or configure ends the job
  local name=$1 t0 rc=0
  shift
  t0=$(date +%s)
  echo "== $name"
  "$@" || rc=$?
  timings+=("$(printf '%-28s %5ds%s' "$name" $(($(date +%s) - t0)) "$([ $rc -eq 0 ] || echo "  (exit $rc)")")")
  if [ $rc -ne 0 ]; then
    failed+=("$name")
    [[ $name == *run* || $name == *suite* ]] || report
  fi
}

if [[ " $parts " == *" asan "* ]]; then
  step "asan: configure" cmake --preset asan --log-level=WARNING
  step "asan: build" cmake --build build-asan -j "$jobs"
  step "asan: whole suite" ctest --test-dir build-asan -j "$jobs" --output-on-failure --timeout 1800
fi
if [[ " $parts " == *" fuzz "* ]]; then
  step "fuzz: configure" cmake --preset fuzz --log-level=WARNING "-DCW_FUZZ_SECONDS=${CW_FUZZ_SECONDS:-20}"
  step "fuzz: build" cmake --build build-fuzz --target crosswalk_fuzzers -j "$jobs"
  step "fuzz: run (label fuzz)" ctest --test-dir build-fuzz -L fuzz -j "$jobs" --output-on-failure
fi
report
