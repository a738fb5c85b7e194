#!/usr/bin/env node
// End-to-end test of the Rationale extension in a real VS Code (code-server 4.100.3 = VS Code
// 1.100.3) driven through headless Chromium with playwright-core, the way a person uses it:
// typing, Ctrl+. for the quick fix, the input box, the status bar; then, as a reviewer, the
// Rationale view, pair diffs, verdicts and a replay (review.mjs), a working day's session
// (long_session.mjs), and a team's review in a workspace of two folders (multi_root.mjs).
// Assertions are on what the screen shows and on the journal the server writes to disk.
//
//   bash tests/editors/vscode/run.sh          installs what it needs, packages, runs this
//   node tests/editors/vscode/e2e.mjs         after run.sh has run once (VSIX must exist)
//
// Environment: E2E_ROOT (default /tmp/vscode-e2e: code-server, playwright-core; see
// install-tools.sh), VSIX (default editors/vscode/rationale.vsix), CHROMIUM (default
// /usr/bin/chromium), E2E_TIMEOUT_MS (per wait, default 30000), E2E_KEEP=1 (leave code-server
// running and print its URL), E2E_ONLY=multi_root (only the two-folder scenario, for working on
// it). Screenshots go to tests/artifacts/.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reviewScenario } from './review.mjs';
import { longSessionScenario } from './long_session.mjs';
import { multiRootScenario } from './multi_root.mjs';

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const E2E_ROOT = process.env.E2E_ROOT || '/tmp/vscode-e2e';
const require = createRequire(path.join(E2E_ROOT, 'tools', 'package.json'));
const { chromium } = require('playwright-core');

const CODE_SERVER = process.env.CODE_SERVER || path.join(E2E_ROOT, 'bin', 'code-server');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const VSIX = process.env.VSIX || path.join(PROJECT, 'editors', 'vscode', 'rationale.vsix');
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 30000);
const ARTIFACTS = path.join(PROJECT, 'tests', 'artifacts');

const RUN = fs.mkdtempSync('/tmp/rationale-vscode-e2e-');
const USER_DATA = path.join(RUN, 'user-data');
const EXT_DIR = path.join(RUN, 'extensions');
const WORKSPACE = path.join(RUN, 'workspace');
const BROWSER_PROFILE = path.join(RUN, 'chromium-profile');
const XDG = path.join(RUN, 'xdg');
const SERVER_LOG = path.join(RUN, 'code-server.log');

const MIN_CHARS = 20; // rationale.toml's min_rationale_chars: the box must follow the file
const SETTLE_MS = 400; // .vscode/settings.json's rationale.settleMs: sent by the extension

// ---- the workspace a person opens -----------------------------------------------------------
const FILES = {
  'calc.py': [
    'def helper(x):',
    '    return x + 1',
    '',
    '',
    'class Calc:',
    '    def add(self, a, b):',
    '        return a + b',
    '',
  ].join('\n'),
  'util.js': ['function greet(name) {', '  return "hello " + name;', '}', '', 'module.exports = { greet };', ''].join('\n'),
  // A unit over 16 KiB: the server leaves its texts out of the list of changes.
  'big.py': [
    'def big():',
    '    start = 0',
    ...Array.from({ length: 400 }, (_, i) => `    total_${i} = ${i}  # one line of a long generated function`),
    '    return start',
    '',
  ].join('\n'),
  'rationale.toml': `min_rationale_chars = ${MIN_CHARS}\n`,
  '.vscode/settings.json': JSON.stringify({ 'rationale.settleMs': SETTLE_MS }, null, 2) + '\n',
};

// ---- bookkeeping ----------------------------------------------------------------------------
const checks = [];
const t0 = performance.now();
function check(name, ok, detail = '') {
  checks.push({ name, ok: !!ok });
  console.log(`[e2e] ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s ${ok ? "PASS" : "FAIL"} ${name}${detail ? ` (${detail})` : ''}`);
  return !!ok;
}
async function step(name, fn) {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    console.log(`[e2e] -- ${name}: ${((performance.now() - start) / 1000).toFixed(1)}s`);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(fn, what, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(150);
  }
}
/** Like waitFor, but a timeout is a failed check's value (null), not the end of the run. */
const waitOrNull = (fn, what, timeout) => waitFor(fn, what, timeout).catch(() => null);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---- the journal on disk --------------------------------------------------------------------
function journal() {
  const dir = path.join(WORKSPACE, '.rationale', 'sessions');
  let files;
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  } catch {
    return [];
  }
  const records = [];
  for (const f of files) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line));
      } catch {
        // a torn final line: readers ignore it
      }
    }
  }
  return records;
}
const recordsOf = (type, unit) => journal().filter((r) => r.type === type && (!unit || r.unit?.name === unit));

// ---- code-server and the browser ------------------------------------------------------------
const csEnv = {
  ...process.env,
  XDG_CONFIG_HOME: path.join(XDG, 'config'),
  XDG_DATA_HOME: path.join(XDG, 'data'),
  XDG_CACHE_HOME: path.join(XDG, 'cache'),
  VSCODE_PROXY_URI: '',
  RATIONALE_AUTHOR: 'e2e@example.invalid',
};
// The extension must find the server it bundles, not one from the environment.
delete csEnv.RATIONALE_SERVER_PATH;
delete csEnv.PASSWORD;
delete csEnv.HASHED_PASSWORD;
delete csEnv.GITHUB_TOKEN;
const csCommon = ['--user-data-dir', USER_DATA, '--extensions-dir', EXT_DIR];
const serverLog = () => {
  try {
    return fs.readFileSync(SERVER_LOG, 'utf8');
  } catch {
    return '';
  }
};

