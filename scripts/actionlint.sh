#!/usr/bin/env bash
# actionlint (github.com/rhysd/actionlint, pinned by scripts/actionlint/go.mod and go.sum) over the GitHub workflows.
# Built from the Go module proxy into scripts/actionlint/bin (gitignored) once per pin and Go version, as
# `npm run engine:build` builds the Pulumi CLI; a rebuild is a few seconds, the first build downloads the modules.
# Arguments: workflow files (default: every .github/workflows/*.yml). actionlint also runs shellcheck over `run:`
# scripts when shellcheck is on PATH (a Debian package; not required).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/scripts/actionlint"
# Go from PATH, else from Go's default install location (a fresh clone's CI may run with a bare PATH).
go="$(command -v go || echo /usr/local/go/bin/go)"
if [ ! -x "$go" ]; then
    echo "actionlint: Go is needed to build it (https://go.dev/dl/); npm test runs it over .github/workflows" >&2
    exit 2
fi
stamp="$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -d' ' -f1) $("$go" version)"
bin="$dir/bin/actionlint"
if [ ! -x "$bin" ] || [ "$(cat "$dir/bin/.stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "actionlint: building $(grep -o 'github.com/rhysd/actionlint v[^ ]*' "$dir/go.mod") from Go modules" >&2
    (cd "$dir" && "$go" build -o bin/actionlint github.com/rhysd/actionlint/cmd/actionlint)
    printf '%s' "$stamp" > "$dir/bin/.stamp"
fi
if [ "$#" -eq 0 ]; then set -- .github/workflows/*.yml; fi
cd "$root"
exec "$bin" "$@"
