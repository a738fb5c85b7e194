#!/usr/bin/env bash
# Try Rationale in Neovim, from a fresh clone, in one command:
#
#   bash try.sh            builds the server, gets Neovim 0.10+ if needed, copies the sample
#                          project (examples/sample) to a temporary folder and opens it
#   bash try.sh --check    the same up to opening Neovim, then checks headless that the server
#                          attaches and a change to `greet` raises the prompt; exits 0 if so
#
# Your clone stays clean: the sample is copied, and its journal is written in the copy.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")" && pwd)
CHECK=0
case "${1:-}" in
  --check) CHECK=1 ;;
  "") ;;
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "try.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
esac

if [ -t 2 ]; then
  say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
else
  say() { printf '==> %s\n' "$*" >&2; }
fi

# 1. The server.
if ! command -v cargo >/dev/null; then
  echo "Rationale's server is written in Rust and cargo is not on PATH." >&2
  echo "Install Rust (https://rustup.rs), open a new shell, and run try.sh again." >&2
  exit 1
fi
say "Building the server (cargo build --release; a few minutes the first time)"
(cd "$ROOT" && cargo build --release -p rationale)
SERVER="$ROOT/target/release/rationale"

# 2. Neovim 0.10 or later.
say "Looking for Neovim 0.10 or later"
NVIM=$(bash "$ROOT/editors/nvim/scripts/ensure-nvim.sh")
say "Using $("$NVIM" --version | head -n 1) ($NVIM)"

# 3. The sample project, copied so the clone stays clean, and an init.lua that loads the plugin
# from the clone the way editors/nvim/README.md says (and nothing of your own configuration).
TRY=$(mktemp -d "${TMPDIR:-/tmp}/rationale-try.XXXXXX")
WORK="$TRY/sample"
mkdir -p "$WORK"
cp -R "$ROOT/examples/sample/." "$WORK/"
cat > "$TRY/init.lua" <<INIT
vim.g.rationale = { server = [[$SERVER]] }
vim.opt.runtimepath:prepend([[$ROOT/editors/nvim]])
-- On Neovim 0.10 (no vim.lsp.enable) the plugin starts the server by itself.
if vim.lsp.enable then vim.lsp.enable('rationale') end

-- For the try-out only: line numbers, a sign column, help tags, and a hint at start.
vim.o.number = true
vim.o.signcolumn = 'yes'
pcall(vim.cmd.helptags, [[$ROOT/editors/nvim/doc]])
vim.api.nvim_create_autocmd('VimEnter', { callback = function()
  vim.api.nvim_echo({ { 'Rationale: change greet, wait a second, then press gra in it (:help rationale)' } }, false, {})
end })
INIT
if [ "$CHECK" = 1 ]; then
  say "Checking headless: the server attaches and a change to greet raises the prompt"
  cat > "$TRY/check.lua" <<'CHECK'
local function out(s) io.stdout:write(s .. '\n') end
vim.cmd.edit('greet.py')
local attached = vim.wait(15000, function()
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'rationale' })[1]
  return client and client.initialized
end, 50)
if not attached then out('try.sh --check: the Rationale server did not attach to greet.py'); vim.cmd('cquit 1') end
out('try.sh --check: the server attached to greet.py')
vim.api.nvim_win_set_cursor(0, { vim.fn.search('Hello, '), 0 })
vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('0fHcwHi<Esc>', true, false, true), 'xt', false)
local prompt
vim.wait(15000, function()
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.source == 'rationale' and d.message:find('greet', 1, true) then prompt = d.message return true end
  end
end, 50)
if not prompt then out('try.sh --check: no prompt appeared after changing greet'); vim.cmd('cquit 1') end
out('try.sh --check: changing greet raised the prompt "' .. prompt .. '"')
vim.cmd('qall!')
CHECK
  set +e
  (cd "$WORK" && XDG_STATE_HOME="$TRY/state" timeout 60 "$NVIM" --headless --clean -u "$TRY/init.lua" -l "$TRY/check.lua" </dev/null 2>/dev/null)
  code=$?
  set -e
  rm -rf "$TRY"
  if [ "$code" = 0 ]; then say "All set: bash try.sh opens it for you to try"; else echo "try.sh --check failed (exit $code)" >&2; fi
  exit "$code"
fi

cat >&2 <<HELP

  Neovim opens with Rationale on a copy of the sample project: $WORK

  1. In greet.py, change greet (make "Hello" say "Hi"), leave insert mode and wait a second:
     "Explain the change to function \`greet\`" appears on its name.
  2. With the cursor in greet, press gra (or :lua vim.lsp.buf.code_action()), pick Explain,
     type why you changed it (15 characters at least) and press Enter.
  3. :Rationale pending lists what is left to explain, :help rationale says the rest, :qa quits.

HELP
if [ -t 0 ] && [ -t 2 ]; then
  read -r -p "Press Enter to open Neovim... " _ || true
fi
(cd "$WORK" && "$NVIM" --clean -u "$TRY/init.lua" greet.py)

JOURNAL=$(ls -t "$WORK"/.rationale/sessions/*.jsonl 2>/dev/null | head -n 1 || true)
if [ -n "$JOURNAL" ]; then
  PAIRS=$(grep -c '"type": *"rationale"' "$JOURNAL" || true)
  echo >&2
  say "$PAIRS rationale(s) recorded in $JOURNAL"
  echo "    read it:  less $JOURNAL" >&2
  echo "    check it: $SERVER verify $WORK" >&2
fi
