--- Read-only scratch buffers that show a document of a recorded session: their text and file type,
--- the rationale of a pair as virtual lines above its unit, and the words in their window bar.
--- Replay (`rationale.replay`) and review (`rationale.review`) both show documents this way.
local rationale = require('rationale')
local util = require('rationale.util')

local M = {}

M.namespace = vim.api.nvim_create_namespace('rationale_view')

-- Users restyle these with `:highlight`; `default` keeps their choice when a colour scheme loads.
vim.api.nvim_set_hl(0, 'RationaleWhy', { link = 'DiagnosticInfo', default = true })
vim.api.nvim_set_hl(0, 'RationaleWho', { link = 'Comment', default = true })
vim.api.nvim_set_hl(0, 'RationaleStep', { link = 'DiffText', default = true })

--- A scratch buffer named `name`: not a file, never written, not modifiable. A buffer of the same
--- name left by an earlier view is reused, so that names stay unique.
function M.buffer(name)
  local buf
  for _, candidate in ipairs(vim.api.nvim_list_bufs()) do
    if vim.b[candidate].rationale_view and vim.api.nvim_buf_get_name(candidate) == name then
      buf = candidate
    end
  end
  if not buf then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
  end
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  vim.bo[buf].modifiable = false
  vim.b[buf].rationale_view = true
  return buf
end

--- The lines of a document's text (a final newline ends the last line, it does not start another).
function M.lines(text)
  local lines = vim.split(text or '', '\n', { plain = true })
  if #lines > 1 and lines[#lines] == '' then
    table.remove(lines)
  end
  return lines
end

--- Shows `text` (the document `path`) in `buf`, with the file type the path implies. Clears the
--- annotations of the text it replaces.
function M.set_text(buf, text, path)
  local lines = M.lines(text)
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  vim.api.nvim_buf_clear_namespace(buf, M.namespace, 0, -1)
  local filetype = path and vim.filetype.match({ filename = path, buf = buf }) or ''
  if vim.bo[buf].filetype ~= filetype then
    -- A `nofile` buffer: no language server attaches to it, syntax highlighting still applies.
    vim.bo[buf].filetype = filetype
  end
  return lines
end

--- The line (0-based) where a unit's text starts in a document, or nil when the document does not
--- hold it. The unit's text starts at its node, so it is found anywhere on a line.
function M.unit_line(text, unit_text)
  if not text or not unit_text or unit_text == '' then
    return nil
  end
  local at = text:find(unit_text, 1, true)
  if not at then
    -- Its first line alone: enough to place a note above it.
    local first = unit_text:match('^[^\n]+')
    at = first and text:find(first, 1, true)
  end
  if not at then
    return nil
  end
  local _, newlines = text:sub(1, at - 1):gsub('\n', '')
  return newlines
end

--- "accepted by reviewer@x: the note" (without the note when `short`)
function M.verdict_words(review, short)
  if type(review) ~= 'table' then
    return nil
  end
  local done = ({ accept = 'accepted', reject = 'rejected', flag = 'flagged' })[review.verdict] or review.verdict
  local words = ('%s by %s'):format(done, review.reviewer or '?')
  if review.note and review.note ~= '' and not short then
    words = words .. ': ' .. review.note
  end
  return words
end

--- Short words for a verdict in lists and window bars.
function M.verdict_mark(review)
  if type(review) ~= 'table' then
    return '[ ]'
  end
  return ({ accept = '[✓]', reject = '[✗]', flag = '[!]' })[review.verdict] or '[?]'
end

--- A pair's quality flags in lists and window bars (`⚑ generic, no_why`), or nil for a pair
--- without any (and for a step that is no pair): a pair the server does not flag shows nothing.
function M.flag_words(flags)
  if type(flags) ~= 'table' or #flags == 0 then
    return nil
  end
  return '⚑ ' .. table.concat(flags, ', ')
end

