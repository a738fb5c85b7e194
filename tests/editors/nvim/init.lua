-- The init.lua of the end-to-end test: what editors/nvim/README.md tells a user to write (the
-- plugin on the runtimepath, `vim.lsp.enable("rationale")`), plus the test's options.
local repo = assert(vim.env.RATIONALE_REPO, 'run this through tests/editors/nvim/run.sh')

vim.g.rationale = {
  server = vim.env.RATIONALE_E2E_SERVER,
  settle_ms = 300,
  codelens = vim.env.RATIONALE_E2E_MODE == 'fallback' or nil,
  -- Off, so that the suite's short answers are recorded at once; the nudge's own test turns it
  -- on (e2e.lua).
  nudge = false,
}

if vim.env.RATIONALE_E2E_MODE == 'fallback' then
  -- Neovim 0.10 has no vim.lsp.enable: the plugin must then start the client by itself. Hiding it
  -- before the plugin loads takes the same path on 0.11.
  vim.lsp.enable = nil
end

vim.opt.runtimepath:prepend(repo .. '/editors/nvim')
if vim.lsp.enable then
  vim.lsp.enable('rationale')
end
