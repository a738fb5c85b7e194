--- `:Rationale replay [session]`: a read-only scratch buffer that shows a recorded session one
--- journal record at a time (`rationale/timeline` with `edits`), each document as it stood after
--- that record (`rationale/replay`). `]r`/`[r` step, `]p`/`[p` jump between pairs; at a pair the
--- rationale shows as virtual lines above its unit; lines a change touched are highlighted.
---
--- The timeline comes a page at a time, as the reader moves: opening a session costs one page
--- however long it is. Step n of the `edits` timeline is record n (`seq` has no gaps), so
--- `state.steps` is by `seq`, holding the pages fetched so far.
local sessions = require('rationale.sessions')
local view = require('rationale.view')
local util = require('rationale.util')

local M = {}

--- The replay shown in each buffer, by buffer number.
local states = {}

local notify = util.notify

--- Steps a page asks for.
local PAGE = 500

--- Makes sure step `seq` is fetched (with the page around it: after it going forward, before it
--- going back), then calls back with it, or nil after the server said why.
local function ensure(state, seq, callback, backward)
  if state.steps[seq] then
    return callback(state.steps[seq])
  end
  local from = backward and math.max(1, seq - PAGE + 1) or seq
  local params = sessions.params(state.session, { granularity = 'edits', from = from, limit = PAGE })
  sessions.request(state.session, 'rationale/timeline', params, function(result)
    if not result then
      return callback(nil)
    end
    for _, step in ipairs(result.steps or {}) do
      state.steps[step.seq] = step
    end
    state.total = math.max(state.total, result.total or 0)
    callback(state.steps[seq])
  end)
end

--- The text of `path` after record `seq` (with `side = "before"`, a pair's file with its unit at
--- the baseline), from the cache or the server.
local function fetch(state, path, seq, callback, side)
  local key = path .. '\0' .. seq .. '\0' .. (side or 'after')
  if state.cache[key] then
    return callback(state.cache[key])
  end
  local params = sessions.params(state.session, { path = path, seq = seq, side = side })
  sessions.request(state.session, 'rationale/replay', params, function(result)
    if result then
      state.cache[key] = result.text
    end
    callback(result and result.text)
  end)
end

local function words(state, index)
  local step = state.steps[index]
  local left = ('step %d/%d · seq %d · %s · %s'):format(index, state.total, step.seq, step.path or state.path or '(no file yet)', view.step_words(step))
  local keys = ']r [r step · ]p [p pair · q close'
  if step.type == 'rationale' then
    keys = '<CR> review · ' .. keys
  end
  return left, keys
end

--- Shows step `index`: the document of the step after it, the lines it changed, the rationale
--- at a pair. Steps asked for quickly one after another show only the last.
local function show(state, index)
  local step = state.steps[index]
  -- A step without a file (`end`) shows the file shown last.
  local path = step.path or state.path
  state.index = index
  state.token = state.token + 1
  local token = state.token
  if not path then
    view.set_text(state.buf, '', nil)
    view.winbar(state.buf, words(state, index))
    state.shown = index
    return
  end
  -- What a change did: the same file after the record before it.
  local previous = (step.type == 'change' or step.type == 'resync') and step.seq > 1 and step.seq - 1 or nil
  -- A removed unit is not in the text after it: its rationale goes where it stood, the first
  -- line that differs from the pair's before side.
  local removed = (step.type == 'rationale' or step.type == 'skip') and step.change == 'removed'
  local texts, waiting = {}, (previous or removed) and 2 or 1
  local function done()
    waiting = waiting - 1
    if waiting > 0 or token ~= state.token or not vim.api.nvim_buf_is_valid(state.buf) then
      return
    end
    if not texts.now then
      -- The server said why (notified); the buffer keeps the last step it could show.
      state.index = state.shown or index
      return
    end
    view.set_text(state.buf, texts.now, path)
    state.path = path
    local focus, above
    if step.type == 'rationale' or step.type == 'skip' then
      if removed then
        local ranges = texts.before and util.changed_lines(texts.before, texts.now) or {}
        focus = ranges[1] and ranges[1][1] or 0
      else
        focus = view.unit_line(texts.now, step.after) or 0
      end
      above = view.annotate(state.buf, focus, step)
    elseif texts.before then
      for _, range in ipairs(util.changed_lines(texts.before, texts.now)) do
        view.mark_lines(state.buf, range[1], range[2])
        focus = focus or range[1]
      end
    end
    view.winbar(state.buf, words(state, index))
    state.shown = index
    -- A save or a close changes no text: the cursor stays where the reader left it.
    if focus then
      view.focus(state.buf, focus, above)
    end
  end
  fetch(state, path, step.seq, function(text)
    texts.now = text
    done()
  end)
  if previous then
    fetch(state, path, previous, function(text)
      texts.before = text
      done()
    end)
  elseif removed then
    fetch(state, path, step.seq, function(text)
      texts.before = text
      done()
    end, 'before')
  end
end

local function state_of(buf)
  return states[buf == 0 and vim.api.nvim_get_current_buf() or buf]
end

