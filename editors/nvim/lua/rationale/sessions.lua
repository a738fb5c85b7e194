--- The recorded sessions a reviewer can open (`rationale/sessions` of every Rationale server), the
--- picker over them, and the requests about one session, sent to the server that listed it.
---
--- A reviewer may open Neovim on a contributor's project without opening a file the server
--- reads: then no server runs yet, and one is started for the project around the current directory.
local rationale = require('rationale')
local util = require('rationale.util')

local M = {}

local notify = util.notify

--- An error of a request, in words: a server that predates these requests says so plainly.
function M.error_words(method, err)
  if err.code == -32601 then
    return ('this server does not know %s: it is older than the plugin, update it'):format(method)
  end
  return err.message or tostring(err)
end

--- The server's config as the user has it (`vim.lsp.config` on 0.11, with their overrides).
local function server_config()
  if vim.fn.has('nvim-0.11') == 1 and vim.lsp.config then
    local ok, config = pcall(function()
      return vim.lsp.config[rationale.name]
    end)
    if ok and config then
      return vim.deepcopy(config)
    end
  end
  return require('rationale.config').lsp_config()
end

--- Starts a server for the project around the current directory, without attaching it to any
--- buffer, and calls back with the initialised client, or nil and why not.
local function start_for_cwd(callback)
  local config = server_config()
  local root = vim.fs.root(vim.fn.getcwd(), config.root_markers or require('rationale.config').root_markers)
  if not root then
    return callback(nil, 'no Rationale server is running and the current directory is in no project '
      .. '(a folder with rationale.toml or .git): `:cd` into the project whose sessions you want to review')
  end
  local cmd = config.cmd
  if type(cmd) == 'table' and vim.fn.executable(cmd[1]) == 0 then
    return callback(nil, ('the server `%s` is not executable: see :checkhealth rationale'):format(cmd[1]))
  end
  config.name = rationale.name
  config.root_dir = root
  config.filetypes, config.root_markers, config.workspace_required = nil, nil, nil
  local id
  if vim.fn.has('nvim-0.11') == 1 then
    id = vim.lsp.start(config, { attach = false })
  else
    id = vim.lsp.start_client(config)
  end
  local client = id and vim.lsp.get_client_by_id(id)
  if not client then
    return callback(nil, 'the server for ' .. root .. ' did not start: see :checkhealth rationale')
  end
  local waited = 0
  local function poll()
    if client.initialized then
      return callback(client)
    end
    if client.is_stopped and client:is_stopped() or waited > 10000 then
      return callback(nil, 'the server for ' .. root .. ' did not start: see :checkhealth rationale')
    end
    waited = waited + 20
    vim.defer_fn(poll, 20)
  end
  poll()
end

--- Calls back with the running clients, starting one for the current project when none runs.
function M.clients(callback)
  local clients = rationale.clients()
  if #clients > 0 then
    return callback(clients)
  end
  start_for_cwd(function(client, why)
    if not client then
      notify(why, vim.log.levels.WARN)
      return callback({})
    end
    callback({ client })
  end)
end

--- Every session of every client's folders, oldest first; each keeps the client that listed it.
--- Corrupt journals the servers name are reported.
function M.list(callback)
  M.clients(function(clients)
    if #clients == 0 then
      return callback({})
    end
    local found, seen, waiting = {}, {}, #clients
    for _, client in ipairs(clients) do
      rationale.request(client, 'rationale/sessions', vim.empty_dict(), function(err, result)
        if err then
          notify(M.error_words('rationale/sessions', err), vim.log.levels.WARN)
        else
          for _, problem in ipairs((result or {}).errors or {}) do
            notify('a journal was left out: ' .. problem, vim.log.levels.WARN)
          end
          for _, session in ipairs((result or {}).sessions or {}) do
            local key = (session.folder or '') .. '\n' .. session.id
            if not seen[key] then
              seen[key] = true
              session.client = client
              table.insert(found, session)
            end
          end
        end
        waiting = waiting - 1
        if waiting == 0 then
          table.sort(found, function(a, b)
            if a.started ~= b.started then
              return (a.started or '') < (b.started or '')
            end
            return a.id < b.id
          end)
          callback(found)
        end
      end)
    end
  end)
end

--- The session ids, at once, for command-line completion (only from running servers).
function M.ids()
  local ids = {}
  for _, client in ipairs(rationale.clients()) do
    local ok, response = pcall(client.request_sync, client, 'rationale/sessions', vim.empty_dict(), 1000)
    if ok and response and response.result then
      for _, session in ipairs(response.result.sessions or {}) do
        table.insert(ids, session.id)
      end
    end
  end
  table.sort(ids)
  return vim.fn.uniq(ids)
end

--- "2026-11-26 08:30" of an RFC 3339 timestamp (UTC).
local function date(ts)
  return ((ts or '?'):sub(1, 16):gsub('T', ' '))
end

--- One line for a session in a picker: id, author, date, pairs, how many are reviewed and how
--- many have quality flags (nothing when none has).
function M.describe(session)
  local words = ('%s  %s  %sZ  %d pair%s, %d reviewed'):format(
    session.id,
    session.author or '?',
    date(session.started),
    session.pairs or 0,
    session.pairs == 1 and '' or 's',
    session.reviewed or 0
  )
  if (session.flagged or 0) > 0 then
    words = ('%s, %d flagged'):format(words, session.flagged)
  end
  if not session.ended then
    words = words .. '  (recording)'
  end
  if session.workspace then
    words = words .. '  ' .. session.workspace
  end
  return words
end

--- Calls back with the session `id` (nil: the one the person picks with `vim.ui.select`, newest
--- first). Says why when there is none.
function M.pick(id, callback)
  M.list(function(sessions)
    if #sessions == 0 then
      return notify('no recorded session in this project yet', vim.log.levels.WARN)
    end
    if id then
      for _, session in ipairs(sessions) do
        if session.id == id then
          return callback(session)
        end
      end
      return notify(('no session `%s`: `:Rationale replay <Tab>` lists them'):format(id), vim.log.levels.ERROR)
    end
    local newest_first = {}
    for i = #sessions, 1, -1 do
      table.insert(newest_first, sessions[i])
    end
    vim.ui.select(newest_first, {
      prompt = 'Session: ',
      kind = 'rationale.session',
      format_item = M.describe,
    }, function(session)
      if session then
        callback(session)
      end
    end)
  end)
end

--- The params of a request about `session`: its id and folder, and `extra`.
function M.params(session, extra)
  return vim.tbl_extend('force', { session = session.id, folder = session.folder }, extra or {})
end

--- Sends `method` to the server that listed `session` and calls back with the result, or nil
--- after saying why.
function M.request(session, method, params, callback)
  rationale.request(session.client, method, params, function(err, result)
    if err then
      notify(M.error_words(method, err), vim.log.levels.WARN)
      return callback(nil, err)
    end
    callback(result)
  end)
end

return M
