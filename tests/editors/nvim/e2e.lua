-- End-to-end test of the Rationale plugin in a real, headless Neovim with the real server. Run it
-- through tests/editors/nvim/run.sh, which starts `nvim --headless --clean -u init.lua -l e2e.lua`
-- once per mode: `main` (Neovim 0.11's vim.lsp.enable) and `fallback` (the 0.10 start-up path).
--
-- The person is played at the edges only: keys are typed with feedkeys, vim.ui.select picks the
-- code action a person would pick, vim.ui.input answers as a person would. Everything between
-- (the plugin, Neovim's LSP client, the server, the journal on disk) is the real thing.

local workspace = assert(vim.env.RATIONALE_E2E_WORKSPACE)
local outside = assert(vim.env.RATIONALE_E2E_OUTSIDE)
local mode = vim.env.RATIONALE_E2E_MODE or 'main'
local repo = assert(vim.env.RATIONALE_REPO)

local passed, failed = 0, 0

local function out(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

local function test(name, fn)
  local started = vim.uv.hrtime()
  local ok, err = xpcall(fn, debug.traceback)
  local ms = math.floor((vim.uv.hrtime() - started) / 1e6)
  if ok then
    passed = passed + 1
    out(('ok - %s (%d ms)'):format(name, ms))
  else
    failed = failed + 1
    out(('not ok - %s (%d ms)'):format(name, ms))
    out('    ' .. tostring(err):gsub('\n', '\n    '))
  end
end

local function wait_for(what, condition, timeout)
  if not vim.wait(timeout or 10000, condition, 20) then
    error('timed out waiting for ' .. what, 2)
  end
end

local function eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(('%s: expected %s, got %s'):format(what or 'value', vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

local function contains(haystack, needle, what)
  if type(haystack) ~= 'string' or not haystack:find(needle, 1, true) then
    error(('%s: expected %s to contain %s'):format(what or 'text', vim.inspect(haystack), vim.inspect(needle)), 2)
  end
end

-- The workspace: a project folder (rationale.toml marks its root) with a Python and a JavaScript
-- file.
local function write(path, text)
  vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
  local file = assert(io.open(path, 'w'))
  file:write(text)
  file:close()
end

write(workspace .. '/rationale.toml', 'min_rationale_chars = 15\n')
write(workspace .. '/app.py', table.concat({
  'def helper(x):',
  '    return x + 1',
  '',
  '',
  'def greet(name):',
  '    return "Hello " + name',
  '',
}, '\n'))
write(workspace .. '/util.js', table.concat({
  'function add(a, b) {',
  '  return a + b;',
  '}',
  '',
  'const double = (n) => n * 2;',
  '',
}, '\n'))
write(outside .. '/lonely.py', 'def alone():\n    return 1\n')

-- The person at the edges.
local notifications = {}
vim.notify = function(message, level)
  table.insert(notifications, { message = message, level = level or vim.log.levels.INFO })
end

local function notified(pattern, level)
  for _, n in ipairs(notifications) do
    if n.message:find(pattern, 1, true) and (level == nil or n.level == level) then
      return n
    end
  end
end

local function diff_windows()
  local found = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    local buf = vim.api.nvim_win_get_buf(win)
    if vim.bo[buf].filetype == 'diff' then
      table.insert(found, vim.api.nvim_buf_get_lines(buf, 0, -1, false))
    end
  end
  return found
end

local inputs, answers = {}, {}
vim.ui.input = function(opts, on_confirm)
  -- What the person sees when asked: the prompt, the text kept from before, the change's diff.
  local shown = diff_windows()
  table.insert(inputs, { prompt = opts.prompt, default = opts.default, diff = shown[1] and table.concat(shown[1], '\n') })
  local answer = table.remove(answers, 1)
  vim.schedule(function()
    if type(answer) == 'function' then
      answer = answer() -- does what the person does meanwhile, then answers
    end
    if answer == nil or answer == false then
      on_confirm(nil) -- <Esc>
    else
      on_confirm(answer)
    end
  end)
end

-- `pick`: the title to pick (else the first); `picks[kind]` wins for a list of that kind.
local selections, pick, picks = {}, nil, {}
vim.ui.select = function(items, opts, on_choice)
  local titles = {}
  for i, item in ipairs(items) do
    titles[i] = opts.format_item and opts.format_item(item) or tostring(item)
  end
  table.insert(selections, { kind = opts.kind, titles = titles })
  local wanted = picks[opts.kind] or pick
  if type(wanted) == 'table' then
    wanted = table.remove(wanted, 1) -- a list of picks, one per time the list is shown
  end
  local chosen, index
  for i, title in ipairs(titles) do
    if wanted and title:find(wanted, 1, true) then
      chosen, index = items[i], i
      break
    end
  end
  if not wanted then
    chosen, index = items[1], 1 -- the first, preferred action, as a person reading the list would
  end
  vim.schedule(function()
    on_choice(chosen, index)
  end)
end

--- Types keys as a person would, in whichever mode they lead to.
local function type_keys(keys)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), 'xt', false)
end

local function journal()
  local records = {}
  for _, path in ipairs(vim.fn.glob(workspace .. '/.rationale/sessions/*.jsonl', false, true)) do
    for line in io.lines(path) do
      local ok, record = pcall(vim.json.decode, line)
      if ok then
        table.insert(records, record)
      end
    end
  end
  return records
end

local function records_of(type_, unit)
  return vim.tbl_filter(function(r)
    return r.type == type_ and (unit == nil or (r.unit and r.unit.name == unit))
  end, journal())
end

local function rationale_diagnostics(bufnr)
  return vim.tbl_filter(function(d)
    return d.source == 'rationale'
  end, vim.diagnostic.get(bufnr))
end

local function client_of(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = 'rationale' })[1]
end

local function open(name)
  vim.cmd.edit(vim.fn.fnameescape(workspace .. '/' .. name))
  local bufnr = vim.api.nvim_get_current_buf()
  wait_for('the Rationale client to attach to ' .. name, function()
    local client = client_of(bufnr)
    return client and client.initialized
  end)
  return bufnr, client_of(bufnr)
end

local function pending(client, bufnr)
  local response = assert(client.request_sync and client:request_sync('rationale/pendingChanges', { uri = vim.uri_from_bufnr(bufnr) }, 5000, bufnr))
  assert(not response.err, vim.inspect(response.err))
  return response.result.changes
end

--- Types a change into a unit and waits for its prompt (the diagnostic on the unit's name).
local function change_and_wait(bufnr, line, keys, message)
  vim.api.nvim_win_set_cursor(0, { line, 0 })
  type_keys(keys)
  local found
  wait_for('the prompt "' .. message .. '"', function()
    for _, d in ipairs(rationale_diagnostics(bufnr)) do
      if d.message == message then
        found = d
        return true
      end
    end
  end)
  return found
end

if mode == 'fallback' then
  test('0.10 start-up path: without vim.lsp.enable the plugin starts the client itself', function()
    assert(vim.lsp.enable == nil)
    local bufnr, client = open('util.js')
    eq(workspace, client.config.root_dir, 'root_dir')
    eq(1, #vim.lsp.get_clients({ name = 'rationale' }), 'clients')
    local commands = client.server_capabilities.executeCommandProvider.commands
    assert(not vim.tbl_contains(commands, 'rationale.explain'), 'the server must leave rationale.explain to the plugin')
    change_and_wait(bufnr, 2, '0f;i * 1<Esc>', 'Explain the change to function `add`')
    answers = { 'Multiplying by one keeps the fallback honest.' }
    pick = nil
    vim.api.nvim_win_set_cursor(0, { 2, 2 })
    vim.lsp.buf.code_action()
    wait_for('the rationale in the journal', function()
      return #records_of('rationale', 'add') == 1
    end)
    local record = records_of('rationale', 'add')[1]
    eq('function add(a, b) {\n  return a + b * 1;\n}', record.after, 'after')
    eq('javascript', record.language, 'language')
  end)

  test('0.10 start-up path: with codelens = true a lens above the unit runs the explain command', function()
    local bufnr = vim.api.nvim_get_current_buf()
    change_and_wait(bufnr, 5, '0f2r4', 'Explain the change to function `double`')
    wait_for('the code lens', function()
      local lenses = vim.lsp.codelens.get(bufnr)
      return lenses[1] and lenses[1].command and lenses[1].command.command == 'rationale.explain'
    end)
    answers = { 'Quadrupling matches the new page size.' }
    vim.api.nvim_win_set_cursor(0, { 5, 0 })
    vim.lsp.codelens.run()
    wait_for('the rationale in the journal', function()
      return #records_of('rationale', 'double') == 1
    end)
  end)

  test('0.10 start-up path: no client for a file outside any project', function()
    vim.cmd.edit(vim.fn.fnameescape(outside .. '/lonely.py'))
    vim.wait(500)
    eq(nil, client_of(0), 'client')
  end)

  test('0.10 start-up path: a bad option is reported with its key', function()
    vim.g.rationale = vim.tbl_extend('force', vim.g.rationale, { settle_ms = 'soon' })
    local options = require('rationale.config').get()
    assert(notified('vim.g.rationale.settle_ms', vim.log.levels.ERROR), vim.inspect(notifications))
    eq(nil, options.settle_ms, 'a bad option is left out')
  end)

  test('a reviewer with no server running: :Rationale replay starts one for the project of the current directory', function()
    for _, client in ipairs(vim.lsp.get_clients({ name = 'rationale' })) do
      client:stop()
    end
    wait_for('the client to stop', function()
      return #vim.lsp.get_clients({ name = 'rationale' }) == 0
    end)
    vim.cmd.cd(vim.fn.fnameescape(workspace))
    vim.cmd.enew()
    picks, pick = {}, nil
    vim.cmd('Rationale replay')
    wait_for('the replay buffer', function()
      return vim.api.nvim_buf_get_name(0):find('rationale://replay/', 1, true) ~= nil
    end)
    local clients = vim.lsp.get_clients({ name = 'rationale' })
    eq(1, #clients, 'clients')
    eq(workspace, clients[1].config.root_dir, 'the project of the current directory')
    eq({}, clients[1].attached_buffers, 'attached to no buffer')
    local state = assert(require('rationale.replay').state())
    wait_for('the first step', function()
      return state.shown == 1
    end)
    eq('open', state.steps[1].type, 'the first step')
    eq({ 'function add(a, b) {', '  return a + b;', '}', '', 'const double = (n) => n * 2;' }, vim.api.nvim_buf_get_lines(0, 0, -1, false), 'util.js as it was opened')
    assert(selections[#selections].titles[1]:find('2 pairs, 0 reviewed', 1, true), vim.inspect(selections[#selections]))
  end)
else
  local app, app_client

  test('Python: the client attaches through vim.lsp.enable and leaves rationale.explain to the plugin', function()
    app, app_client = open('app.py')
    eq(workspace, app_client.config.root_dir, 'root_dir')
    local commands = app_client.server_capabilities.executeCommandProvider.commands
    assert(not vim.tbl_contains(commands, 'rationale.explain'), vim.inspect(commands))
    assert(not vim.tbl_contains(commands, 'rationale.skip'), vim.inspect(commands))
    assert(vim.tbl_contains(commands, 'rationale.record'), vim.inspect(commands))
  end)

  test('Python: change a function, get the prompt, explain it (a refusal first), find the pair in the journal', function()
    local diagnostic = change_and_wait(app, 2, 'A * 2<Esc>', 'Explain the change to function `helper`')
    eq(0, diagnostic.lnum, 'the prompt is on the name')
    eq(vim.diagnostic.severity.INFO, diagnostic.severity, 'severity')
    eq('unexplained-change', diagnostic.code, 'code')

    -- gra: the code actions at the cursor; the person picks the first (preferred) one.
    answers = { 'too short', 'Doubling makes the helper match the new pricing rule.' }
    pick = nil
    vim.api.nvim_win_set_cursor(0, { 2, 4 })
    vim.lsp.buf.code_action()
    wait_for('the rationale in the journal', function()
      return #records_of('rationale', 'helper') == 1
    end)

    eq({ 'Explain the change to `helper`…', 'Skip `helper`: no explanation needed' }, selections[#selections].titles, 'code actions')
    eq(2, #inputs, 'inputs')
    eq('Explain the change to function `helper`: ', inputs[1].prompt, 'prompt')
    eq(nil, inputs[1].default, 'first default')
    contains(inputs[1].diff, '-    return x + 1', 'diff shown while asking')
    contains(inputs[1].diff, '+    return x + 1 * 2', 'diff shown while asking')
    assert(notified('at least 15 characters', vim.log.levels.WARN), 'the refusal is shown: ' .. vim.inspect(notifications))
    eq('too short', inputs[2].default, 'the input reopens with the text kept')
    contains(inputs[2].diff, 'at least 15 characters', 'the reason is shown under the diff when asked again')
    eq(inputs[1].prompt, inputs[2].prompt, 'second prompt')

    local record = records_of('rationale', 'helper')[1]
    eq('app.py', record.path, 'path')
    eq('python', record.language, 'language')
    eq({ name = 'helper', kind = 'function' }, record.unit, 'unit')
    eq('modified', record.kind, 'kind')
    eq('def helper(x):\n    return x + 1', record.before, 'before')
    eq('def helper(x):\n    return x + 1 * 2', record.after, 'after')
    eq('Doubling makes the helper match the new pricing rule.', record.text, 'text')
    eq('command', record.via, 'via')

    wait_for('the prompt to go', function()
      return #rationale_diagnostics(app) == 0
    end)
    eq(0, #diff_windows(), 'the diff window is closed')
    assert(notified('recorded the rationale for function `helper`'), vim.inspect(notifications))
  end)

  test('Python: cancelling records nothing and the change stays pending', function()
    change_and_wait(app, 6, 'A + "!"<Esc>', 'Explain the change to function `greet`')
    local before = #journal()
    local asked = #inputs
    answers = { false }
    pick = nil
    vim.api.nvim_win_set_cursor(0, { 6, 4 })
    vim.lsp.buf.code_action()
    wait_for('the question', function()
      return #inputs == asked + 1
    end)
    vim.wait(300)
    eq(0, #records_of('rationale', 'greet'), 'rationale records for greet')
    eq(0, #records_of('skip', 'greet'), 'skip records for greet')
    eq(0, #diff_windows(), 'the diff window is closed')
    local changes = pending(app_client, app)
    eq(1, #changes, 'pending changes')
    eq('greet', changes[1].unit.name, 'pending unit')
    eq(1, #rationale_diagnostics(app), 'the prompt stays')
    assert(#journal() >= before)
  end)

  test('Python: a change edited back while asking is not recorded, and the person is told', function()
    change_and_wait(app, 2, 'A + 0<Esc>', 'Explain the change to function `helper`')
    local asked = #inputs
    answers = {
      function()
        vim.cmd('silent undo') -- back to the explained text: nothing is pending any more
        return 'An answer to a question that no longer stands.'
      end,
    }
    pick = nil
    vim.api.nvim_win_set_cursor(0, { 2, 4 })
    vim.lsp.buf.code_action()
    wait_for('the notice', function()
      return notified('`helper` is no longer pending') ~= nil
    end)
    eq(asked + 1, #inputs, 'asked once, not again')
    eq(1, #records_of('rationale', 'helper'), 'rationale records for helper')
    eq(0, #diff_windows(), 'the diff window is closed')
    eq('    return x + 1 * 2', vim.api.nvim_buf_get_lines(app, 1, 2, false)[1], 'the text is back')
  end)

  test(':Rationale pending fills the quickfix list', function()
    vim.cmd('Rationale pending')
    wait_for('the quickfix list', function()
      return vim.fn.getqflist({ title = 0 }).title == 'Rationale: pending changes'
    end)
    local items = vim.fn.getqflist()
    eq(1, #items, 'items')
    eq(5, items[1].lnum, 'line of greet')
    eq(workspace .. '/app.py', vim.api.nvim_buf_get_name(items[1].bufnr), 'file')
    contains(items[1].text, 'Explain the change to function `greet`', 'text')
    eq('quickfix', vim.bo[vim.api.nvim_get_current_buf()].buftype, 'the quickfix window is open')
    vim.cmd('cclose')
  end)

  test('Python: Skip, the second code action, is recorded by the server', function()
    vim.cmd.buffer(app)
    pick = 'Skip `greet`'
    vim.api.nvim_win_set_cursor(0, { 6, 4 })
    vim.lsp.buf.code_action()
    wait_for('the skip in the journal', function()
      return #records_of('skip', 'greet') == 1
    end)
    wait_for('the skip to be confirmed', function()
      return notified('skipped function `greet`: no explanation needed', vim.log.levels.INFO) ~= nil
    end)
    pick = nil
    wait_for('no pending change', function()
      return #pending(app_client, app) == 0
    end)
  end)

  test('Python: a unit over 16 KiB comes without its texts, and the preview asks for them', function()
    local lines = { 'def big():' }
    for i = 1, 400 do
      table.insert(lines, ('    total_%03d = %d  # one line of a long generated function'):format(i, i))
    end
    table.insert(lines, '    return 0')
    write(workspace .. '/big.py', table.concat(lines, '\n') .. '\n')
    local big, big_client = open('big.py')
    change_and_wait(big, #lines, 'A + 1<Esc>', 'Explain the change to function `big`')
    local change = pending(big_client, big)[1]
    eq(true, change.textsOmitted, 'textsOmitted')
    eq(nil, change.after, 'after, left out')
    local asked = #inputs
    answers = { false } -- seen, then put off: the later tests count the session's pairs
    pick = nil
    vim.api.nvim_win_set_cursor(0, { #lines, 4 })
    vim.lsp.buf.code_action()
    wait_for('the question', function()
      return #inputs == asked + 1
    end)
    contains(inputs[asked + 1].diff, '-    return 0', 'the diff, from rationale/changeTexts')
    contains(inputs[asked + 1].diff, '+    return 0 + 1', 'the diff, from rationale/changeTexts')
    -- Edited back, so that nothing of big.py is left pending (or unexplained at its close).
    vim.cmd('silent undo')
    wait_for('no pending change in big.py', function()
      return #pending(big_client, big) == 0
    end)
    vim.cmd('silent bwipeout! ' .. big)
  end)

  test('JavaScript: :Rationale explain explains the change under the cursor', function()
    local util = open('util.js')
    change_and_wait(util, 2, '0f;i - 0<Esc>', 'Explain the change to function `add`')
    vim.api.nvim_win_set_cursor(0, { 2, 2 })
    local asked = #inputs
    local split
    answers = {
      function()
        for _, win in ipairs(vim.api.nvim_list_wins()) do
          if vim.bo[vim.api.nvim_win_get_buf(win)].filetype == 'diff' then
            split = vim.api.nvim_win_get_config(win).relative == ''
          end
        end
        return 'Subtracting zero documents that the sum is unsigned.'
      end,
    }
    vim.g.rationale = vim.tbl_extend('force', vim.g.rationale, { diff = 'split' })
    vim.cmd('Rationale explain')
    wait_for('the rationale in the journal', function()
      return #records_of('rationale', 'add') == 1
    end)
    eq('Explain the change to function `add`: ', inputs[asked + 1].prompt, 'prompt')
    local record = records_of('rationale', 'add')[1]
    eq('util.js', record.path, 'path')
    eq('javascript', record.language, 'language')
    eq('function add(a, b) {\n  return a + b;\n}', record.before, 'before')
    eq('function add(a, b) {\n  return a + b - 0;\n}', record.after, 'after')
    eq(true, split, 'with diff = "split" the change is shown in a split')
    wait_for('the split to close', function()
      return #diff_windows() == 0
    end)
    vim.g.rationale = vim.tbl_extend('force', vim.g.rationale, { diff = 'float' })
  end)

  test(':Rationale explain with the cursor elsewhere takes the next pending change', function()
    local util = vim.api.nvim_get_current_buf()
    change_and_wait(util, 5, '0f2r3', 'Explain the change to function `double`')
    vim.api.nvim_win_set_cursor(0, { 1, 0 })
    local asked = #inputs
    answers = { 'Tripling is what the report needs now.' }
    vim.cmd('Rationale explain')
    wait_for('the rationale in the journal', function()
      return #records_of('rationale', 'double') == 1
    end)
    eq('Explain the change to function `double`: ', inputs[asked + 1].prompt, 'prompt')
    eq(5, vim.api.nvim_win_get_cursor(0)[1], 'the cursor moved to the change')
  end)

  test('no client for a file outside any project', function()
    vim.cmd.edit(vim.fn.fnameescape(outside .. '/lonely.py'))
    vim.wait(500)
    eq(nil, client_of(0), 'client')
    eq(1, #vim.lsp.get_clients({ name = 'rationale' }), 'clients')
  end)

  -- Reviewers: the session recorded above (still being recorded) replayed and reviewed. What the
  -- plugin shows is checked against the journal on disk, replayed here on its own: every document
  -- after every record.
  local function texts_by_seq()
    local documents, at = {}, {}
    local scratch = vim.api.nvim_create_buf(false, true)
    local function split(text)
      return vim.split(text, '\n', { plain = true })
    end
    for _, record in ipairs(journal()) do
      if record.type == 'open' or record.type == 'resync' then
        documents[record.path] = record.text
      elseif record.type == 'change' then
        vim.api.nvim_buf_set_lines(scratch, 0, -1, false, split(documents[record.path]))
        for _, edit in ipairs(record.edits) do
          if edit.range then
            local from, to = edit.range[1], edit.range[2]
            vim.api.nvim_buf_set_text(scratch, from[1], from[2], to[1], to[2], split(edit.text))
          else
            vim.api.nvim_buf_set_lines(scratch, 0, -1, false, split(edit.text))
          end
        end
        documents[record.path] = table.concat(vim.api.nvim_buf_get_lines(scratch, 0, -1, false), '\n')
      end
      if record.path and record.type ~= 'session' then
        at[record.seq] = { path = record.path, text = documents[record.path], record = record }
      end
    end
    vim.api.nvim_buf_delete(scratch, { force = true })
    return at
  end

  --- A document's text as lines, the final newline ending the last line.
  local function lines_of(text)
    return vim.split((text:gsub('\n$', '')), '\n', { plain = true })
  end

  local function buffer_text(buf)
    return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  end

  local function winbar(win)
    return vim.api.nvim_get_option_value('winbar', { win = win, scope = 'local' })
  end

  --- The text of the virtual lines above line `line` (0-based) of `buf`, unwrapped: the lines
  --- are wrapped to the window's width, which a test does not choose.
  local function virtual_lines(buf, line)
    local found = {}
    local namespace = require('rationale.view').namespace
    for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, namespace, { line, 0 }, { line, -1 }, { details = true })) do
      for _, virt in ipairs(mark[4].virt_lines or {}) do
        local text = ''
        for _, chunk in ipairs(virt) do
          text = text .. chunk[1]
        end
        table.insert(found, (text:gsub('^%s*▍ ', '')))
      end
    end
    return table.concat(found, ' ')
  end

  local session_id
  local replay_buf

  test(':Rationale replay: the session picker shows author, date, pairs and reviewed', function()
    vim.wait(400) -- the change records reach the disk within 250 ms
    local asked = #selections
    picks = {}
    pick = nil
    vim.cmd('Rationale replay')
    wait_for('the replay buffer', function()
      return vim.api.nvim_buf_get_name(0):find('rationale://replay/', 1, true) ~= nil
    end)
    local shown = selections[asked + 1]
    eq('rationale.session', shown.kind, 'picker kind')
    eq(1, #shown.titles, 'one session')
    session_id = records_of('session')[1].session
    contains(shown.titles[1], session_id, 'session id')
    contains(shown.titles[1], 'e2e@example.invalid', 'author')
    contains(shown.titles[1], records_of('session')[1].ts:sub(1, 10), 'date')
    contains(shown.titles[1], '3 pairs, 0 reviewed', 'pairs and reviewed')
    replay_buf = vim.api.nvim_get_current_buf()
    eq('nofile', vim.bo[replay_buf].buftype, 'buftype')
    eq(false, vim.bo[replay_buf].modifiable, 'modifiable')
  end)

  test(':Rationale replay: ]r and [r step through every record, each document as the journal has it', function()
    local replay = require('rationale.replay')
    local state = assert(replay.state(replay_buf))
    local expected = texts_by_seq()
    local seqs = vim.tbl_keys(expected)
    table.sort(seqs)
    eq(#seqs, #state.steps, 'one step per record but the session record')
    local win = vim.api.nvim_get_current_win()
    local function at_step(i)
      wait_for('step ' .. i, function()
        return state.shown == i
      end)
      local step = state.steps[i]
      local want = expected[step.seq]
      eq(want.record.type, step.type, 'type of step ' .. i)
      eq(lines_of(want.text), buffer_text(replay_buf), ('text at step %d (seq %d, %s %s)'):format(i, step.seq, step.type, want.path))
      contains(winbar(win), ('step %d/%d · seq %d · %s'):format(i, #state.steps, step.seq, want.path), 'winbar')
      eq(vim.filetype.match({ filename = want.path }), vim.bo[replay_buf].filetype, 'filetype at step ' .. i)
    end
    at_step(1)
    eq('open', state.steps[1].type, 'the first step opens app.py')
    eq(lines_of(expected[state.steps[1].seq].text), buffer_text(replay_buf), 'app.py as it was opened')
    local saw_change_mark = false
    for i = 2, #state.steps do
      type_keys(']r')
      at_step(i)
      if state.steps[i].type == 'change' then
        local marks = vim.api.nvim_buf_get_extmarks(replay_buf, require('rationale.view').namespace, 0, -1, { details = true })
        saw_change_mark = saw_change_mark or #vim.tbl_filter(function(mark)
          return mark[4].line_hl_group == 'RationaleStep'
        end, marks) > 0
      end
    end
    assert(saw_change_mark, 'the lines a change touched are highlighted')
    type_keys(']r')
    vim.wait(100)
    eq(#state.steps, state.index, 'past the last step it stays')
    assert(notified('this is the last step of the session'), vim.inspect(notifications))
    type_keys('[r')
    at_step(#state.steps - 1)
    type_keys('99[r')
    at_step(1)
  end)

  test(':Rationale replay: ]p and [p jump between pairs, the rationale above its unit', function()
    local replay = require('rationale.replay')
    local state = replay.state(replay_buf)
    local expected = texts_by_seq()
    local function at_pair(unit, line)
      wait_for('the pair of ' .. unit, function()
        local step = state.steps[state.shown or 0]
        return step and step.type == 'rationale' and step.unit.name == unit
      end)
      local step = state.steps[state.shown]
      eq(lines_of(expected[step.seq].text), buffer_text(replay_buf), 'text at the pair of ' .. unit)
      local above = virtual_lines(replay_buf, line)
      contains(above, expected[step.seq].record.text, 'the rationale above ' .. unit)
      contains(above, 'the change to function `' .. unit .. '`', 'what it is about')
      contains(winbar(0), 'pair: function `' .. unit .. '`', 'winbar')
    end
    type_keys(']p')
    at_pair('helper', 0)
    eq('python', vim.bo[replay_buf].filetype, 'filetype')
    contains(table.concat(buffer_text(replay_buf), '\n'), 'return x + 1 * 2', 'the explained text')
    type_keys(']p')
    at_pair('add', 0)
    eq('javascript', vim.bo[replay_buf].filetype, 'the buffer shows the file of the step')
    type_keys(']p')
    at_pair('double', 4)
    type_keys('[p')
    at_pair('add', 0)
    contains(winbar(0), '<CR> review', 'the key to review the pair')

    -- <CR> at a pair opens it in the review; closing the review comes back to the replay.
    local review = require('rationale.review')
    local add = records_of('rationale', 'add')[1].pair
    type_keys('<CR>')
    wait_for('the review of add', function()
      local open = review.current()
      return open and open.texts[add] ~= nil and open.pairs[open.index].pairId == add
    end)
    eq(2, #vim.api.nvim_tabpage_list_wins(0), 'two windows: the diff')
    type_keys('q')
    eq(nil, review.current(), 'the review is closed')
    eq(replay_buf, vim.api.nvim_get_current_buf(), 'back at the replay')

    type_keys('q')
    eq(false, vim.api.nvim_buf_is_valid(replay_buf), 'q wipes the replay')
  end)

  local function reviews_file()
    local verdicts = {}
    for _, path in ipairs(vim.fn.glob(workspace .. '/.rationale/reviews/*.jsonl', false, true)) do
      for line in io.lines(path) do
        table.insert(verdicts, vim.json.decode(line))
      end
    end
    return verdicts
  end

  local function pair_id(unit)
    local record = records_of('rationale', unit)[1]
    return record.pair, record
  end

  test(':Rationale review: a pair opens as a diff, before and after, the rationale above the unit', function()
    local review = require('rationale.review')
    local tabs = #vim.api.nvim_list_tabpages()
    picks = { ['rationale.pair'] = 'function `helper`' }
    local asked = #selections
    vim.cmd('Rationale review')
    wait_for('the review of helper', function()
      local state = review.current()
      return state and state.texts[pair_id('helper')] ~= nil
    end)
    local listed = selections[#selections]
    eq('rationale.pair', listed.kind, 'the pairs picker')
    eq(asked + 2, #selections, 'a session picker, then the pairs')
    eq(3, #listed.titles, 'pairs listed')
    contains(listed.titles[1], '[ ] app.py  function `helper`  Doubling makes the helper', 'a pair in the list')
    eq(tabs + 1, #vim.api.nvim_list_tabpages(), 'a tab page of its own')
    local state = review.current()
    local id, record = pair_id('helper')
    local after = texts_by_seq()[record.seq].text
    local before = after:gsub(vim.pesc(record.after), (record.before:gsub('%%', '%%%%')), 1)
    eq(lines_of(before), buffer_text(state.before), 'the left side: the unit at its baseline')
    eq(lines_of(after), buffer_text(state.after), 'the right side: as explained')
    eq(true, vim.wo[state.left].diff, 'left in diff mode')
    eq(true, vim.wo[state.right].diff, 'right in diff mode')
    eq(state.right, vim.api.nvim_get_current_win(), 'the cursor is on the right')
    contains(virtual_lines(state.after, 0), record.text, 'the rationale above the unit')
    contains(virtual_lines(state.before, 0), record.text, 'the same on the left, so the diff stays aligned')
    contains(winbar(state.right), 'pair 1/3 · after · app.py · [ ] not reviewed', 'winbar')
    contains(winbar(state.left), 'before · app.py · function `helper`', 'winbar')
    eq(id, state.pairs[state.index].pairId, 'pair on screen')
  end)

  test(':Rationale review: a accepts, ]p moves on, f flags with a note, a flag without one is refused', function()
    local review = require('rationale.review')
    local state = review.current()
    local helper = pair_id('helper')
    answers = { '' } -- a: no note
    type_keys('a')
    wait_for('the verdict in the reviews file', function()
      return #reviews_file() == 1
    end)
    local verdict = reviews_file()[1]
    eq(helper, verdict.pair, 'pair')
    eq('accept', verdict.verdict, 'verdict')
    eq('e2e@example.invalid', verdict.reviewer, 'reviewer')
    eq(nil, verdict.note, 'no note')
    assert(verdict.ts, 'ts')
    contains(inputs[#inputs].prompt, 'Accept function `helper`, note (optional)', 'prompt')
    wait_for('the winbar to show the verdict', function()
      return winbar(state.right):find('[✓] accepted by e2e@example.invalid', 1, true) ~= nil
    end)

    type_keys(']p')
    local add, record = pair_id('add')
    wait_for('the pair of add', function()
      return state.texts[add] ~= nil and state.pairs[state.index].pairId == add
    end)
    local after = texts_by_seq()[record.seq].text
    local before = after:gsub(vim.pesc(record.after), (record.before:gsub('%%', '%%%%')), 1)
    eq(lines_of(before), buffer_text(state.before), 'left side of add')
    eq(lines_of(after), buffer_text(state.after), 'right side of add')
    eq('javascript', vim.bo[state.after].filetype, 'filetype')
    contains(virtual_lines(state.after, 0), 'Subtracting zero documents that the sum is unsigned.', 'rationale')

    answers = { '   ' } -- f with an empty note: refused, nothing recorded
    type_keys('f')
    wait_for('the refusal', function()
      return notified('a flag needs a note') ~= nil
    end)
    eq(1, #reviews_file(), 'nothing recorded for an empty flag')

    answers = { 'Subtracting zero hides the real question.' }
    type_keys('f')
    wait_for('the flag in the reviews file', function()
      return #reviews_file() == 2
    end)
    verdict = reviews_file()[2]
    eq(add, verdict.pair, 'pair')
    eq('flag', verdict.verdict, 'verdict')
    eq('Subtracting zero hides the real question.', verdict.note, 'note')
  end)

  test(':Rationale review reject <note> records for the pair on screen; the latest verdict stands', function()
    local review = require('rationale.review')
    local state = review.current()
    type_keys(']p')
    local double = pair_id('double')
    wait_for('the pair of double', function()
      return state.texts[double] ~= nil and state.pairs[state.index].pairId == double
    end)
    vim.cmd('Rationale review reject  Tripling needs a test first.')
    wait_for('the rejection in the reviews file', function()
      return #reviews_file() == 3
    end)
    local verdict = reviews_file()[3]
    eq(double, verdict.pair, 'pair')
    eq('reject', verdict.verdict, 'verdict')
    eq('Tripling needs a test first.', verdict.note, 'note')

    -- Back to helper, changing the verdict: the timeline shows the latest.
    type_keys('2[p')
    wait_for('the pair of helper', function()
      return state.pairs[state.index].pairId == pair_id('helper')
    end)
    answers = {} -- asked for the note: Esc
    vim.cmd('Rationale review flag')
    vim.wait(200)
    eq(3, #reviews_file(), 'Esc records nothing')
    answers = { 'On second thought, the rule changed again.' }
    vim.cmd('Rationale review flag')
    wait_for('the second verdict for helper', function()
      return #reviews_file() == 4
    end)
    wait_for('the winbar to show the latest verdict', function()
      return winbar(state.right):find('[!] flagged by e2e@example.invalid', 1, true) ~= nil
    end)
    contains(virtual_lines(state.after, 0), 'flagged by e2e@example.invalid: On second thought, the rule changed again.', 'the verdict above the unit')
    local sessions = assert(app_client:request_sync('rationale/sessions', vim.empty_dict(), 5000)).result.sessions
    eq(3, sessions[1].reviewed, 'reviewed pairs of the session')
    type_keys('q')
    eq(nil, review.current(), 'q closes the review')
  end)

  test(':Rationale review: a new function shows against a before side without it', function()
    vim.cmd.buffer(app)
    local last = vim.api.nvim_buf_line_count(app)
    vim.api.nvim_buf_set_lines(app, last, last, false, { '', '', 'def farewell(name):', '    return "Bye " + name' })
    wait_for('the prompt for farewell', function()
      for _, d in ipairs(rationale_diagnostics(app)) do
        if d.message == 'Explain the new function `farewell`' then
          return true
        end
      end
    end)
    vim.api.nvim_win_set_cursor(0, { last + 3, 0 })
    answers = { 'Saying goodbye closes the greeting flow.' }
    vim.cmd('Rationale explain')
    wait_for('the rationale in the journal', function()
      return #records_of('rationale', 'farewell') == 1
    end)
    -- Another reviewer's verdict, copied in from their machine.
    local id, record = pair_id('farewell')
    write(workspace .. '/.rationale/reviews/colleague@example.invalid.jsonl', vim.json.encode({
      ts = '2026-01-01T00:00:00.000Z', reviewer = 'colleague@example.invalid', pair = id, verdict = 'accept', note = 'Reads well.',
    }) .. '\n')
    local review = require('rationale.review')
    picks = { ['rationale.pair'] = 'function `farewell`' }
    vim.cmd('Rationale review')
    wait_for('the review of farewell', function()
      local state = review.current()
      return state and state.texts[id] ~= nil and state.pairs[state.index].pairId == id
    end)
    local state = review.current()
    eq('added', record.kind, 'kind')
    local after = texts_by_seq()[record.seq].text
    local before = after:gsub(vim.pesc(record.after), '', 1)
    eq(lines_of(before), buffer_text(state.before), 'the left side: without the new function')
    eq(lines_of(after), buffer_text(state.after), 'the right side: with it')
    contains(virtual_lines(state.after, last + 2), 'Saying goodbye closes the greeting flow.', 'the rationale above the new function')
    contains(virtual_lines(state.after, last + 2), 'the new function `farewell`', 'what it is about')
    contains(virtual_lines(state.after, last + 2), 'accepted by colleague@example.invalid: Reads well.', 'the other reviewer\'s verdict')
    answers = { '' }
    type_keys('r')
    wait_for('both verdicts above the unit, the latest first', function()
      return virtual_lines(state.after, last + 2):find('rejected by e2e@example.invalid — accepted by colleague@example.invalid: Reads well.', 1, true) ~= nil
    end)
    contains(winbar(state.right), 'pair 4/4', 'the fourth pair')
    type_keys('q')
    picks = {}
  end)

  test(':Rationale replay: the rationale of a removed function stands where the function was', function()
    vim.cmd.buffer(app)
    local at
    for i, line in ipairs(vim.api.nvim_buf_get_lines(app, 0, -1, false)) do
      if line:find('^def greet') then
        at = i
      end
    end
    vim.api.nvim_buf_set_lines(app, at - 1, at + 1, false, {})
    wait_for('the prompt for the removal', function()
      for _, d in ipairs(rationale_diagnostics(app)) do
        if d.message == 'Explain the removal of function `greet`' then
          return true
        end
      end
    end)
    answers = { 'Nobody greets any more: farewell says it all.' }
    vim.cmd('Rationale explain')
    wait_for('the rationale in the journal', function()
      return #records_of('rationale', 'greet') == 1
    end)
    picks, pick = {}, nil
    vim.cmd('Rationale replay')
    wait_for('the replay buffer', function()
      return vim.api.nvim_buf_get_name(0):find('rationale://replay/', 1, true) ~= nil
    end)
    local buf = vim.api.nvim_get_current_buf()
    local state = require('rationale.replay').state(buf)
    type_keys('99]p')
    wait_for('the last pair', function()
      local step = state.steps[state.shown or 0]
      return step and step.type == 'rationale' and step.unit.name == 'greet'
    end)
    eq('removed', state.steps[state.shown].change, 'change')
    local text = table.concat(buffer_text(buf), '\n')
    assert(not text:find('def greet', 1, true), 'greet is gone: ' .. text)
    contains(virtual_lines(buf, at - 1), 'Nobody greets any more: farewell says it all.', 'the rationale where greet was')
    contains(virtual_lines(buf, at - 1), 'the removal of function `greet`', 'what it is about')
    type_keys('q')
  end)

  test(':Rationale replay <Tab> completes the session ids; an unknown id is said so', function()
    local completions = vim.fn.getcompletion('Rationale replay ', 'cmdline')
    eq({ session_id }, completions, 'replay completions')
    completions = vim.fn.getcompletion('Rationale review ', 'cmdline')
    eq({ 'accept', 'reject', 'flag', session_id }, completions, 'review completions')
    eq({ 'replay', 'review' }, vim.fn.getcompletion('Rationale re', 'cmdline'), 'subcommands')
    local before = #vim.api.nvim_list_bufs()
    vim.cmd('Rationale replay 20991231T000000Z-nosuch')
    wait_for('the error', function()
      return notified('no session `20991231T000000Z-nosuch`', vim.log.levels.ERROR) ~= nil
    end)
    eq(before, #vim.api.nvim_list_bufs(), 'no buffer for an unknown session')
    vim.cmd('Rationale review accept')
    assert(notified('no pair on screen', vim.log.levels.ERROR), 'a verdict with no pair on screen is refused')
  end)

  test('K over a reviewed unit shows its rationale and verdict (the server\'s hover)', function()
    vim.cmd.buffer(app)
    vim.api.nvim_win_set_cursor(0, { 1, 5 })
    local text
    wait_for('the hover', function()
      type_keys('K') -- Neovim 0.11 maps K to vim.lsp.buf.hover() in a buffer with a client
      vim.wait(200)
      for _, win in ipairs(vim.api.nvim_list_wins()) do
        if vim.api.nvim_win_get_config(win).relative ~= '' then
          text = table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), '\n')
          vim.api.nvim_win_close(win, true)
          if text:find('Doubling makes the helper', 1, true) then
            return true
          end
        end
      end
    end)
    contains(text, 'flagged by e2e@example.invalid: On second thought, the rule changed again.', 'the verdict')
  end)

  test(':Rationale explain all: one rationale for several changes, its length checked as the server says', function()
    vim.cmd.buffer(app)
    local function line_of(text)
      for i, line in ipairs(vim.api.nvim_buf_get_lines(app, 0, -1, false)) do
        if line:find(text, 1, true) then
          return i
        end
      end
      error('no line with ' .. text)
    end
    -- The server's minimum, not the plugin's: raised from rationale.toml's 15 to 25.
    app_client:notify('workspace/didChangeConfiguration', { settings = { settleMs = 300, minRationaleChars = 25 } })
    change_and_wait(app, line_of('return x + 1'), 'A - 1<Esc>', 'Explain the change to function `helper`')
    change_and_wait(app, line_of('return "Bye "'), 'A + "!"<Esc>', 'Explain the change to function `farewell`')
    local helpers, farewells = #records_of('rationale', 'helper'), #records_of('rationale', 'farewell')
    local asked, shown = #inputs, #selections
    picks['rationale.several'] = { '`helper`', '`farewell`', 'Explain the 2 ticked changes' }
    local RATIONALE = 'Both follow the pricing and parting rules of the new release.'
    answers = { 'shorter than 25 chars', RATIONALE }
    vim.cmd('Rationale explain all')
    wait_for('the rationales in the journal', function()
      return #records_of('rationale', 'helper') == helpers + 1 and #records_of('rationale', 'farewell') == farewells + 1
    end)
    picks['rationale.several'] = nil
    eq(shown + 3, #selections, 'the list is shown until the person picks the line that explains')
    local last = selections[#selections].titles
    eq('Explain the 2 ticked changes', last[1], 'the first line explains the ticked changes')
    for _, unit in ipairs({ 'helper', 'farewell' }) do
      local ticked = vim.tbl_filter(function(title)
        return vim.startswith(title, '[x] modified function `' .. unit .. '`')
      end, last)
      eq(1, #ticked, unit .. ' ticked in ' .. vim.inspect(last))
    end
    eq('Explain 2 changes (`helper`, `farewell`): ', inputs[asked + 1].prompt, 'one question for both')
    assert(notified('at least 25 characters', vim.log.levels.WARN), 'the server\'s minimum: ' .. vim.inspect(notifications))
    eq('shorter than 25 chars', inputs[asked + 2].default, 'asked again with the text kept')
    local helper = records_of('rationale', 'helper')[helpers + 1]
    local farewell = records_of('rationale', 'farewell')[farewells + 1]
    eq(RATIONALE, helper.text, 'helper text')
    eq(RATIONALE, farewell.text, 'farewell text')
    assert(type(helper.group) == 'string' and helper.group ~= '', vim.inspect(helper))
    eq(helper.group, farewell.group, 'the records share one group')
    wait_for('the person to be told', function()
      return notified('recorded one rationale for `helper`, `farewell`') ~= nil
    end)
    app_client:notify('workspace/didChangeConfiguration', { settings = { settleMs = 300 } })
  end)

  test(':Rationale queue: a skip picked from the queue, rejected with r; c comments on a line; ]q walks the queue', function()
    local review = require('rationale.review')
    local skip = records_of('skip', 'greet')[1]
    assert(skip and skip.pair, 'the skip of greet recorded above')
    picks = { ['rationale.queue'] = 'skipped:' }
    vim.cmd('Rationale queue')
    wait_for('the skip in the review window', function()
      local state = review.current()
      return state and state.queue and state.pairs[state.index].pairId == skip.pair and state.texts[skip.pair] ~= nil
    end)
    local shown = selections[#selections]
    eq('rationale.queue', shown.kind, 'the queue picker')
    local state = review.current()
    contains(winbar(state.right), 'queue ' .. state.index .. '/', 'the bar says where in the queue')
    contains(winbar(state.right), '· skip · after · app.py', 'the bar says it is a skip')
    local function all_virtual(buf)
      local found = {}
      local namespace = require('rationale.view').namespace
      for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, namespace, 0, -1, { details = true })) do
        for _, virt in ipairs(mark[4].virt_lines or { mark[4].virt_text or {} }) do
          for _, chunk in ipairs(virt) do
            table.insert(found, chunk[1])
          end
        end
      end
      return table.concat(found, ' ')
    end
    contains(all_virtual(state.after), 'skipped: ', 'the skip and its reason above the unit')
    local before = #reviews_file()
    answers = { 'this needed an explanation' }
    type_keys('r')
    wait_for('the rejection of the skip', function()
      return #reviews_file() == before + 1
    end)
    local verdict = reviews_file()[before + 1]
    eq({ skip.pair, 'reject', 'this needed an explanation' }, { verdict.pair, verdict.verdict, verdict.note }, 'the verdict on the skip')
    wait_for('the bar to show it rejected', function()
      return winbar(state.right):find('[✗] rejected', 1, true) ~= nil
    end)

    -- A comment on the line the cursor is on: the unit's first line.
    local line = vim.api.nvim_win_get_cursor(state.right)[1] - 1
    local done
    review.comment('greet with a name, always', nil, function(ok)
      done = ok
    end)
    wait_for('the comment recorded', function()
      return done ~= nil
    end)
    eq(true, done, 'the comment was recorded')
    local comment = reviews_file()[before + 2]
    eq({ skip.pair, 0, 'greet with a name, always' }, { comment.pair, comment.line, comment.note }, 'the comment on disk')
    eq(nil, comment.verdict, 'a comment is no verdict')
    wait_for('the comment at the end of its line', function()
      local marks = vim.api.nvim_buf_get_extmarks(state.after, require('rationale.view').namespace, { line, 0 }, { line, -1 }, { details = true })
      for _, mark in ipairs(marks) do
        for _, chunk in ipairs(mark[4].virt_text or {}) do
          if chunk[1]:find('greet with a name, always', 1, true) then
            return true
          end
        end
      end
    end)
    -- A line past the after text is refused by the server, and nothing is written.
    local refused
    review.comment('too far', line + 500, function(ok)
      refused = ok
    end)
    wait_for('the refusal', function()
      return refused ~= nil
    end)
    eq(false, refused, 'a line past the unit')
    eq(before + 2, #reviews_file(), 'nothing written for it')

    -- ]q walks on through the queue, across sessions and files.
    if #state.pairs > state.index then
      local at = state.index
      type_keys(']q')
      wait_for('the next entry of the queue', function()
        return state.index == at + 1 and state.texts[state.pairs[state.index].pairId] ~= nil
      end)
      type_keys('[q')
      wait_for('back to the skip', function()
        return state.index == at
      end)
    end
    type_keys('q')
    eq(nil, review.current(), 'q closes the review')
  end)

  test('quality flags: the review list, the session list, the queue and the window bar show a generic rationale\'s flags, nothing for a good one', function()
    -- Recorded as typed, without a nudge: the settings the suite started with, sent again (an
    -- earlier test sent settings without `nudge`, and the server's default is on).
    app_client:notify('workspace/didChangeConfiguration', { settings = app_client.config.init_options })
    write(workspace .. '/quality.py', 'def upload(data):\n    return send(data)\n\n\ndef tidy(rows):\n    return rows\n')
    vim.bo.bufhidden = 'hide'
    local buf = open('quality.py')
    local GOOD = 'Retry the upload because the storage API drops one request in fifty under load.'
    local GENERIC = 'updated the code, misc changes'
    change_and_wait(buf, 2, 'A or send(data)<Esc>', 'Explain the change to function `upload`')
    answers = { GOOD }
    vim.api.nvim_win_set_cursor(0, { 2, 4 })
    vim.cmd('Rationale explain')
    wait_for('the good rationale in the journal', function()
      return #records_of('rationale', 'upload') == 1
    end)
    change_and_wait(buf, 6, 'A[::-1]<Esc>', 'Explain the change to function `tidy`')
    answers = { GENERIC }
    vim.api.nvim_win_set_cursor(0, { 6, 4 })
    vim.cmd('Rationale explain')
    wait_for('the generic rationale in the journal', function()
      return #records_of('rationale', 'tidy') == 1
    end)
    eq({}, records_of('rationale', 'upload')[1].quality.flags, 'the good one has no flag')
    eq({ 'generic', 'no_why' }, records_of('rationale', 'tidy')[1].quality.flags, 'the generic one')
    local flagged = #vim.tbl_filter(function(record)
      return #record.quality.flags > 0
    end, records_of('rationale'))
    vim.wait(400) -- the records reach the disk within 250 ms

    -- The session picker counts the flagged pairs; the pairs list shows each pair's flags.
    local review = require('rationale.review')
    local asked = #selections
    pick, picks = nil, { ['rationale.pair'] = 'function `tidy`' }
    vim.cmd('Rationale review')
    wait_for('the review of tidy', function()
      local state = review.current()
      return state and state.texts[pair_id('tidy')] ~= nil and state.pairs[state.index].pairId == pair_id('tidy')
    end)
    contains(selections[asked + 1].titles[1], (', %d flagged'):format(flagged), 'the session says how many pairs are flagged')
    local listed = selections[asked + 2]
    eq('rationale.pair', listed.kind, 'the pairs picker')
    local function title_of(titles, unit)
      for _, title in ipairs(titles) do
        if title:find('function `' .. unit .. '`', 1, true) then
          return title
        end
      end
      error('no line for ' .. unit .. ' in ' .. vim.inspect(titles))
    end
    local tidy_line, upload_line = title_of(listed.titles, 'tidy'), title_of(listed.titles, 'upload')
    assert(vim.endswith(tidy_line, '  ⚑ generic, no_why'), 'the generic pair\'s line: ' .. tidy_line)
    eq(nil, upload_line:find('⚑', 1, true), 'nothing on the good pair\'s line: ' .. upload_line)

    -- The window bar: the flags of the pair on screen, none for the good one.
    local state = review.current()
    contains(winbar(state.right), '[ ] not reviewed · ⚑ generic, no_why', 'the bar of the generic pair')
    type_keys('[p')
    wait_for('the pair of upload', function()
      return state.pairs[state.index].pairId == pair_id('upload') and state.texts[pair_id('upload')] ~= nil
    end)
    contains(winbar(state.right), '[ ] not reviewed', 'the bar of the good pair')
    eq(nil, winbar(state.right):find('⚑', 1, true), 'no flags in the good pair\'s bar: ' .. winbar(state.right))
    type_keys('q')

    -- The queue's list, the same (nothing picked: the list is only read).
    asked = #selections
    picks = { ['rationale.queue'] = 'no such entry' }
    vim.cmd('Rationale queue')
    wait_for('the queue picker', function()
      return #selections > asked
    end)
    local queue = selections[asked + 1].titles
    assert(vim.endswith(title_of(queue, 'tidy'), '  ⚑ generic, no_why'), 'the generic entry: ' .. title_of(queue, 'tidy'))
    eq(nil, title_of(queue, 'upload'):find('⚑', 1, true), 'nothing on the good entry: ' .. title_of(queue, 'upload'))
    picks = {}
    vim.cmd('silent! bwipeout! ' .. buf)
  end)

  test(':Rationale queue a page at a time: the list offers more…, ]q loads the next page past the last, each entry once while verdicts reorder the queue', function()
    local review = require('rationale.review')
    -- The whole queue, asked for here in one page, to compare with.
    local whole = assert(app_client:request_sync('rationale/reviewQueue', { limit = 5000 }, 5000)).result
    local function key_of(folder, id)
      return folder .. '\n' .. id
    end
    local all = {}
    for _, entry in ipairs(whole.entries) do
      all[key_of(entry.folder, entry.id)] = true
    end
    local size = 2
    assert(whole.total > 3 * size, 'a queue of more than three pages: ' .. whole.total)
    vim.g.rationale = vim.tbl_extend('force', vim.g.rationale, { queue_page_size = size })

    -- The list: a page, then `more…` lists the next one too; the first entry picked.
    local asked = #selections
    picks = { ['rationale.queue'] = { 'more…' } }
    vim.cmd('Rationale queue')
    wait_for('the queue in the review window', function()
      local state = review.current()
      return state and state.queue and state.texts[state.pairs[state.index].pairId] ~= nil
    end)
    local first, second = selections[asked + 1], selections[asked + 2]
    eq(size + 1, #first.titles, 'the first page and more…')
    eq(('more… (%d more of %d)'):format(whole.total - size, whole.total), first.titles[size + 1], 'the last line')
    eq(2 * size + 1, #second.titles, 'two pages and more…')
    local state = review.current()
    eq(2 * size, #state.pairs, 'two pages loaded')
    for i, entry in ipairs(state.pairs) do
      eq(whole.entries[i].id, entry.pairId, 'entry ' .. i .. ' in the server\'s order')
    end
    contains(winbar(state.right), ('queue 1/%d'):format(whole.total), 'the bar counts the whole queue')

    -- ]q to the end, judging each entry nobody judged yet: that moves it to the end of the
    -- queue, so the pages not loaded yet start earlier than they did.
    local seen = {}
    local judged = 0
    while true do
      local entry = state.pairs[state.index]
      local key = key_of(entry.session.folder, entry.pairId)
      eq(nil, seen[key], 'each entry once: ' .. entry.pairId)
      seen[key] = true
      if entry.review == nil then
        local done
        review.verdict('accept', 'read in the paged queue', false, function(ok)
          done = ok
        end)
        wait_for('the verdict', function()
          return done ~= nil
        end)
        eq(true, done, 'the verdict on ' .. entry.pairId)
        judged = judged + 1
      end
      local at, loaded, told = state.index, #state.pairs, #notifications
      type_keys(']q')
      local last = false
      wait_for('the next entry, or the end of the queue', function()
        for i = told + 1, #notifications do
          if notifications[i].message:find('this is the last entry of the queue', 1, true) then
            last = true
          end
        end
        return last or (state.index == at + 1 and state.texts[state.pairs[state.index].pairId] ~= nil)
      end)
      if last then
        break
      end
      if at == loaded then
        assert(#state.pairs > loaded and #state.pairs <= loaded + size, ('one page loaded past the last entry: %d, then %d'):format(loaded, #state.pairs))
      else
        eq(loaded, #state.pairs, 'no page loaded within the loaded entries')
      end
    end
    assert(judged >= size, 'verdicts given on the way: ' .. judged)
    eq(whole.total, #state.pairs, 'every entry loaded in the end')
    eq(all, seen, 'every entry of the queue walked, none left out')
    type_keys('q')
    picks = {}
    local options = vim.g.rationale
    options.queue_page_size = nil
    vim.g.rationale = options
  end)

  test('a rationale that says little about why is nudged once: sent again as is, or rewritten', function()
    -- The suite runs with nudge = false (init.lua): the person turns it on, as a changed setting
    -- reaches a running server.
    local client = vim.lsp.get_clients({ name = 'rationale' })[1]
    local settings = vim.tbl_extend('force', client.config.init_options or {}, { nudge = true })
    if vim.fn.has('nvim-0.11') == 1 then
      client:notify('workspace/didChangeConfiguration', { settings = settings })
    else
      client.notify('workspace/didChangeConfiguration', { settings = settings })
    end
    write(workspace .. '/nudge.py', 'def total(xs):\n    return sum(xs)\n')
    vim.bo.bufhidden = 'hide' -- the buffer at hand has changes of earlier tests
    local buf = open('nudge.py')
    local HINT = 'Say why: what was wrong, or who needs this?'

    -- Nudged, then sent again unchanged: recorded as it is.
    change_and_wait(buf, 2, 'A + 1<Esc>', 'Explain the change to function `total`')
    local asked = #inputs
    answers = { 'Add one to the total.', 'Add one to the total.' }
    pick = nil
    vim.api.nvim_win_set_cursor(0, { 2, 4 })
    vim.lsp.buf.code_action()
    wait_for('the rationale in the journal', function()
      return #records_of('rationale', 'total') == 1
    end)
    eq(asked + 2, #inputs, 'asked twice')
    eq(nil, inputs[asked + 1].prompt:find(HINT, 1, true), 'no hint the first time')
    assert(inputs[asked + 2].prompt:find(HINT, 1, true), 'the hint comes back with the question: ' .. inputs[asked + 2].prompt)
    eq('Add one to the total.', inputs[asked + 2].default, 'the text kept')
    contains(inputs[asked + 2].diff, HINT, 'the hint under the diff')
    local record = records_of('rationale', 'total')[1]
    eq('Add one to the total.', record.text, 'recorded as it is')
    assert(vim.tbl_contains(record.quality.flags, 'no_why'), vim.inspect(record.quality))
    assert(type(record.quality.compose_ms) == 'number', 'compose_ms: ' .. vim.inspect(record.quality))

    -- Nudged, then rewritten: the rewrite is recorded, without a second nudge.
    change_and_wait(buf, 2, 'A * 2<Esc>', 'Explain the change to function `total`')
    asked = #inputs
    local WHY = 'Double the total because invoices count each line twice.'
    answers = { 'Double the total.', WHY }
    vim.api.nvim_win_set_cursor(0, { 2, 4 })
    vim.lsp.buf.code_action()
    wait_for('the rewritten rationale in the journal', function()
      return #records_of('rationale', 'total') == 2
    end)
    eq(asked + 2, #inputs, 'asked twice')
    assert(inputs[asked + 2].prompt:find(HINT, 1, true), inputs[asked + 2].prompt)
    record = records_of('rationale', 'total')[2]
    eq(WHY, record.text, 'the rewrite is recorded')
    eq({}, record.quality.flags, 'flags of the rewrite')
    vim.cmd('silent! bwipeout! ' .. buf)
  end)

  test(':checkhealth rationale runs clean', function()
    vim.cmd.buffer(app)
    vim.cmd('checkhealth rationale')
    local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
    local text = table.concat(lines, '\n')
    for _, line in ipairs(lines) do
      assert(not line:find('ERROR'), 'an ERROR line in :checkhealth rationale:\n' .. text)
    end
    contains(text, 'OK Neovim', 'health')
    contains(text, 'rationale ', 'server version')
    contains(text, 'running for ' .. vim.fn.fnamemodify(workspace, ':~'), 'client')
    vim.cmd('tabclose')
  end)

  test(':help rationale', function()
    vim.cmd('helptags ' .. vim.fn.fnameescape(repo .. '/editors/nvim/doc'))
    for _, tag in ipairs({ 'rationale', 'rationale-options', ':Rationale-pending', ':Rationale-explain', 'rationale-explain',
      ':Rationale-explain-all', ':Rationale-queue', 'rationale-queue', 'rationale-flags', 'rationale-queue_page_size',
      'rationale-max_file_bytes', 'rationale-settle_ms', 'rationale-nudge',
      ':Rationale-replay', ':Rationale-review', 'rationale-reviewers', 'rationale-replay', 'rationale-review' }) do
      vim.cmd('help ' .. tag)
      eq('rationale.txt', vim.fn.expand('%:t'), ':help ' .. tag)
      vim.cmd('helpclose')
    end
  end)

  test('the journal verifies', function()
    local result = vim.system({ vim.env.RATIONALE_E2E_SERVER, 'verify', workspace }, { text = true }):wait(20000)
    eq(0, result.code, 'rationale verify: ' .. (result.stdout or '') .. (result.stderr or ''))
  end)

  -- A working day: a session of 200,000 single-character edits (made up here, the typing of one
  -- file, a pair every 20,000 records), opened and stepped. Times are printed as measured; the
  -- targets are 1 s to the first step and 100 ms a step, asserted with room for a slow machine.
  test(':Rationale replay: a 200,000-edit session opens at its first step and steps at once', function()
    local id, edits = '20261204T100000Z-long00', 200000
    local ts = function(seq)
      return ('2026-12-04T10:%02d:%02d.%03dZ'):format(math.floor(seq / 60000) % 60, math.floor(seq / 1000) % 60, seq % 1000)
    end
    local opened = 'def f():\\n    return 0\\n'
    local lines = {
      ('{"seq":0,"ts":"%s","type":"session","schema":1,"session":"%s","server":{"name":"rationale","version":"0.1.0"},"client":{"name":"e2e","version":null},"author":"long@example.invalid","workspace":"workspace","positionEncoding":"utf-8"}'):format(ts(0), id),
      ('{"seq":1,"ts":"%s","type":"open","path":"long.py","language":"python","version":1,"text":"%s","sha256":"%s"}'):format(ts(1), opened, vim.fn.sha256('def f():\n    return 0\n')),
    }
    local typed, line, column, version, pairs = {}, 2, 0, 1, {}
    local seq = 1
    while #typed < edits do
      seq = seq + 1
      if seq % 20000 == 0 then
        table.insert(pairs, seq)
        table.insert(lines, ('{"seq":%d,"ts":"%s","type":"rationale","pair":"%s:%d","change":"c.%d","path":"long.py","language":"python","unit":{"name":"f","kind":"function"},"kind":"modified","before":"def f():\\n    return 0\\n","after":"def f():\\n    return 0\\n","text":"Pair at record %d: the reason for it.","editsFrom":null,"editsTo":null,"edits":1,"promptedAt":null,"version":%d,"via":"command","group":null}'):format(seq, ts(seq), id, seq, seq, seq, version))
      else
        local c = (#typed % 40 == 39) and '\n' or string.char(97 + #typed % 26)
        version = version + 1
        table.insert(lines, ('{"seq":%d,"ts":"%s","type":"change","path":"long.py","version":%d,"edits":[{"range":[[%d,%d],[%d,%d]],"text":"%s"}]}'):format(seq, ts(seq), version, line, column, line, column, c == '\n' and '\\n' or c))
        table.insert(typed, c)
        if c == '\n' then
          line, column = line + 1, 0
        else
          column = column + 1
        end
      end
    end
    -- The text of long.py after record `at`: what was opened and what was typed by then.
    local typed_by = {}
    local count = 0
    for at = 2, seq do
      if at % 20000 ~= 0 then
        count = count + 1
      end
      typed_by[at] = count
    end
    local function text_at(at)
      return 'def f():\n    return 0\n' .. table.concat(typed, '', 1, typed_by[at] or 0)
    end
    write(workspace .. '/.rationale/sessions/' .. id .. '.jsonl', table.concat(lines, '\n') .. '\n')
    local replay = require('rationale.replay')
    local function ms(since)
      return (vim.uv.hrtime() - since) / 1e6
    end
    local function shown_text(at)
      local state = replay.state()
      wait_for('step ' .. at, function()
        return state and state.shown == at
      end, 10000)
      eq(lines_of(text_at(at)), buffer_text(0), 'text at step ' .. at)
    end

    local started = vim.uv.hrtime()
    vim.cmd('Rationale replay ' .. id)
    wait_for('the replay of the long session', function()
      local state = replay.state()
      return state and state.session.id == id and state.shown == 1
    end, 20000)
    local open_ms = ms(started)
    local state = replay.state()
    eq(seq, state.total, 'every record but the session record is a step')
    shown_text(1)

    -- ]r forty times, across no page; then to the end of the first page and over it, back over it.
    local times = {}
    local function step(keys, at)
      local before = vim.uv.hrtime()
      type_keys(keys)
      wait_for('step ' .. at, function()
        return state.shown == at
      end, 10000)
      table.insert(times, ms(before))
    end
    for at = 2, 41 do
      step(']r', at)
    end
    shown_text(41)
    type_keys('457]r')
    shown_text(498)
    for at = 499, 503 do
      step(']r', at)
    end
    shown_text(503)
    step('[r', 502)
    -- A pair a page away, and the one before it (the pairs are fetched as they are needed).
    type_keys(']p')
    shown_text(pairs[1])
    type_keys(']p')
    shown_text(pairs[2])
    type_keys('[p')
    shown_text(pairs[1])
    local far = pairs[#pairs] + 7
    type_keys((far - pairs[1]) .. ']r')
    shown_text(far)
    step('[r', far - 1)
    step(']r', far)
    step(']r', far + 1)

    table.sort(times)
    local median, worst = times[math.ceil(#times / 2)], times[#times]
    out(('    200,000-edit session: first step on screen in %.0f ms (target 1000); ]r/[r median %.1f ms, worst %.1f ms over %d steps (target 100)'):format(open_ms, median, worst, #times))
    assert(open_ms < 3000, ('the first step took %.0f ms'):format(open_ms))
    assert(median < 300, ('the median step took %.1f ms'):format(median))
    assert(worst < 1000, ('the slowest step took %.1f ms'):format(worst))
    vim.cmd('bwipeout!')
    -- The rest of the run (run.sh's look at the last journal) reads only what was recorded.
    os.remove(workspace .. '/.rationale/sessions/' .. id .. '.jsonl')
    os.remove(workspace .. '/.rationale/index/' .. id .. '.idx')
  end)
end

out(('%s: %d passed, %d failed'):format(mode, passed, failed))
vim.cmd((failed == 0) and 'qall!' or 'cquit 1')
