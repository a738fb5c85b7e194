#!/usr/bin/env bash
# End-to-end test of the VS Code extension in a real VS Code, headless. On a fresh machine it
# installs code-server, Chromium and playwright-core (install-tools.sh beside this file, about 2
# to 6 minutes the first time, a second afterwards), builds the server and the .vsix, then runs
# e2e.mjs. Prints "N passed, N failed" last and exits non-zero on any failure.
#
#   bash tests/editors/vscode/run.sh
#
# Env: E2E_ROOT (default /tmp/vscode-e2e), RATIONALE_BIN (a prebuilt server to bundle instead of
# building one), E2E_SKIP_PACKAGE=1 (reuse editors/vscode/rationale.vsix as it is).
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
export E2E_ROOT="${E2E_ROOT:-/tmp/vscode-e2e}"

echo "==> VS Code for tests (code-server, Chromium, playwright-core) in $E2E_ROOT"
install_log="$(mktemp /tmp/rationale-install-vscode.XXXXXX.log)"
if ! bash "$root/tests/editors/vscode/install-tools.sh" >"$install_log" 2>&1; then
  tail -n 40 "$install_log" >&2
  echo "install-tools.sh failed; its whole output is in $install_log" >&2
  exit 1
fi
grep -E 'ready in' "$install_log" || true
rm -f "$install_log"
[ -x "$E2E_ROOT/bin/code-server" ] || { echo "install-tools.sh did not leave $E2E_ROOT/bin/code-server" >&2; exit 1; }

if [ -z "${E2E_SKIP_PACKAGE:-}" ]; then
  if [ -z "${RATIONALE_BIN:-}" ]; then
    echo "==> building the server"
    cargo build --release --locked -p rationale
    export RATIONALE_BIN="$root/target/release/rationale"
  fi
  echo "==> packaging the extension"
  bash editors/vscode/package.sh
fi

echo "==> running the end-to-end test"
node tests/editors/vscode/e2e.mjs
