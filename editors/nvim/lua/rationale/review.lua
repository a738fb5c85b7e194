--- `:Rationale review [session]`: the pairs of a session in a picker (`vim.ui.select`); a pair
--- opens in a tab of its own as a diff of its file, the unit at its baseline on the left
--- (`rationale/replay` with `side = "before"`) and as explained on the right, the rationale as
--- virtual lines above the unit on both sides (the same height on both keeps the diff aligned).
--- `a`/`r`/`f` record a verdict (`rationale/review`), `c` a comment on the cursor's line (shown
--- as virtual text at the end of it), `]p`/`[p` move between pairs.
---
--- `:Rationale queue`: the review queue of every workspace under the servers' folders
--- (`rationale/reviewQueue`: pairs, skips and unexplained changes, unjudged first) in a picker; the
--- entry picked opens in the same review window, whose `]q`/`[q` walk the queue across sessions
--- (from any review window). A team's queue is asked for a page at a time (`queue_page_size`):
--- the picker's `more…` and `]q` past the last entry loaded fetch the next page. Skips and
--- unexplained changes take verdicts like pairs. The window bar is brought up to date whenever
--- the review window regains focus. Lists and bars show a pair's quality flags.
local rationale = require('rationale')
local sessions = require('rationale.sessions')
local view = require('rationale.view')
local util = require('rationale.util')

local M = {}

--- The review on screen in each tab page, by tab page handle.
local reviews = {}

local notify = util.notify

local VERBS = { accept = 'Accept', reject = 'Reject', flag = 'Flag' }
local DONE = { accept = 'accepted', reject = 'rejected', flag = 'flagged' }

local function first_line(text, width)
  local line = vim.trim((text or ''):match('^%s*([^\n]*)') or '')
  if vim.fn.strchars(line) > width then
    line = vim.fn.strcharpart(line, 0, width - 1) .. '…'
  end
  return line
end

--- `  ⚑ generic, no_why` after a line of a list, or nothing for a pair without flags.
local function flags_after(pair)
  local flags = view.flag_words(pair.flags)
  return flags and ('  ' .. flags) or ''
end

--- One line for a pair in the picker: its verdict, where it is, what it is about, its rationale,
--- its quality flags.
function M.describe(pair)
  local unit = pair.unit or {}
  return ('%s %s  %s  %s%s'):format(
    view.verdict_mark(pair.review),
    pair.path or '?',
    rationale.described(unit.kind, unit.name),
    first_line(pair.rationale, 60),
    flags_after(pair)
  )
end

--- The pairs of `session` (`rationale/timeline`, `pairs`), every page of them.
local function load_pairs(session, callback, from, found)
  found = found or {}
  local params = sessions.params(session, { granularity = 'pairs', from = from, limit = 5000 })
  sessions.request(session, 'rationale/timeline', params, function(result)
    if not result then
      return callback(nil)
    end
    vim.list_extend(found, vim.tbl_filter(function(step)
      return step.type == 'rationale'
    end, result.steps or {}))
    if result.next and result.next ~= vim.NIL then
      return load_pairs(session, callback, result.next, found)
    end
    callback(found)
  end)
end