let codeServer;
let context;
let page;

// ---- what a person sees -----------------------------------------------------------------------
const quickInput = () => page.locator('.quick-input-widget');
const quickInputBox = () => page.locator('.quick-input-widget .quick-input-box input');
const quickInputMessage = () => page.locator('.quick-input-widget .quick-input-message');
const statusItem = () => page.locator('.statusbar-item', { hasText: /unexplained/ }).first();
const statusCount = async () => {
  if ((await statusItem().count()) === 0) return null;
  const text = await statusItem().innerText({ timeout: 2000 }).catch(() => '');
  const m = /(\d+) unexplained/.exec(text);
  return m ? Number(m[1]) : null;
};
const activeEditor = () => page.locator('.editor-group-container.active .monaco-editor').first();

async function openFile(name, firstLine) {
  await page.keyboard.press('Control+P');
  await quickInputBox().waitFor();
  await quickInputBox().fill(name);
  // Enter only once the filtered list has the file on top, not the recently opened one.
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines', { hasText: firstLine }).waitFor();
  await sleep(300);
}

async function gotoLineEnd(line) {
  await page.keyboard.press('Control+G');
  await quickInputBox().waitFor();
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
  await quickInput().waitFor({ state: 'hidden' });
  await page.keyboard.press('End');
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  await quickInputBox().waitFor();
  await quickInputBox().fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/**
 * Ctrl+. and the action with this title, chosen with the arrow keys and Enter. `once`: press it
 * once, at once, as a person does the first time, and return null if no action list came.
 */
async function quickFix(title, { once = false } = {}) {
  const widget = page.locator('.action-widget');
  const pressed = performance.now();
  if (once) {
    await page.keyboard.press('Control+.');
    // As long as a person would wait while TypeScript finishes its first analysis.
    if (!(await widget.waitFor({ timeout: 15000 }).then(() => true, () => false))) {
      await page.keyboard.press('Escape');
      return null;
    }
  }
  // VS Code asks for code actions on its own 250 ms after the cursor moves, and that request
  // replaces a manual one still in flight ("No code actions available"). A person pauses
  // longer than that; the test waits likewise, and tries once more if it was too quick.
  // On a busy machine TypeScript's "Analyzing …" publishes diagnostics late, and each new set
  // re-triggers the code actions, replacing a manual request likewise: wait until it is done.
  for (let attempt = 1; !once; attempt++) {
    await waitOrNull(async () => (await page.locator('.statusbar-item', { hasText: /Analyzing/ }).count()) === 0, 'TypeScript to finish analysing', 20000);
    await sleep(400);
    await page.keyboard.press('Control+.');
    const shown = await widget.waitFor({ timeout: 5000 }).then(() => true, () => false);
    if (shown) break;
    if (attempt === 4) throw new Error(`Ctrl+. showed no code actions (${title})`);
    await page.keyboard.press('Escape');
  }
  const row = widget.locator('.monaco-list-row.action', { hasText: title }).first();
  await row.waitFor();
  const rows = widget.locator('.monaco-list-row.action');
  const titles = await rows.allInnerTexts();
  const target = titles.findIndex((t) => t.includes(title));
  for (let i = 0; i < 20; i++) {
    const focused = await widget.locator('.monaco-list-row.action.focused').innerText().catch(() => '');
    if (focused.includes(title)) break;
    await page.keyboard.press('ArrowDown');
  }
  const shownAfterMs = Math.round(performance.now() - pressed);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
  return { titles, first: target === 0, shownAfterMs };
}

/**
 * Whether the input box leaves the unit's lines in the diff beside in sight: the top of every line
 * of the diff that holds `firstLine` (the unit's first line, on both sides) is below the box's
 * bottom edge.
 */
async function diffBelowBox(firstLine) {
  const box = await quickInput().boundingBox();
  const lines = page.locator('.monaco-diff-editor .view-line', { hasText: firstLine });
  const tops = [];
  for (let i = 0; i < (await lines.count()); i++) {
    const at = await lines.nth(i).boundingBox();
    if (at) tops.push(Math.round(at.y));
  }
  const bottom = box ? Math.round(box.y + box.height) : null;
  return { ok: box !== null && tops.length >= 2 && tops.every((top) => top >= bottom), detail: `box bottom ${bottom}, unit lines at ${tops.join(', ')}` };
}

async function waitForPrompt(titlePart) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: titlePart }).waitFor();
  await quickInputBox().waitFor();
}

