// Ctrl+. on a change waiting for its rationale, made to work the first time in every language.
//
// Why it needs help: VS Code (1.100) lets an automatic code-action request replace a manual one
// (Ctrl+.) that is still running, 500 ms after the automatic one was triggered, and then shows
// "No code actions available". An automatic request follows every change of the file's
// diagnostics. In a JavaScript or TypeScript file opened for the first time, the built-in
// TypeScript features are still analysing the project: their own code-action provider answers
// only when that is done (seconds), and their diagnostics arrive meanwhile. So the first Ctrl+.
// waited on TypeScript, was replaced, and showed nothing, although Rationale answered in
// milliseconds. Python files have no such second provider, which is why they never showed it.
//
// What this does: where the cursor is on a change with a prompt (the context key
// `rationale.promptAtCursor`), Ctrl+. runs `rationale.quickFix`, which first asks every
// code-action provider once through the API (nothing replaces that request) and only then opens
// the quick fix list, by which time the other providers answer at once. Everywhere else Ctrl+.
// is VS Code's own.
import * as vscode from 'vscode';
import type { Pending } from './pending';

export const QUICK_FIX = 'rationale.quickFix';
const CONTEXT_KEY = 'rationale.promptAtCursor';
/**
 * The longest Ctrl+. waits for the other providers before opening the list anyway. TypeScript's
 * first analysis took 1 to 2 s on a quiet 2-core machine and over 4 s on a loaded one.
 */
const WARM_UP_MS = 10000;

export function registerQuickFix(pending: Pending): vscode.Disposable {
  let last: boolean | undefined;
  const update = () => {
    const now = promptAtCursor(pending);
    if (now !== last) void vscode.commands.executeCommand('setContext', CONTEXT_KEY, now);
    last = now;
  };
  update();
  return vscode.Disposable.from(
    vscode.commands.registerCommand(QUICK_FIX, quickFix),
    vscode.window.onDidChangeTextEditorSelection(update),
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.languages.onDidChangeDiagnostics(update),
    pending.onDidChange(update),
  );
}

/**
 * Whether the cursor is on a line of a change Rationale has prompted for: the line of its prompt
 * (the diagnostic, known at once) or any line of its unit (known with the next count).
 */
function promptAtCursor(pending: Pending): boolean {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return false;
  const line = editor.selection.active.line;
  const uri = editor.document.uri;
  const onPrompt = vscode.languages
    .getDiagnostics(uri)
    .some((d) => d.source === 'rationale' && d.range.start.line <= line && line <= d.range.end.line);
  if (onPrompt) return true;
  const here = uri.toString();
  return pending.current.some(
    (c) => c.ready && c.uri === here && c.unit.range.start.line <= line && line <= c.unit.range.end.line,
  );
}

async function quickFix(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor) {
    const asked = vscode.commands.executeCommand(
      'vscode.executeCodeActionProvider',
      editor.document.uri,
      editor.selection,
    );
    const waited = Promise.race([asked.then(undefined, () => undefined), new Promise((r) => setTimeout(r, WARM_UP_MS))]);
    // Only a slow provider makes this visible: VS Code shows its own progress the same way.
    const shown = setTimeout(
      () => void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Quick fixes' }, () => waited),
      250,
    );
    await waited;
    clearTimeout(shown);
  }
  await vscode.commands.executeCommand('editor.action.quickFix');
}
