#!/usr/bin/env bash
# Installs what TREX needs on Debian/Ubuntu, skipping what is already there.
#   .ci/setup.sh demo    python3-torch + OpenBLAS, node modules, build
#   .ci/setup.sh tests   the above plus the test tools (OpenSSH server, Chromium, SLURM, code-server) and .venv-tracking
#   .ci/setup.sh bench   the same tools, for the benchmarks; tests and bench install Optuna in .venv-bench
# Every mode also makes the trainer venv .venv-trainer (trainer/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-demo}

apt_packages=(python3 python3-venv python3-torch libopenblas0-pthread procps)
case "$mode" in
  # code-server (the real VS Code the extension tests run in) builds native modules when installed.
  tests) apt_packages+=(openssh-server openssh-client chromium iproute2 util-linux bubblewrap g++ make pkg-config libkrb5-dev libsecret-1-dev slurmctld slurmd slurm-client munge) ;;
  bench) apt_packages+=(openssh-server openssh-client chromium) ;;
esac

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
      echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The installs below are independent (npm, three pip venvs, code-server's native build): they run
# side by side, each into its own log, printed when it ends.
logs=$(mktemp -d)
names=(); pids=()
in_background() {
  local name=$1; shift
  echo "Installing $name"
  "$@" > "$logs/${#pids[@]}.log" 2>&1 &
  names+=("$name"); pids+=($!)
}

node_modules() { npm ci --no-audit --no-fund --loglevel=error; }
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  in_background "node modules" node_modules
fi

# The training side's venv (.venv-trainer: torch, transformers, peft, trl, llamafactory, lm-eval,
# pinned in trainer/requirements.txt); the local backend uses its python by default. Skipped when
# the stamp records the same requirements.
trainer_venv() {
  local venv=.venv-trainer
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r trainer/requirements.txt
  # llamafactory pulls in torchvision, whose wheel does not load against the local CPU torch
  # build (`operator torchvision::nms does not exist`), and transformers then fails to import
  # peft. Nothing here needs torchvision (text models only): drop it when it does not load.
  if ! "$venv/bin/python" -c 'import torchvision' >/dev/null 2>&1; then
    "$venv/bin/python" -m pip uninstall -q -y torchvision
  fi
  # LLaMA-Factory imports torchaudio unconditionally; PyPI's torchaudio ships its C++ extension
  # built against CUDA torch (libc10_cuda.so), so the import fails on the CPU torch. Without the
  # extension files torchaudio imports fine (it skips a missing extension); audio is never used.
  if ! "$venv/bin/python" -c 'import torchaudio' >/dev/null 2>&1; then
    local ta so
    ta=$("$venv/bin/python" -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("torchaudio").origin))')
    for so in "$ta"/lib/*.so; do [ -e "$so" ] && mv "$so" "$so.disabled"; done
    "$venv/bin/python" -c 'import torchaudio'
  fi
  echo "$req_hash" > "$venv/.trex-requirements.sha256"
}
req_hash=$(sha256sum trainer/requirements.txt | cut -d' ' -f1)
if [ "$(cat .venv-trainer/.trex-requirements.sha256 2>/dev/null)" != "$req_hash" ]; then
  in_background "the trainer environment in .venv-trainer (trainer/requirements.txt)" trainer_venv
fi

# The benchmarks compare against Optuna (bench/optuna_driver.py): a small venv of its own
# (.venv-bench, bench/requirements.txt), so the trainer venv is not rebuilt for it.
bench_venv() {
  python3 -m venv .venv-bench  # idempotent on an existing venv
  .venv-bench/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements.txt
  echo "$bench_hash" > .venv-bench/.trex-requirements.sha256
}
bench_hash=$(sha256sum bench/requirements.txt | cut -d' ' -f1)
# The tests run the Optuna driver too (test/bench/optunaPruners.test.ts).
if [ "$mode" != demo ] && [ "$(cat .venv-bench/.trex-requirements.sha256 2>/dev/null)" != "$bench_hash" ]; then
  in_background "the benchmark environment in .venv-bench (bench/requirements.txt)" bench_venv
fi

# The experiment trackers for the tracking tests (a real `mlflow server`, the wandb and tensorboard
# packages that write and read back runs): a venv of their own (.venv-tracking,
# trainer/requirements-tracking.txt), kept apart from the trainer's pinned set. TREX also uses it,
# when present, to write W&B and TensorBoard runs.
tracking_venv() {
  python3 -m venv .venv-tracking  # idempotent on an existing venv
  .venv-tracking/bin/python -m pip install -q --disable-pip-version-check -r trainer/requirements-tracking.txt
  echo "$track_hash" > .venv-tracking/.trex-requirements.sha256
}
track_hash=$(sha256sum trainer/requirements-tracking.txt | cut -d' ' -f1)
if [ "$mode" = tests ] && [ "$(cat .venv-tracking/.trex-requirements.sha256 2>/dev/null)" != "$track_hash" ]; then
  in_background "the tracking environment in .venv-tracking (trainer/requirements-tracking.txt)" tracking_venv
fi

# The real VS Code the extension tests run in (code-server and Node 24, into .vscode-test/).
if [ "$mode" = tests ]; then
  bash test/vscode/install-code-server.sh --check .vscode-test \
    || in_background "code-server into .vscode-test (the VS Code of the extension tests)" bash test/vscode/install-code-server.sh .vscode-test
fi

failed=()
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then
    sed 's/^/  /' "$logs/$i.log"
    echo "Installed ${names[$i]}"
  else
    cat "$logs/$i.log" >&2
    echo "error: installing ${names[$i]} failed (its output is above)" >&2
    failed+=("${names[$i]}")
  fi
done
rm -rf "$logs"
[ ${#failed[@]} -eq 0 ] || exit 1

node esbuild.mjs
