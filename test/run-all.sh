#!/usr/bin/env bash
# The whole test suite: install what the tests need (skipped when present), lint the layers, compile, bundle, warm
# the base model once, then node's test runner over every test file.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${TREX_SKIP_SETUP:-}" ] || bash .ci/setup.sh tests
export TREX_CACHE=${TREX_CACHE:-$PWD/.trex-cache}
rm -rf out
npx eslint src webview test bench fixtures
npx tsc -b
node esbuild.mjs
python=$(for p in "${TREX_PYTHON:-}" "$PWD/.venv-trainer/bin/python" python3 /usr/bin/python3; do [ -n "$p" ] && "$p" -c 'import torch' 2>/dev/null && { echo "$p"; break; }; done)
[ -n "$python" ] || { echo "error: no python with torch; run: bash .ci/setup.sh tests" >&2; exit 1; }
export TREX_PYTHON=$python
"$python" trainer/trex_micro.py pretrain --base micro-gpt --cache "$TREX_CACHE" >/dev/null
exec node --test --test-timeout=1200000 "$@" out/test/
