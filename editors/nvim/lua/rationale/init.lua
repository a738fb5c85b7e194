--- Rationale for Neovim: the pieces the plugin shares. Nothing here needs calling: on Neovim 0.11
--- `vim.lsp.enable("rationale")` starts the server, on 0.10 `plugin/rationale.lua` does.
local M = {}

M.name = 'rationale'

--- `client:request` on 0.11, `client.request` on 0.10 (0.11 deprecates the dot form).
function M.request(client, method, params, handler, bufnr)
  if vim.fn.has('nvim-0.11') == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

--- The running Rationale clients, of one buffer or of all.
function M.clients(bufnr)
  return vim.lsp.get_clients({ name = M.name, bufnr = bufnr })
end

--- The Rationale client that serves `uri`: the one attached to its buffer, else the one whose
--- workspace holds it.
function M.client_for(uri)
  local bufnr = vim.uri_to_bufnr(uri)
  local attached = M.clients(bufnr)
  if attached[1] then
    return attached[1]
  end
  local path = vim.uri_to_fname(uri)
  for _, client in ipairs(M.clients()) do
    local root = client.config.root_dir
    if root and vim.startswith(path, root .. '/') then
      return client
    end
  end
end

--- "function `helper`"
function M.described(kind, unit)
  return ('%s `%s`'):format(kind or 'unit', unit or '?')
end

local warned_missing = false

--- Says once, when a buffer the server would track opens, that the server cannot be started.
function M.warn_if_missing()
  if warned_missing then
    return
  end
  local config = require('rationale.config')
  local cmd, source = config.server_cmd()
  if vim.fn.executable(cmd[1]) == 1 then
    return
  end
  warned_missing = true
  vim.notify(
    ('Rationale: the server `%s` (from %s) is not executable, so nothing is recorded. Build it '
      .. '(`cargo install --locked --path server` in the repository) or set vim.g.rationale.server; '
      .. 'see :checkhealth rationale'):format(cmd[1], source),
    vim.log.levels.WARN
  )
end

--- Neovim 0.10, which has no `vim.lsp.enable`: starts (or reuses) the client for a buffer, the way
--- 0.11 would from `lsp/rationale.lua`.
function M.start(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.bo[bufnr].buftype ~= '' then
    return
  end
  local config = require('rationale.config').lsp_config()
  if not vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype) then
    return
  end
  local root = vim.fs.root(bufnr, config.root_markers)
  if not root then
    return
  end
  if vim.fn.executable(config.cmd[1]) == 0 then
    M.warn_if_missing()
    return
  end
  config.name = M.name
  config.root_dir = root
  config.filetypes, config.root_markers, config.workspace_required = nil, nil, nil
  return vim.lsp.start(config, { bufnr = bufnr })
end

--- Called on `LspAttach` for a Rationale client: shows its prompts where they can be seen.
function M.on_attach(client, bufnr)
  local options = require('rationale.config').get()
  if options.virtual_text then
    -- Neovim 0.11 shows no diagnostic virtual text by default; a Rationale prompt that is only a
    -- sign in the gutter goes unnoticed. This applies to Rationale's own namespace only.
    local namespace = vim.lsp.diagnostic.get_namespace(client.id)
    vim.diagnostic.config({ virtual_text = { spacing = 2 } }, namespace)
  end
  if options.codelens then
    -- Lenses are only asked for when the user opts in: in Neovim a lens is end-of-line virtual
    -- text, on the same line as the diagnostic that already says the same.
    local group = vim.api.nvim_create_augroup('rationale_codelens_' .. bufnr, { clear = true })
    vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'DiagnosticChanged' }, {
      group = group,
      buffer = bufnr,
      callback = function()
        vim.lsp.codelens.refresh({ bufnr = bufnr })
      end,
    })
  end
end

return M
