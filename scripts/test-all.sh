#!/usr/bin/env bash
# `npm run test:all`: every test. `npm test` (Biome, tsc --noEmit, jest under the SDK's mocks), then the real-engine
# tests (npm run test:engine) with the Pulumi CLI built from Go modules (npm run engine:build: cached in engine/bin,
# rebuilt only when engine/go.mod, go.sum or the Go toolchain change; a cold build downloads ~1.6 GB of modules and
# compiles for ~10 minutes, so it runs beside npm test at the lowest priority, on the CPU the unit tests leave idle).
set -euo pipefail
cd "$(dirname "$0")/.."
build_log=$(mktemp)
# Its own process group (setsid), so a failing npm test can stop the whole build at once.
setsid nice -n 19 npm run engine:build > "$build_log" 2>&1 < /dev/null &
build=$!
test_status=0
npm test || test_status=$?
if [ "$test_status" -ne 0 ]; then
    kill -- -"$build" 2>/dev/null || true
    echo "npm test failed ($test_status); the engine build was stopped" >&2
    exit "$test_status"
fi
build_status=0
wait "$build" || build_status=$?
cat "$build_log"
rm -f "$build_log"
if [ "$build_status" -ne 0 ]; then echo "npm run engine:build failed ($build_status)" >&2; exit "$build_status"; fi
npm run test:engine
