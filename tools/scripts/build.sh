#!/usr/bin/env bash
# Configures and builds Crosswalk (and its tests, benchmarks, compiled maps and seeded terminology store)
# into ./build. Usage: tools/scripts/build.sh [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${CW_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${CW_BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
