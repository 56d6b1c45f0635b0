#!/usr/bin/env bash
# The test command: installs what is missing, builds everything once (warnings are errors), runs every test
# with CTest, then runs the whole suite again under ASan + UBSan (the `asan` preset, build-asan/).
# The timed libFuzzer campaigns are not part of it: `tools/scripts/test-sanitizers.sh` runs them (every fuzz
# seed and regression input is replayed by the suite itself, in both builds).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/install-deps.sh
bash tools/scripts/build.sh -DCW_WERROR=ON
ctest --test-dir "${CW_BUILD_DIR:-build}" -j "$(nproc)" --output-on-failure --timeout 600
if [ "${CW_SKIP_ASAN:-0}" != 1 ]; then
  CW_SANITIZERS=asan bash tools/scripts/test-sanitizers.sh
fi
