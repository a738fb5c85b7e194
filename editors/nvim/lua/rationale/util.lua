--- What several of the plugin's modules need and none owns: saying something to the person
--- (`notify`), wrapping words to a width, and comparing a unit's two texts (a unified diff for the
--- explain preview, the changed lines for a replay's marks). Kept here once, so that the words of a
--- notification and the reading of a diff cannot drift apart between modules.
local M = {}

--- A notification that says where it comes from.
function M.notify(message, level)
  vim.notify('Rationale: ' .. message, level or vim.log.levels.INFO)
end

--- `text` in lines of at most `width` display columns, breaking between words; each line of the
--- text (a paragraph) starts a new line. A word longer than `width` stands alone on its line.
function M.wrap(text, width)
  local out = {}
  for paragraph in (text .. '\n'):gmatch('([^\n]*)\n') do
    local line = ''
    for word in paragraph:gmatch('%S+') do
      if line ~= '' and vim.fn.strdisplaywidth(line .. ' ' .. word) > width then
        table.insert(out, line)
        line = word
      else
        line = line == '' and word or (line .. ' ' .. word)
      end
    end
    table.insert(out, line)
  end
  return out
end

--- `vim.text.diff` from 0.11, `vim.diff` before, on texts that end with a line break (a last line
--- without one would read as changed whenever a line is added after it).
local function diff(before, after, options)
  local function ended(text)
    text = text or ''
    return (text == '' or text:sub(-1) == '\n') and text or (text .. '\n')
  end
  return ((vim.text and vim.text.diff) or vim.diff)(ended(before), ended(after), options)
end

--- The unified diff of `before` to `after` (three lines of context), as lines.
function M.unified(before, after)
  local result = diff(before, after, { result_type = 'unified', ctxlen = 3 })
  local out = {}
  for line in (result or ''):gmatch('([^\n]*)\n') do
    table.insert(out, line)
  end
  return out
end

--- The lines (0-based, first and last) of `after` that differ from `before`; a deletion marks the
--- line below it.
function M.changed_lines(before, after)
  local ranges = {}
  for _, hunk in ipairs(diff(before, after, { result_type = 'indices' }) or {}) do
    local start, count = hunk[3], hunk[4]
    if count > 0 then
      table.insert(ranges, { start - 1, start + count - 2 })
    else
      -- Nothing is left of a deletion: mark the line that now stands where it was (`start` is
      -- the 1-based line above it, so the 0-based line below).
      local line = math.max(0, start)
      table.insert(ranges, { line, line })
    end
  end
  return ranges
end

return M
