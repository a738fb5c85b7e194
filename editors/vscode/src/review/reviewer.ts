// Reviewing pairs: a pair opens as a diff of its unit's file before and after it (both sides
// `rationale-pair:` documents), with the rationale in a comment thread on the unit; a verdict
// (accept, reject, flag) with an optional note goes to the server (`rationale/review`), and
// next/previous pair move through the session's pairs, then on to the next session's. Skips and
// unexplained changes open the same way (from the queue or a replay) and take verdicts too; a
// comment on a line of the after side goes to the server with the line (`Comment on Line`).
// *Next in Queue* opens the next unjudged entry of the review queue after the one on screen (the
// first when none is), whichever workspace it is in, reading the queue a page at a time.
import * as vscode from 'vscode';
import { errorText, Journals, sessionKey } from './journals';
import { PAIR_SCHEME, pairSideUri, parsePairSide } from './documents';
import { flagsShort } from './flags';
import { QueueEntry, SessionInfo, Step, Verdict } from './protocol';
import { RationaleThreads, unitRange, VERDICT_CODICONS, VERDICT_WORDS, verdictIcon } from './threads';
import { PairNode, SessionsTree, sessionSummary, when } from './tree';

export interface Pair {
  session: SessionInfo;
  step: Step;
}

const VERBS: Record<Verdict, string> = { accept: 'Accept', reject: 'Reject', flag: 'Flag' };

/** The `rationale-pair:` URI of the diff in the active tab (its right-hand side), if any. */
function activePairUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputTextDiff && input.modified.scheme === PAIR_SCHEME) return input.modified;
  const editor = vscode.window.activeTextEditor;
  return editor?.document.uri.scheme === PAIR_SCHEME ? editor.document.uri : undefined;
}

/** A session as far as a queue entry tells it: enough to ask for its timeline and texts. */
export function entrySession(entry: QueueEntry): SessionInfo {
  return { id: entry.session, author: entry.author, started: entry.ts, files: [entry.path], pairs: 0, skips: 0, reviewed: 0, workspace: entry.workspace, folder: entry.folder };
}

export class Reviewer {
  /** The pair a replay stands on, when a replay document is active (set by the replay). */
  replayPair: () => Pair | undefined = () => undefined;
  /** Sessions opened from the queue, which may be in workspaces under a workspace folder that
   *  `rationale/sessions` does not list. */
  private readonly queued = new Map<string, SessionInfo>();
  /** The entry last opened from the queue and its place in it: where *Next in Queue* goes on from. */
  private walk: { id: string; folder: string; index: number } | undefined;

  constructor(
    private readonly journals: Journals,
    private readonly tree: SessionsTree,
    private readonly threads: RationaleThreads,
  ) {}

  /** The pair in front of the reviewer: the active pair diff, or the replay's step at a pair. */
  async current(): Promise<Pair | undefined> {
    const fromReplay = this.replayPair();
    if (fromReplay) return fromReplay;
    const side = activePairUri() && parsePairSide(activePairUri()!);
    if (!side) return undefined;
    const { sessions } = await this.journals.sessions();
    const session =
      sessions.find((s) => s.id === side.session && s.folder === side.folder) ?? this.queued.get(sessionKey({ id: side.session, folder: side.folder }));
    if (!session) return undefined;
    const step = await this.stepOf(session, side.seq);
    return step && { session, step };
  }

  /** Record `seq` of the session with its verdicts: a pair from the pairs, a skip or an
   *  unexplained change from every record. */
  private async stepOf(session: SessionInfo, seq: number): Promise<Step | undefined> {
    const pair = (await this.journals.pairs(session)).find((s) => s.seq === seq);
    if (pair) return pair;
    const step = await this.journals.step(session, seq);
    return step?.pairId ? step : undefined;
  }

  /** Opens a queue entry's review, whichever workspace it is in; `index` is its place in the queue. */
  async openEntry(entry: QueueEntry | undefined, index?: number): Promise<void> {
    if (!entry) return;
    this.walk = index === undefined ? undefined : { id: entry.id, folder: entry.folder, index };
    const { sessions } = await this.journals.sessions().catch(() => ({ sessions: [] as SessionInfo[] }));
    const session = sessions.find((s) => s.id === entry.session && s.folder === entry.folder) ?? entrySession(entry);
    this.queued.set(sessionKey(session), session);
    try {
      const step = await this.stepOf(session, entry.seq);
      if (!step) throw new Error(`record ${entry.seq} of session ${entry.session} is no longer there`);
      await this.open({ session, step });
    } catch (err) {
      void vscode.window.showErrorMessage(`Rationale: ${errorText(err)}`);
    }
  }

