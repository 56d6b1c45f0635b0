#!/usr/bin/env bash
# Configures and builds Crosswalk (and its tests, benchmarks, compiled maps and seeded terminology store)
# into ./build. Usage: tools/scripts/build.sh [extra cmake -D options...]
#
# With GCC the build is profile-guided (docs/performance.md, "The peers again, and a profile-guided build"): an instrumented tree in
# BUILD/pgo/gen (the tool and the maps only) converts the repository's messages (tools/scripts/pgo-train.sh),
# and BUILD is then compiled with that profile. CW_PGO=0 builds without it (one tree, about half the time).
# The training runs once per build folder (a clean clone, CI); later builds keep its profile, and a function
# edited since is compiled without one. CW_PGO_RETRAIN=1 trains again and rebuilds BUILD whole.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${CW_BUILD_DIR:-build}
type=${CW_BUILD_TYPE:-RelWithDebInfo}
pgo=()
if [ "${CW_PGO:-1}" != 0 ] && "${CXX:-c++}" --version 2>/dev/null | grep -q "Free Software Foundation"; then
  gen=$BUILD_DIR/pgo/gen
  profile=$(realpath -m "$BUILD_DIR/pgo/profile")
  trained=$BUILD_DIR/pgo/trained
  if [ ! -f "$trained" ] || [ "${CW_PGO_RETRAIN:-0}" = 1 ]; then
    rm -f "$trained"
    cmake -S . -B "$gen" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DCW_BUILD_TESTS=OFF -DCW_BUILD_BENCHMARKS=OFF \
      -DCW_PGO=generate -DCW_PGO_DIR="$profile" "$@" >/dev/null
    cmake --build "$gen" -j "$(nproc)"
    rm -rf "$profile"  # only the training run's counts (the build itself ran the tool too)
    bash tools/scripts/pgo-train.sh "$gen"
    # Objects compiled with an earlier profile are not rebuilt by Ninja on their own.
    if [ -f "$BUILD_DIR/build.ninja" ]; then cmake --build "$BUILD_DIR" --target clean >/dev/null; fi
    touch "$trained"
  fi
  pgo=(-DCW_PGO=use -DCW_PGO_DIR="$profile")
else
  pgo=(-DCW_PGO=)
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${pgo[@]}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
