--- `rationale.explain`, the command the plugin implements for the server: shows the change (the
--- unit's diff), asks for the rationale through `vim.ui.input` (so dressing.nvim, snacks.nvim and
--- the like show their own input), and records it with `rationale.record`.
---
--- Nothing is lost on the way: cancelling leaves the change pending (explain it later, or skip
--- it); a refusal from the server (too short, say) is shown and the input opens again with the
--- text kept; a change that is no longer pending (explained elsewhere, edited back) is said so.
---
--- One gentle nudge: the rationale is judged by the server first (`dryRun`); one that says little
--- about why comes back once in the input, with the server's hint in the prompt, and whatever is
--- sent next is recorded as it is. How long it took to write goes with it (`composeMs`).
local rationale = require('rationale')
local util = require('rationale.util')

local M = {}

--- A unit's text starts at its node, so a method's first line has lost the indentation that its
--- other lines keep. Gives it back (the whitespace before the unit on its first line), then takes
--- off the indentation all lines share, so the diff reads like the code.
local function reindent(texts, change)
  local bufnr = vim.uri_to_bufnr(change.uri)
  local start = change.unit.range and change.unit.range.start
  local prefix = ''
  if start and vim.api.nvim_buf_is_loaded(bufnr) then
    local line = vim.api.nvim_buf_get_lines(bufnr, start.line, start.line + 1, false)[1] or ''
    local before = line:sub(1, start.character)
    if before:match('^%s*$') then
      prefix = before
    end
  end
  local common
  for i, text in ipairs(texts) do
    if text ~= '' then
      texts[i] = prefix .. text
      for indent in ('\n' .. texts[i]):gmatch('\n([ \t]*)[^\n]') do
        if not common or #indent < #common then
          common = indent
        end
      end
    end
  end
  if common and #common > 0 then
    for i, text in ipairs(texts) do
      texts[i] = ('\n' .. text):gsub('\n' .. vim.pesc(common), '\n'):sub(2)
    end
  end
  return texts
end

--- The change as a reader of the prompt needs it: where it is and its diff.
local function diff_lines(change)
  local path = vim.fn.fnamemodify(vim.uri_to_fname(change.uri), ':~:.')
  local line = change.unit.range and change.unit.range.start.line + 1 or 1
  local header = {
    ('%s:%d  %s %s'):format(path, line, change.change, rationale.described(change.unit.kind, change.unit.name)),
  }
  if change.previousName then
    header[1] = header[1] .. (' (was `%s`)'):format(change.previousName)
  end
  local function text(value)
    return type(value) == 'string' and value or ''
  end
  local texts = reindent({ text(change.before), text(change.after) }, change)
  return vim.list_extend(header, util.unified(texts[1], texts[2]))
end

--- Calls back with the change, its `before` and `after` filled in: the server leaves out a text
--- over 16 KiB (`textsOmitted`), and they are asked for (`rationale/changeTexts`) only here, where
--- a diff is about to be shown. Without an answer the diff shows what the change carried.
local function with_texts(client, change, callback)
  if not change.textsOmitted then
    return callback(change)
  end
  rationale.request(client, 'rationale/changeTexts', { changeId = change.id }, function(err, result)
    if not err and type(result) == 'table' then
      change.before, change.after = result.before, result.after
    end
    callback(change)
  end)
end

--- A scratch window that shows the change while the input is open, and goes when it closes.
local Preview = {}
Preview.__index = Preview

local HINT = 'Enter: record · Esc: not now (nothing is lost)'