  /**
   * *Next in Queue*: the next entry nobody has judged after the one on screen, when that one was
   * opened from the queue; else, or past the last, the first entry nobody has judged, other than
   * the one on screen. The queue puts every unjudged entry before the judged ones, so the search
   * stops at the first judged entry; it reads the queue a page at a time from the place it starts.
   */
  async nextInQueue(): Promise<void> {
    try {
      const current = await this.current().catch(() => undefined);
      const onScreen = (e: QueueEntry) => Boolean(current && e.id === current.step.pairId && e.folder === current.session.folder);
      const walk = this.walk;
      let start = 0;
      if (walk && current && walk.id === current.step.pairId && walk.folder === current.session.folder) {
        // Still at its place: on from the one after it. Moved (judged since, it went to the judged
        // end of the queue): the entry now at its place is the one that came after it.
        let there: QueueEntry | undefined;
        for await (const { entry } of this.journals.queueFrom(walk.index)) {
          there = entry;
          break;
        }
        start = there && there.id === walk.id && there.folder === walk.folder ? walk.index + 1 : walk.index;
      }
      const find = async (from: number) => {
        for await (const { entry, index } of this.journals.queueFrom(from)) {
          if (entry.review) return undefined;
          if (!onScreen(entry)) return { entry, index };
        }
        return undefined;
      };
      const next = (await find(start)) ?? (start > 0 ? await find(0) : undefined);
      if (!next) {
        vscode.window.setStatusBarMessage('Rationale: nothing left in the queue without a verdict', 4000);
        return;
      }
      await this.openEntry(next.entry, next.index);
    } catch (err) {
      void vscode.window.showErrorMessage(`Rationale: ${errorText(err)}`);
    }
  }

  /** *Comment on Line*: a note on the cursor's line of the pair's after side. */
  async commentLine(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const shown = editor && this.threads.shown(editor.document.uri);
    const pair = await this.current();
    if (!editor || !shown || !pair?.step.pairId) {
      void vscode.window.showInformationMessage('Rationale: put the cursor on a line of a pair\'s after side first.');
      return;
    }
    const line = editor.selection.active.line - shown.unitLine;
    const name = pair.step.unit?.name ?? `record ${pair.step.seq}`;
    const note = await vscode.window.showInputBox({
      title: `Comment on line ${line + 1} of \`${name}\``,
      prompt: 'Your remark on this line. Enter records it; Escape records nothing.',
      placeHolder: 'What about this line?',
    });
    if (!note?.trim()) return;
    try {
      await this.journals.comment(pair.session, pair.step.pairId, line, note.trim());
    } catch (err) {
      void vscode.window.showErrorMessage(`Rationale: the comment was not recorded: ${errorText(err)}`);
      return;
    }
    vscode.window.setStatusBarMessage(`$(comment) Rationale: comment on line ${line + 1} of \`${name}\``, 4000);
    await this.showFresh(pair, editor.document.uri);
  }

  /** Brings the threads of the pair's documents (and `also`) up to date with its verdicts and comments. */
  private async showFresh(pair: Pair, also?: vscode.Uri): Promise<void> {
    const fresh = await this.stepOf(pair.session, pair.step.seq).catch(() => undefined);
    if (!fresh) return;
    this.threads.update(pairSideUri(pair.session, pair.step, 'after'), fresh, pair.session.author);
    this.threads.update(pairSideUri(pair.session, pair.step, 'before'), fresh, pair.session.author);
    if (also) this.threads.update(also, fresh, pair.session.author);
  }

  /** Opens the pair's diff, the rationale on its unit, and selects it in the view. */
  async open(pair: Pair | PairNode | undefined): Promise<void> {
    if (!pair) return;
    const { session, step } = pair;
    const left = pairSideUri(session, step, 'before');
    const right = pairSideUri(session, step, 'after');
    let documents: [vscode.TextDocument, vscode.TextDocument];
    try {
      documents = [await vscode.workspace.openTextDocument(left), await vscode.workspace.openTextDocument(right)];
    } catch (err) {
      void vscode.window.showErrorMessage(errorText(err));
      return;
    }
    // A removed unit is only on the left; the thread goes where the unit is.
    const [document, unitText] = step.after ? [documents[1], step.after] : [documents[0], step.before];
    const range = unitRange(document, unitText);
    const name = step.unit?.name ?? `record ${step.seq}`;
    await vscode.commands.executeCommand('vscode.diff', left, right, `${name} (${step.path} · record ${step.seq})`, {
      preview: true,
      selection: step.after ? new vscode.Range(range.start, range.start) : undefined,
    });
    this.threads.clear(document === documents[1] ? left : right);
    this.threads.show(document.uri, range, step, session.author);
    void this.tree.reveal(session, step.seq);
  }

