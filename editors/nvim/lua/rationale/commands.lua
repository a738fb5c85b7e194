--- `:Rationale {subcommand}`: `pending` fills the quickfix list with the pending changes, `explain`
--- explains the change under the cursor, else the next one.
local rationale = require('rationale')

local M = {}

local function notify(message, level)
  vim.notify('Rationale: ' .. message, level or vim.log.levels.INFO)
end

local function no_server()
  notify('no Rationale server is running: open a Python or JavaScript file inside a project '
    .. '(a folder with rationale.toml or .git) first; see :checkhealth rationale', vim.log.levels.WARN)
end

--- Asks every client (or the given ones) for its pending changes and calls back once with all of
--- them, each as {client = ..., change = ...}, in file and line order.
local function collect(clients, params, callback)
  local found, waiting = {}, #clients
  for _, client in ipairs(clients) do
    rationale.request(client, 'rationale/pendingChanges', params, function(err, result)
      if err then
        notify(err.message, vim.log.levels.WARN)
      else
        for _, change in ipairs((result or {}).changes or {}) do
          table.insert(found, { client = client, change = change })
        end
      end
      waiting = waiting - 1
      if waiting == 0 then
        table.sort(found, function(a, b)
          if a.change.uri ~= b.change.uri then
            return a.change.uri < b.change.uri
          end
          return a.change.unit.range.start.line < b.change.unit.range.start.line
        end)
        callback(found)
      end
    end)
  end
end

--- A quickfix item for a pending change, its column in the client's position encoding.
local function quickfix_item(client, change)
  local location = { uri = change.uri, range = change.unit.range }
  local item = vim.lsp.util.locations_to_items({ location }, client.offset_encoding)[1]
  local text = 'Explain ' .. rationale.subject(change.change, change.unit.kind, change.unit.name)
  if change.previousName then
    text = text .. (' (was `%s`)'):format(change.previousName)
  end
  if not change.ready then
    text = text .. ' (still being edited)'
  end
  -- One line per change: where the unit starts, not its whole range.
  item.end_lnum, item.end_col = nil, nil
  item.text = text
  item.type = 'I'
  item.user_data = { rationale = change.id }
  return item
end

--- `:Rationale pending`
--- @param on_done? fun(items: table[]) for tests and callers that go on afterwards
function M.pending(on_done)
  local clients = rationale.clients()
  if #clients == 0 then
    return no_server()
  end
  collect(clients, vim.empty_dict(), function(found)
    local items = {}
    for _, entry in ipairs(found) do
      table.insert(items, quickfix_item(entry.client, entry.change))
    end
    vim.fn.setqflist({}, ' ', { title = 'Rationale: pending changes', items = items })
    if #items == 0 then
      notify('no pending changes: everything is explained')
    else
      vim.cmd('botright copen')
    end
    if on_done then
      on_done(items)
    end
  end)
end

local function explain_args(change)
  return {
    changeId = change.id,
    uri = change.uri,
    unit = change.unit.name,
    kind = change.unit.kind,
    change = change.change,
  }
end

--- Moves the cursor to a change's unit, opening its file when it is another.
local function jump(client, change)
  local item = quickfix_item(client, change)
  if vim.uri_from_bufnr(0) ~= change.uri then
    vim.cmd.edit(vim.fn.fnameescape(vim.uri_to_fname(change.uri)))
  end
  pcall(vim.api.nvim_win_set_cursor, 0, { item.lnum, math.max(0, (item.col or 1) - 1) })
end

--- `:Rationale explain`: the innermost pending change around the cursor; else the next one below
--- it in this file (wrapping round); else the first one of any other file.
function M.explain()
  local clients = rationale.clients()
  if #clients == 0 then
    return no_server()
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  local line = vim.api.nvim_win_get_cursor(0)[1] - 1
  collect(clients, vim.empty_dict(), function(found)
    local here, below, first_here, elsewhere
    for _, entry in ipairs(found) do
      local range = entry.change.unit.range
      if entry.change.uri == uri then
        local last = range['end'].line - ((range['end'].character == 0 and range['end'].line > range.start.line) and 1 or 0)
        if range.start.line <= line and line <= last then
          -- Later starts are nested deeper: the innermost unit wins.
          if not here or range.start.line >= here.change.unit.range.start.line then
            here = entry
          end
        elseif range.start.line > line and not below then
          below = entry
        end
        first_here = first_here or entry
      else
        elsewhere = elsewhere or entry
      end
    end
    local chosen = here or below or first_here or elsewhere
    if not chosen then
      return notify('no pending changes: everything is explained')
    end
    if chosen ~= here then
      jump(chosen.client, chosen.change)
    end
    require('rationale.explain').explain(chosen.client, explain_args(chosen.change))
  end)
end

M.subcommands = {
  pending = M.pending,
  explain = M.explain,
}

function M.run(opts)
  local name = opts.fargs[1] or 'explain'
  local subcommand = M.subcommands[name]
  if not subcommand then
    return notify(('no subcommand `%s`: try %s'):format(name, table.concat(vim.tbl_keys(M.subcommands), ', ')), vim.log.levels.ERROR)
  end
  subcommand()
end

function M.complete(arglead)
  local names = vim.tbl_keys(M.subcommands)
  table.sort(names)
  return vim.tbl_filter(function(name)
    return vim.startswith(name, arglead)
  end, names)
end

return M