// ---- the scenario -----------------------------------------------------------------------------
async function main() {
  for (const d of [path.join(USER_DATA, 'User'), EXT_DIR, WORKSPACE, BROWSER_PROFILE, XDG, ARTIFACTS])
    fs.mkdirSync(d, { recursive: true });
  for (const [rel, text] of Object.entries(FILES)) {
    fs.mkdirSync(path.dirname(path.join(WORKSPACE, rel)), { recursive: true });
    fs.writeFileSync(path.join(WORKSPACE, rel), text);
  }
  fs.writeFileSync(
    path.join(USER_DATA, 'User', 'settings.json'),
    JSON.stringify(
      {
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'security.workspace.trust.enabled': false,
        'git.enabled': false,
        'npm.autoDetect': 'off',
        'window.restoreWindows': 'none',
        'chat.disableAIFeatures': true,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'editor.acceptSuggestionOnEnter': 'off',
        'editor.quickSuggestions': { other: false, comments: false, strings: false },
        'editor.suggestOnTriggerCharacters': false,
        'editor.parameterHints.enabled': false,
        'editor.hover.enabled': false,
        'files.autoSave': 'off',
        'rationale.trace.server': 'verbose', // in the run folder's logs, kept when a check fails
      },
      null,
      2,
    ),
  );

  // ---- install the .vsix, start code-server, open the workspace ----
  if (!check('the .vsix exists', fs.existsSync(VSIX), VSIX)) throw new Error(`no ${VSIX}: run tests/editors/vscode/run.sh`);
  await step('install the .vsix', () => {
    const r = spawnSync(CODE_SERVER, [...csCommon, '--install-extension', VSIX], { env: csEnv, encoding: 'utf8' });
    if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr))
      throw new Error(`install-extension failed:\n${r.error || ''}${r.stdout}${r.stderr}`);
  });
  const installed = fs.readdirSync(EXT_DIR).find((n) => n.startsWith('rationale.rationale-'));
  check('extension installed with its server', installed && fs.existsSync(path.join(EXT_DIR, installed, 'server', 'rationale')), installed);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(WORKSPACE)}`;
  await step('start code-server', async () => {
    const logFd = fs.openSync(SERVER_LOG, 'a');
    codeServer = spawn(
      CODE_SERVER,
      [
        ...csCommon,
        '--bind-addr', `127.0.0.1:${port}`,
        '--auth', 'none',
        '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
        '--disable-getting-started-override', '--ignore-last-opened',
        WORKSPACE,
      ],
      { env: csEnv, detached: true, stdio: ['ignore', logFd, logFd] },
    );
    fs.closeSync(logFd);
    await waitFor(() => /HTTP server listening on/.test(serverLog()) || codeServer.exitCode !== null, 'code-server to listen');
    if (codeServer.exitCode !== null) throw new Error(`code-server exited:\n${serverLog()}`);
  });

  await step('open the workspace in headless Chromium', async () => {
    context = await chromium.launchPersistentContext(BROWSER_PROFILE, {
      executablePath: CHROMIUM,
      headless: true,
      env: { ...process.env, XDG_CONFIG_HOME: path.join(XDG, 'config'), XDG_CACHE_HOME: path.join(XDG, 'cache') },
      viewport: { width: 1400, height: 850 },
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
      ],
    });
    page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(TIMEOUT);
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (/^(https?|wss?):\/\/127\.0\.0\.1:\d+\//.test(u) || /^(data|blob):/.test(u)) return route.continue();
      return route.abort();
    });
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'calc.py' }).waitFor();
  });

  const multiRoot = () =>
    multiRootScenario({
      page, check, step, waitFor, waitOrNull, sleep, runCommand, quickInput, quickInputBox, openFile, gotoLineEnd, quickFix, waitForPrompt,
      statusCount, statusItem, baseUrl: `http://127.0.0.1:${port}`, RUN, ARTIFACTS,
    });
  if (process.env.E2E_ONLY === 'multi_root') {
    await multiRoot();
    return url;
  }

  // ---- Python: change a function, explain it with the keyboard ----
  await step('open calc.py; the server starts', async () => {
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => {});
    await openFile('calc.py', 'def helper');
  });
  const started = await waitOrNull(async () => (await statusCount()) === 0, 'the status bar to count 0');
  check('status bar shows "0 unexplained" once the server runs', started, await statusItem().innerText().catch(() => 'no item'));

  await step('type a change into helper', async () => {
    await activeEditor().click({ position: { x: 400, y: 10 } });
    await gotoLineEnd(2);
    await page.keyboard.type(' * 2', { delay: 40 });
  });
  const squiggle = await step('wait for the prompt (diagnostic)', () =>
    waitOrNull(() => activeEditor().locator('.squiggly-info').count(), 'an information squiggle'),
  );
  check('the change is marked in the editor (information diagnostic)', squiggle);
  check('status bar counts 1', await waitOrNull(async () => (await statusCount()) === 1, 'count 1'), await statusItem().innerText());
  await sleep(1000); // a lens would come with the diagnostic
  check('no code lens by default in VS Code (the code does not jump)', (await activeEditor().locator('.codelens-decoration').count()) === 0);

  const fix = await step('Ctrl+. and Explain', () => quickFix('Explain the change to `helper`'));
  check('Ctrl+. offers "Explain the change to `helper`…" first', fix.first, fix.titles.join(' | '));
  check('... and "Skip `helper`: no explanation needed"', fix.titles.some((t) => t.includes('Skip `helper`')));
  await waitForPrompt('helper');
  const title = await page.locator('.quick-input-widget .quick-input-title').innerText();
  check('the input box names the unit and its file', title.includes('Explain the change to function `helper` (calc.py)'), title);
  const diffShown = await waitOrNull(
    () => page.locator('.monaco-diff-editor').first().isVisible(),
    'the diff editor',
    10000,
  );
  check('the unit\'s diff opens beside', diffShown);
  const diffTab = await page.locator('.tab', { hasText: 'helper (before ↔ now)' }).count();
  check('the diff tab is titled after the unit', diffTab > 0);
  const diffText = await page.locator('.monaco-diff-editor').first().innerText().catch(() => '');
  check('the diff shows the unit as it is now', /return x \+ 1 \* 2/.test(diffText.replace(/\u00a0/g, ' ')), diffText.replace(/\s+/g, ' '));
  await sleep(500); // the diff editor lays itself out
  const unitInSight = await diffBelowBox(/def.helper/);
  check('the input box hides none of the unit in the diff (both sides below the box)', unitInSight.ok, unitInSight.detail);
  await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-explain-diff.png') });
  check('the input box has the keyboard focus', await quickInputBox().evaluate((el) => el === document.activeElement));

  // Too short: the box says how many more characters, and Enter keeps it open with the text.
  await page.keyboard.type('double it', { delay: 10 });
  // The extension host hears of each keystroke a moment later: wait for the last one.
  const liveMessage = await waitOrNull(async () => {
    const t = await quickInputMessage().innerText();
    return /11 more characters needed/.test(t) && t;
  }, 'the message for 9 characters', 5000);
  check(`while typing, the box says how many more characters are needed (min ${MIN_CHARS})`, liveMessage, liveMessage || (await quickInputMessage().innerText()));
  await page.keyboard.press('Enter');
  await sleep(300);
  const refusedMessage = await quickInputMessage().innerText();
  const keptValue = await quickInputBox().inputValue();
  check('Enter on a too short rationale keeps the box open', await quickInput().isVisible());
  check('... says why', /more characters needed/.test(refusedMessage), refusedMessage);
  check('... and keeps the text', keptValue === 'double it', keptValue);
  await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-explain-too-short.png') });
  const stillInSight = await diffBelowBox(/def.helper/);
  check('... nor with its message under it', stillInSight.ok, stillInSight.detail);

  const RATIONALE_PY = 'double it: callers expect the scaled offset, not the raw one';
  await page.keyboard.type(RATIONALE_PY.slice('double it'.length), { delay: 5 });
  await sleep(200);
  const okMessage = await quickInputMessage().innerText().catch(() => '');
  check('a long enough rationale clears the warning', !/more characters needed/.test(okMessage), okMessage);
  await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-explain-prompt.png') });
  // It says what was done, not why (no_why): one gentle nudge, the text kept, nothing recorded.
  await page.keyboard.press('Enter');
  const nudge = await waitOrNull(async () => {
    const t = await quickInputMessage().innerText();
    return /Say why: what was wrong, or who needs this\?/.test(t) && t;
  }, 'the nudge', 5000);
  check('a rationale that gives no reason is nudged once, with the server\'s hint', nudge, nudge || (await quickInputMessage().innerText().catch(() => '')));
  check('... the box still open with the text', await quickInput().isVisible() && (await quickInputBox().inputValue()) === RATIONALE_PY, await quickInputBox().inputValue());
  check('... and nothing recorded yet', recordsOf('rationale', 'helper').length === 0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-explain-nudge.png') });
  // Sent again unchanged: recorded as it is.
  await page.keyboard.press('Enter');
  await quickInput().waitFor({ state: 'hidden' });

  const pyRecord = await waitOrNull(() => recordsOf('rationale', 'helper')[0], 'the rationale record', 5000);
  check('the rationale is in the journal on disk', pyRecord);
  if (pyRecord) {
    check('... with the unit', pyRecord.unit?.kind === 'function' && pyRecord.path === 'calc.py', JSON.stringify(pyRecord.unit));
    check('... its before', pyRecord.before === 'def helper(x):\n    return x + 1', JSON.stringify(pyRecord.before));
    check('... its after', pyRecord.after === 'def helper(x):\n    return x + 1 * 2', JSON.stringify(pyRecord.after));
    check('... the text as typed', pyRecord.text === RATIONALE_PY, JSON.stringify(pyRecord.text));
    check('... recorded through the command', pyRecord.via === 'command' && pyRecord.kind === 'modified');
    check('... sent again as it was, its quality flagged', pyRecord.quality?.flags?.includes('no_why'), JSON.stringify(pyRecord.quality));
    check('... with the time it took to write, nudge included', pyRecord.quality?.compose_ms > 300, JSON.stringify(pyRecord.quality));
    check('... and the change typed a key at a time', pyRecord.quality?.typed_share === 1, JSON.stringify(pyRecord.quality));
  }
  check('the diff closes with the box', await waitOrNull(async () => (await page.locator('.monaco-diff-editor').count()) === 0, 'the diff to close', 5000));
  check('status bar back to 0', await waitOrNull(async () => (await statusCount()) === 0, 'count 0', 10000), await statusItem().innerText());
  check('the diagnostic is withdrawn', await waitOrNull(async () => (await activeEditor().locator('.squiggly-info').count()) === 0, 'no squiggle', 10000));

  // ---- JavaScript: Escape keeps everything; the status bar brings the draft back ----
  await step('open util.js and change greet', async () => {
    await openFile('util.js', 'function greet');
    await gotoLineEnd(2);
    await page.keyboard.press('ArrowLeft'); // before the ';'
    await page.keyboard.type('.trim()', { delay: 40 });
  });
  check('JS: the change is prompted', await waitOrNull(() => activeEditor().locator('.squiggly-info').count(), 'squiggle'));
  check('JS: status bar counts 1', await waitOrNull(async () => (await statusCount()) === 1, 'count 1'), await statusItem().innerText());
  // The first Ctrl+. in the session's first JavaScript file, right after the prompt appears,
  // while TypeScript's language features are still analysing the file.
  const analysing = (await page.locator('.statusbar-item', { hasText: /Analyzing|Initializing/ }).count()) > 0;
  const firstFix = await quickFix('Explain the change to `greet`', { once: true });
  check('JS: the first Ctrl+. offers Explain', firstFix, `TypeScript still analysing when pressed: ${analysing}; the list shown after ${firstFix?.shownAfterMs} ms`);
  const jsFix = firstFix || (await quickFix('Explain the change to `greet`'));
  check('JS: Explain is the first action', jsFix.first, jsFix.titles.join(' | '));
  await waitForPrompt('greet');
  const DRAFT = 'names may carry stray spaces';
  await page.keyboard.type(DRAFT, { delay: 5 });
  await page.keyboard.press('Escape');
  await quickInput().waitFor({ state: 'hidden' });
  await sleep(800);
  check('Escape records nothing', recordsOf('rationale', 'greet').length === 0 && recordsOf('skip', 'greet').length === 0);
  check('Escape closes the diff', (await page.locator('.monaco-diff-editor').count()) === 0);
  check('after Escape the change is still counted', await waitOrNull(async () => (await statusCount()) === 1, 'count 1', 5000), await statusItem().innerText());
  check('... and still marked', (await activeEditor().locator('.squiggly-info').count()) > 0);

  await step('click the status bar item', () => statusItem().click());
  await waitForPrompt('greet');
  const draft = await quickInputBox().inputValue();
  check('the status bar runs Explain Next Change, and the draft comes back', draft === DRAFT, JSON.stringify(draft));
  const RATIONALE_JS = `${DRAFT} when pasted from forms`;
  await page.keyboard.press('End');
  await page.keyboard.type(' when pasted from forms', { delay: 5 });
  await page.keyboard.press('Enter');
  await quickInput().waitFor({ state: 'hidden' });
  const jsRecord = await waitOrNull(() => recordsOf('rationale', 'greet')[0], 'the JS rationale record', 5000);
  check('JS: the rationale is in the journal', jsRecord && jsRecord.text === RATIONALE_JS, jsRecord && JSON.stringify(jsRecord.text));
  check('JS: a rationale that says why is recorded at once, unflagged', jsRecord && jsRecord.quality?.flags?.length === 0, jsRecord && JSON.stringify(jsRecord.quality));
  if (jsRecord) {
    check('JS: before and after', jsRecord.before.includes('return "hello " + name;') && jsRecord.after.includes('return "hello " + name.trim();'), JSON.stringify(jsRecord.after));
    check('JS: language and path', jsRecord.language === 'javascript' && jsRecord.path === 'util.js', `${jsRecord.language} ${jsRecord.path}`);
  }
  check('JS: status bar back to 0', await waitOrNull(async () => (await statusCount()) === 0, 'count 0', 10000), await statusItem().innerText());

  // ---- A unit over 16 KiB: its diff asks the server for the texts left out ----
  await step('open big.py and change big', async () => {
    await openFile('big.py', 'def big');
    await gotoLineEnd(2);
    await page.keyboard.type(' + 1', { delay: 40 });
  });
  check('big: the change is prompted', await waitOrNull(async () => (await statusCount()) === 1, 'count 1'), await statusItem().innerText());
  await quickFix('Explain the change to `big`');
  await waitForPrompt('big');
  const bigDiff = await waitOrNull(async () => {
    const text = (await page.locator('.monaco-diff-editor').first().innerText().catch(() => '')).replace(/\u00a0/g, ' ');
    return /start = 0 \+ 1/.test(text) && /start = 0\s/.test(text) && text;
  }, 'the diff of big', 10000);
  check('big: the diff shows both texts, asked for with rationale/changeTexts', bigDiff, bigDiff || '');
  await page.keyboard.press('Escape');
  await quickInput().waitFor({ state: 'hidden' });
  await step('edit big back', async () => {
    await openFile('big.py', 'def big');
    // Typing may have been undone in more than one step; past the first edit Ctrl+Z does nothing.
    for (let i = 0; i < 4; i++) await page.keyboard.press('Control+Z');
  });
  check('big: edited back, nothing is counted', await waitOrNull(async () => (await statusCount()) === 0, 'count 0', 10000), await statusItem().innerText());

  // ---- Show Pending Changes jumps to the unit; Skip from the quick fix ----
  await step('change Calc.add', async () => {
    await openFile('calc.py', 'def helper');
    await gotoLineEnd(7);
    await page.keyboard.type(' + 0', { delay: 40 });
    await page.keyboard.press('Control+Home'); // away from the unit
  });
  check('Calc.add: status bar counts 1', await waitOrNull(async () => (await statusCount()) === 1, 'count 1'), await statusItem().innerText());
  await runCommand('Rationale: Show Pending Changes');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Calc.add' }).first();
  const listed = await waitOrNull(() => row.isVisible(), 'Calc.add in the list', 10000);
  const rowText = listed ? (await row.innerText()).replace(/\s+/g, ' ') : '';
  await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-pending.png') });
  check('Show Pending Changes lists the method', listed && /modified/.test(rowText) && /calc\.py:6/.test(rowText), rowText);
  await page.keyboard.press('Enter');
  await quickInput().waitFor({ state: 'hidden' });
  const cursor = await waitOrNull(
    async () => /Ln 6,/.test(await page.locator('.statusbar-item', { hasText: /Ln \d+/ }).first().innerText().catch(() => '')),
    'the cursor on line 6',
    5000,
  );
  check('... and picking it jumps to the unit', cursor, await page.locator('.statusbar-item', { hasText: /Ln \d+/ }).first().innerText().catch(() => ''));
  const skipFix = await quickFix('Skip `Calc.add`');
  check('Ctrl+. offers Explain then Skip for the method', skipFix.titles[0]?.includes('Explain the change to `Calc.add`'), skipFix.titles.join(' | '));
  const skipped = page.locator('.statusbar-item', { hasText: 'skipped `Calc.add`' });
  const confirmed = await waitOrNull(async () => (await skipped.count()) > 0 && (await skipped.first().innerText()), 'the skip confirmation', 5000);
  check('Skip is confirmed in the status bar', confirmed && /no explanation needed/.test(confirmed), confirmed || '');
  const skip = await waitOrNull(() => recordsOf('skip', 'Calc.add')[0], 'the skip record', 5000);
  check('Skip is journaled', skip && skip.unit.kind === 'method', skip && JSON.stringify(skip.unit));
  check('... and the confirmation goes away', await waitOrNull(async () => (await skipped.count()) === 0, 'the confirmation to go', 10000));
  check('status bar back to 0 after the skip', await waitOrNull(async () => (await statusCount()) === 0, 'count 0', 10000), await statusItem().innerText());

  // ---- a refusal by the server keeps the text: the change is edited away while the box is open ----
  await step('change helper again and open its prompt', async () => {
    await gotoLineEnd(2);
    await page.keyboard.type(' + 3', { delay: 40 });
  });
  check('helper again: status bar counts 1', await waitOrNull(async () => (await statusCount()) === 1, 'count 1'), await statusItem().innerText());
  await quickFix('Explain the change to `helper`');
  await waitForPrompt('helper');
  const STALE = 'offset by three for the new header row';
  await page.keyboard.type(STALE, { delay: 5 });
  await step('edit helper back to its baseline with the box open', async () => {
    // The box stays open while the person works in the code (ignoreFocusOut).
    await activeEditor().locator('.view-line', { hasText: 'return x + 1 * 2 + 3' }).click();
    await page.keyboard.press('End');
    for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
    await waitFor(async () => (await statusCount()) === 0, 'the change to go away');
  });
  check('the box stays open while the person edits the code', await quickInput().isVisible());
  await quickInputBox().click();
  await page.keyboard.press('Enter');
  const refusal = await waitOrNull(async () => {
    const t = await quickInputMessage().innerText();
    return /Not recorded/.test(t) && t;
  }, 'the refusal', 5000);
  check('a refusal by the server is shown in the box', refusal && /has no pending change any more/.test(refusal), refusal || (await quickInputMessage().innerText()));
  check('... with the text kept', (await quickInputBox().inputValue()) === STALE, await quickInputBox().inputValue());
  await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-explain-refused.png') });
  await page.keyboard.press('Escape');
  await quickInput().waitFor({ state: 'hidden' });
  check('nothing was recorded for it', recordsOf('rationale', 'helper').length === 1);

  // ---- Restart Server: a new session, the count comes back ----
  const sessionsBefore = journal().filter((r) => r.type === 'session').length;
  await runCommand('Rationale: Restart Server');
  const restarted = await waitOrNull(
    () => journal().filter((r) => r.type === 'session').length > sessionsBefore && journal().some((r) => r.type === 'end'),
    'a second session and the end of the first',
    15000,
  );
  check('Restart Server ends the session and starts another', restarted);
  check('... and the status bar counts again', await waitOrNull(async () => (await statusCount()) === 0, 'count 0', 15000), await statusItem().innerText().catch(() => 'no item'));

  // ---- a setting changed while the server runs reaches it (workspace/didChangeConfiguration) ----
  // 10 is below rationale.toml's 20: a 13-character rationale is recorded only if the server
  // heard of the new setting, and the box must allow it too.
  fs.writeFileSync(
    path.join(WORKSPACE, '.vscode', 'settings.json'),
    // With the nudge off, a rationale that gives no reason is recorded at once.
    JSON.stringify({ 'rationale.settleMs': SETTLE_MS, 'rationale.minRationaleChars': 10, 'rationale.codelens': true, 'rationale.nudge': false }, null, 2),
  );
  await sleep(1500); // VS Code notices the file, the extension sends the settings
  await step('change Calc.add again and explain it briefly through the code lens', async () => {
    await gotoLineEnd(7);
    await page.keyboard.type(' + 1', { delay: 40 });
    await waitFor(async () => (await statusCount()) === 1, 'count 1');
    // This time through the code lens above the method.
    await activeEditor().locator('.codelens-decoration a', { hasText: 'Explain the change to `Calc.add`' }).click();
    await waitForPrompt('Calc.add');
    await page.keyboard.type('off by one.', { delay: 5 });
  });
  const shortOk = await waitOrNull(async () => {
    const t = await quickInputMessage().innerText();
    return !/more characters? needed/.test(t) && /At least 10 characters/.test(t) && t;
  }, 'the box to take the new minimum', 5000);
  check('a changed minimum applies to the box', shortOk, shortOk || (await quickInputMessage().innerText()));
  await page.keyboard.press('Enter');
  const brief = await waitOrNull(() => recordsOf('rationale', 'Calc.add')[0], 'the brief rationale', 5000);
  check('... and to the server (didChangeConfiguration)', brief && brief.text === 'off by one.', brief ? brief.text : await quickInputMessage().innerText().catch(() => ''));
  check('... with nudge off, recorded at once though flagged', brief && brief.quality?.flags?.includes('no_why'), brief && JSON.stringify(brief.quality));
  if (!brief) await page.keyboard.press('Escape');
  await quickInput().waitFor({ state: 'hidden' });

  // ---- the output channel says which server runs ----
  await runCommand('Rationale: Show Output');
  const outputText = await waitOrNull(async () => {
    const t = (await page.locator('.part.panel').first().innerText().catch(() => '')).replace(/\u00a0/g, ' ');
    return /from the bundled server/.test(t) ? t : null;
  }, 'the output channel', 10000);
  if (!outputText) await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-e2e-output.png') });
  check('the output channel says the bundled server runs', outputText, outputText ? outputText.split('\n').find((l) => /bundled/.test(l)) : '');

  // ---- a reviewer replays the two sessions and reviews their pairs (review.mjs) ----
  await reviewScenario({
    page, check, step, waitFor, waitOrNull, sleep, runCommand, quickInput, quickInputBox, recordsOf, WORKSPACE, ARTIFACTS,
  });

  // ---- one rationale for several changes (the nudge back on) ----
  fs.writeFileSync(
    path.join(WORKSPACE, '.vscode', 'settings.json'),
    JSON.stringify({ 'rationale.settleMs': SETTLE_MS, 'rationale.minRationaleChars': 10, 'rationale.codelens': true, 'rationale.nudge': true }, null, 2),
  );
  await sleep(1500); // VS Code notices the file, the extension sends the settings
  await step('change helper and Calc.add', async () => {
    await openFile('calc.py', 'def helper');
    await gotoLineEnd(2);
    await page.keyboard.type(' + 5', { delay: 40 });
    await gotoLineEnd(7);
    await page.keyboard.type(' + 2', { delay: 40 });
  });
  check('two changes counted', await waitOrNull(async () => (await statusCount()) === 2, 'count 2', 15000), await statusItem().innerText().catch(() => ''));
  const before = { helper: recordsOf('rationale', 'helper').length, add: recordsOf('rationale', 'Calc.add').length };
  await runCommand('Rationale: Explain Several Changes');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'explain several changes' }).waitFor();
  const severalRows = page.locator('.quick-input-list .monaco-list-row');
  await severalRows.first().waitFor();
  const severalTitles = await severalRows.allInnerTexts();
  check('Explain Several Changes lists the pending changes', severalTitles.some((t) => t.includes('helper')) && severalTitles.some((t) => t.includes('Calc.add')), severalTitles.join(' | '));
  // Tick each change: a click on a row of a multi-select list toggles its checkbox.
  const selectedCount = () => page.locator('.quick-input-widget .quick-input-count').innerText().catch(() => '');
  for (let i = 0; i < (await severalRows.count()); i++) {
    await severalRows.nth(i).click();
    if (!(await waitOrNull(async () => (await selectedCount()).includes(`${i + 1} Selected`), 'the tick', 2000))) {
      await severalRows.nth(i).locator('.quick-input-list-checkbox, input[type=checkbox], .monaco-checkbox').first().click({ force: true });
    }
  }
  check('... each ticked with a click', (await selectedCount()).includes('2 Selected'), await selectedCount());
  await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-explain-several.png') });
  await page.keyboard.press('Enter');
  await waitForPrompt('Explain 2 changes');
  const severalPrompt = await quickInputMessage().innerText().catch(() => '');
  check('... then one input, with the server\'s minimum', /At least 10 characters/.test(severalPrompt), severalPrompt);
  // Nudged (the nudge is on again), then rewritten: the rewrite is recorded without a second nudge.
  const WHAT_SEVERAL = 'prices now include the new handling fee';
  await page.keyboard.type(WHAT_SEVERAL, { delay: 5 });
  await page.keyboard.press('Enter');
  const severalNudge = await waitOrNull(async () => /Say why/.test(await quickInputMessage().innerText()), 'the nudge', 5000);
  check('several changes: the nudge comes back with the text', severalNudge && (await quickInputBox().inputValue()) === WHAT_SEVERAL, await quickInputMessage().innerText().catch(() => ''));
  const RATIONALE_SEVERAL = 'prices now include the handling fee because checkout charges it';
  await page.keyboard.press('Control+A');
  await page.keyboard.type(RATIONALE_SEVERAL, { delay: 5 });
  await page.keyboard.press('Enter');
  await quickInput().waitFor({ state: 'hidden' });
  const grouped = await waitOrNull(() => {
    const helper = recordsOf('rationale', 'helper');
    const add = recordsOf('rationale', 'Calc.add');
    return helper.length === before.helper + 1 && add.length === before.add + 1 && [helper.at(-1), add.at(-1)];
  }, 'the two records', 5000);
  check('one rationale is recorded for each change', grouped && grouped.every((r) => r.text === RATIONALE_SEVERAL), grouped && JSON.stringify(grouped.map((r) => r.text)));
  check('... the records sharing one group', grouped && grouped[0].group && grouped[0].group === grouped[1].group, grouped && JSON.stringify(grouped.map((r) => r.group)));
  check('status bar back to 0 after explaining both', await waitOrNull(async () => (await statusCount()) === 0, 'count 0', 10000), await statusItem().innerText().catch(() => ''));

  // ---- a working day's session, opened and stepped (long_session.mjs) ----
  await longSessionScenario({ page, check, waitOrNull, sleep, runCommand, quickInput, quickInputBox, WORKSPACE });

  // ---- a team's review in a workspace of two folders: flags, folders, queue pages (multi_root.mjs) ----
  await multiRoot();

  // ---- a server path that does not work: a clear error, and the status bar says so ----
  // rationale.server.path is machine-scoped: with code-server's extension host on the "remote"
  // side, it lives in the machine settings.
  fs.mkdirSync(path.join(USER_DATA, 'Machine'), { recursive: true });
  fs.writeFileSync(path.join(USER_DATA, 'Machine', 'settings.json'), JSON.stringify({ 'rationale.server.path': '/nonexistent/rationale' }));
  await page.locator('.notifications-toasts', { hasText: 'the server path changed' }).waitFor({ timeout: 10000 }).catch(() => {});
  await runCommand('Rationale: Restart Server');
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'rationale.server.path' }).first();
  const error = await toast.waitFor({ timeout: 15000 }).then(() => toast.innerText(), () => '');
  check('a server path that does not work is named in an error', /\/nonexistent\/rationale/.test(error) && /does not work: no such file/.test(error), error.replace(/\s+/g, ' '));
  check('... which offers to open the settings', /Open Settings/.test(error));
  await page.screenshot({ path: path.join(ARTIFACTS, 'vscode-server-not-found.png') });
  const failedItem = await page.locator('.statusbar-item', { hasText: /^\s*Rationale\s*$/ }).first().innerText().catch(() => '');
  check('... and the status bar shows Rationale is not running', failedItem.trim() === 'Rationale' && (await statusCount()) === null, failedItem);

  const session = journal().find((r) => r.type === 'session');
  check('the journal starts with the session, naming the editor', session && session.client?.name, session && JSON.stringify(session.client));
  return url;
}

