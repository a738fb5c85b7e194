--- `:Rationale {subcommand}`: `pending` fills the quickfix list with the pending changes, `explain`
--- explains the change under the cursor, else the next one, `explain all` several changes with one
--- rationale; `replay` and `review` are for
--- reviewers (`rationale.replay`, `rationale.review`).
local rationale = require('rationale')
local util = require('rationale.util')

local M = {}

local notify = util.notify

local function no_server()
  notify('no Rationale server is running: open a file the server reads (Python, JavaScript, TypeScript, Go, Rust) inside a project '
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
  local text = change.prompt -- the server's words, as its diagnostic says them
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

--- `:Rationale explain all`: tick the pending changes that one reason explains, then type it
--- once. `vim.ui.select` picks one item at a time, so the list comes back after each pick with the
--- ticked changes marked, until the person picks the line that explains them (or cancels).
--- @param on_done? fun(result: 'recorded'|'cancelled') for tests and callers that go on afterwards
function M.explain_several(on_done)
  on_done = on_done or function() end
  local clients = rationale.clients()
  if #clients == 0 then
    return no_server()
  end
  -- One rationale is recorded by one server: the changes of the current buffer's client.
  local client = rationale.clients(vim.api.nvim_get_current_buf())[1] or clients[1]
  rationale.request(client, 'rationale/pendingChanges', vim.empty_dict(), function(err, result)
    if err then
      return notify(err.message, vim.log.levels.WARN)
    end
    local changes = (result or {}).changes or {}
    if #changes == 0 then
      notify('no pending changes: everything is explained')
      return on_done('cancelled')
    end
    local ticked = {}
    local function choose()
      local count = vim.tbl_count(ticked)
      local items = { { done = true } }
      vim.list_extend(items, changes)
      vim.ui.select(items, {
        prompt = 'Rationale: tick the changes one reason explains',
        kind = 'rationale.several',
        format_item = function(item)
          if item.done then
            return count == 0 and 'Explain the ticked changes (tick some first)'
              or ('Explain the %d ticked change%s'):format(count, count == 1 and '' or 's')
          end
          local path = vim.fn.fnamemodify(vim.uri_to_fname(item.uri), ':~:.')
          return ('[%s] %s %s (%s:%d)'):format(ticked[item.id] and 'x' or ' ', item.change,
            rationale.described(item.unit.kind, item.unit.name), path, item.unit.range.start.line + 1)
        end,
      }, function(item)
        if not item then
          return on_done('cancelled')
        end
        if not item.done then
          ticked[item.id] = not ticked[item.id] or nil
          return vim.schedule(choose)
        end
        if count == 0 then
          return vim.schedule(choose)
        end
        local chosen = vim.tbl_filter(function(change)
          return ticked[change.id]
        end, changes)
        require('rationale.explain').explain_several(client, chosen, result.minRationaleChars, on_done)
      end)
    end
    choose()
  end)
end

local VERDICTS = { 'accept', 'reject', 'flag' }

--- `:Rationale replay [session]`
function M.replay(args)
  require('rationale.replay').open(args[1])
end

--- `:Rationale review [session]` and `:Rationale review accept|reject|flag [note]`
function M.review(args, raw)
  if vim.tbl_contains(VERDICTS, args[1]) then
    -- The note as typed, spaces and all: everything after the verdict.
    local note = (raw or ''):match('^%s*%S+%s+%S+%s+(.-)%s*$')
    return require('rationale.review').verdict(args[1], note, args[1] == 'flag' and (note == nil or note == ''))
  end
  require('rationale.review').open(args[1])
end

M.subcommands = {
  pending = function()
    M.pending()
  end,
  explain = function(args)
    if args[1] == 'all' then
      return M.explain_several()
    end
    M.explain()
  end,
  replay = M.replay,
  review = M.review,
  queue = function()
    require('rationale.review').queue()
  end,
}

function M.run(opts)
  local name = opts.fargs[1] or 'explain'
  local subcommand = M.subcommands[name]
  if not subcommand then
    local names = vim.tbl_keys(M.subcommands)
    table.sort(names)
    return notify(('no subcommand `%s`: try %s'):format(name, table.concat(names, ', ')), vim.log.levels.ERROR)
  end
  subcommand(vim.list_slice(opts.fargs, 2), opts.args)
end

local function matching(words, arglead)
  return vim.tbl_filter(function(word)
    return vim.startswith(word, arglead)
  end, words)
end

--- Completes the subcommand, then a session id for `replay` and `review` (asked of the running
--- servers) and the verdicts for `review`.
function M.complete(arglead, cmdline)
  local words = vim.split(vim.trim(cmdline or ''), '%s+')
  -- The words before the one being completed, the command's name first.
  local before = #words - (arglead ~= '' and 1 or 0)
  if before <= 1 then
    local names = vim.tbl_keys(M.subcommands)
    table.sort(names)
    return matching(names, arglead)
  end
  if before == 2 and words[2] == 'explain' then
    return matching({ 'all' }, arglead)
  end
  if before == 2 and (words[2] == 'replay' or words[2] == 'review') then
    local candidates = require('rationale.sessions').ids()
    if words[2] == 'review' then
      candidates = vim.list_extend(vim.deepcopy(VERDICTS), candidates)
    end
    return matching(candidates, arglead)
  end
  return {}
end

return M
