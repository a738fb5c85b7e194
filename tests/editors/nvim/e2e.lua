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

local selections, pick = {}, nil
vim.ui.select = function(items, opts, on_choice)
  local titles = {}
  for i, item in ipairs(items) do
    titles[i] = opts.format_item and opts.format_item(item) or tostring(item)
  end
  table.insert(selections, { kind = opts.kind, titles = titles })
  local chosen, index
  for i, title in ipairs(titles) do
    if pick and title:find(pick, 1, true) then
      chosen, index = items[i], i
      break
    end
  end
  if not pick then
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
else
  local app, app_client

  test('Python: the client attaches through vim.lsp.enable and leaves rationale.explain to the plugin', function()
    app, app_client = open('app.py')
    eq(workspace, app_client.config.root_dir, 'root_dir')
    local commands = app_client.server_capabilities.executeCommandProvider.commands
    assert(not vim.tbl_contains(commands, 'rationale.explain'), vim.inspect(commands))
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
    pick = nil
    wait_for('no pending change', function()
      return #pending(app_client, app) == 0
    end)
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
    for _, tag in ipairs({ 'rationale', 'rationale-options', ':Rationale-pending', ':Rationale-explain', 'rationale-explain' }) do
      vim.cmd('help ' .. tag)
      eq('rationale.txt', vim.fn.expand('%:t'), ':help ' .. tag)
      vim.cmd('helpclose')
    end
  end)

  test('the journal verifies', function()
    local result = vim.system({ vim.env.RATIONALE_E2E_SERVER, 'verify', workspace }, { text = true }):wait(20000)
    eq(0, result.code, 'rationale verify: ' .. (result.stdout or '') .. (result.stderr or ''))
  end)
end

out(('%s: %d passed, %d failed'):format(mode, passed, failed))
vim.cmd((failed == 0) and 'qall!' or 'cquit 1')
