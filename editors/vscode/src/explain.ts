// `rationale.explain`: asks the person why a unit changed and records the answer with
// `rationale.record`. While the input box is open, the unit's before and after are shown in a
// diff editor beside the code (read-only documents of the `rationale-unit` scheme, served by
// documents.ts), closed again when the box goes; a unit too large to come with its change has its
// texts asked of the server (`rationale/changeTexts`) then. *Explain Several Changes…* records one
// rationale for several changes.
//
// Nothing typed is lost: Escape keeps the text as a draft for the unit (the change stays
// pending, and the next explain of that unit starts from the draft); a rationale the server
// refuses stays in the box with the server's reason under it.
//
// One gentle nudge: before recording, the rationale is judged by the server (`dryRun`); one that
// says little about why stays in the box once, with the server's hint under it, and whatever is
// sent next is recorded as it is. How long the rationale took to write goes with it (`composeMs`).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';
import { inExplainOrder, Pending, pendingItem, relativePath } from './pending';
import type { VirtualDocuments } from './documents';
import {
  ChangeTexts,
  changeTextsRequest,
  ExplainArguments,
  PendingChange,
  pendingChangesRequest,
  PendingChangesResult,
  RECORD,
  RecordArguments,
  RecordResult,
} from './protocol';
import { rationaleLength } from './settings';

export const UNIT_SCHEME = 'rationale-unit';

/** Lines above the unit in its diff: as tall as the input box with its title, prompt and message. */
const HEADER_LINES = 6;

/**
 * The input box is drawn over the top of the editors, the diff beside included, and no API moves
 * it or scrolls an editor above its first line. So both sides start with the same few lines (a
 * comment naming the change, then blank lines) as tall as the box: the unit's own lines start
 * below it, and the diff marks nothing in them.
 */
function unitHeader(change: PendingChange): string {
  const comment = extensionOf(change) === '.py' ? '#' : '//';
  return `${comment} ${change.prompt} in ${relativePath(change.uri)}\n` + '\n'.repeat(HEADER_LINES - 1);
}

function extensionOf(change: PendingChange): string {
  return path.posix.extname(vscode.Uri.parse(change.uri).path);
}

/** The unit's before and after: as the change carries them, or asked of the server when they were
 *  left out for their size (only a diff that is shown needs them). */
async function textsOf(client: LanguageClient, change: PendingChange): Promise<ChangeTexts> {
  if (!change.textsOmitted && change.before !== null && change.after !== null) {
    return { before: change.before, after: change.after };
  }
  return client.sendRequest(changeTextsRequest, { changeId: change.id });
}

/** Drafts of rationales that were put aside with Escape, by document and unit (change ids do
 *  not survive a server restart; the unit's name does), kept in the workspace state. */
class Drafts {
  private static readonly KEY = 'rationale.drafts';
  constructor(private readonly memento: vscode.Memento) {}

  private all(): Record<string, string> {
    return this.memento.get<Record<string, string>>(Drafts.KEY, {});
  }
  private static key(uri: string, unit: string): string {
    return `${uri}#${unit}`;
  }
  get(uri: string, unit: string): string {
    return this.all()[Drafts.key(uri, unit)] ?? '';
  }
  async set(uri: string, unit: string, text: string): Promise<void> {
    const all = { ...this.all() };
    if (text.trim()) all[Drafts.key(uri, unit)] = text;
    else delete all[Drafts.key(uri, unit)];
    await this.memento.update(Drafts.KEY, all);
  }
}

/**
 * Sends `rationale.record`, nudging once: unless the person was nudged already (`nudged`), the
 * rationale is judged first, and if the server gives a hint nothing is recorded and the hint is
 * returned. Throws what the server refuses.
 */
async function recordOrNudge(
  client: LanguageClient,
  args: RecordArguments,
  nudged: boolean,
): Promise<{ recorded: true } | { recorded: false; hint: string }> {
  if (!nudged) {
    const judged: RecordResult = await client.sendRequest(ExecuteCommandRequest.type, {
      command: RECORD,
      arguments: [{ ...args, dryRun: true }],
    });
    if (judged?.hint) return { recorded: false, hint: judged.hint };
  }
  await client.sendRequest(ExecuteCommandRequest.type, { command: RECORD, arguments: [args] });
  return { recorded: true };
}

/** The hint under a nudged rationale: the server's words, and what Enter does now. */
function nudgeMessage(hint: string): string {
  return `${hint} Press Enter to record it as it is, or rewrite it.`;
}

function errorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^Request workspace\/executeCommand failed with message: /, '');
}

export class Explainer {
  private readonly drafts: Drafts;
  /** The unit whose box is open, so that a second explain of it does not open another. */
  private open: { key: string; box: vscode.InputBox } | undefined;
  /** How many diffs were opened: each gets URIs of its own. */
  private diffs = 0;

  constructor(
    state: vscode.Memento,
    private readonly documents: VirtualDocuments,
    private readonly client: () => LanguageClient | undefined,
    private readonly pending: Pending,
  ) {
    this.drafts = new Drafts(state);
  }

  private running(): LanguageClient | undefined {
    const client = this.client();
    if (client?.isRunning()) return client;
    void vscode.window.showWarningMessage('Rationale: the language server is not running.', 'Restart Server').then(
      (pick) => pick && vscode.commands.executeCommand('rationale.restartServer'),
    );
    return undefined;
  }

  /** `rationale.explain` from a code action or lens (with arguments) or from elsewhere (without:
   *  the change at the cursor, else the next one). */
  async explain(args?: ExplainArguments): Promise<void> {
    const client = this.running();
    if (!client) return;
    if (!args?.changeId) {
      const atCursor = await this.changeAtCursor(client);
      return atCursor ? this.ask(client, atCursor) : this.explainNext();
    }
    const changes = await this.pendingOf(client, args.uri);
    // The id from the code action may be stale (the server restarted, or the change was
    // explained meanwhile); the same unit's current change is what the person meant.
    const change = changes.find((c) => c.id === args.changeId) ?? changes.find((c) => c.unit.name === args.unit);
    if (!change) {
      void vscode.window.showInformationMessage(
        `Rationale: \`${args.unit}\` has no pending change any more (it was explained, skipped, or edited back to how it was).`,
      );
      this.pending.scheduleRefresh(0);
      return;
    }
    return this.ask(client, change);
  }

  /** *Explain Next Change*: the next ready change (the active document's first), else the next
   *  one still being edited. */
  async explainNext(): Promise<void> {
    const client = this.running();
    if (!client) return;
    const [next] = inExplainOrder(await this.pending.refresh());
    if (!next) {
      void vscode.window.showInformationMessage('Rationale: no change is waiting for an explanation.');
      return;
    }
    return this.ask(client, next);
  }

  private async pendingOf(client: LanguageClient, uri: string): Promise<PendingChange[]> {
    return (await this.answerFor(client, uri)).changes;
  }

  /** The server's answer for one document (or all): its changes and the shortest rationale it takes. */
  private async answerFor(client: LanguageClient, uri?: string): Promise<PendingChangesResult> {
    try {
      return await client.sendRequest(pendingChangesRequest, uri ? { uri } : {});
    } catch {
      return { changes: [] }; // not (or no longer) a tracked document
    }
  }

