#!/usr/bin/env bash
# Runs every test of Rationale: the server's unit tests and the black-box protocol tests, which
# drive the release binary over stdio. Usage: bash tests/run.sh [extra nextest/cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building the server (release)"
cargo build --release --locked -p rationale
# The benchmarks are not run here (they measure, they do not test), but they must keep compiling.
cargo bench --locked --no-run -p rationale >/dev/null 2>&1 || cargo bench --locked --no-run -p rationale

export RATIONALE_BIN="$PWD/target/release/rationale"
echo "==> running the tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --release --workspace --no-fail-fast "$@"
else
  cargo test --locked --release --workspace --no-fail-fast "$@"
fi