function Preview.open(style, title, lines)
  if not style then
    return setmetatable({}, Preview)
  end
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].filetype = 'diff'
  vim.bo[buf].modifiable = false
  vim.bo[buf].bufhidden = 'wipe'
  local width = math.max(vim.fn.strdisplaywidth(title) + 4, vim.fn.strdisplaywidth(HINT) + 4)
  for _, line in ipairs(lines) do
    width = math.max(width, vim.fn.strdisplaywidth(line) + 1)
  end
  local self = setmetatable({ buf = buf, style = style, lines = #lines }, Preview)
  if style == 'split' then
    local previous = vim.api.nvim_get_current_win()
    vim.cmd(('botright %dsplit'):format(math.min(#lines, math.floor(vim.o.lines / 3))))
    self.win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(self.win, buf)
    vim.wo[self.win].winfixheight = true
    vim.api.nvim_set_current_win(previous)
  else
    -- At the bottom of the editor, just above the command line where the built-in input asks.
    self.width = math.min(width, vim.o.columns - 4)
    self.win = vim.api.nvim_open_win(buf, false, {
      relative = 'editor',
      anchor = 'SW',
      row = vim.o.lines - vim.o.cmdheight - (vim.o.laststatus > 0 and 1 or 0),
      col = 0,
      width = self.width,
      height = self:height(#lines),
      style = 'minimal',
      border = 'rounded',
      title = ' ' .. title .. ' ',
      title_pos = 'left',
      footer = ' ' .. HINT .. ' ',
      footer_pos = 'right',
      focusable = false,
      zindex = 45,
    })
  end
  vim.wo[self.win].wrap = false
  vim.wo[self.win].cursorline = false
  return self
end

function Preview:height(lines)
  return math.max(1, math.min(lines, math.floor(vim.o.lines / 2) - 2))
end

--- Shows why a rationale was refused under the diff, so it is in sight when the question comes
--- back (the built-in input takes the command line, where a notification would be).
function Preview:note(text)
  if not (self.win and vim.api.nvim_win_is_valid(self.win)) then
    return
  end
  local width = (self.width or vim.api.nvim_win_get_width(self.win)) - 1
  local lines = vim.list_extend({ '' }, util.wrap(text, width))
  vim.bo[self.buf].modifiable = true
  vim.api.nvim_buf_set_lines(self.buf, self.lines, -1, false, lines)
  vim.bo[self.buf].modifiable = false
  local namespace = vim.api.nvim_create_namespace('rationale_explain')
  vim.api.nvim_buf_clear_namespace(self.buf, namespace, 0, -1)
  for i = self.lines + 1, self.lines + #lines - 1 do
    vim.api.nvim_buf_set_extmark(self.buf, namespace, i, 0, { line_hl_group = 'WarningMsg' })
  end
  if self.style == 'float' then
    vim.api.nvim_win_set_config(self.win, { height = self:height(self.lines + #lines) })
  end
  -- Keep the reason in sight when the diff is taller than the window.
  pcall(vim.api.nvim_win_set_cursor, self.win, { self.lines + #lines, 0 })
end

function Preview:close()
  if self.win and vim.api.nvim_win_is_valid(self.win) then
    vim.api.nvim_win_close(self.win, true)
  end
  self.win = nil
end

--- Asks for the pending changes of one document; calls back with the change `id`, or nil and why,
--- and the shortest rationale the server takes for it (the folder's `min_rationale_chars`).
local function find_change(client, uri, id, callback)
  rationale.request(client, 'rationale/pendingChanges', { uri = uri }, function(err, result)
    if err then
      return callback(nil, err.message)
    end
    local minimum = (result or {}).minRationaleChars
    for _, change in ipairs((result or {}).changes or {}) do
      if change.id == id then
        return callback(change, nil, minimum)
      end
    end
    callback(nil, nil, minimum)
  end)
end

local notify = util.notify

--- A refusal, as a notification: only its reason, the part before the advice ("a rationale needs
--- at least 15 characters (this one has 9)"), so that it fits on the command line without a
--- hit-enter prompt while the question comes back. The whole message goes under the diff.
local function refused(message)
  local reason = message:match('^(.-): ') or message
  notify(reason, vim.log.levels.WARN)
end

--- Milliseconds since `start` (a `vim.uv.hrtime()`).
local function since(start)
  return math.floor(((vim.uv or vim.loop).hrtime() - start) / 1e6)
end

--- Sends `rationale.record` with `arguments`, nudging once: unless `nudged`, the rationale is
--- judged first (`dryRun`), and when the server answers a hint nothing is recorded and
--- `callback(nil, nil, hint)` is called. Otherwise `callback(err, result)` as the request's.
local function record_or_nudge(client, arguments, nudged, callback)
  local function send()
    local params = { command = 'rationale.record', arguments = { arguments } }
    rationale.request(client, 'workspace/executeCommand', params, function(err, result)
      callback(err, result)
    end)
  end
  if nudged then
    return send()
  end
  local judged = vim.tbl_extend('force', arguments, { dryRun = true })
  local params = { command = 'rationale.record', arguments = { judged } }
  rationale.request(client, 'workspace/executeCommand', params, function(err, result)
    if err then
      return callback(err)
    end
    local hint = type(result) == 'table' and result.hint
    if type(hint) == 'string' and hint ~= '' then
      return callback(nil, nil, hint)
    end
    send()
  end)
end

--- The prompt of an input that comes back with a nudge: the server's hint, then the question.
local function nudged_prompt(hint, prompt)
  return hint .. ' (Enter records it as it is) ' .. prompt
end

--- Runs the whole exchange for one pending change.
--- @param client vim.lsp.Client
--- @param args {changeId: string, uri: string, unit?: string, kind?: string, change?: string}
--- @param on_done? fun(result: 'recorded'|'cancelled'|'gone') for callers that go on afterwards
function M.explain(client, args, on_done)
  on_done = on_done or function() end
  local options = require('rationale.config').get()
  local what = rationale.described(args.kind, args.unit)
  local prompt -- the server's words for the change, once it is found
  local preview
  local minimum -- what the server says it takes, once asked
  local opened -- when the input first opened
  local nudged = false

  local function finish(result)
    if preview then
      preview:close()
    end
    on_done(result)
  end

  local ask -- forward: asks, then records; on a refusal asks again with the text kept

  local function record(text)
    local arguments = { changeId = args.changeId, text = text, composeMs = since(opened) }
    record_or_nudge(client, arguments, nudged, function(err, _, hint)
      if hint then
        nudged = true
        if preview then
          preview:note(hint)
        end
        return ask(text, nil, hint)
      end
      if not err then
        notify(('recorded the rationale for %s'):format(rationale.described(args.kind, args.unit)))
        return finish('recorded')
      end
      -- Refused: too short, or the change went away meanwhile. Only a change that is still
      -- pending is worth asking about again.
      find_change(client, args.uri, args.changeId, function(change)
        if change then
          refused(err.message)
          ask(text, err.message)
        else
          notify(('%s is no longer pending: nothing was recorded'):format(what), vim.log.levels.WARN)
          finish('gone')
        end
      end)
    end)
  end

  ask = function(default, refusal, hint)
    if preview and refusal then
      preview:note(refusal)
    end
    opened = opened or (vim.uv or vim.loop).hrtime()
    vim.cmd.redraw()
    local asked = hint and nudged_prompt(hint, prompt) or prompt
    vim.ui.input({ prompt = asked, default = default }, function(text)
      if text == nil or vim.trim(text) == '' then
        -- Cancelled: nothing is recorded and the change stays pending.
        vim.api.nvim_echo({ { ('Rationale: nothing recorded; %s stays pending'):format(rationale.described(args.kind, args.unit)) } }, false, {})
        return finish('cancelled')
      end
      local length = vim.fn.strchars(vim.trim(text))
      if minimum and length < minimum then
        -- The server would refuse it too (it said so with the change); saves a round trip.
        local why = ('a rationale needs at least %d characters (this one has %d): say why the change '
          .. 'was made, not only what it does'):format(minimum, length)
        refused(why)
        return vim.schedule(function()
          ask(text, why)
        end)
      end
      record(text)
    end)
  end

  find_change(client, args.uri, args.changeId, function(change, err, server_minimum)
    minimum = server_minimum
    if not change then
      notify(err or ('%s is no longer pending: it was explained or skipped already, or edited back'):format(what), vim.log.levels.WARN)
      return on_done('gone')
    end
    -- The server's words win over the command's, which may be older; the prompt is the one
    -- its diagnostic shows ("Explain the change to function `helper`").
    args.unit, args.kind, args.change = change.unit.name, change.unit.kind, change.change
    what = rationale.described(args.kind, args.unit)
    prompt = change.prompt .. ': '
    if not options.diff then
      preview = Preview.open(nil)
      return ask(nil)
    end
    with_texts(client, change, function(full)
      preview = Preview.open(options.diff, change.prompt, diff_lines(full))
      ask(nil)
    end)
  end)
end

--- One rationale for several changes: asks once, records it with `changeIds` (the server gives
--- the records one `group`). A refusal asks again with the text kept; cancelling records nothing.
--- @param client vim.lsp.Client
--- @param changes table[] pending changes as `rationale/pendingChanges` reports them
--- @param minimum? integer the shortest rationale the server takes for them
--- @param on_done? fun(result: 'recorded'|'cancelled')
function M.explain_several(client, changes, minimum, on_done)
  on_done = on_done or function() end
  local names = vim.tbl_map(function(change)
    return '`' .. change.unit.name .. '`'
  end, changes)
  local prompt = ('Explain %d changes (%s): '):format(#changes, table.concat(names, ', '))
  local ids = vim.tbl_map(function(change)
    return change.id
  end, changes)

  local opened = (vim.uv or vim.loop).hrtime()
  local nudged = false
  local function ask(default, hint)
    local asked = hint and nudged_prompt(hint, prompt) or prompt
    vim.ui.input({ prompt = asked, default = default }, function(text)
      if text == nil or vim.trim(text) == '' then
        vim.api.nvim_echo({ { 'Rationale: nothing recorded; the changes stay pending' } }, false, {})
        return on_done('cancelled')
      end
      local length = vim.fn.strchars(vim.trim(text))
      if minimum and length < minimum then
        refused(('a rationale needs at least %d characters (this one has %d)'):format(minimum, length))
        return vim.schedule(function()
          ask(text)
        end)
      end
      local arguments = { changeIds = ids, text = text, composeMs = since(opened) }
      record_or_nudge(client, arguments, nudged, function(err, _, hint)
        if hint then
          nudged = true
          return vim.schedule(function()
            ask(text, hint)
          end)
        end
        if err then
          refused(err.message)
          return vim.schedule(function()
            ask(text)
          end)
        end
        notify(('recorded one rationale for %s'):format(table.concat(names, ', ')))
        on_done('recorded')
      end)
    end)
  end
  ask(nil)
end

--- The handler for `rationale.skip` from a code action: the server records the skip, and the
--- person is told it was done (a skip changes nothing in the buffer).
--- @param command lsp.Command
--- @param ctx {client_id: integer, bufnr: integer}
function M.skip(command, ctx)
  local args = command.arguments and command.arguments[1]
  local client = ctx and ctx.client_id and vim.lsp.get_client_by_id(ctx.client_id)
  if type(args) ~= 'table' or type(args.changeId) ~= 'string' or not client then
    notify('rationale.skip needs a change id and a running server', vim.log.levels.ERROR)
    return
  end
  local uri = vim.uri_from_bufnr(ctx.bufnr or 0)
  find_change(client, uri, args.changeId, function(change)
    local what = change and rationale.described(change.unit.kind, change.unit.name) or 'the change'
    local params = { command = 'rationale.skip', arguments = { args } }
    rationale.request(client, 'workspace/executeCommand', params, function(err)
      if err then
        return notify(('could not skip %s: %s'):format(what, err.message), vim.log.levels.WARN)
      end
      notify(('skipped %s: no explanation needed'):format(what))
    end)
  end)
end

--- The handler Neovim calls for the `rationale.explain` command of a code action or a code lens.
--- @param command lsp.Command
--- @param ctx {client_id: integer, bufnr: integer}
function M.command(command, ctx)
  local args = command.arguments and command.arguments[1]
  local client = ctx and ctx.client_id and vim.lsp.get_client_by_id(ctx.client_id)
  if type(args) ~= 'table' or type(args.changeId) ~= 'string' or not client then
    notify('rationale.explain needs a change id and a running server', vim.log.levels.ERROR)
    return
  end
  args.uri = args.uri or vim.uri_from_bufnr(ctx.bufnr or 0)
  M.explain(client, args)
end

return M
