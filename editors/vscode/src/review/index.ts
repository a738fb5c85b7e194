// The reviewer's side of the extension: the Rationale view (Sessions and Queue), pair diffs,
// verdicts, line comments and replays, with their commands. `registerReview` wires them up; the
// rest of the extension only tells it when the server (re)starts. A watcher on the journals and
// review files keeps the views true when another reviewer or editor writes them, and so does a
// folder added to or removed from the workspace.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { VirtualDocuments } from '../documents';
import { PAIR_SCHEME, pairSideText, REPLAY_SCHEME } from './documents';
import { Journals } from './journals';
import { QueueEntry, Step, Verdict } from './protocol';
import { QueueNode, QueueTree } from './queue';
import { Replay } from './replay';
import { entrySession, Reviewer } from './reviewer';
import { RationaleThreads } from './threads';
import { Node, PairNode, SessionsTree } from './tree';

/** How long the views wait after a journal or review file changed before asking again: a
 *  session being typed into changes its journal many times a second. */
const SETTLE_MS = 500;

/** A queue entry as the step of its session, for the verdict commands. */
function entryStep(entry: QueueEntry): Step {
  return {
    seq: entry.seq,
    ts: entry.ts,
    type: entry.type,
    path: entry.path,
    unit: entry.unit,
    change: entry.change,
    before: entry.before,
    after: entry.after,
    pairId: entry.id,
    rationale: entry.rationale,
    reason: entry.reason,
    review: entry.review,
    reviews: entry.reviews,
    comments: entry.comments,
    flags: entry.flags,
  };
}

export interface Review {
  /** The server is running (again): what the views show is asked afresh. */
  serverStarted(): void;
}

export function registerReview(
  context: vscode.ExtensionContext,
  client: () => LanguageClient | undefined,
  documents: VirtualDocuments,
): Review {
  const journals = new Journals(client);
  const threads = new RationaleThreads();
  const tree = new SessionsTree(journals);
  const reviewer = new Reviewer(journals, tree, threads);
  const replay = new Replay(journals, documents, threads);
  reviewer.replayPair = () => replay.currentPair();

  const view = vscode.window.createTreeView('rationale.sessions', { treeDataProvider: tree, showCollapseAll: true });
  tree.view = view;
  const queue = new QueueTree(journals);
  const queueView = vscode.window.createTreeView('rationale.queue', { treeDataProvider: queue });
  queue.view = queueView;
  const verdict = (v: Verdict) => (node?: Node | QueueNode) => {
    if (node?.kind === 'entry') return reviewer.verdict(v, { kind: 'pair', session: entrySession(node.entry), step: entryStep(node.entry) });
    return reviewer.verdict(v, node?.kind === 'pair' ? node : undefined);
  };
  // Journals and review files written by anyone (this server, another editor, a copy coming in).
  const watcher = vscode.workspace.createFileSystemWatcher('**/.rationale/{sessions,reviews}/*.jsonl');
  let settling: ReturnType<typeof setTimeout> | undefined;
  const changedOnDisk = () => {
    if (settling) clearTimeout(settling);
    settling = setTimeout(() => {
      settling = undefined;
      void journals.refreshIfChanged().catch(() => undefined);
    }, SETTLE_MS);
  };
  /** `n` and `p` move through the replay's pairs in a replay, through the sessions' pairs in a pair diff. */
  const inReplay = () => vscode.window.activeTextEditor?.document.uri.scheme === REPLAY_SCHEME;

  context.subscriptions.push(
    journals,
    threads,
    tree,
    replay,
    view,
    queue,
    queueView,
    watcher,
    watcher.onDidChange(changedOnDisk),
    watcher.onDidCreate(changedOnDisk),
    watcher.onDidDelete(changedOnDisk),
    { dispose: () => settling && clearTimeout(settling) },
    // A folder added to the workspace (or removed) brings its sessions (or takes them away), and
    // the rows name their folder only while there are several: asked again and redrawn, once the
    // server has heard of the change (the language client tells it on the same event).
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (settling) clearTimeout(settling);
      settling = setTimeout(() => {
        settling = undefined;
        journals.refresh();
      }, SETTLE_MS);
    }),
    documents.register(PAIR_SCHEME, pairSideText(journals)),
    documents.register(REPLAY_SCHEME),
    // Opening the view shows the journals as they are now (the session being recorded grows).
    view.onDidChangeVisibility((event) => event.visible && journals.refresh()),
    queueView.onDidChangeVisibility((event) => event.visible && journals.refresh()),
    vscode.commands.registerCommand('rationale.openQueueEntry', (entry?: QueueEntry, index?: number) => reviewer.openEntry(entry, index)),
    vscode.commands.registerCommand('rationale.queueMore', () => queue.showMore()),
    vscode.commands.registerCommand('rationale.nextInQueue', () => reviewer.nextInQueue()),
    vscode.commands.registerCommand('rationale.commentLine', () => reviewer.commentLine()),
    vscode.commands.registerCommand('rationale.refreshSessions', () => journals.refresh()),
    vscode.commands.registerCommand('rationale.openPair', (node?: PairNode) => reviewer.open(node)),
    vscode.commands.registerCommand('rationale.reviewPair', () => reviewer.pick()),
    vscode.commands.registerCommand('rationale.accept', verdict('accept')),
    vscode.commands.registerCommand('rationale.reject', verdict('reject')),
    vscode.commands.registerCommand('rationale.flag', verdict('flag')),
    vscode.commands.registerCommand('rationale.nextPair', () => (inReplay() ? replay.pair(1) : reviewer.step(1))),
    vscode.commands.registerCommand('rationale.previousPair', () => (inReplay() ? replay.pair(-1) : reviewer.step(-1))),
    vscode.commands.registerCommand('rationale.replaySession', (node?: Node) => replay.start(node?.kind === 'session' ? node.session : undefined)),
    vscode.commands.registerCommand('rationale.nextEdit', () => replay.edit(1)),
    vscode.commands.registerCommand('rationale.previousEdit', () => replay.edit(-1)),
  );
  return { serverStarted: () => journals.refresh() };
}