  /** Accept, reject or flag the current pair (or the one given by the view), with an optional note. */
  async verdict(verdict: Verdict, node?: PairNode): Promise<void> {
    const pair = node?.kind === 'pair' ? node : await this.current();
    if (!pair?.step.pairId) {
      void vscode.window.showInformationMessage('Rationale: open a pair first (Rationale: Review Pair, or a pair in the Rationale view).');
      return;
    }
    const { session, step } = pair;
    const name = step.unit?.name ?? `record ${step.seq}`;
    const note = await vscode.window.showInputBox({
      title: `${VERBS[verdict]} \`${name}\` (${step.path})`,
      prompt: 'A note for the author and the dataset (optional). Enter records the verdict; with nothing typed, without a note. Escape records nothing.',
      placeHolder: verdict === 'flag' ? 'What should someone look at?' : 'Note (optional)',
    });
    if (note === undefined) return;
    try {
      await this.journals.review(session, step.pairId!, verdict, note.trim() || undefined);
    } catch (err) {
      void vscode.window.showErrorMessage(`Rationale: the verdict on \`${name}\` was not recorded: ${errorText(err)}`);
      return;
    }
    vscode.window.setStatusBarMessage(`$(${VERDICT_CODICONS[verdict]}) Rationale: ${VERDICT_WORDS[verdict].toLowerCase()} \`${name}\``, 4000);
    // The thread on the open diff shows the verdict too.
    await this.showFresh(pair);
  }

  /** The next (`1`) or previous (`-1`) pair after the current one, across sessions in order. */
  async step(delta: 1 | -1): Promise<void> {
    const pair = await this.current();
    if (!pair) {
      void vscode.window.showInformationMessage('Rationale: open a pair first (Rationale: Review Pair, or a pair in the Rationale view).');
      return;
    }
    try {
      const next = await this.neighbour(pair, delta);
      if (next) await this.open(next);
      else vscode.window.setStatusBarMessage(`Rationale: no ${delta > 0 ? 'later' : 'earlier'} pair`, 4000);
    } catch (err) {
      void vscode.window.showErrorMessage(`Rationale: ${errorText(err)}`);
    }
  }

  private async neighbour(pair: Pair, delta: 1 | -1): Promise<Pair | undefined> {
    const steps = await this.journals.pairs(pair.session);
    const at = steps.findIndex((s) => s.seq === pair.step.seq);
    if (steps[at + delta]) return { session: pair.session, step: steps[at + delta] };
    const { sessions } = await this.journals.sessions();
    const key = sessionKey(pair.session);
    let index = sessions.findIndex((s) => sessionKey(s) === key) + delta;
    for (; index >= 0 && index < sessions.length; index += delta) {
      const others = sessions[index].pairs > 0 ? await this.journals.pairs(sessions[index]) : [];
      const step = delta > 0 ? others[0] : others[others.length - 1];
      if (step) return { session: sessions[index], step };
    }
    return undefined;
  }

  /** *Review Pair*: a quick pick of every pair, those nobody has reviewed first; opens the one picked. */
  async pick(): Promise<void> {
    type Item = vscode.QuickPickItem & { pair?: Pair };
    const quickPick = vscode.window.createQuickPick<Item>();
    quickPick.title = 'Rationale: Review Pair';
    quickPick.placeholder = 'Pick a pair to review (unit, file, rationale)';
    quickPick.matchOnDescription = true;
    quickPick.matchOnDetail = true;
    quickPick.busy = true;
    quickPick.show();
    try {
      const { sessions } = await this.journals.sessions();
      const withPairs = [...sessions].reverse().filter((s) => s.pairs > 0);
      const all = (await Promise.all(withPairs.map(async (session) => (await this.journals.pairs(session)).map((step) => ({ session, step }))))).flat();
      const item = (pair: Pair): Item => ({
        pair,
        label: `$(${verdictIcon(pair.step.review).id}) ${pair.step.unit?.name ?? `record ${pair.step.seq}`}`,
        description: `${pair.step.path} · ${pair.session.author} · ${when(pair.step.ts)}${pair.step.flags?.length ? ` · ${flagsShort(pair.step.flags)}` : ''}`,
        detail: pair.step.rationale,
      });
      const unreviewed = all.filter((p) => !p.step.review).map(item);
      const reviewed = all.filter((p) => p.step.review).map(item);
      quickPick.items = [
        { label: `Not reviewed (${unreviewed.length})`, kind: vscode.QuickPickItemKind.Separator },
        ...unreviewed,
        { label: `Reviewed (${reviewed.length})`, kind: vscode.QuickPickItemKind.Separator },
        ...reviewed,
      ];
      if (all.length === 0) quickPick.placeholder = `No pairs recorded yet (${withPairs.length === 0 ? 'no session has one' : sessions.map(sessionSummary).join(', ')})`;
    } catch (err) {
      quickPick.hide();
      void vscode.window.showErrorMessage(`Rationale: ${errorText(err)}`);
      return;
    } finally {
      quickPick.busy = false;
    }
    const picked = await new Promise<Pair | undefined>((resolve) => {
      quickPick.onDidAccept(() => {
        resolve(quickPick.selectedItems[0]?.pair);
        quickPick.hide();
      });
      quickPick.onDidHide(() => resolve(undefined));
    });
    quickPick.dispose();
    await this.open(picked);
  }
}
