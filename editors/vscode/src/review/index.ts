// The reviewer's side of the extension: the Rationale view, pair diffs, verdicts and replays,
// with their commands. `registerReview` wires them up; the rest of the extension only tells it
// when the server (re)starts.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { VirtualDocuments } from '../documents';
import { PAIR_SCHEME, pairSideText, REPLAY_SCHEME } from './documents';
import { Journals } from './journals';
import { Verdict } from './protocol';
import { Replay } from './replay';
import { Reviewer } from './reviewer';
import { RationaleThreads } from './threads';
import { Node, PairNode, SessionsTree } from './tree';

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
  const verdict = (v: Verdict) => (node?: Node) => reviewer.verdict(v, node?.kind === 'pair' ? node : undefined);
  /** `n` and `p` move through the replay's pairs in a replay, through the sessions' pairs in a pair diff. */
  const inReplay = () => vscode.window.activeTextEditor?.document.uri.scheme === REPLAY_SCHEME;

  context.subscriptions.push(
    journals,
    threads,
    tree,
    replay,
    view,
    documents.register(PAIR_SCHEME, pairSideText(journals)),
    documents.register(REPLAY_SCHEME),
    // Opening the view shows the journals as they are now (the session being recorded grows).
    view.onDidChangeVisibility((event) => event.visible && journals.refresh()),
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
