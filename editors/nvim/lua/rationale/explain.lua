--- `rationale.explain`, the command the plugin implements for the server: shows the change (the
--- unit's diff), asks for the rationale through `vim.ui.input` (so dressing.nvim, snacks.nvim and
--- the like show their own input), and records it with `rationale.record`.
---
--- Nothing is lost on the way: cancelling leaves the change pending (explain it later, or skip
--- it); a refusal from the server (too short, say) is shown and the input opens again with the
--- text kept; a change that is no longer pending (explained elsewhere, edited back) is said so.
local rationale = require('rationale')

local M = {}

--- Unified diff of the unit, before to after. `vim.text.diff` from 0.11, `vim.diff` before.
local function unit_diff(before, after)
  local diff = (vim.text and vim.text.diff) or vim.diff
  local function lines(text)
    if text == '' or text:sub(-1) == '\n' then
      return text
    end
    return text .. '\n'
  end
  local result = diff(lines(before or ''), lines(after or ''), { result_type = 'unified', ctxlen = 3 })
  local out = {}
  for line in (result or ''):gmatch('([^\n]*)\n') do
    table.insert(out, line)
  end
  return out
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
  return vim.list_extend(header, unit_diff(change.before, change.after))
end

--- A scratch window that shows the change while the input is open, and goes when it closes.
local Preview = {}
Preview.__index = Preview

function Preview.open(style, title, lines)
  if not style then
    return setmetatable({}, Preview)
  end
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].filetype = 'diff'
  vim.bo[buf].modifiable = false
  vim.bo[buf].bufhidden = 'wipe'
  local width = 20
  for _, line in ipairs(lines) do
    width = math.max(width, vim.fn.strdisplaywidth(line))
  end
  local win
  if style == 'split' then
    local previous = vim.api.nvim_get_current_win()
    vim.cmd(('botright %dsplit'):format(math.min(#lines, math.floor(vim.o.lines / 3))))
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, buf)
    vim.wo[win].winfixheight = true
    vim.api.nvim_set_current_win(previous)
  else
    -- At the bottom of the editor, just above the command line where the built-in input asks.
    local height = math.max(1, math.min(#lines, math.floor(vim.o.lines / 2) - 2))
    width = math.min(width + 1, vim.o.columns - 4)
    local bottom = vim.o.lines - vim.o.cmdheight - (vim.o.laststatus > 0 and 1 or 0)
    win = vim.api.nvim_open_win(buf, false, {
      relative = 'editor',
      anchor = 'SW',
      row = bottom,
      col = 0,
      width = width,
      height = height,
      style = 'minimal',
      border = 'rounded',
      title = ' ' .. title .. ' ',
      title_pos = 'left',
      focusable = false,
      zindex = 45,
    })
  end
  vim.wo[win].wrap = false
  vim.wo[win].cursorline = false
  return setmetatable({ win = win, buf = buf, style = style }, Preview)
end

--- Shows a line under the diff (the reason a rationale was refused), where the float has room.
function Preview:note(text)
  if not (self.win and vim.api.nvim_win_is_valid(self.win)) or self.style ~= 'float' then
    return
  end
  pcall(vim.api.nvim_win_set_config, self.win, { footer = ' ' .. text .. ' ', footer_pos = 'left' })
end

function Preview:close()
  if self.win and vim.api.nvim_win_is_valid(self.win) then
    vim.api.nvim_win_close(self.win, true)
  end
  self.win = nil
end

--- Asks for the pending changes of one document; calls back with the change `id`, or nil and why.
local function find_change(client, uri, id, callback)
  rationale.request(client, 'rationale/pendingChanges', { uri = uri }, function(err, result)
    if err then
      return callback(nil, err.message)
    end
    for _, change in ipairs((result or {}).changes or {}) do
      if change.id == id then
        return callback(change)
      end
    end
    callback(nil)
  end)
end

local function notify(message, level)
  vim.notify('Rationale: ' .. message, level or vim.log.levels.INFO)
end

--- Runs the whole exchange for one pending change.
--- @param client vim.lsp.Client
--- @param args {changeId: string, uri: string, unit?: string, kind?: string, change?: string}
--- @param on_done? fun(result: 'recorded'|'cancelled'|'gone') for callers that go on afterwards
function M.explain(client, args, on_done)
  on_done = on_done or function() end
  local options = require('rationale.config').get()
  local subject = rationale.subject(args.change, args.kind, args.unit)
  local prompt = 'Explain ' .. subject .. ': '
  local preview

  local function finish(result)
    if preview then
      preview:close()
    end
    on_done(result)
  end

  local ask -- forward: asks, then records; on a refusal asks again with the text kept

  local function record(text)
    local params = { command = 'rationale.record', arguments = { { changeId = args.changeId, text = text } } }
    rationale.request(client, 'workspace/executeCommand', params, function(err)
      if not err then
        notify(('recorded the rationale for %s'):format(rationale.described(args.kind, args.unit)))
        return finish('recorded')
      end
      -- Refused: too short, or the change went away meanwhile. Only a change that is still
      -- pending is worth asking about again.
      notify(err.message, vim.log.levels.WARN)
      find_change(client, args.uri, args.changeId, function(change)
        if change then
          ask(text, err.message)
        else
          notify(('%s is no longer pending: nothing was recorded'):format(subject), vim.log.levels.WARN)
          finish('gone')
        end
      end)
    end)
  end

  ask = function(default, refusal)
    if preview then
      preview:note(refusal or '')
    end
    vim.cmd.redraw()
    vim.ui.input({ prompt = prompt, default = default }, function(text)
      if text == nil or vim.trim(text) == '' then
        -- Cancelled: nothing is recorded and the change stays pending.
        return finish('cancelled')
      end
      local minimum = options.min_rationale_chars
      local length = vim.fn.strchars(vim.trim(text))
      if minimum and length < minimum then
        -- The server would refuse it too (the option overrides rationale.toml); saves a round trip.
        local why = ('a rationale needs at least %d characters (this one has %d): say why the change '
          .. 'was made, not only what it does'):format(minimum, length)
        notify(why, vim.log.levels.WARN)
        return vim.schedule(function()
          ask(text, why)
        end)
      end
      record(text)
    end)
  end

  find_change(client, args.uri, args.changeId, function(change, err)
    if not change then
      notify(err or ('%s is no longer pending: it was explained or skipped already, or edited back'):format(subject), vim.log.levels.WARN)
      return on_done('gone')
    end
    -- The server's words win over the command's, which may be older.
    args.unit, args.kind, args.change = change.unit.name, change.unit.kind, change.change
    subject = rationale.subject(args.change, args.kind, args.unit)
    prompt = 'Explain ' .. subject .. ': '
    preview = Preview.open(options.diff, 'Explain ' .. subject, diff_lines(change))
    ask(nil)
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
