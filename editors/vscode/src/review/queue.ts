// The *Queue* view of the Rationale view container: the review queue of every workspace under the
// workspace folders (`rationale/reviewQueue`), in the server's order (nothing judged before
// judged, flagged before not, oldest first), with each pair's quality flags. It shows one page
// (QUEUE_PAGE entries) at first; a "more…" item at its end shows the next page, asked only then.
// Selecting an entry opens its review (`rationale.openQueueEntry`, with the entry's place in the
// queue, from where *Next in Queue* goes on), the inline actions record verdicts.
import * as vscode from 'vscode';
import { appendFlags, flagsShort } from './flags';
import { errorText, Journals, NotRunning, QUEUE_PAGE } from './journals';
import { QueueEntry } from './protocol';
import { VERDICT_WORDS, verdictIcon } from './threads';
import { plural, when } from './tree';

export interface EntryNode {
  kind: 'entry';
  entry: QueueEntry;
  /** Its place in the whole queue (0 the first). */
  index: number;
}

/** The last item while the queue has more than the view shows: selecting it shows the next page. */
export interface MoreNode {
  kind: 'more';
  shown: number;
  total: number;
}

export type QueueNode = EntryNode | MoreNode;

const KINDS: Record<QueueEntry['type'], string> = { rationale: 'pair', skip: 'skip', unexplained: 'unexplained' };

export class QueueTree implements vscode.TreeDataProvider<QueueNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<QueueNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  view: vscode.TreeView<QueueNode> | undefined;
  /** How many pages the view shows: one, and one more each time "more…" is selected. Kept when
   *  the queue is asked again, so a refresh does not fold away what the reviewer opened. */
  private pages = 1;

  constructor(private readonly journals: Journals) {
    this.subscription = journals.onDidChange(() => this.changed.fire(undefined));
  }

  /** "more…": the next page too. */
  showMore(): void {
    this.pages++;
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  getTreeItem(node: QueueNode): vscode.TreeItem {
    if (node.kind === 'more') {
      const item = new vscode.TreeItem('more…', vscode.TreeItemCollapsibleState.None);
      item.id = 'queue\u0000more';
      item.description = `${node.shown} of ${node.total} shown; the next ${Math.min(QUEUE_PAGE, node.total - node.shown)}`;
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.tooltip = `Shows the next ${QUEUE_PAGE} entries of the queue.`;
      item.contextValue = 'more';
      item.command = { command: 'rationale.queueMore', title: 'Show More' };
      return item;
    }
    const { entry } = node;
    const item = new vscode.TreeItem(entry.unit.name || `record ${entry.seq}`, vscode.TreeItemCollapsibleState.None);
    item.id = `queue\u0000${entry.folder}\u0000${entry.id}`;
    item.iconPath = verdictIcon(entry.review);
    const said = entry.type === 'rationale' ? entry.rationale ?? '' : entry.type === 'skip' ? `skipped: ${entry.reason || 'no reason'}` : 'left unexplained';
    const flags = entry.flags.length ? `${flagsShort(entry.flags)} · ` : '';
    // The workspace rather than the author: a team's queue is read by contributor folder, and the
    // author is in the tooltip. The flags first: the view is narrow, and they are why the entry
    // came this early.
    item.description = `${flags}${KINDS[entry.type]} · ${entry.workspace} · ${entry.path} · ${oneLine(said)}`;
    item.contextValue = `queue.${entry.type}.${entry.review?.verdict ?? 'unreviewed'}`;
    item.command = { command: 'rationale.openQueueEntry', title: 'Open', arguments: [entry, node.index] };
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${entry.unit.name}** (${KINDS[entry.type]}, ${entry.change} ${entry.unit.kind}, ${entry.path})\n\n`);
    tooltip.appendText(`${entry.workspace} · ${entry.author} · ${when(entry.ts)} · record ${entry.id}\n\n`);
    tooltip.appendText(said);
    appendFlags(tooltip, entry.flags);
    tooltip.appendText(
      entry.review ? `\n\n${VERDICT_WORDS[entry.review.verdict]} by ${entry.review.reviewer}${entry.review.note ? `: ${entry.review.note}` : ''}` : '\n\nNot reviewed yet',
    );
    if (entry.comments.length) tooltip.appendText(`\n${plural(entry.comments.length, 'line comment')}`);
    item.tooltip = tooltip;
    return item;
  }

  async getChildren(node?: QueueNode): Promise<QueueNode[]> {
    if (node) return [];
    try {
      const nodes: QueueNode[] = [];
      let page = await this.journals.queuePage(0);
      const errors = page.errors;
      for (let shown = 1; ; shown++) {
        const from = nodes.length;
        nodes.push(...page.entries.map((entry, i): QueueNode => ({ kind: 'entry', entry, index: from + i })));
        if (page.next === null || shown >= this.pages) break;
        page = await this.journals.queuePage(page.next);
      }
      const total = page.total;
      if (page.next !== null) nodes.push({ kind: 'more', shown: nodes.length, total });
      const parts = [];
      if (errors.length) parts.push(`Could not read ${plural(errors.length, 'file')}: ${errors.join('; ')}`);
      this.setMessage(parts.length ? parts.join(' ') : total === 0 ? 'Nothing recorded to review.' : undefined);
      return nodes;
    } catch (err) {
      this.setMessage(err instanceof NotRunning ? 'The Rationale language server is not running.' : `Rationale: ${errorText(err)}`);
      return [];
    }
  }

  private setMessage(message: string | undefined): void {
    if (this.view) this.view.message = message;
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
