#!/usr/bin/env bash
# The fast tier: tests named *.unit.test.ts — no sshd, browser, VS Code or training; the engine's
# Search and NodeExecutor run against the in-memory backend. `npm test` runs these and the rest.
# Lint and compile are incremental here (eslint's cache, tsc -b's build info in out/), so a re-run
# after an edit spends its time on the tests; `npm test` always builds from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
npx eslint --cache --cache-location out/.eslintcache src webview test bench fixtures
npx tsc -b
# Only tests whose source still exists (a moved or deleted test leaves its old .js in out/).
mapfile -t files < <(cd out && find test -name '*.unit.test.js' | sort | while read -r f; do [ -f "../${f%.js}.ts" ] && echo "out/$f"; done)
[ "${#files[@]}" -gt 0 ] || { echo "error: no unit tests found under out/test" >&2; exit 1; }
exec node --test "$@" "${files[@]}"
