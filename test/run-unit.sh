#!/usr/bin/env bash
# The fast tier: tests named *.unit.test.ts — no sshd, browser, VS Code or training; the engine's
# Search and NodeExecutor run against the in-memory backend. `npm test` runs these and the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
npx eslint src webview test bench fixtures
rm -rf out
npx tsc -b
mapfile -t files < <(find out/test -name '*.unit.test.js' | sort)
exec node --test "$@" "${files[@]}"
