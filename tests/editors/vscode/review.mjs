// The reviewer's part of the end-to-end test (issue 7), run by e2e.mjs once it has recorded two
// sessions through the UI: the Rationale view lists them, a pair opens as a diff with its
// rationale beside the unit, verdicts go in with one key (or one click) and an optional note,
// Review Pair offers the unreviewed pair first, and Replay Session steps a read-only document
// through the journal. Assertions are on the screen and on `.rationale/reviews/*.jsonl`.
import fs from 'node:fs';
import path from 'node:path';

/** Every verdict on disk, in the order written (all reviewers' files). */
function reviewsOnDisk(workspace) {
  const dir = path.join(workspace, '.rationale', 'reviews');
  let files = [];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  } catch {
    return [];
  }
  return files.flatMap((f) =>
    fs
      .readFileSync(path.join(dir, f), 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line)),
  );
}

/**
 * @param t what e2e.mjs shares: page, check, step, waitFor, waitOrNull, sleep, runCommand,
 *          quickInput, quickInputBox, recordsOf, WORKSPACE, ARTIFACTS, and the rationales typed.
 */
/**
 * The text of one side of a diff editor. Every `.view-lines` under it, joined: once the pair's
 * comment thread is drawn, its reply box is a second editor inside the modified side, and a
 * locator that expects one element fails (it was read as an empty side, now and then).
 */
async function sideText(diff, side) {
  const texts = await diff.locator(`.editor.${side} .view-lines`).allInnerTexts().catch(() => []);
  return texts.join('\n').replace(/\u00a0/g, ' ');
}

