#!/usr/bin/env bash
# `npm test`: Biome and actionlint (scripts/lint.sh), then the type check and jest side by side: tsc needs about 4 s of
# one core, and jest's start and its last files leave a core idle. The type check's output is printed after jest's,
# and npm test fails when either fails. Arguments go to jest (`npm test -- test/policies.test.ts`).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/lint.sh || exit $?
mkdir -p node_modules/.cache/tsc
tsc_log=$(mktemp)
tsc --noEmit -p tsconfig.json --incremental --tsBuildInfoFile node_modules/.cache/tsc/tsconfig.tsbuildinfo > "$tsc_log" 2>&1 &
tsc_pid=$!
jest_status=0
jest "$@" || jest_status=$?
tsc_status=0
wait "$tsc_pid" || tsc_status=$?
if [ "$tsc_status" -ne 0 ]; then
    cat "$tsc_log"
    echo "tsc --noEmit failed ($tsc_status)" >&2
fi
rm -f "$tsc_log"
if [ "$jest_status" -ne 0 ]; then exit "$jest_status"; fi
exit "$tsc_status"
