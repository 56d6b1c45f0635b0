#!/usr/bin/env bash
# Installs everything Crosswalk needs to build and test on Debian 12 (run as root, or with sudo available).
set -euo pipefail
pkgs=(build-essential cmake ninja-build ccache pkg-config
      antlr4 libantlr4-runtime-dev
      librocksdb-dev nlohmann-json3-dev libfmt-dev
      googletest libgtest-dev libgmock-dev libbenchmark-dev
      python3)
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
