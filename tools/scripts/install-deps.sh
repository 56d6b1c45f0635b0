#!/usr/bin/env bash
# Installs everything Crosswalk needs to build and test on Debian 12 (run as root, or with sudo available).
# Usage: install-deps.sh [fuzz]
#   fuzz: also clang 14 with its sanitizer and libFuzzer runtimes (libclang-rt-14-dev ships
#         libclang_rt.fuzzer*.a), for the `fuzz` preset and tools/scripts/test-sanitizers.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pkgs=(build-essential cmake ninja-build ccache pkg-config
      antlr4 libantlr4-runtime-dev
      librocksdb-dev nlohmann-json3-dev libfmt-dev libcurl4-openssl-dev libssl-dev libre2-dev libcli11-dev
      googletest libgtest-dev libgmock-dev libbenchmark-dev
      python3)
if [ "${1:-}" = "fuzz" ]; then
  pkgs+=(clang clang-14 libclang-rt-14-dev)
elif [ $# -gt 0 ]; then
  echo "usage: install-deps.sh [fuzz]" >&2
  exit 2
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js and npm run the FHIR validator of the tests; a node that is already there (e.g. NodeSource's,
# which bundles npm) is kept.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The outside FHIR R4 validator the tests run over the maps' outputs (tests/validator/README.md): exact
# versions from its package-lock.json, installed once (again when the lock file changes).
validator="$root/tests/validator"
if [ ! -f "$validator/node_modules/.package-lock.json" ] || \
   [ "$validator/package-lock.json" -nt "$validator/node_modules/.package-lock.json" ]; then
  (cd "$validator" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
# The MLLP client no one here wrote, for the crosswalk serve interop test (tests/serve/package.json). Best
# effort: without the registry the test reports itself skipped.
interop="$root/tests/serve"
if [ ! -d "$interop/node_modules/@medplum/hl7" ]; then
  (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
    echo "install-deps: npm ci in tests/serve failed; the @medplum/hl7 interop test will be skipped" >&2
fi
