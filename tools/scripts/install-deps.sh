#!/usr/bin/env bash
# Installs everything Crosswalk needs to build and test on Debian 12 (run as root, or with sudo available).
# Usage: install-deps.sh [fuzz]
#   fuzz: also clang 14 with its sanitizer and libFuzzer runtimes (libclang-rt-14-dev ships
#         libclang_rt.fuzzer*.a), for the `fuzz` preset and tools/scripts/test-sanitizers.sh.
set -euo pipefail
pkgs=(build-essential cmake ninja-build ccache pkg-config
      antlr4 libantlr4-runtime-dev
      librocksdb-dev nlohmann-json3-dev libfmt-dev
      googletest libgtest-dev libgmock-dev libbenchmark-dev)
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
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
