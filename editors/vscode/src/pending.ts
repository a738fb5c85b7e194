// What is waiting to be explained: the pending changes the server reports, the status-bar item
// that counts them, and the commands that list them and pick the next one.
//
// The status bar counts the changes that are *ready* (the server has published a prompt for
// them: their unit went `settleMs` without an edit, or was saved), because those are the ones
// the person is being asked about; a change still being typed would make the count flicker with
// every keystroke. The tooltip adds how many more are still being edited.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { PendingChange, pendingChangesRequest } from './protocol';

export type ServerState =
  | { kind: 'starting' }
  | { kind: 'running'; version: string }
  | { kind: 'failed'; message: string }
  | { kind: 'stopped' };

/** Symbols for unit kinds, as VS Code's outline shows them. */
export function kindIcon(kind: string): string {
  switch (kind) {
    case 'class':
      return '$(symbol-class)';
    case 'method':
      return '$(symbol-method)';
    case 'module':
      return '$(symbol-file)';
    default:
      return '$(symbol-function)';
  }
}

export class Pending implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private changes: PendingChange[] = [];
  private state: ServerState = { kind: 'starting' };
  private timer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<PendingChange[]>();
  /** Fires after every refresh with the changes as the server reported them. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly client: () => LanguageClient | undefined) {
    this.item = vscode.window.createStatusBarItem('rationale.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Rationale';
    this.render();
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.item.dispose();
    this.changed.dispose();
  }

  setState(state: ServerState): void {
    this.state = state;
    if (state.kind !== 'running') this.changes = [];
    this.render();
  }

  /** Asks the server again soon; many triggers in a row make one request. */
  scheduleRefresh(delayMs = 250): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delayMs);
  }

  /** Every pending change of every tracked document, fresh from the server. */
  async refresh(): Promise<PendingChange[]> {
    clearTimeout(this.timer);
    const client = this.client();
    if (!client || !client.isRunning()) {
      this.changes = [];
    } else {
      try {
        this.changes = (await client.sendRequest(pendingChangesRequest, {})).changes;
      } catch (err) {
        // A request that fails while the server restarts is not worth a message; the next
        // refresh will tell.
        client.warn(`rationale/pendingChanges failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.render();
    this.changed.fire(this.changes);
    return this.changes;
  }

  /** The changes as last reported, without asking the server. */
  get current(): readonly PendingChange[] {
    return this.changes;
  }

  private render(): void {
    const item = this.item;
    item.backgroundColor = undefined;
    switch (this.state.kind) {
      case 'starting':
        item.text = '$(sync~spin) Rationale';
        item.tooltip = 'Rationale: starting the language server…';
        item.command = 'rationale.showOutput';
        return;
      case 'failed':
      case 'stopped':
        item.text = '$(error) Rationale';
        item.tooltip =
          this.state.kind === 'failed'
            ? `Rationale is not running: ${this.state.message}\nClick to restart the server.`
            : 'Rationale: the language server stopped. Click to restart it.';
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        item.command = 'rationale.restartServer';
        return;
      case 'running': {
        const ready = this.changes.filter((c) => c.ready).length;
        const editing = this.changes.length - ready;
        item.text = `$(comment-discussion) ${ready} unexplained`;
        const lines = [
          ready === 0
            ? 'Rationale: no change is waiting for an explanation.'
            : `Rationale: ${ready} change${ready === 1 ? '' : 's'} waiting for an explanation. Click to explain the next.`,
        ];
        if (editing > 0) lines.push(`${editing} more still being edited.`);
        lines.push(`Server: ${this.state.version}`);
        item.tooltip = lines.join('\n');
        item.command = ready + editing > 0 ? 'rationale.explainNext' : 'rationale.showPending';
        return;
      }
    }
  }
}

/** A pending change as a quick pick shows it, wherever one lists them (*Show Pending Changes*,
 *  *Explain Several Changes…*): its unit, what changed and where, and whether it is waiting. */
export interface PendingItem extends vscode.QuickPickItem {
  change: PendingChange;
}

export function pendingItem(change: PendingChange): PendingItem {
  const was = change.previousName ? ` (was ${change.previousName})` : '';
  return {
    change,
    label: `${kindIcon(change.unit.kind)} ${change.unit.name}`,
    description: `${change.change}${was} · ${relativePath(change.uri)}:${change.unit.range.start.line + 1}`,
    detail: change.ready ? 'waiting for an explanation' : 'still being edited',
  };
}

/** Ready changes first; within them the active document's, nearest the cursor; then the rest by file and line. */
export function inExplainOrder(changes: readonly PendingChange[]): PendingChange[] {
  const editor = vscode.window.activeTextEditor;
  const activeUri = editor?.document.uri.toString();
  const cursorLine = editor?.selection.active.line ?? 0;
  const rank = (c: PendingChange): [number, number, string, number] => [
    c.ready ? 0 : 1,
    c.uri === activeUri ? 0 : 1,
    c.uri,
    c.uri === activeUri ? Math.abs(c.unit.range.start.line - cursorLine) : c.unit.range.start.line,
  ];
  return [...changes].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    for (let i = 0; i < x.length; i++) {
      if (x[i] < y[i]) return -1;
      if (x[i] > y[i]) return 1;
    }
    return 0;
  });
}

/** Opens the unit's document and puts the cursor at the start of the unit. */
export async function revealUnit(change: PendingChange): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(change.uri));
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  const start = new vscode.Position(change.unit.range.start.line, change.unit.range.start.character);
  editor.selection = new vscode.Selection(start, start);
  editor.revealRange(
    new vscode.Range(start, new vscode.Position(change.unit.range.end.line, change.unit.range.end.character)),
    vscode.TextEditorRevealType.InCenterIfOutsideViewport,
  );
  return editor;
}

export function relativePath(uri: string): string {
  // With several folders open, the folder's name comes first.
  return vscode.workspace.asRelativePath(vscode.Uri.parse(uri));
}
