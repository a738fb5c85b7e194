#!/usr/bin/env bash
# Runs every test of Rationale: the server's unit tests, the black-box protocol tests (the release
# binary over stdio), and the end-to-end tests in the real editors.
# On a fresh machine it first installs what the tests need (tests/setup.sh says what and how).
# Usage: bash tests/run.sh [extra nextest/cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> what the tests need (tests/setup.sh)"
PYTHON=$(bash tests/setup.sh)

echo "==> building the server (release)"
cargo build --release --locked -p rationale
# The benchmarks are not run here (they measure, they do not test), but they must keep compiling.
cargo bench --locked --no-run -p rationale >/dev/null 2>&1 || cargo bench --locked --no-run -p rationale

export RATIONALE_BIN="$PWD/target/release/rationale"
status=0
echo "==> the server's and the protocol tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --release --workspace --no-fail-fast "$@" || status=1
else
  cargo test --locked --release --workspace --no-fail-fast "$@" || status=1
fi

echo "==> the export read by DuckDB"
"$PYTHON" tests/dataset/test_duckdb.py || status=1

echo "==> Neovim, end to end"
RATIONALE_SERVER_PATH="$RATIONALE_BIN" bash tests/editors/nvim/run.sh || status=1

echo "==> VS Code, end to end"
bash tests/editors/vscode/run.sh || status=1

echo "==> Emacs, end to end"
RATIONALE_SERVER_PATH="$RATIONALE_BIN" bash tests/editors/emacs/run.sh || status=1

exit $status
