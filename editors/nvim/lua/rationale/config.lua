--- Options of the Rationale plugin and the language server's `vim.lsp.Config`.
---
--- Options live in `vim.g.rationale` (a table; every key optional). They are read whenever a config
--- is built, so set them before the first buffer the server reads opens. Each key is checked
--- with `vim.validate`; a bad key is reported once with `vim.notify` (naming the key) and left out,
--- and every other key still applies. The settings that the server understands are sent as
--- `initializationOptions` in camelCase, and only when set, so that the workspace's
--- `rationale.toml` holds for every key the editor leaves alone.
---
--- The server's settings (their names, types and limits) and the filetypes come from
--- `generated.lua`, which the server's tables generate; only the plugin's own options are here.
local generated = require('rationale.generated')

local M = {}

M.filetypes = generated.filetypes

--- A folder with `rationale.toml` wins over the enclosing git work tree, so a project inside a
--- monorepo can have settings of its own.
M.root_markers = { 'rationale.toml', '.git' }

--- The commands that the plugin implements itself (explain asks, skip says it was done); the
--- server leaves them out of its `executeCommandProvider` when the client says so.
M.client_commands = { 'rationale.explain', 'rationale.skip' }

local function list_of_strings(v)
  if type(v) ~= 'table' then
    return false
  end
  for i, item in pairs(v) do
    if type(i) ~= 'number' or type(item) ~= 'string' then
      return false
    end
  end
  return true
end

--- A validator for a setting of the server, from its row in `generated.lua`.
local function server_validator(setting)
  if setting.type == 'integer' then
    return function(v)
      return type(v) == 'number' and v == math.floor(v) and v >= setting.minimum and v <= setting.maximum
    end
  elseif setting.type == 'line' then
    return function(v)
      if type(v) ~= 'string' or v:find('[\r\n]') then
        return false
      end
      local length = vim.fn.strchars(vim.trim(v))
      return length >= setting.min_chars and length <= (setting.max_chars or math.huge)
    end
  elseif setting.type == 'globs' then
    return list_of_strings
  end
  return setting.type
end

