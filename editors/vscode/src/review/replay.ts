// *Replay Session…*: steps a read-only document (`rationale-replay:`) through a session's
// journal, one record at a time, as the contributor's editor saw it. The lines a step changed are
// highlighted; at a pair the rationale shows on its unit and the verdict keys apply. The status
// bar says where the replay is: step, record `seq`, what the record did. The timeline comes a page
// at a time as the reviewer moves, so opening a long session costs one page; step n of the `edits`
// timeline is record n (`seq` has no gaps).
import * as vscode from 'vscode';
import { errorText, Journals } from './journals';
import type { VirtualDocuments } from '../documents';
import { REPLAY_SCHEME, replayUri } from './documents';
import { SessionInfo, Step } from './protocol';
import { RationaleThreads, unitRange } from './threads';
import { plural, sessionSummary, when } from './tree';
import type { Pair } from './reviewer';

/** Set while the active replay stands on a pair: the verdict keys apply to it. */
const AT_PAIR = 'rationale.replayAtPair';
/** How many rebuilt texts a replay keeps. */
const KEPT_TEXTS = 200;
/** Steps a page of the timeline holds. */
const PAGE = 500;

interface State {
  session: SessionInfo;
  /** The steps fetched so far, by `seq` (which is the step's number). */
  steps: Map<number, Step>;
  total: number;
  /** The step shown: its `seq`. */
  index: number;
  /** The file shown last, for records that name none (the end of the session). */
  path?: string;
}

/** "change calc.py (3 edits)", "rationale for `helper`": what a record did, in a few words. */
function describe(step: Step): string {
  const unit = step.unit ? ` \`${step.unit.name}\`` : '';
  switch (step.type) {
    case 'change':
      return `change ${step.path}${step.edits && step.edits > 1 ? ` (${step.edits} edits)` : ''}`;
    case 'rationale':
      return `pair${unit}`;
    case 'skip':
      return `skip${unit}${step.reason ? `: ${step.reason}` : ''}`;
    case 'unexplained':
      return `unexplained${unit}`;
    case 'end':
      return 'end of session';
    default:
      return `${step.type} ${step.path ?? ''}`.trim();
  }
}

/** The offsets in `after` of what differs from `before` (one span: from the first to the last difference). */
function changedSpan(before: string, after: string): [number, number] | undefined {
  if (before === after) return undefined;
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  return [start, endAfter];
}

