// The *Queue* view of the Rationale view container: the review queue of every workspace under the
// workspace folders (`rationale/reviewQueue`), in the server's order (nothing judged before
// judged, flagged before not, oldest first). Its first page is shown; selecting an entry opens its
// review (`rationale.openQueueEntry`), the inline actions record verdicts.
import * as vscode from 'vscode';
import { errorText, Journals, NotRunning } from './journals';
import { QueueEntry } from './protocol';
import { VERDICT_WORDS, verdictIcon } from './threads';
import { plural, when } from './tree';

export interface QueueNode {
  kind: 'entry';
  entry: QueueEntry;
}

const KINDS: Record<QueueEntry['type'], string> = { rationale: 'pair', skip: 'skip', unexplained: 'unexplained' };

export class QueueTree implements vscode.TreeDataProvider<QueueNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<QueueNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  view: vscode.TreeView<QueueNode> | undefined;

  constructor(private readonly journals: Journals) {
    this.subscription = journals.onDidChange(() => this.changed.fire(undefined));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  getTreeItem({ entry }: QueueNode): vscode.TreeItem {
    const item = new vscode.TreeItem(entry.unit.name || `record ${entry.seq}`, vscode.TreeItemCollapsibleState.None);
    item.id = `queue\u0000${entry.folder}\u0000${entry.id}`;
    item.iconPath = verdictIcon(entry.review);
    const said = entry.type === 'rationale' ? entry.rationale ?? '' : entry.type === 'skip' ? `skipped: ${entry.reason || 'no reason'}` : 'left unexplained';
    const flags = entry.flags.length ? ` · ${entry.flags.join(', ')}` : '';
    // The workspace rather than the author: a team's queue is read by contributor folder, and the
    // author is in the tooltip.
    item.description = `${KINDS[entry.type]} · ${entry.workspace} · ${entry.path}${flags} · ${oneLine(said)}`;
    item.contextValue = `queue.${entry.type}.${entry.review?.verdict ?? 'unreviewed'}`;
    item.command = { command: 'rationale.openQueueEntry', title: 'Open', arguments: [entry] };
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${entry.unit.name}** (${KINDS[entry.type]}, ${entry.change} ${entry.unit.kind}, ${entry.path})\n\n`);
    tooltip.appendText(`${entry.workspace} · ${entry.author} · ${when(entry.ts)} · record ${entry.id}\n\n`);
    tooltip.appendText(said);
    if (entry.flags.length) tooltip.appendText(`\n\nQuality flags: ${entry.flags.join(', ')}`);
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
      const { entries, total, errors } = await this.journals.queue();
      const parts = [];
      if (total > entries.length) parts.push(`The first ${entries.length} of ${total}.`);
      if (errors.length) parts.push(`Could not read ${plural(errors.length, 'file')}: ${errors.join('; ')}`);
      this.setMessage(parts.length ? parts.join(' ') : total === 0 ? 'Nothing recorded to review.' : undefined);
      return entries.map((entry) => ({ kind: 'entry', entry }));
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
