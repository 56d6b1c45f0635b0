#!/usr/bin/env bash
# The main job: installs what is missing, builds (compiling maps/ into build/maps/*.cwb and seeding the
# RocksDB terminology store in build/terminology), then converts the sample HL7 v2 messages into FHIR R4
# Bundles in build/out/ and prints a summary.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/install-deps.sh
bash tools/scripts/build.sh
bash tools/scripts/main-job.sh