let exitCode = 0;
try {
  const url = await main();
  if (process.env.E2E_KEEP) {
    codeServer.unref();
    console.log(`[e2e] code-server left running at ${url} (process group ${codeServer.pid})`);
  }
} catch (err) {
  exitCode = 1;
  check('the run completed', false, String((err && err.message) || err).split('\n')[0]);
  console.error('[e2e] ERROR', (err && err.stack) || err);
  if (page) {
    const shot = path.join(ARTIFACTS, 'vscode-e2e-failure.png');
    await page.screenshot({ path: shot }).then(() => console.error(`[e2e] failure screenshot: ${shot}`), () => {});
  }
  console.error(`[e2e] code-server output (tail):\n${serverLog().slice(-3000)}`);
  const extensionLog = spawnSync('sh', ['-c', `tail -n 60 ${USER_DATA}/logs/*/exthost*/rationale.rationale/Rationale.log`], { encoding: 'utf8' });
  console.error(`[e2e] the extension's output channel (tail):\n${extensionLog.stdout}`);
} finally {
  if (context) await context.close().catch(() => {});
  if (codeServer && !process.env.E2E_KEEP) {
    // code-server, its extension host and the language server share one process group.
    const alive = () => {
      try {
        process.kill(-codeServer.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      process.kill(-codeServer.pid, 'SIGTERM');
    } catch {}
    await waitFor(() => !alive(), 'code-server to exit', 5000).catch(() => {
      try {
        process.kill(-codeServer.pid, 'SIGKILL');
      } catch {}
    });
  }
  if (!process.env.E2E_KEEP && exitCode === 0 && checks.every((c) => c.ok)) fs.rmSync(RUN, { recursive: true, force: true });
  else console.log(`[e2e] kept the run folder ${RUN}`);
}
const failed = checks.filter((c) => !c.ok).length;
console.log(`[e2e] ${((performance.now() - t0) / 1000).toFixed(1)}s in all; screenshots in ${ARTIFACTS}`);
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed || exitCode ? 1 : 0);
