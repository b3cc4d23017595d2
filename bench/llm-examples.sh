#!/usr/bin/env bash
# examples/tiny-sft through each LLM framework (hf, trl, llamafactory): `trex init` + `trex run
# --budget 4` on the CPU, then a table of each node's accuracy and the run's wall time.
# Needs a built CLI (dist/cli.js) and the trainer venv (.venv-trainer, from .ci/setup.sh tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export TREX_PYTHON="${TREX_PYTHON:-$PWD/.venv-trainer/bin/python}"
export TREX_CACHE="${TREX_CACHE:-$PWD/.trex-cache}"
export CUDA_VISIBLE_DEVICES= HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rows=()
for fw in hf trl llamafactory; do
  dir="$work/$fw"
  node dist/cli.js init "$dir" --from tiny-sft >/dev/null
  sed -i "s/framework: trl,/framework: $fw,/" "$dir/trex.yaml"
  start=$(date +%s)
  node dist/cli.js run "$dir" --budget 4 >"$work/$fw.log" 2>&1 || { echo "$fw: run failed, see below"; tail -20 "$work/$fw.log"; }
  secs=$(( $(date +%s) - start ))
  scores=$(node dist/cli.js status "$dir" --json | node -e 'const s=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(s.nodes.map(n=>`${n.id}=${n.status==="succeeded"?n.score:n.status}`).join(" "))')
  rows+=("$(printf '%-13s %6ss  %s' "$fw" "$secs" "$scores")")
done
printf '%-13s %7s  %s\n' framework wall 'accuracy per node'
printf '%s\n' "${rows[@]}"