export class Replay implements vscode.Disposable {
  private state: State | undefined;
  private readonly texts = new Map<string, string>();
  private readonly status = vscode.window.createStatusBarItem('rationale.replay', vscode.StatusBarAlignment.Left, 9);
  private readonly changedLines = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Steps run one after another: a key held down must not interleave two. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly journals: Journals,
    private readonly content: VirtualDocuments,
    private readonly threads: RationaleThreads,
  ) {
    this.status.name = 'Rationale Replay';
    this.status.command = 'rationale.nextEdit';
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.renderStatus()),
      // A verdict given during the replay shows on its thread.
      journals.onDidChange(() => void this.refreshPair()),
    );
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.status.dispose();
    this.changedLines.dispose();
  }

  /** The pair the replay stands on, when a replay document is the active editor. */
  currentPair(): Pair | undefined {
    const state = this.state;
    if (!state || vscode.window.activeTextEditor?.document.uri.scheme !== REPLAY_SCHEME) return undefined;
    const step = state.steps.get(state.index);
    // Skips and unexplained changes take verdicts too.
    return step?.pairId ? { session: state.session, step } : undefined;
  }

  /** *Replay Session…*: the session given (from the view), else one picked from a quick pick. */
  async start(session?: SessionInfo): Promise<void> {
    try {
      session ??= await this.pickSession();
      if (!session) return;
      const page = await this.journals.page(session, 'edits', 1, PAGE);
      const first = page.steps.find((s) => s.path);
      if (!first) {
        void vscode.window.showInformationMessage(`Rationale: session ${session.id} opened no document; there is nothing to replay.`);
        return;
      }
      const steps = new Map(page.steps.map((s) => [s.seq, s]));
      this.state = { session, steps, total: page.total, index: first.seq };
      this.texts.clear();
      await this.go(first.seq);
    } catch (err) {
      void vscode.window.showErrorMessage(`Rationale: ${errorText(err)}`);
    }
  }

  private async pickSession(): Promise<SessionInfo | undefined> {
    const { sessions } = await this.journals.sessions();
    if (sessions.length === 0) {
      void vscode.window.showInformationMessage('Rationale: no session has been recorded in this workspace yet.');
      return undefined;
    }
    const many = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const picked = await vscode.window.showQuickPick(
      [...sessions].reverse().map((session) => ({
        session,
        label: `$(${session.ended ? 'history' : 'record'}) ${session.author} · ${when(session.started)}`,
        description: `${sessionSummary(session)} · ${plural(session.files.length, 'file')}${many ? ` · ${session.workspace}` : ''}`,
        detail: session.files.join(', '),
      })),
      { title: 'Rationale: Replay Session', placeHolder: 'Pick a session to step through, newest first', matchOnDescription: true, matchOnDetail: true },
    );
    return picked?.session;
  }

  /** Next (`1`) or previous (`-1`) record. */
  edit(delta: 1 | -1): Promise<void> {
    return this.enqueue(async (state) => {
      const target = state.index + delta;
      if (target < 1 || target > state.total) {
        vscode.window.setStatusBarMessage(`Rationale: ${delta > 0 ? 'the end' : 'the start'} of the session`, 3000);
        return;
      }
      await this.fetch(state, target, delta < 0);
      await this.go(target);
    });
  }

  /** The next (`1`) or previous (`-1`) pair of the session. */
  pair(delta: 1 | -1): Promise<void> {
    return this.enqueue(async (state) => {
      let seq: number | undefined;
      if (delta > 0) {
        seq = (await this.journals.page(state.session, 'pairs', state.index + 1, 1)).steps[0]?.seq;
      } else {
        seq = (await this.journals.pairs(state.session)).filter((s) => s.seq < state.index).pop()?.seq;
      }
      if (seq === undefined) {
        vscode.window.setStatusBarMessage(`Rationale: no ${delta > 0 ? 'later' : 'earlier'} pair in this session`, 3000);
        return;
      }
      await this.fetch(state, seq, false);
      await this.go(seq);
    });
  }

  /** Makes sure step `seq` is fetched, with the page after it (going forward) or before it. */
  private async fetch(state: State, seq: number, backward: boolean): Promise<void> {
    if (state.steps.has(seq)) return;
    const from = backward ? Math.max(1, seq - PAGE + 1) : seq;
    const page = await this.journals.page(state.session, 'edits', from, PAGE);
    for (const step of page.steps) state.steps.set(step.seq, step);
    state.total = Math.max(state.total, page.total);
  }

  private enqueue(work: (state: State) => Promise<void>): Promise<void> {
    this.queue = this.queue
      .then(() => {
        if (!this.state) {
          void vscode.window.showInformationMessage('Rationale: no replay is open; run Rationale: Replay Session… first.');
          return;
        }
        return work(this.state);
      })
      .catch((err) => void vscode.window.showErrorMessage(`Rationale: ${errorText(err)}`));
    return this.queue;
  }

  private async textAt(session: SessionInfo, path: string, seq: number): Promise<string> {
    const key = `${path}\u0000${seq}`;
    let text = this.texts.get(key);
    if (text === undefined) {
      text = await this.journals.replay({ session: session.id, folder: session.folder, path, seq });
      this.texts.set(key, text);
      // Stepping back is instant for the last steps; older ones are asked again (the server answers from checkpoints).
      if (this.texts.size > KEPT_TEXTS) this.texts.delete(this.texts.keys().next().value!);
    }
    return text;
  }

  /** Shows step `index` (its `seq`, fetched): the file it concerns as it stood after the record. */
  private async go(index: number): Promise<void> {
    const state = this.state!;
    state.index = index;
    const step = state.steps.get(index)!;
    const path = step.path ?? state.path;
    void vscode.commands.executeCommand('setContext', AT_PAIR, Boolean(step.pairId));
    if (!path) return this.renderStatus();
    state.path = path;
    const uri = replayUri(state.session, path);
    let problem: string | undefined;
    /** The file just before a change, so that what the record changed is marked whichever way the replay goes. */
    let before: string | undefined;
    if (step.path) {
      try {
        const text = await this.textAt(state.session, path, step.seq);
        if ((step.type === 'change' || step.type === 'resync') && step.seq > 0) {
          before = await this.textAt(state.session, path, step.seq - 1).catch(() => undefined);
        }
        await this.content.set(uri, text);
      } catch (err) {
        // A record after which the file cannot be rebuilt (it was closed): keep what was shown.
        problem = errorText(err);
      }
    }
    const document = await vscode.workspace.openTextDocument(uri);
    // Stepping within one file leaves its editor in front: showing it again is a round trip to
    // the window for nothing.
    const active = vscode.window.activeTextEditor;
    const editor =
      active?.document === document ? active : await vscode.window.showTextDocument(document, { preview: true, preserveFocus: false });
    if (this.state !== state || state.index !== index) return; // stepped on meanwhile

    this.threads.clear(uri);
    let focus: vscode.Range | undefined;
    if ((step.type === 'rationale' || step.type === 'skip') && (step.after || step.before)) {
      focus = unitRange(document, step.after || step.before);
      this.threads.show(uri, focus, step, state.session.author);
    } else if (before !== undefined) {
      const span = changedSpan(before, document.getText());
      if (span) focus = new vscode.Range(document.positionAt(span[0]), document.positionAt(span[1]));
    }
    editor.setDecorations(this.changedLines, focus && step.type !== 'rationale' ? [focus] : []);
    if (focus) {
      editor.selection = new vscode.Selection(focus.start, focus.start);
      editor.revealRange(focus, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
    this.renderStatus(problem);
  }

  /** After a verdict: the thread of the pair the replay stands on shows it. */
  private async refreshPair(): Promise<void> {
    const state = this.state;
    const step = state?.steps.get(state.index);
    if (!state || !step?.pairId || !state.path) return;
    const fresh = await this.journals.step(state.session, step.seq).catch(() => undefined);
    if (!fresh || this.state !== state) return;
    const updated = { ...step, review: fresh.review, reviews: fresh.reviews, comments: fresh.comments };
    state.steps.set(step.seq, updated);
    this.threads.update(replayUri(state.session, state.path), updated, state.session.author);
  }

  private renderStatus(problem?: string): void {
    const state = this.state;
    if (!state || vscode.window.activeTextEditor?.document.uri.scheme !== REPLAY_SCHEME) {
      this.status.hide();
      return;
    }
    const step = state.steps.get(state.index)!;
    this.status.text = `$(history) Replay step ${state.index}/${state.total} · seq ${step.seq} · ${describe(step)}`;
    const tooltip = new vscode.MarkdownString();
    tooltip.appendText(`Session ${state.session.id} by ${state.session.author}, ${when(state.session.started)}\n`);
    tooltip.appendText(`Record ${step.seq} at ${when(step.ts)}: ${describe(step)}\n`);
    if (problem) tooltip.appendText(`${problem}\n`);
    tooltip.appendMarkdown('\n`]` / `[` next / previous record · `n` / `p` next / previous pair · at a pair: `a` accept, `r` reject, `f` flag');
    this.status.tooltip = tooltip;
    this.status.show();
  }
}
