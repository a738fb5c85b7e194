// A team's review in a multi-root workspace (issues 19 and 20), run by e2e.mjs in the same
// code-server once its own workspace is done: a `.code-workspace` of two folders, `alpha` and
// `beta`, each with sessions.
//
// - Quality flags: in `alpha` a pair is recorded with a rationale that says why and one with a
//   generic one ("updated the code, misc changes"); a reviewer sees the flag on the generic one,
//   in the Sessions view and the Queue, and with what each means in the pair's review; nothing of
//   the kind on the other. (The rows' tooltips say the meanings too; a tooltip does not show in
//   headless Chromium, so they are not asserted.)
// - Multi-root: both folders' sessions are listed, the Queue spans both, and a verdict on a pair
//   of `beta` is written to `beta/.rationale/reviews/` and not to `alpha`'s.
// - Queue paging: `beta` also holds a contributor's session of 250 pairs (written here, as it
//   would be copied in), so the queue is longer than a page (200): the Queue shows a page and a
//   "more…" item that shows the next; Next in Queue from the page's last entry opens the first
//   entry of the next page, which only it has asked for.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const FOLDERS = {
  alpha: { 'orders.py': ['def total(items):', '    return sum(items)', '', '', 'def tax(amount):', '    return amount * 0.2', ''].join('\n') },
  beta: { 'prices.py': ['def discount(price):', '    return price * 0.9', ''].join('\n') },
};
const GOOD = 'rounding drifted by a cent, so the total now sums whole cents because invoices must match';
const GENERIC = 'updated the code, misc changes';
const DISCOUNT = 'members get a larger discount because the loyalty plan changed in March';

/** A session of `pairs` pairs, all before the pairs recorded here and with no flag, so that the
 *  queue holds them in their order: gen_0001, gen_0002, ... */
const GEN_ID = '20200101T000000Z-gen000';
const GEN_TEXT = 'def gen():\n    return 0\n';
function generatedSession(pairs, { id = GEN_ID, author = 'gen@example.invalid', workspace = 'beta' } = {}) {
  const ts = (seq) => new Date(Date.UTC(2020, 0, 1, 0, 0, seq)).toISOString();
  const lines = [
    { seq: 0, ts: ts(0), type: 'session', schema: 1, session: id, server: { name: 'rationale', version: '0.1.0' }, client: { name: 'e2e', version: null }, author, workspace, positionEncoding: 'utf-16' },
    { seq: 1, ts: ts(1), type: 'open', path: 'gen.py', language: 'python', version: 1, text: GEN_TEXT, sha256: crypto.createHash('sha256').update(GEN_TEXT).digest('hex') },
  ];
  for (let i = 1; i <= pairs; i++) {
    const seq = i + 1;
    const name = `gen_${String(i).padStart(4, '0')}`;
    lines.push({
      seq, ts: ts(seq), type: 'rationale', pair: `${id}:${seq}`, change: `c.${seq}`, path: 'gen.py', language: 'python',
      unit: { name, kind: 'function' }, kind: 'modified', before: GEN_TEXT, after: GEN_TEXT,
      text: `Step ${i} of the migration: the old reader failed on empty rows, so ${name} skips them`,
      editsFrom: null, editsTo: null, edits: 1, promptedAt: null, version: 1, via: 'command', group: null,
    });
  }
  lines.push({ seq: pairs + 2, ts: ts(pairs + 2), type: 'end', reason: 'shutdown' });
  return { text: lines.map((l) => JSON.stringify(l)).join('\n') + '\n', seqOf: (i) => i + 1 };
}