--- `]r` (`delta` 1) and `[r` (-1), `count` times.
function M.step(buf, delta)
  local state = state_of(buf)
  if not state then
    return
  end
  local index = math.max(1, math.min(state.total, state.index + delta * vim.v.count1))
  if index == state.index then
    return notify(delta > 0 and 'this is the last step of the session' or 'this is the first step of the session')
  end
  state.index = index
  ensure(state, index, function(step)
    if not step then
      state.index = state.shown or 1 -- the server said why
    elseif state.index == index then
      show(state, index)
    end
  end, delta < 0)
end

--- Calls back with the `seq`s of the session's pairs up to `seq` at least (all of them if it is
--- past the last), fetched a page at a time and kept.
local function pairs_up_to(state, seq, callback)
  if state.pairs_next == nil or state.pairs_next > seq then
    return callback(state.pairs)
  end
  local params = sessions.params(state.session, { granularity = 'pairs', from = state.pairs_next, limit = PAGE })
  sessions.request(state.session, 'rationale/timeline', params, function(result)
    if not result then
      return callback(state.pairs)
    end
    for _, step in ipairs(result.steps or {}) do
      table.insert(state.pairs, step.seq)
    end
    state.pairs_next = result.next ~= vim.NIL and result.next or nil
    pairs_up_to(state, seq, callback)
  end)
end

--- `]p` (`direction` 1) and `[p` (-1): the next or previous pair, `count` times.
function M.pair(buf, direction)
  local state = state_of(buf)
  if not state then
    return
  end
  local count, from = vim.v.count1, state.index
  local function go(seq)
    if not seq then
      return notify(direction > 0 and 'no pair after this step' or 'no pair before this step')
    end
    state.index = seq
    ensure(state, seq, function(step)
      if step and state.index == seq then
        show(state, seq)
      end
    end)
  end
  if direction > 0 then
    -- The next pairs, whatever page they are on, in one request.
    local params = sessions.params(state.session, { granularity = 'pairs', from = from + 1, limit = count })
    sessions.request(state.session, 'rationale/timeline', params, function(result)
      local steps = result and result.steps or {}
      go(steps[1] and steps[#steps].seq)
    end)
  else
    pairs_up_to(state, from, function(seqs)
      local earlier = {}
      for _, seq in ipairs(seqs) do
        if seq < from then
          table.insert(earlier, seq)
        end
      end
      go(earlier[math.max(1, #earlier - count + 1)])
    end)
  end
end

--- `<CR>`: the pair on screen, in the review.
function M.review(buf)
  local state = state_of(buf)
  local step = state and state.steps[state.shown or 0]
  if not step then
    return
  end
  if step.type ~= 'rationale' then
    return notify('this step is not a pair: ]p goes to the next one')
  end
  require('rationale.review').open_pair(state.session, step.pairId)
end

local function map(buf, lhs, rhs, desc)
  vim.keymap.set('n', lhs, rhs, { buffer = buf, nowait = true, silent = true, desc = 'Rationale: ' .. desc })
end

--- Opens the replay of `session` (a session of `rationale.sessions`) in the current window: one
--- page of its timeline, the first step shown.
function M.show_session(session, on_shown)
  local params = sessions.params(session, { granularity = 'edits', limit = PAGE })
  sessions.request(session, 'rationale/timeline', params, function(result)
    if not result then
      return -- the reason is on the command line now
    end
    local steps = {}
    for _, step in ipairs(result.steps or {}) do
      steps[step.seq] = step
    end
    if not steps[1] then
      return notify(('session %s has no records to replay yet'):format(session.id), vim.log.levels.WARN)
    end
    local buf = view.buffer('rationale://replay/' .. session.id)
    local state = {
      buf = buf,
      session = session,
      steps = steps,
      total = result.total or #steps,
      pairs = {},
      pairs_next = 0,
      index = 1,
      cache = {},
      token = 0,
    }
    states[buf] = state
    vim.api.nvim_create_autocmd('BufWipeout', {
      buffer = buf,
      once = true,
      callback = function()
        states[buf] = nil
      end,
    })
    vim.api.nvim_win_set_buf(0, buf)
    vim.wo[0][0].foldenable = false
    -- Says what is coming while the first step is asked for.
    view.winbar(buf, ('replay of %s'):format(session.id))
    map(buf, ']r', function() M.step(buf, 1) end, 'next step of the replay')
    map(buf, '[r', function() M.step(buf, -1) end, 'previous step of the replay')
    map(buf, ']p', function() M.pair(buf, 1) end, 'next pair of the replay')
    map(buf, '[p', function() M.pair(buf, -1) end, 'previous pair of the replay')
    map(buf, '<CR>', function() M.review(buf) end, 'review the pair on screen')
    map(buf, 'q', function() view.close(buf) end, 'close the replay')
    show(state, 1)
    if on_shown then
      on_shown(buf)
    end
  end)
end

--- `:Rationale replay [session]`
function M.open(id)
  sessions.pick(id, M.show_session)
end

--- The replay in `buf` (0: the current buffer), for the review and tests: the session, the steps
--- fetched so far (by `seq`, which is the step's number), how many there are (`total`), the step
--- asked for (`index`) and the one on screen (`shown`).
function M.state(buf)
  return state_of(buf or 0)
end

return M
