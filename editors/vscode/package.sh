#!/usr/bin/env bash
# Builds the Rationale extension and packages it, with the server binary for this platform
# inside, as editors/vscode/rationale.vsix.
#
#   bash editors/vscode/package.sh            builds the server (cargo, release) if need be
#   RATIONALE_BIN=/path/to/rationale bash editors/vscode/package.sh    bundles that binary instead
#
# Needs Node 20 and npm; everything else comes from package-lock.json. Works offline once the
# npm cache holds the locked packages.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

exe=rationale
case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW* | MSYS* | CYGWIN*) os=win32; exe=rationale.exe ;;
  *) echo "package.sh: unsupported OS $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "package.sh: unsupported CPU $(uname -m)" >&2; exit 1 ;;
esac
target="$os-$arch"

bin="${RATIONALE_BIN:-}"
if [ -z "$bin" ]; then
  bin="$root/target/release/$exe"
  echo "==> building the server (cargo build --release -p rationale)"
  (cd "$root" && cargo build --release --locked -p rationale)
fi
[ -x "$bin" ] || { echo "package.sh: no server binary at $bin" >&2; exit 1; }
version_line="$("$bin" --version)"
echo "==> bundling $version_line from $bin"

echo "==> npm ci"
# Install scripts are not needed: esbuild finds its binary through its optional dependency, and
# vsce's signing and keychain helpers are only used to publish.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

echo "==> type check and bundle"
npx tsc --noEmit -p .
node esbuild.mjs

rm -rf server
mkdir -p server
cp "$bin" "server/$exe"
chmod 755 "server/$exe"
# The release profile keeps line tables for backtraces; the shipped copy does without them
# (a quarter of the size). Symbol names stay, so a panic still names its functions.
if command -v strip >/dev/null && [ "$os" != win32 ]; then
  strip --strip-debug "server/$exe" 2>/dev/null || strip -S "server/$exe"
fi

echo "==> vsce package ($target)"
npx vsce package --target "$target" --out rationale.vsix --allow-missing-repository --skip-license
ls -l rationale.vsix