/** Every line of every file of `<folder>/.rationale/<dir>/`. */
function linesOf(folder, dir) {
  const at = path.join(folder, '.rationale', dir);
  let files = [];
  try {
    files = fs.readdirSync(at).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
  return files.flatMap((f) => fs.readFileSync(path.join(at, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)));
}

/**
 * @param t what e2e.mjs shares: page, check, step, waitFor, waitOrNull, sleep, runCommand,
 *          quickInput, quickInputBox, openFile, gotoLineEnd, quickFix, waitForPrompt, statusCount,
 *          statusItem, baseUrl, RUN, ARTIFACTS.
 */
export async function multiRootScenario(t) {
  const { page, check, step, waitFor, waitOrNull, sleep, runCommand, quickInput, openFile, gotoLineEnd, quickFix, waitForPrompt, statusCount, statusItem } = t;
  const text = (s) => (s || '').replace(/\u00a0/g, ' ');
  const flat = (s) => text(s).replace(/\s+/g, ' ');
  const shot = (name) => page.screenshot({ path: path.join(t.ARTIFACTS, name) });

  const root = path.join(t.RUN, 'team');
  const alpha = path.join(root, 'alpha');
  const beta = path.join(root, 'beta');
  for (const [name, files] of Object.entries(FOLDERS)) {
    for (const [file, body] of Object.entries(files)) {
      fs.mkdirSync(path.join(root, name), { recursive: true });
      fs.writeFileSync(path.join(root, name, file), body);
    }
    fs.writeFileSync(path.join(root, name, 'rationale.toml'), 'min_rationale_chars = 10\n');
  }
  const generated = generatedSession(250);
  fs.mkdirSync(path.join(beta, '.rationale', 'sessions'), { recursive: true });
  fs.writeFileSync(path.join(beta, '.rationale', 'sessions', `${GEN_ID}.jsonl`), generated.text);
  const workspaceFile = path.join(root, 'team.code-workspace');
  fs.writeFileSync(
    workspaceFile,
    JSON.stringify({ folders: [{ path: 'alpha' }, { path: 'beta' }], settings: { 'rationale.settleMs': 400, 'rationale.nudge': false } }, null, 2),
  );

  await step('open the two-folder workspace', async () => {
    await page.goto(`${t.baseUrl}/?workspace=${encodeURIComponent(workspaceFile)}`, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor();
    // Now and then (1 run in 4 here) the window comes up as the workspace with "no folder opened",
    // its folders never resolved; loading it again resolves them.
    const folders = () => page.locator('.explorer-folders-view .monaco-list-row', { hasText: /alpha/i }).first().isVisible();
    if (!(await waitOrNull(folders, 'the folders in the explorer', 20000))) {
      console.log('[e2e]        the workspace opened without its folders; loading it again');
      await page.reload({ waitUntil: 'domcontentloaded' });
      await waitFor(folders, 'the folders in the explorer');
    }
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => {});
  });

  // ---- alpha: a pair that says why, and a generic one ----
  const activeEditor = () => page.locator('.editor-group-container.active .monaco-editor').first();
  const explain = async (unit, line, typed, rationale) => {
    await gotoLineEnd(line);
    await page.keyboard.type(typed, { delay: 40 });
    await waitFor(async () => (await statusCount()) === 1, `a pending change to ${unit}`);
    await quickFix(`Explain the change to \`${unit}\``);
    await waitForPrompt(unit);
    await page.keyboard.type(rationale, { delay: 3 });
    await page.keyboard.press('Enter');
    await quickInput().waitFor({ state: 'hidden' });
    await waitFor(async () => (await statusCount()) === 0, `the change to ${unit} explained`, 10000);
  };
  await step('alpha: explain `total` with a reason, `tax` generically', async () => {
    await openFile('orders.py', 'def total');
    check('the server runs in the two-folder workspace', await waitOrNull(async () => (await statusCount()) === 0, 'count 0'), await statusItem().innerText().catch(() => ''));
    await activeEditor().click({ position: { x: 400, y: 10 } });
    await explain('total', 2, ' + 0', GOOD);
    await explain('tax', 6, ' + 0', GENERIC);
  });
  const alphaPairs = linesOf(alpha, 'sessions').filter((r) => r.type === 'rationale');
  const good = alphaPairs.find((r) => r.unit.name === 'total');
  const generic = alphaPairs.find((r) => r.unit.name === 'tax');
  check('alpha: both pairs are in alpha\'s journal', good?.text === GOOD && generic?.text === GENERIC, JSON.stringify(alphaPairs.map((r) => r.text)));
  check('... the generic one flagged generic, the other unflagged', generic?.quality?.flags?.includes('generic') && good?.quality?.flags?.length === 0, JSON.stringify([good?.quality?.flags, generic?.quality?.flags]));

  // ---- beta: one more pair, recorded in beta ----
  await step('beta: explain `discount`', async () => {
    await openFile('prices.py', 'def discount');
    await activeEditor().click({ position: { x: 400, y: 10 } });
    await explain('discount', 2, ' - 0', DISCOUNT);
  });
  const discount = linesOf(beta, 'sessions').find((r) => r.type === 'rationale' && r.unit?.name === 'discount');
  check('beta: its pair is in beta\'s journal, not alpha\'s', discount && !linesOf(alpha, 'sessions').some((r) => r.unit?.name === 'discount'), JSON.stringify(discount?.path));

  // ---- the Sessions view: both folders, flags on the generic pair only ----
  if (await page.locator('.part.panel').isVisible().catch(() => false)) await page.keyboard.press('Control+J');
  await step('open the Rationale view', () => page.locator('.activitybar [aria-label^="Rationale"]').first().click());
  const sidebar = page.locator('.part.sidebar');
  const sessionsPane = sidebar.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Sessions/i }) }).first();
  const queuePane = sidebar.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Queue/i }) }).first();
  const sessionRow = (label) => sessionsPane.locator('.monaco-list-row', { hasText: label }).first();
  await runCommand('Rationale: Refresh Sessions');
  const listed = await waitOrNull(async () => (await sessionRow('tax').isVisible()) && (await sessionRow('total').isVisible()) && (await sessionRow('discount').isVisible()), 'the pairs of both folders', 15000);
  check('the Sessions view lists the sessions of both folders', listed, flat(await sessionsPane.innerText().catch(() => '')).slice(0, 500));
  const sessionTexts = (await sessionsPane.locator('.monaco-list-row', { hasText: /reviewed/ }).allInnerTexts()).map(flat);
  check(
    '... alpha\'s counting its flagged pair, beta\'s two named after beta',
    sessionTexts.some((s) => /2 pairs · 1 flagged · 0 reviewed · recording · alpha/.test(s)) &&
      sessionTexts.some((s) => /1 pair · 0 reviewed · recording · beta/.test(s)) &&
      sessionTexts.some((s) => /250 pairs · 0 reviewed · beta/.test(s)),
    sessionTexts.join(' | '),
  );
  const taxRow = flat(await sessionRow('tax').innerText());
  const totalRow = flat(await sessionRow('total').innerText());
  check('the generic pair shows its flags in the Sessions view, before the rest of its row', /^tax ?⚑ generic, no_why · orders\.py/.test(taxRow), taxRow);
  check('... the pair that says why shows none', !/⚑/.test(totalRow) && totalRow.includes('rounding drifted'), totalRow);
  await shot('vscode-flags-sessions.png');

  // ---- the review of each: the flags with their meanings, above the verdicts ----
  const diff = page.locator('.editor-group-container.active .monaco-diff-editor').first();
  const threadText = async () => flat((await diff.locator('.review-widget').allInnerTexts().catch(() => [])).join(' | '));
  const tab = async () => text(await page.locator('.tab.active').innerText().catch(() => ''));
  /** Selects a row until its review is the active tab: a click while the view redraws (the
   *  watcher saw the journals grow) is lost, as a person's would be, and made again. */
  const openRow = async (row, tabText) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await row.click();
      if (await waitOrNull(async () => (await tab()).includes(tabText), tabText, 5000)) return;
    }
  };
  await step('open the generic pair', () => openRow(sessionRow('tax'), `tax (orders.py · record ${generic?.seq})`));
  const flaggedThread = await waitOrNull(async () => {
    const s = await threadText();
    return s.includes(GENERIC) && /Quality flags/.test(s) ? s : null;
  }, 'the generic pair\'s thread', 15000);
  check('the review of the generic pair shows its flags, each with a line saying what it means', flaggedThread && /⚑ generic: says nothing specific/.test(flaggedThread) && /⚑ no_why: states no reason/.test(flaggedThread), flaggedThread ?? (await threadText()));
  check('... and the thread\'s title names them', flaggedThread && /Why `tax` changed · ⚑ generic, no_why · not reviewed yet/.test(flaggedThread), flaggedThread);
  await shot('vscode-flags-review.png');
  await step('open the pair that says why', () => openRow(sessionRow('total'), `total (orders.py · record ${good?.seq})`));
  const goodThread = await waitOrNull(async () => {
    const s = await threadText();
    return s.includes(GOOD) ? s : null;
  }, 'the good pair\'s thread', 15000);
  check('the review of the pair that says why shows no flag', goodThread && !/⚑|Quality flags/.test(goodThread), goodThread ?? (await threadText()));

  // ---- a verdict on beta's pair goes to beta ----
  await step('open `discount` (beta), press a, Enter', async () => {
    await openRow(sessionRow('discount'), `discount (prices.py · record ${discount?.seq})`);
    await sleep(300);
    await page.keyboard.press('a');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Accept `discount`' }).waitFor({ timeout: 10000 });
    await page.keyboard.press('Enter');
    await quickInput().waitFor({ state: 'hidden' });
  });
  const inBeta = await waitOrNull(() => linesOf(beta, 'reviews').find((r) => r.pair === discount?.pair), 'the verdict in beta', 10000);
  check('a verdict on a pair of the second folder is written to its .rationale/reviews/', inBeta && inBeta.verdict === 'accept', JSON.stringify(inBeta));
  check('... and not to the first folder\'s', linesOf(alpha, 'reviews').length === 0, JSON.stringify(linesOf(alpha, 'reviews')));
  check('... and the view shows it accepted', await waitOrNull(async () => (await sessionRow('discount').locator('.codicon-pass').count()) === 1, 'the pass icon', 10000));

  // ---- the Queue: both folders, flags, a page and "more…" ----
  const header = queuePane.locator('.pane-header').first();
  if ((await header.getAttribute('aria-expanded')) !== 'true') await step('open the Queue section', () => header.click());
  const queueRows = queuePane.locator('.monaco-list-row');
  const first = await waitOrNull(async () => {
    const s = flat(await queueRows.first().innerText().catch(() => ''));
    return /tax/.test(s) ? s : null;
  }, 'the queue', 15000);
  check('the Queue puts the flagged pair first, with its flags and folder', first && /⚑ generic, no_why · pair · alpha/.test(first), first ?? flat(await queuePane.innerText().catch(() => '')));
  const second = flat(await queueRows.nth(1).innerText().catch(() => ''));
  check('... then beta\'s pairs, oldest first, without flags', /gen_0001/.test(second) && /beta/.test(second) && !/⚑/.test(second), second);
  await shot('vscode-queue-flags.png');

  // The end of the page: End in the list.
  const endOfList = async () => {
    await runCommand('Focus on Queue View');
    await sleep(300);
    await page.keyboard.press('End');
    await sleep(500);
  };
  await step('go to the end of the Queue', endOfList);
  const more = queuePane.locator('.monaco-list-row', { hasText: 'more…' }).first();
  const moreText = await waitOrNull(async () => ((await more.isVisible()) ? flat(await more.innerText()) : null), 'the more… item', 10000);
  // 250 + 3 entries: the page of 200 shows gen_0001 to gen_0199 after the flagged pair.
  check('the Queue shows one page of its 253 entries, then "more…"', moreText && /200 of 253 shown; the next 53/.test(moreText), moreText ?? '');
  const lastShown = queuePane.locator('.monaco-list-row', { hasText: 'gen_0199' }).first();
  check('... the page ending with gen_0199, gen_0200 not shown yet', (await lastShown.isVisible()) && (await queuePane.locator('.monaco-list-row', { hasText: 'gen_0200' }).count()) === 0);
  await shot('vscode-queue-more.png');

  await step('open the last entry of the page', () => openRow(lastShown, 'gen_0199 ('));
  check('... which opens its review', await waitOrNull(async () => (await tab()).includes(`gen_0199 (gen.py · record ${generated.seqOf(199)})`), 'gen_0199', 15000), await tab());
  await runCommand('Rationale: Next in Queue');
  const nextTab = await waitOrNull(async () => ((await tab()).includes(`gen_0200 (gen.py · record ${generated.seqOf(200)})`) ? tab() : null), 'gen_0200', 15000);
  check('Next in Queue past the page: the first entry of the next page, asked for then', nextTab, await tab());
  await runCommand('Rationale: Next in Queue');
  check('... and on from there', await waitOrNull(async () => (await tab()).includes(`gen_0201 (gen.py`), 'gen_0201', 15000), await tab());

  await step('select "more…"', async () => {
    await endOfList();
    await more.click();
  });
  const all = await waitOrNull(async () => {
    await page.keyboard.press('End');
    const last = flat(await queueRows.last().innerText().catch(() => ''));
    return (await queuePane.locator('.monaco-list-row', { hasText: 'more…' }).count()) === 0 && /discount/.test(last) ? last : null;
  }, 'the next page in the Queue', 15000);
  check('"more…" shows the next page: the whole queue now, the judged pair last', all, flat(await queueRows.last().innerText().catch(() => '')));
  check('... gen_0250 and alpha\'s pair that says why before it', (await queuePane.locator('.monaco-list-row', { hasText: 'gen_0250' }).count()) === 1 && (await queuePane.locator('.monaco-list-row', { hasText: 'total' }).count()) === 1);
  await shot('vscode-queue-all.png');

  // ---- a third folder added to the workspace (its file edited on disk): its sessions come in ----
  const gamma = path.join(root, 'gamma');
  fs.mkdirSync(path.join(gamma, '.rationale', 'sessions'), { recursive: true });
  fs.writeFileSync(path.join(gamma, '.rationale', 'sessions', '20200102T000000Z-gam000.jsonl'), generatedSession(1, { id: '20200102T000000Z-gam000', author: 'gamma@example.invalid', workspace: 'gamma' }).text);
  const added = Date.now();
  fs.writeFileSync(
    workspaceFile,
    JSON.stringify({ folders: [{ path: 'alpha' }, { path: 'beta' }, { path: 'gamma' }], settings: { 'rationale.settleMs': 400, 'rationale.nudge': false } }, null, 2),
  );
  // The Sessions view was scrolled to gen_0199 when it opened from the queue: back to its top.
  await runCommand('Focus on Sessions View');
  await page.keyboard.press('Home');
  const gammaRow = await waitOrNull(async () => {
    const row = sessionsPane.locator('.monaco-list-row', { hasText: 'gamma@example.invalid' }).first();
    return (await row.isVisible()) ? flat(await row.innerText()) : null;
  }, 'the third folder\'s session', 15000);
  check(`a folder added to the workspace: its sessions are listed without a refresh (${Date.now() - added} ms)`, gammaRow && /1 pair · 0 reviewed · gamma/.test(gammaRow), gammaRow ?? flat(await sessionsPane.innerText().catch(() => '')).slice(0, 300));
}