--- The session a pair belongs to: its own (a queue entry's), else the review's.
local function session_of(state, pair)
  return pair.session or state.session
end

local function valid(state)
  return state
    and vim.api.nvim_tabpage_is_valid(state.tab)
    and vim.api.nvim_win_is_valid(state.left)
    and vim.api.nvim_win_is_valid(state.right)
    and vim.api.nvim_buf_is_valid(state.before)
    and vim.api.nvim_buf_is_valid(state.after)
end

local function winbars(state)
  local pair = state.pairs[state.index]
  local unit = pair.unit or {}
  view.winbar(state.before, ('before · %s · %s'):format(pair.path, rationale.described(unit.kind, unit.name)))
  -- The note is in the lines above the unit; the bar keeps room for the keys.
  local verdict = view.verdict_words(pair.review, true) or 'not reviewed'
  local what = state.queue and ('queue %d/%d · %s'):format(state.index, state.queue.total or #state.pairs, pair.type or 'rationale')
    or ('pair %d/%d'):format(state.index, #state.pairs)
  local flags = view.flag_words(pair.flags)
  view.winbar(
    state.after,
    ('%s · after · %s · %s %s%s'):format(what, pair.path, view.verdict_mark(pair.review), verdict, flags and (' · ' .. flags) or ''),
    'a accept · r reject · f flag · c comment · ]p [p pair · ]q [q queue · q close'
  )
end

--- The first line (0-based) where `a` and `b` differ: where a change is whose unit text is not
--- in the document (an unexplained change's record holds none).
local function first_difference(a, b)
  local left, right = vim.split(a or '', '\n', { plain = true }), vim.split(b or '', '\n', { plain = true })
  for i = 1, math.max(#left, #right) do
    if left[i] ~= right[i] then
      return i - 1
    end
  end
  return 0
end

--- The line (0-based) where the pair's unit starts. The text above the unit is the same on both
--- sides (only the unit differs), so it starts on the same line of both.
local function unit_line(state)
  local pair = state.pairs[state.index]
  local texts = state.texts[pair.pairId]
  local line = pair.change ~= 'removed' and view.unit_line(texts.after, pair.after)
  return line or view.unit_line(texts.before, pair.before) or first_difference(texts.before, texts.after)
end

--- The rationale above the unit on both sides (the same height keeps the diff aligned), and the
--- verdict in the window bars.
local function annotate(state)
  local pair = state.pairs[state.index]
  local line = unit_line(state)
  local above
  for _, buf in ipairs({ state.before, state.after }) do
    vim.api.nvim_buf_clear_namespace(buf, view.namespace, 0, -1)
    above = view.annotate(buf, line, pair)
  end
  view.line_comments(state.after, line, pair.comments)
  winbars(state)
  if line == 0 then
    -- Lines above the first line show only as far as the windows are scrolled to them, and a
    -- verdict adds one.
    view.focus(state.after, line, above)
    view.focus(state.before, line, above)
  end
  return above
end

--- Shows the texts of the pair on screen as a diff, with its rationale and its verdict.
local function render(state)
  local pair = state.pairs[state.index]
  local texts = state.texts[pair.pairId]
  view.set_text(state.before, texts.before, pair.path)
  view.set_text(state.after, texts.after, pair.path)
  for _, win in ipairs({ state.left, state.right }) do
    vim.api.nvim_win_call(win, function()
      vim.cmd('diffthis')
    end)
  end
  vim.api.nvim_win_call(state.right, function()
    vim.cmd('diffupdate')
  end)
  local above = annotate(state)
  vim.api.nvim_set_current_win(state.right)
  view.focus(state.after, unit_line(state), above)
  view.focus(state.before, unit_line(state), above)
end

local close_state -- forward: closes a review's tab page

--- Shows pair `index` of the review in `state`; the texts come from the server once. The pair on
--- screen (`state.index`, the one a verdict is for) changes only when its texts are shown.
local function show(state, index)
  state.token = state.token + 1
  local token = state.token
  local pair = state.pairs[index]
  if state.texts[pair.pairId] then
    state.index = index
    return render(state)
  end
  local texts, waiting, failed = {}, 2, false
  local function done(side, result)
    texts[side] = result and result.text
    failed = failed or not result
    waiting = waiting - 1
    if waiting > 0 or token ~= state.token or not valid(state) then
      return
    end
    if failed then
      -- The server said why (notified). A review that never showed a pair has nothing to keep.
      if next(state.texts) == nil then
        close_state(state)
      end
      return
    end
    state.texts[pair.pairId] = texts
    state.index = index
    render(state)
  end
  local session = session_of(state, pair)
  local params = sessions.params(session, { path = pair.path, seq = pair.seq })
  sessions.request(session, 'rationale/replay', vim.tbl_extend('force', params, { side = 'before' }), function(result)
    done('before', result)
  end)
  sessions.request(session, 'rationale/replay', params, function(result)
    done('after', result)
  end)
end

--- The review on screen in the current tab page.
function M.current()
  local state = reviews[vim.api.nvim_get_current_tabpage()]
  if valid(state) then
    return state
  end
end

--- `]p` (`direction` 1) and `[p` (-1).
function M.move(direction)
  local state = M.current()
  if not state then
    return
  end
  local index = state.index + direction * vim.v.count1
  if index < 1 or index > #state.pairs then
    return notify(direction > 0 and 'this is the last pair of the session' or 'this is the first pair of the session')
  end
  show(state, index)
end

--- Closes the tab page of the review in `state` (in the last tab page, its windows' buffers).
close_state = function(state)
  reviews[state.tab] = nil
  if vim.api.nvim_tabpage_is_valid(state.tab) then
    vim.api.nvim_set_current_tabpage(state.tab)
    if #vim.api.nvim_list_tabpages() > 1 then
      vim.cmd('tabclose')
    else
      vim.cmd('diffoff!')
      if vim.api.nvim_win_is_valid(state.left) then
        vim.api.nvim_set_current_win(state.left)
      end
      vim.cmd('only')
    end
  end
  for _, buf in ipairs({ state.before, state.after }) do
    if vim.api.nvim_buf_is_valid(buf) then
      view.close(buf)
    end
  end
end

--- `q`: closes the review on screen.
function M.close()
  local state = M.current()
  if state then
    close_state(state)
  end
end

local fetch_queue -- forward: a page of the queue as review entries

--- What tells a pair or queue entry apart from every other: its workspace and id.
local function key(pair)
  return (pair.session and pair.session.folder or '') .. '\n' .. pair.pairId
end

--- Re-reads the verdicts and comments of the review's pairs (the server names the reviewer) and
--- shows them. For the queue, its first page: the entries a reviewer is at most of the time.
local function refresh(state)
  local load = state.queue and function(callback)
    fetch_queue(state.queue.client, 0, function(list)
      callback(list)
    end)
  end or function(callback)
    load_pairs(state.session, callback)
  end
  load(function(list)
    if not list then
      return
    end
    local by_id = {}
    for _, pair in ipairs(list) do
      by_id[key(pair)] = pair
    end
    for _, pair in ipairs(state.pairs) do
      local fresh = by_id[key(pair)]
      if fresh then
        if state.queue and pair.review == nil and fresh.review ~= nil then
          -- Judged elsewhere meanwhile: it has moved behind the entries not yet loaded.
          state.queue.judged = state.queue.judged + 1
        end
        pair.review, pair.reviews, pair.comments = fresh.review, fresh.reviews, fresh.comments
      end
    end
    if valid(state) and state.texts[state.pairs[state.index].pairId] then
      annotate(state)
    end
  end)
end

--- Records `verdict` for the pair on screen. With `ask`, asks for the note first (`vim.ui.input`):
--- optional for accept and reject, needed for a flag. Esc records nothing.
--- @param on_done? fun(ok: boolean) for tests and callers that go on afterwards
function M.verdict(verdict, note, ask, on_done)
  on_done = on_done or function() end
  local state = M.current()
  if not state then
    notify('no pair on screen: open one with :Rationale review', vim.log.levels.ERROR)
    return on_done(false)
  end
  if not VERBS[verdict] then
    notify(('no verdict `%s`: accept, reject or flag'):format(tostring(verdict)), vim.log.levels.ERROR)
    return on_done(false)
  end
  local pair = state.pairs[state.index]
  local unit = pair.unit or {}
  local subject = rationale.described(unit.kind, unit.name)

  local function send(text)
    local session = session_of(state, pair)
    local params = { pairId = pair.pairId, verdict = verdict, note = text, folder = session.folder }
    sessions.request(session, 'rationale/review', params, function(result)
      if not result then
        return on_done(false)
      end
      if state.queue and pair.review == nil then
        -- A first verdict moves the entry to the judged end of the queue (see `more`).
        state.queue.judged = state.queue.judged + 1
      end
      -- Until the server's timeline names the reviewer (`refresh`).
      pair.review, pair.reviews = { verdict = verdict, reviewer = 'you', note = text }, nil
      notify(('%s %s (%s)'):format(DONE[verdict], subject, pair.pairId))
      if valid(state) and state.texts[pair.pairId] and state.pairs[state.index] == pair then
        annotate(state)
      end
      refresh(state)
      on_done(true)
    end)
  end

  if not ask then
    if verdict == 'flag' and (note == nil or vim.trim(note) == '') then
      return M.verdict(verdict, nil, true, on_done)
    end
    return send(note and vim.trim(note) ~= '' and vim.trim(note) or nil)
  end
  local needed = verdict == 'flag'
  vim.ui.input({
    prompt = ('%s %s, note%s: '):format(VERBS[verdict], subject, needed and ' (what is wrong)' or ' (optional)'),
  }, function(text)
    if text == nil then
      vim.api.nvim_echo({ { 'Rationale: no verdict recorded' } }, false, {})
      return on_done(false)
    end
    text = vim.trim(text)
    if needed and text == '' then
      notify('a flag needs a note that says what is wrong: nothing recorded', vim.log.levels.WARN)
      return on_done(false)
    end
    send(text ~= '' and text or nil)
  end)
end

--- Records `note` as a comment on line `line` (0-based, in the after window; the cursor's when
--- nil) of the pair on screen. Without `note`, asks for it (`vim.ui.input`).
--- @param on_done? fun(ok: boolean)
function M.comment(note, line, on_done)
  on_done = on_done or function() end
  local state = M.current()
  if not state then
    notify('no pair on screen: open one with :Rationale review or :Rationale queue', vim.log.levels.ERROR)
    return on_done(false)
  end
  local pair = state.pairs[state.index]
  if not state.texts[pair.pairId] then
    return on_done(false)
  end
  line = line or (vim.api.nvim_win_get_cursor(state.right)[1] - 1)
  local in_unit = line - unit_line(state)
  local function send(text)
    local session = session_of(state, pair)
    local params = { pairId = pair.pairId, line = in_unit, note = text, folder = session.folder }
    sessions.request(session, 'rationale/review', params, function(result)
      if not result then
        return on_done(false)
      end
      pair.comments = pair.comments or {}
      table.insert(pair.comments, { line = in_unit, note = text, reviewer = 'you' })
      if valid(state) and state.pairs[state.index] == pair then
        annotate(state)
      end
      notify(('comment on line %d of %s recorded'):format(in_unit + 1, pair.pairId))
      refresh(state)
      on_done(true)
    end)
  end
  if note and vim.trim(note) ~= '' then
    return send(vim.trim(note))
  end
  vim.ui.input({ prompt = ('Comment on line %d: '):format(in_unit + 1) }, function(text)
    if text == nil or vim.trim(text) == '' then
      vim.api.nvim_echo({ { 'Rationale: no comment recorded' } }, false, {})
      return on_done(false)
    end
    send(vim.trim(text))
  end)
end

--- A queue entry as the review shows it: a pair-like step with its own session.
local function from_entry(entry, client)
  return {
    pairId = entry.id,
    type = entry.type,
    seq = entry.seq,
    ts = entry.ts,
    path = entry.path,
    unit = entry.unit,
    change = entry.change,
    before = entry.before,
    after = entry.after,
    rationale = entry.rationale,
    reason = entry.reason,
    flags = entry.flags,
    review = entry.review ~= vim.NIL and entry.review or nil,
    reviews = entry.reviews,
    comments = entry.comments,
    session = { id = entry.session, folder = entry.folder, author = entry.author, client = client },
  }
end

--- How many entries a page of the queue holds: the `queue_page_size` option.
local function page_size()
  return require('rationale.config').get().queue_page_size
end

--- The page of the queue that starts at `from` (a place in the server's order), from `client`:
--- calls back with its entries as review entries and the server's answer, or nil after saying why.
fetch_queue = function(client, from, callback)
  local params = { from = from, limit = page_size() }
  rationale.request(client, 'rationale/reviewQueue', params, function(err, result)
    if err then
      notify(sessions.error_words('rationale/reviewQueue', err), vim.log.levels.WARN)
      return callback(nil)
    end
    local list = {}
    for _, entry in ipairs(result.entries or {}) do
      table.insert(list, from_entry(entry, client))
    end
    callback(list, result)
  end)
end

--- Adds a page to the queue as far as it is loaded: `entries` (review entries, in the server's
--- order), `loaded` (their keys), `total`, `next` (where the next page starts in the server's
--- order; nil after the last page), `client`, and `judged`: how many loaded entries got their
--- first verdict since the last page came. Each of those moved from before `next` to the judged
--- end of the queue, so the entries not loaded yet now start that many places earlier.
local function add_page(queue, list, result)
  for _, entry in ipairs(list) do
    -- A page that starts early (see `judged`) repeats entries already loaded.
    if not queue.loaded[key(entry)] then
      queue.loaded[key(entry)] = true
      table.insert(queue.entries, entry)
    end
  end
  queue.total = result.total or queue.total
  queue.next = result.next ~= vim.NIL and result.next or nil
  queue.judged = 0
end

--- The first page of the queue of `client` (nil: of the first server, started when none runs).
--- Calls back with the queue, or nil after saying why.
local function load_queue(client, callback)
  local function ask(c)
    fetch_queue(c, 0, function(list, result)
      if not list then
        return callback(nil)
      end
      for _, problem in ipairs(result.errors or {}) do
        notify('left out of the queue: ' .. problem, vim.log.levels.WARN)
      end
      local queue = { entries = {}, loaded = {}, total = 0, judged = 0, client = c }
      add_page(queue, list, result)
      callback(queue)
    end)
  end
  if client then
    return ask(client)
  end
  sessions.clients(function(clients)
    if #clients == 0 then
      return callback(nil)
    end
    ask(clients[1])
  end)
end

--- Loads pages of `queue` until it holds `wanted` entries or has no more; calls back with true
--- (whether or not there were that many), or false after a failed request.
local function more(queue, wanted, callback)
  if #queue.entries >= wanted or not queue.next then
    return callback(true)
  end
  fetch_queue(queue.client, math.max(0, queue.next - queue.judged), function(list, result)
    if not list then
      return callback(false)
    end
    add_page(queue, list, result)
    more(queue, wanted, callback)
  end)
end

--- One line for a queue entry in the picker.
function M.describe_entry(entry)
  local unit = entry.unit or {}
  local said = entry.type == 'skip' and ('skipped: ' .. (entry.reason or ''))
    or entry.type == 'unexplained' and 'left unexplained'
    or entry.rationale
  return ('%s %-11s %s  %s  %s  %s%s'):format(
    view.verdict_mark(entry.review),
    entry.type or 'rationale',
    entry.path or '?',
    rationale.described(unit.kind, unit.name),
    entry.session.author or '',
    first_line(said, 50),
    flags_after(entry)
  )
end

local show_queue -- forward

--- `]q` (`direction` 1) and `[q` (-1): the next or previous entry of the queue, from where the
--- pair on screen stands in it (a review opened from a session finds its pair in the queue, or
--- starts at the queue's first entry).
function M.queue_move(direction)
  local state = M.current()
  local here = state and state.pairs[state.index]
  if state and state.queue then
    local index = state.index + direction * vim.v.count1
    if index < 1 then
      return notify('this is the first entry of the queue')
    end
    -- Past the entries loaded: the next pages, as far as the count goes.
    return more(state.queue, index, function(ok)
      if not ok or not valid(state) then
        return
      end
      if index > #state.pairs then
        return notify('this is the last entry of the queue')
      end
      show(state, index)
    end)
  end
  load_queue(state and state.session.client, function(queue)
    if not queue or #queue.entries == 0 then
      return notify('the queue is empty')
    end
    -- Looked for in the first page only: the rest of a team's queue is not loaded for it.
    local index = 1
    for i, entry in ipairs(queue.entries) do
      if here and entry.pairId == here.pairId and entry.session.folder == state.session.folder then
        index = math.max(1, math.min(#queue.entries, i + direction))
      end
    end
    show_queue(queue, index)
  end)
end

--- The last line of the queue's picker while pages are left: picking it lists the next page too.
local MORE = { more = true }

--- The loaded entries of `queue` in a picker, and `more…` while there are pages left.
local function pick_from(queue)
  local items = vim.list_extend({}, queue.entries)
  if queue.next then
    table.insert(items, MORE)
  end
  local total = queue.total or #queue.entries
  vim.ui.select(items, {
    prompt = ('Review queue (%d%s): '):format(total, total > #queue.entries and (', the first ' .. #queue.entries) or ''),
    kind = 'rationale.queue',
    format_item = function(item)
      if item == MORE then
        return ('more… (%d more of %d)'):format(total - #queue.entries, total)
      end
      return M.describe_entry(item)
    end,
  }, function(choice, index)
    if choice == MORE then
      return more(queue, #queue.entries + 1, function(ok)
        if ok then
          pick_from(queue)
        end
      end)
    end
    if index then
      show_queue(queue, index)
    end
  end)
end

--- `:Rationale queue`: the queue's first page in a picker (`more…` lists the next); the entry
--- picked opens in the review window.
function M.queue()
  load_queue(nil, function(queue)
    if not queue then
      return
    end
    if #queue.entries == 0 then
      return notify('the queue is empty: nothing recorded to review', vim.log.levels.WARN)
    end
    pick_from(queue)
  end)
end

local function map(buf, lhs, rhs, desc)
  vim.keymap.set('n', lhs, rhs, { buffer = buf, nowait = true, silent = true, desc = 'Rationale: ' .. desc })
end

--- Opens pair `index` of `list` (the pairs of `session`) in the session's review tab page: the
--- one already open, else a new one. `queue`: the queue `list` is the loaded part of.
function M.show_pair(session, list, index, queue)
  local state
  for tab, open in pairs(reviews) do
    if valid(open) and open.session.id == session.id and open.session.folder == session.folder then
      vim.api.nvim_set_current_tabpage(tab)
      state = open
      state.pairs, state.session = list, session
      break
    end
  end
  if not state then
    local name = 'rationale://review/' .. session.id
    local before, after = view.buffer(name .. '/before'), view.buffer(name .. '/after')
    vim.bo[before].bufhidden, vim.bo[after].bufhidden = 'wipe', 'wipe'
    -- `tab split` rather than `tabnew`: no empty buffer is left behind.
    vim.cmd('tab split')
    local left = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(left, before)
    vim.cmd('rightbelow vsplit')
    local right = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(right, after)
    -- Says what is coming while the texts are asked for.
    view.winbar(before, 'before')
    view.winbar(after, 'after')
    state = {
      tab = vim.api.nvim_get_current_tabpage(),
      session = session,
      pairs = list,
      before = before,
      after = after,
      left = left,
      right = right,
      index = index,
      texts = {},
      token = 0,
    }
    reviews[state.tab] = state
    -- Another reviewer may have judged meanwhile: the bar is brought up to date on return.
    vim.api.nvim_create_autocmd({ 'WinEnter', 'FocusGained' }, {
      buffer = after,
      callback = function()
        if valid(state) then
          refresh(state)
        end
      end,
    })
    for _, buf in ipairs({ before, after }) do
      map(buf, 'a', function() M.verdict('accept', nil, true) end, 'accept the pair (optional note)')
      map(buf, 'r', function() M.verdict('reject', nil, true) end, 'reject the pair (optional note)')
      map(buf, 'f', function() M.verdict('flag', nil, true) end, 'flag the pair (with a note)')
      map(buf, 'c', function() M.comment() end, 'comment on this line')
      map(buf, ']p', function() M.move(1) end, 'next pair')
      map(buf, '[p', function() M.move(-1) end, 'previous pair')
      map(buf, ']q', function() M.queue_move(1) end, 'next in the queue')
      map(buf, '[q', function() M.queue_move(-1) end, 'previous in the queue')
      map(buf, 'q', M.close, 'close the review')
    end
  end
  state.queue = queue
  show(state, index)
end

--- Opens entry `index` of `queue` in the queue's review window, which walks the queue from there.
show_queue = function(queue, index)
  M.show_pair({ id = 'queue', folder = '', client = queue.client }, queue.entries, index, queue)
end

--- Lists the pairs of `session` in a picker and opens the one picked.
function M.list(session)
  load_pairs(session, function(list)
    if not list then
      return
    end
    if #list == 0 then
      return notify(('session %s has no explained pairs to review'):format(session.id), vim.log.levels.WARN)
    end
    vim.ui.select(list, {
      prompt = ('Pairs of %s (%d): '):format(session.id, #list),
      kind = 'rationale.pair',
      format_item = M.describe,
    }, function(_, index)
      if index then
        M.show_pair(session, list, index)
      end
    end)
  end)
end

--- Opens the pair `pair_id` of `session` in the review: `<CR>` at a pair of the replay.
function M.open_pair(session, pair_id)
  load_pairs(session, function(list)
    if not list then
      return
    end
    for index, pair in ipairs(list) do
      if pair.pairId == pair_id then
        return M.show_pair(session, list, index)
      end
    end
    notify(('no pair %s in session %s'):format(pair_id, session.id), vim.log.levels.WARN)
  end)
end

--- `:Rationale review [session]`
function M.open(id)
  sessions.pick(id, M.list)
end

return M
