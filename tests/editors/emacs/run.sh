#!/usr/bin/env bash
# End-to-end test of Rationale in Emacs with eglot, the path of every LSP client without a
# Rationale plugin: a real batch Emacs (28 or later, with the eglot Debian ships as `elpa-eglot`;
# install with `apt-get install emacs-nox elpa-eglot`), the real server, and the journal on disk.
# Runs e2e.el; prints `N passed, N failed` last; exits non-zero on any failure.
#
#   bash tests/editors/emacs/run.sh          # builds the server if needed
#   RATIONALE_SERVER_PATH=/path/to/rationale bash tests/editors/emacs/run.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HERE="$ROOT/tests/editors/emacs"

if ! command -v emacs >/dev/null; then
  echo "not ok - emacs is not installed (apt-get install emacs-nox elpa-eglot)"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "# $(emacs --version | head -n 1)"

SERVER=${RATIONALE_SERVER_PATH:-}
if [ -z "$SERVER" ]; then
  (cd "$ROOT" && cargo build --release --quiet -p rationale)
  SERVER="$ROOT/target/release/rationale"
fi
echo "# $("$SERVER" --version) ($SERVER)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/rationale-emacs-e2e.XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
mkdir -p "$TMP/workspace" "$TMP/home"
# eglot finds the project (the workspace folder it announces) through version control.
git -C "$TMP/workspace" init -q

set +e
# An Emacs of its own: no init file, HOME (and so ~/.emacs.d) under $TMP; the site files stay,
# since they are what puts the distribution's eglot on the load path.
HOME="$TMP/home" RATIONALE_E2E_SERVER="$SERVER" RATIONALE_E2E_WORKSPACE="$TMP/workspace" \
RATIONALE_AUTHOR=e2e@example.invalid \
  timeout 180 env -u RUST_LOG emacs --batch -l "$HERE/e2e.el" >"$TMP/output" 2>"$TMP/stderr" </dev/null
code=$?
set -e
summary_re='^[0-9]+ passed, [0-9]+ failed$'
grep -Ev "$summary_re" "$TMP/output" || true
summary=$(grep -E "$summary_re" "$TMP/output" | tail -n 1 || true)
passed=0 failed=0
if [ -n "$summary" ]; then
  passed=${summary%% passed*}
  failed=${summary##*, }; failed=${failed%% failed}
fi
if [ -z "$summary" ] || [ "$code" -ne 0 ]; then
  # Emacs died, hung or exited badly: say how, and count it as a failure if it did not.
  echo "# emacs exited with $code; the end of its messages:"
  grep -v "^Loading" "$TMP/stderr" | tail -n 40 | sed 's/^/#   /'
  [ "$failed" -gt 0 ] || failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