export async function reviewScenario(t) {
  const { page, check, step, waitOrNull, sleep, runCommand, quickInput, quickInputBox, recordsOf, WORKSPACE, ARTIFACTS } = t;
  const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, name) });
  const text = (s) => (s || '').replace(/\u00a0/g, ' ');

  const [helper] = recordsOf('rationale', 'helper');
  const [greet] = recordsOf('rationale', 'greet');
  const [add] = recordsOf('rationale', 'Calc.add');
  if (!check('three pairs were recorded before the review', helper && greet && add)) return;

  // Room for the diff: no panel.
  if (await page.locator('.part.panel').isVisible().catch(() => false)) await page.keyboard.press('Control+J');

  // ---- the Rationale view ----
  await step('open the Rationale view from the activity bar', () => page.locator('.activitybar [aria-label^="Rationale"]').first().click());
  const sidebar = page.locator('.part.sidebar');
  const row = (label) => sidebar.locator('.monaco-list-row', { hasText: label }).first();
  const listed = await waitOrNull(async () => (await row('helper').isVisible()) && (await row('greet').isVisible()) && (await row('Calc.add').isVisible()), 'the pairs in the view', 15000);
  check('the Rationale view lists the pairs of both sessions', listed, text(await sidebar.innerText().catch(() => '')).replace(/\s+/g, ' '));
  const sessionRows = (await sidebar.locator('.monaco-list-row', { hasText: 'e2e@example.invalid' }).allInnerTexts()).map((s) => text(s).replace(/\s+/g, ' '));
  check(
    '... each session with its author, date, pairs, how many are flagged and how many reviewed',
    sessionRows.length === 2 && sessionRows.some((s) => /2 pairs · 1 flagged · 0 reviewed/.test(s)) && sessionRows.some((s) => /1 pair · 1 flagged · 0 reviewed · recording/.test(s)),
    sessionRows.join(' | '),
  );
  check('... unreviewed pairs have the unreviewed icon', (await row('helper').locator('.codicon-circle-large-outline').count()) === 1);
  check('... and show their rationale', /double it: callers expect/.test(text(await row('helper').innerText())), text(await row('helper').innerText()));
  // helper's rationale says what, not why (no_why, sent as is after the nudge); greet's says why.
  check('... and their quality flags: helper flagged no_why, greet nothing', /⚑ no_why/.test(text(await row('helper').innerText())) && !/⚑/.test(text(await row('greet').innerText())), `${text(await row('helper').innerText())} | ${text(await row('greet').innerText())}`);

  // ---- a pair as a diff, with its rationale beside the unit ----
  await step('click the pair `helper`', () => row('helper').click());
  const diff = page.locator('.editor-group-container.active .monaco-diff-editor').first();
  const opened = await waitOrNull(() => diff.isVisible(), 'the pair diff', 10000);
  check('selecting a pair opens a diff', opened);
  const tab = await page.locator('.tab.active').innerText().catch(() => '');
  check('... titled after the unit, file and record', text(tab).includes(`helper (calc.py · record ${helper.seq})`), text(tab));
  let seen = {};
  const sides = await waitOrNull(async () => {
    const original = await sideText(diff, 'original');
    const modified = await sideText(diff, 'modified');
    seen = { original, modified };
    return /return x \+ 1\s*$/m.test(original) && /return x \+ 1 \* 2/.test(modified) ? { original, modified } : null;
  }, 'both sides of the diff', 20000);
  check('... of the file before the pair (left) and after it (right)', sides, sides ? '' : JSON.stringify(seen));
  if (!sides) await shot('vscode-review-diff-sides-failure.png');
  const thread = diff.locator('.review-widget').first();
  const threadText = await waitOrNull(async () => {
    const s = text(await thread.innerText().catch(() => ''));
    return s.includes(helper.text) ? s : null;
  }, 'the rationale thread', 10000);
  check('the rationale shows beside the unit (a comment thread)', threadText, text(await diff.innerText().catch(() => '')).slice(0, 300));
  check('... saying who wrote it and that it is not reviewed yet', threadText && /e2e@example\.invalid/.test(threadText) && /not reviewed yet/.test(threadText), threadText);
  await shot('vscode-review-pair.png');

  // ---- accept with one key; Enter with nothing = no note ----
  await step('press a, then Enter', async () => {
    await page.keyboard.press('a');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Accept `helper`' }).waitFor({ timeout: 10000 });
    await page.keyboard.press('Enter');
    await quickInput().waitFor({ state: 'hidden' });
  });
  const accepted = await waitOrNull(() => reviewsOnDisk(WORKSPACE).find((r) => r.pair === helper.pair), 'the accept on disk', 10000);
  check('`a` accepts the pair: the verdict is in .rationale/reviews/*.jsonl', accepted && accepted.verdict === 'accept', JSON.stringify(accepted));
  check('... with the pair id, the reviewer and no note', accepted && accepted.pair === helper.pair && accepted.reviewer === 'e2e@example.invalid' && !('note' in accepted) && accepted.ts, JSON.stringify(accepted));
  check('the view shows it accepted', await waitOrNull(async () => (await row('helper').locator('.codicon-pass').count()) === 1, 'the pass icon', 10000));
  check('... and counts it', await waitOrNull(async () => (await sidebar.locator('.monaco-list-row', { hasText: /2 pairs · 1 flagged · 1 reviewed/ }).count()) === 1, '1 reviewed', 10000));
  check('the thread shows the verdict', await waitOrNull(async () => /Accepted/.test(text(await thread.innerText().catch(() => ''))), 'Accepted in the thread', 5000));

  // ---- next pair with one key; flag it with a note ----
  await step('press n', () => page.keyboard.press('n'));
  const greetTab = await waitOrNull(async () => {
    const s = text(await page.locator('.tab.active').innerText().catch(() => ''));
    return s.includes(`greet (util.js · record ${greet.seq})`) ? s : null;
  }, 'the next pair', 10000);
  check('`n` opens the next pair', greetTab);
  const greetDiff = await waitOrNull(async () => /name\.trim\(\)/.test(await sideText(diff, 'modified')), 'util.js after', 20000);
  check('... as a diff of its file', greetDiff);
  if (!greetDiff) await shot('vscode-review-next-diff-failure.png');
  const NOTE = 'does an empty name still get a greeting?';
  await step('press f, type a note, Enter', async () => {
    await page.keyboard.press('f');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Flag `greet`' }).waitFor({ timeout: 10000 });
    await page.keyboard.type(NOTE, { delay: 5 });
    await sleep(200);
    await page.keyboard.press('Enter');
    await quickInput().waitFor({ state: 'hidden' });
  });
  const flagged = await waitOrNull(() => reviewsOnDisk(WORKSPACE).find((r) => r.pair === greet.pair), 'the flag on disk', 10000);
  check('`f` flags the pair, with the note typed', flagged && flagged.verdict === 'flag' && flagged.note === NOTE, JSON.stringify(flagged));
  check('the view shows it flagged', await waitOrNull(async () => (await row('greet').locator('.codicon-warning').count()) === 1, 'the warning icon', 10000));
  check('... the thread shows the note', await waitOrNull(async () => text(await diff.locator('.review-widget').first().innerText().catch(() => '')).includes(NOTE), 'the note in the thread', 5000));
  await shot('vscode-review-flagged.png');

  // ---- Review Pair: the unreviewed pair first ----
  await runCommand('Rationale: Review Pair');
  const firstPick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Calc.add' }).first();
  await waitOrNull(() => firstPick.isVisible(), 'Calc.add in Review Pair', 10000);
  const picks = (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((s) => text(s).replace(/\s+/g, ' '));
  check('Review Pair lists the unreviewed pair first', picks.length >= 3 && /Calc\.add/.test(picks[0]) && /Not reviewed \(1\)/.test(picks[0]), picks.join(' | '));
  await shot('vscode-review-pick.png');
  await page.keyboard.press('Enter');
  await quickInput().waitFor({ state: 'hidden' });
  const addTab = await waitOrNull(async () => text(await page.locator('.tab.active').innerText().catch(() => '')).includes(`Calc.add (calc.py · record ${add.seq})`), 'the Calc.add diff', 10000);
  check('... and opens the pair picked', addTab, text(await page.locator('.tab.active').innerText().catch(() => '')));

  // ---- one click: the inline action in the view ----
  await step('click Reject on the pair in the view, Enter', async () => {
    await row('Calc.add').hover();
    await row('Calc.add').locator('.action-label[aria-label*="Reject Pair"]').click();
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Reject `Calc.add`' }).waitFor({ timeout: 10000 });
    await page.keyboard.press('Enter');
    await quickInput().waitFor({ state: 'hidden' });
  });
  const rejected = await waitOrNull(() => reviewsOnDisk(WORKSPACE).find((r) => r.pair === add.pair), 'the reject on disk', 10000);
  check('the inline Reject action records a rejection', rejected && rejected.verdict === 'reject', JSON.stringify(rejected));
  check('... and the view shows it', await waitOrNull(async () => (await row('Calc.add').locator('.codicon-error').count()) === 1, 'the error icon', 10000));
  check('the reviews file holds exactly the three verdicts', reviewsOnDisk(WORKSPACE).length === 3, JSON.stringify(reviewsOnDisk(WORKSPACE)));
  const mode = fs.readdirSync(path.join(WORKSPACE, '.rationale', 'reviews')).map((f) => fs.statSync(path.join(WORKSPACE, '.rationale', 'reviews', f)).mode & 0o777);
  check('... and it is private (0600)', mode.length === 1 && mode[0] === 0o600, mode.map((m) => m.toString(8)).join(','));

  // ---- Replay Session…: a read-only document stepped through the journal ----
  await runCommand('Rationale: Replay Session…');
  const sessionPick = page.locator('.quick-input-list .monaco-list-row', { hasText: '2 pairs' }).first();
  await sessionPick.waitFor({ timeout: 10000 });
  await quickInputBox().fill('2 pairs');
  await sleep(300);
  await page.keyboard.press('Enter');
  await quickInput().waitFor({ state: 'hidden' });
  const status = page.locator('.statusbar-item', { hasText: /Replay step/ }).first();
  const where = async () => {
    const s = text(await status.innerText().catch(() => ''));
    const m = /Replay step (\d+)\/(\d+) · seq (\d+) · (.*)/.exec(s);
    return m ? { step: Number(m[1]), steps: Number(m[2]), seq: Number(m[3]), what: m[4].trim(), raw: s } : null;
  };
  const editorText = async () => text(await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText().catch(() => ''));
  const start = await waitOrNull(where, 'the replay status', 10000);
  check('Replay Session opens the session at its first record, the status bar says where', start && start.step === 1 && start.seq === 1 && /open calc\.py/.test(start.what), start && start.raw);
  const first = await waitOrNull(async () => {
    const s = await editorText();
    return /def helper/.test(s) ? s : null;
  }, 'calc.py in the replay', 10000);
  check('... showing calc.py as it was opened', first && /return x \+ 1\s*$/m.test(first) && !/\* 2/.test(first), first);
  check('... in a tab named after the file', /calc\.py/.test(text(await page.locator('.tab.active').innerText().catch(() => ''))));

  await page.keyboard.press(']');
  const next = await waitOrNull(async () => {
    const w = await where();
    return w && w.step === 2 ? w : null;
  }, 'step 2', 5000);
  check('`]` steps to the next record', next && next.seq === 2, next ? next.raw : (await where())?.raw);
  await page.keyboard.press('n');
  const atPair = await waitOrNull(async () => {
    const w = await where();
    return w && w.seq === helper.seq ? w : null;
  }, 'the first pair', 5000);
  check('`n` jumps to the next pair', atPair && /pair `helper`/.test(atPair.what), atPair ? atPair.raw : (await where())?.raw);
  const pairText = await editorText();
  check('... the document as it stood then', /return x \+ 1 \* 2/.test(pairText), pairText);
  const replayThread = await waitOrNull(async () => {
    const s = text(await page.locator('.editor-group-container.active .review-widget').first().innerText().catch(() => ''));
    return s.includes(helper.text) ? s : null;
  }, 'the rationale in the replay', 5000);
  check('... with the rationale shown beside the unit, and its verdict', replayThread && /Accepted/.test(replayThread), replayThread);
  await shot('vscode-replay-pair.png');

  await page.keyboard.press('[');
  const back = await waitOrNull(async () => {
    const w = await where();
    return w && w.seq === helper.seq - 1 ? w : null;
  }, 'one record back', 5000);
  check('`[` steps back one record', back && back.step === atPair.step - 1, back ? back.raw : (await where())?.raw);
  check('... and the rationale thread goes', await waitOrNull(async () => (await page.locator('.editor-group-container.active .review-widget').count()) === 0, 'no thread', 5000));
  const cursorAt = async () => text(await page.locator('.statusbar-item', { hasText: /Ln \d+/ }).first().innerText().catch(() => ''));
  check('... to the lines that record changed (the cursor is on them)', await waitOrNull(async () => /Ln 2,/.test(await cursorAt()), 'the cursor on line 2', 5000), await cursorAt());
  await shot('vscode-replay-step.png');
  const beforeTyping = await editorText();
  await page.keyboard.press('x');
  await sleep(300);
  check('the replay document is read-only', (await editorText()) === beforeTyping, await editorText());
  // On, one record at a time, to the second pair: through the other file's records too.
  const presses = greet.seq - back.seq;
  for (let i = 0; i < presses; i++) await page.keyboard.press(']');
  const second = await waitOrNull(async () => {
    const w = await where();
    return w && w.seq === greet.seq ? w : null;
  }, 'the second pair', 10000);
  check(`${presses} × \`]\`: the second pair, in util.js`, second && /pair `greet`/.test(second.what) && /name\.trim\(\)/.test(await editorText()), second ? second.raw : (await where())?.raw);
  check('... with its note', await waitOrNull(async () => text(await page.locator('.editor-group-container.active .review-widget').first().innerText().catch(() => '')).includes(NOTE), 'the note in the replay', 5000));
  await shot('vscode-replay.png');
  await page.keyboard.press('p');
  check('`p` goes back to the first pair', await waitOrNull(async () => (await where())?.seq === helper.seq, 'back at the first pair', 10000), (await where())?.raw);
  check('... in calc.py again', /return x \+ 1 \* 2/.test(await editorText()), await editorText());
  await page.keyboard.press('n');
  check('`n` goes to the second pair again', await waitOrNull(async () => (await where())?.seq === greet.seq, 'the second pair again', 10000), (await where())?.raw);
  await step('press r at the pair in the replay, Enter', async () => {
    await page.keyboard.press('r');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Reject `greet`' }).waitFor({ timeout: 10000 });
    await page.keyboard.press('Enter');
    await quickInput().waitFor({ state: 'hidden' });
  });
  const changedMind = await waitOrNull(() => reviewsOnDisk(WORKSPACE).filter((r) => r.pair === greet.pair)[1], 'the second verdict on greet', 10000);
  check('the verdict keys work in a replay at a pair: a later verdict is appended', changedMind && changedMind.verdict === 'reject' && !('note' in changedMind), JSON.stringify(changedMind));
  check('... and stands: the thread and the view show it', await waitOrNull(async () =>
    /Rejected/.test(text(await page.locator('.editor-group-container.active .review-widget').first().innerText().catch(() => ''))) &&
    (await row('greet').locator('.codicon-error').count()) === 1, 'Rejected in the thread and the view', 10000));

  // ---- a journal that cannot be read is named; the others are still listed ----
  const broken = path.join(WORKSPACE, '.rationale', 'sessions', '20200101T000000Z-broken.jsonl');
  fs.writeFileSync(broken, 'this is not a journal\n{"seq": 1}\n');
  await page.locator('.part.sidebar .actions-container [aria-label*="Refresh Sessions"]').first().click();
  const named = await waitOrNull(async () => {
    const s = text(await sidebar.innerText().catch(() => ''));
    return /20200101T000000Z-broken\.jsonl:1/.test(s) ? s : null;
  }, 'the broken journal named in the view', 10000);
  check('Refresh: a journal that cannot be read is named in the view (file and line)', named, text(await sidebar.innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 300));
  check('... and the other sessions are still listed', await row('helper').isVisible() && await row('Calc.add').isVisible());
  await shot('vscode-review-broken-journal.png');
  fs.rmSync(broken);

  await queueScenario(t, { helper, add, row, sidebar, diff, text, shot });
}

