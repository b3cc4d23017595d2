#!/usr/bin/env bash
# The whole test suite: install what the tests need (skipped when present), build the base models
# the tests train from (cached, under a lock) while the layers are linted, compiled and bundled,
# then node's test runner over every test file, two at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${TREX_SKIP_SETUP:-}" ] || bash .ci/setup.sh tests
export TREX_CACHE=${TREX_CACHE:-$PWD/.trex-cache}
python=$(for p in "${TREX_PYTHON:-}" "$PWD/.venv-trainer/bin/python" python3 /usr/bin/python3; do [ -n "$p" ] && "$p" -c 'import torch' 2>/dev/null && { echo "$p"; break; }; done)
[ -n "$python" ] || { echo "error: no python with torch; run: bash .ci/setup.sh tests" >&2; exit 1; }
export TREX_PYTHON=$python

models_log=$(mktemp)
(
  "$python" trainer/trex_micro.py pretrain --base micro-gpt --cache "$TREX_CACHE" >/dev/null
  if "$python" -c 'import transformers' 2>/dev/null; then "$python" trainer/trex_llm/tiny_model.py --cache "$TREX_CACHE" >/dev/null; fi
) > "$models_log" 2>&1 &
models=$!

rm -rf out
npx eslint src webview test bench fixtures
npx tsc -b
node esbuild.mjs
if ! wait "$models"; then cat "$models_log" >&2; echo "error: building the base models failed (output above)" >&2; exit 1; fi
rm -f "$models_log"
# Two test files at a time: much of a file's time is imports, subprocess start-up and waits on
# servers (sshd, SLURM, code-server, the fake LLM), which leave a core idle on a 2-core machine.
# Every test controls its jobs' lifetimes instead of timing them, so they hold under this load.
exec node --test --test-concurrency=2 --test-timeout=1200000 "$@" out/test/
