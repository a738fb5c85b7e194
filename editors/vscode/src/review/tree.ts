// The *Sessions* view of the Rationale view container: every recorded session (who, when, how
// many pairs, how many flagged, how many reviewed), newest first, and under each its pairs with
// their verdicts and quality flags. Selecting a pair opens its diff (`rationale.openPair`); the
// inline actions record verdicts.
import * as vscode from 'vscode';
import { errorText, Journals, NotRunning, sessionKey } from './journals';
import { SessionInfo, Step } from './protocol';
import { appendFlags, flagsShort } from './flags';
import { VERDICT_WORDS, verdictIcon } from './threads';

export interface SessionNode {
  kind: 'session';
  session: SessionInfo;
}

export interface PairNode {
  kind: 'pair';
  session: SessionInfo;
  step: Step;
}

export type Node = SessionNode | PairNode;

/** Sessions whose pairs are shown unfolded: the most recent ones with pairs still to review. */
const UNFOLDED = 5;

/** "Dec 1, 23:14" ("Dec 1, 2025, 23:14" in another year), in the reviewer's own time zone. */
export function when(ts: string): string {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return ts;
  const year = date.getFullYear() === new Date().getFullYear() ? undefined : 'numeric';
  return date.toLocaleString(undefined, { year, month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "2 pairs · 1 flagged · 1 reviewed", "recording", as the view and the quick picks say it; no
 *  "flagged" when no pair is. */
export function sessionSummary(session: SessionInfo): string {
  const parts = [plural(session.pairs, 'pair')];
  if (session.flagged) parts.push(`${session.flagged} flagged`);
  parts.push(`${session.reviewed} reviewed`);
  if (!session.ended) parts.push('recording');
  return parts.join(' · ');
}

export class SessionsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The nodes last handed to the view, so that `reveal` finds the same objects. */
  private sessionNodes: SessionNode[] = [];
  private readonly pairNodes = new Map<string, PairNode[]>();
  private readonly subscription: vscode.Disposable;
  view: vscode.TreeView<Node> | undefined;

  constructor(private readonly journals: Journals) {
    this.subscription = journals.onDidChange(() => {
      this.pairNodes.clear();
      this.changed.fire(undefined);
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'session') {
      const { session } = node;
      const item = new vscode.TreeItem(
        session.author,
        session.pairs === 0 ? vscode.TreeItemCollapsibleState.None : this.unfolded(session) ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
      );
      item.id = `session\u0000${sessionKey(session)}`;
      item.description = `${when(session.started)} · ${sessionSummary(session)}${this.manyFolders() ? ` · ${session.workspace}` : ''}`;
      item.iconPath = new vscode.ThemeIcon(session.ended ? 'history' : 'record');
      item.contextValue = 'session';
      const tooltip = new vscode.MarkdownString();
      tooltip.appendMarkdown(`**Session** \`${session.id}\`\n\n`);
      tooltip.appendText(`by ${session.author}, ${when(session.started)}${session.ended ? ` to ${when(session.ended)}` : ' (still being recorded)'}\n`);
      const flagged = session.flagged ? ` (${session.flagged} with a quality flag)` : '';
      tooltip.appendText(`${plural(session.pairs, 'pair')}${flagged}, ${session.reviewed} reviewed, ${plural(session.skips, 'skip')}\n`);
      tooltip.appendText(`${session.workspace}: ${session.files.join(', ') || 'no files'}`);
      item.tooltip = tooltip;
      return item;
    }
    const { step } = node;
    const item = new vscode.TreeItem(step.unit?.name ?? `record ${step.seq}`, vscode.TreeItemCollapsibleState.None);
    item.id = `pair\u0000${sessionKey(node.session)}\u0000${step.seq}`;
    item.iconPath = verdictIcon(step.review);
    const flags = flagsShort(step.flags);
    // The flags first: the view is narrow, and they are what a reviewer should not miss.
    item.description = `${flags ? `${flags} · ` : ''}${step.path ?? ''} · ${oneLine(step.rationale ?? '')}`;
    item.contextValue = `pair.${step.review?.verdict ?? 'unreviewed'}`;
    item.command = { command: 'rationale.openPair', title: 'Open Pair', arguments: [node] };
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${step.unit?.name ?? ''}** (${step.change ?? ''} ${step.unit?.kind ?? ''}, ${step.path ?? ''}, record ${step.seq})\n\n`);
    tooltip.appendText(step.rationale ?? '');
    appendFlags(tooltip, step.flags);
    tooltip.appendMarkdown('\n\n');
    tooltip.appendText(
      step.review
        ? `${VERDICT_WORDS[step.review.verdict]} by ${step.review.reviewer}${step.review.note ? `: ${step.review.note}` : ''}`
        : 'Not reviewed yet',
    );
    item.tooltip = tooltip;
    item.accessibilityInformation = {
      label: `${step.unit?.name ?? ''}, ${step.review ? VERDICT_WORDS[step.review.verdict] : 'not reviewed'}${step.flags?.length ? `, flagged ${step.flags.join(', ')}` : ''}: ${step.rationale ?? ''}`,
    };
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    try {
      if (!node) {
        const { sessions, errors } = await this.journals.sessions();
        this.sessionNodes = [...sessions].reverse().map((session) => ({ kind: 'session', session }));
        this.setMessage(errors.length ? `Could not read ${plural(errors.length, 'journal')}: ${errors.map(shortPath).join('; ')}` : undefined);
        return this.sessionNodes;
      }
      if (node.kind === 'pair') return [];
      return await this.pairsOf(node.session);
    } catch (err) {
      this.setMessage(err instanceof NotRunning ? 'The Rationale language server is not running.' : `Rationale: ${errorText(err)}`);
      return [];
    }
  }

  getParent(node: Node): Node | undefined {
    if (node.kind === 'session') return undefined;
    return this.sessionNodes.find((s) => sessionKey(s.session) === sessionKey(node.session));
  }

  /** The session's pair nodes (the same objects the view holds). */
  async pairsOf(session: SessionInfo): Promise<PairNode[]> {
    const key = sessionKey(session);
    let nodes = this.pairNodes.get(key);
    if (!nodes) {
      const steps = await this.journals.pairs(session);
      const current = this.sessionNodes.find((s) => sessionKey(s.session) === key)?.session ?? session;
      nodes = steps.map((step) => ({ kind: 'pair', session: current, step }));
      this.pairNodes.set(key, nodes);
    }
    return nodes;
  }

  /** Selects the pair in the view, if the view is open. */
  async reveal(session: SessionInfo, seq: number): Promise<void> {
    if (!this.view?.visible) return;
    try {
      if (!this.sessionNodes.length) await this.getChildren();
      const node = (await this.pairsOf(session)).find((n) => n.step.seq === seq);
      if (node) await this.view.reveal(node, { select: true, focus: false, expand: true });
    } catch {
      // The view lags behind a refresh; the selection is only a convenience.
    }
  }

  private unfolded(session: SessionInfo): boolean {
    const open = this.sessionNodes.filter((n) => n.session.reviewed < n.session.pairs).slice(0, UNFOLDED);
    return open.some((n) => n.session === session);
  }

  private manyFolders(): boolean {
    return (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  }

  private setMessage(message: string | undefined): void {
    if (this.view) this.view.message = message;
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** "<file>:<line>: message" with the file relative to its workspace folder, as the explorer shows it. */
function shortPath(error: string): string {
  const match = /^(\/.*?\.jsonl)(:\d+: .*)$/s.exec(error);
  return match ? `${vscode.workspace.asRelativePath(match[1])}${match[2]}` : error;
}
