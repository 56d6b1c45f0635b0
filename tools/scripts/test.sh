#!/usr/bin/env bash
# The test command: installs what is missing, builds everything once, and runs every test with CTest.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/install-deps.sh
bash tools/scripts/build.sh
ctest --test-dir "${CW_BUILD_DIR:-build}" -j "$(nproc)" --output-on-failure --timeout 600
