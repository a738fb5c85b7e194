--- `:checkhealth rationale`: Neovim's version, the options, the server binary, and the clients.
local M = {}

local health = vim.health

local function check_neovim()
  health.start('Neovim')
  local v = vim.version()
  local version = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok(('Neovim %s: `vim.lsp.enable("rationale")` starts the server from lsp/rationale.lua'):format(version))
    if #vim.api.nvim_get_runtime_file('lsp/rationale.lua', false) == 0 then
      health.error('lsp/rationale.lua is not on the runtimepath', { 'Add the plugin (editors/nvim of the repository) to the runtimepath' })
    elseif vim.lsp.is_enabled and not vim.lsp.is_enabled('rationale') then
      health.warn('the `rationale` config is not enabled, so no server starts', { 'Add `vim.lsp.enable("rationale")` to your init.lua' })
    end
  elseif vim.fn.has('nvim-0.10') == 1 then
    health.ok(('Neovim %s: the plugin starts the server for the buffers it reads itself'):format(version))
  else
    health.error(('Neovim %s is too old'):format(version), { 'Rationale needs Neovim 0.10 or later' })
  end
end

local function check_options()
  health.start('Options (vim.g.rationale)')
  local config = require('rationale.config')
  local options, problems = config.read()
  if #problems == 0 then
    local set = {}
    for key, value in pairs(vim.g.rationale or {}) do
      table.insert(set, ('%s = %s'):format(key, vim.inspect(value)))
    end
    table.sort(set)
    health.ok(#set == 0 and 'none set: the defaults and rationale.toml apply' or ('valid: ' .. table.concat(set, ', ')))
  end
  for _, problem in ipairs(problems) do
    health.error(problem, { 'See :help rationale-options' })
  end
  return options
end

local function check_server(options)
  health.start('Server')
  local config = require('rationale.config')
  local cmd, source = config.server_cmd(options)
  local path = vim.fn.exepath(cmd[1])
  if path == '' then
    health.error(('`%s` (from %s) is not an executable'):format(cmd[1], source), {
      'Build and install it: `cargo install --locked --path server` in the repository',
      'or point to a build: vim.g.rationale = { server = "/path/to/rationale" }',
      'or set $RATIONALE_SERVER_PATH',
    })
    return
  end
  local ok, result = pcall(function()
    return vim.system({ path, '--version' }, { text = true }):wait(5000)
  end)
  if not ok then
    health.error(('%s could not be run: %s'):format(path, tostring(result)))
  elseif result.code ~= 0 then
    health.error(('%s --version exited with %s: %s'):format(path, tostring(result.code), vim.trim(result.stderr or '')))
  else
    health.ok(('%s (from %s): %s'):format(path, source, vim.trim(result.stdout or '')))
  end
end

local function check_clients()
  health.start('Clients')
  local clients = require('rationale').clients()
  if #clients == 0 then
    health.info('no Rationale client is running: open a file the server reads (Python, JavaScript, TypeScript, Go, Rust) inside a project '
      .. '(a folder with rationale.toml or .git) and run :checkhealth rationale again')
    return
  end
  for _, client in ipairs(clients) do
    local buffers = {}
    for bufnr in pairs(client.attached_buffers or {}) do
      table.insert(buffers, vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':~:.'))
    end
    table.sort(buffers)
    local root = client.config.root_dir or '?'
    local state = client.initialized and 'running' or 'starting'
    local message = ('client %d %s for %s, attached to %s'):format(
      client.id,
      state,
      vim.fn.fnamemodify(root, ':~'),
      #buffers == 0 and 'no buffer' or table.concat(buffers, ', ')
    )
    if client.initialized then
      health.ok(message)
    else
      health.warn(message)
    end
    local sessions = root .. '/.rationale/sessions'
    if vim.fn.isdirectory(sessions) == 1 then
      health.ok('journal: ' .. vim.fn.fnamemodify(sessions, ':~'))
    else
      health.info('no journal yet in ' .. vim.fn.fnamemodify(sessions, ':~') .. ' (it appears when a tracked file is opened)')
    end
  end
end

function M.check()
  check_neovim()
  local options = check_options()
  check_server(options)
  check_clients()
end

return M
