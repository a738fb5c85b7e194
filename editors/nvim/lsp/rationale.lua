-- The Rationale language server as a `vim.lsp.Config` (Neovim 0.11): with this plugin on the
-- runtimepath, `vim.lsp.enable("rationale")` starts it for the buffers of every language the
-- server reads (`filetypes`, as docs/languages.md lists them) inside a project. Options come from
-- `vim.g.rationale` (see `:help rationale-options`); anything here can be overridden with
-- `vim.lsp.config("rationale", {...})`.
return require('rationale.config').lsp_config()