  private async changeAtCursor(client: LanguageClient): Promise<PendingChange | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return undefined;
    const cursor = editor.selection.active;
    const inside = (await this.pendingOf(client, editor.document.uri.toString())).filter((c) => {
      const { start, end } = c.unit.range;
      return new vscode.Range(start.line, start.character, end.line, end.character).contains(cursor);
    });
    // The innermost unit: the one that starts last.
    inside.sort((a, b) => b.unit.range.start.line - a.unit.range.start.line || b.unit.range.start.character - a.unit.range.start.character);
    return inside[0];
  }

  /** Shows the diff and the input box for one change; resolves when the box is gone. */
  private async ask(client: LanguageClient, first: PendingChange): Promise<void> {
    const key = `${first.uri}#${first.unit.name}`;
    if (this.open?.key === key) {
      this.open.box.show();
      return;
    }
    this.open?.box.hide();

    let change = first;
    const documentUri = vscode.Uri.parse(change.uri);
    // The server says what it accepts (the folder's rationale.toml and the settings); without an
    // answer the box checks nothing and the server's refusal, if any, is shown in it.
    const min = (await this.answerFor(client, change.uri)).minRationaleChars ?? 0;
    const header = unitHeader(change);
    const diff = await this.showDiff(client, change, header);

    const box = vscode.window.createInputBox();
    this.open = { key, box };
    box.title = `${change.prompt} (${vscode.workspace.asRelativePath(documentUri, false)})`;
    box.placeholder = `Why? e.g. "Callers passed None here; fail early with a clear message"`;
    box.prompt = `Why did it change? At least ${min} characters. Escape keeps your text as a draft for later.`;
    box.ignoreFocusOut = true; // reading the diff beside must not throw the text away
    box.value = this.drafts.get(change.uri, change.unit.name);
    box.valueSelection = [box.value.length, box.value.length];

    const shortBy = (text: string) => min - rationaleLength(text);
    const validate = (text: string, severity: vscode.InputBoxValidationSeverity) => {
      const missing = shortBy(text);
      if (text.trim() === '' || missing <= 0) {
        box.validationMessage = undefined;
        return;
      }
      box.validationMessage = {
        message: `${missing} more character${missing === 1 ? '' : 's'} needed (at least ${min}): say why, not only what.`,
        severity,
      };
    };
    validate(box.value, vscode.InputBoxValidationSeverity.Info);

    let recorded = false;
    let recording = false;
    let nudged = false;
    const opened = Date.now();
    const done = new Promise<void>((resolve) => {
      const subscriptions: vscode.Disposable[] = [];
      subscriptions.push(
        // The person may go on editing the unit with the box open: the diff follows.
        this.pending.onDidChange(async (changes) => {
          const now = changes.find((c) => c.id === change.id);
          if (!now) return;
          const texts = await textsOf(client, now).catch(() => undefined);
          if (texts && this.documents.text(diff[1]) !== undefined) void this.documents.set(diff[1], header + texts.after);
        }),
        box.onDidChangeValue((text) => validate(text, vscode.InputBoxValidationSeverity.Info)),
        box.onDidAccept(async () => {
          if (recording) return;
          const text = box.value.trim();
          if (text === '' || shortBy(text) > 0) {
            box.validationMessage = {
              message:
                text === ''
                  ? `Type a rationale of at least ${min} characters, or press Escape to explain later.`
                  : `${shortBy(text)} more character${shortBy(text) === 1 ? '' : 's'} needed (at least ${min}): say why, not only what.`,
              severity: vscode.InputBoxValidationSeverity.Error,
            };
            return;
          }
          recording = true;
          box.busy = true;
          box.enabled = false;
          try {
            const args = { changeId: change.id, text, composeMs: Date.now() - opened };
            const outcome = await recordOrNudge(client, args, nudged);
            nudged = true;
            if (!outcome.recorded) {
              box.validationMessage = { message: nudgeMessage(outcome.hint), severity: vscode.InputBoxValidationSeverity.Warning };
              return;
            }
            recorded = true;
            box.hide();
          } catch (err) {
            // Refused (or the server went away): keep the text and say why.
            const refreshed = (await this.pendingOf(client, change.uri)).find((c) => c.unit.name === change.unit.name);
            let message = `Not recorded: ${errorMessage(err)}`;
            if (refreshed && refreshed.id !== change.id) {
              change = refreshed;
              const texts = await textsOf(client, refreshed).catch(() => undefined);
              if (texts) {
                void this.documents.set(diff[0], header + texts.before);
                void this.documents.set(diff[1], header + texts.after);
              }
              message = 'The change was updated meanwhile; press Enter again to record your rationale for it.';
            } else if (!refreshed) {
              message =
                `Not recorded: \`${change.unit.name}\` has no pending change any more (it was explained, skipped, ` +
                'or edited back to how it was). Escape keeps your text as a draft for its next change.';
            }
            box.validationMessage = { message, severity: vscode.InputBoxValidationSeverity.Error };
          } finally {
            recording = false;
            box.busy = false;
            box.enabled = true;
          }
        }),
        box.onDidHide(async () => {
          const typed = box.value;
          subscriptions.forEach((s) => s.dispose());
          if (this.open?.box === box) this.open = undefined;
          box.dispose();
          await this.closeDiff(diff);
          if (recorded) {
            await this.drafts.set(change.uri, change.unit.name, '');
            vscode.window.setStatusBarMessage(`$(check) Rationale recorded for \`${change.unit.name}\``, 4000);
          } else {
            await this.drafts.set(change.uri, change.unit.name, typed);
            if (typed.trim()) {
              vscode.window.setStatusBarMessage(`Rationale: draft kept for \`${change.unit.name}\``, 4000);
            }
          }
          this.pending.scheduleRefresh(0);
          resolve();
        }),
      );
    });
    box.show();
    return done;
  }

  /**
   * *Explain Several Changes…*: pick pending changes that one reason explains, then type it once.
   * The server records a rationale for each, sharing a `group`.
   */
  async explainSeveral(): Promise<void> {
    const client = this.running();
    if (!client) return;
    const answer = await this.answerFor(client);
    const changes = inExplainOrder(answer.changes);
    if (changes.length === 0) {
      void vscode.window.showInformationMessage('Rationale: no change is waiting for an explanation.');
      return;
    }
    const picked = await vscode.window.showQuickPick(changes.map(pendingItem), {
      canPickMany: true,
      title: 'Rationale: explain several changes with one rationale',
      placeHolder: 'Tick the changes one reason explains, then press Enter',
      matchOnDescription: true,
    });
    if (!picked || picked.length === 0) return;
    if (picked.length === 1) return this.ask(client, picked[0].change);
    const chosen = picked.map((item) => item.change);
    const min = answer.minRationaleChars ?? 0;
    const names = chosen.map((c) => `\`${c.unit.name}\``).join(', ');

    const box = vscode.window.createInputBox();
    box.title = `Explain ${chosen.length} changes: ${names}`;
    box.placeholder = 'Why? One reason for all of them';
    box.prompt = `Why did they change? At least ${min} characters. Escape records nothing.`;
    box.ignoreFocusOut = true;
    const shortBy = (text: string) => min - rationaleLength(text);
    const tooShort = (text: string) =>
      `${shortBy(text)} more character${shortBy(text) === 1 ? '' : 's'} needed (at least ${min}): say why, not only what.`;
    let recorded = false;
    let nudged = false;
    const opened = Date.now();
    await new Promise<void>((resolve) => {
      const subscriptions: vscode.Disposable[] = [
        box.onDidChangeValue((text) => {
          box.validationMessage =
            text.trim() && shortBy(text) > 0 ? { message: tooShort(text), severity: vscode.InputBoxValidationSeverity.Info } : undefined;
        }),
        box.onDidAccept(async () => {
          const text = box.value.trim();
          if (text === '' || shortBy(text) > 0) {
            box.validationMessage = { message: tooShort(text), severity: vscode.InputBoxValidationSeverity.Error };
            return;
          }
          box.busy = true;
          box.enabled = false;
          try {
            const args = { changeIds: chosen.map((c) => c.id), text, composeMs: Date.now() - opened };
            const outcome = await recordOrNudge(client, args, nudged);
            nudged = true;
            if (!outcome.recorded) {
              box.validationMessage = { message: nudgeMessage(outcome.hint), severity: vscode.InputBoxValidationSeverity.Warning };
              return;
            }
            recorded = true;
            box.hide();
          } catch (err) {
            box.validationMessage = { message: `Not recorded: ${errorMessage(err)}`, severity: vscode.InputBoxValidationSeverity.Error };
          } finally {
            box.busy = false;
            box.enabled = true;
          }
        }),
        box.onDidHide(() => {
          subscriptions.forEach((s) => s.dispose());
          box.dispose();
          resolve();
        }),
      ];
      box.show();
    });
    if (recorded) vscode.window.setStatusBarMessage(`$(check) Rationale recorded for ${names}`, 4000);
    this.pending.scheduleRefresh(0);
  }

  /** Opens the unit's before and after beside the code, without taking the focus. */
  private async showDiff(client: LanguageClient, change: PendingChange, header: string): Promise<vscode.Uri[]> {
    // A fresh URI for each side; its path ends like the document so that it is highlighted alike.
    const n = ++this.diffs;
    const uri = (side: string) =>
      vscode.Uri.from({ scheme: UNIT_SCHEME, path: `/${n}/${change.unit.name} (${side})${extensionOf(change)}` });
    const [before, after] = [uri('before'), uri('after')];
    // Without the texts (the server went away meanwhile) the diff still names the change.
    const texts = await textsOf(client, change).catch(() => ({ before: '', after: '' }));
    await this.documents.set(before, header + texts.before);
    await this.documents.set(after, header + texts.after);
    const label =
      change.change === 'added' ? 'new' : change.change === 'removed' ? 'removed' : 'before ↔ now';
    await vscode.commands.executeCommand('vscode.diff', before, after, `${change.unit.name} (${label})`, {
      viewColumn: vscode.ViewColumn.Beside,
      preview: true,
      preserveFocus: true,
    });
    return [before, after];
  }

  private async closeDiff([before, after]: vscode.Uri[]): Promise<void> {
    const tabs = vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .filter(
        (tab) =>
          tab.input instanceof vscode.TabInputTextDiff &&
          tab.input.original.toString() === before.toString() &&
          tab.input.modified.toString() === after.toString(),
      );
    if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
    this.documents.forget(before);
    this.documents.forget(after);
  }
}
