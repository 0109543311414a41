#!/usr/bin/env bash
# npm test's lint step (also `npm run lint`): Biome over the given paths (default: the repository), then actionlint over
# the GitHub workflows. Biome writes ANSI colour codes even into a pipe (about 60 lines of raw codes per CI log), so it
# gets --colors=off unless stdout is a terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then set -- .; fi
if [ -t 1 ]; then biome ci "$@"; else biome ci --colors=off "$@"; fi
bash scripts/actionlint.sh