--- Every option: the plugin's `server`, the server's settings (`server_key` is the camelCase name
--- the server knows), then the plugin's own.
local schema = {
  {
    name = 'server',
    validator = function(v)
      return (type(v) == 'string' and v ~= '') or (list_of_strings(v) and #v > 0)
    end,
    expected = 'the path of the `rationale` binary, or a command list like { "rationale", "lsp" }',
  },
}
for _, setting in ipairs(generated.settings) do
  table.insert(schema, {
    name = setting.name,
    server_key = setting.server_key,
    validator = server_validator(setting),
    expected = setting.expected,
  })
end
vim.list_extend(schema, {
  {
    name = 'diff',
    validator = function(v)
      return v == 'float' or v == 'split' or v == false
    end,
    expected = '"float", "split" or false',
  },
  { name = 'virtual_text', validator = 'boolean', expected = 'true or false' },
  { name = 'autostart', validator = 'boolean', expected = 'true or false' },
  {
    name = 'queue_page_size',
    -- The server's own bounds on a page of `rationale/reviewQueue`.
    validator = function(v)
      return type(v) == 'number' and v == math.floor(v) and v >= 1 and v <= 5000
    end,
    expected = 'a whole number from 1 to 5000',
  },
})

--- The plugin's own defaults; the server's settings have theirs in the server (or rationale.toml).
M.defaults = {
  diff = 'float',
  virtual_text = true,
  autostart = true,
  -- A page a reviewer walks through in one sitting, and small next to a team's queue, which
  -- may hold tens of thousands of entries.
  queue_page_size = 200,
}

--- `vim.validate` as the running Neovim spells it: 0.11 takes (name, value, validator, message),
--- 0.10 only the table form (deprecated in 0.11).
local function validate(name, value, validator, expected)
  if vim.fn.has('nvim-0.11') == 1 then
    return pcall(vim.validate, name, value, validator, expected)
  end
  if type(validator) == 'function' then
    return pcall(vim.validate, { [name] = { value, validator, expected } })
  end
  return pcall(vim.validate, { [name] = { value, validator } })
end

--- Reads and checks `vim.g.rationale`.
--- @return table options the valid options over the plugin's defaults
--- @return string[] problems one sentence per key left out
function M.read()
  local raw = vim.g.rationale
  local options = vim.deepcopy(M.defaults)
  local problems = {}
  if raw == nil then
    return options, problems
  end
  if type(raw) ~= 'table' then
    table.insert(problems, ('vim.g.rationale must be a table, not %s: using the defaults'):format(type(raw)))
    return options, problems
  end
  local known = {}
  for _, option in ipairs(schema) do
    known[option.name] = true
    local value = raw[option.name]
    if value ~= nil and value ~= vim.NIL then
      local ok, err = validate('vim.g.rationale.' .. option.name, value, option.validator, option.expected)
      if ok then
        options[option.name] = value
      else
        -- vim.validate's message starts with the key and says what it expected and what it got.
        local message = tostring(err):gsub('^.-vim%.g%.rationale', 'vim.g.rationale')
        table.insert(problems, message .. ': ignored')
      end
    end
  end
  for key in pairs(raw) do
    if not known[key] then
      table.insert(problems, ('vim.g.rationale.%s is not an option of Rationale: ignored (see :help rationale-options)'):format(tostring(key)))
    end
  end
  table.sort(problems)
  return options, problems
end

local reported = {}

--- Reports each problem once per Neovim session, so a bad option does not repeat on every buffer.
function M.report(problems)
  for _, problem in ipairs(problems) do
    if not reported[problem] then
      reported[problem] = true
      vim.notify('Rationale: ' .. problem, vim.log.levels.ERROR)
    end
  end
end

--- The valid options; problems are reported.
function M.get()
  local options, problems = M.read()
  M.report(problems)
  return options
end

--- The directory of this plugin (editors/nvim in a clone of the repository).
local function plugin_root()
  local source = debug.getinfo(1, 'S').source:sub(2)
  return vim.fn.fnamemodify(source, ':p:h:h:h')
end

--- Where the server comes from, the same order as the VS Code extension: `$RATIONALE_SERVER_PATH`,
--- then the `server` option, then `rationale` on `PATH`, then a build in the clone the plugin lives
--- in (`target/release/rationale`, for people who run it from the repository).
--- @return string[] cmd
--- @return string source a few words on where it came from, for :checkhealth
function M.server_cmd(options)
  options = options or M.get()
  local env = vim.env.RATIONALE_SERVER_PATH
  if env and env ~= '' then
    return { env, 'lsp' }, '$RATIONALE_SERVER_PATH'
  end
  if type(options.server) == 'table' then
    return vim.deepcopy(options.server), 'vim.g.rationale.server'
  elseif type(options.server) == 'string' then
    return { vim.fn.expand(options.server), 'lsp' }, 'vim.g.rationale.server'
  end
  if vim.fn.executable('rationale') == 1 then
    return { 'rationale', 'lsp' }, 'PATH'
  end
  local built = vim.fs.normalize(plugin_root() .. '/../../target/release/rationale')
  if vim.fn.executable(built) == 1 then
    return { vim.fn.fnamemodify(built, ':p'), 'lsp' }, 'the build in this clone of the repository'
  end
  return { 'rationale', 'lsp' }, 'PATH (not found)'
end

--- The settings for the server, camelCase, only those the user set.
function M.init_options(options)
  local init = { clientCommands = vim.deepcopy(M.client_commands) }
  for _, option in ipairs(schema) do
    if option.server_key and options[option.name] ~= nil then
      init[option.server_key] = options[option.name]
    end
  end
  return init
end

--- The `vim.lsp.Config` that `lsp/rationale.lua` returns.
function M.lsp_config()
  local options = M.get()
  local cmd = M.server_cmd(options)
  return {
    cmd = cmd,
    filetypes = vim.deepcopy(M.filetypes),
    root_markers = vim.deepcopy(M.root_markers),
    -- Outside a project there is no journal to write: no server is started for such a buffer.
    workspace_required = true,
    init_options = M.init_options(options),
    -- Neovim writes everything a server says on stderr to its LSP log as an ERROR; the server's
    -- info lines are not errors. `RUST_LOG` from the environment still wins.
    cmd_env = { RUST_LOG = (vim.env.RUST_LOG or '') ~= '' and vim.env.RUST_LOG or 'warn' },
    commands = {
      ['rationale.explain'] = function(command, ctx)
        require('rationale.explain').command(command, ctx)
      end,
      ['rationale.skip'] = function(command, ctx)
        require('rationale.explain').skip(command, ctx)
      end,
    },
  }
end

return M
