-- Rationale for Neovim: the `:Rationale` command, what happens when a Rationale client attaches,
-- and, on Neovim 0.10 (which has no `vim.lsp.enable`), starting the client for the buffers of the
-- languages the server reads (`filetypes` of `generated.lua`). On 0.11 `vim.lsp.enable("rationale")` starts it from `lsp/rationale.lua`.
if vim.g.loaded_rationale then
  return
end
vim.g.loaded_rationale = 1

if vim.fn.has('nvim-0.10') == 0 then
  vim.notify('Rationale needs Neovim 0.10 or later', vim.log.levels.ERROR)
  return
end

vim.api.nvim_create_user_command('Rationale', function(opts)
  require('rationale.commands').run(opts)
end, {
  nargs = '*',
  complete = function(arglead, cmdline)
    return require('rationale.commands').complete(arglead, cmdline)
  end,
  desc = 'Rationale: pending, explain [all], replay [session], review [session], review accept|reject|flag [note]',
})

local group = vim.api.nvim_create_augroup('rationale', { clear = true })

vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  callback = function(event)
    local client = vim.lsp.get_client_by_id(event.data.client_id)
    if client and client.name == 'rationale' then
      require('rationale').on_attach(client, event.buf)
    end
  end,
})

local filetypes = require('rationale.generated').filetypes

if vim.lsp.enable then
  -- 0.11 starts nothing and says nothing when the command is not executable: say it once.
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = filetypes,
    callback = function()
      if vim.lsp.is_enabled and vim.lsp.is_enabled('rationale') then
        require('rationale').warn_if_missing()
      end
    end,
  })
  return
end

-- Neovim 0.10: start the client ourselves, unless the user starts it (vim.g.rationale.autostart).
local function autostart()
  local ok, options = pcall(require('rationale.config').get)
  return not ok or options.autostart ~= false
end

vim.api.nvim_create_autocmd('FileType', {
  group = group,
  pattern = filetypes,
  callback = function(event)
    if autostart() then
      require('rationale').start(event.buf)
    end
  end,
})

-- Buffers that were open before the plugin loaded (a lazy-loading plugin manager).
if autostart() then
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(filetypes, vim.bo[bufnr].filetype) then
      require('rationale').start(bufnr)
    end
  end
end