--- The virtual lines of a pair (a `rationale` or `skip` step of the timeline): the rationale,
--- wrapped, then what it is about and when, then each reviewer's verdict.
--- `width`: the columns there are for the text, 80 at most.
function M.pair_lines(step, indent, width)
  width = math.max(30, math.min(width or 80, 80) - #indent - 2)
  local unit = step.unit or {}
  local lines = {}
  local function add(text, group)
    for _, line in ipairs(util.wrap(text, width)) do
      table.insert(lines, { { indent .. '▍ ', 'RationaleWho' }, { line, group } })
    end
  end
  local said = step.rationale or ''
  if step.type == 'skip' then
    said = 'skipped: ' .. (step.reason or 'no reason given')
  elseif step.type == 'unexplained' then
    said = 'left unexplained: the change was still pending when its document was closed'
  end
  add(said, 'RationaleWhy')
  local when = (step.ts or ''):sub(1, 16):gsub('T', ' ')
  local about = ('— %s, %s'):format(step.subject or rationale.described(unit.kind, unit.name), when)
  if unit.previousName then
    about = about .. (' (was `%s`)'):format(unit.previousName)
  end
  add(about, 'RationaleWho')
  -- Every reviewer's standing verdict, the latest first; else the one the plugin just recorded.
  local reviews = type(step.reviews) == 'table' and #step.reviews > 0 and step.reviews or { step.review }
  for _, review in ipairs(reviews) do
    local verdict = M.verdict_words(review)
    if verdict then
      add('— ' .. verdict, 'RationaleWho')
    end
  end
  return lines
end

--- Puts a pair's rationale as virtual lines above line `line` (0-based) of `buf`; returns how
--- many lines that is.
function M.annotate(buf, line, step)
  -- A unit removed at the end of its file stood past the last line: above the last one, then.
  line = math.max(0, math.min(line, vim.api.nvim_buf_line_count(buf) - 1))
  local text = vim.api.nvim_buf_get_lines(buf, line, line + 1, false)[1] or ''
  local indent = text:match('^%s*')
  -- As wide as the narrowest window that shows it, less its number, sign and fold columns.
  local width
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    local info = vim.fn.getwininfo(win)[1]
    local room = info.width - info.textoff
    width = width and math.min(width, room) or room
  end
  local lines = M.pair_lines(step, indent, width)
  vim.api.nvim_buf_set_extmark(buf, M.namespace, line, 0, {
    virt_lines = lines,
    virt_lines_above = true,
  })
  return #lines
end

--- Reviewers' comments on lines of the pair's after text, as virtual text at the end of each
--- line (`unit_line`, 0-based, is where the unit starts in `buf`).
function M.line_comments(buf, unit_line, comments)
  local count = vim.api.nvim_buf_line_count(buf)
  local by_line = {}
  for _, comment in ipairs(comments or {}) do
    local line = unit_line + (comment.line or 0)
    if line < count then
      by_line[line] = by_line[line] or {}
      table.insert(by_line[line], { ('  💬 %s: %s'):format(comment.reviewer or '?', comment.note or ''), 'RationaleWho' })
    end
  end
  for line, chunks in pairs(by_line) do
    vim.api.nvim_buf_set_extmark(buf, M.namespace, line, 0, { virt_text = chunks, virt_text_pos = 'eol' })
  end
end

--- Marks lines `first`..`last` (0-based, inclusive) of `buf` as the ones a step changed.
function M.mark_lines(buf, first, last)
  local count = vim.api.nvim_buf_line_count(buf)
  for line = math.max(0, first), math.min(last, count - 1) do
    vim.api.nvim_buf_set_extmark(buf, M.namespace, line, 0, { line_hl_group = 'RationaleStep' })
  end
end

--- Moves the cursor of every window that shows `buf` to `line` (0-based), with the `above`
--- virtual lines above it in view (above the first line they only show when the window is
--- scrolled to them: 'topfill', which must not exceed their number).
function M.focus(buf, line, above)
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    pcall(vim.api.nvim_win_set_cursor, win, { line + 1, 0 })
    vim.api.nvim_win_call(win, function()
      if line == 0 then
        vim.fn.winrestview({ topline = 1, topfill = above or 0 })
      else
        vim.cmd('normal! zz')
      end
    end)
  end
end

--- Sets the window bar of every window that shows `buf`: `left`, and `right` at the right end.
function M.winbar(buf, left, right)
  local bar = ' ' .. left:gsub('%%', '%%%%')
  if right then
    bar = bar .. '%=' .. right:gsub('%%', '%%%%') .. ' '
  end
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    -- Local to the window: a window split from it must not inherit the bar.
    vim.api.nvim_set_option_value('winbar', bar, { win = win, scope = 'local' })
  end
end

--- Takes `buf` out of the windows that show it (each goes back to the buffer it showed before, or
--- an empty one) and wipes it.
function M.close(buf)
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    vim.api.nvim_win_call(win, function()
      local alternate = vim.fn.bufnr('#')
      if alternate > 0 and alternate ~= buf and vim.api.nvim_buf_is_valid(alternate) then
        vim.api.nvim_win_set_buf(win, alternate)
      else
        vim.cmd('enew')
      end
    end)
  end
  if vim.api.nvim_buf_is_valid(buf) then
    vim.api.nvim_buf_delete(buf, { force = true })
  end
end

--- What a step is, as the reader knows it: `change (1 edit)`, `pair: function `greet``, with a
--- pair's quality flags.
function M.step_words(step)
  local words = step.type
  if step.type == 'change' and step.edits then
    words = ('change (%d edit%s)'):format(step.edits, step.edits == 1 and '' or 's')
  elseif (step.type == 'rationale' or step.type == 'skip') and step.unit then
    words = ('%s: %s'):format(step.type == 'rationale' and 'pair' or 'skip', rationale.described(step.unit.kind, step.unit.name))
    local flags = M.flag_words(step.flags)
    if flags then
      words = words .. ' · ' .. flags
    end
  end
  return words
end

return M