/**
 * Issue 20: the Queue section lists the skip (the pairs are judged by now, so it comes first),
 * Next in Queue opens it and `r` rejects it ("it needed an explanation"); `c` on a line of a
 * pair's after side records a comment that shows as a thread on that line; a verdict written to
 * disk by someone else shows in the view without a refresh.
 */
async function queueScenario(t, { helper, add, row, sidebar, diff, text, shot }) {
  const { page, check, step, waitOrNull, sleep, runCommand, quickInput, recordsOf, WORKSPACE } = t;
  const [skip] = recordsOf('skip', 'Calc.add');
  if (!check('a skip was recorded before the queue', skip)) return;
  // The section starts folded (the Sessions view keeps the room); a click on its title opens it.
  const header = sidebar.locator('.pane-header', { hasText: /^\s*Queue/i }).first();
  if ((await header.getAttribute('aria-expanded')) !== 'true') await step('open the Queue section', () => header.click());
  const queueRow = sidebar.locator('.monaco-list-row', { hasText: /skip · / }).first();
  const listed = await waitOrNull(() => queueRow.isVisible(), 'the skip in the Queue view', 15000);
  check('the Queue section lists the skip, with its kind', listed, text(await sidebar.innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 400));

  await runCommand('Rationale: Next in Queue');
  const skipTab = await waitOrNull(async () => {
    const s = text(await page.locator('.tab.active').innerText().catch(() => ''));
    return s.includes(`Calc.add (calc.py · record ${skip.seq})`) ? s : null;
  }, 'the skip opened from the queue', 15000);
  check('Next in Queue opens the first unjudged entry: the skip', skipTab, text(await page.locator('.tab.active').innerText().catch(() => '')));
  const skipThread = await waitOrNull(async () => {
    const s = text(await diff.locator('.review-widget').first().innerText().catch(() => ''));
    return /Skipped/.test(s) ? s : null;
  }, 'the skip thread', 10000);
  check('... with a thread saying it was skipped', skipThread, skipThread);
  const NEEDED = 'this needed an explanation';
  await step('press r on the skip, type a note, Enter', async () => {
    await page.keyboard.press('r');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Reject `Calc.add`' }).waitFor({ timeout: 10000 });
    await page.keyboard.type(NEEDED, { delay: 5 });
    await sleep(200);
    await page.keyboard.press('Enter');
    await quickInput().waitFor({ state: 'hidden' });
  });
  const skipId = `${skip.pair}`;
  const onSkip = await waitOrNull(() => reviewsOnDisk(WORKSPACE).find((r) => r.pair === skipId && r.verdict === 'reject'), 'the reject on the skip', 10000);
  check('`r` on a skip records a rejection of it, with the note', onSkip && onSkip.note === NEEDED, JSON.stringify(reviewsOnDisk(WORKSPACE).slice(-2)));
  check('... and the Queue shows it rejected', await waitOrNull(async () => (await queueRow.locator('.codicon-error').count()) === 1, 'the error icon on the skip', 10000));
  await shot('vscode-queue-skip.png');

  // A comment on the first line of helper's after side.
  await step('open the pair `helper`, press c, type a comment, Enter', async () => {
    // The views redraw once the verdict's file change is seen: a click during a redraw is lost.
    await sleep(1500);
    await row('helper').click();
    await page.locator('.tab.active', { hasText: `helper (calc.py · record ${helper.seq})` }).waitFor({ timeout: 10000 });
    await sleep(500);
    await diff.locator('.editor.modified .view-lines').first().click();
    await sleep(200);
    // Back to the unit's first line, where the diff put the cursor.
    const unit = await diff.locator('.editor.modified .view-line', { hasText: 'def helper' }).first();
    await unit.click();
    await page.keyboard.press('c');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Comment on line 1 of `helper`' }).waitFor({ timeout: 10000 });
    await page.keyboard.type('name the constant', { delay: 5 });
    await page.keyboard.press('Enter');
    await quickInput().waitFor({ state: 'hidden' });
  });
  const comment = await waitOrNull(() => reviewsOnDisk(WORKSPACE).find((r) => r.pair === helper.pair && 'line' in r), 'the comment on disk', 10000);
  check('`c` records a comment on the line, with its line number counted in the unit', comment && comment.line === 0 && comment.note === 'name the constant' && !('verdict' in comment), JSON.stringify(comment));
  const commentThread = await waitOrNull(async () => {
    const all = await diff.locator('.review-widget').allInnerTexts().catch(() => []);
    return all.map(text).find((s) => s.includes('name the constant')) ?? null;
  }, 'the comment thread', 10000);
  check('... and shows as a thread on that line of the after side', commentThread, commentThread);
  await shot('vscode-line-comment.png');

  // Someone else's verdict, written to disk: the view follows within seconds, no Refresh.
  const other = path.join(WORKSPACE, '.rationale', 'reviews', 'other@example.invalid.jsonl');
  const started = Date.now();
  fs.writeFileSync(other, `${JSON.stringify({ ts: '2099-01-01T00:00:00.000Z', reviewer: 'other@example.invalid', pair: add.pair, verdict: 'flag', note: 'seen elsewhere' })}\n`, { mode: 0o600 });
  const followed = await waitOrNull(async () => (await row('Calc.add').locator('.codicon-warning').count()) === 1, 'the flag from disk in the view', 10000);
  check(`a verdict written on disk shows in the Sessions view without a refresh (${Date.now() - started} ms)`, followed && Date.now() - started < 5000);
  fs.rmSync(other);
  // The pair diffs opened here go, as the scenario found the editors.
  for (let i = 0; i < 3; i++) {
    const tab = page.locator('.tab', { hasText: /record \d+\)/ }).first();
    if (!(await tab.count())) break;
    await tab.hover();
    await tab.locator('.tab-actions .action-label').first().click();
    await sleep(300);
  }
}
